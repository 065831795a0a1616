"""Decision-boundary distances: how far must an input move before the model changes its mind?

For each of N test points x and M seeded random unit directions u (drawn independently per point, Gaussian
then L2-normalised, in the raw image space H×W×C), we find the distance to the first label change

    t*(x, u) = min { t > 0 : argmax f(x + t·u) ≠ argmax f(x) }

by *bracketing* — radii r₀, r₀·g, r₀·g², … capped at ``max_radius`` (the last step is ``max_radius``
itself) until the label differs — and then *bisecting* the last bracket to width ≤ ``tol``; the reported
distance is the bracket's midpoint (error ≤ tol/2). Every step evaluates all still-active (point, direction)
pairs in one batched forward pass.

Conventions (recorded in the result):

* the search runs in the raw image space for every model: a model trained on compressed data is evaluated
  as ``f̃(transform(x + t·u))`` where its codec has a torch transform (the caller composes ``model_fn``),
  and otherwise as a pixel-view model directly on the raw grid or through a numpy encode/decode wrapper;
  inputs are not clipped to [0, 1], so the geometry is that of the function, not of valid images;
* a label change closer than a bracket step but undone before the next step can be missed (as in any
  sampling search), so t* is the first change *seen*; it is exact for classifiers with convex label regions;
* where no change occurs up to ``max_radius`` the pair is right-censored: its distance is stored as
  ``max_radius`` with ``censored = True``. Medians are taken over all pairs with censored values at
  ``max_radius``; this is exact while fewer than half the pairs are censored (censored values all sort
  last), and otherwise only a lower bound, flagged by ``*_median_is_lower_bound``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._common import BATCH_ROWS, ForwardFn, as_float_tensor, batched_logits, eval_mode

if TYPE_CHECKING:
    from torch import nn

    from .pairs import RunPair


def random_directions(n_points: int, n_directions: int, shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """Unit-L2 directions, float32 ``n_points × n_directions × shape``, from a seeded Gaussian."""
    if n_directions < 1:
        raise ValueError(f"n_directions must be a positive integer, got {n_directions!r}")
    generator = torch.Generator().manual_seed(int(seed))
    u = torch.randn((n_points, n_directions, math.prod(shape)), generator=generator, dtype=torch.float64)
    u /= torch.linalg.vector_norm(u, dim=-1, keepdim=True)
    return u.float().reshape(n_points, n_directions, *shape)


def _labels(
    fn: ForwardFn, x0: torch.Tensor, u: torch.Tensor, t: torch.Tensor, batch_size: int
) -> torch.Tensor:
    """Predicted labels at x0 + t·u for P pairs (x0: P×shape, u: P×shape, t: P)."""
    t = t.reshape(-1, *([1] * (x0.ndim - 1))).to(x0.dtype)
    return batched_logits(fn, x0 + t * u, batch_size).argmax(dim=1)


def boundary_distances(
    fn: ForwardFn,
    x: torch.Tensor,
    directions: torch.Tensor,
    max_radius: float,
    tol: float,
    initial_radius: float | None = None,
    growth: float = 2.0,
    batch_size: int = BATCH_ROWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (N × M float64) to the first label change along each direction, and the censored mask.

    Censored pairs (no change up to ``max_radius``) get ``max_radius``. ``initial_radius`` defaults to
    ``max_radius / 2**8``.
    """
    if not max_radius > 0 or not math.isfinite(max_radius):
        raise ValueError(f"max_radius must be a positive finite number, got {max_radius!r}")
    if not 0 < tol < max_radius:
        raise ValueError(f"tol must lie in (0, max_radius = {max_radius}), got {tol!r}")
    if not growth > 1:
        raise ValueError(f"growth must be > 1 (geometric bracketing), got {growth!r}")
    r0 = max_radius / 2**8 if initial_radius is None else float(initial_radius)
    if not 0 < r0 <= max_radius:
        raise ValueError(f"initial_radius must lie in (0, max_radius = {max_radius}], got {initial_radius!r}")
    n, m = directions.shape[:2]
    shape = tuple(x.shape[1:])
    x0 = x[:, None].expand(n, m, *shape).reshape(n * m, *shape)
    u = directions.reshape(n * m, *shape)
    start = batched_logits(fn, x, batch_size).argmax(dim=1).repeat_interleave(m)

    # bracketing: lo = last radius with the original label, hi = first radius with another label
    radii = [r0]
    while radii[-1] < max_radius:
        radii.append(min(radii[-1] * growth, max_radius))
    lo = torch.zeros(n * m, dtype=torch.float64)
    hi = torch.full((n * m,), math.inf, dtype=torch.float64)
    active = torch.arange(n * m)
    for r in radii:
        if active.numel() == 0:
            break
        t = torch.full((active.numel(),), r, dtype=torch.float64)
        changed = _labels(fn, x0[active], u[active], t, batch_size) != start[active]
        hi[active[changed]] = r
        lo[active[~changed]] = r
        active = active[~changed]

    # bisection on every bracketed pair at once, until all brackets are narrower than tol
    found = torch.isfinite(hi)
    idx = torch.nonzero(found & (hi - lo > tol)).flatten()
    while idx.numel():
        mid = (lo[idx] + hi[idx]) / 2
        changed = _labels(fn, x0[idx], u[idx], mid, batch_size) != start[idx]
        hi[idx[changed]] = mid[changed]
        lo[idx[~changed]] = mid[~changed]
        idx = idx[(hi[idx] - lo[idx]) > tol]
    distance = torch.where(found, (lo + hi) / 2, torch.full_like(lo, max_radius))
    return distance.reshape(n, m).numpy(), (~found).reshape(n, m).numpy()


