"""A fast, deterministic mini-batch trainer for the registry models (``train``); ``predict``, ``load_model``.

Speed: the whole training set is one tensor on the device, indexed by a seeded permutation per epoch; no
per-sample ``Dataset``/``DataLoader`` in the hot loop. Evaluation uses large batches under
``torch.inference_mode()``.

Determinism: model initialisation and the epoch permutations come from ``seed`` alone (two independent
streams derived with ``numpy.random.SeedSequence(seed)``), and training runs under
``torch.use_deterministic_algorithms(True)`` with cuDNN benchmarking off, so the same inputs, config and
seed give bit-identical weights and metrics on CPU. Global torch state changed here (deterministic flag,
cuDNN flags, thread count, RNG) is restored on return. Wall-clock fields are the metrics keys ending in
``_seconds`` or ``_per_second`` (see :func:`without_timings`).

``train`` accepts a :class:`TrainHook` that can transform each training batch, see per-sample losses and
add per-epoch history columns; the AdaptCompression mode (:mod:`shrinkflow.adaptive`) is such a hook.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from . import models


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
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {self.threads!r}")


@dataclass
class TrainResult:
    """The trained model (on CPU, eval mode), one history row per epoch, and the run's metrics."""

    model: nn.Module
    history: pd.DataFrame
    metrics: dict[str, Any]


class TrainHook:
    """Per-epoch behaviour plugged into :func:`train`; every method's default does nothing.

    Called in this order: ``setup`` once; per epoch ``batch_inputs`` and ``record_losses`` for every
    training batch, then ``end_epoch``; ``final_metrics`` once after the last epoch.
    """

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        """Receive the model and the training tensors (all on the training device) before the first epoch."""

    def batch_inputs(self, x: torch.Tensor, index: torch.Tensor, epoch: int) -> torch.Tensor:
        """The batch the model trains on, given the stored batch ``x`` = x_train[index]; 1-based epoch."""
        return x

    def record_losses(self, index: torch.Tensor, losses: torch.Tensor, epoch: int) -> None:
        """Per-sample training losses (detached) of the samples ``index`` in this step."""

    def end_epoch(self, epoch: int) -> dict[str, float]:
        """Extra history columns for this epoch."""
        return {}

    def final_metrics(self) -> dict[str, Any]:
        """Extra metrics for the run."""
        return {}


# ---- registries ---------------------------------------------------------------------------------


def _cosine(base_lr: float, epoch: int, epochs: int) -> float:
    """Cosine annealing per epoch (Loshchilov & Hutter 2017, no restarts): lr·½(1 + cos(π·e/E)), e = 0…E-1."""
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


SCHEDULES: dict[str, Callable[[float, int, int], float]] = {
    "cosine": _cosine,
    "constant": lambda base_lr, epoch, epochs: base_lr,
}

# weight decay applies to every parameter (biases and BN included), as torch's optimizers do by default
OPTIMIZERS: dict[str, Callable[[list[nn.Parameter], TrainConfig], torch.optim.Optimizer]] = {
    "sgd": lambda params, c: torch.optim.SGD(
        params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
    ),
    "adam": lambda params, c: torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay),
}


# ---- helpers ------------------------------------------------------------------------------------


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                "train.device is 'cuda' but no CUDA device is available to torch "
                f"{torch.__version__}; use device 'auto' or 'cpu'"
            )
        return torch.device("cuda")
    if name == "cpu":
        return torch.device("cpu")
    raise ValueError(f"train.device {name!r} is unknown; allowed: ['auto', 'cpu', 'cuda']")


def without_timings(metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` without wall-clock fields (keys ending in ``_seconds`` or ``_per_second``)."""
    return {k: v for k, v in metrics.items() if not k.endswith(("_seconds", "_per_second"))}


@contextlib.contextmanager
def _deterministic_torch(device: torch.device, threads: int | None) -> Iterator[None]:
    """Deterministic kernels, no cuDNN autotuning and ``threads`` torch threads; all restored afterwards.

    On CUDA, cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` for reproducible matmuls (set to ``:4096:8`` when
    unset), and ops without a deterministic CUDA kernel warn instead of failing.
    """
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.get_num_threads(),
    )
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[2], saved[3]
        if threads is not None:
            torch.set_num_threads(saved[4])


def _seeds(seed: int) -> tuple[int, int]:
    """Two independent 63-bit seeds (model init, epoch permutations) from one user seed."""
    init, order = np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint64)
    return int(init) >> 1, int(order) >> 1


def _as_inputs(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A float32 CPU tensor sharing memory with ``x`` when it already is contiguous float32."""
    if isinstance(x, torch.Tensor):
        return x.detach().to(dtype=torch.float32)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def _check_data(x_train, y_train, x_test, y_test, num_classes: int) -> None:
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.shape[0] == 0:
            raise ValueError(f"the {split} split is empty")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(
                f"y_{split} must be 1-D with one label per row of x_{split} ({x.shape[0]}), "
                f"got shape {tuple(y.shape)}"
            )
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"y_{split} has labels in [{lo}, {hi}] but num_classes is {num_classes}")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"train and test samples differ in shape: {tuple(x_train.shape[1:])} vs {tuple(x_test.shape[1:])}"
        )


