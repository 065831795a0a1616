"""The fetch API under its old name: ``from shrinkflow.download import fetch, RemoteFile, ...`` still works.

The code lives in :mod:`shrinkflow.datasets.fetch` (next to the datasets that use it, importing none of
them); this package re-exports it, and its ``__main__`` is the ``python -m shrinkflow.download`` command.
"""

from __future__ import annotations

from ..datasets.fetch import (
    CHUNK_BYTES,
    DEFAULT_CACHE_DIR,
    DEFAULT_TIMEOUT_S,
    DIGEST_ALGORITHMS,
    DatasetError,
    RemoteFile,
    fetch,
    parse_digest,
    verify_file,
)

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_CACHE_DIR",
    "DEFAULT_TIMEOUT_S",
    "DIGEST_ALGORITHMS",
    "DatasetError",
    "RemoteFile",
    "fetch",
    "parse_digest",
    "verify_file",
]
