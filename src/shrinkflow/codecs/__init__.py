"""Registry of training-data codecs: ``codecs.get(name)``; the config schema's method names come from here."""

from __future__ import annotations

from .base import VIEWS, Codec, LevelError, Payload
from .identity import Identity
from .resize import Downsample

_REGISTRY: dict[str, Codec] = {codec.name: codec for codec in (Identity(), Downsample())}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Codec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LevelError(f"unknown method {name!r}; allowed: {names()}") from None


__all__ = ["VIEWS", "Codec", "LevelError", "Payload", "get", "names"]
