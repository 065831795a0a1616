"""Per-item byte streams (JPEG/PNG files, zfp streams) kept as one buffer + offsets, and process parallelism.

A payload of variable-length streams is stored as ``streams`` (uint8, all streams back to back) and
``offsets`` (int64, ``n + 1`` entries, ``offsets[0] = 0``; stream ``i`` is
``streams[offsets[i]:offsets[i+1]]``). Both arrays are counted in ``stored_bytes``; the offsets are the index
a reader needs (8 bytes per stream) and are reported separately as ``index_bytes``
(:attr:`.base.Payload.index_bytes`).

Per-item codecs loop over items in Python around a C library; such loops hold the GIL, so
:func:`map_ranges` spreads them over ``threads`` processes (this one plus forked workers), one contiguous
range each. Inputs
reach the workers by fork inheritance (no pickling of images), decoded outputs are written in place into
anonymous shared memory (:func:`shared_empty`), and only compressed bytes travel back through pipes.
Results are assembled in range order, so a payload does not depend on ``threads``.
"""

from __future__ import annotations

import mmap
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


#: what forked workers read (set just before the pool forks them, cleared after)
_FORK_INPUTS: Any = None


def _call_inherited(fn: Callable[..., Any], start: int, stop: int) -> Any:
    return fn(_FORK_INPUTS, start, stop)


def map_ranges(fn: Callable[[Any, int, int], Any], n_items: int, threads: int, inputs: Any) -> list[Any]:
    """``[fn(inputs, a, b) for a, b in chunk_bounds(n_items, threads)]``, ranges after the first in forked
    workers while this process runs the first one.

    ``fn`` must be a module-level function. Fork (not spawn) keeps worker start-up to milliseconds (a
    spawned worker would re-import torch through this package) and hands ``inputs`` over without copying.
    """
    global _FORK_INPUTS
    bounds = chunk_bounds(n_items, threads)
    if threads <= 1 or len(bounds) <= 1:
        return [fn(inputs, a, b) for a, b in bounds]
    _FORK_INPUTS = inputs
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(bounds) - 1, mp_context=context) as pool:
            futures = [pool.submit(_call_inherited, fn, a, b) for a, b in bounds[1:]]
            first = fn(inputs, *bounds[0])
            return [first] + [f.result() for f in futures]
    finally:
        _FORK_INPUTS = None


def shared_empty(shape: tuple[int, ...], dtype: np.dtype | type, threads: int) -> np.ndarray:
    """An uninitialised array forked workers can fill in place (anonymous shared memory if threads > 1)."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if threads <= 1 or nbytes == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype).reshape(shape)
