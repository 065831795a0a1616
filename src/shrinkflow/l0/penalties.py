"""The smooth penalties of Barth & von Petersenn as trainer hooks: DRR, R-L1's ℓ1 and the ℓ2 baseline.

* DRR (their smooth ℓ0 surrogate): α·Σ(1 − e^(−β|w|)); its gradient αβ·sign(w)·e^(−β|w|) is what their
  ``DRR_modification`` adds to the loss gradient (sign(0) = 0, as torch's |w|′ at 0).
* ℓ1 (R-L1's training phase): α·Σ|w|; the "relaxed" part is the procedure's masked fine-tuning without it.
* ℓ2: ρ·Σw² (gradient 2ρw, their ``L2_modification``), optional beside either, alone for the baseline.

The penalised parameters are every Conv/Linear weight (the tensors shrinkflow's pruning schemes compress)
and, with ``include_biases``, those layers' biases (their code penalises every parameter array).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..model_compression.schemes import COMPRESSED_LAYERS
from ..train_hook import TrainHook


def prunable_names(model: nn.Module, include_biases: bool = True) -> list[str]:
    """Parameter names the ℓ0 methods penalise and prune: Conv/Linear weights (+ their biases)."""
    out = []
    for name, module in model.named_modules():
        if isinstance(module, COMPRESSED_LAYERS):
            prefix = f"{name}." if name else ""
            out.append(f"{prefix}weight")
            if include_biases and module.bias is not None:
                out.append(f"{prefix}bias")
    if not out:
        kind = type(model).__name__
        raise ValueError(f"{kind} has no Conv/Linear layer: the ℓ0 methods have nothing to prune")
    return out


def drr_penalty(w: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    """α·Σ(1 − exp(−β|w|)): the smooth ℓ0 surrogate (→ α·‖w‖₀ as β → ∞)."""
    return alpha * (1.0 - torch.exp(-beta * w.abs())).sum()


def l1_penalty(w: torch.Tensor, alpha: float) -> torch.Tensor:
    """α·Σ|w|."""
    return alpha * w.abs().sum()


def l2_penalty(w: torch.Tensor, rho: float) -> torch.Tensor:
    """ρ·Σw²."""
    return rho * w.square().sum()


class PenaltyHook(TrainHook):
    """Adds (1/N)·[penalty(θ) + ρ·Σθ²] over the prunable parameters to the batch-mean loss (``kind``:
    ``drr``, ``l1`` or ``l2``/``none`` for ℓ2 only). Dividing by N (training samples) puts α and ρ on the
    scale of the summed loss, as the paper's code does (see :class:`~shrinkflow.l0.L0Settings`)."""

    def __init__(
        self, kind: str, alpha: float = 0.0, beta: float = 5.0, rho: float = 0.0, include_biases: bool = True
    ) -> None:
        if kind not in ("drr", "l1", "l2", "none"):
            raise ValueError(f"penalty kind {kind!r} is unknown; allowed: ['drr', 'l1', 'l2', 'none']")
        self.kind, self.alpha, self.beta, self.rho = kind, float(alpha), float(beta), float(rho)
        self.include_biases = include_biases
        self.scale = 1.0
        self.params: list[torch.Tensor] = []
        self._last = float("nan")

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        self.scale = 1.0 / int(x_train.shape[0])
        self.params = [model.get_parameter(n) for n in prunable_names(model, self.include_biases)]

    def penalty(self) -> torch.Tensor:
        """The unscaled penalty on the current parameters (with its graph)."""
        total = torch.zeros((), device=self.params[0].device)
        for w in self.params:
            if self.kind == "drr" and self.alpha:
                total = total + drr_penalty(w, self.alpha, self.beta)
            elif self.kind == "l1" and self.alpha:
                total = total + l1_penalty(w, self.alpha)
            if self.rho:
                total = total + l2_penalty(w, self.rho)
        return total

    def loss_term(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor, index: torch.Tensor,
        epoch: int,
    ) -> torch.Tensor | None:  # fmt: skip
        if not (self.alpha and self.kind in ("drr", "l1")) and not self.rho:
            return None
        return self.scale * self.penalty()

    @torch.no_grad()
    def end_epoch(self, epoch: int) -> dict[str, float]:
        self._last = float(self.penalty())
        small = sum(int((w.abs() < 1e-3).sum()) for w in self.params)
        return {"penalty": self._last, "below_1e-3_fraction": small / sum(w.numel() for w in self.params)}

    def final_metrics(self) -> dict[str, Any]:
        return {"penalty_final": self._last}
