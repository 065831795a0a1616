"""Per-item byte streams (JPEG/PNG files, zfp streams) kept as one buffer + offsets, and process parallelism.

A payload of variable-length streams is stored as ``streams`` (uint8, all streams back to back) and
``offsets`` (int64, ``n + 1`` entries, ``offsets[0] = 0``; stream ``i`` is
``streams[offsets[i]:offsets[i+1]]``).
Both arrays are counted in ``stored_bytes``; the offsets are the index a reader needs (8 bytes per stream)
and are reported separately as ``index_bytes`` (:attr:`.base.Payload.index_bytes`).

Per-item codecs loop over items in Python around a C library; such loops hold the GIL, so they are spread
over ``threads`` forked worker processes, each handling one contiguous chunk and returning one buffer
(cheap to pickle) instead of thousands of small objects. Results are concatenated in chunk order, so the
payload does not depend on ``threads``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

#: below this many items per worker a process pool costs more than it saves
MIN_ITEMS_PER_WORKER = 1000


def join_streams(streams: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate byte strings into (uint8 buffer, int64 offsets of length ``len(streams) + 1``)."""
    offsets = np.zeros(len(streams) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, streams), np.int64, count=len(streams)), out=offsets[1:])
    return np.frombuffer(b"".join(streams), np.uint8).copy(), offsets


def concat_buffers(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join per-chunk (buffer, offsets) pairs into one (buffer, offsets)."""
    buffers = [p[0] for p in parts]
    shifts = np.cumsum([0] + [b.size for b in buffers[:-1]])
    offsets = np.concatenate([parts[0][1][:1]] + [p[1][1:] + s for p, s in zip(parts, shifts, strict=True)])
    return np.concatenate(buffers), offsets


def stream_bytes(buffer: np.ndarray, offsets: np.ndarray, i: int) -> bytes:
    return buffer[offsets[i] : offsets[i + 1]].tobytes()


def chunk_bounds(n_items: int, threads: int) -> list[tuple[int, int]]:
    """Split ``0..n_items`` into at most ``threads`` contiguous chunks of at least MIN_ITEMS_PER_WORKER."""
    workers = max(1, min(threads, n_items // MIN_ITEMS_PER_WORKER))
    edges = np.linspace(0, n_items, workers + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def run_chunks(fn: Callable[..., Any], tasks: Sequence[tuple], threads: int) -> list[Any]:
    """``[fn(*task) for task in tasks]``, in forked worker processes when there is more than one task.

    ``fn`` must be a module-level function. Fork (not spawn) keeps worker start-up to milliseconds: a
    spawned worker would re-import torch through this package.
    """
    if threads <= 1 or len(tasks) <= 1:
        return [fn(*task) for task in tasks]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(threads, len(tasks)), mp_context=context) as pool:
        futures = [pool.submit(fn, *task) for task in tasks]
        return [f.result() for f in futures]


def split_streams(buffer: np.ndarray, offsets: np.ndarray, bounds: list[tuple[int, int]]) -> list[tuple]:
    """Per chunk of streams ``[a, b)``: (its slice of the buffer, its offsets rebased to 0)."""
    return [(buffer[offsets[a] : offsets[b]], offsets[a : b + 1] - offsets[a]) for a, b in bounds]
