"""A small mean-squared-error trainer for the teacher–student students, with the trainer's hook seams.

Why not :func:`shrinkflow.training.train`: that trainer is for the registry classifiers (it builds the model
from a registry name with ``Standardize``, takes integer class labels, and its loss and metrics are
cross-entropy and accuracy). The students here are plain tanh MLPs with a real-valued output, so this loop
keeps everything else the same: whole tensors indexed by a seeded permutation per epoch, deterministic
kernels, the hook called in the same order (``wrap_model``, ``setup``, per step ``batch_inputs``,
``loss_term``, ``record_losses``, then ``end_epoch``, ``final_metrics``, ``export_model``), a NaN/inf loss
raising :class:`~shrinkflow.training.TrainingDivergedError`. Defaults are the paper's: Adam, lr 1e-3,
batch 500 (with 300 samples: full batch).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import optim
from ..train_hook import TrainHook
from ..train_utils import deterministic_torch, seed_streams
from ..training import TrainingDivergedError


@dataclass
class RegressionConfig:
    """Settings of :func:`train_regression` (Adam, constant learning rate)."""

    epochs: int = 1000
    batch_size: int = 500
    lr: float = 1e-3
    weight_decay: float = 0.0
    threads: int | None = 1  # a 751-parameter student only loses from more threads (measured, 2 cores)

    def validate(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"regression.{name} must be a positive integer, got {value!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"regression.lr must be a finite number > 0, got {self.lr!r}")
        if self.weight_decay < 0:
            raise ValueError(f"regression.weight_decay must be ≥ 0, got {self.weight_decay!r}")


@dataclass
class RegressionResult:
    """The trained model (CPU, eval mode), one history row per epoch, and the run's metrics."""

    model: nn.Module
    history: pd.DataFrame
    metrics: dict[str, Any]


def _tensor(a: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a, dtype=torch.float32)
    return t.reshape(t.shape[0], -1) if t.ndim == 1 else t


@torch.no_grad()
def mse(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean squared error over every sample and output (whole tensor, eval mode)."""
    was = model.training
    model.eval()
    value = float((model(x) - y).double().square().mean())
    model.train(was)
    return value


def train_regression(
    model: nn.Module,
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    x_val: np.ndarray | torch.Tensor,
    y_val: np.ndarray | torch.Tensor,
    x_test: np.ndarray | torch.Tensor,
    y_test: np.ndarray | torch.Tensor,
    config: RegressionConfig,
    seed: int = 0,
    hook: TrainHook | None = None,
    log: logging.Logger | None = None,
) -> RegressionResult:
    """Train a copy of ``model`` on MSE (mean over samples and outputs) with Adam; ``model`` is unchanged.

    History: per epoch the running training loss (with the hook's term), validation and test MSE. The
    epoch permutations come from ``seed`` (the trainer's order stream), so runs are bit-identical on CPU.
    """
    config.validate()
    log = log or logging.getLogger(__name__)
    hook = hook or TrainHook()
    xt, yt, xv, yv, xs, ys = (_tensor(a) for a in (x_train, y_train, x_val, y_val, x_test, y_test))
    if yt.shape[0] != xt.shape[0]:
        raise ValueError(f"y_train has {yt.shape[0]} rows but x_train has {xt.shape[0]}")
    _, order_seed = seed_streams(seed)
    with deterministic_torch(torch.device("cpu"), config.threads):
        module = hook.wrap_model(copy.deepcopy(model).train())
        optimizer = optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        hook.setup(module, xt, yt)
        order = torch.Generator().manual_seed(order_seed)
        n = xt.shape[0]
        steps = math.ceil(n / config.batch_size)
        rows = []
        for epoch in range(1, config.epochs + 1):
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=order)
            total = 0.0
            for step in range(steps):
                index = perm[step * config.batch_size : (step + 1) * config.batch_size]
                xb = hook.batch_inputs(xt[index], index, epoch)
                yb = yt[index]
                out = module(xb)
                losses = (out - yb).square().reshape(out.shape[0], -1).mean(dim=1)
                loss = losses.mean()
                extra = hook.loss_term(module, xb, yb, out, index, epoch)
                objective = loss if extra is None else loss + extra
                optimizer.zero_grad(set_to_none=True)
                objective.backward()
                optimizer.step()
                value = float(objective.detach())
                if not math.isfinite(value):
                    raise TrainingDivergedError(epoch, step, value, config.lr)
                total += value * index.numel()
                hook.record_losses(index, losses.detach(), epoch)
            seconds = time.perf_counter() - t0
            row = {"epoch": epoch, "train_loss": total / n, "val_mse": mse(module, xv, yv),
                   "test_mse": mse(module, xs, ys), "epoch_seconds": seconds}  # fmt: skip
            row.update(hook.end_epoch(epoch))
            rows.append(row)
        module.eval()
        history = pd.DataFrame(rows)
        metrics = {
            **{f"regression_{k}": v for k, v in asdict(config).items()},
            "n_train": int(n),
            "train_mse": mse(module, xt, yt),
            "val_mse": rows[-1]["val_mse"],
            "test_mse": rows[-1]["test_mse"],
            "train_seconds": float(history["epoch_seconds"].sum()),
            **hook.final_metrics(),
        }
        module = hook.export_model(module)
    log.info("regression: %d epochs, test MSE %.5g", config.epochs, metrics["test_mse"])
    return RegressionResult(module.eval(), history, metrics)
