"""A reviewer's page per reproduced study: its claims with verdicts, then its headline figure.

``results/reports/{study}.md`` is plain Markdown (readable on GitHub or in any editor): a count of verdicts,
the claims table (claim in our words, published value, ours with 95% CI and n, verdict and reason) and the
accuracy-vs-storage figure with the paper's points drawn beside our curves.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from .artifacts import atomic_path


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(table: pd.DataFrame) -> str:
    """``table`` as a GitHub-flavoured Markdown table (no extra dependency)."""
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def study_report(
    study: str, claims: pd.DataFrame, figure: str | os.PathLike, path: str | os.PathLike
) -> None:
    """Write the Markdown page of ``study`` to ``path`` (the figure is linked relative to the page)."""
    counts = claims["verdict"].value_counts()
    summary = ", ".join(f"{int(n)} {verdict}" for verdict, n in counts.items()) or "no claims"
    ci = [
        "" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"
        for lo, hi in zip(claims["ci95_low"].astype(float), claims["ci95_high"].astype(float), strict=True)
    ]
    shown = pd.DataFrame(
        {
            "claim": claims["text"],
            "published": claims["published"],
            "ours": claims["ours"].fillna(""),
            "95% CI": ci,
            "verdict": claims["verdict"],
            "why": claims["reason"].fillna(""),
        }
    )
    figure_link = os.path.relpath(Path(figure), Path(path).parent)
    text = "\n\n".join(
        [
            f"# {study}: claims and verdicts",
            f"{len(claims)} claims: {summary}. Times are compared as per-seed ratios within one run; "
            "absolute numbers measured on a stand-in dataset (mnist5k for MNIST) are *not comparable*.",
            markdown_table(shown),
            f"![accuracy against stored bits, the paper's points as stars]({figure_link})",
            "",
        ]
    )
    with atomic_path(path, suffix=".md") as tmp:
        Path(tmp).write_text(text)
