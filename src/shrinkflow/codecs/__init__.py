"""Registry of training-data codecs: ``codecs.get(name)``; the config schema's method names come from here."""

from __future__ import annotations

from .base import VIEWS, Codec, LevelError, Payload
from .binary import BinaryThenResize, ResizeThenBinary
from .dct import Dct
from .identity import Identity
from .jpeg import Jpeg, Png
from .projection import RandomProjection
from .resize import Downsample
from .zfp import ZfpAccuracy, ZfpPrecision, ZfpRate, ZfpReversible

_REGISTRY: dict[str, Codec] = {
    codec.name: codec
    for codec in (
        Identity(),
        Dct(),
        RandomProjection(),
        Downsample(),
        BinaryThenResize(),
        ResizeThenBinary(),
        Jpeg(),
        Png(),
        ZfpRate(),
        ZfpPrecision(),
        ZfpAccuracy(),
        ZfpReversible(),
    )
}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Codec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LevelError(f"unknown method {name!r}; allowed: {names()}") from None


__all__ = ["VIEWS", "Codec", "LevelError", "Payload", "get", "names"]
