"""Claims of the reproduced papers, each judged against a study's runs: reproduced, contradicted, or not
comparable (with the reason).

A claim is a published number (one row of ``data/published_results.csv``, see :func:`value_claims`) or a
statement written in our own words in ``data/claims.yaml`` (see :func:`load_claims`). Kinds:

* ``value``: one selection's metric equals the published value;
* ``ratio``: the metric of the first selection divided by the second's (per seed, the seeds paired, so
  times are compared as ratios within one run, never as seconds across machines);
* ``order``: the selections' means are in descending order (``DS > BT > DCT > RP``);
* ``equal``: the selections' means lie within ``tolerance`` of each other;
* ``at_most`` / ``at_least``: one selection's mean is ≤ / ≥ the published threshold (e.g. "fails to learn":
  accuracy at most 0.2 with ten classes);
* ``less_storage``: in the storage-at-ε table, the first method needs less storage than the second for every
  (dataset, model, ε) where both reach ε (Table I's "zfp beats JPEG"), with JPEG counted as stored (one file
  per image) or, with ``convention: tables_once``, with its tables once per split;
* ``bn_amplifies``: in the BatchNorm table, the BatchNorm model's accuracy drop on compressed test sets
  exceeds the plain model's on average over the methods and levels (``drop_difference`` > 0).

Our side comes from the runs table (one row per run and seed): mean, 95% Student-t CI and n over seeds.
A ``value``/``ratio`` claim is *reproduced* when our mean is within the claim's tolerance of the published
number (default: 0.01 absolute, 1% of the value for bits), *inconclusive* when it is farther but the
published number still lies inside our 95% CI (the seeds cannot decide: more would), else *contradicted*.
Table I's numbers (metric ``stored_percent_at_epsilon_<ε in %>``) are judged on the storage-at-ε table, model
by model, with JPEG's tables counted once per split (a file per 32×32 image carries ~600 bytes of tables:
2–5% of raw is out of reach otherwise); the row shows the per-file size beside it. The storage value is a
level picked from the study's grid, so it gets a relative tolerance (:data:`RELATIVE_TOLERANCE`).
A claim is *not comparable* when it compares absolute seconds (hardware differs), when our runs use a
stand-in for the paper's dataset (mnist5k for MNIST) for an absolute ``value`` (the threshold kinds
``at_most``/``at_least`` and the relative kinds stay comparable: they ask whether a method learns at all or
how methods rank), or when our runs of a method were not trained with the paper's settings
(:data:`PAPER_SETTINGS`); *not run* when the study has no runs for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .claim_tables import storage_value, table_claim
from .claim_types import (
    CLAIM_COLUMNS,
    HARDWARE_UNITS,
    KINDS,
    PAPER_SETTINGS,
    RELATIVE_TOLERANCE,
    SETTING_DEFAULTS,
    SIZE_FREE_METRICS,
    STORAGE_METRIC,
    TABLE_KINDS,
    VERDICTS,
    Claim,
    Selection,
    _fmt,
    _Ours,
    _stats,
    our_dataset,
)
from .packaged import CLAIMS
from .reproduction import DEFAULT_TOLERANCE

__all__ = [
    "CLAIM_COLUMNS", "KINDS", "TABLE_KINDS", "VERDICTS", "Claim", "Selection", "claims_table", "evaluate",
    "load_claims", "our_dataset", "study_claims", "value_claims",
]  # fmt: skip


def _rows(runs: pd.DataFrame, dataset: str, sel: Selection) -> pd.DataFrame:
    part = runs[
        (runs["dataset"].astype(str) == dataset)
        & (runs["method"].astype(str) == sel.method)
        & (runs["level"].astype(str) == str(sel.level))
    ]
    if sel.model is not None:
        part = part[part["model"].astype(str) == sel.model]
    return part


def _per_seed(runs: pd.DataFrame, dataset: str, sel: Selection, metric: str) -> pd.Series:
    part = _rows(runs, dataset, sel)
    if metric not in part.columns or part.empty:
        return pd.Series(dtype=float)
    return pd.to_numeric(part.set_index("seed")[metric], errors="coerce").astype(float)



def evaluate(
    claim: Claim, runs: pd.DataFrame, tables: dict[str, pd.DataFrame | None] | None = None
) -> dict[str, Any]:
    """One row of the claims table for ``claim`` against ``runs`` (the runs table of a study) and, for the
    table kinds, ``tables`` (``storage``: storage at ε, ``amplification``: the BatchNorm table)."""
    row: dict[str, Any] = {
        "study": claim.study, "claim": claim.id, "text": claim.text, "kind": claim.kind,
        "metric": claim.metric, "selection": "; ".join(s.label() for s in claim.select),
        "published": np.nan if claim.published is None else claim.published,
        "tolerance": claim.tolerance if claim.tolerance is not None else np.nan, "source": claim.source,
    }  # fmt: skip
    if claim.kind == "value" and claim.metric.startswith(STORAGE_METRIC):
        return {**row, **storage_value(claim, (tables or {}).get("storage"))}
    if claim.kind in TABLE_KINDS:
        verdict, reason, ours_text = table_claim(claim, tables or {})
        row.update(dataset=claim.dataset, mean=np.nan, ci95_low=np.nan, ci95_high=np.nan, n=0)
        row.update(ours=ours_text, verdict=verdict, reason=reason)
        return row
    dataset = our_dataset(runs, claim.dataset)
    row["dataset"] = dataset or claim.dataset
    ours = _Ours()
    if dataset is not None:
        series = [_per_seed(runs, dataset, s, claim.metric) for s in claim.select]
        if all(len(s) for s in series):
            ours = _measure(claim, series)
    row.update(mean=ours.mean, ci95_low=ours.low, ci95_high=ours.high, n=ours.n, ours=ours.text)
    row["verdict"], row["reason"] = _verdict(claim, ours, dataset)
    if row["verdict"] != "not run" and dataset is not None:
        unlike = _unlike_paper(runs, dataset, claim.select)
        if unlike:
            row["verdict"], row["reason"] = "not comparable", unlike
    return row


def _unlike_paper(runs: pd.DataFrame, dataset: str, select: Sequence[Selection]) -> str:
    """Why the selected runs were not trained as the paper's method ("" when they were)."""
    for sel in select:
        wanted = {
            **PAPER_SETTINGS.get((sel.method, None), {}), **PAPER_SETTINGS.get((sel.method, sel.level), {})
        }
        rows = _rows(runs, dataset, sel)
        for column, value in wanted.items():
            default = SETTING_DEFAULTS[column]
            used = rows[column] if column in rows.columns else pd.Series(default, index=rows.index)
            used = used.fillna(default).astype(str)
            if len(used) and not (used == value).all():
                return (
                    f"{sel.label()} ran with {column} = {sorted(set(used))[0]!r}, not the paper's {value!r} "
                    "(shrinkflow's variant)"
                )
    return ""


