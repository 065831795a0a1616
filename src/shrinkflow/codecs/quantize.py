"""Uniform scalar quantization with a per-position scale, and bit packing at exactly ``bits`` bits per value.

Used by the linear codecs (DCT, random projection). Each coefficient position (over the sample axis 0) gets
its own affine scale ``value ≈ offset + code · step`` with ``code`` in ``0..2^bits − 1``: the DC term of a DCT
spans a far wider range than the high frequencies, so one global scale would waste most codes on them. The
scales are two float32 per position and are counted in the stored bytes.

Codes are stored bit-packed over the whole split, most significant bit first, value after value, with zero
padding only at the very end: ``ceil(n_values · bits / 8)`` bytes. For 8 and 16 bits this is the plain
(big-endian) byte layout.
"""

from __future__ import annotations

import numpy as np

MAX_BITS = 16
#: values handled per pass by the bit packer (a multiple of 8 so that every chunk ends on a byte boundary)
_CHUNK_VALUES = 1 << 21


def quantize(values: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantize float ``values`` (N×…) per position to ``bits``; returns (uint16 codes, offset, step).

    ``offset`` and ``step`` (float32, shape ``values.shape[1:]``) are the per-position minimum and
    ``(max − min) / (2^bits − 1)``; codes are computed from the float32 scales so decoding agrees exactly.
    A constant position gets ``step = 0`` and code 0. The maximum error is ``step / 2`` per position.
    """
    if not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be in 1..{MAX_BITS}, got {bits}")
    top = (1 << bits) - 1
    offset = values.min(axis=0).astype(np.float32)
    high = values.max(axis=0).astype(np.float32)
    step = ((high.astype(np.float64) - offset) / top).astype(np.float32)
    safe = np.where(step > 0, step, np.float32(1.0))
    codes = np.rint((values - offset) / safe)
    np.clip(codes, 0, top, out=codes)
    return codes.astype(np.uint16), offset, step


def dequantize(codes: np.ndarray, offset: np.ndarray, step: np.ndarray) -> np.ndarray:
    """float32 ``offset + code · step`` (broadcast over the sample axis)."""
    return offset + codes.astype(np.float32) * step


def packed_size(n_values: int, bits: int) -> int:
    """Bytes of ``n_values`` codes packed at ``bits`` each."""
    return -(-n_values * bits // 8)


def pack_bits(codes: np.ndarray, bits: int) -> np.ndarray:
    """Pack unsigned codes (< 2^bits) into a 1-D uint8 array of ``packed_size(codes.size, bits)`` bytes."""
    flat = np.ascontiguousarray(codes).reshape(-1)
    if bits == 8:
        return flat.astype(np.uint8)
    if bits == 16:
        return flat.astype(">u2").view(np.uint8)
    out = []
    for start in range(0, flat.size, _CHUNK_VALUES):
        chunk = flat[start : start + _CHUNK_VALUES].astype(">u2").view(np.uint8).reshape(-1, 2)
        planes = np.unpackbits(chunk, axis=1)[:, 16 - bits :]
        out.append(np.packbits(planes.reshape(-1)))
    return np.concatenate(out) if out else np.zeros(0, np.uint8)


def unpack_bits(packed: np.ndarray, n_values: int, bits: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: the first ``n_values`` codes as uint16."""
    if packed.size != packed_size(n_values, bits):
        raise ValueError(f"{packed.size} packed bytes do not hold {n_values} values of {bits} bits")
    if bits == 8:
        return packed.astype(np.uint16)
    if bits == 16:
        return packed.view(">u2").astype(np.uint16)
    out = []
    chunk_bytes = _CHUNK_VALUES * bits // 8
    for start in range(0, n_values, _CHUNK_VALUES):
        count = min(_CHUNK_VALUES, n_values - start)
        first = start * bits // 8
        planes = np.unpackbits(packed[first : first + chunk_bytes], count=count * bits).reshape(count, bits)
        wide = np.zeros((count, 16), np.uint8)
        wide[:, 16 - bits :] = planes
        out.append(np.packbits(wide, axis=1).view(">u2").reshape(-1).astype(np.uint16))
    return np.concatenate(out) if out else np.zeros(0, np.uint16)
