"""The model registry (imports torch): name → builder, ``get`` and ``build``; see :mod:`shrinkflow.models`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .base import (
    Shape,
    ViewClassifier,
)
from .cifar import alexnet, resnet20, resnet110, vgg19_bn
from .mlp import mlp_builder
from .names import DEPTHS, WIDTHS, ModelError
from .small import cnn1d_paper, cnn2d, cnn2d_bn, lenet5, lenet300

# ---- registry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """A named architecture and the function that builds it for one view shape and class count."""

    name: str
    builder: Callable[[Shape, int], ViewClassifier]

    @property
    def description(self) -> str:
        return (self.builder.__doc__ or "").strip().splitlines()[0]

    def build(self, input_shape: Sequence[int], num_classes: int) -> ViewClassifier:
        if int(num_classes) < 2:
            raise ModelError(f"num_classes must be at least 2, got {num_classes!r}")
        return self.builder(tuple(int(s) for s in input_shape), int(num_classes))


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("cnn1d_paper", cnn1d_paper),
        ModelSpec("lenet300", lenet300),
        ModelSpec("lenet5", lenet5),
        ModelSpec("cnn2d", cnn2d),
        ModelSpec("cnn2d_bn", cnn2d_bn),
        ModelSpec("resnet20", resnet20),
        ModelSpec("resnet110", resnet110),
        ModelSpec("alexnet", alexnet),
        ModelSpec("vgg19_bn", vgg19_bn),
    )
}


def get(name: str) -> ModelSpec:
    """The registry entry ``name``, or the MLP family member it names; :class:`ModelError` otherwise."""
    if name in REGISTRY:
        return REGISTRY[name]
    if isinstance(name, str) and name.startswith("mlp_"):
        return ModelSpec(name, mlp_builder(name))  # raises ModelError naming the allowed ranges
    raise ModelError(
        f"unknown model {name!r}; allowed: {sorted(REGISTRY)} or mlp_w{{width}}_d{{depth}} "
        f"(width {WIDTHS[0]}–{WIDTHS[1]}, depth {DEPTHS[0]}–{DEPTHS[1]})"
    )


def build(name: str, input_shape: Sequence[int], num_classes: int) -> ViewClassifier:
    """A freshly initialised model ``name`` for samples of ``input_shape`` (no N) and ``num_classes``."""
    return get(name).build(input_shape, num_classes)
