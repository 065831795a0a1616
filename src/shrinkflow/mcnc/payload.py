"""An MCNC model on disk: α, β, the model's buffers and the seeds that regenerate θ0 and φ.

Layout (little-endian, no padding): a 50-byte prefix (magic ``b"SFMN"``, format version, α/β dtype code,
flags (bit 0: the model has an ``input_offset``), input rank, model-name length, generator depth as uint8;
d, k, generator width, class count as uint32; ω0 as float64; θ0's init seed and the generator seed as
uint64), the input shape (uint32 each), the model name (UTF-8), the model's buffers in state_dict order at
their own dtype (``Standardize`` mean and std, the input offset when set, BatchNorm statistics), then α
(n × k) and β (n) at the stored dtype. Everything else (the chunk count n = ⌈P/d⌉, θ0, φ, the layer
shapes) is rebuilt from the model name and seeds. ``stored_bytes`` is the file size; excluded are the
generator's weights and θ0 (regenerated from the seeds) and the library code itself.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..artifacts import atomic_path
from . import DTYPES, MCNCError
from .generator import ChunkLayout, SineGenerator, exact_weights
from .hook import initial_model, with_weights

MAGIC = b"SFMN"
VERSION = 1
_PREFIX = struct.Struct("<4sBBBBBBIIIIdQQ")
_NUMPY = {"fp32": np.dtype("<f4"), "fp16": np.dtype("<f2")}
EXCLUDED = "generator weights and θ0 (regenerated from generator_seed and init_seed), the library code"


@dataclass
class MCNCPayload:
    """What an MCNC payload stores; ``alpha`` (n × k) and ``beta`` (n) are float32 holding ``dtype`` values,
    ``buffers`` the model's non-parameter state_dict entries."""

    model_name: str
    input_shape: tuple[int, ...]
    num_classes: int
    d: int
    k: int
    generator_width: int
    generator_depth: int
    frequency: float
    dtype: str
    init_seed: int
    generator_seed: int
    alpha: torch.Tensor
    beta: torch.Tensor
    buffers: dict[str, torch.Tensor]

    def generator(self) -> SineGenerator:
        """φ, regenerated from ``generator_seed``."""
        return SineGenerator(
            self.k, self.d, self.generator_width, self.generator_depth, self.frequency, self.generator_seed
        )

    def initial_model(self) -> nn.Module:
        """The registry model at θ0 (from ``init_seed``), with an input offset slot when the run had one."""
        model = initial_model(self.model_name, self.input_shape, self.num_classes, self.init_seed)
        if "standardize.input_offset" in self.buffers:
            model.standardize.set_offset(torch.zeros(self.buffers["standardize.input_offset"].shape))
        return model

    def model(self) -> nn.Module:
        """The registry model θ = θ0 + β·φ(α) with the stored buffers, on CPU, eval mode."""
        start = self.initial_model()
        layout = ChunkLayout.of(start, self.d)
        if tuple(self.alpha.shape) != (layout.num_chunks, self.k) or tuple(self.beta.shape) != (
            layout.num_chunks,
        ):
            raise MCNCError(
                f"payload has α {tuple(self.alpha.shape)} and β {tuple(self.beta.shape)}, but "
                f"{self.model_name!r} has {layout.num_chunks} chunks of d = {self.d} (k = {self.k})"
            )
        flat = exact_weights(layout.chunks(start), self.generator(), self.alpha, self.beta)
        out = with_weights(start, layout, flat)
        out.load_state_dict({**dict(out.named_parameters()), **self.buffers})
        return out.eval()


def _buffer_names(model: nn.Module) -> list[str]:
    params = {n for n, _ in model.named_parameters()}
    return [n for n in model.state_dict() if n not in params]


