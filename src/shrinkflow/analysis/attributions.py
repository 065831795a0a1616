"""Attribution similarity: do the two models look at the same pixels when they decide?

For a fixed seeded subset of test images, attribution maps of the reference f and of the compressed-data
model f̃ come from Captum (Saliency, IntegratedGradients, Occlusion), are made absolute, and are compared per
image with the weighted Jaccard index

    J_w(α, α') = Σᵢ min(αᵢ, α'ᵢ) / Σᵢ max(αᵢ, α'ᵢ)        (1 for equal maps, 0 for disjoint support).

Choices (recorded in the result):

* target class: the reference's predicted class on the raw image, for both models, so both maps answer the
  same question ("why this class?") even where f̃ disagrees;
* IntegratedGradients baseline: the all-zero (black) image on the grid being attributed;
* Occlusion: a ``window``×``window`` patch over all channels, replaced by 0, moved by ``stride`` pixels;
* normalisation (default on): each absolute map is divided by its sum before J_w, so two models whose logits
  differ only in scale (common between independent trainings) are not penalised; 0/0 counts as J_w = 1.

Maps are compared on the raw image grid. f is attributed on the raw images. f̃ is attributed

1. through its codec's differentiable ``torch_transform`` as ``f̃(transform(x_raw))`` when one exists;
2. else, for a pixel-view model, on the decoded images (same grid; the caller passes them);
3. else (compressed-domain input, no differentiable transform) with Occlusion only on the raw grid through a
   numpy callable raw → logits (e.g. encode + decode + model) when the caller gives one, and f with Occlusion
   only as well; otherwise the result records that attribution was impossible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from ._common import BATCH_ROWS, Composed, as_float_tensor, batched_logits, eval_mode

if TYPE_CHECKING:
    from .pairs import RunPair

METHODS = ("saliency", "integrated_gradients", "occlusion")


class NumpyForward(nn.Module):
    """A numpy callable (raw float images → logits) as a module; for gradient-free Occlusion only."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(np.asarray(self.fn(x.detach().cpu().numpy())), dtype=torch.float32)