def censored_median(distances: np.ndarray, censored: np.ndarray) -> tuple[float, bool]:
    """Median with censored values at their censoring radius, and whether it is only a lower bound.

    Censored values are the largest, so the median (mean of sorted positions ⌊(n−1)/2⌋ and ⌊n/2⌋) touches
    one of them exactly when the number censored c ≥ n − ⌊n/2⌋.
    """
    n = distances.size
    c = int(np.count_nonzero(censored))
    return float(np.median(distances)), c >= n - n // 2


def boundary_analysis(
    model_fn: ForwardFn,
    reference_fn: ForwardFn,
    x: np.ndarray,
    n_directions: int = 8,
    max_radius: float = 100.0,
    tol: float = 0.01,
    seed: int = 0,
    *,
    initial_radius: float | None = None,
    growth: float = 2.0,
    batch_size: int = BATCH_ROWS,
    reference_distances: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Distances to the decision boundary of a model and its reference along the same seeded directions.

    ``model_fn`` and ``reference_fn`` map raw images (float32 N×H×W×C tensor) to logits; ``x`` holds the
    test points (the caller picks the N points). Both models see identical points and directions.
    Random directions in many dimensions rarely meet a boundary early: for a 1D CNN on mnist5k (pixels in
    [0, 1], image norms near 9) we measured medians of 15–35, so ``max_radius`` = 100 censors only a few
    per cent, where 10 censored most pairs (benchmarks/bench_analysis.py).
    ``reference_distances``: the reference's ``(distances, censored)`` from :func:`boundary_distances` with
    the same points, directions and options (computed here when None).
    Per-pair distances and censoring masks come back under ``"arrays"``.
    """
    x_t = as_float_tensor(x)
    if x_t.ndim < 2 or x_t.shape[0] < 1:
        raise ValueError(
            f"x must hold at least one test point (N × input shape), got shape {tuple(x_t.shape)}"
        )
    directions = random_directions(x_t.shape[0], n_directions, tuple(x_t.shape[1:]), seed)
    options = dict(initial_radius=initial_radius, growth=growth, batch_size=batch_size)
    with torch.no_grad(), eval_mode(model_fn, reference_fn):
        dist, cens = boundary_distances(model_fn, x_t, directions, max_radius, tol, **options)
        if reference_distances is None:
            reference_distances = boundary_distances(
                reference_fn, x_t, directions, max_radius, tol, **options
            )
    ref_dist, ref_cens = reference_distances
    if ref_dist.shape != dist.shape:
        raise ValueError(
            f"reference_distances have shape {ref_dist.shape}, not {dist.shape} (points × directions)"
        )
    median, median_lb = censored_median(dist, cens)
    ref_median, ref_median_lb = censored_median(ref_dist, ref_cens)
    ratio = median / ref_median if ref_median > 0 else None
    return {
        "n_points": int(x_t.shape[0]),
        "n_directions": int(n_directions),
        "direction_seed": int(seed),
        "direction_space": "raw_image",
        "max_radius": float(max_radius),
        "tol": float(tol),
        "median_distance": median,
        "reference_median_distance": ref_median,
        "median_is_lower_bound": median_lb,
        "reference_median_is_lower_bound": ref_median_lb,
        # with either median censored the ratio is not a point estimate; still reported, flagged
        "distance_ratio": ratio,
        "distance_ratio_censored": bool(median_lb or ref_median_lb),
        "censored_fraction": float(cens.mean()),
        "reference_censored_fraction": float(ref_cens.mean()),
        "arrays": {
            "distances": dist,
            "censored": cens,
            "reference_distances": ref_dist,
            "reference_censored": ref_cens,
        },
    }


def _points(x_raw: np.ndarray, settings: Mapping[str, Any]) -> np.ndarray:
    from .attributions import select_images

    return select_images(x_raw.shape[0], settings["n_points"], settings["seed"])


def reference_part(reference: nn.Module, x_raw: np.ndarray, settings: Mapping[str, Any]) -> dict:
    """The reference's distances and censoring masks (clipped input, as in :func:`run`; see
    :mod:`~shrinkflow.analysis.reference`)."""
    from .pairs import Clipped

    points = _points(x_raw, settings)
    x_t = as_float_tensor(x_raw[points])
    shape = tuple(x_t.shape[1:])
    directions = random_directions(x_t.shape[0], settings["n_directions"], shape, settings["seed"])
    reference = Clipped(reference)
    with torch.no_grad(), eval_mode(reference):
        dist, cens = boundary_distances(reference, x_t, directions, settings["max_radius"], settings["tol"])
    return {"point_indices": points, "distances": dist, "censored": cens}


def run(pair: RunPair, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``boundaries`` analysis: both models decide on raw images clipped to [0, 1] (valid images only)."""
    from .pairs import Clipped, raw_forward

    forward, _ = raw_forward(pair)
    forward, reference = Clipped(forward), Clipped(pair.reference)
    points = _points(pair.x_raw, settings)  # the stored part's too: same settings and images, checked
    stored = pair.reference_part("boundaries", settings)
    result = boundary_analysis(
        forward,
        reference,
        pair.x_raw[points],
        n_directions=settings["n_directions"],
        max_radius=settings["max_radius"],
        tol=settings["tol"],
        seed=settings["seed"],
        reference_distances=(stored["distances"], stored["censored"]),
    )
    result["point_indices"] = points.tolist()
    result["input_domain"] = "raw images clipped to [0, 1] for both models"
    return result
