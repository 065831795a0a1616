"""A fast, deterministic mini-batch trainer for the registry models (``train``; runs on disk: :mod:`.runs`).

Speed: the whole training set is one tensor on the device, indexed by a seeded permutation per epoch; no
per-sample ``Dataset``/``DataLoader`` in the hot loop. Evaluation uses large batches under
``torch.inference_mode()``.

Determinism: model initialisation and the epoch permutations come from ``seed`` alone (two independent
streams derived with ``numpy.random.SeedSequence(seed)``), and training runs under
``torch.use_deterministic_algorithms(True)`` with cuDNN benchmarking off, so the same inputs, config and
seed give bit-identical weights and metrics on CPU. Global torch state changed here (deterministic flag,
cuDNN flags, thread count, RNG) is restored on return. Wall-clock fields are the metrics keys ending in
``_seconds`` or ``_per_second`` (see :func:`without_timings`).

``train`` is a few readable steps (build the model, let the hook wrap it, build the optimizer, then per
epoch :func:`_train_epoch` and an evaluation) with a :class:`TrainHook` at each seam: wrap or reparameterise
the model before the optimizer exists, transform training batches, add a loss term per step, see per-sample
losses, add history columns and metrics. AdaptCompression (:mod:`shrinkflow.adaptive`) is such a hook.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import models, optim
from .train_hook import TrainHook
from .train_utils import (
    RunData,
    as_run_data,
    deterministic_torch,
    evaluate,
    input_statistics,
    per_class_accuracy,
    progress_bar,
    resolve_device,
    seed_streams,
    sync,
)

if TYPE_CHECKING:
    import pandas as pd


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite; ``epoch`` (1-based) and ``step`` (0-based) say where."""

    def __init__(self, epoch: int, step: int, loss: float, lr: float) -> None:
        super().__init__(
            f"training diverged: loss {loss} at epoch {epoch}, step {step} (lr {lr:g}); "
            "lower train.lr or check the inputs for NaN/inf values"
        )
        self.epoch, self.step, self.loss = epoch, step, loss


@dataclass
class TrainConfig:
    """Trainer settings; defaults are the protocol of the "less is more" paper (30 epochs, SGD, batch 128)."""

    epochs: int = 30
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "cosine"  # "cosine" | "constant"
    optimizer: str = "sgd"  # "sgd" | "adam"
    eval_batch_size: int = 1024
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = None  # torch.set_num_threads for the run; None = leave as is
    progress: bool | None = None  # tqdm bar; None = only when stderr is a TTY
    # fixed input normalisation (x − input_mean) / input_std instead of the training set's statistics,
    # e.g. AdaptCompression's mean 0.5, std 0.5 on pixels; None = from the data (both or neither)
    input_mean: float | None = None
    input_std: float | None = None
    # "less is more" scales pixels to [−0.5, 0.5] *before* compressing: the model's input becomes
    # view(x) − view(input_center · 1), the offset given to train() by the caller (the codec computes it)
    input_center: float | None = None

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting out of range and what is allowed."""
        for name in ("epochs", "batch_size", "eval_batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"train.{name} must be a positive integer, got {value!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"train.lr must be a finite number > 0, got {self.lr!r}")
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"train.momentum must be in [0, 1], got {self.momentum!r}")
        if self.weight_decay < 0:
            raise ValueError(f"train.weight_decay must be ≥ 0, got {self.weight_decay!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"train.schedule {self.schedule!r} is unknown; allowed: {sorted(SCHEDULES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"train.optimizer {self.optimizer!r} is unknown; allowed: {sorted(OPTIMIZERS)}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"train.device {self.device!r} is unknown; allowed: ['auto', 'cpu', 'cuda']")
        if (self.input_mean is None) != (self.input_std is None):
            raise ValueError("train.input_mean and train.input_std go together: set both or neither")
        if self.input_std is not None and not self.input_std > 0:
            raise ValueError(f"train.input_std must be > 0, got {self.input_std!r}")
        if self.input_center is not None and not (0 <= self.input_center <= 1):
            raise ValueError(f"train.input_center must be in [0, 1] (pixel range), got {self.input_center!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {self.threads!r}")


@dataclass
class TrainResult:
    """The trained model (on CPU, eval mode), one history row per epoch, and the run's metrics."""

    model: nn.Module
    history: pd.DataFrame
    metrics: dict[str, Any]


# ---- registries ---------------------------------------------------------------------------------


def _cosine(base_lr: float, epoch: int, epochs: int) -> float:
    """Cosine annealing per epoch (Loshchilov & Hutter 2017, no restarts): lr·½(1 + cos(π·e/E)), e = 0…E-1."""
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


SCHEDULES: dict[str, Callable[[float, int, int], float]] = {
    "cosine": _cosine,
    "constant": lambda base_lr, epoch, epochs: base_lr,
}

