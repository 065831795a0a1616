"""Summary statistics over seeds: mean, sample standard deviation and Student-t 95% confidence intervals.

Every number a table or figure reports about "a method at a level" is a mean over independently seeded
runs; its uncertainty is the two-sided 95% interval of the mean under a normal model,

    mean ± t_{0.975, n−1} · s / √n,   s = sample standard deviation (ddof = 1),

which for the 3–5 seeds a study affords is markedly wider than ±1.96·s/√n. A single run (n = 1) has no
spread estimate: its std and interval are NaN (never 0), so a table shows "unknown", not "certain".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: columns of :func:`summarize`'s result after the group columns
STAT_COLUMNS = ("metric", "mean", "std", "n", "ci95_low", "ci95_high")
CONFIDENCE = 0.95


def t_halfwidth(std: np.ndarray | float, n: np.ndarray | int, confidence: float = CONFIDENCE) -> np.ndarray:
    """Half-width t_{(1+c)/2, n−1}·std/√n of the Student-t interval of a mean; NaN where n < 2."""
    from scipy import stats as scipy_stats  # here: importing it takes ~0.8 s, and most jobs never get here

    std = np.asarray(std, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(n >= 2, n - 1, np.nan)
        quantile = scipy_stats.t.ppf(0.5 + confidence / 2, dof)
        return np.where(n >= 2, quantile * std / np.sqrt(n), np.nan)


def mean_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float, float, int]:
    """(mean, ci95_low, ci95_high, n) of the finite ``values``: the interval of :func:`summarize` for one
    series (NaN interval for n < 2, NaN everywhere for n = 0)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    half = float(t_halfwidth(v.std(ddof=1), v.size)) if v.size > 1 else np.nan
    return mean, mean - half, mean + half, int(v.size)


def summarize(
    df: pd.DataFrame, group_cols: Sequence[str], value_cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """Long table of mean, std (ddof=1), n, ci95_low, ci95_high per group and value column.

    ``value_cols`` defaults to every numeric (or boolean, counted as 0/1) column outside ``group_cols``.
    NaN values are left out of a group's statistics (``n`` counts the values used); a group with n = 1 gets
    NaN std and interval, a group with n = 0 NaN everywhere but ``n``. Rows come in group order (sorted)
    and, within a group, in the order of ``value_cols``; columns are ``group_cols`` + :data:`STAT_COLUMNS`.
    """
    group_cols = list(group_cols)
    missing = [c for c in group_cols if c not in df.columns]
    if missing:
        raise ValueError(f"group column(s) {missing} not in the table; columns are {list(df.columns)}")
    if value_cols is None:
        value_cols = [
            c
            for c in df.columns
            if c not in group_cols
            and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
        ]
    value_cols = list(value_cols)
    absent = [c for c in value_cols if c not in df.columns]
    if absent:
        raise ValueError(f"value column(s) {absent} not in the table; columns are {list(df.columns)}")
    if not value_cols or df.empty:
        return pd.DataFrame(columns=[*group_cols, *STAT_COLUMNS])

    values = df[value_cols].apply(lambda s: pd.to_numeric(s.astype("float64"), errors="coerce"))
    frame = pd.concat([df[group_cols].reset_index(drop=True), values.reset_index(drop=True)], axis=1)
    long = frame.melt(id_vars=group_cols, value_vars=value_cols, var_name="metric", value_name="value")
    grouped = long.groupby([*group_cols, "metric"], sort=False, dropna=False)["value"]
    out = grouped.agg(mean="mean", std=lambda s: s.std(ddof=1), n="count").reset_index()
    out["n"] = out["n"].astype(int)
    half = t_halfwidth(out["std"].to_numpy(), out["n"].to_numpy())
    out["ci95_low"] = out["mean"] - half
    out["ci95_high"] = out["mean"] + half
    # deterministic order: groups sorted, metrics in the caller's order
    out["_metric_order"] = out["metric"].map({m: i for i, m in enumerate(value_cols)})
    out = out.sort_values([*group_cols, "_metric_order"], kind="mergesort").drop(columns="_metric_order")
    return out[[*group_cols, *STAT_COLUMNS]].reset_index(drop=True)


def pareto_front(cost: Sequence[float], value: Sequence[float]) -> np.ndarray:
    """Boolean mask of the points no other point dominates (lower-or-equal cost and higher-or-equal value,
    one of them strictly): the storage/accuracy trade-offs worth considering. NaN points are never on it.

    Ties (same cost and value) are all kept.
    """
    cost = np.asarray(cost, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    if cost.shape != value.shape or cost.ndim != 1:
        raise ValueError(f"cost and value must be 1-D of equal length, got {cost.shape} and {value.shape}")
    ok = ~(np.isnan(cost) | np.isnan(value))
    on_front = np.zeros(cost.shape, dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return on_front
    # cheapest first, and among equal costs the best value first
    order = idx[np.lexsort((-value[idx], cost[idx]))]
    c, v = cost[order], value[order]
    # best value seen at any strictly smaller cost, and the best value at the same cost
    best_before = np.maximum.accumulate(v)
    prev_best = np.concatenate(([-np.inf], best_before[:-1]))
    same_cost_best = pd.Series(v).groupby(c).transform("max").to_numpy()
    first_of_cost = np.concatenate(([True], c[1:] != c[:-1]))
    strictly_cheaper_best = np.where(first_of_cost, prev_best, np.nan)
    strictly_cheaper_best = pd.Series(strictly_cheaper_best).ffill().to_numpy()
    keep = (v >= same_cost_best) & (v > strictly_cheaper_best)
    on_front[order] = keep
    return on_front
