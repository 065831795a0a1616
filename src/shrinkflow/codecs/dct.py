"""``dct``: the top-left k×k block of each image's orthonormal 2-D DCT-II, quantized ("less is more", eq. 2).

Per image and channel the coefficients
``c[u, v] = Σ_xy x[x, y] α_u α_v cos(π(2x+1)u/2H) cos(π(2y+1)v/2W)`` are computed with
``scipy.fft.dctn(axes=(1, 2), norm="ortho")`` over the whole N×H×W×C stack (pixels scaled to [0, 1]); only
``u, v < k`` are kept. They are quantized to ``bits`` with one affine scale per coefficient position
(offset and step, float32, ``2 · 4 · k² · C`` bytes per split, counted), because the DC term (up to
√(H·W) = 28 on MNIST) spans a far wider range than the high frequencies. Codes are bit-packed over the split.

Stored arrays: ``codes`` (uint8, bit-packed N×k×k×C codes, row-major), ``offset`` and ``step`` (float32
k×k×C). Views: ``coefficients`` = dequantized N×k×k×C; ``pixels`` = ``idctn`` of the zero-padded block,
clipped to [0, 1]. AdaptCompression reads a stored k×k block at any k' ≤ k: :func:`truncate_coefficients`,
:func:`truncate_payload`, :func:`bytes_per_sample`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where it is used: the registry loads without it
    import torch

from .base import Codec, Payload, check_view
from .levels import check_int_param, parse_int
from .quantize import MAX_BITS, dequantize, pack_bits, quantize, unpack_bits

#: samples per scipy.fft call: bounds the float32 temporaries (8192×32×32×3×4 B = 100 MB) on large splits
_CHUNK = 8192
#: bytes of scale per kept coefficient position (float32 offset + float32 step)
SCALE_BYTES_PER_POSITION = 8


def dct_block(images: np.ndarray, k: int, threads: int = 1) -> np.ndarray:
    """float32 N×k×k×C top-left block of the orthonormal DCT-II of uint8 (or [0, 1] float) images."""
    import scipy.fft

    scale = np.float32(1 / 255) if images.dtype == np.uint8 else np.float32(1)
    out = np.empty((images.shape[0], k, k, images.shape[3]), np.float32)
    for start in range(0, images.shape[0], _CHUNK):
        chunk = images[start : start + _CHUNK].astype(np.float32) * scale
        out[start : start + _CHUNK] = scipy.fft.dctn(chunk, axes=(1, 2), norm="ortho", workers=threads)[
            :, :k, :k
        ]
    return out


def inverse_dct_block(coefficients: np.ndarray, height: int, width: int, threads: int = 1) -> np.ndarray:
    """float32 N×H×W×C images from N×k×k×C coefficients, zero-padded to H×W before ``idctn``."""
    import scipy.fft

    n, k, _, channels = coefficients.shape
    out = np.empty((n, height, width, channels), np.float32)
    for start in range(0, n, _CHUNK):
        chunk = coefficients[start : start + _CHUNK]
        padded = np.zeros((chunk.shape[0], height, width, channels), np.float32)
        padded[:, :k, :k] = chunk
        out[start : start + _CHUNK] = scipy.fft.idctn(padded, axes=(1, 2), norm="ortho", workers=threads)
    return out


def dct_matrix(n: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Orthonormal DCT-II matrix D (n×n): ``D @ x`` equals ``scipy.fft.dct(x, norm="ortho")``."""
    import torch

    u = torch.arange(n, dtype=torch.float64)[:, None]
    x = torch.arange(n, dtype=torch.float64)[None, :]
    d = torch.cos(math.pi * (2 * x + 1) * u / (2 * n)) * math.sqrt(2 / n)
    d[0] /= math.sqrt(2)
    return d.to(torch.float32 if dtype is None else dtype)


def truncate_coefficients(coefficients: np.ndarray, k: int) -> np.ndarray:
    """The top-left k×k block of N×K×K×C coefficients (K ≥ k): exactly what level k would have kept."""
    if not 1 <= k <= coefficients.shape[1]:
        raise ValueError(
            f"cannot truncate {coefficients.shape[1]}×{coefficients.shape[1]} coefficients to k={k}"
        )
    return coefficients[:, :k, :k]


