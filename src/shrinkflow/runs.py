"""A trained run on disk: write its three files, load its model back, predict with it.

``save_run`` writes ``model.pt`` (a state_dict), ``history.csv`` and ``metrics.json`` atomically, metrics
last, so a complete ``metrics.json`` marks a complete run; ``load_model`` rebuilds the registry model for
the saved weights (``weights_only=True``); ``predict`` gives logits in large batches.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn

from . import models
from .artifacts import atomic_path, write_json
from .train_utils import as_inputs
from .training import TrainResult


@torch.inference_mode()
def predict(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Logits (float32 N × classes) of ``model`` on ``x`` in eval mode, ``batch_size`` rows at a time."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    xt = as_inputs(x)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        out = [
            model(xt[i : i + batch_size].to(device)).float().cpu() for i in range(0, xt.shape[0], batch_size)
        ]
    finally:
        model.train(was_training)
    if not out:
        raise ValueError("cannot predict on an empty input (0 rows)")
    return torch.cat(out).numpy()


def save_run(
    result: TrainResult,
    metrics: dict[str, Any],
    model_path: str | os.PathLike,
    history_path: str | os.PathLike,
    metrics_path: str | os.PathLike,
) -> None:
    """Write a run's three outputs, each atomically; metrics.json last, so it marks a complete run."""
    with atomic_path(model_path, suffix=".pt") as tmp:
        # through a file handle: torch.save names the zip's inner folder after a path it is given, which
        # would put the random temporary name into the bytes (the same run must give the same file)
        with open(tmp, "wb") as fh:
            torch.save(result.model.state_dict(), fh)
    with atomic_path(history_path, suffix=".csv") as tmp:
        result.history.to_csv(tmp, index=False)
    write_json(metrics_path, metrics)


def load_model(
    name: str, input_shape: tuple[int, ...], num_classes: int, state_dict_path: str | os.PathLike
) -> nn.Module:
    """Model ``name`` with the state_dict saved by the train rule (``weights_only=True`` load), eval mode."""
    model = models.build(name, input_shape, num_classes)
    state = torch.load(state_dict_path, map_location="cpu", weights_only=True)
    if "standardize.input_offset" in state:  # a run trained with train.input_center
        model.standardize.set_offset(state["standardize.input_offset"])
    model.load_state_dict(state)
    return model.eval()