def weighted_jaccard(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> np.ndarray:
    """Per-row weighted Jaccard Σ min(a, b) / Σ max(a, b) of non-negative arrays (first axis = items).

    Rows where both maps are all zero are equal and score 1.
    """
    a = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a, dtype=torch.float64)
    b = torch.as_tensor(np.asarray(b) if not isinstance(b, torch.Tensor) else b, dtype=torch.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"attribution maps must have equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if (a < 0).any() or (b < 0).any():
        raise ValueError("weighted Jaccard needs non-negative maps: take absolute attributions first")
    a, b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
    numerator = torch.minimum(a, b).sum(dim=1)
    denominator = torch.maximum(a, b).sum(dim=1)
    score = torch.where(
        denominator > 0, numerator / denominator.clamp_min(1e-300), torch.ones_like(numerator)
    )
    return score.numpy()


def select_images(n_total: int, n_images: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded random subset of ``n_images`` of ``n_total`` images (all when fewer)."""
    if n_images < 1:
        raise ValueError(f"n_images must be a positive integer, got {n_images!r}")
    if n_images >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, size=n_images, replace=False))


def attribute(
    forward: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    method: str,
    ig_steps: int = 32,
    occlusion_window: int = 4,
    occlusion_stride: int = 2,
    batch_rows: int = BATCH_ROWS,
) -> torch.Tensor:
    """Absolute Captum attribution maps (shape of ``x``, N×H×W×C) of ``forward``'s ``target`` logits.

    ``batch_rows`` bounds the images per forward pass: IntegratedGradients' ``internal_batch_size`` and, for
    Occlusion, ``perturbations_per_eval`` × N.
    """
    # imported here: captum takes ~0.5 s to import, and only the attributions rule needs it
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    if method in ("saliency", "integrated_gradients"):
        x = x.detach().clone().requires_grad_(True)  # gradients w.r.t. the images, asked for explicitly
    if method == "saliency":
        maps = Saliency(forward).attribute(x, target=target, abs=True)
    elif method == "integrated_gradients":
        maps = IntegratedGradients(forward).attribute(
            x, baselines=torch.zeros_like(x), target=target, n_steps=ig_steps,
            internal_batch_size=batch_rows,
        )  # fmt: skip
    elif method == "occlusion":
        if x.ndim != 4:
            raise ValueError(f"occlusion needs N×H×W×C images, got shape {tuple(x.shape)}")
        channels = x.shape[-1]
        maps = Occlusion(forward).attribute(
            x, sliding_window_shapes=(occlusion_window, occlusion_window, channels),
            strides=(occlusion_stride, occlusion_stride, channels), baselines=0.0, target=target,
            perturbations_per_eval=max(1, batch_rows // x.shape[0]),
        )  # fmt: skip
    else:
        raise ValueError(f"unknown attribution method {method!r}; allowed: {list(METHODS)}")
    return maps.detach().abs()


def _normalise(maps: torch.Tensor) -> torch.Tensor:
    total = maps.reshape(maps.shape[0], -1).sum(dim=1).reshape(-1, *([1] * (maps.ndim - 1)))
    return torch.where(total > 0, maps / total.clamp_min(1e-300), maps)


def attribution_analysis(
    model: nn.Module,
    reference_model: nn.Module,
    x_raw: np.ndarray,
    *,
    view: str = "pixels",
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    x_decoded: np.ndarray | None = None,
    numpy_forward: Callable[[np.ndarray], np.ndarray] | None = None,
    n_images: int = 64,
    seed: int = 0,
    methods: Sequence[str] = METHODS,
    ig_steps: int = 32,
    batch_rows: int = BATCH_ROWS,
    occlusion_window: int = 4,
    occlusion_stride: int = 2,
    normalize: bool = True,
    n_maps: int = 4,
    reference_arrays: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Compare the attribution maps of ``model`` and ``reference_model`` on a seeded subset of test images.

    ``x_raw``: the raw test images, float N×H×W×C in [0, 1] (the reference's input). ``view``: the model's
    input view ("pixels" or "coefficients"). ``transform``: the codec's ``torch_transform`` (None when not
    differentiable). ``x_decoded``: the decoded test images (pixel view, same N), for non-differentiable
    codecs.
    ``numpy_forward``: raw images → the model's logits, used only for the Occlusion fallback.
    ``batch_rows``: images per forward pass (memory and speed; see :func:`attribute`).
    ``reference_arrays``: the reference's targets and maps from :func:`reference_attributions` with the same
    subset and options (computed here when None).
    Per-image similarities and example maps come back under ``"arrays"``.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(
            f"attribution methods must be a non-empty subset of {list(METHODS)}, got {list(methods)}"
        )
    x_all = as_float_tensor(x_raw)
    if x_all.ndim != 4:
        raise ValueError(f"x_raw must be raw images N×H×W×C, got shape {tuple(x_all.shape)}")
    idx = select_images(x_all.shape[0], n_images, seed)
    x = x_all[idx].contiguous()

    if transform is not None:
        forward, x_model, space, fallback = Composed(model, transform), x, "raw_through_transform", None
    elif view == "pixels" and x_decoded is not None:
        decoded = as_float_tensor(x_decoded)
        if decoded.shape != x_all.shape:
            raise ValueError(
                f"x_decoded must match x_raw's shape {tuple(x_all.shape)} (pixel view on the raw grid), "
                f"got {tuple(decoded.shape)}"
            )
        forward, x_model, space, fallback = model, decoded[idx].contiguous(), "decoded_pixels", None
    elif numpy_forward is not None:
        forward, x_model, space, fallback = NumpyForward(numpy_forward), x, "raw_numpy", "occlusion_numpy"
    elif view == "pixels":
        raise ValueError(
            "attribution of a pixel-view model without a differentiable transform needs x_decoded "
            "(the decoded test images) or numpy_forward"
        )
    else:
        forward, x_model, space, fallback = None, x, "none", "impossible"

    result: dict[str, Any] = {
        "n_images": int(idx.size),
        "image_indices": idx.tolist(),
        "subset_seed": int(seed),
        "target": "reference_prediction",
        "attribution_space": space,
        "fallback": fallback,
        "attribution_possible": forward is not None,
        "normalization": "sum" if normalize else "none",
        "ig_baseline": "zeros",
        "ig_steps": int(ig_steps),
        "occlusion_window": int(occlusion_window),
        "occlusion_stride": int(occlusion_stride),
        "occlusion_baseline": 0.0,
    }
    arrays: dict[str, np.ndarray] = {"image_indices": idx}
    used = [] if forward is None else [m for m in methods if m == "occlusion"] if fallback else list(methods)
    options = dict(
        ig_steps=ig_steps, batch_rows=batch_rows,
        occlusion_window=occlusion_window, occlusion_stride=occlusion_stride,
    )  # fmt: skip
    if reference_arrays is None:
        reference_arrays = reference_attributions(
            reference_model, x_all, n_images=n_images, seed=seed, methods=used, **options
        )
    elif not np.array_equal(reference_arrays["image_indices"], idx):
        raise ValueError("reference_arrays were computed on another image subset (n_images or seed differ)")
    with eval_mode(model, reference_model):
        target = torch.as_tensor(reference_arrays["targets"])
        arrays["targets"] = target.numpy()
        if forward is None:
            result.update(attribution_methods_used=[], target_agreement=None, arrays=arrays)
            return result
        result["attribution_methods_used"] = used
        result["target_agreement"] = float(
            (batched_logits(forward, x_model).argmax(dim=1) == target).double().mean()
        )
        keep = min(n_maps, idx.size)
        for method in used:
            maps = attribute(forward, x_model, target, method, **options)
            ref_maps = torch.as_tensor(reference_arrays[f"{method}_maps"])
            if normalize:
                maps, ref_maps = _normalise(maps), _normalise(ref_maps)
            similarity = weighted_jaccard(maps, ref_maps)
            result[f"{method}_similarity_mean"] = float(similarity.mean())
            result[f"{method}_similarity_median"] = float(np.median(similarity))
            arrays[f"{method}_similarity"] = similarity
            # small per-pixel maps (channels summed) for figures
            arrays[f"{method}_maps"] = maps[:keep].sum(dim=-1).float().numpy()
            arrays[f"{method}_reference_maps"] = ref_maps[:keep].sum(dim=-1).float().numpy()
    if fallback == "occlusion_numpy" and "occlusion" not in used:
        result["attribution_possible"] = False
    result["arrays"] = arrays
    return result


def reference_attributions(
    reference_model: nn.Module,
    x_raw: np.ndarray | torch.Tensor,
    *,
    n_images: int,
    seed: int,
    methods: Sequence[str],
    ig_steps: int = 32,
    batch_rows: int = BATCH_ROWS,
    occlusion_window: int = 4,
    occlusion_stride: int = 2,
) -> dict[str, np.ndarray]:
    """The reference's side of :func:`attribution_analysis`: the image subset, the targets (the reference's
    predicted classes) and its absolute maps per method (``{method}_maps``, not normalised)."""
    x_all = as_float_tensor(x_raw)
    idx = select_images(x_all.shape[0], n_images, seed)
    x = x_all[idx].contiguous()
    options = dict(
        ig_steps=ig_steps, batch_rows=batch_rows,
        occlusion_window=occlusion_window, occlusion_stride=occlusion_stride,
    )  # fmt: skip
    with eval_mode(reference_model):
        target = batched_logits(reference_model, x).argmax(dim=1)
        out = {"image_indices": idx, "targets": target.numpy()}
        for method in methods:
            out[f"{method}_maps"] = attribute(reference_model, x, target, method, **options).numpy()
    return out


def reference_part(reference: nn.Module, x_raw: np.ndarray, settings: Mapping[str, Any]) -> dict:
    """The reference's targets and maps for every configured method (see
    :mod:`~shrinkflow.analysis.reference`)."""
    return reference_attributions(
        reference, x_raw, n_images=settings["n_images"], seed=settings["seed"], methods=settings["methods"],
        ig_steps=settings["ig_steps"], occlusion_window=settings["occlusion_window"],
        occlusion_stride=settings["occlusion_stride"],
    )  # fmt: skip


def run(pair: RunPair, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``attributions`` analysis of a run and its reference on the raw image grid (see the module
    docstring for how the compressed-data model is reached from raw pixels)."""
    from .pairs import numpy_forward, raw_forward

    forward, differentiable = raw_forward(pair)
    return attribution_analysis(
        pair.model,
        pair.reference,
        pair.x_raw,
        view=pair.view,
        transform=forward.transform if differentiable else None,
        x_decoded=pair.x_view if pair.view == "pixels" else None,
        numpy_forward=None if differentiable else numpy_forward(forward),
        n_images=settings["n_images"],
        seed=settings["seed"],
        methods=settings["methods"],
        ig_steps=settings["ig_steps"],
        occlusion_window=settings["occlusion_window"],
        occlusion_stride=settings["occlusion_stride"],
        normalize=settings["normalize"],
        n_maps=settings["n_maps"],
        reference_arrays=pair.reference_part("attributions", settings),
    )
