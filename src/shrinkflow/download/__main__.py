"""``python -m shrinkflow.download DATASET ... --dest DIR``: fetch and verify raw files, for offline use.

It sits on top of both the registry (which files a dataset has) and :mod:`shrinkflow.datasets.fetch` (how
to get them); neither imports this module, so there is no cycle. :func:`main` takes ``argv`` for tests.
"""

from __future__ import annotations

import argparse
import sys

from .. import datasets
from ..datasets.fetch import DEFAULT_CACHE_DIR, DEFAULT_TIMEOUT_S, DatasetError, fetch


def main(argv: list[str] | None = None) -> int:
    """``python -m shrinkflow.download DATASET ... --dest DIR``: fetch and verify raw files only.

    For offline clusters: run it where there is network, copy ``DIR`` over, and point ``data.root`` at it
    (files land in ``DIR/<dataset>/``, the layout ``data_root`` is searched in).
    """
    parser = argparse.ArgumentParser(prog="python -m shrinkflow.download", description=main.__doc__)
    parser.add_argument("datasets", nargs="+", choices=datasets.names(), metavar="DATASET")
    parser.add_argument("--dest", default=str(DEFAULT_CACHE_DIR), help="folder to download into")
    parser.add_argument("--timeout-s", type=float, default=DEFAULT_TIMEOUT_S)
    args = parser.parse_args(argv)
    for name in args.datasets:
        files = datasets.get(name).files
        if not files:
            print(f"{name}: nothing to download (ships with its Python package)")
        for remote in files:
            try:
                path, sha256 = fetch(remote, cache_dir=args.dest, timeout_s=args.timeout_s, subdir=name)
            except DatasetError as err:
                print(f"error: {err}", file=sys.stderr)
                return 1
            print(f"{name}: {path} sha256:{sha256}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
