"""Readers for the raw file formats the datasets are published in, independent of any one dataset.

* IDX (LeCun et al.'s MNIST format, gzip or plain): :func:`read_idx`, used by MNIST and Fashion-MNIST;
* the CIFAR python tarball (pickled batches): :func:`read_cifar_tar`, with an unpickler that only builds
  numpy arrays and plain containers, so a tampered archive cannot run code.

Both read straight into the output arrays and raise :class:`~shrinkflow.datasets.DatasetError` with the
file and the reason for anything malformed. Kept apart from the dataset modules so a reader can be tested
(and reused for a new dataset) on its own.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile
import warnings
import zlib
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from .errors import DatasetError

# ---------------------------------------------------------------------------------------------------------
# IDX (LeCun et al.'s MNIST file format): magic 0x00 0x00 <dtype code> <ndim>, then ndim big-endian uint32
# dimensions, then the data in C order, big-endian.
# ---------------------------------------------------------------------------------------------------------

IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_MAX_BYTES = 1 << 33  # 8 GiB: a larger declared payload means a garbled header, not a real file


def _read_exact(fh: IO[bytes], buffer: memoryview) -> int:
    """Fill ``buffer`` from ``fh``; return how many bytes arrived (fewer only at end of file)."""
    filled = 0
    while filled < len(buffer):
        n = fh.readinto(buffer[filled:])
        if not n:
            break
        filled += n
    return filled


def read_idx(source: str | os.PathLike | bytes, max_bytes: int = IDX_MAX_BYTES) -> np.ndarray:
    """Parse an IDX file (gzip-compressed or plain; path or bytes) into a native-endian numpy array.

    The payload is read straight into the output array (no intermediate bytes object), so full MNIST costs
    its 47 MB once. Raises :class:`DatasetError` for a bad magic number, unknown dtype code, a truncated
    header or payload, trailing bytes, or a corrupt gzip stream.
    """
    label = "<bytes>" if isinstance(source, bytes | bytearray | memoryview) else str(source)
    try:
        raw = io.BytesIO(bytes(source)) if label == "<bytes>" else open(source, "rb")
        with raw:
            is_gzip = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            fh = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip else raw
            with fh:
                return _parse_idx(fh, label, max_bytes)
    except (EOFError, OSError, zlib.error) as err:
        if isinstance(err, FileNotFoundError):
            raise DatasetError(f"{label}: no such IDX file") from err
        raise DatasetError(f"{label}: corrupt or truncated gzip stream ({err})") from err


def _parse_idx(fh: IO[bytes], label: str, max_bytes: int) -> np.ndarray:
    head = fh.read(4)
    if len(head) < 4:
        raise DatasetError(f"{label}: IDX header truncated ({len(head)} of 4 magic bytes)")
    if head[0] != 0 or head[1] != 0:
        raise DatasetError(
            f"{label}: not an IDX file (magic starts {head[:2].hex()}, expected 0000; "
            f"is it a different format, or still compressed with something other than gzip?)"
        )
    code, ndim = head[2], head[3]
    if code not in IDX_DTYPES:
        allowed = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DatasetError(f"{label}: unknown IDX dtype code 0x{code:02X}; allowed: {allowed}")
    if ndim == 0:
        raise DatasetError(f"{label}: IDX header declares 0 dimensions")
    dims_raw = fh.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DatasetError(f"{label}: IDX header truncated ({len(dims_raw)} of {4 * ndim} dimension bytes)")
    shape = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
    dtype = IDX_DTYPES[code]
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > max_bytes:
        raise DatasetError(f"{label}: IDX header declares shape {shape} ({nbytes} bytes), over {max_bytes}")
    out = np.empty(shape, dtype=dtype)
    got = _read_exact(fh, memoryview(out.reshape(-1).view(np.uint8)))
    if got < nbytes:
        raise DatasetError(f"{label}: IDX payload truncated: {got} of {nbytes} bytes for shape {shape}")
    if fh.read(1):
        raise DatasetError(f"{label}: trailing bytes after the {nbytes}-byte IDX payload of shape {shape}")
    # one extra copy, only for multi-byte types (single-byte arrays, like MNIST's, are returned as read)
    return out.astype(dtype.newbyteorder("=")) if dtype.itemsize > 1 else out


# ---------------------------------------------------------------------------------------------------------
# CIFAR-10 python version: a gzip tar of pickled dicts {b"data": uint8 N×3072 (R, G, B planes, row-major),
# b"labels": list of int} per batch, plus batches.meta {b"label_names": [...]}. Krizhevsky (2009).
# ---------------------------------------------------------------------------------------------------------

CIFAR_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_TEST_BATCH = "test_batch"
CIFAR_META = "batches.meta"

_PICKLE_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how Python 3 writes bytes into protocol-2 pickles (str -> latin-1 bytes)
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only builds plain containers and numpy arrays: a pickle cannot run other code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core alias in numpy 2
            return super().find_class(module, name)


def _unpickle(fh: IO[bytes], label: str) -> dict:
    try:
        obj = _ArrayUnpickler(fh, encoding="bytes").load()
    except Exception as err:
        raise DatasetError(f"{label}: cannot unpickle ({err})") from err
    if not isinstance(obj, dict):
        raise DatasetError(f"{label}: expected a pickled dict, got {type(obj).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _cifar_batch(batch: dict, label: str) -> tuple[np.ndarray, np.ndarray]:
    """(images N×3072 uint8, labels int64) of one batch, validated."""
    if "data" not in batch or "labels" not in batch:
        raise DatasetError(f"{label}: batch has keys {sorted(batch)}, expected 'data' and 'labels'")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DatasetError(f"{label}: data is {data.dtype} {data.shape}, expected uint8 N×3072")
    if labels.shape != (data.shape[0],):
        raise DatasetError(f"{label}: {labels.size} labels for {data.shape[0]} images")
    return data, labels


def _cifar_images(batches: Sequence[np.ndarray]) -> np.ndarray:
    """Stack N×3072 CHW rows into one N×32×32×3 uint8 array (one output allocation, no float copy)."""
    out = np.empty((sum(b.shape[0] for b in batches), 32, 32, 3), dtype=np.uint8)
    start = 0
    for b in batches:
        out[start : start + b.shape[0]] = b.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        start += b.shape[0]
    return out


def read_cifar_tar(
    source: str | os.PathLike | IO[bytes],
    train_batches: Sequence[str] = CIFAR_TRAIN_BATCHES,
    test_batches: Sequence[str] = (CIFAR_TEST_BATCH,),
) -> dict[str, np.ndarray]:
    """Read the CIFAR-10 python tarball in one streaming pass, extracting nothing to disk.

    Members are matched by base name (the official tar keeps them under ``cifar-10-batches-py/`` in no
    particular order); train batches are stacked in the order given. Returns ``x_train``/``x_test``
    (uint8 N×32×32×3), ``y_train``/``y_test`` (int64) and ``class_names`` (from ``batches.meta``).
    Pickles are loaded with an unpickler that only admits numpy arrays and plain containers.
    """
    wanted = {*train_batches, *test_batches, CIFAR_META}
    found: dict[str, dict] = {}
    label = str(source) if isinstance(source, str | os.PathLike) else "<tar stream>"
    kwargs = {"name": source} if isinstance(source, str | os.PathLike) else {"fileobj": source}
    try:
        with tarfile.open(mode="r|*", **kwargs) as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted and base not in found:
                    fh = tar.extractfile(member)
                    found[base] = _unpickle(fh, f"{label}:{member.name}")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise DatasetError(f"{label}: not a readable tar archive ({err})") from err
    missing = sorted(wanted - found.keys())
    if missing:
        raise DatasetError(f"{label}: archive lacks {missing}; it holds a different layout than CIFAR-10")

    meta = found[CIFAR_META]
    names = meta.get("label_names")
    if not isinstance(names, list) or not names:
        raise DatasetError(f"{label}:{CIFAR_META}: no 'label_names' list")
    class_names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]

    arrays: dict[str, np.ndarray] = {"class_names": np.asarray(class_names)}
    for split, batch_names in (("train", train_batches), ("test", test_batches)):
        parts = [_cifar_batch(found.pop(name), f"{label}:{name}") for name in batch_names]
        labels = np.concatenate([p[1] for p in parts])
        if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
            raise DatasetError(
                f"{label}: {split} labels span {labels.min()}..{labels.max()}, "
                f"expected 0..{len(class_names) - 1}"
            )
        arrays[f"x_{split}"] = _cifar_images([p[0] for p in parts])
        arrays[f"y_{split}"] = labels
        del parts
    return arrays
