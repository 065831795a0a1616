"""The paper's procedure as one function per task: regularised training → pruning → masked fine-tuning.

Barth & von Petersenn train with the method's penalty, prune with TAMADE (random gradient pruning before
and after it in their ``prune_and_shrink!``) and fine-tune the survivors with the mask fixed and no
penalty. Their code checks every ``prune_window`` epochs (after ``min_epochs``) whether the validation loss
has converged and prunes then; shrinkflow's trainer has a fixed epoch budget and no early stop, so the
regularised phase runs ``config.epochs`` epochs and is pruned **once, at its end** (their code, too, prunes
PMMP only at the end). TAMADE's loss is measured on the validation split when one is given, else on the
training set — never on the test set.

:func:`run_classifier` uses :func:`shrinkflow.training.train` (registry models, cross-entropy) for both
training phases; :func:`run_regression` the MSE trainer of :mod:`.regression` (teacher–student students).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..model_compression.schemes import CompressedModel, compressed_weights
from ..train_hook import TrainHook
from ..train_utils import as_inputs, deterministic_torch, evaluate
from ..training import TrainConfig, train
from . import L0Settings, get, validate
from .dl import classification_data_bytes, compressed_model, dl_report, regression_data_bytes
from .penalties import PenaltyHook, prunable_names
from .pmmp import PMMPHook
from .pruning import (
    MaskedFinetuneHook,
    Masks,
    apply_masks,
    combine,
    magnitude_keep_masks,
    random_gradient_masks,
    tamade,
)
from .regression import RegressionConfig, mse, train_regression
from .teacher import TeacherStudentData, student_network


@dataclass
class L0Result:
    """The final masked model (CPU, eval), it as shrinkflow stores it, its keep-masks, both phases' history
    (column ``phase``: ``regularised`` / ``finetune``) and the metrics."""

    model: nn.Module
    compressed: CompressedModel
    masks: Masks
    history: pd.DataFrame
    metrics: dict[str, Any]


def make_hook(method: str, settings: L0Settings, weight_decay: float = 0.0) -> TrainHook:
    """The training-phase hook of ``method`` (a plain :class:`TrainHook` for the unregularised ones)."""
    spec, s = get(method), settings
    if spec.penalty == "pmmp":
        return PMMPHook(s.alpha, s.rho, s.u_factor, s.multiplier, s.include_biases, weight_decay)
    if spec.penalty in ("drr", "l1", "l2"):
        return PenaltyHook(spec.penalty, s.alpha, s.beta, s.rho, s.include_biases)
    return TrainHook()


@dataclass
class _Task:
    """What the procedure needs from a task: training with a hook, the pruning loss, test metrics."""

    fit: Callable[[TrainHook, int], tuple[nn.Module, pd.DataFrame, dict[str, Any]]]
    prune_loss: Callable[[nn.Module], float]
    train_loss: Callable[[nn.Module], float]
    test: Callable[[nn.Module], dict[str, float]]
    input_shape: tuple[int, ...]
    model_name: str
    kind: str  # classification | regression
    n_train: int
    n_test: int
    threads: int | None = None  # torch threads for pruning and metrics (the trainers set their own)


def _prune(method: str, s: L0Settings, model: nn.Module, task: _Task, seed: int) -> tuple[Masks, dict]:
    """Prune ``model`` in place by the method's rule; return the keep-masks and the pruning metrics."""
    spec = get(method)
    names = prunable_names(model, s.include_biases)
    total = sum(model.get_parameter(n).numel() for n in names)
    info: dict[str, Any] = {}

    def rgp(tag: str) -> Masks:
        masks = random_gradient_masks(model, names, task.input_shape, s.rgp_samples, seed)
        apply_masks(model, masks)
        info[f"rgp_{tag}_nonzero"] = sum(int(m.sum()) for m in masks.values())
        return masks

    if spec.pruning == "none":
        return {n: model.get_parameter(n).detach() != 0 for n in names}, info
    if spec.pruning == "magnitude":
        masks = magnitude_keep_masks(model, names, float(s.sparsity))
        apply_masks(model, masks)
        return masks, info
    if spec.pruning == "rgp":
        return rgp("only"), info
    parts = [rgp("before")] if s.random_gradient_pruning else []
    result = tamade(model, task.prune_loss, names, s.delta, s.resolution)
    apply_masks(model, result.masks)
    parts.append(result.masks)
    info.update(tamade_threshold=result.threshold, tamade_steps=result.steps, tamade_max_abs=result.max_abs,
                tamade_loss_before=result.loss_before, tamade_loss_after=result.loss_after)  # fmt: skip
    if s.random_gradient_pruning:
        parts.append(rgp("after"))
    masks = combine(*parts)
    info["prunable_parameters"] = total
    return masks, info


