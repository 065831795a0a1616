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


def method_info() -> dict[str, dict[str, str]]:
    """``{method: {"family", "level_meaning"}}`` for every method that results can name: each registered
    codec, plus ``adaptive`` (AdaptCompression runs: a training mode of the dct codec, not a codec).
    Plain strings, so that jobs without torch (the figure rules) can be handed it as a parameter."""
    info = {
        name: {"family": codec.family, "level_meaning": codec.level_meaning}
        for name, codec in sorted(_REGISTRY.items())
    }
    info["adaptive"] = {"family": "adaptive", "level_meaning": "AdaptCompression preset"}
    return info


__all__ = ["VIEWS", "Codec", "LevelError", "Payload", "get", "method_info", "names"]
