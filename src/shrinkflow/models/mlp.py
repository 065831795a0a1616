"""The parametric MLP family ``mlp_w{width}_d{depth}`` (course project "Model Compression", Task 1: accuracy
against width at fixed depth and against depth at fixed width).

Names are parsed, not listed: any width in [1, 8192] and depth in [1, 16] is a model, written without
leading zeros so that a path parses one way only (``mlp_w128_d3``, never ``mlp_w0128_d3``).
"""

from __future__ import annotations

import re

from torch import nn

from .base import ModelError, Shape, ToVector, ViewClassifier, numel

WIDTHS = (1, 8192)
DEPTHS = (1, 16)
#: the regular expression of an MLP name (no range check): for Snakemake wildcard constraints and schemas
MLP_REGEX = r"mlp_w[1-9][0-9]*_d[1-9][0-9]*"
MLP_PATTERN = re.compile(MLP_REGEX)
_PARTS = re.compile(r"mlp_w([0-9]+)_d([0-9]+)")


def mlp(input_shape: Shape, num_classes: int, width: int, depth: int) -> ViewClassifier:
    """A multilayer perceptron: the flattened input → ``depth`` hidden layers (Linear ``width`` → ReLU each)
    → Linear ``num_classes``.

    ``depth`` counts the hidden layers, so the network has ``depth + 1`` Linear layers (``mlp_w800_d2`` is
    Hinton et al.'s 784-800-800-10 MNIST student). ``features`` gives the last hidden layer's activations.
    """
    _check_range("width", width, WIDTHS)
    _check_range("depth", depth, DEPTHS)
    layers: list[nn.Module] = []
    fan_in = numel(input_shape)
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    return ViewClassifier(input_shape, nn.Sequential(*layers), nn.Linear(width, num_classes), ToVector())


def _check_range(what: str, value: int, bounds: tuple[int, int]) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise ModelError(f"MLP {what} must be an integer in [{bounds[0]}, {bounds[1]}], got {value}")


def is_mlp_name(name: str) -> bool:
    """Whether ``name`` is a valid ``mlp_w{width}_d{depth}`` name (pattern and ranges)."""
    try:
        parse_mlp_name(name)
    except ModelError:
        return False
    return True


def parse_mlp_name(name: str) -> tuple[int, int]:
    """``(width, depth)`` of ``mlp_w{width}_d{depth}``; else :class:`ModelError` naming what is allowed."""
    if not isinstance(name, str) or not _PARTS.fullmatch(name):
        raise ModelError(f"{name!r} is not an MLP name; allowed: mlp_w{{width}}_d{{depth}}, e.g. mlp_w128_d3")
    width, depth = (int(g) for g in _PARTS.fullmatch(name).groups())
    for what, value, bounds in (("width", width, WIDTHS), ("depth", depth, DEPTHS)):
        if not bounds[0] <= value <= bounds[1]:
            raise ModelError(
                f"MLP name {name!r}: {what} {value} is out of range; allowed: {bounds[0]}–{bounds[1]} "
                f"(mlp_w{{width}}_d{{depth}}, width {WIDTHS[0]}–{WIDTHS[1]}, depth {DEPTHS[0]}–{DEPTHS[1]})"
            )
    if not MLP_PATTERN.fullmatch(name):
        raise ModelError(f"MLP name {name!r} has a leading zero; write it as 'mlp_w{width}_d{depth}'")
    return width, depth


def mlp_builder(name: str):
    """The ``(input_shape, num_classes) -> ViewClassifier`` builder of an MLP name (documented per name)."""
    width, depth = parse_mlp_name(name)

    def builder(input_shape: Shape, num_classes: int) -> ViewClassifier:
        return mlp(input_shape, num_classes, width, depth)

    layers = f"{depth} hidden layer{'s' if depth > 1 else ''}"
    builder.__doc__ = f"MLP with {layers} of width {width} (ReLU), then a linear head."
    return builder
