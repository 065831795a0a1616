"""Small helpers shared by the analyses: evaluation mode, batched forward passes, input validation."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import nn

#: rows per forward pass: on CPU, batches of a few hundred images keep activations in cache (measured with
#: benchmarks/bench_analysis.py: a 1D CNN runs ~3× slower per image at 1,024 rows than at 256)
BATCH_ROWS = 256

#: a model or any callable from a float32 tensor (N × input shape) to logits N × classes
ForwardFn = Callable[[torch.Tensor], torch.Tensor]


@contextlib.contextmanager
def eval_mode(*modules: object) -> Iterator[None]:
    """Put every ``nn.Module`` among ``modules`` in eval mode and restore its previous mode afterwards.

    Analyses must not see dropout or update BatchNorm statistics, and must not leave a caller's model
    silently switched.
    """
    nets = [m for m in modules if isinstance(m, nn.Module)]
    was_training = [m.training for m in nets]
    for m in nets:
        m.eval()
    try:
        yield
    finally:
        for m, flag in zip(nets, was_training, strict=True):
            m.train(flag)


def as_float_tensor(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A float32 tensor view of ``x`` (no copy when it already is one)."""
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)


@torch.no_grad()
def batched_logits(fn: ForwardFn, x: np.ndarray | torch.Tensor, batch_size: int = BATCH_ROWS) -> torch.Tensor:
    """Logits of ``fn`` on ``x`` in chunks of ``batch_size`` rows (bounds activation memory)."""
    x = as_float_tensor(x)
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    outs = [torch.as_tensor(fn(x[i : i + batch_size])).float() for i in range(0, x.shape[0], batch_size)]
    if not outs:
        raise ValueError("cannot evaluate a model on an empty input (0 rows)")
    return torch.cat(outs)


def check_2d(name: str, a: np.ndarray, rows: int | None = None) -> np.ndarray:
    """``a`` as a 2-D array, or a ValueError naming ``name``, the shape found and the shape wanted."""
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N × columns), got shape {a.shape}")
    if rows is not None and a.shape[0] != rows:
        raise ValueError(f"{name} has {a.shape[0]} rows but {rows} were expected (one per test image)")
    return a


class Composed(nn.Module):
    """``model(transform(x))`` as one module, so Captum differentiates through the codec's transform."""

    def __init__(self, model: nn.Module, transform: Callable[[torch.Tensor], torch.Tensor] | None = None):
        super().__init__()
        self.model = model
        self.transform = transform

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(self.transform(x) if self.transform is not None else x)
