"""The parametric MLP family ``mlp_w{width}_d{depth}`` (course project "Model Compression", Task 1: accuracy
against width at fixed depth and against depth at fixed width).

Names are parsed, not listed: any width in [1, 8192] and depth in [1, 16] is a model, written without
leading zeros so that a path parses one way only (``mlp_w128_d3``, never ``mlp_w0128_d3``).
"""

from __future__ import annotations

from torch import nn

from .base import Shape, ToVector, ViewClassifier, numel
from .names import DEPTHS, MLP_PATTERN, MLP_REGEX, WIDTHS, _check_range, is_mlp_name, parse_mlp_name  # noqa: F401


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


def mlp_builder(name: str):
    """The ``(input_shape, num_classes) -> ViewClassifier`` builder of an MLP name (documented per name)."""
    width, depth = parse_mlp_name(name)

    def builder(input_shape: Shape, num_classes: int) -> ViewClassifier:
        return mlp(input_shape, num_classes, width, depth)

    layers = f"{depth} hidden layer{'s' if depth > 1 else ''}"
    builder.__doc__ = f"MLP with {layers} of width {width} (ReLU), then a linear head."
    return builder
