"""Storage at ε: the least storage a codec needs to keep accuracy within ε of the reference.

As in Table I of the correctness-preserving compression study: for each codec family, among its levels whose
mean accuracy over seeds is at least the reference's mean accuracy minus ε (ε in absolute accuracy, 0.02 =
two points; a level better than the reference qualifies too), pick the one with the smallest stored size,
given as a percentage of the raw uint8 dataset. Families where no level qualifies get a row of NaN, so the
table shows "not reached" instead of silently dropping the family.

``stored_percent`` is the payload as stored (JPEG: one complete file per image, tables included);
``stored_percent_tables_once`` counts JPEG with its tables stored once per split (the sidecar's
``ratio_to_raw_tables_once_per_split``, real decodable bytes) and equals ``stored_percent`` for codecs
without per-image tables. Small images make the difference large: a 32×32 CIFAR JPEG carries ~600 bytes of
tables in a 3,072-byte image, so Table I's 2–5% of raw is reachable only with tables counted once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: optional columns that split the study (one reference per group)
GROUP_COLUMNS = ("dataset", "model")
OUTPUT_COLUMNS = (
    "method", "epsilon", "level", "stored_percent", "stored_percent_tables_once", "accuracy_mean",
    "reference_accuracy_mean",
)  # fmt: skip
#: sidecar column of the tables-once convention (absent when the study has no per-image JPEG)
TABLES_ONCE = "ratio_to_raw_tables_once_per_split"
#: slack for float comparison of accuracies (fractions of correct images: 0.93 − 0.02 must admit 0.91)
_SLACK = 1e-9


def _stored_percent(df: pd.DataFrame) -> pd.Series:
    if "ratio_to_raw" in df.columns:
        return 100.0 * df["ratio_to_raw"].astype(float)
    if {"stored_bytes", "raw_bytes"} <= set(df.columns):
        return 100.0 * df["stored_bytes"].astype(float) / df["raw_bytes"].astype(float)
    raise ValueError("storage table needs a 'ratio_to_raw' column or both 'stored_bytes' and 'raw_bytes'")


def storage_at_epsilon(
    runs: pd.DataFrame, epsilons: Sequence[float] = (0.02, 0.05), reference_method: str = "identity"
) -> pd.DataFrame:
    """Smallest stored size per (group, method, ε) whose mean accuracy is within ε of the reference's.

    ``runs`` has one row per trained model: method, level, seed, accuracy and ``ratio_to_raw`` (or
    ``stored_bytes`` and ``raw_bytes``), plus optional ``dataset``/``model`` columns that each get their own
    reference. Returns columns (dataset, model,) method, epsilon, level, stored_percent, accuracy_mean,
    reference_accuracy_mean; ties in size go to the more accurate level.
    """
    missing = {"method", "level", "seed", "accuracy"} - set(runs.columns)
    if missing:
        raise ValueError(f"storage table lacks column(s) {sorted(missing)}")
    bad = [e for e in epsilons if not (isinstance(e, (int, float)) and 0 <= e < 1)]
    if bad or not len(epsilons):
        raise ValueError(
            f"epsilons must be accuracy differences in [0, 1), e.g. [0.02, 0.05]; got {list(epsilons)}"
        )
    groups = [c for c in GROUP_COLUMNS if c in runs.columns]
    df = runs.assign(stored_percent=_stored_percent(runs), level=runs["level"].astype(str))
    once = 100.0 * pd.to_numeric(runs[TABLES_ONCE], errors="coerce") if TABLES_ONCE in runs else np.nan
    df["stored_percent_tables_once"] = pd.Series(once, index=df.index).fillna(df["stored_percent"])
    per_level = (
        df.groupby([*groups, "method", "level"], sort=True)
        .agg(
            accuracy_mean=("accuracy", "mean"), stored_percent=("stored_percent", "mean"),
            stored_percent_tables_once=("stored_percent_tables_once", "mean"),
        )
        .reset_index()
    )  # fmt: skip
    reference = per_level[per_level["method"] == reference_method]
    if reference.empty:
        raise ValueError(
            f"no rows of the reference method {reference_method!r}; "
            f"methods found: {sorted(df['method'].unique())}"
        )
    if (groups and reference.duplicated(groups).any()) or (not groups and len(reference) > 1):
        raise ValueError(f"the reference method {reference_method!r} must have a single level per group")
    reference = reference[[*groups, "accuracy_mean"]].rename(
        columns={"accuracy_mean": "reference_accuracy_mean"}
    )
    candidates = per_level[per_level["method"] != reference_method]
    candidates = (
        candidates.merge(reference, on=groups, how="left")
        if groups
        else candidates.assign(reference_accuracy_mean=float(reference["reference_accuracy_mean"].iloc[0]))
    )

    lacking = candidates.loc[candidates["reference_accuracy_mean"].isna(), groups].drop_duplicates()
    if len(lacking):
        raise ValueError(
            f"no {reference_method!r} runs for {groups} = {lacking.to_records(index=False).tolist()}"
        )

    rows = []
    for keys, family in candidates.groupby([*groups, "method"], sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        ref_acc = float(family["reference_accuracy_mean"].iloc[0])
        for eps in epsilons:
            ok = family[family["accuracy_mean"] >= ref_acc - eps - _SLACK]
            if ok.empty:
                best = {"level": None, "stored_percent": np.nan, "stored_percent_tables_once": np.nan,
                        "accuracy_mean": np.nan}  # fmt: skip
            else:
                # the least stored bytes as stored; tables once per split is a constant saving per image at a
                # given quality, so JPEG picks the same level either way
                pick = ok.sort_values(["stored_percent", "accuracy_mean"], ascending=[True, False]).iloc[0]
                best = {
                    k: pick[k]
                    for k in ("level", "stored_percent", "stored_percent_tables_once", "accuracy_mean")
                }
            labels = dict(zip([*groups, "method"], keys, strict=True))
            rows.append({**labels, "epsilon": float(eps), **best, "reference_accuracy_mean": ref_acc})
    columns = [*groups, *OUTPUT_COLUMNS]
    return pd.DataFrame(rows, columns=columns)
