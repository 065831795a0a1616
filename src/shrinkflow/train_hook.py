"""The seams of :func:`shrinkflow.training.train`: a :class:`TrainHook` wraps or reparameterises the model,
changes batches, adds a loss term, sees per-sample losses and adds history columns and metrics."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class TrainHook:
    """Behaviour plugged into :func:`train`; every method's default does nothing.

    Called in this order: ``wrap_model`` once, after the model is built (initialised from the run's seed,
    input statistics set, on the training device) and *before* the optimizer is built, so a hook can
    reparameterise or wrap it (MCNC, quantization-aware training, ℓ0 gates: the optimizer then trains the
    returned module's parameters); ``setup`` once; per epoch, for every training batch ``batch_inputs``,
    ``loss_term`` (an extra term added to the batch's mean cross-entropy before the backward pass: ℓ0/ℓ1
    penalties, distillation from a teacher's logits) and ``record_losses``; then ``end_epoch``;
    ``final_metrics`` once after the last epoch. A hook that draws random numbers seeds its own generator.
    """

    def wrap_model(self, model: nn.Module) -> nn.Module:
        """The module to train (and evaluate and return) in place of ``model``; default: ``model`` itself."""
        return model

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        """Receive the model and the training tensors (all on the training device) before the first epoch."""

    def batch_inputs(self, x: torch.Tensor, index: torch.Tensor, epoch: int) -> torch.Tensor:
        """The batch the model trains on, given the stored batch ``x`` = x_train[index]; 1-based epoch."""
        return x

    def loss_term(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor, index: torch.Tensor,
        epoch: int,
    ) -> torch.Tensor | None:
        """A scalar added to the batch's mean cross-entropy (differentiable), or None for nothing.

        ``x`` is the batch as the model saw it, ``logits`` the model's output on it (with its graph).
        """  # fmt: skip
        return None

    def record_losses(self, index: torch.Tensor, losses: torch.Tensor, epoch: int) -> None:
        """Per-sample training losses (detached cross-entropy) of the samples ``index`` in this step."""

    def end_epoch(self, epoch: int) -> dict[str, float]:
        """Extra history columns for this epoch."""
        return {}

    def final_metrics(self) -> dict[str, Any]:
        """Extra metrics for the run."""
        return {}

    def export_model(self, model: nn.Module) -> nn.Module:
        """The module the run returns and saves, after the last epoch (on CPU, eval mode); default: the
        trained module. A hook whose ``wrap_model`` wrapped the model returns here a module whose
        state_dict :func:`shrinkflow.runs.load_model` can load (the registry model, or what it documents)."""
        return model
