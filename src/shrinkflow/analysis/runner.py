"""One per-run analysis from files to results: load the run and its reference, compute, add its identity.

Used by the workflow's ``analyze_*`` rules (``scripts/analyze.py``) and usable without Snakemake.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import get, split_arrays
from .pairs import load_pair

_RUN_FIELDS = ("dataset", "method", "level", "model")
#: key fields of a compressed model or a student, repeated in its summaries
_EXTRA_FIELDS = ("scheme", "amount", "rate", "training")
#: the files a per-run analysis reads (the rule's named inputs); a compressed model gives ``payload`` (its
#: stored file, rebuilt by :func:`shrinkflow.model_compression.load`) instead of ``model``, a compressed
#: reference ``reference_payload`` instead of ``reference_model``. An optional ``reference_cache`` (the
#: reference's half of the analyses, :mod:`~shrinkflow.analysis.reference`) saves recomputing it.
INPUTS = ("data", "npz", "sidecar", "model", "reference_model")


def _load(inputs: Mapping[str, str], run: Mapping[str, Any], view: str, reference_name: str | None = None):
    aliases = {"payload": "model", "reference_payload": "reference_model"}  # a stored file in place of a .pt
    given = set(inputs) | {aliases[k] for k in inputs if k in aliases}
    missing = [k for k in INPUTS if k not in given]
    if missing:
        raise KeyError(f"analyses need input(s) {missing}; given {sorted(inputs)}")
    from ..model_compression import load

    model = load(inputs["payload"]) if "payload" in inputs else None
    reference = load(inputs["reference_payload"]) if "reference_payload" in inputs else None
    return load_pair(
        inputs["data"], inputs["npz"], inputs["sidecar"], inputs.get("model", ""),
        inputs.get("reference_model", ""), run["model"], view, model, reference_name, reference,
        inputs.get("reference_cache"),
    )  # fmt: skip


def run_analyses(
    names: Sequence[str],
    inputs: Mapping[str, str],
    run: Mapping[str, Any],
    view: str,
    settings: Mapping[str, Mapping[str, Any]],
    log: logging.Logger | None = None,
    reference_name: str | None = None,
) -> dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]]:
    """``{name: (summary, arrays)}`` of several analyses of one run or compressed model, loading it once.

    ``inputs`` maps each of :data:`INPUTS` to a path (prepared dataset, the run's artifact and sidecar, the
    run's ``model.pt`` or a compressed model's ``payload``, and the reference's ``model.pt``); ``run`` holds
    the dataset, method, level, model and seed (plus ``scheme`` and ``amount`` for a compressed model),
    which each summary repeats together with the view, the analysis name and its wall-clock seconds
    (loading counted in the first). ``reference_name``: the reference's architecture when it is not the
    run's (a distillation student against its teacher).
    """
    log = log or logging.getLogger(__name__)
    t0 = time.perf_counter()
    pair = _load(inputs, run, view, reference_name)
    what = " ".join(str(run[k]) for k in (*_RUN_FIELDS[1:4], *_EXTRA_FIELDS) if k in run)
    log.info("%s seed %s (view %s), %d test images", what, run["seed"], pair.view, pair.labels.size)
    out = {}
    for name in names:
        summary, arrays = split_arrays(get(name).run(pair, settings[name]))
        summary.update(
            {k: run[k] for k in (*_RUN_FIELDS, *_EXTRA_FIELDS) if k in run},
            seed=int(run["seed"]), view=pair.view, analysis=name, seconds=time.perf_counter() - t0,
        )  # fmt: skip
        log.info("%s done in %.1f s", name, summary["seconds"])
        out[name] = (summary, arrays)
        t0 = time.perf_counter()
    return out


def run_analysis(
    name: str,
    inputs: Mapping[str, str],
    run: Mapping[str, Any],
    view: str,
    settings: Mapping[str, Any],
    log: logging.Logger | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(summary, arrays)`` of analysis ``name`` for one run (see :func:`run_analyses`)."""
    return run_analyses([name], inputs, run, view, {name: settings}, log)[name]


def write_results(
    results: Mapping[str, tuple[dict[str, Any], dict[str, np.ndarray]]],
    json_paths: Sequence[str],
    npz_paths: Sequence[str],
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write :func:`run_analyses`' results, one JSON summary (+ ``extra`` keys) and one npz per analysis, in
    the order of ``results`` (the rule's output lists follow the same enabled-analyses order)."""
    from .. import artifacts

    for (summary, arrays), json_path, npz_path in zip(results.values(), json_paths, npz_paths, strict=True):
        artifacts.save_npz(npz_path, arrays or {"empty": np.zeros(0)})
        artifacts.write_json(json_path, {**summary, **(extra or {})})
