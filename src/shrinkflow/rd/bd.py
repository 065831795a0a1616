"""Bjøntegaard deltas (VCEG-M33) between two rate–distortion curves, via the ``bjontegaard`` package.

BD-rate: the average rate difference (%) of ``test`` against ``anchor`` at equal PSNR, over the PSNR range
both curves cover (log-rate interpolated as a function of PSNR); negative means ``test`` needs fewer bits.
BD-PSNR: the average PSNR difference (dB) at equal rate over the common log-rate range. ``method``:
``pchip`` (default; the JCT-VC common-test-conditions sheet), ``akima`` or ``cubic`` (Bjøntegaard's
original third-order polynomial, which needs ≥ 4 points). Points are sorted along the integration variable
first; the curves need ≥ 2 points each, and NaN is returned when their ranges do not overlap.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

METHODS = ("pchip", "akima", "cubic")


def _curve(rates: Sequence[float], psnrs: Sequence[float], by: str) -> tuple[np.ndarray, np.ndarray]:
    rate, psnr = np.asarray(rates, dtype=float), np.asarray(psnrs, dtype=float)
    if rate.shape != psnr.shape or rate.ndim != 1 or rate.size < 2:
        raise ValueError(
            f"a curve needs ≥ 2 (rate, PSNR) points of equal count, got {rate.shape}, {psnr.shape}"
        )
    if not (np.all(np.isfinite(rate)) and np.all(rate > 0) and np.all(np.isfinite(psnr))):
        raise ValueError("rates must be finite and > 0 and PSNRs finite (drop lossless points)")
    order = np.argsort(psnr if by == "psnr" else rate, kind="stable")
    return rate[order], psnr[order]


def _delta(kind: str, anchor, test, method: str) -> float:
    if method not in METHODS:
        raise ValueError(f"unknown BD interpolation {method!r}; allowed: {list(METHODS)}")
    import bjontegaard

    by = "psnr" if kind == "rate" else "rate"
    rate_a, psnr_a = _curve(*anchor, by)
    rate_t, psnr_t = _curve(*test, by)
    function = bjontegaard.bd_rate if kind == "rate" else bjontegaard.bd_psnr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the overlap is reported by overlap(), not as a warning
        value = function(rate_a, psnr_a, rate_t, psnr_t, method, require_matching_points=False, min_overlap=0)
    return float(value) if value is not None else math.nan


def bd_rate(
    anchor: tuple[Sequence[float], Sequence[float]],
    test: tuple[Sequence[float], Sequence[float]],
    method: str = "pchip",
) -> float:
    """BD-rate (%) of ``test`` = (rates, PSNRs) against ``anchor``; negative: ``test`` saves bits."""
    return _delta("rate", anchor, test, method)


def bd_psnr(
    anchor: tuple[Sequence[float], Sequence[float]],
    test: tuple[Sequence[float], Sequence[float]],
    method: str = "pchip",
) -> float:
    """BD-PSNR (dB) of ``test`` = (rates, PSNRs) against ``anchor``; positive: ``test`` is better."""
    return _delta("psnr", anchor, test, method)


def overlap(anchor: Sequence[float], test: Sequence[float]) -> float:
    """Fraction of the joint range of two value lists (e.g. PSNRs) that both cover (0: disjoint)."""
    a, t = np.asarray(anchor, dtype=float), np.asarray(test, dtype=float)
    joint = max(a.max(), t.max()) - min(a.min(), t.min())
    common = min(a.max(), t.max()) - max(a.min(), t.min())
    return float(max(common, 0.0) / joint) if joint > 0 else 1.0