def _measure(claim: Claim, series: list[pd.Series]) -> _Ours:
    if claim.kind in ("value", "at_most", "at_least"):
        ours = _stats(series[0].to_numpy())
        ours.text = f"{_fmt(ours.mean)} (n={ours.n})"
        return ours
    if claim.kind == "ratio":
        paired = pd.concat(series, axis=1, join="inner").dropna()
        ours = _stats((paired.iloc[:, 0] / paired.iloc[:, 1]).to_numpy())
        ours.text = f"ratio {_fmt(ours.mean)} over {ours.n} paired seed(s)"
        return ours
    means = [float(s.mean()) for s in series]
    ours = _Ours(n=min(int(s.count()) for s in series), extra={"means": means})
    labels = [sel.label() for sel in claim.select]
    if claim.kind == "order":
        ours.text = " > ".join(f"{lb} {_fmt(m)}" for lb, m in zip(labels, means, strict=True))
    else:
        ours.mean = max(means) - min(means)
        ours.text = f"spread {_fmt(ours.mean)}: " + ", ".join(
            f"{lb} {_fmt(m)}" for lb, m in zip(labels, means, strict=True)
        )
    return ours


def _verdict(claim: Claim, ours: _Ours, dataset: str | None) -> tuple[str, str]:
    if dataset is None or (not ours.n and claim.kind not in ("order", "equal")) or (
        claim.kind in ("order", "equal") and not ours.extra
    ):
        return "not run", "the study has no runs for this claim"
    if claim.not_comparable:
        return "not comparable", claim.not_comparable
    absolute = claim.kind in ("value", "at_most", "at_least")
    if absolute and claim.unit in HARDWARE_UNITS:
        return "not comparable", "absolute time depends on the hardware; compare the ratios instead"
    if claim.kind == "value" and dataset != claim.dataset and claim.metric not in SIZE_FREE_METRICS:
        return "not comparable", f"ours on {dataset}, a stand-in for the paper's {claim.dataset}"
    tol = claim.tolerance
    if tol is None:
        relative = RELATIVE_TOLERANCE.get(claim.unit)
        tol = DEFAULT_TOLERANCE if relative is None else relative * abs(claim.published or 0.0)
    if claim.kind in ("value", "ratio"):
        diff = ours.mean - claim.published
        if abs(diff) <= tol + 1e-12:
            return "reproduced", f"our mean within {tol:g} of the published value"
        if math.isfinite(ours.low) and ours.low <= claim.published <= ours.high:
            return "inconclusive", (
                f"{_fmt(diff)} from the published value, inside our 95% CI [{_fmt(ours.low)}, "
                f"{_fmt(ours.high)}]: more seeds would decide"
            )
        where = "outside our 95% CI" if math.isfinite(ours.low) else "one seed, no CI"
        return "contradicted", f"{_fmt(diff)} from the published value, {where}"
    if claim.kind == "at_most":
        ok = ours.mean <= claim.published
        return ("reproduced" if ok else "contradicted"), f"our mean {'≤' if ok else '>'} {claim.published:g}"
    if claim.kind == "at_least":
        ok = ours.mean >= claim.published
        return ("reproduced" if ok else "contradicted"), f"our mean {'≥' if ok else '<'} {claim.published:g}"
    if claim.kind == "order":
        means = ours.extra["means"]
        ok = all(a > b for a, b in zip(means, means[1:], strict=False))
        return ("reproduced" if ok else "contradicted"), "our means in this order" if ok else "order differs"
    ok = ours.mean <= tol + 1e-12
    return ("reproduced" if ok else "contradicted"), f"spread {'≤' if ok else '>'} {tol:g}"


