"""``cifar10``: CIFAR-10 (Krizhevsky 2009) from the official python tarball, official 50,000 / 10,000 split.

One file (``cifar-10-python.tar.gz``), read in one streaming pass by :func:`~.formats.read_cifar_tar`; the
class names stored in the archive's ``batches.meta`` must match the registered ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .base import Dataset, register
from .errors import DatasetError
from .fetch import RemoteFile
from .formats import read_cifar_tar

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

CIFAR10_FILE = RemoteFile(
    "cifar-10-python.tar.gz",
    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
    "sha256:6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    170498071,
    "Keras keras/src/datasets/cifar10.py and torchvision prototype datasets cifar.py (sha256); "
    "official md5 c58f30108f718f92721af3b95e74349a on https://www.cs.toronto.edu/~kriz/cifar.html",
)


def _load_cifar10(paths: Mapping[str, Path], split_seed: int):
    arrays = read_cifar_tar(paths[CIFAR10_FILE.name])
    names = arrays.pop("class_names").tolist()
    if names != CIFAR10_CLASSES:
        raise DatasetError(
            f"{CIFAR10_FILE.name}: batches.meta lists classes {names}, expected {CIFAR10_CLASSES}"
        )
    return arrays, {"split": "official data_batch_1..5 / test_batch; split_seed is not used"}


register(
    Dataset(
        name="cifar10",
        description="CIFAR-10 tiny colour images (Krizhevsky 2009), 50,000 train / 10,000 test",
        image_shape=(32, 32, 3),
        class_names=CIFAR10_CLASSES,
        loader=_load_cifar10,
        files=(CIFAR10_FILE,),
    )
)