# weight decay applies to every parameter (biases and BN included), as torch's optimizers do by default;
# shrinkflow.optim's classes are torch's, minus the torch._dynamo import (~0.9 s per training job)
OPTIMIZERS: dict[str, Callable[[list[nn.Parameter], TrainConfig], torch.optim.Optimizer]] = {
    "sgd": lambda params, c: optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay),
    "adam": lambda params, c: optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay),
}




def _build_model(
    model_name: str, input_shape: tuple[int, ...], num_classes: int, init_seed: int, mean: float, std: float,
    offset: torch.Tensor | None = None,
) -> nn.Module:
    """The registry model initialised from ``init_seed`` alone (global RNG state untouched), standardised
    (``offset``: the view of the constant image ``train.input_center``, subtracted first)."""  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        model = models.build(model_name, input_shape, num_classes)
    if offset is not None:
        model.standardize.set_offset(offset)
    model.standardize.set_statistics(mean, std)
    return model


@dataclass
class _EpochStats:
    train_loss: float
    train_accuracy: float
    seconds: float


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: RunData,
    perm: torch.Tensor,
    config: TrainConfig,
    hook: TrainHook,
    epoch: int,
    lr: float,
    bar: Any,
) -> _EpochStats:
    """One pass over the training set in the order ``perm``; raises on a NaN/inf loss (first bad step)."""
    device = data.xt.device
    n = data.xt.shape[0]
    steps = math.ceil(n / config.batch_size)
    model.train()
    step_losses = torch.zeros(steps, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    sync(device)
    t0 = time.perf_counter()
    for step in range(steps):
        index = perm[step * config.batch_size : (step + 1) * config.batch_size]
        xb = hook.batch_inputs(data.xt[index], index, epoch)
        yb = data.yt[index]
        logits = model(xb)
        losses = F.cross_entropy(logits, yb, reduction="none")
        loss = losses.mean()
        extra = hook.loss_term(model, xb, yb, logits, index, epoch)
        total = loss if extra is None else loss + extra
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        step_losses[step] = total.detach()
        correct += (logits.detach().argmax(dim=1) == yb).sum()
        hook.record_losses(index, losses.detach(), epoch)
        if bar is not None:
            bar.update()
    finite = torch.isfinite(step_losses)
    if not bool(finite.all()):
        bad = int((~finite).nonzero()[0])
        raise TrainingDivergedError(epoch, bad, float(step_losses[bad]), lr)
    # a batch's mean loss weighted by its size gives the epoch's per-sample mean
    sizes = torch.full((steps,), float(config.batch_size), device=device)
    sizes[-1] = n - (steps - 1) * config.batch_size
    train_loss = float((step_losses.double() * sizes.double()).sum()) / n
    sync(device)
    return _EpochStats(train_loss, int(correct) / n, time.perf_counter() - t0)


def _run_metrics(
    model_name: str, model: nn.Module, data: RunData, num_classes: int, config: TrainConfig, seed: int,
    device: torch.device, history: pd.DataFrame, pred: torch.Tensor, mean: float, std: float,
) -> dict[str, Any]:
    """metrics.json of a run (before the caller adds the run's identity and storage)."""  # fmt: skip
    n = int(data.xt.shape[0])
    train_seconds = float(history["epoch_seconds"].sum())
    last = history.to_dict("records")[-1]
    cfg = asdict(config)
    cfg.pop("progress")
    for key in ("input_mean", "input_std"):  # recorded as input_mean/input_std below
        cfg.pop(key)
    return {
        "model": model_name,
        "input_shape": list(data.input_shape),
        "num_classes": int(num_classes),
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "seed": int(seed),
        "n_train": n,
        "n_test": int(data.xv.shape[0]),
        "test_accuracy": last["test_accuracy"],
        "test_loss": last["test_loss"],
        "train_accuracy": last["train_accuracy"],
        "train_loss": last["train_loss"],
        "per_class_accuracy": per_class_accuracy(pred.cpu().numpy(), data.yv.cpu().numpy(), num_classes),
        "input_mean": mean,
        "input_std": std,
        **{k: v for k, v in cfg.items() if k != "device"},
        "device_requested": config.device,
        "device": str(device),
        "torch_version": torch.__version__,
        "train_seconds": train_seconds,
        "eval_seconds": float(history["eval_seconds"].sum()),
        "samples_per_second": n * config.epochs / train_seconds if train_seconds > 0 else None,
    }


def train(
    model_name: str,
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    x_test: np.ndarray | torch.Tensor,
    y_test: np.ndarray | torch.Tensor,
    num_classes: int,
    config: TrainConfig,
    seed: int,
    log: logging.Logger | None = None,
    hook: TrainHook | None = None,
    input_offset: np.ndarray | torch.Tensor | None = None,
) -> TrainResult:
    """Train ``models.build(model_name, x_train.shape[1:], num_classes)`` with cross-entropy.

    Inputs are float32 N × view shape (channels-last, as decoded), labels integer class ids. The model's
    ``Standardize`` buffers are set to the training set's scalar mean/std first (or to ``config.input_mean``
    / ``input_std`` when given). Each epoch visits the
    training set in a fresh seeded permutation (the last batch may be short); the learning rate follows
    ``config.schedule`` per epoch. ``train_loss``/``train_accuracy`` are running means over the epoch's
    steps (weights changing; the loss includes the hook's ``loss_term``); test metrics are computed after
    each epoch in eval mode. A NaN/inf batch loss raises :class:`TrainingDivergedError` at the end of that
    epoch, naming the first bad step. ``hook`` (:class:`TrainHook`) may wrap the model before the optimizer
    is built, change batches, add a loss term and add history columns and metrics. ``input_offset`` (one
    sample's view shape) is the view of the constant image ``config.input_center``: the model subtracts it
    from every input (see :class:`shrinkflow.models.Standardize`); required exactly when that is set.
    """
    config.validate()
    if (config.input_center is None) != (input_offset is None):
        raise ValueError(
            "train.input_center and the input_offset argument go together: the offset is the codec's view "
            "of the constant image input_center (shrinkflow.compress.view_offset)"
        )
    log = log or logging.getLogger(__name__)
    device = resolve_device(config.device)
    data = as_run_data(x_train, y_train, x_test, y_test, num_classes)
    hook = hook or TrainHook()
    init_seed, order_seed = seed_streams(seed)

    offset = None if input_offset is None else torch.as_tensor(input_offset, dtype=torch.float32)
    if offset is not None and tuple(offset.shape) != data.input_shape:
        raise ValueError(f"input_offset has shape {tuple(offset.shape)}, the inputs {data.input_shape}")
    with deterministic_torch(device, config.threads):
        if config.input_mean is None:
            mean, std = input_statistics(data.xt, offset=offset)
        else:
            mean, std = float(config.input_mean), float(config.input_std)
        model = _build_model(model_name, data.input_shape, num_classes, init_seed, mean, std, offset)
        model = model.to(device)
        data = data.to(device)
        model = hook.wrap_model(model)
        optimizer = OPTIMIZERS[config.optimizer](list(model.parameters()), config)
        schedule = SCHEDULES[config.schedule]
        order = torch.Generator().manual_seed(order_seed)
        hook.setup(model, data.xt, data.yt)

        n = data.xt.shape[0]
        steps = math.ceil(n / config.batch_size)
        rows: list[dict[str, Any]] = []
        bar = progress_bar(config.progress, config.epochs * steps, f"train {model_name}")
        log.info(
            "training %s on %s: %d train / %d test samples of shape %s, %d epochs × %d steps, seed %d",
            model_name, device, n, data.xv.shape[0], data.input_shape, config.epochs, steps, seed,
        )  # fmt: skip
        pred = torch.empty(0)
        try:
            for epoch in range(1, config.epochs + 1):
                lr = schedule(config.lr, epoch - 1, config.epochs)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                perm = torch.randperm(n, generator=order).to(device)
                stats = _train_epoch(model, optimizer, data, perm, config, hook, epoch, lr, bar)
                t1 = time.perf_counter()
                test_loss, test_accuracy, pred = evaluate(model, data.xv, data.yv, config.eval_batch_size)
                sync(device)
                eval_seconds = time.perf_counter() - t1
                extra = hook.end_epoch(epoch)
                rows.append(
                    {
                        "epoch": epoch,
                        "train_loss": stats.train_loss,
                        "train_accuracy": stats.train_accuracy,
                        "test_loss": test_loss,
                        "test_accuracy": test_accuracy,
                        "lr": lr,
                        "epoch_seconds": stats.seconds,
                        "eval_seconds": eval_seconds,
                        **extra,
                    }
                )
                log.info(
                    "epoch %d/%d: lr %.4g, train loss %.4f acc %.4f, test loss %.4f acc %.4f, "
                    "%.2f s + eval %.2f s%s",
                    epoch, config.epochs, lr, stats.train_loss, stats.train_accuracy, test_loss,
                    test_accuracy, stats.seconds, eval_seconds,
                    "".join(f", {k} {v:.4g}" for k, v in extra.items()),
                )  # fmt: skip
        finally:
            if bar is not None:
                bar.close()

        model.to("cpu").eval()
        import pandas as pd  # here, not at the top: the analyses import this module and need no pandas

        history = pd.DataFrame(rows)
        metrics = _run_metrics(
            model_name, model, data, num_classes, config, seed, device, history, pred, mean, std
        )
        metrics.update(hook.final_metrics())
        model = hook.export_model(model)
    return TrainResult(model=model, history=history, metrics=metrics)
