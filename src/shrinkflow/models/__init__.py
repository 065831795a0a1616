"""Registry of classifiers: ``models.build(name, input_shape, num_classes)``; the schema lists these names.

This module imports no torch: names (:mod:`.names`) are read at parse time; the networks and ``build``/``get``
load on first use (:mod:`.registry`, :mod:`.base`, :mod:`.small`, :mod:`.cifar`, :mod:`.mlp`).

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

from ..registry import lazy_attributes
from .names import (
    DEPTHS,
    FIXED_NAMES,
    MLP_PATTERN,
    MLP_REGEX,
    WIDTHS,
    ModelError,
    is_mlp_name,
    parse_mlp_name,
)


def names() -> list[str]:
    """The fixed registry names (the parametric ``mlp_w{width}_d{depth}`` family is not listed)."""
    return sorted(FIXED_NAMES)


def is_model_name(name: str) -> bool:
    """Whether ``name`` is a registry name or a valid ``mlp_w{width}_d{depth}`` name."""
    return name in FIXED_NAMES or is_mlp_name(name)


_LAZY = {
    "ModelSpec": "registry", "REGISTRY": "registry", "get": "registry", "build": "registry",
    "Shape": "base", "Standardize": "base", "ToImage": "base", "ToSequence": "base", "ToVector": "base",
    "ViewClassifier": "base", "image_geometry": "base", "mlp_builder": "mlp",
}  # fmt: skip

__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "DEPTHS", "FIXED_NAMES", "MLP_PATTERN", "MLP_REGEX", "WIDTHS", "ModelError", "is_mlp_name",
    "is_model_name", "names", "parse_mlp_name", *sorted(_LAZY),
]  # fmt: skip
