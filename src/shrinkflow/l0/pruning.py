"""The pruning steps of Barth & von Petersenn's procedure and the masked fine-tuning after them.

* TAMADE (:func:`threshold_search`, :func:`tamade`): the largest magnitude threshold t ∈ [0, 2·max|θ|] such
  that the loss with every |θᵢ| < t set to 0 stays ≤ (1 + δ)·the unpruned loss; binary search until the
  interval is narrower than ``resolution`` (their defaults: δ = 0.01, 1e-7). Ties: |θ| = t survives.
* Random gradient pruning (:func:`random_gradient_masks`): the gradient of the output against a random
  N(0, 1) cotangent on a random N(0, 1) input batch; a parameter whose gradient is exactly 0 cannot change
  the output on any input (a dead unit's inputs, outputs cut off by pruning) and is removed. Their code
  draws a random *target* for the loss instead; under MSE that makes the output cotangent 2(ŷ − y)/n, again
  a generic random vector, so the zero pattern is the same, and the cotangent form works for any loss.
* Masked fine-tuning (:class:`MaskedFinetuneHook`): parameter = latent ⊙ mask through
  ``torch.nn.utils.parametrize`` with :mod:`shrinkflow.model_compression.recovery`'s mask parametrization,
  so pruned entries stay exactly 0 whatever the optimizer does; biases can be masked as well as weights.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

from ..model_compression.recovery import FixedMask
from ..model_compression.schemes import magnitude_masks
from ..train_hook import TrainHook

Masks = dict[str, torch.Tensor]


def threshold_search(
    loss_at: Callable[[float], float],
    target: float,
    high: float,
    delta: float = 0.01,
    resolution: float = 1e-7,
    low: float = 0.0,
) -> tuple[float, int]:
    """``(t, steps)``: the largest t found by bisection of [low, high] with loss_at(t) ≤ (1 + δ)·target
    (``low`` itself when no midpoint qualifies). Assumes the loss grows with t, as pruning more does."""
    bound = (1.0 + delta) * target
    best, steps = low, 0
    while high - low > resolution:
        mid = (low + high) / 2
        if mid == low or mid == high:  # float precision exhausted
            break
        steps += 1
        if loss_at(mid) <= bound:
            best = low = mid
        else:
            high = mid
    return best, steps


def threshold_masks(model: nn.Module, names: list[str], threshold: float) -> Masks:
    """Keep-masks |θ| ≥ t (and θ ≠ 0: an exact zero is already pruned) for the parameters ``names``."""
    return {n: (p.detach().abs() >= threshold) & (p.detach() != 0) for n in names
            for p in [model.get_parameter(n)]}  # fmt: skip


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Masks) -> nn.Module:
    """Zero the masked-out entries of ``model``'s parameters in place; returns ``model``."""
    for name, mask in masks.items():
        p = model.get_parameter(name)
        p.mul_(mask.to(device=p.device, dtype=p.dtype))
    return model


@dataclass
class TamadeResult:
    threshold: float
    masks: Masks
    loss_before: float
    loss_after: float
    steps: int
    max_abs: float


@torch.no_grad()
def tamade(
    model: nn.Module,
    loss_fn: Callable[[nn.Module], float],
    names: list[str],
    delta: float = 0.01,
    resolution: float = 1e-7,
) -> TamadeResult:
    """TAMADE on ``model`` (unchanged): the threshold, its keep-masks and the losses before/after.

    ``loss_fn(module) -> float`` is the data loss on held-out (or training) data; the search runs on a copy
    whose parameters ``names`` are reset from the original and thresholded at each probe.
    """  # fmt: skip
    work = copy.deepcopy(model).eval()
    originals = {n: model.get_parameter(n).detach().clone() for n in names}
    targets = {n: work.get_parameter(n) for n in names}
    max_abs = max(float(t.abs().max()) for t in originals.values())

    def loss_at(t: float) -> float:
        for n, p in targets.items():
            p.copy_(torch.where(originals[n].abs() >= t, originals[n], torch.zeros_like(originals[n])))
        return float(loss_fn(work))

    before = loss_at(0.0)
    threshold, steps = threshold_search(loss_at, before, 2.0 * max_abs, delta, resolution)
    masks = threshold_masks(model, names, threshold)
    after = loss_at(threshold)
    return TamadeResult(threshold, masks, before, after, steps, max_abs)


def random_gradient_masks(
    model: nn.Module, names: list[str], input_shape: tuple[int, ...], samples: int = 500, seed: int = 0
) -> Masks:
    """Keep-masks (θ ≠ 0 and gradient ≠ 0) from one backward pass of a random N(0, 1) cotangent through the
    model (eval mode) at a random N(0, 1) input batch of ``samples`` rows (seeded, on the model's device)."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randn((samples, *input_shape), generator=gen).to(device)
    was_training = model.training
    model.eval()
    params = [model.get_parameter(n) for n in names]
    with torch.enable_grad():
        out = model(x)
        cotangent = torch.randn(out.shape, generator=gen).to(device)
        grads = torch.autograd.grad(out, params, grad_outputs=cotangent, allow_unused=True)
    model.train(was_training)
    masks = {}
    for n, p, g in zip(names, params, grads, strict=True):
        alive = torch.zeros_like(p, dtype=torch.bool) if g is None else g != 0
        masks[n] = alive & (p.detach() != 0)
    return masks


def magnitude_keep_masks(model: nn.Module, names: list[str], sparsity: float) -> Masks:
    """Global magnitude masks removing ⌊s·N⌋ of the parameters ``names`` (shrinkflow's ``prune_global``
    rule: :func:`~shrinkflow.model_compression.schemes.magnitude_masks`, stable ties)."""
    return magnitude_masks({n: model.get_parameter(n).detach() for n in names}, sparsity, "global")


def combine(*masks: Masks) -> Masks:
    """Elementwise AND of mask dicts over the union of their names."""
    out: Masks = {}
    for m in masks:
        for n, k in m.items():
            out[n] = k.clone() if n not in out else out[n] & k.to(out[n].device)
    return out


def _owner(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    module_name, _, attr = name.rpartition(".")
    return (model.get_submodule(module_name) if module_name else model), attr


class MaskedFinetuneHook(TrainHook):
    """Fine-tune ``pruned`` (a copy; the trainer's fresh model is replaced) with ``masks`` fixed: masked-out
    entries stay exactly 0. ``export_model`` gives the plain module, parametrizations removed."""

    def __init__(self, pruned: nn.Module, masks: Masks) -> None:
        self.pruned, self.masks = pruned, masks

    def wrap_model(self, model: nn.Module) -> nn.Module:
        device = next(model.parameters()).device
        module = copy.deepcopy(self.pruned).to(device).train()
        for name, mask in self.masks.items():
            owner, attr = _owner(module, name)
            parametrize.register_parametrization(owner, attr, FixedMask(mask.to(device)), unsafe=True)
        return module

    def export_model(self, model: nn.Module) -> nn.Module:
        for name in self.masks:
            owner, attr = _owner(model, name)
            if parametrize.is_parametrized(owner, attr):
                parametrize.remove_parametrizations(owner, attr, leave_parametrized=True)
        return model
