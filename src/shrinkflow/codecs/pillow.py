"""Per-image files written and read by Pillow (JPEG, PNG), spread over worker processes.

Images go in as uint8 N×H×W×C (C = 1 → mode "L", C = 3 → "RGB", C = 4 → "RGBA") and come back as one
uint8 buffer + int64 offsets (see :mod:`.streams`); decoding opens every stream with ``PIL.Image.open``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image

from .streams import chunk_bounds, concat_buffers, join_streams, run_chunks, split_streams

MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _encode_chunk(images: np.ndarray, image_format: str, save_kwargs: Mapping[str, Any]):
    planes = images[..., 0] if images.shape[3] == 1 else images
    out = []
    buffer = io.BytesIO()
    for image in planes:
        buffer.seek(0)
        buffer.truncate()
        Image.fromarray(image).save(buffer, image_format, **save_kwargs)
        out.append(buffer.getvalue())
    return join_streams(out)


def encode_files(
    images: np.ndarray, image_format: str, save_kwargs: Mapping[str, Any], threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Each image saved by Pillow as one ``image_format`` file; returns (uint8 buffer, int64 offsets)."""
    bounds = chunk_bounds(images.shape[0], threads)
    tasks = [(images[a:b], image_format, dict(save_kwargs)) for a, b in bounds]
    return concat_buffers(run_chunks(_encode_chunk, tasks, threads))


def splice_tables(stream: bytes, tables: bytes) -> bytes:
    """An abbreviated JPEG stream made a complete one: the tables-only stream's segments (its SOI and EOI
    dropped) inserted after the stream's SOI and APPn (JFIF) segments, where a full file carries them."""
    pos = 2
    while stream[pos] == 0xFF and 0xE0 <= stream[pos + 1] <= 0xEF:
        pos += 2 + int.from_bytes(stream[pos + 2 : pos + 4], "big")
    return stream[:pos] + tables[2:-2] + stream[pos:]


def _decode_chunk(buffer: np.ndarray, offsets: np.ndarray, shape: tuple[int, ...], tables: bytes | None):
    out = np.empty((offsets.size - 1, *shape), np.uint8)
    planes = out[..., 0] if shape[2] == 1 else out
    for i in range(offsets.size - 1):
        data = buffer[offsets[i] : offsets[i + 1]].tobytes()
        if tables is not None:
            data = splice_tables(data, tables)
        planes[i] = np.asarray(Image.open(io.BytesIO(data)))
    return out


def decode_files(
    buffer: np.ndarray,
    offsets: np.ndarray,
    shape: tuple[int, int, int],
    threads: int = 1,
    tables: bytes | None = None,
) -> np.ndarray:
    """uint8 N×H×W×C from per-image files (abbreviated JPEG streams when ``tables`` is given)."""
    tasks = [
        (*part, shape, tables)
        for part in split_streams(buffer, offsets, chunk_bounds(offsets.size - 1, threads))
    ]
    return np.concatenate(run_chunks(_decode_chunk, tasks, threads))
