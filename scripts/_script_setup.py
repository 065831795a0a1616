"""Shared start of every rule script: import the library from the checkout and send logs to the rule's log.

Snakemake puts this folder on ``sys.path`` and sets ``__file__`` to the real script, so scripts start with
``from _script_setup import finish, setup; log = setup(snakemake)`` and end with ``finish()``.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn

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


def seed_jobs(
    smk, output_lists: Iterable[str] = (), input_lists: Iterable[str] = ()
) -> list[tuple[int, dict, dict]]:
    """``(seed, inputs, outputs)`` for each seed a job handles (``params.seeds``): one, or every seed of a
    run when the study groups seeds (config ``group_seeds``).

    A named input or output that is one path is shared by all seeds; a list holds each seed's paths in
    seed order (see ``seeded`` and ``per_seed`` in workflow/rules/common.smk). Names in ``output_lists`` /
    ``input_lists`` are lists per seed (e.g. one JSON per analysis, the teacher candidates of a seed); the
    others are one path per seed.
    """
    seeds = [int(s) for s in smk.params.seeds]

    def split(named, lists) -> list[dict]:
        per = [{} for _ in seeds]
        for name, value in named.items():
            values = [value] if isinstance(value, str) else list(value)
            if name not in lists and len(values) == 1:
                for one in per:
                    one[name] = values[0]
                continue
            if len(values) % len(seeds):
                raise ValueError(f"{name}: {len(values)} paths for seeds {seeds}, not a multiple")
            size = len(values) // len(seeds)
            for i, one in enumerate(per):
                chunk = values[i * size : (i + 1) * size]
                one[name] = chunk if name in lists else chunk[0]
        return per

    inputs, outputs = split(smk.input, set(input_lists)), split(smk.output, set(output_lists))
    return list(zip(seeds, inputs, outputs, strict=True))


def for_each_seed(
    smk,
    work: Callable[[int, dict, dict], None],
    output_lists: Iterable[str] = (),
    input_lists: Iterable[str] = (),
) -> None:
    """``work(seed, inputs, outputs)`` for each seed of :func:`seed_jobs`, one after the other. What ``work``
    allocates is freed when it returns (and cycles are collected) before the next seed starts; the
    allocator may still keep some of it, so a job of several seeds can peak somewhat above one seed's job."""
    for seed, inputs, outputs in seed_jobs(smk, output_lists, input_lists):
        work(seed, inputs, outputs)
        gc.collect()


def finish() -> NoReturn:
    """End a job whose outputs are all written: flush and close the log handlers and standard streams,
    then leave with exit status 0 through ``os._exit``, skipping the interpreter's teardown.

    With torch imported, Python's shutdown (freeing every module and object one by one) takes 0.5-1 s of
    a job's wall time on a 2-core machine; nothing a rule script needs happens in it, since every output is
    written and closed before this is called. A script that fails never gets here: it raises, and Python
    exits as usual with the traceback in the log and a non-zero status.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None and not stream.closed:
            stream.flush()
    os._exit(0)
