"""How one tensor is stored: :class:`TensorCode` (the arrays as kept on disk), its decoding, and its bytes.

numpy only. A code is a support (dense, or the positions of the nonzeros) plus the values of the
supported entries in one of four forms: ``fp32``/``fp16`` floats, ``int`` (b-bit codes + one fp32 scale
per output channel) or ``kmeans`` (b-bit indices into an fp32 codebook, Han et al. 2016 §3); integer
buffers are ``int64``. Sparse supports are stored the cheapest of three ways (Han et al. store relative
indices; ShrinkBench and torch's pruning keep a dense mask): a bit mask (``numpy.packbits``), the gaps
between consecutive nonzero positions, or their absolute positions, the integers bit-packed at the
fewest bits that hold the largest one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SUPPORTS = ("dense", "mask", "delta", "index")
FLOAT_DTYPES = {"fp32": np.float32, "fp16": np.float16}


def bits_for(max_value: int) -> int:
    """The fewest bits (≥ 1) that hold the unsigned integers 0 … ``max_value``."""
    return max(1, int(max_value).bit_length())


def pack_bits(values: np.ndarray, bits: int) -> bytes:
    """Unsigned integers (each < 2^bits) as a little-endian bit stream, zero-padded to whole bytes."""
    if bits == 8:
        return np.asarray(values, dtype=np.uint8).reshape(-1).tobytes()
    if bits == 1:
        return np.packbits(np.asarray(values).reshape(-1).astype(bool), bitorder="little").tobytes()
    dtype = np.uint8 if bits < 8 else np.uint16 if bits <= 16 else np.uint32 if bits <= 32 else np.uint64
    v = np.asarray(values).reshape(-1).astype(dtype)
    planes = ((v[:, None] >> np.arange(bits, dtype=dtype)) & dtype(1)).astype(np.uint8)
    return np.packbits(planes.reshape(-1), bitorder="little").tobytes()


def unpack_bits(buf: bytes, bits: int, count: int) -> np.ndarray:
    """The ``count`` integers (int64) that :func:`pack_bits` packed at ``bits`` bits each."""
    raw = np.frombuffer(buf, dtype=np.uint8)
    if bits == 8:
        return raw[:count].astype(np.int64)
    if bits == 1:
        return np.unpackbits(raw, count=count, bitorder="little").astype(np.int64)
    planes = np.unpackbits(raw, count=count * bits, bitorder="little").reshape(count, bits)
    return planes.astype(np.int64) @ (np.int64(1) << np.arange(bits, dtype=np.int64))


def packed_bytes(count: int, bits: int) -> int:
    """Bytes :func:`pack_bits` writes for ``count`` values of ``bits`` bits."""
    return math.ceil(count * bits / 8)


@dataclass
class TensorCode:
    """One state_dict tensor as stored: shape, value form, support and the stored arrays.

    ``data`` holds the supported entries only (all entries when ``mask`` is None), in row-major order:
    float16/float32 values, or integer codes for ``int`` (q + 2^(b−1) − 1 ∈ [0, 2^b − 2]) and ``kmeans``
    (codebook indices). ``mask`` is a flat bool array over all entries.
    """

    shape: tuple[int, ...]
    values: str  # "fp32" | "fp16" | "int" | "kmeans" | "int64"
    data: np.ndarray
    bits: int = 32
    mask: np.ndarray | None = None
    scales: np.ndarray | None = None  # float32, one per output channel (int)
    codebook: np.ndarray | None = None  # float32, 2^bits entries (kmeans)
    numel: int = field(init=False)

    def __post_init__(self) -> None:
        self.shape = tuple(int(s) for s in self.shape)
        self.numel = math.prod(self.shape)

    @property
    def nonzero(self) -> int:
        """Entries of the decoded tensor that are not zero."""
        return int(np.count_nonzero(decode(self)))


def channels_of(code: TensorCode) -> np.ndarray:
    """Output channel (row of the first axis) of every stored entry."""
    per_channel = code.numel // code.shape[0]
    positions = np.flatnonzero(code.mask) if code.mask is not None else np.arange(code.numel)
    return positions // per_channel


def int_offset(bits: int) -> int:
    """q_max = 2^(b−1) − 1: the largest magnitude of a symmetric b-bit integer and the code offset."""
    return (1 << (bits - 1)) - 1


def decode_values(code: TensorCode) -> np.ndarray:
    """The stored entries as float32 (int64 for integer buffers), in row-major order."""
    if code.values in FLOAT_DTYPES:
        return code.data.astype(np.float32)
    if code.values == "int":
        q = (code.data.astype(np.int64) - int_offset(code.bits)).astype(np.float32)
        return q * code.scales[channels_of(code)]
    if code.values == "kmeans":
        return code.codebook[code.data.astype(np.int64)]
    if code.values == "int64":
        return code.data.astype(np.int64)
    raise ValueError(f"unknown value form {code.values!r}; allowed: fp32, fp16, int, kmeans, int64")


def decode(code: TensorCode) -> np.ndarray:
    """The tensor the code stands for (float32, or int64 for integer buffers), in its shape."""
    values = decode_values(code)
    if code.mask is None:
        return values.reshape(code.shape)
    out = np.zeros(code.numel, dtype=values.dtype)
    out[code.mask] = values
    return out.reshape(code.shape)


# ---- bytes --------------------------------------------------------------------------------------


def support_options(mask: np.ndarray) -> dict[str, tuple[int, np.ndarray]]:
    """``{support: (bits, integers)}`` for the three sparse encodings of a flat bool mask (bits 1 for the
    mask itself). Gaps count from position −1, so the first gap is the first position + 1."""
    positions = np.flatnonzero(mask)
    gaps = np.diff(positions, prepend=-1)
    return {
        "mask": (1, mask.astype(np.uint8)),
        "delta": (bits_for(int(gaps.max(initial=0))), gaps),
        "index": (bits_for(int(positions.max(initial=0))), positions),
    }


def value_bits(code: TensorCode) -> int:
    """Bits per stored entry."""
    return {"fp32": 32, "fp16": 16, "int64": 64}.get(code.values, code.bits)


def choose_support(code: TensorCode) -> tuple[str, int]:
    """``(support, bits)`` of the cheapest way to store ``code``: dense, or sparse with the cheapest of mask,
    delta and index (ties go to that order); a dense tensor (no mask) is always stored dense."""
    if code.mask is None:
        return "dense", 0
    nnz = int(code.mask.sum())
    cost = {"dense": packed_bytes(code.numel, value_bits(code)), **{
        name: packed_bytes(code.numel if name == "mask" else nnz, bits) + packed_bytes(nnz, value_bits(code))
        for name, (bits, _) in support_options(code.mask).items()
    }}  # fmt: skip
    if code.values == "kmeans" and not (code.codebook == 0).any():
        del cost["dense"]  # the pruned entries have no code
    support = min((name for name in SUPPORTS if name in cost), key=lambda name: cost[name])
    return support, 0 if support == "dense" else support_options(code.mask)[support][0]


def to_segments(name: str, code: TensorCode) -> tuple[dict[str, Any], list[bytes]]:
    """The header entry and the byte segments of one tensor (support, values, then scales or codebook).

    A masked tensor stored dense keeps its zeros as values and loses the mask (decodes to the same array).
    """
    support, support_bits = choose_support(code)
    data, mask = code.data, code.mask
    if support == "dense" and mask is not None:
        data, mask = _densify(code), None
    segments: list[bytes] = []
    if support != "dense":
        segments.append(pack_bits(support_options(mask)[support][1], support_bits))
    if code.values in ("int", "kmeans"):
        segments.append(pack_bits(data, code.bits))
    else:
        segments.append(np.ascontiguousarray(data, dtype=_np_dtype(code.values)).tobytes())
    if code.values == "int":
        segments.append(np.ascontiguousarray(code.scales, dtype=np.float32).tobytes())
    if code.values == "kmeans":
        segments.append(np.ascontiguousarray(code.codebook, dtype=np.float32).tobytes())
    entry = {"name": name, "shape": list(code.shape), "values": code.values, "support": support}
    if code.values in ("int", "kmeans"):
        entry["bits"] = code.bits
    if support != "dense":
        entry.update(support_bits=support_bits, nnz=int(mask.sum()))
    entry["nbytes"] = [len(s) for s in segments]
    return entry, segments


def from_segments(entry: dict[str, Any], segments: list[bytes]) -> TensorCode:
    """The :class:`TensorCode` of a header entry and its byte segments (inverse of :func:`to_segments`)."""
    shape = tuple(entry["shape"])
    numel, values, support = math.prod(shape), entry["values"], entry["support"]
    parts = iter(segments)
    mask = None
    count = numel
    if support != "dense":
        count = int(entry["nnz"])
        ints = unpack_bits(next(parts), entry["support_bits"], numel if support == "mask" else count)
        if support == "mask":
            mask = ints.astype(bool)
        else:
            mask = np.zeros(numel, dtype=bool)
            mask[np.cumsum(ints) - 1 if support == "delta" else ints] = True
    bits = entry.get("bits", 32)
    if values in ("int", "kmeans"):
        data = unpack_bits(next(parts), bits, count).astype(np.uint8 if bits <= 8 else np.int64)
    else:
        data = np.frombuffer(next(parts), dtype=_np_dtype(values), count=count).copy()
    code = TensorCode(shape, values, data, bits=bits, mask=mask)
    if values == "int":
        code.scales = np.frombuffer(next(parts), dtype=np.float32).copy()
    if values == "kmeans":
        code.codebook = np.frombuffer(next(parts), dtype=np.float32).copy()
    return code


def _np_dtype(values: str) -> type:
    return {"fp32": np.float32, "fp16": np.float16, "int64": np.int64}[values]


def _densify(code: TensorCode) -> np.ndarray:
    """All entries in the code's stored form (zeros, or the code of 0, where the mask is off)."""
    fill = int_offset(code.bits) if code.values == "int" else 0
    if code.values == "kmeans":
        zero = np.flatnonzero(code.codebook == 0)
        if zero.size == 0:
            raise ValueError("a masked k-means code without a zero centroid cannot be stored dense")
        fill = int(zero[0])
    out = np.full(code.numel, fill, dtype=code.data.dtype)
    out[code.mask] = code.data
    return out
