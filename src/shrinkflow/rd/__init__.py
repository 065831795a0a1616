"""Rate–distortion stage library: per-image codecs judged on their real stored bytes (issue 15).

``rd.get(name)`` gives a codec with ``encode(image uint8 H×W×3, level, params) -> bytes`` and
``decode(bytes) -> uint8 H×W×3``; ``rd.names()`` is the one list of names (schema, wildcards) and
``rd.parse_level(name, level)`` validates a level without importing numpy or torch.

This module imports neither numpy nor torch; the code lives in submodules loaded on first use:
:mod:`.classical` (jpeg, webp, png, zfp), :mod:`.coin`, :mod:`.qn`, :mod:`.coin_mcnc` (the neural codecs),
:mod:`.metrics` (PSNR, MS-SSIM, bpp), :mod:`.bd` (BD-rate, BD-PSNR), :mod:`.images` (scikit-image
photographs) and :mod:`.results` (``evaluate``: one results file per codec and level).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..registry import lazy_attributes
from .spec import (
    CODECS,
    COIN_ARCHITECTURES,
    QN_BITS,
    QN_TARGETS,
    Architecture,
    MCNCLevel,
    QNLevel,
    RDLevelError,
    check_image_shape,
    parse_architecture,
    parse_level,
)

#: registry name → (module, class) of the implementation
_IMPLEMENTATIONS = {
    "jpeg": ("classical", "JpegRD"),
    "webp": ("classical", "WebpRD"),
    "png": ("classical", "PngRD"),
    "zfp_rate": ("classical", "ZfpRateRD"),
    "zfp_precision": ("classical", "ZfpPrecisionRD"),
    "coin": ("coin", "CoinCodec"),
    "coin_qn": ("qn", "CoinQNCodec"),
    "coin_ptq": ("qn", "CoinPTQCodec"),
    "coin_mcnc": ("coin_mcnc", "CoinMCNCCodec"),
}
_INSTANCES: dict[str, Any] = {}


def names() -> list[str]:
    return list(CODECS)


def family(name: str) -> str:
    """The codec's family (figures colour by family)."""
    _check_name(name)
    return CODECS[name][0]


def level_meaning(name: str) -> str:
    _check_name(name)
    return CODECS[name][1]


def _check_name(name: str) -> None:
    if name not in CODECS:
        raise RDLevelError(f"unknown rate–distortion codec {name!r}; allowed: {names()}")


def get(name: str) -> Any:
    """The codec object registered as ``name`` (an :class:`.base.RDCodec`; imports its module)."""
    _check_name(name)
    if name not in _INSTANCES:
        module, cls = _IMPLEMENTATIONS[name]
        _INSTANCES[name] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
    return _INSTANCES[name]


#: public functions of the numpy/torch submodules, loaded on first access (PEP 562)
_LAZY = {
    "psnr": "metrics",
    "ms_ssim": "metrics",
    "bpp": "metrics",
    "bd_rate": "bd",
    "bd_psnr": "bd",
    "load_skimage_photos": "images",
    "SKIMAGE_PHOTOS": "images",
    "evaluate": "results",
    "compressai_curve": "results",
    "write_result": "results",
    "Encoded": "base",
    "RDCodec": "base",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "CODECS", "COIN_ARCHITECTURES", "QN_BITS", "QN_TARGETS", "Architecture", "MCNCLevel", "QNLevel",
    "RDLevelError", "check_image_shape", "family", "get", "level_meaning", "names", "parse_architecture",
    "parse_level", *sorted(_LAZY),
]  # fmt: skip
