"""``mnist`` and ``fashion_mnist``: the two datasets published as MNIST-layout IDX files.

Fashion-MNIST is a drop-in replacement for MNIST: same four file names, same 28×28 uint8 images, same
official 60,000 / 10,000 split. So one loader (:func:`_load_idx_pair`, on :func:`~.formats.read_idx`) serves
both, and only the file tables (URLs, digests, sizes) and class names differ. Because the file names are
shared, each dataset fetches into its own folder (``subdir`` = registry name).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .base import DIGITS, Dataset, register
from .errors import DatasetError
from .fetch import RemoteFile
from .formats import read_idx

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

register(
    Dataset(
        name="mnist",
        description="MNIST handwritten digits (LeCun et al. 1998), 60,000 train / 10,000 test",
        image_shape=(28, 28, 1),
        class_names=DIGITS,
        loader=_load_idx_pair,
        files=MNIST_FILES,
    )
)
register(
    Dataset(
        name="fashion_mnist",
        description="Fashion-MNIST Zalando article images (Xiao et al. 2017), 60,000 train / 10,000 test",
        image_shape=(28, 28, 1),
        class_names=FASHION_CLASSES,
        loader=_load_idx_pair,
        files=FASHION_MNIST_FILES,
    )
)
