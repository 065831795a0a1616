"""Description length DL(model, data) = model bytes + data bytes given the model (Barth & von Petersenn).

Data bytes (two-part MDL code of the data under the model's predictive distribution):

* classification: the summed cross-entropy in nats converted to bytes, mean loss · N / (8·ln 2) — their
  ``loss · dataset bytes / (8 ln 2)`` with the loss per sample;
* regression: the Gaussian code length per sample exactly as the facts file states their code's loss,
  MSE / (2σ²·ln 2) + ½·log₂(σ²) bits, with σ learned (``sigma=None``: the minimising σ² = MSE, giving
  1/(2 ln 2) + ½·log₂ MSE). It is a code length for a *density*: the constant ½·log₂(2π) and the −log₂ ε of
  a quantisation step ε are dropped, so it can be negative; the shift is the same for every model on the
  same data, so comparisons and isolines are unaffected.

Model bytes, side by side:

* ``model_bytes_four_per_nonzero``: the paper's convention, 4 bytes per nonzero *parameter*, no index cost
  (``model_compression.sizes`` reports the same convention over the whole state_dict, buffers included);
* ``model_bytes_stored``: shrinkflow's real payload — the model encoded by
  :func:`~shrinkflow.model_compression.schemes.encode_state` as a ``prune_global`` model whose masks are its
  exact zeros (each weight stored dense or as the cheapest of bit mask / gaps / indices, :mod:`.codes`),
  then serialised by :func:`~shrinkflow.model_compression.payload.to_bytes`, header included.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from ..model_compression.payload import to_bytes
from ..model_compression.schemes import CompressedModel, compressed_weights, encode_state, with_codes

LN2 = math.log(2.0)


def classification_data_bytes(mean_loss_nats: float, n: int) -> float:
    """Bytes to code N labels with the model: mean cross-entropy (nats) · N / (8·ln 2)."""
    return float(mean_loss_nats) * int(n) / (8.0 * LN2)


def gaussian_code_bits(mse: float, sigma: float | None = None) -> float:
    """Bits per sample of the Gaussian code: MSE / (2σ²·ln 2) + ½·log₂(σ²); σ None = the learned optimum
    σ² = MSE. (The facts file's formula; see the module docstring for the dropped constants.)"""
    var = float(mse) if sigma is None else float(sigma) ** 2
    if not var > 0:
        raise ValueError(f"the Gaussian code needs σ² > 0, got σ² = {var!r} (MSE {mse!r}, sigma {sigma!r})")
    return float(mse) / (2.0 * var * LN2) + 0.5 * math.log2(var)


def regression_data_bytes(mse: float, n: int, sigma: float | None = None) -> float:
    """Bytes of N samples under the Gaussian code (:func:`gaussian_code_bits` · N / 8)."""
    return gaussian_code_bits(mse, sigma) * int(n) / 8.0


def description_length(model_bytes: float, data_bytes: float) -> float:
    """DL = model bytes + data bytes given the model."""
    return float(model_bytes) + float(data_bytes)


def nonzero_parameters(model: nn.Module) -> int:
    return int(sum(int(torch.count_nonzero(p)) for p in model.parameters()))


def four_bytes_per_nonzero(model: nn.Module) -> int:
    """The paper's model bytes: 4 · nonzero parameters (no index cost, buffers not counted)."""
    return 4 * nonzero_parameters(model)


def compressed_model(model: nn.Module, model_name: str) -> CompressedModel:
    """``model`` (a copy on CPU) as a ``prune_global`` :class:`CompressedModel` whose masks are its exact
    zeros; weights with no zero are stored dense. ``model`` needs ``input_shape`` and ``head`` (registry
    models and :class:`~.teacher.TanhMLP` have them)."""
    module = copy.deepcopy(model).cpu().eval()
    state = module.state_dict()
    names = compressed_weights(module)
    masks = {n: state[n] != 0 for n in names}
    total = sum(m.numel() for m in masks.values())
    sparsity = 1.0 - sum(int(m.sum()) for m in masks.values()) / max(total, 1)
    amount = min(max(sparsity, 0.0), 1.0 - 1e-9)  # the scheme's amount is a sparsity in [0, 1)
    codes = encode_state(module, "prune_global", amount, masks=masks)
    return CompressedModel(with_codes(module, codes), codes, model_name, "prune_global", amount)


def stored_bytes(model: nn.Module, model_name: str) -> int:
    """shrinkflow's payload bytes of ``model`` with its zeros stored sparse (:func:`compressed_model`)."""
    return len(to_bytes(compressed_model(model, model_name)))


def dl_report(
    model: nn.Module,
    model_name: str,
    loss: float,
    n: int,
    task: str = "classification",
    sigma: float | None = None,
) -> dict[str, Any]:
    """Model bytes both ways, data bytes and DL both ways for ``n`` samples at mean ``loss``
    (cross-entropy in nats for ``classification``, MSE for ``regression``)."""  # fmt: skip
    if task == "classification":
        data = classification_data_bytes(loss, n)
    elif task == "regression":
        data = regression_data_bytes(loss, n, sigma)
    else:
        raise ValueError(f"task {task!r} is unknown; allowed: ['classification', 'regression']")
    four, stored = four_bytes_per_nonzero(model), stored_bytes(model, model_name)
    return {
        "nonzero_parameters": nonzero_parameters(model),
        "model_bytes_four_per_nonzero": four,
        "model_bytes_stored": stored,
        "data_bytes": data,
        "dl_bytes_four_per_nonzero": description_length(four, data),
        "dl_bytes_stored": description_length(stored, data),
    }
