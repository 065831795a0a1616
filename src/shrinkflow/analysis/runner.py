"""One per-run analysis from files to results: load the run and its reference, compute, add its identity.

Used by the workflow's ``analyze_*`` rules (``scripts/analyze.py``) and usable without Snakemake.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import get, split_arrays
from .pairs import load_pair

#: the files a per-run analysis reads (the rule's named inputs)
INPUTS = ("data", "npz", "sidecar", "model", "reference_model")


def run_analysis(
    name: str,
    inputs: Mapping[str, str],
    run: Mapping[str, Any],
    view: str,
    settings: Mapping[str, Any],
    log: logging.Logger | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(summary, arrays)`` of analysis ``name`` for one run.

    ``inputs`` maps each of :data:`INPUTS` to a path (prepared dataset, the run's artifact and sidecar, the
    run's and the reference's ``model.pt``); ``run`` holds the run's dataset, method, level, model and seed,
    which the summary repeats together with the view, the analysis name and its wall-clock seconds.
    """
    log = log or logging.getLogger(__name__)
    missing = [k for k in INPUTS if k not in inputs]
    if missing:
        raise KeyError(f"analysis {name!r} needs input(s) {missing}; given {sorted(inputs)}")
    t0 = time.perf_counter()
    pair = load_pair(
        inputs["data"], inputs["npz"], inputs["sidecar"], inputs["model"], inputs["reference_model"],
        run["model"], view,
    )  # fmt: skip
    log.info(
        "%s: %s %s %s seed %s (view %s), %d test images",
        name, run["method"], run["level"], run["model"], run["seed"], pair.view, pair.labels.size,
    )  # fmt: skip
    summary, arrays = split_arrays(get(name).run(pair, settings))
    summary.update(
        dataset=run["dataset"],
        method=run["method"],
        level=run["level"],
        model=run["model"],
        seed=int(run["seed"]),
        view=pair.view,
        analysis=name,
        seconds=time.perf_counter() - t0,
    )
    log.info("%s done in %.1f s", name, summary["seconds"])
    return summary, arrays
