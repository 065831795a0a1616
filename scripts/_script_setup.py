"""Shared start of every rule script: import the library from the checkout and send logs to the rule's log.

Snakemake puts this folder on ``sys.path`` and sets ``__file__`` to the real script, so scripts start with
``from _script_setup import setup; log = setup(snakemake)``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def prefer_checkout(path: list[str], src: Path = SRC) -> None:
    """Put the checkout's ``src`` first on ``path`` (in place), so rule scripts run this checkout's library.

    Snakemake appends the main process's ``sys.path`` (which holds ``src``) to the job's, *after*
    site-packages; a ``pip install -e`` of another checkout would otherwise be imported instead.
    """
    while str(src) in path:
        path.remove(str(src))
    path.insert(0, str(src))


prefer_checkout(sys.path)


def setup(smk) -> logging.Logger:
    """Send stderr and a ``shrinkflow`` logger to ``smk.log[0]``; return the logger."""
    handle = open(smk.log[0], "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stderr = handle
    logging.basicConfig(
        stream=handle,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    log = logging.getLogger(f"shrinkflow.{smk.rule}")
    log.info("wildcards: %s", dict(smk.wildcards.items()))
    return log
