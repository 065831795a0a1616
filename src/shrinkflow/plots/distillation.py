"""Task 3 head to head: each student's test accuracy trained plainly vs distilled from the teacher, with the
paired per-seed difference and its 95% CI (Hinton et al.'s loss; teacher = the best capacity MLP).

Reads ``results/tables/distillation.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import MethodInfo, missing, no_data, rc_style, save_figure

_VERDICT_COLOURS = {"distillation helps": "tab:green", "distillation hurts": "tab:red",
                    "no significant difference": "tab:grey"}  # fmt: skip


def plot_distillation(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "Distillation into compressed students"
    lacking = missing(table, ["model", "rate", "plain_mean", "distilled_mean", "difference_mean", "verdict"])
    if lacking or table.empty:
        return no_data(path, title, f"distillation table lacks {lacking or 'rows'}")
    labels = (table["model"] + " " + table["rate"]).tolist()
    y = np.arange(len(table))
    with rc_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.55 * len(table) + 2.2), layout="constrained",
                                          sharey=True)  # fmt: skip
        left.barh(y - 0.2, table["plain_mean"], height=0.4, color="tab:blue", label="plain")
        left.barh(y + 0.2, table["distilled_mean"], height=0.4, color="tab:orange", label="distilled")
        low = min(table["plain_mean"].min(), table["distilled_mean"].min())
        left.set_xlim(max(0.0, low - 0.05), 1.0)
        left.set_yticks(y, labels)
        left.set_xlabel("Mean test accuracy over seeds")
        left.legend(fontsize=8, loc="lower right")
        teacher = table["teacher"].dropna()
        left.set_title(f"Plain vs distilled (teacher {teacher.iloc[0] if len(teacher) else '?'})")
        errors = [(table["difference_mean"] - table["difference_ci95_low"]).fillna(0),
                  (table["difference_ci95_high"] - table["difference_mean"]).fillna(0)]  # fmt: skip
        colours = [_VERDICT_COLOURS.get(v, "black") for v in table["verdict"]]
        diff = table["difference_mean"]
        right.errorbar(diff, y, xerr=errors, ls="none", capsize=4, color="black", zorder=2)
        right.scatter(table["difference_mean"], y, c=colours, s=60, zorder=3)
        right.axvline(0, color="black", lw=0.8)
        right.set_xlabel("Distilled − plain accuracy (paired over seeds, 95% CI)")
        right.set_title("Difference and verdict (green helps, red hurts, grey n.s.)")
        right.invert_yaxis()
        fig.suptitle(title)
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/distillation.csv."""
    return plot_distillation(pd.read_csv(inputs["table"]), png)
