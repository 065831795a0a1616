"""Levels of the rate–distortion codecs, parsed without numpy or torch (config-validation time).

A level is a short string that names one rate–distortion point and is safe in a path:

* ``jpeg`` / ``webp``: a quality (Pillow scale); ``png``: ``full`` (lossless control);
* ``zfp_rate``: bits per value; ``zfp_precision``: bit planes kept;
* ``coin``: a SIREN architecture ``LxW`` (L sine layers of width W, COIN's naming: ``5x20``);
* ``coin_qn`` / ``coin_ptq``: ``LxW-b{bits}-{w|wb}``: bits in 1–16, quantizing weights only (``w``) or
  weights and biases (``wb``), e.g. ``5x20-b4-w``;
* ``coin_mcnc``: ``LxW-d{d}-k{k}``: MCNC chunk size d and manifold dimension k, e.g. ``5x20-d200-k9``.

Every failure is an :class:`RDLevelError` naming the codec, the value and what is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

#: COIN's architectures per bpp on Kodak (Dupont et al. 2021, appendix A; reference-facts.md):
#: level → (parameters, published bpp on 768×512 images)
COIN_ARCHITECTURES: dict[str, tuple[int, float]] = {
    "5x20": (1803, 0.0736),
    "5x30": (3903, 0.1604),
    "10x28": (7479, 0.3074),
    "10x40": (15003, 0.6109),
    "13x49": (29697, 1.209),
}

MAX_LAYERS = 32
MAX_WIDTH = 1024
QN_BITS = (1, 2, 4, 8, 16)  # the project's widths; any integer in 1..16 is accepted
MAX_BITS = 16
QN_TARGETS = ("w", "wb")  # weights only, weights and biases
MAX_IMAGE_SIDE = 65535  # COIN-family headers store H and W as uint16


class RDLevelError(ValueError):
    """A level, parameter or image a rate–distortion codec cannot take; the message says what is allowed."""


@dataclass(frozen=True)
class Architecture:
    """A COIN SIREN: ``layers`` sine layers of ``width`` (2 → W → … → W → 3, the output layer linear)."""

    layers: int
    width: int

    @property
    def num_parameters(self) -> int:
        """Weights and biases: (2W + W) + (L − 1)(W² + W) + (3W + 3)."""
        w = self.width
        return 3 * w + (self.layers - 1) * (w * w + w) + 3 * w + 3

    @property
    def name(self) -> str:
        return f"{self.layers}x{self.width}"

    def layer_shapes(self) -> list[tuple[int, int]]:
        """(out, in) of every linear map, input layer first, the linear RGB output last."""
        w = self.width
        return [(w, 2)] + [(w, w)] * (self.layers - 1) + [(3, w)]


@dataclass(frozen=True)
class QNLevel:
    """A quantized COIN point: architecture, bit width and whether biases are quantized too."""

    architecture: Architecture
    bits: int
    target: str  # "w" | "wb"

    @property
    def quantize_biases(self) -> bool:
        return self.target == "wb"


@dataclass(frozen=True)
class MCNCLevel:
    """An MCNC-compressed COIN point: architecture and MCNC's chunk size d and manifold dimension k."""

    architecture: Architecture
    d: int
    k: int


_ARCH = r"(\d+)x(\d+)"


def parse_architecture(codec: str, text: Any) -> Architecture:
    match = re.fullmatch(_ARCH, str(text).strip())
    if match is None:
        raise RDLevelError(
            f"{codec}: architecture {text!r} is not 'LxW' (L sine layers of width W, e.g. '5x20'); COIN's: "
            f"{list(COIN_ARCHITECTURES)}"
        )
    layers, width = int(match[1]), int(match[2])
    if not 1 <= layers <= MAX_LAYERS or not 1 <= width <= MAX_WIDTH:
        raise RDLevelError(
            f"{codec}: architecture {text!r} is outside layers 1..{MAX_LAYERS}, width 1..{MAX_WIDTH}"
        )
    return Architecture(layers, width)


def _int(codec: str, level: Any, low: int, high: int, meaning: str) -> int:
    text = "not-a-number" if isinstance(level, bool) else str(level).strip()
    if not re.fullmatch(r"[+-]?\d+", text) or not low <= int(text) <= high:
        raise RDLevelError(f"{codec}: level {level!r} is not an integer {meaning} in {low}..{high}")
    return int(text)


