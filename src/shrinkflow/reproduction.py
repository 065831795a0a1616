"""Reproduction tables: every published number beside shrinkflow's mean and 95% CI, with a verdict.

The published numbers live in the packaged ``data/published_results.csv`` (one row per value, with its
source); :func:`reproduction_table` matches them with a long summary (:func:`shrinkflow.aggregate.summary`)
on dataset, method, level, model and metric, and :func:`verdict` says whether each was reproduced.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .aggregate import check_unique, sort_runs
from .packaged import PUBLISHED_RESULTS

#: which runs belong to each study of the published-results file (methods of its tables)
STUDY_METHODS = {
    "less_is_more": ("identity", "dct", "random_projection", "downsample", "binary_then_resize",
                     "resize_then_binary"),
    "adaptcompression": ("identity", "dct", "adaptive"),
    "correctness_preserving": ("identity", "jpeg", "zfp_rate", "zfp_precision", "zfp_accuracy", "png",
                               "zfp_reversible"),
}  # fmt: skip


#: columns of the published-results file (src/shrinkflow/data/published_results.csv)
PUBLISHED_COLUMNS = (
    "study", "paper", "table", "dataset", "method", "level", "model", "metric", "value", "unit", "tolerance",
    "source", "notes",
)  # fmt: skip
#: the keys a published number and a shrinkflow summary row are matched on
MATCH_KEYS = ("dataset", "method", "level", "model", "metric")
VERDICTS = ("reproduced", "within CI", "not reproduced", "not run", "no published number")
#: default agreement tolerance (absolute, in the metric's units: 0.01 = one accuracy point)
DEFAULT_TOLERANCE = 0.01
REPRODUCTION_COLUMNS = (
    "study", "table", "dataset", "method", "level", "model", "metric", "published", "unit", "tolerance",
    "mean", "std", "n", "ci95_low", "ci95_high", "difference", "verdict", "source", "notes",
)  # fmt: skip


def published_results_path() -> Path:
    """The packaged published-numbers file."""
    return PUBLISHED_RESULTS


def load_published(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The published-numbers table, strings kept as strings (levels like "07" stay verbatim)."""
    path = published_results_path() if path is None else Path(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: lacks column(s) {missing}; expected {list(PUBLISHED_COLUMNS)}")
    for col in ("value", "tolerance"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="raise")
    return df


def verdict(
    published: float, mean: float, ci95_low: float, ci95_high: float, tolerance: float = DEFAULT_TOLERANCE
) -> str:
    """Reproduction verdict for one number, rules applied in order:

    1. no published value (NaN) → "no published number"
    2. no shrinkflow mean (NaN: not run, or every seed failed) → "not run"
    3. |mean − published| ≤ tolerance → "reproduced"
    4. ci95_low ≤ published ≤ ci95_high → "within CI" (consistent with our seeds' spread, but farther than
       the tolerance: more seeds would decide; with one seed the CI is NaN and this never applies)
    5. otherwise → "not reproduced"
    """
    if published is None or pd.isna(published):
        return "no published number"
    if mean is None or pd.isna(mean):
        return "not run"
    tol = DEFAULT_TOLERANCE if tolerance is None or pd.isna(tolerance) else float(tolerance)
    if abs(float(mean) - float(published)) <= tol + 1e-12:
        return "reproduced"
    if not (pd.isna(ci95_low) or pd.isna(ci95_high)) and ci95_low <= published <= ci95_high:
        return "within CI"
    return "not reproduced"


def reproduction_table(
    summary_long: pd.DataFrame,
    published: pd.DataFrame,
    study: str,
    tolerance: float = DEFAULT_TOLERANCE,
    include_unmatched: Sequence[str] = (),
) -> pd.DataFrame:
    """The paper's numbers beside shrinkflow's mean and 95% CI with a :func:`verdict` per row.

    One row per published entry of ``study`` that names a metric (entries with an empty ``metric`` only
    document a source and are skipped); matching is exact on dataset, method, level, model and metric. A
    row's own ``tolerance`` overrides the ``tolerance`` argument. ``include_unmatched`` lists metrics
    whose shrinkflow rows without a published counterpart are appended with verdict "no published number"
    (so a study whose tables could not be found still lists what was measured). ``summary_long`` should be
    restricted by the caller to the study's runs.
    """
    known = sorted(set(published["study"]))
    if study not in known:
        raise ValueError(f"unknown study {study!r}; the published-results file has {known}")
    pub = published[(published["study"] == study) & (published["metric"].astype(str) != "")].copy()
    ours = summary_long.copy()
    for key in MATCH_KEYS:
        if key not in ours.columns:
            raise ValueError(
                f"summary lacks column {key!r}; expected a long summary from aggregate.summary()"
            )
        ours[key] = ours[key].astype(str)
        pub[key] = pub[key].astype(str)
    ours = ours[[*MATCH_KEYS, "mean", "std", "n", "ci95_low", "ci95_high"]]
    check_unique(ours, MATCH_KEYS, "summary row")

    pub = pub.rename(columns={"value": "published", "tolerance": "row_tolerance"})
    table = pub.merge(ours, on=list(MATCH_KEYS), how="left")
    table["tolerance"] = table["row_tolerance"].fillna(tolerance)
    if include_unmatched:
        matched = set(map(tuple, pub[list(MATCH_KEYS)].to_numpy().tolist()))
        extra = ours[ours["metric"].isin(list(include_unmatched))]
        extra = extra[[tuple(r) not in matched for r in extra[list(MATCH_KEYS)].to_numpy().tolist()]]
        extra = extra.assign(
            study=study, table="", published=np.nan, unit="", tolerance=tolerance, source="",
            notes="measured by shrinkflow; no published counterpart",
        )  # fmt: skip
        table = pd.concat([table, extra], ignore_index=True, sort=False)
    if table.empty:
        return pd.DataFrame(columns=list(REPRODUCTION_COLUMNS))
    table["n"] = table["n"].fillna(0).astype(int)
    table["difference"] = table["mean"] - table["published"]
    table["verdict"] = [
        verdict(p, m, lo, hi, t)
        for p, m, lo, hi, t in zip(
            table["published"],
            table["mean"],
            table["ci95_low"],
            table["ci95_high"],
            table["tolerance"],
            strict=True,
        )
    ]
    return sort_runs(table[list(REPRODUCTION_COLUMNS)], ("dataset", "method", "level", "model", "metric"))