def _procedure(method: str, s: L0Settings, task: _Task, hook: TrainHook, seed: int,
               log: logging.Logger) -> L0Result:  # fmt: skip
    with deterministic_torch(torch.device("cpu"), task.threads):
        return _phases(method, s, task, hook, seed, log)


def _phases(method: str, s: L0Settings, task: _Task, hook: TrainHook, seed: int,
            log: logging.Logger) -> L0Result:  # fmt: skip
    spec = get(method)
    model, history, trained = task.fit(hook, 0)
    history = history.assign(phase="regularised")
    before = task.test(model)
    masks, info = _prune(method, s, model, task, seed)
    after = task.test(model)
    seconds = float(trained.get("train_seconds", 0.0))
    if spec.pruning != "none" and s.finetune_epochs > 0:
        model, tuned, metrics = task.fit(MaskedFinetuneHook(model, masks), s.finetune_epochs)
        history = pd.concat([history, tuned.assign(phase="finetune")], ignore_index=True)
        seconds += float(metrics.get("train_seconds", 0.0))
        apply_masks(model, masks)  # a no-op by construction (the parametrization zeroed them)
    model = model.cpu().eval()
    final = task.test(model)
    names = prunable_names(model, s.include_biases)
    prunable = sum(model.get_parameter(n).numel() for n in names)
    nonzero_prunable = sum(int(torch.count_nonzero(model.get_parameter(n))) for n in names)
    weights = compressed_weights(model)
    sigma = None
    train_loss = task.train_loss(model)
    train_dl = dl_report(model, task.model_name, train_loss, task.n_train, task.kind, sigma)
    test_data = (classification_data_bytes(final["test_loss"], task.n_test) if task.kind == "classification"
                 else regression_data_bytes(final["test_loss"], task.n_test, sigma))  # fmt: skip
    metrics = {
        "method": method,
        **{f"l0_{k}": v for k, v in s.as_dict().items()},
        "total_parameters": sum(p.numel() for p in model.parameters()),
        "prunable_parameters": prunable,
        "nonzero_prunable_parameters": nonzero_prunable,
        "sparsity": 1.0 - nonzero_prunable / prunable,
        "compression_ratio_parameters": sum(p.numel() for p in model.parameters())
        / max(train_dl["nonzero_parameters"], 1),
        "total_weights": sum(model.get_parameter(n).numel() for n in weights),
        "nonzero_weights": sum(int(torch.count_nonzero(model.get_parameter(n))) for n in weights),
        **{f"{k}_before_pruning": v for k, v in before.items()},
        **{f"{k}_after_pruning": v for k, v in after.items()},
        **final,
        "train_loss": train_loss,
        **info,
        **train_dl,
        "test_data_bytes": test_data,
        "test_dl_bytes_four_per_nonzero": train_dl["model_bytes_four_per_nonzero"] + test_data,
        "test_dl_bytes_stored": train_dl["model_bytes_stored"] + test_data,
        "train_seconds": seconds,
        **{k: v for k, v in trained.items() if k.startswith(("pmmp_", "penalty"))},
    }
    log.info("%s: sparsity %.4f, test %s", method, metrics["sparsity"], final)
    return L0Result(model, compressed_model(model, task.model_name), masks, history, metrics)