def to_bytes(payload: MCNCPayload) -> bytes:
    """The payload file's bytes (what :func:`save` writes)."""
    if payload.dtype not in DTYPES:
        raise MCNCError(f"payload dtype {payload.dtype!r} is unknown; allowed: {list(DTYPES)}")
    name = payload.model_name.encode()
    shape = tuple(int(s) for s in payload.input_shape)
    flags = int("standardize.input_offset" in payload.buffers)
    prefix = _PREFIX.pack(
        MAGIC, VERSION, DTYPES.index(payload.dtype), flags, len(shape), len(name), payload.generator_depth,
        payload.d, payload.k, payload.generator_width, payload.num_classes, float(payload.frequency),
        payload.init_seed, payload.generator_seed,
    )  # fmt: skip
    values = _NUMPY[payload.dtype]
    parts = [prefix, struct.pack(f"<{len(shape)}I", *shape), name]
    for tensor in payload.buffers.values():
        array = tensor.detach().cpu().numpy()
        parts.append(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    for tensor in (payload.alpha, payload.beta):
        array = tensor.detach().cpu().numpy().astype(values)
        if not np.array_equal(array.astype(np.float32), tensor.detach().cpu().numpy()):
            raise MCNCError(f"α/β values are not exactly representable as {payload.dtype}; round them first")
        parts.append(array.tobytes())
    return b"".join(parts)


def from_bytes(data: bytes) -> MCNCPayload:
    """The :class:`MCNCPayload` in payload bytes (the model is rebuilt to learn n and the buffer layout)."""
    if len(data) < _PREFIX.size:
        raise MCNCError(f"MCNC payload too short ({len(data)} bytes)")
    (magic, version, dtype_code, flags, rank, name_len, depth, d, k, width, num_classes, frequency, init_seed,
     generator_seed) = _PREFIX.unpack_from(data)  # fmt: skip
    if magic != MAGIC:
        raise MCNCError(f"not a shrinkflow MCNC payload (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION or dtype_code >= len(DTYPES):
        raise MCNCError(
            f"MCNC payload version {version} / dtype code {dtype_code} is unknown to this library"
        )
    offset = _PREFIX.size
    shape = struct.unpack_from(f"<{rank}I", data, offset)
    offset += 4 * rank
    name = data[offset : offset + name_len].decode()
    offset += name_len
    dtype = DTYPES[dtype_code]
    payload = MCNCPayload(
        name, tuple(shape), num_classes, d, k, width, depth, frequency, dtype, init_seed, generator_seed,
        torch.empty(0), torch.empty(0), {},
    )  # fmt: skip
    if flags & 1:
        payload.buffers["standardize.input_offset"] = torch.zeros(shape)
    model = payload.initial_model()
    state = model.state_dict()
    buffers = {}
    for key in _buffer_names(model):
        array, offset = _read(data, offset, state[key].numpy().dtype, state[key].numel())
        buffers[key] = torch.from_numpy(array.reshape(state[key].shape).copy())
    payload.buffers = buffers
    n = ChunkLayout.of(model, d).num_chunks
    alpha, offset = _read(data, offset, _NUMPY[dtype], n * k)
    beta, offset = _read(data, offset, _NUMPY[dtype], n)
    if offset != len(data):
        raise MCNCError(f"MCNC payload has {len(data) - offset} bytes after β (expected exactly {offset})")
    payload.alpha = torch.from_numpy(alpha.astype(np.float32).reshape(n, k))
    payload.beta = torch.from_numpy(beta.astype(np.float32))
    return payload


def _read(data: bytes, offset: int, dtype: np.dtype, count: int) -> tuple[np.ndarray, int]:
    dtype = np.dtype(dtype).newbyteorder("<")
    end = offset + dtype.itemsize * count
    if end > len(data):
        raise MCNCError(f"MCNC payload truncated: needs {end} bytes, has {len(data)}")
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset), end


def save(payload: MCNCPayload, path: str | os.PathLike) -> int:
    """Write the payload atomically; return its size in bytes (the ``stored_bytes``)."""
    data = to_bytes(payload)
    with atomic_path(path, suffix=".bin") as tmp:
        tmp.write_bytes(data)
    return os.path.getsize(path)


def load_payload(path: str | os.PathLike) -> MCNCPayload:
    with open(path, "rb") as fh:
        return from_bytes(fh.read())


def load(path: str | os.PathLike) -> nn.Module:
    """The registry model an MCNC payload file stores (θ0, φ regenerated from its seeds), CPU, eval mode."""
    return load_payload(path).model()


def size_report(payload: MCNCPayload, path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The size keys of an MCNC model's metrics: stored bytes (the file's, or what :func:`save` would write)
    split into header, buffers and α/β values; the dense fp32 size and both compression rates."""
    stored = os.path.getsize(path) if path is not None else len(to_bytes(payload))
    n, k, d = int(payload.beta.numel()), payload.k, payload.d
    value_bytes = _NUMPY[payload.dtype].itemsize * n * (k + 1)
    buffer_bytes = sum(t.numel() * t.element_size() for t in payload.buffers.values())
    buffer_values = sum(t.numel() for t in payload.buffers.values())
    parameters = ChunkLayout.of(payload.initial_model(), d).num_parameters
    dense = 4 * (parameters + buffer_values)  # every state_dict entry at 4 bytes, as model_compression.sizes
    return {
        "stored_bytes": stored,
        "header_bytes": stored - buffer_bytes - value_bytes,
        "buffer_bytes": buffer_bytes,
        "value_bytes": value_bytes,
        "dense_fp32_bytes": dense,
        "compression_ratio": dense / stored,
        "nominal_compression_rate": d / (k + 1),
        "parameter_compression_rate": parameters / (n * (k + 1)),
        "total_parameters": parameters,
        "trained_parameters": n * (k + 1),
        "num_chunks": n,
        "padding_parameters": n * d - parameters,
        "bits_per_weight": 8 * stored / parameters,
        "stored_dtype": payload.dtype,
        "init_seed": payload.init_seed,
        "generator_seed": payload.generator_seed,
        "excluded_from_stored_bytes": EXCLUDED,
    }
