"""Accuracy recovery after compression, through the one trainer (:func:`~shrinkflow.training.train`) + a hook.

``method="finetune"`` trains the compressed model inside its compressed set, one parametrization per
compressed weight (``torch.nn.utils.parametrize``), because the trainer has no post-step callback and a
mask applied in the forward pass keeps pruned weights at exactly zero whatever the optimizer does
(momentum, weight decay, Adam's moments), with no step to forget:

* pruning: weight = latent ⊙ mask (fixed mask); structured pruning trains the shrunk dense network;
* ``int``/``fp16``: weight = Q(latent ⊙ mask) with the straight-through estimator (the forward pass uses the
  quantized weights, the gradient passes to the latent fp32 weights unchanged; Bengio et al. 2013), and the
  export quantizes the latent weights once more, which gives exactly the weights the forward pass used;
* ``kmeans``: the assignment is fixed and the codebook is the trained parameter, weight = codebook[index]:
  Han et al.'s (2016, §3.3) centroid fine-tuning, where a centroid's gradient is the sum over its weights.

``method="lc"`` is Condensa's learning-compression scheme (quadratic penalty form, λ = 0), one LC step per
epoch: the L-step trains the uncompressed weights w on loss + μ/2·‖w − θ‖² (``loss_term``), the C-step sets
θ ← Π(w) (the scheme's own compression, :func:`~.schemes.project_weights`) at each epoch end and multiplies
μ by ``mu_factor`` up to ``mu_max``; the result is Π(w) after the last epoch. Defaults are Condensa's:
μ_init 1e-3, ×1.1 per step, cap 1e4 (their CIFAR AlexNet scripts). 0 epochs = post-training compression.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.utils import parametrize

from ..train_utils import as_inputs, evaluate
from ..training import TrainConfig, TrainHook, train
from . import get
from .schemes import (
    CompressedModel,
    compress,
    compressed_weights,
    encode_state,
    fake_int_quantize,
    project_weights,
    with_codes,
)

METHODS = ("finetune", "lc")


class _StraightThrough(torch.autograd.Function):
    """Forward: the projected tensor; backward: the gradient to the unprojected one, unchanged."""

    @staticmethod
    def forward(ctx: Any, latent: torch.Tensor, projected: torch.Tensor) -> torch.Tensor:
        return projected.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


class FixedMask(nn.Module):
    """weight = latent ⊙ mask (mask fixed)."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return latent * self.mask


class _Quantized(nn.Module):
    """weight = Q(latent ⊙ mask) with a straight-through gradient; Q is the ``int`` or ``fp16`` rounding."""

    def __init__(self, values: str, bits: int, mask: torch.Tensor | None) -> None:
        super().__init__()
        self.values, self.bits = values, bits
        self.register_buffer("mask", mask)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        v = latent if self.mask is None else latent * self.mask
        with torch.no_grad():
            q = fake_int_quantize(v, self.bits) if self.values == "int" else v.half().float()
        return _StraightThrough.apply(v, q)


class _Shared(nn.Module):
    """weight = codebook[index] at kept positions, 0 elsewhere: the codebook is the trained tensor."""

    def __init__(self, codebook: torch.Tensor, index: torch.Tensor, mask: torch.Tensor | None,
                 shape: tuple[int, ...]) -> None:  # fmt: skip
        super().__init__()
        self.shape = shape
        full = index
        if mask is not None:  # pruned positions point to an extra 0 appended to the codebook
            full = torch.full((mask.numel(),), codebook.numel(), dtype=torch.int64, device=index.device)
            full[mask.reshape(-1)] = index
        self.register_buffer("full_index", full)
        self.initial = codebook

    def forward(self, codebook: torch.Tensor) -> torch.Tensor:
        return torch.cat([codebook, codebook.new_zeros(1)])[self.full_index].reshape(self.shape)

    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        return self.initial


def _layer(model: nn.Module, weight_name: str) -> nn.Module:
    return model.get_submodule(weight_name.rsplit(".", 1)[0])


class FinetuneHook(TrainHook):
    """Fine-tune a compressed model inside its compressed set (see the module docstring)."""

    def __init__(self, compressed: CompressedModel) -> None:
        self.compressed = compressed
        self.result: CompressedModel | None = None

    def wrap_model(self, model: nn.Module) -> nn.Module:
        device = next(model.parameters()).device
        module = copy.deepcopy(self.compressed.module).to(device).train()
        for name in compressed_weights(module):
            code = self.compressed.codes[name]
            mask = (
                None
                if code.mask is None
                else torch.from_numpy(code.mask.copy()).reshape(code.shape).to(device)
            )
            if code.values == "kmeans":
                index = torch.from_numpy(code.data.astype(np.int64)).to(device)
                codebook = torch.from_numpy(code.codebook.copy()).to(device)
                p: nn.Module = _Shared(codebook, index, mask, code.shape)
            elif code.values in ("int", "fp16"):
                p = _Quantized(code.values, code.bits, mask)
            elif mask is not None:
                p = FixedMask(mask)
            else:
                continue
            parametrize.register_parametrization(_layer(module, name), "weight", p, unsafe=True)
        return module

    def export_model(self, model: nn.Module) -> nn.Module:
        shared = {}
        for name in compressed_weights(model):
            layer = _layer(model, name)
            if not parametrize.is_parametrized(layer, "weight"):
                continue
            p = layer.parametrizations.weight[0]
            if isinstance(p, _Shared):
                codebook = layer.parametrizations.weight.original.detach().cpu().numpy().astype(np.float32)
                code = self.compressed.codes[name]
                shared[name] = (codebook, code.data.astype(np.int64))
            # the latent weights: Q(latent ⊙ mask) is recomputed by the encoder, as in the forward pass
            parametrize.remove_parametrizations(layer, "weight", leave_parametrized=isinstance(p, _Shared))
        c = self.compressed
        codes = encode_state(model, c.scheme, c.amount, masks=c.masks(), shared=shared)
        self.result = CompressedModel(with_codes(model, codes), codes, c.model_name, c.scheme, c.amount)
        return self.result.module


