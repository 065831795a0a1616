"""One compressed model = one binary file: ``save(compressed, path)`` and ``load(path)``.

Layout (little-endian): the magic ``b"SFMC"``, a format version (uint8), the header length (uint32), the
header (compact JSON, sorted keys: model name, input shape, class count, scheme, amount, and per
state_dict tensor its name, shape, value form, support and the byte lengths of its segments), then every
tensor's segments back to back in header order (no alignment padding). Shapes in the header let
:func:`load` rebuild a network shrunk by structured pruning. The same compressed model gives the same
bytes, and ``os.path.getsize`` of the file is the ``stored_bytes`` every size table reports.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

import torch
from torch import nn

from .. import models
from ..artifacts import atomic_path
from .codes import from_segments, to_segments
from .schemes import CompressedModel, with_codes
from .structured import resize_to

MAGIC = b"SFMC"
VERSION = 1
_PREFIX = struct.Struct("<4sBI")


class PayloadError(ValueError):
    """A file that is not a shrinkflow compressed-model payload (or is truncated)."""


def to_bytes(compressed: CompressedModel) -> bytes:
    """The payload of ``compressed`` (what :func:`save` writes)."""
    tensors, blobs = [], []
    for name, code in compressed.codes.items():
        entry, segments = to_segments(name, code)
        tensors.append(entry)
        blobs.extend(segments)
    header = {
        "model": compressed.model_name,
        "input_shape": list(compressed.input_shape),
        "num_classes": compressed.num_classes,
        "scheme": compressed.scheme,
        "amount": compressed.amount,
        "tensors": tensors,
    }
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return _PREFIX.pack(MAGIC, VERSION, len(text)) + text + b"".join(blobs)


def save(compressed: CompressedModel, path: str | os.PathLike) -> int:
    """Write the payload atomically; return its size in bytes (= ``os.path.getsize(path)``)."""
    data = to_bytes(compressed)
    with atomic_path(path, suffix=".bin") as tmp:
        tmp.write_bytes(data)
    return os.path.getsize(path)


def read_header(data: bytes) -> tuple[dict[str, Any], int]:
    """``(header, offset of the first segment)`` of payload bytes."""
    if len(data) < _PREFIX.size:
        raise PayloadError(f"payload too short ({len(data)} bytes)")
    magic, version, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise PayloadError(f"not a shrinkflow model payload (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION:
        raise PayloadError(f"payload format version {version} is unknown; this library reads {VERSION}")
    start = _PREFIX.size + length
    return json.loads(data[_PREFIX.size : start]), start


def from_bytes(data: bytes) -> CompressedModel:
    """The :class:`CompressedModel` stored in payload bytes (module on CPU, eval mode)."""
    header, offset = read_header(data)
    codes = {}
    for entry in header["tensors"]:
        segments = []
        for n in entry["nbytes"]:
            segments.append(data[offset : offset + n])
            offset += n
        if offset > len(data):
            raise PayloadError(f"payload truncated: {entry['name']} ends at byte {offset} of {len(data)}")
        codes[entry["name"]] = from_segments(entry, segments)
    if offset != len(data):
        raise PayloadError(f"payload has {len(data) - offset} bytes after its last tensor")
    module = models.build(header["model"], header["input_shape"], header["num_classes"])
    resize_to(module, {name: code.shape for name, code in codes.items()})
    if "standardize.input_offset" in codes:  # a run trained with train.input_center
        module.standardize.set_offset(torch.zeros(codes["standardize.input_offset"].shape))
    return CompressedModel(
        with_codes(module, codes), codes, header["model"], header["scheme"], header["amount"]
    )


def load_compressed(path: str | os.PathLike) -> CompressedModel:
    """The :class:`CompressedModel` in a payload file."""
    with open(path, "rb") as fh:
        return from_bytes(fh.read())


def load(path: str | os.PathLike) -> nn.Module:
    """The registry model (shrunk for structured pruning) a payload file stores, on CPU in eval mode."""
    return load_compressed(path).module
