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


def _group_layout(bits: int) -> list[tuple[int, int]]:
    """For 8 values packed into one 8·bits-bit group: (value index, bit position of its LSB in the group)."""
    total = 8 * bits
    return [(j, total - bits * (j + 1)) for j in range(8)]


def pack_bits(codes: np.ndarray, bits: int) -> np.ndarray:
    """Pack unsigned codes (< 2^bits) into a 1-D uint8 array of ``packed_size(codes.size, bits)`` bytes.

    Eight values make one group of exactly ``bits`` bytes, assembled as a 128-bit big-endian number held in
    two uint64 (``high``, ``low``): whole-array shifts and ors, no Python loop over values.
    """
    flat = np.ascontiguousarray(codes).reshape(-1)
    if bits == 8:
        return flat.astype(np.uint8)
    if bits == 16:
        return flat.astype(">u2").view(np.uint8)
    n = flat.size
    groups = np.zeros((-(-n // 8)) * 8, np.uint64)
    groups[:n] = flat
    groups = groups.reshape(-1, 8)
    high = np.zeros(groups.shape[0], np.uint64)
    low = np.zeros(groups.shape[0], np.uint64)
    for j, pos in _group_layout(bits):
        value = groups[:, j]
        if pos >= 64:
            high |= value << np.uint64(pos - 64)
        else:
            low |= value << np.uint64(pos)  # bits shifted past 64 are dropped here ...
            if pos + bits > 64:
                high |= value >> np.uint64(64 - pos)  # ... and land in ``high``
    both = np.stack([high, low], axis=1).astype(">u8").view(np.uint8)  # 16 big-endian bytes per group
    return np.ascontiguousarray(both[:, 16 - bits :]).reshape(-1)[: packed_size(n, bits)]


def unpack_bits(packed: np.ndarray, n_values: int, bits: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: the first ``n_values`` codes as uint16."""
    if packed.size != packed_size(n_values, bits):
        raise ValueError(f"{packed.size} packed bytes do not hold {n_values} values of {bits} bits")
    if bits == 8:
        return packed.astype(np.uint16)
    if bits == 16:
        return packed.view(">u2").astype(np.uint16)
    n_groups = -(-n_values // 8)
    padded = np.zeros(n_groups * bits, np.uint8)
    padded[: packed.size] = packed
    both = np.zeros((n_groups, 16), np.uint8)
    both[:, 16 - bits :] = padded.reshape(n_groups, bits)
    words = both.view(">u8").astype(np.uint64)
    high, low = words[:, 0], words[:, 1]
    mask = np.uint64((1 << bits) - 1)
    out = np.empty((n_groups, 8), np.uint16)
    for j, pos in _group_layout(bits):
        if pos >= 64:
            value = high >> np.uint64(pos - 64)
        else:
            value = low >> np.uint64(pos)
            if pos + bits > 64:
                value |= high << np.uint64(64 - pos)
        out[:, j] = value & mask
    return out.reshape(-1)[:n_values]