@dataclass
class LCSettings:
    """Condensa's LC penalty schedule: μ_init, the factor per LC step (one per epoch) and the cap."""

    mu_init: float = 1e-3
    mu_factor: float = 1.1
    mu_max: float = 1e4


class LCHook(TrainHook):
    """Condensa's LC: L-step = loss + μ/2·‖w − θ‖², C-step θ ← Π(w) at each epoch end."""

    def __init__(
        self, original: nn.Module, model_name: str, scheme: str, amount: float | int, settings: LCSettings,
        x_test: torch.Tensor, y_test: torch.Tensor, eval_batch_size: int,
    ) -> None:  # fmt: skip
        self.original, self.model_name, self.scheme, self.amount = original, model_name, scheme, amount
        self.settings, self.mu = settings, settings.mu_init
        self.x_test, self.y_test, self.eval_batch_size = x_test, y_test, eval_batch_size
        self.result: CompressedModel | None = None

    def wrap_model(self, model: nn.Module) -> nn.Module:
        device = next(model.parameters()).device
        self.module = copy.deepcopy(self.original).to(device).train()
        self.theta = project_weights(self.module, self.scheme, self.amount)
        self.x_test, self.y_test = self.x_test.to(device), self.y_test.to(device)
        return self.module

    def _distance(self, model: nn.Module) -> torch.Tensor:
        params = dict(model.named_parameters())
        return sum(((params[k] - theta) ** 2).sum() for k, theta in self.theta.items())

    def loss_term(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor, index: torch.Tensor,
        epoch: int,
    ) -> torch.Tensor:  # fmt: skip
        return 0.5 * self.mu * self._distance(model)

    @torch.no_grad()
    def end_epoch(self, epoch: int) -> dict[str, float]:
        distance = float(self._distance(self.module))
        self.theta = project_weights(self.module, self.scheme, self.amount)
        projected = copy.deepcopy(self.module)
        projected.load_state_dict({**projected.state_dict(), **self.theta})
        _, accuracy, _ = evaluate(projected, self.x_test, self.y_test, self.eval_batch_size)
        row = {"lc_mu": self.mu, "lc_squared_distance": distance, "lc_projected_test_accuracy": accuracy}
        self.mu = min(self.mu * self.settings.mu_factor, self.settings.mu_max)
        return row

    def export_model(self, model: nn.Module) -> nn.Module:
        self.result = compress(model, self.model_name, self.scheme, self.amount)
        return self.result.module


@dataclass
class RecoveryResult:
    """The recovered compressed model, the trainer's history (empty for 0 epochs) and the stage's metrics."""

    compressed: CompressedModel
    history: pd.DataFrame
    metrics: dict[str, Any]


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple[float, float]:
    with torch.inference_mode():
        loss, accuracy, _ = evaluate(model.eval(), x, y, batch_size)
    return loss, accuracy


def recover(
    original: nn.Module,
    model_name: str,
    scheme: str,
    amount: float | int,
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    x_test: np.ndarray | torch.Tensor,
    y_test: np.ndarray | torch.Tensor,
    num_classes: int,
    config: TrainConfig,
    seed: int = 0,
    method: str = "finetune",
    lc: LCSettings | None = None,
    log: logging.Logger | None = None,
) -> RecoveryResult:
    """Compress the trained ``original`` with ``scheme`` at ``amount``, then recover accuracy for
    ``config.epochs`` epochs (0: none) with ``method`` (``finetune`` or ``lc``). The original is unchanged.

    metrics: ``test_accuracy``/``test_loss`` of the returned compressed model, ``test_accuracy_post_training``
    (compressed, before any training), ``compress_seconds`` (the first compression), ``recovery_*`` settings.
    """  # fmt: skip
    if method not in METHODS:
        raise ValueError(f"recovery method {method!r} is unknown; allowed: {list(METHODS)}")
    amount = get(scheme).validate(amount)
    lc = lc or LCSettings()
    xv, yv = as_inputs(x_test), torch.as_tensor(np.asarray(y_test), dtype=torch.int64)
    first = compress(original, model_name, scheme, amount)
    _, before = _accuracy(first.module, xv, yv, config.eval_batch_size)
    metrics: dict[str, Any] = {
        "recovery_method": method, "recovery_epochs": int(config.epochs),
        "compress_seconds": first.compress_seconds, "test_accuracy_post_training": before,
    }  # fmt: skip
    if method == "lc":
        metrics.update({f"lc_{k}": v for k, v in asdict(lc).items()})
    if config.epochs == 0:
        compressed, history = first, pd.DataFrame()
    else:
        hook: FinetuneHook | LCHook = (
            FinetuneHook(first) if method == "finetune"
            else LCHook(original, model_name, scheme, amount, lc, xv, yv, config.eval_batch_size)
        )  # fmt: skip
        trained = train(model_name, x_train, y_train, x_test, y_test, num_classes, config, seed, log, hook)
        compressed, history = hook.result, trained.history
        metrics["train_seconds"] = trained.metrics["train_seconds"]
    loss, accuracy = _accuracy(compressed.module, xv, yv, config.eval_batch_size)
    metrics.update(test_accuracy=accuracy, test_loss=loss)
    return RecoveryResult(compressed, history, metrics)