def truncate_payload(payload: Payload, k: int) -> Payload:
    """A ``dct`` payload at level k ≤ K re-packed from a level-K one: same codes and scales, fewer positions.

    Decoding it gives exactly ``truncate_coefficients(decode(payload), k)``; its ``stored_bytes`` is the
    real cost of keeping only the k×k block.
    """
    meta = payload.meta
    big, bits, channels, n = meta["k"], meta["bits"], meta["channels"], meta["n_samples"]
    codes = unpack_bits(payload.arrays["codes"], n * big * big * channels, bits).reshape(
        n, big, big, channels
    )
    arrays = {
        "codes": pack_bits(truncate_coefficients(codes, k), bits),
        "offset": np.ascontiguousarray(payload.arrays["offset"][:k, :k]),
        "step": np.ascontiguousarray(payload.arrays["step"][:k, :k]),
    }
    return Payload(arrays, {**meta, "k": k, "level": k, "storage": _storage(k, channels, bits)})


def bytes_per_sample(k: int, channels: int, bits: int, n_samples: int) -> float:
    """Stored bytes one sample costs at level k: ``k²·C·bits/8`` plus its 1/N share of the scale bytes.

    Equals ``truncate_payload(p, k).stored_bytes / n_samples`` up to the final padding byte of the packing.
    """
    return k * k * channels * bits / 8 + SCALE_BYTES_PER_POSITION * k * k * channels / n_samples


def _storage(k: int, channels: int, bits: int) -> dict:
    return {
        "codes": f"{bits}-bit codes bit-packed over the split: ceil(N·k²·C·{bits}/8) bytes",
        "scale": "per coefficient position: float32 offset + float32 step, stored per split and counted",
        "scale_bytes": SCALE_BYTES_PER_POSITION * k * k * channels,
        "pixel_scale": "[0, 1] (uint8 / 255) before the DCT",
    }


class Dct(Codec):
    name = "dct"
    level_meaning = "k (kept DCT coefficients per side)"
    family = "dct"
    default_params = {"bits": 8}

    def _parse_level(self, level, image_shape):
        return parse_int(
            self.name, level, 1, min(image_shape[0], image_shape[1]), "k (coefficients per side)"
        )

    def check_params(self, params):
        check_int_param(self.name, params, "bits", 1, MAX_BITS)

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        n, height, width, channels = images.shape
        bits = params["bits"]
        codes, offset, step = quantize(dct_block(images, level, threads), bits)
        arrays = {"codes": pack_bits(codes, bits), "offset": offset, "step": step}
        meta = {
            "k": level,
            "bits": bits,
            "height": height,
            "width": width,
            "channels": channels,
            "n_samples": n,
            "storage": _storage(level, channels, bits),
        }
        return Payload(arrays, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        meta = payload.meta
        k, channels, n = meta["k"], meta["channels"], meta["n_samples"]
        codes = unpack_bits(payload.arrays["codes"], n * k * k * channels, meta["bits"]).reshape(
            n, k, k, channels
        )
        coefficients = dequantize(codes, payload.arrays["offset"], payload.arrays["step"])
        if view == "coefficients":
            return coefficients
        pixels = inverse_dct_block(coefficients, meta["height"], meta["width"], threads)
        return np.clip(pixels, 0.0, 1.0, out=pixels)

    def torch_transform(self, payload_meta, view):
        """Raw [0, 1] images → the kept DCT block (or its inverse clipped to [0, 1]); skips quantization.

        The map is linear (plus the clip of the pixel view, as in :meth:`decode`), so gradients flow to every
        raw pixel; the dropped quantization error is at most ``step / 2`` per coefficient.
        """
        import torch

        k, height, width = payload_meta["k"], payload_meta["height"], payload_meta["width"]
        d_h, d_w = dct_matrix(height)[:k], dct_matrix(width)[:k]

        def coefficients(x: torch.Tensor) -> torch.Tensor:
            return torch.einsum("uh,nhwc,vw->nuvc", d_h.to(x), x, d_w.to(x))

        if view == "coefficients":
            return coefficients

        def pixels(x: torch.Tensor) -> torch.Tensor:
            back = torch.einsum("uh,nuvc,vw->nhwc", d_h.to(x), coefficients(x), d_w.to(x))
            return back.clamp(0.0, 1.0)

        return pixels
