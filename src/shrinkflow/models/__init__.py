"""Registry of classifiers: ``models.build(name, input_shape, num_classes)``; the schema lists these names.

``input_shape`` is one sample's decoded view shape without N, channels-last as the codecs give it:
``(28, 28, 1)`` pixels, ``(14, 14, 1)`` downsample coefficients, ``(8, 8, 1)`` DCT coefficients,
``(64,)`` random-projection vectors, ``(32, 32, 3)`` CIFAR pixels. Besides the fixed names (``names()``),
every ``mlp_w{width}_d{depth}`` name is a model (:mod:`.mlp`; ``is_model_name`` accepts both). Every model

* starts with :class:`Standardize` (scalar ``input_mean`` / ``input_std`` buffers, set by the trainer from
  the training set and saved in the state_dict, so a loaded model is the whole function view → logits);
* exposes ``features(x)`` (penultimate activations, N × D) and ``forward(x) = head(features(x))``;
* takes float32 N × input_shape tensors and permutes/reshapes internally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .base import (
    ModelError,
    Shape,
    Standardize,
    ToImage,
    ToSequence,
    ToVector,
    ViewClassifier,
    image_geometry,
)
from .cifar import alexnet, resnet20, resnet110, vgg19_bn
from .mlp import DEPTHS, MLP_PATTERN, MLP_REGEX, WIDTHS, is_mlp_name, mlp, mlp_builder, parse_mlp_name
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


_REGISTRY: dict[str, ModelSpec] = {
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


def names() -> list[str]:
    """The fixed registry names (the parametric ``mlp_w{width}_d{depth}`` family is not listed)."""
    return sorted(_REGISTRY)


def is_model_name(name: str) -> bool:
    """Whether ``name`` is a registry name or a valid ``mlp_w{width}_d{depth}`` name."""
    return name in _REGISTRY or is_mlp_name(name)


def get(name: str) -> ModelSpec:
    """The registry entry ``name``, or the MLP family member it names; :class:`ModelError` otherwise."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if isinstance(name, str) and name.startswith("mlp_"):
        return ModelSpec(name, mlp_builder(name))  # raises ModelError naming the allowed ranges
    raise ModelError(
        f"unknown model {name!r}; allowed: {names()} or mlp_w{{width}}_d{{depth}} "
        f"(width {WIDTHS[0]}–{WIDTHS[1]}, depth {DEPTHS[0]}–{DEPTHS[1]})"
    )


def build(name: str, input_shape: Sequence[int], num_classes: int) -> ViewClassifier:
    """A freshly initialised model ``name`` for samples of ``input_shape`` (no N) and ``num_classes``."""
    return get(name).build(input_shape, num_classes)


__all__ = [
    "ModelError", "ModelSpec", "Shape", "Standardize", "ToImage", "ToSequence", "ToVector", "ViewClassifier",
    "DEPTHS", "MLP_PATTERN", "MLP_REGEX", "WIDTHS", "build", "get", "image_geometry", "is_model_name", "mlp",
    "names", "parse_mlp_name",
]  # fmt: skip
