"""The one interface every training-data codec implements.

A codec turns a stack of uint8 images (N×H×W×C) into a :class:`Payload`: the arrays exactly as they would be
kept on disk plus the metadata needed to decode them. ``stored_bytes`` is the size of those arrays, so storage
cost is measured, never estimated. Decoding gives one of two views for training:

* ``pixels``: float32 N×H×W×C in [0, 1] on the original image grid ("learning from decompressed data");
* ``coefficients``: float32 compressed-domain representation, shape chosen by the codec
  ("learning directly from compressed data").

Every payload's ``meta["storage"]`` says in words what is stored and counted (headers, scales, offsets,
pixel scale); the compress driver copies it into the sidecar. ``parse_level`` and ``params`` (with the
codec's ``check_params``) only look at the level, parameters and image shape, so the workflow can run
them at config-validation time.

Methods (registry names): ``identity``, ``dct``, ``random_projection``, ``downsample``,
``binary_then_resize``, ``resize_then_binary``, ``jpeg``, ``png``, ``zfp_rate``, ``zfp_precision``,
``zfp_accuracy``, ``zfp_reversible``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

VIEWS = ("pixels", "coefficients")


class LevelError(ValueError):
    """A level or parameter a codec cannot honour; the message names method, value and allowed range."""


@dataclass
class Payload:
    """What a codec stores: ``arrays`` exactly as kept on disk, ``meta`` (JSON-able) to decode them."""

    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def stored_bytes(self) -> int:
        return int(sum(np.asarray(a).nbytes for a in self.arrays.values()))

    @property
    def index_bytes(self) -> int:
        """The part of ``stored_bytes`` that only locates per-item streams (the ``offsets`` array)."""
        return int(np.asarray(self.arrays["offsets"]).nbytes) if "offsets" in self.arrays else 0


class Codec(ABC):
    """Base class: subclasses set ``name`` and ``family``, implement encode/decode and level validation."""

    name: ClassVar[str]
    #: codecs of one family (lossless controls, the two binary orders, the zfp modes) share a colour in
    #: figures and differ by marker and line style; a codec unlike any other is its own family (its name)
    family: ClassVar[str]
    #: human-readable meaning of ``level`` ("k (kept DCT coefficients per side)", "JPEG quality", ...)
    level_meaning: ClassVar[str] = "level"
    #: codecs without a level (lossless controls) take the single level "full"
    has_level: ClassVar[bool] = True
    #: default parameters (from config ``codecs.<name>``), merged under the user's
    default_params: ClassVar[Mapping[str, Any]] = {}

    def parse_level(self, level: str | int | float, image_shape: tuple[int, int, int]) -> Any:
        """Turn a config/wildcard level into the codec's parameter, or raise :class:`LevelError`."""
        if not self.has_level:
            if str(level) != "full":
                raise LevelError(f"method {self.name!r} has no level; use 'full', got {level!r}")
            return None
        return self._parse_level(level, image_shape)

    def _parse_level(self, level: str | int | float, image_shape: tuple[int, int, int]) -> Any:
        raise NotImplementedError

    def params(self, user_params: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = dict(self.default_params)
        unknown = set(user_params or {}) - set(merged) - {"view"}
        if unknown:
            raise LevelError(
                f"codecs.{self.name}: unknown parameter(s) {sorted(unknown)}; allowed: {sorted(merged)}"
            )
        merged.update({k: v for k, v in (user_params or {}).items() if k != "view"})
        self.check_params(merged)
        return merged

    def check_params(self, params: Mapping[str, Any]) -> None:
        """Raise :class:`LevelError` for parameter values the codec cannot honour (cheap; config-time)."""
        return None

    @abstractmethod
    def encode(
        self,
        images: np.ndarray,
        level: Any,
        params: Mapping[str, Any],
        rng: np.random.Generator,
        threads: int = 1,
    ) -> Payload:
        """Compress uint8 images N×H×W×C at a parsed level; per-image codecs use ``threads`` processes."""

    @abstractmethod
    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        """Decode a payload to a float32 view (see module docstring)."""

    def torch_transform(self, payload_meta: Mapping[str, Any], view: str) -> Callable | None:
        """A differentiable torch map from raw images (float N×H×W×C in [0, 1]) to the model's input view.

        Used to attribute a compressed-data model's decision back to raw pixels. ``None`` means the codec is
        not differentiable (JPEG, zfp, thresholding): attribute on the decoded image instead.
        """
        return None

    def view_offset(
        self, payload_meta: Mapping[str, Any], view: str, center: float, image_shape: tuple[int, ...],
        view_shape: tuple[int, ...],
    ) -> np.ndarray:
        """What a model subtracts so that it sees the view of the centred image ``x − center`` ("less is
        more" scales pixels to [−0.5, 0.5] before compressing): the view of the constant image ``center``.

        Exact for the pixel view of every codec and for linear coefficient views (``torch_transform``
        without its clip: DCT, random projection, bilinear resize); other coefficient views are not linear
        in the pixels, so centring cannot be moved past the codec and :class:`LevelError` says so.
        """
        if view == "pixels":
            return np.full(image_shape, center, np.float32)
        transform = self.torch_transform(payload_meta, view)
        if transform is None:
            raise LevelError(
                f"train.input_center: the {view} view of {self.name!r} is not linear in the pixels, so the "
                "centred image's view is unknown; allowed: pixel views, or dct, random_projection, downsample"
            )
        import torch

        constant = torch.full((1, *image_shape), float(center), dtype=torch.float64)
        offset = transform(constant)[0].numpy().astype(np.float32)
        if offset.shape != tuple(view_shape):
            raise ValueError(f"{self.name}: offset of shape {offset.shape} for a view of shape {view_shape}")
        return offset


def check_view(codec: Codec, view: str) -> None:
    if view not in VIEWS:
        raise LevelError(f"view {view!r} of method {codec.name!r} is not one of {list(VIEWS)}")
