"""CPU inference throughput (images/s) of a dense and a compressed model, measured the same way in one run.

Each measurement: a fixed random batch, ``torch.inference_mode``, a fixed thread count, warm-up calls, then
``repeats`` timings (each of enough calls to last ≥ ``min_repeat_seconds``) whose median is reported. The
two models are timed alternately, repeat by repeat, so drift of the machine hits both alike.

What to expect: unstructured sparsity runs the same dense kernels over the same shapes (zeros cost as
much as any number), so its speed-up is ≈ 1; structured pruning shrinks the layers and can be faster.
:func:`sparse_linear_copy` swaps Linear layers for ``torch.sparse`` CSR products, a real sparse kernel, to
measure whether sparsity alone pays at a given density.
"""

from __future__ import annotations

import copy
import statistics
import time
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


def _calls_per_repeat(model: nn.Module, x: torch.Tensor, min_seconds: float) -> int:
    t0 = time.perf_counter()
    model(x)
    once = max(time.perf_counter() - t0, 1e-6)
    return max(1, int(min_seconds / once) + 1)


def _timed(model: nn.Module, x: torch.Tensor, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        model(x)
    return (time.perf_counter() - t0) / calls


def compare_throughput(
    models: dict[str, nn.Module],
    input_shape: Sequence[int],
    batch_sizes: Sequence[int] = (1, 256),
    repeats: int = 15,
    warmup: int = 3,
    threads: int = 1,
    min_repeat_seconds: float = 0.02,
    seed: int = 0,
) -> dict[str, Any]:
    """``{f"{name}_images_per_second_batch{b}"}`` for every model and batch size (median of ``repeats``),
    plus ``f"{name}_speedup_batch{b}"`` against the first model (the dense reference) for the others."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    out: dict[str, Any] = {"throughput_threads": threads, "throughput_repeats": repeats}
    try:
        with torch.inference_mode():
            for b in batch_sizes:
                x = torch.randn(b, *input_shape, generator=torch.Generator().manual_seed(seed))
                calls = {}
                for name, model in models.items():
                    model.eval()
                    for _ in range(warmup):
                        model(x)
                    calls[name] = _calls_per_repeat(model, x, min_repeat_seconds)
                times: dict[str, list[float]] = {name: [] for name in models}
                for _ in range(repeats):
                    for name, model in models.items():
                        times[name].append(_timed(model, x, calls[name]))
                for name in models:
                    out[f"{name}_images_per_second_batch{b}"] = b / statistics.median(times[name])
                reference = next(iter(models))
                for name in list(models)[1:]:
                    out[f"{name}_speedup_batch{b}"] = (
                        out[f"{name}_images_per_second_batch{b}"]
                        / out[f"{reference}_images_per_second_batch{b}"]
                    )
    finally:
        torch.set_num_threads(saved)
    return out


def throughput(
    model: nn.Module, input_shape: Sequence[int], batch_size: int, repeats: int = 15, threads: int = 1
) -> float:
    """Images per second of one model (median of ``repeats``; see :func:`compare_throughput`)."""
    key = f"model_images_per_second_batch{batch_size}"
    return compare_throughput({"model": model}, input_shape, (batch_size,), repeats, threads=threads)[key]


class SparseLinear(nn.Module):
    """A Linear layer whose weight is a ``torch.sparse`` CSR matrix: y = (W_csr · xᵀ)ᵀ + b."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
            self.weight = linear.weight.detach().to_sparse_csr()
        self.bias = None if linear.bias is None else linear.bias.detach().clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.sparse.mm(self.weight, x.t()).t()
        return y if self.bias is None else y + self.bias


def sparse_linear_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose Linear layers compute with CSR sparse weights (convolutions stay dense)."""
    model = copy.deepcopy(model).eval()
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear):
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, child, SparseLinear(module))
    return model
