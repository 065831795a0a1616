"""Building blocks of the trainer that do not depend on the training loop: device choice, deterministic
torch settings, seed streams, input checks and statistics, evaluation, per-class accuracy, progress bar."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


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


def _set_deterministic_algorithms(mode: bool, warn_only: bool) -> None:
    """``torch.use_deterministic_algorithms`` without its import of ``torch._inductor`` (which imports
    ``torch._dynamo``: ~1 s per job here). Besides the kernel flag, the public function sets inductor's
    ``deterministic`` option, which only ``torch.compile`` reads; shrinkflow never compiles. Once inductor is
    loaded (by anyone), the public function is called."""
    set_flag = getattr(torch._C, "_set_deterministic_algorithms", None)
    if "torch._inductor.config" in sys.modules or set_flag is None:
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
    else:
        set_flag(mode, warn_only=warn_only)


@contextlib.contextmanager
def deterministic_torch(device: torch.device, threads: int | None) -> Iterator[None]:
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
    _set_deterministic_algorithms(True, warn_only=device.type == "cuda")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        _set_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[2], saved[3]
        if threads is not None:
            torch.set_num_threads(saved[4])


def seed_streams(seed: int) -> tuple[int, int]:
    """Two independent 63-bit seeds (model init, epoch permutations) from one user seed."""
    init, order = np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint64)
    return int(init) >> 1, int(order) >> 1


def as_inputs(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A float32 CPU tensor sharing memory with ``x`` when it already is contiguous float32."""
    if isinstance(x, torch.Tensor):
        return x.detach().to(dtype=torch.float32)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def check_data(x_train, y_train, x_test, y_test, num_classes: int) -> None:
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


def input_statistics(
    x: torch.Tensor, chunk_rows: int = 4096, offset: torch.Tensor | None = None
) -> tuple[float, float]:
    """Mean and (population) standard deviation over every value of ``x − offset`` (``offset``: one sample's
    shape, or None), two passes in float64 chunks.

    Chunking keeps the peak extra memory at one chunk rather than a float64 copy of the whole set.
    """
    shift = torch.zeros((), dtype=torch.float64) if offset is None else offset.double().to(x.device)

    def chunks():
        return (x[i : i + chunk_rows].double() - shift for i in range(0, x.shape[0], chunk_rows))

    n = x.numel()
    mean = sum(float(c.sum()) for c in chunks()) / n
    sq = sum(float((c - mean).square().sum()) for c in chunks())
    return mean, math.sqrt(sq / n)


def progress_bar(enabled: bool | None, total: int, desc: str):
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


def per_class_accuracy(pred: np.ndarray, y: np.ndarray, num_classes: int) -> list[float | None]:
    """Accuracy per true class; None for a class absent from the test set (JSON has no NaN)."""
    counts = np.bincount(y, minlength=num_classes)
    correct = np.bincount(y[pred == y], minlength=num_classes)
    return [float(c / n) if n else None for c, n in zip(correct, counts, strict=True)]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class RunData:
    """The four tensors of a run (float32 inputs, int64 labels) and the input shape."""

    xt: torch.Tensor
    yt: torch.Tensor
    xv: torch.Tensor
    yv: torch.Tensor

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.xt.shape[1:])

    def to(self, device: torch.device) -> RunData:
        return RunData(*(t.to(device) for t in (self.xt, self.yt, self.xv, self.yv)))


def as_run_data(x_train, y_train, x_test, y_test, num_classes: int) -> RunData:
    def labels(y: np.ndarray | torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y).long()

    data = RunData(as_inputs(x_train), labels(y_train), as_inputs(x_test), labels(y_test))
    check_data(data.xt, data.yt, data.xv, data.yv, num_classes)
    return data
