"""Structured pruning: remove whole filters / neurons and shrink the network (Condensa's ``FilterPrune`` and
``NeuronPrune``; filter selection by L1 norm as in Li et al. 2017, "Pruning Filters for Efficient ConvNets").

The model's ``body`` followed by its ``head`` must be a chain of Conv/Linear layers with only
channel-wise modules between them (ReLU, pooling, BatchNorm, Flatten, Dropout). Every layer but the head
loses the fraction s of its output units with the smallest L1 norm (⌊s·n⌋ units, at least one kept); the
units' BatchNorm channels and the next layer's inputs go with them: a Conv's input channels, or, after
Flatten, a Linear's input columns, which come in contiguous groups per channel (channels-first flattening).
The head's outputs (the classes) are never removed. Removing a unit and its outgoing weights changes the
function exactly as zeroing those outgoing weights would, so the shrunk network equals the zero-filled
one (:func:`zero_masks`, used by the LC C-step).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

PRUNABLE = (nn.Conv1d, nn.Conv2d, nn.Linear)
CHANNELWISE = (nn.ReLU, nn.MaxPool1d, nn.MaxPool2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Identity)
BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


class StructureError(ValueError):
    """A model whose layers are not a plain Conv/Linear chain (e.g. residual additions)."""


@dataclass
class Link:
    """A prunable layer, the BatchNorms on its outputs, and the layer that consumes its outputs."""

    layer: str
    batchnorms: list[str]
    next_layer: str
    flattened: bool  # a Flatten sits between: the next layer's inputs come in groups per channel


def chain(model: nn.Module) -> list[Link]:
    """The links of ``model.body`` + ``model.head``; :class:`StructureError` naming the first module that
    breaks the chain."""
    sequence = [(f"body.{n}", m) for n, m in model.body.named_children()] + [("head", model.head)]
    links: list[Link] = []
    current: tuple[str, list[str], bool] | None = None
    for name, module in sequence:
        if isinstance(module, PRUNABLE):
            if current is not None:
                links.append(Link(current[0], current[1], name, current[2]))
            current = (name, [], False)
        elif isinstance(module, nn.Flatten):
            if current is not None:
                current = (current[0], current[1], True)
        elif isinstance(module, BATCHNORMS):
            if current is not None:
                current[1].append(name)
        elif not isinstance(module, CHANNELWISE):
            raise StructureError(
                f"prune_structured needs a plain chain of Conv/Linear layers, but {name} is a "
                f"{type(module).__name__} (residual connections tie channels across layers)"
            )
    return links


def is_chain(model: nn.Module) -> bool:
    """Whether :func:`chain` accepts ``model``."""
    try:
        chain(model)
    except StructureError:
        return False
    return True


def select_filters(model: nn.Module, sparsity: float) -> dict[str, torch.Tensor]:
    """``{layer: kept output indices}`` (ascending) for every linked layer: the ⌊s·n⌋ units with the smallest
    L1 norm of their incoming weights are removed (ties: the earlier unit goes), at least one kept."""
    modules = dict(model.named_modules())
    keep: dict[str, torch.Tensor] = {}
    for link in chain(model):
        w = modules[link.layer].weight.detach()
        n = w.shape[0]
        removed = min(n - 1, int(sparsity * n + 1e-9))
        norms = w.reshape(n, -1).abs().sum(dim=1).float().cpu()
        order = torch.argsort(norms, stable=True)
        keep[link.layer] = torch.sort(order[removed:]).values
    return keep


def _input_index(link: Link, channels: int, next_inputs: int, kept: torch.Tensor) -> torch.Tensor:
    """Indices of the next layer's inputs that belong to the kept units."""
    if not link.flattened:
        return kept
    if next_inputs % channels:
        raise StructureError(
            f"{link.next_layer} has {next_inputs} inputs, not a multiple of {channels} channels"
        )
    group = next_inputs // channels
    return (kept[:, None] * group + torch.arange(group)).reshape(-1)


