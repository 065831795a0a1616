"""Cross-compression robustness: how does a model trained on raw data fare on compressed test sets?

The reference model is evaluated on the test set as decoded by each codec and level; the tidy rows
(method, level, model, seed, accuracy) feed the tables of :mod:`shrinkflow.analysis.drops` (accuracy drops
and BatchNorm amplification; pandas only, so table jobs need no torch) and the robustness figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

from ._common import BATCH_ROWS, batched_logits, eval_mode
from .drops import ROW_COLUMNS, accuracy_drops, batchnorm_amplification  # noqa: F401 - re-exported


def accuracy_on(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    x_decoded: np.ndarray,
    labels: np.ndarray,
    batch_size: int = BATCH_ROWS,
) -> float:
    """Top-1 accuracy of ``model`` on decoded inputs (float32, the model's view) with integer ``labels``."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1 or labels.shape[0] != np.shape(x_decoded)[0]:
        raise ValueError(
            f"labels must be 1-D with one entry per image ({np.shape(x_decoded)[0]}), "
            f"got shape {labels.shape}"
        )
    with eval_mode(model):
        pred = batched_logits(model, x_decoded, batch_size).argmax(dim=1).numpy()
    return float(np.mean(pred == labels))


def robustness_rows(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    test_sets: Mapping[tuple[str, str], np.ndarray] | Iterable[tuple[str, str, np.ndarray]],
    labels: np.ndarray,
    model_name: str,
    seed: int,
    batch_size: int = BATCH_ROWS,
) -> list[dict[str, Any]]:
    """One tidy row per decoded test set: ``{method, level, model, seed, accuracy}``.

    ``test_sets`` maps (method, level) to the decoded test images, or yields (method, level, images) so that
    a caller can decode one set at a time and keep memory flat.
    """
    items = test_sets.items() if isinstance(test_sets, Mapping) else ((k[:2], k[2]) for k in test_sets)
    rows = []
    for (method, level), x_decoded in items:
        accuracy = accuracy_on(model, x_decoded, labels, batch_size)
        rows.append(
            {
                "method": str(method),
                "level": str(level),
                "model": model_name,
                "seed": int(seed),
                "accuracy": accuracy,
            }
        )
    return rows