def _float(codec: str, level: Any, low: float, high: float, meaning: str) -> float:
    try:
        value = float("nan" if isinstance(level, bool) else str(level).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise RDLevelError(f"{codec}: level {level!r} is not a {meaning} in [{low:g}, {high:g}]")
    return value


def parse_qn_level(codec: str, level: Any) -> QNLevel:
    match = re.fullmatch(_ARCH + r"-b(\d+)-(w|wb)", str(level).strip())
    if match is None:
        raise RDLevelError(
            f"{codec}: level {level!r} is not 'LxW-b<bits>-<w|wb>' (e.g. '5x20-b4-w': weights only, "
            "'5x20-b4-wb': weights and biases)"
        )
    bits = int(match[3])
    if not 1 <= bits <= MAX_BITS:
        raise RDLevelError(f"{codec}: bits {bits} in level {level!r} outside 1..{MAX_BITS}")
    return QNLevel(parse_architecture(codec, f"{match[1]}x{match[2]}"), bits, match[4])


def parse_mcnc_level(codec: str, level: Any) -> MCNCLevel:
    match = re.fullmatch(_ARCH + r"-d(\d+)-k(\d+)", str(level).strip())
    if match is None:
        raise RDLevelError(f"{codec}: level {level!r} is not 'LxW-d<d>-k<k>' (e.g. '5x20-d200-k9')")
    d, k = int(match[3]), int(match[4])
    if not 2 <= d < 2**31 or not 1 <= k < d or k > 65535:
        raise RDLevelError(f"{codec}: level {level!r} needs 2 ≤ d < 2^31 and 1 ≤ k < d (k ≤ 65535)")
    return MCNCLevel(parse_architecture(codec, f"{match[1]}x{match[2]}"), d, k)


#: registry name → (family, level meaning): the one list of rate–distortion codec names
CODECS: dict[str, tuple[str, str]] = {
    "jpeg": ("jpeg", "JPEG quality 1..95 (Pillow)"),
    "webp": ("webp", "WebP quality 0..100 (Pillow, lossy)"),
    "png": ("lossless", "none: 'full' (lossless control)"),
    "zfp_rate": ("zfp", "rate (bits per value, 9/16..32)"),
    "zfp_precision": ("zfp", "precision (bit planes kept, 1..32)"),
    "coin": ("coin", "SIREN architecture LxW"),
    "coin_qn": ("coin_qn", "LxW-b<bits>-<w|wb>: Quantization Networks training at 1..16 bits"),
    "coin_ptq": ("coin_ptq", "LxW-b<bits>-<w|wb>: post-training quantization of a COIN fit"),
    "coin_mcnc": ("coin_mcnc", "LxW-d<d>-k<k>: MCNC reparameterisation of the SIREN"),
}


def parse_level(codec: str, level: Any) -> Any:
    """The parsed level of registry codec ``codec`` (int, float, None, Architecture, QNLevel, MCNCLevel)."""
    if codec not in CODECS:
        raise RDLevelError(f"unknown rate–distortion codec {codec!r}; allowed: {list(CODECS)}")
    if codec == "jpeg":
        return _int(codec, level, 1, 95, "JPEG quality")
    if codec == "webp":
        return _int(codec, level, 0, 100, "WebP quality")
    if codec == "png":
        if str(level) != "full":
            raise RDLevelError(f"png: has no level; use 'full', got {level!r}")
        return None
    if codec == "zfp_rate":
        return _float(codec, level, 9 / 16, 32.0, "rate (bits per value)")
    if codec == "zfp_precision":
        return _int(codec, level, 1, 32, "precision (bit planes)")
    if codec == "coin":
        return parse_architecture(codec, level)
    if codec in ("coin_qn", "coin_ptq"):
        return parse_qn_level(codec, level)
    return parse_mcnc_level(codec, level)


def check_image_shape(codec: str, shape: tuple[int, ...]) -> None:
    """Images are uint8 H×W×3 (RGB) of at least 8×8 and at most 65535 per side."""
    if len(shape) != 3 or shape[2] != 3:
        raise RDLevelError(f"{codec}: images must be H×W×3 (RGB), got shape {tuple(shape)}")
    if not 8 <= min(shape[:2]) or max(shape[:2]) > MAX_IMAGE_SIDE:
        raise RDLevelError(f"{codec}: image sides must be in 8..{MAX_IMAGE_SIDE}, got {tuple(shape[:2])}")