def zero_masks(model: nn.Module, keep: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Bool masks (weight-shaped) of the zero-filled network: rows of removed units and the next layer's
    inputs from them are False; every Conv/Linear weight gets a mask."""
    modules = dict(model.named_modules())
    masks = {f"{n}.weight": torch.ones_like(m.weight, dtype=torch.bool, device="cpu")
             for n, m in modules.items() if isinstance(m, PRUNABLE)}  # fmt: skip
    for link in chain(model):
        w, nxt = modules[link.layer].weight, modules[link.next_layer].weight
        rows = torch.zeros(w.shape[0], dtype=torch.bool)
        rows[keep[link.layer]] = True
        masks[f"{link.layer}.weight"] &= rows.reshape(-1, *([1] * (w.dim() - 1)))
        cols = torch.zeros(nxt.shape[1], dtype=torch.bool)
        cols[_input_index(link, w.shape[0], nxt.shape[1], keep[link.layer])] = True
        masks[f"{link.next_layer}.weight"] &= cols.reshape(1, -1, *([1] * (nxt.dim() - 2)))
    return masks


def _set(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def resized(module: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    """A fresh module like ``module`` whose weight (or, for BatchNorm, running mean) has ``shape``."""
    if isinstance(module, nn.Linear):
        return nn.Linear(shape[1], shape[0], bias=module.bias is not None)
    if isinstance(module, nn.Conv1d | nn.Conv2d):
        return type(module)(
            shape[1] * module.groups, shape[0], module.kernel_size, stride=module.stride,
            padding=module.padding, dilation=module.dilation, groups=module.groups,
            bias=module.bias is not None, padding_mode=module.padding_mode,
        )  # fmt: skip
    if isinstance(module, BATCHNORMS):
        return type(module)(shape[0], module.eps, module.momentum, module.affine, module.track_running_stats)
    raise StructureError(f"cannot resize a {type(module).__name__}")


def shrink(model: nn.Module, keep: dict[str, torch.Tensor]) -> nn.Module:
    """A copy of ``model`` with only the kept units: sliced weights, BatchNorms and next-layer inputs."""
    model = copy.deepcopy(model)
    modules = dict(model.named_modules())
    sliced: dict[str, dict[str, torch.Tensor]] = {}

    def state(name: str) -> dict[str, torch.Tensor]:
        return sliced.setdefault(name, {k: v.detach().clone() for k, v in modules[name].state_dict().items()})

    for link in chain(model):
        kept = keep[link.layer]
        layer = state(link.layer)
        channels = layer["weight"].shape[0]
        for key in ("weight", "bias"):
            if key in layer:
                layer[key] = layer[key][kept]
        for bn in link.batchnorms:
            s = state(bn)
            for key in ("weight", "bias", "running_mean", "running_var"):
                if key in s:
                    s[key] = s[key][kept]
        nxt = state(link.next_layer)
        nxt["weight"] = nxt["weight"][:, _input_index(link, channels, nxt["weight"].shape[1], kept)]
    for name, s in sliced.items():
        old = modules[name]
        shape = tuple(s["weight"].shape) if "weight" in s else tuple(s["running_mean"].shape)
        new = resized(old, shape).to(dtype=next(iter(s.values())).dtype)
        new.load_state_dict(s)
        new.train(old.training)
        _set(model, name, new)
    return model


def resize_to(model: nn.Module, shapes: dict[str, tuple[int, ...]]) -> nn.Module:
    """``model`` (changed in place) with every Conv/Linear/BatchNorm resized to the state_dict ``shapes``
    (``{tensor name: shape}``), so a shrunk network's state_dict loads into a fresh registry model."""
    for name, module in list(model.named_modules()):
        key = f"{name}.running_mean" if isinstance(module, BATCHNORMS) else f"{name}.weight"
        if isinstance(module, PRUNABLE + BATCHNORMS) and key in shapes:
            current = module.running_mean if isinstance(module, BATCHNORMS) else module.weight
            if tuple(current.shape) != tuple(shapes[key]):
                _set(model, name, resized(module, tuple(shapes[key])))
    return model