def run_classifier(
    method: str,
    model_name: str,
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    x_test: np.ndarray | torch.Tensor,
    y_test: np.ndarray | torch.Tensor,
    num_classes: int,
    config: TrainConfig,
    settings: L0Settings | None = None,
    seed: int = 0,
    x_val: np.ndarray | torch.Tensor | None = None,
    y_val: np.ndarray | torch.Tensor | None = None,
    log: logging.Logger | None = None,
) -> L0Result:
    """``method`` on registry model ``model_name``: ``config.epochs`` regularised epochs, pruning, then
    ``settings.finetune_epochs`` masked epochs with the same config (the schedule restarts).

    The data bytes of the DL are those of the training set (``data_bytes``, ``dl_bytes_*``) and of the test
    set (``test_data_bytes``, ``test_dl_bytes_*``) under the final model.
    """  # fmt: skip
    settings = validate(method, settings or L0Settings())
    log = log or logging.getLogger(__name__)
    hook = make_hook(method, settings, config.weight_decay)
    xt, yt = as_inputs(x_train), torch.as_tensor(np.asarray(y_train), dtype=torch.int64)
    xs, ys = as_inputs(x_test), torch.as_tensor(np.asarray(y_test), dtype=torch.int64)
    if x_val is None:
        xv, yv = xt, yt
    else:
        xv, yv = as_inputs(x_val), torch.as_tensor(np.asarray(y_val), dtype=torch.int64)
    batch = config.eval_batch_size

    def fit(h: TrainHook, epochs: int) -> tuple[nn.Module, pd.DataFrame, dict[str, Any]]:
        cfg = config if epochs == 0 else replace(config, epochs=epochs)
        r = train(model_name, xt, yt, xs, ys, num_classes, cfg, seed, log, h)
        return r.model, r.history, r.metrics

    def loss(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
        return evaluate(module.cpu(), x, y, batch)[0]

    def test(module: nn.Module) -> dict[str, float]:
        value, accuracy, _ = evaluate(module.cpu(), xs, ys, batch)
        return {"test_loss": value, "test_accuracy": accuracy}

    task = _Task(
        fit, lambda m: loss(m, xv, yv), lambda m: loss(m, xt, yt), test, tuple(xt.shape[1:]), model_name,
        "classification", int(xt.shape[0]), int(xs.shape[0]), config.threads,
    )  # fmt: skip
    return _procedure(method, settings, task, hook, seed, log)


def run_regression(
    method: str,
    data: TeacherStudentData,
    config: RegressionConfig,
    settings: L0Settings | None = None,
    seed: int = 0,
    student_sizes: tuple[int, ...] = (2, 25, 25, 1),
    log: logging.Logger | None = None,
) -> L0Result:
    """``method`` on a teacher–student student (:func:`~.teacher.student_network` of ``seed``): TAMADE on
    the validation MSE; DL with the Gaussian code at the learned σ (σ² = MSE)."""
    settings = validate(method, settings or L0Settings())
    log = log or logging.getLogger(__name__)
    hook = make_hook(method, settings, config.weight_decay)
    student = student_network(seed, student_sizes)
    t = {k: torch.from_numpy(getattr(data, k)) for k in ("x_train", "y_train", "x_val", "y_val", "x_test",
                                                          "y_test")}  # fmt: skip
    arrays = [t[k] for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")]

    def fit(h: TrainHook, epochs: int) -> tuple[nn.Module, pd.DataFrame, dict[str, Any]]:
        cfg = config if epochs == 0 else replace(config, epochs=epochs)
        r = train_regression(student, *arrays, cfg, seed, h, log)
        return r.model, r.history, r.metrics

    def test(module: nn.Module) -> dict[str, float]:
        value = mse(module, t["x_test"], t["y_test"])
        return {"test_loss": value, "test_mse": value}

    name = "tanh_mlp_" + "_".join(str(s) for s in student_sizes)
    task = _Task(fit, lambda m: mse(m, t["x_val"], t["y_val"]), lambda m: mse(m, t["x_train"], t["y_train"]),
                 test, (student_sizes[0],), name, "regression", int(t["x_train"].shape[0]),
                 int(t["x_test"].shape[0]), config.threads)  # fmt: skip
    result = _procedure(method, settings, task, hook, seed, log)
    result.metrics.update(teacher_parameters=data.teacher_parameters, teacher_test_mse=data.teacher_mse(),
                          noise_sigma=data.sigma)  # fmt: skip
    return result