def input_statistics(x: torch.Tensor, chunk_rows: int = 4096) -> tuple[float, float]:
    """Mean and (population) standard deviation over every value of ``x``, two passes in float64 chunks.

    Chunking keeps the peak extra memory at one chunk rather than a float64 copy of the whole set.
    """
    n = x.numel()
    total = sum(float(x[i : i + chunk_rows].double().sum()) for i in range(0, x.shape[0], chunk_rows))
    mean = total / n
    sq = sum(
        float((x[i : i + chunk_rows].double() - mean).square().sum())
        for i in range(0, x.shape[0], chunk_rows)
    )
    return mean, math.sqrt(sq / n)


def _progress_bar(enabled: bool | None, total: int, desc: str):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the bar is a convenience; training does not depend on it
        return None
    return tqdm(total=total, desc=desc, unit="step", leave=False, file=sys.stderr)


@torch.inference_mode()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> tuple[float, float, torch.Tensor]:
    """(mean loss, accuracy, predicted classes) of ``model`` on ``x``/``y`` in eval mode, in large batches."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    preds = []
    for i in range(0, x.shape[0], batch_size):
        logits = model(x[i : i + batch_size])
        loss_sum += F.cross_entropy(logits, y[i : i + batch_size], reduction="sum").double()
        preds.append(logits.argmax(dim=1))
    model.train(was_training)
    pred = torch.cat(preds)
    return float(loss_sum) / x.shape[0], float((pred == y).double().mean()), pred


def _per_class_accuracy(pred: np.ndarray, y: np.ndarray, num_classes: int) -> list[float | None]:
    """Accuracy per true class; None for a class absent from the test set (JSON has no NaN)."""
    counts = np.bincount(y, minlength=num_classes)
    correct = np.bincount(y[pred == y], minlength=num_classes)
    return [float(c / n) if n else None for c, n in zip(correct, counts, strict=True)]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ---- training -----------------------------------------------------------------------------------


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
) -> TrainResult:
    """Train ``models.build(model_name, x_train.shape[1:], num_classes)`` with cross-entropy.

    Inputs are float32 N × view shape (channels-last, as decoded), labels integer class ids. The model's
    ``Standardize`` buffers are set to the training set's scalar mean/std first. Each epoch visits the
    training set in a fresh seeded permutation (the last batch may be short); the learning rate follows
    ``config.schedule`` per epoch. ``train_loss``/``train_accuracy`` are running means over the epoch's
    steps (weights changing); test metrics are computed after each epoch in eval mode. A NaN/inf batch
    loss raises :class:`TrainingDivergedError` at the end of that epoch, naming the first bad step.
    """
    config.validate()
    log = log or logging.getLogger(__name__)
    device = resolve_device(config.device)
    xt, xv = _as_inputs(x_train), _as_inputs(x_test)
    yt = torch.as_tensor(np.asarray(y_train) if not isinstance(y_train, torch.Tensor) else y_train).long()
    yv = torch.as_tensor(np.asarray(y_test) if not isinstance(y_test, torch.Tensor) else y_test).long()
    _check_data(xt, yt, xv, yv, num_classes)
    input_shape = tuple(int(s) for s in xt.shape[1:])
    hook = hook or TrainHook()
    init_seed, order_seed = _seeds(seed)

    with _deterministic_torch(device, config.threads):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            model = models.build(model_name, input_shape, num_classes)
        mean, std = input_statistics(xt)
        model.standardize.set_statistics(mean, std)
        model.to(device)
        xt, yt, xv, yv = (t.to(device) for t in (xt, yt, xv, yv))
        optimizer = OPTIMIZERS[config.optimizer](list(model.parameters()), config)
        schedule = SCHEDULES[config.schedule]
        order = torch.Generator().manual_seed(order_seed)
        hook.setup(model, xt, yt)

        n = xt.shape[0]
        steps = math.ceil(n / config.batch_size)
        rows: list[dict[str, Any]] = []
        bar = _progress_bar(config.progress, config.epochs * steps, f"train {model_name}")
        log.info(
            "training %s on %s: %d train / %d test samples of shape %s, %d epochs × %d steps, seed %d",
            model_name, device, n, xv.shape[0], input_shape, config.epochs, steps, seed,
        )  # fmt: skip
        pred = torch.empty(0)
        try:
            for epoch in range(1, config.epochs + 1):
                lr = schedule(config.lr, epoch - 1, config.epochs)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                model.train()
                step_losses = torch.zeros(steps, device=device)
                correct = torch.zeros((), dtype=torch.int64, device=device)
                _sync(device)
                t0 = time.perf_counter()
                perm = torch.randperm(n, generator=order).to(device)
                for step in range(steps):
                    index = perm[step * config.batch_size : (step + 1) * config.batch_size]
                    xb = hook.batch_inputs(xt[index], index, epoch)
                    yb = yt[index]
                    logits = model(xb)
                    losses = F.cross_entropy(logits, yb, reduction="none")
                    loss = losses.mean()
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    step_losses[step] = loss.detach()
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
                train_accuracy = int(correct) / n
                _sync(device)
                epoch_seconds = time.perf_counter() - t0

                t1 = time.perf_counter()
                test_loss, test_accuracy, pred = evaluate(model, xv, yv, config.eval_batch_size)
                _sync(device)
                eval_seconds = time.perf_counter() - t1
                extra = hook.end_epoch(epoch)
                row = {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "train_accuracy": train_accuracy,
                    "test_loss": test_loss,
                    "test_accuracy": test_accuracy,
                    "lr": lr,
                    "epoch_seconds": epoch_seconds,
                    "eval_seconds": eval_seconds,
                    **extra,
                }
                rows.append(row)
                log.info(
                    "epoch %d/%d: lr %.4g, train loss %.4f acc %.4f, test loss %.4f acc %.4f, "
                    "%.2f s + eval %.2f s%s",
                    epoch, config.epochs, lr, train_loss, train_accuracy, test_loss, test_accuracy,
                    epoch_seconds, eval_seconds, "".join(f", {k} {v:.4g}" for k, v in extra.items()),
                )  # fmt: skip
        finally:
            if bar is not None:
                bar.close()

        model.to("cpu").eval()
        history = pd.DataFrame(rows)
        train_seconds = float(history["epoch_seconds"].sum())
        last = rows[-1]
        cfg = asdict(config)
        cfg.pop("progress")
        metrics: dict[str, Any] = {
            "model": model_name,
            "input_shape": list(input_shape),
            "num_classes": int(num_classes),
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "seed": int(seed),
            "n_train": int(n),
            "n_test": int(xv.shape[0]),
            "test_accuracy": last["test_accuracy"],
            "test_loss": last["test_loss"],
            "train_accuracy": last["train_accuracy"],
            "train_loss": last["train_loss"],
            "per_class_accuracy": _per_class_accuracy(pred.cpu().numpy(), yv.cpu().numpy(), num_classes),
            "input_mean": mean,
            "input_std": std,
            **{k: v for k, v in cfg.items() if k != "device"},
            "device_requested": config.device,
            "device": str(device),
            "torch_version": torch.__version__,
            "train_seconds": train_seconds,
            "eval_seconds": float(history["eval_seconds"].sum()),
            "samples_per_second": n * config.epochs / train_seconds if train_seconds > 0 else None,
            **hook.final_metrics(),
        }
    return TrainResult(model=model, history=history, metrics=metrics)


# ---- analysis-stage helpers ----------------------------------------------------------------------


@torch.inference_mode()
def predict(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Logits (float32 N × classes) of ``model`` on ``x`` in eval mode, ``batch_size`` rows at a time."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    xt = _as_inputs(x)
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
    from .artifacts import atomic_path, write_json

    with atomic_path(model_path, suffix=".pt") as tmp:
        torch.save(result.model.state_dict(), tmp)
    with atomic_path(history_path, suffix=".csv") as tmp:
        result.history.to_csv(tmp, index=False)
    write_json(metrics_path, metrics)


def load_model(
    name: str, input_shape: tuple[int, ...], num_classes: int, state_dict_path: str | os.PathLike
) -> nn.Module:
    """Model ``name`` with the state_dict saved by the train rule (``weights_only=True`` load), eval mode."""
    model = models.build(name, input_shape, num_classes)
    state = torch.load(state_dict_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()
