"""What every dataset is: the :class:`Dataset` record, its ``prepare`` contract, the split, and the registry.

A :class:`Dataset` names its raw files (a table of :class:`~shrinkflow.datasets.fetch.RemoteFile` rows) and
a loader; :meth:`Dataset.prepare` fetches and verifies the files, runs the loader, checks the arrays against
the registered shape and classes, and builds the sidecar meta. :func:`stratified_split` is the seeded split
for datasets without an official one.

The registry (:func:`register`, :func:`names`, :func:`get`) lives here, not in the package ``__init__``, so
each dataset module can register itself where it is defined without importing the package that imports it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DatasetError
from .fetch import DEFAULT_TIMEOUT_S, RemoteFile, fetch

DIGITS = [str(d) for d in range(10)]  # class names of the digit datasets (mnist5k, mnist)

Loader = Callable[[Mapping[str, Path], int], tuple[dict[str, np.ndarray], dict[str, Any]]]


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


_REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> None:
    """Add ``dataset`` under its name (replacing one of that name); dataset modules call it on import."""
    _REGISTRY[dataset.name] = dataset


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Dataset:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; allowed: {names()}") from None