# ---- where claims come from ----


def value_claims(published: pd.DataFrame, study: str) -> list[Claim]:
    """One ``value`` claim per published number of ``study`` (rows with a metric and a value)."""
    rows = published[(published["study"] == study) & (published["metric"].astype(str) != "")]
    claims = []
    for i, r in enumerate(rows.itertuples(index=False)):
        if r.value is None or pd.isna(r.value):
            continue
        tolerance = getattr(r, "tolerance", np.nan)
        select = (Selection(str(r.method), str(r.level), str(r.model) or None),)
        claims.append(
            Claim(
                study=study, id=f"{study}:{r.table}:{r.method}:{r.level}:{r.metric}:{i}",
                text=f"{r.table}: {r.method} {r.level} {r.metric}", kind="value", metric=str(r.metric),
                dataset=str(r.dataset), select=select,
                published=float(r.value), tolerance=None if pd.isna(tolerance) else float(tolerance),
                unit=str(getattr(r, "unit", "")), source=str(getattr(r, "source", "")),
            )  # fmt: skip
        )
    return claims


def claims_path() -> Path:
    return CLAIMS


def load_claims(study: str, path: str | Path | None = None) -> list[Claim]:
    """The hand-written claims of ``study`` from ``data/claims.yaml``."""
    import yaml

    with open(path or claims_path()) as fh:
        data = yaml.safe_load(fh) or {}
    out = []
    for spec in data.get(study, []):
        spec = dict(spec)
        select = tuple(
            Selection(str(s["method"]), str(s["level"]), s.get("model")) for s in spec.pop("select")
        )
        out.append(Claim(study=study, select=select, **spec))
    return out


def claims_table(
    runs: pd.DataFrame, claims: Sequence[Claim], tables: dict[str, pd.DataFrame | None] | None = None
) -> pd.DataFrame:
    """The claims table: one row per claim, in the given order, columns :data:`CLAIM_COLUMNS`."""
    rows = [evaluate(c, runs, tables) for c in claims]
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def study_claims(study: str, published: pd.DataFrame) -> list[Claim]:
    """Every claim of a study: its published numbers, then its hand-written statements."""
    return value_claims(published, study) + load_claims(study)
