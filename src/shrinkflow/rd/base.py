"""The interface of a rate–distortion codec: one image in, the bytes a user would store out, and back.

``encode_many`` is the workhorse (the neural codecs fit several images as one batched network); ``encode``
is one image. ``Encoded.data`` is everything the decoder reads, so ``stored_bytes = len(data)`` and
bpp = 8·stored_bytes / (H·W) are measured, never computed from parameter counts.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .spec import CODECS, RDLevelError, check_image_shape, parse_level


@dataclass
class Encoded:
    """One image's payload (``data``: the stored bytes), its encode time and what the encoder learned."""

    data: bytes
    encode_seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def stored_bytes(self) -> int:
        return len(self.data)


class RDCodec(ABC):
    """A per-image codec; subclasses set ``name``, ``default_params`` and implement the byte conversions."""

    name: ClassVar[str]
    default_params: ClassVar[Mapping[str, Any]] = {}

    @property
    def family(self) -> str:
        return CODECS[self.name][0]

    @property
    def level_meaning(self) -> str:
        return CODECS[self.name][1]

    def parse_level(self, level: Any) -> Any:
        return parse_level(self.name, level)

    def params(self, user: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults merged with ``user``; unknown keys and bad values raise :class:`RDLevelError`."""
        merged = dict(self.default_params)
        unknown = set(user or {}) - set(merged)
        if unknown:
            raise RDLevelError(
                f"{self.name}: unknown parameter(s) {sorted(unknown)}; allowed: {sorted(merged)}"
            )
        merged.update(user or {})
        self.check_params(merged)
        return merged

    def check_params(self, params: Mapping[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Raise :class:`RDLevelError` for parameter values the codec cannot honour."""

    def storage(self, params: Mapping[str, Any]) -> dict[str, str]:
        """What the stored bytes hold and which headers are counted, in words (for the sidecar)."""
        return {}

    @abstractmethod
    def encode_image(self, image: np.ndarray, level: Any, params: Mapping[str, Any]) -> bytes:
        """One uint8 H×W×3 image at a parsed level → the stored bytes."""

    @abstractmethod
    def decode(self, data: bytes) -> np.ndarray:
        """Stored bytes → uint8 H×W×3 image (nothing else is read)."""

    def encode_many(
        self, images: np.ndarray, level: Any, params: Mapping[str, Any] | None = None
    ) -> list[Encoded]:
        """Every image of uint8 N×H×W×3 at ``level`` (unparsed or parsed); one image at a time by default."""
        images, parsed, merged = self.prepare(images, level, params)
        out = []
        for image in images:
            start = time.perf_counter()
            data = self.encode_image(image, parsed, merged)
            out.append(Encoded(data, time.perf_counter() - start))
        return out

    def encode(self, image: np.ndarray, level: Any, params: Mapping[str, Any] | None = None) -> bytes:
        """One uint8 H×W×3 image → stored bytes."""
        return self.encode_many(np.asarray(image)[None], level, params)[0].data

    def prepare(
        self, images: np.ndarray, level: Any, params: Mapping[str, Any] | None
    ) -> tuple[np.ndarray, Any, dict[str, Any]]:
        """Checked images (uint8 N×H×W×3), the parsed level and the merged parameters."""
        images = np.asarray(images)
        if images.ndim != 4 or images.dtype != np.uint8:
            raise RDLevelError(
                f"{self.name}: expects uint8 N×H×W×3 images, got {images.dtype} {images.shape}"
            )
        check_image_shape(self.name, images.shape[1:])
        parsed = level if not isinstance(level, str | int | float) else self.parse_level(level)
        return images, parsed, self.params(params)
