"""Claims judged on a study's tables rather than its runs: storage at ε (Table I's numbers and "zfp needs
less storage than JPEG") and the BatchNorm amplification table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .claim_types import (
    RELATIVE_TOLERANCE,
    STORAGE_CONVENTIONS,
    STORAGE_METRIC,
    TABLE_KINDS,
    Claim,
    _fmt,
    our_dataset,
)


def table_claim(claim: Claim, tables: dict[str, pd.DataFrame | None]) -> tuple[str, str, str]:
    """(verdict, reason, ours) of a claim judged on the storage-at-ε or BatchNorm table."""
    table = tables.get(TABLE_KINDS[claim.kind])
    if table is None or table.empty:
        return "not run", f"the study has no {TABLE_KINDS[claim.kind]} table rows", ""
    mine = our_dataset(table, claim.dataset) if "dataset" in table.columns else None
    if mine is not None:
        return _judge_table(claim, table[table["dataset"].astype(str) == mine])
    # the paper's dataset is not in the study: show ours on what there is, but do not judge it
    verdict, reason, ours = _judge_table(claim, table)
    if verdict == "not run":
        return verdict, reason, ours
    others = sorted(set(table["dataset"].astype(str))) if "dataset" in table.columns else ["?"]
    return "not comparable", f"ours on {', '.join(others)}, the paper on {claim.dataset}", ours


def _judge_table(claim: Claim, table: pd.DataFrame) -> tuple[str, str, str]:
    """(verdict, reason, ours) of a table claim on the rows of one dataset."""
    if claim.kind == "less_storage":
        a, b = (s.method for s in claim.select)
        column = STORAGE_CONVENTIONS[claim.convention]
        if column not in table.columns:
            return "not run", f"the storage table has no column {column}", ""
        wide = table.pivot_table(
            index=[c for c in ("dataset", "model", "epsilon") if c in table.columns], columns="method",
            values=column, aggfunc="first",
        )  # fmt: skip
        if a not in wide.columns or b not in wide.columns:
            return "not run", f"no storage rows for both {a} and {b}", ""
        both = wide[[a, b]].dropna()
        if both.empty:
            return "not run", f"{a} and {b} never both reach ε", ""
        wins = int((both[a] < both[b]).sum())
        counted = "JPEG tables once per split" if claim.convention else "JPEG as one file per image"
        ours = f"{a} < {b} in {wins} of {len(both)} (dataset, model, ε) groups ({counted})"
        return ("reproduced" if wins == len(both) else "contradicted"), ours, ours
    diff = pd.to_numeric(table.get("drop_difference"), errors="coerce").dropna()
    if diff.empty:
        return "not run", "no BatchNorm comparison rows", ""
    positive = int((diff > 0).sum())
    ours = f"mean drop difference {diff.mean():+.4f} (BatchNorm − plain), > 0 in {positive} of {len(diff)}"
    return ("reproduced" if diff.mean() > 0 else "contradicted"), ours, ours



def storage_value(claim: Claim, table: pd.DataFrame | None) -> dict[str, Any]:
    """Our storage at ε (Table I's metric) for the claim's dataset, model and method, with its verdict."""
    out: dict[str, Any] = {"dataset": claim.dataset, "mean": np.nan, "ci95_low": np.nan, "ci95_high": np.nan}
    out.update(n=0, ours="")
    sel = claim.select[0]
    dataset = our_dataset(table, claim.dataset) if table is not None and "dataset" in table.columns else None
    if dataset != claim.dataset:  # no stand-in: storage at ε depends on the images and the network
        return {**out, "verdict": "not run", "reason": f"the study has no {claim.dataset} storage rows"}
    epsilon = int(claim.metric.removeprefix(STORAGE_METRIC)) / 100
    rows = table[
        (table["dataset"].astype(str) == dataset) & (table["method"].astype(str) == sel.method)
        & (np.isclose(pd.to_numeric(table["epsilon"]), epsilon))
        & ((table["model"].astype(str) == sel.model) if sel.model and "model" in table.columns else True)
    ]  # fmt: skip
    if rows.empty:
        return {**out, "verdict": "not run", "reason": f"no storage row for {sel.label()} at ε = {epsilon:g}"}
    row = rows.iloc[0]
    once, stored = float(row["stored_percent_tables_once"]), float(row["stored_percent"])
    if not math.isfinite(once):
        out.update(ours=f"ε = {epsilon:g} not reached by any level")
        return {**out, "verdict": "contradicted", "reason": "no level of our grid stays within ε"}
    files = f"; {_fmt(stored)}% as one file per image" if stored != once else ""
    out.update(mean=once, n=1, ours=f"{_fmt(once)}% at level {row['level']} (tables once per split){files}")
    tol = claim.tolerance
    if tol is None:
        tol = RELATIVE_TOLERANCE["percent"] * abs(claim.published or 0.0)
    ok = abs(once - float(claim.published)) <= tol + 1e-12
    reason = f"{_fmt(once - float(claim.published))} points from the published value (tolerance {tol:.3g})"
    return {**out, "verdict": "reproduced" if ok else "contradicted", "reason": reason}


