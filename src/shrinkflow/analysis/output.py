"""Output-level correctness: does the model trained on compressed data predict like the reference?

The reference ``f`` is the model of the same dataset, architecture and seed trained on raw data; ``f̃`` is the
model trained on compressed data. Besides accuracy and the confusion matrix, we measure top-1 agreement with
``f`` and the misclassification cost of the correctness-preserving view,

    Δ_{μ,d}(f̃, f) = Σ_x μ(x) · d(f̃(x), f(x)),

with a probability measure μ over test images (uniform unless weights are given) and a class-distance
matrix d (0 on the diagonal). With the 0/1 distance Δ is the disagreement rate 1 − agreement; a two-level d
charges confusions across semantic groups (animal ↔ vehicle on CIFAR-10) more than within a group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import check_2d

if TYPE_CHECKING:
    from torch import nn

    from .pairs import RunPair

DISTANCE_KINDS = ("zero_one", "two_level")

#: CIFAR-10 class order (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck) → group id:
#: 1 for the vehicles (airplane, automobile, ship, truck), 0 for the animals
CIFAR10_GROUPS: tuple[int, ...] = (1, 1, 0, 0, 0, 0, 0, 0, 1, 1)


def class_distance_matrix(
    kind: str,
    num_classes: int,
    groups: Sequence[int] | None = None,
    within: float = 1.0,
    across: float = 2.0,
) -> np.ndarray:
    """Class-distance matrix d (num_classes × num_classes, float64, zero diagonal).

    ``zero_one``: d(a, b) = 1 for a ≠ b. ``two_level``: d(a, b) = ``within`` when a ≠ b share a group,
    ``across`` otherwise; ``groups`` gives a group id per class and defaults to :data:`CIFAR10_GROUPS`
    (animals vs vehicles) when ``num_classes`` is 10.
    """
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer ≥ 2, got {num_classes!r}")
    off_diagonal = ~np.eye(num_classes, dtype=bool)
    if kind == "zero_one":
        return off_diagonal.astype(np.float64)
    if kind != "two_level":
        raise ValueError(f"unknown class distance kind {kind!r}; allowed: {list(DISTANCE_KINDS)}")
    if groups is None:
        if num_classes != len(CIFAR10_GROUPS):
            raise ValueError(
                f"two_level distance needs `groups` (one group id per class) for {num_classes} classes; "
                f"the built-in default (CIFAR-10 animals vs vehicles) has {len(CIFAR10_GROUPS)}"
            )
        groups = CIFAR10_GROUPS
    g = np.asarray(groups)
    if g.shape != (num_classes,):
        raise ValueError(f"groups must list one group id per class ({num_classes}), got {len(g)} entries")
    if not 0 <= within <= across:
        raise ValueError(
            f"two_level costs must satisfy 0 ≤ within ≤ across, got within={within}, across={across}"
        )
    same = g[:, None] == g[None, :]
    return np.where(same, within, across) * off_diagonal


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts C[i, j] of items with true class i predicted as j (int64, one bincount)."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    for name, a in (("labels", true), ("predictions", predicted)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"{name} must lie in 0..{num_classes - 1}, found {a.min()}..{a.max()}")
    flat = np.bincount(true * num_classes + predicted, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def misclassification_cost(
    predicted: np.ndarray,
    reference: np.ndarray,
    distance: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """Δ_{μ,d}(f̃, f) = Σ_x μ(x)·d(f̃(x), f(x)); μ uniform if ``weights`` is None, else summing to 1."""
    predicted = np.asarray(predicted, dtype=np.int64)
    reference = np.asarray(reference, dtype=np.int64)
    if predicted.shape != reference.shape or predicted.ndim != 1:
        raise ValueError(
            f"predictions must be two 1-D arrays of equal length, got {predicted.shape} and {reference.shape}"
        )
    mu = _measure(weights, predicted.size)
    return float(np.dot(mu, np.asarray(distance, dtype=np.float64)[predicted, reference]))


def _measure(weights: np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError(
            f"weights must be {n} finite non-negative numbers with a positive sum, got shape {w.shape}"
        )
    return w / w.sum()


def _per_class_accuracy(confusion: np.ndarray) -> list[float | None]:
    support = confusion.sum(axis=1)
    hits = np.diag(confusion)
    # a class absent from the test set has no accuracy: None (JSON null), not NaN
    return [float(h / s) if s else None for h, s in zip(hits, support, strict=True)]


def output_analysis(
    logits: np.ndarray,
    reference_logits: np.ndarray,
    labels: np.ndarray,
    distance: str | np.ndarray = "zero_one",
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """Output-level comparison of a model with its reference on the same test images.

    ``logits`` and ``reference_logits`` are N × classes, ``labels`` N ints; ``distance`` is a kind for
    :func:`class_distance_matrix` (with its defaults) or a ready matrix; ``weights`` define μ (uniform if
    None). JSON-able keys; per-image arrays under ``"arrays"``: ``predictions``, ``reference_predictions``,
    ``agree``.
    """
    logits = check_2d("logits", logits)
    n, num_classes = logits.shape
    reference_logits = check_2d("reference_logits", reference_logits, rows=n)
    if reference_logits.shape[1] != num_classes:
        raise ValueError(
            f"reference_logits has {reference_logits.shape[1]} classes, logits has {num_classes}: "
            "compare models of the same dataset"
        )
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (n,):
        raise ValueError(f"labels must be a 1-D array of {n} class ids, got shape {labels.shape}")
    if isinstance(distance, str):
        distance_kind, d = distance, class_distance_matrix(distance, num_classes)
    else:
        distance_kind, d = "custom", np.asarray(distance, dtype=np.float64)
    if d.shape != (num_classes, num_classes):
        raise ValueError(f"distance matrix must be {num_classes}×{num_classes}, got {d.shape}")

    pred = logits.argmax(axis=1)
    ref_pred = reference_logits.argmax(axis=1)
    confusion = confusion_matrix(labels, pred, num_classes)
    ref_confusion = confusion_matrix(labels, ref_pred, num_classes)
    agree = pred == ref_pred
    mu = _measure(weights, n)
    return {
        "n_test": int(n),
        "num_classes": int(num_classes),
        "accuracy": float(np.mean(pred == labels)),
        "reference_accuracy": float(np.mean(ref_pred == labels)),
        "per_class_accuracy": _per_class_accuracy(confusion),
        "reference_per_class_accuracy": _per_class_accuracy(ref_confusion),
        "confusion_matrix": confusion.tolist(),
        # rows: reference prediction, columns: this model's prediction
        "prediction_matrix": confusion_matrix(ref_pred, pred, num_classes).tolist(),
        "agreement": float(np.mean(agree)),
        "distance_kind": distance_kind,
        "distance_matrix": d.tolist(),
        "misclassification_cost": misclassification_cost(pred, ref_pred, d, mu),
        # costs against the true labels, for scale: what Δ would be if the reference were perfect
        "label_cost": misclassification_cost(pred, labels, d, mu),
        "reference_label_cost": misclassification_cost(ref_pred, labels, d, mu),
        "arrays": {"predictions": pred, "reference_predictions": ref_pred, "agree": agree},
    }


def reference_part(reference: nn.Module, x_raw: np.ndarray, settings: Mapping[str, Any]) -> dict:
    """The reference's logits on the raw test images (see :mod:`~shrinkflow.analysis.reference`)."""
    from ..runs import predict

    return {"logits": predict(reference, x_raw)}


def run(pair: RunPair, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``output`` analysis of a run and its reference (``analysis.output`` settings of the config)."""
    kind = settings["distance"]
    distance = class_distance_matrix(
        kind, pair.num_classes, within=settings["two_level_within"], across=settings["two_level_across"]
    )
    logits, _ = pair.model_outputs()
    reference_logits = pair.reference_part("output", settings)["logits"]
    result = output_analysis(logits, reference_logits, pair.labels, distance=distance)
    result["distance"] = kind
    return result
