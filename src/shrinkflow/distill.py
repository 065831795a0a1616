"""Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the knowledge in a neural network") as a
trainer hook, and :class:`HookChain`, which composes hooks (MCNC wraps the model, distillation adds the loss).

The student's loss is (1 − α)·CE(student, labels) + α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)): the
soft term compares the temperature-T distributions and is scaled by T² so that its gradients keep their size
as T changes (Hinton et al., section 2); KL differs from the paper's soft cross-entropy by the teacher's
entropy, a constant, so the gradients are the same. The trainer always adds the mean cross-entropy with
weight 1, so :meth:`DistillationHook.loss_term` returns α·(T²·KL − CE): the step's loss is then exactly the
total above, and α = 0 adds nothing at all (bit-identical to plain training).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .train_hook import TrainHook
from .train_utils import as_inputs


def check_distillation(temperature: float, alpha: float) -> None:
    """``ValueError`` naming ``distill.temperature`` (> 0) or ``distill.alpha`` ([0, 1]) when out of range."""
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not temperature > 0:
        raise ValueError(f"distill.temperature must be a number > 0, got {temperature!r}")
    if not math.isfinite(temperature):
        raise ValueError(f"distill.temperature must be finite, got {temperature!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha <= 1:
        raise ValueError(
            f"distill.alpha must be a number in [0, 1] (the soft targets' weight), got {alpha!r}"
        )


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """Hinton et al.'s total loss (batch means): (1 − α)·CE(labels) + α·T²·KL(teacher_T ‖ student_T)."""
    check_distillation(temperature, alpha)
    ce = F.cross_entropy(student_logits, labels)
    return (1 - alpha) * ce + alpha * temperature**2 * soft_kl(student_logits, teacher_logits, temperature)


def soft_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(softmax(teacher/T) ‖ softmax(student/T)) summed over classes, averaged over the batch."""
    return F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits.to(student_logits.dtype) / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    )


@torch.inference_mode()
def compute_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Logits of ``model`` in eval mode on ``x`` (on ``x``'s device), ``batch_size`` rows at a time."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(x[i : i + batch_size]).float() for i in range(0, x.shape[0], batch_size)])
    finally:
        model.train(was_training)


class DistillationHook(TrainHook):
    """Train with Hinton et al.'s loss against a teacher (see the module docstring for the weighting).

    The teacher's logits are computed once at ``setup`` for the whole training set (teacher in eval mode,
    moved to the training device) and indexed per batch: the teacher sees the *stored* training inputs,
    not what another hook's ``batch_inputs`` may make of them. ``teacher_inputs`` (same rows as the training
    set) gives the teacher other inputs, e.g. the pixels while the student trains on a compressed view;
    ``teacher_logits`` (N × classes) skips the teacher altogether.
    """

    def __init__(
        self, teacher: nn.Module | None = None, *, temperature: float, alpha: float,
        teacher_inputs: np.ndarray | torch.Tensor | None = None,
        teacher_logits: np.ndarray | torch.Tensor | None = None, batch_size: int = 1024,
    ) -> None:  # fmt: skip
        check_distillation(temperature, alpha)
        if (teacher is None) == (teacher_logits is None):
            raise ValueError("DistillationHook needs exactly one of teacher (a model) and teacher_logits")
        if teacher_logits is not None and teacher_inputs is not None:
            raise ValueError("teacher_inputs are for a teacher model; teacher_logits were given instead")
        self.teacher = teacher
        self.temperature, self.alpha = float(temperature), float(alpha)
        self.teacher_inputs = None if teacher_inputs is None else as_inputs(teacher_inputs)
        self.logits = None if teacher_logits is None else torch.as_tensor(teacher_logits, dtype=torch.float32)
        self.batch_size = int(batch_size)
        self.teacher_accuracy: float | None = None

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        n = x_train.shape[0]
        if self.teacher is not None:
            inputs = x_train if self.teacher_inputs is None else self.teacher_inputs.to(x_train.device)
            if inputs.shape[0] != n:
                raise ValueError(f"teacher_inputs has {inputs.shape[0]} rows, the training set {n}")
            self.logits = compute_logits(self.teacher.to(x_train.device), inputs, self.batch_size)
        if self.logits.ndim != 2 or self.logits.shape[0] != n:
            raise ValueError(f"teacher logits have shape {tuple(self.logits.shape)}; expected ({n}, classes)")
        self.logits = self.logits.to(x_train.device)
        self.teacher_accuracy = float((self.logits.argmax(dim=1) == y_train).float().mean())

    def loss_term(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor, index: torch.Tensor,
        epoch: int,
    ) -> torch.Tensor | None:  # fmt: skip
        if self.alpha == 0:
            return None
        teacher = self.logits[index]
        if teacher.shape[1] != logits.shape[1]:
            raise ValueError(f"the teacher has {teacher.shape[1]} classes, the student {logits.shape[1]}")
        kl = soft_kl(logits, teacher, self.temperature)
        # the trainer adds CE with weight 1; this term brings the step's loss to (1 − α)·CE + α·T²·KL
        return self.alpha * (self.temperature**2 * kl - F.cross_entropy(logits, y))

    def final_metrics(self) -> dict[str, Any]:
        return {
            "distill_temperature": self.temperature,
            "distill_alpha": self.alpha,
            "teacher_train_accuracy": self.teacher_accuracy,
        }


class HookChain(TrainHook):
    """Several hooks as one: ``wrap_model`` and ``batch_inputs`` apply in order (each to the previous
    result), ``export_model`` in reverse order, loss terms add up, every hook sees ``setup``,
    ``record_losses`` and ``end_epoch``; history columns and metrics merge (a key twice is an error)."""

    def __init__(self, *hooks: TrainHook) -> None:
        self.hooks = tuple(hooks)

    def wrap_model(self, model: nn.Module) -> nn.Module:
        for hook in self.hooks:
            model = hook.wrap_model(model)
        return model

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        for hook in self.hooks:
            hook.setup(model, x_train, y_train)

    def batch_inputs(self, x: torch.Tensor, index: torch.Tensor, epoch: int) -> torch.Tensor:
        for hook in self.hooks:
            x = hook.batch_inputs(x, index, epoch)
        return x

    def loss_term(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor, index: torch.Tensor,
        epoch: int,
    ) -> torch.Tensor | None:  # fmt: skip
        terms = [t for h in self.hooks if (t := h.loss_term(model, x, y, logits, index, epoch)) is not None]
        return sum(terms[1:], terms[0]) if terms else None

    def record_losses(self, index: torch.Tensor, losses: torch.Tensor, epoch: int) -> None:
        for hook in self.hooks:
            hook.record_losses(index, losses, epoch)

    def end_epoch(self, epoch: int) -> dict[str, float]:
        return _merge(hook.end_epoch(epoch) for hook in self.hooks)

    def final_metrics(self) -> dict[str, Any]:
        return _merge(hook.final_metrics() for hook in self.hooks)

    def export_model(self, model: nn.Module) -> nn.Module:
        for hook in reversed(self.hooks):
            model = hook.export_model(model)
        return model


def _merge(parts) -> dict[str, Any]:  # noqa: ANN001 (an iterable of dicts)
    out: dict[str, Any] = {}
    for part in parts:
        clash = out.keys() & part.keys()
        if clash:
            raise ValueError(f"two hooks report the same keys: {sorted(clash)}")
        out.update(part)
    return out
