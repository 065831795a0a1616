"""Every results path pattern of shrinkflow, written once.

A *stage* is a folder of results with one key per job (the wildcards of the rule that writes it) and a leaf
(the file name part). Rules take their ``output:``, ``log:`` and ``benchmark:`` strings from here, target
functions fill the same patterns with the study grid, and the aggregation code parses paths back into
their fields with :func:`parse`. A new stage (e.g. compressed models under ``results/models/``) is one more
entry in :data:`STAGES`.

Patterns use Snakemake's wildcard syntax (``{dataset}``); :func:`pattern` fills some fields and leaves the
others as wildcards, :func:`path` fills all of them.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

#: the key of one trained run; analyses of a run share it, so every result keeps the run's lineage
RUN_KEY = "{dataset}/{method}/{level}/{model}/seed{seed}"
#: the key of a reference run (raw data) of a model and seed, against which the analyses compare a run
REFERENCE_KEY = "{dataset}/identity/full/{model}/seed{seed}"
#: the key of one compressed model: the run it came from, then how it was compressed
MODEL_KEY = RUN_KEY + "/{scheme}/{amount}"
#: the key of an MCNC run or distillation student: the dense run it stands for, its rate (d{d}_k{k} or
#: dense) and how it was trained (plain or distilled)
STUDENT_KEY = RUN_KEY + "/{rate}/{training}"
#: the key of an ℓ0 classifier run: dataset, model and seed (trained on raw data from scratch), then the
#: method and its strength (α, ρ or sparsity; 0 for methods without one)
L0_KEY = "{dataset}/{model}/seed{seed}/{l0method}/{strength}"


@dataclass(frozen=True)
class Stage:
    """``{root}/{key}{leaf}``: ``key`` names one job's results, ``leaf`` the file(s) it writes."""

    root: str
    key: str
    leaf: str

    @property
    def template(self) -> str:
        return f"{self.root}/{self.key}{self.leaf}"


STAGES: dict[str, Stage] = {
    "data": Stage("results/data", "{dataset}", ".{ext}"),
    "compressed": Stage("results/compressed", "{dataset}/{method}/{level}", ".{ext}"),
    "runs": Stage("results/runs", RUN_KEY, "/{file}"),
    # the reference's half of the analyses (shrinkflow.analysis.reference), before "analysis" (which would
    # also match it)
    "reference_analysis": Stage("results/analysis", REFERENCE_KEY, "/reference.npz"),
    "analysis": Stage("results/analysis", RUN_KEY, "/{analysis}.{ext}"),
    "models": Stage("results/models", MODEL_KEY, "/{file}"),
    "model_analysis": Stage("results/analysis", MODEL_KEY, "/{analysis}.{ext}"),
    "searches": Stage("results/searches", RUN_KEY + "/{scheme}", "/{file}"),
    "students": Stage("results/students", STUDENT_KEY, "/{file}"),
    "student_analysis": Stage("results/analysis", STUDENT_KEY, "/{analysis}.{ext}"),
    # analyses first: the l0 pattern (any prefix) would also match results/analysis/l0/...
    "l0_analysis": Stage("results/analysis/l0", L0_KEY, "/{analysis}.{ext}"),
    "l0": Stage("results/l0", L0_KEY, "/{file}"),
    "teacher_student": Stage(
        "results/l0/teacher_student", "n{samples}/{l0method}/{strength}/seed{seed}", "/{file}"
    ),
    # coin_ptq's float fit per architecture, shared by its levels (.pt tensors, .json record)
    "rd_fits": Stage("results/rd", "{dataset}/{codec}/float/{arch}", ".{ext}"),
    "rd": Stage("results/rd", "{dataset}/{codec}/{level}", ".json"),
    "rd_payloads": Stage("results/rd", "{dataset}/{codec}/{level}", ".payloads"),
    "robustness": Stage("results/robustness", "{dataset}/{model}/seed{seed}", ".csv"),
    "tables": Stage("results/tables", "{table}", ".csv"),
    "figures": Stage("results/figures", "{figure}", ".{ext}"),
    "reports": Stage("results/reports", "{study}", ".md"),
    "benchmarks": Stage("results/benchmarks", "{folder}/{job}", ".tsv"),
    "logs": Stage("logs", "{folder}/{job}", ".log"),
}
KINDS = tuple(STAGES)

#: The *input kinds* a table or figure may read (its registry entry maps rule input names to kinds); the
#: workflow resolves each to the study's files (``STUDY_FILES`` in workflow/rules/common.smk): one path for
#: a ``*_table`` kind, a list of paths otherwise, empty when the study has none.
INPUT_KINDS: dict[str, str] = {
    "run_metrics": "metrics.json of every grid run",
    "run_histories": "history.csv of every grid run",
    "adaptive_metrics": "metrics.json of every AdaptCompression run",
    "adaptive_histories": "history.csv of every AdaptCompression run",
    "compressed_sidecars": "the .json sidecar of every compressed artifact of the grid",
    "data_sidecars": "results/data/{dataset}.json of every dataset of the study",
    "run_analyses": "every per-run analysis JSON of the enabled analyses",
    "boundaries_analyses": "boundaries.json of every analysed run",
    "attribution_analyses": "attributions.json of the runs shown in the attribution figure",
    "attribution_arrays": "attributions.npz of those runs, in the same order",
    "attribution_data": "results/data/{dataset}.npz of those runs",
    "robustness_rows": "results/robustness/{dataset}/{model}/seed{seed}.csv of every robustness job",
    "model_metrics": "metrics.json of every compressed model (results/models/...)",
    "model_histories": "history.csv (recovery) of every compressed model",
    "model_analyses": "every per-model analysis JSON of the compressed models",
    "search_results": "search.json of every accuracy-targeted search",
    "capacity_metrics": "metrics.json of every capacity run of the MLP study (Task 1)",
    "student_metrics": "metrics.json of every MCNC run and distillation student (Tasks 2 and 3)",
    "student_analyses": "every analysis JSON of the students against their teacher",
    "capacity_table": "results/tables/mlp_capacity.csv (one path; none without the MLP study)",
    "mcnc_table": "results/tables/mcnc.csv (one path; none without the MLP study)",
    "distillation_table": "results/tables/distillation.csv (one path; none without the MLP study)",
    "models_table": "results/tables/model_compression.csv (one path; none without compressed models)",
    "data_vs_model_table": "results/tables/data_vs_model.csv (one path; none without compressed models)",
    "l0_metrics": "metrics.json of every l0 classifier run (dense twins included)",
    "l0_analyses": "every analysis JSON of the sparse l0 runs against their dense twin",
    "teacher_student_metrics": "metrics.json of every teacher-student run of the l0 block",
    "l0_table": "results/tables/l0.csv (one path; none without l0 classifier runs)",
    "teacher_student_table": "results/tables/teacher_student.csv (one path; none without those runs)",
    "rd_results": "results/rd/{dataset}/{codec}/{level}.json of every rate-distortion point",
    "rd_table": "results/tables/rate_distortion.csv (one path; none without the rate-distortion stage)",
    "rd_bd_table": "results/tables/rate_distortion_bd.csv (one path; none without the rate-distortion stage)",
    "benchmarks": "benchmark TSV of every job of the study",
    "runs_table": "results/tables/runs.csv (one path)",
    "summary_table": "results/tables/summary.csv (one path)",
    "robustness_table": "results/tables/robustness.csv (one path; none without robustness jobs)",
    "storage_table": "results/tables/storage_at_epsilon.csv (one path)",
    "amplification_table": "results/tables/batchnorm_amplification.csv (one path; none without robustness)",
}

#: regular expression of each field when a path is parsed (fields not listed: one path segment)
_FIELD_REGEX = {
    "seed": r"\d+", "job": r".+", "amount": r"[0-9][0-9.]*", "rate": r"dense|d\d+_k\d+",
    "training": r"plain|distilled", "samples": r"\d+", "strength": r"[0-9][0-9.]*", "arch": r"\d+x\d+",
}  # fmt: skip
_FORMATTER = string.Formatter()


class ResultPathError(ValueError):
    """A path that does not follow the results layout."""


def _stage(kind: str) -> Stage:
    try:
        return STAGES[kind]
    except KeyError:
        raise ValueError(f"unknown result path kind {kind!r}; allowed: {list(KINDS)}") from None


def _fill(template: str, values: dict[str, Any], *, partial: bool) -> str:
    out = []
    for literal, field, _, _ in _FORMATTER.parse(template):
        out.append(literal)
        if field is None:
            continue
        if field in values:
            out.append(str(values[field]))
        elif partial:
            out.append("{" + field + "}")
        else:
            raise KeyError(f"path field {field!r} of {template!r} not given")
    return "".join(out)


def fields(kind: str) -> tuple[str, ...]:
    """The field names of a stage's pattern, in path order."""
    return tuple(f for _, f, _, _ in _FORMATTER.parse(_stage(kind).template) if f is not None)


def _check_fields(kind: str, given: dict[str, Any]) -> None:
    unknown = set(given) - set(fields(kind))
    if unknown:
        raise KeyError(f"{kind} paths have no field(s) {sorted(unknown)}; fields: {list(fields(kind))}")


def pattern(kind: str, **fixed: Any) -> str:
    """The stage's pattern with ``fixed`` fields filled and the rest left as ``{wildcards}``."""
    _check_fields(kind, fixed)
    return _fill(_stage(kind).template, fixed, partial=True)


def path(kind: str, **values: Any) -> str:
    """One concrete path of a stage; every field must be given."""
    _check_fields(kind, values)
    return _fill(_stage(kind).template, values, partial=False)


def key(kind: str, **fixed: Any) -> str:
    """The job key of a stage (its pattern without root and leaf), ``fixed`` fields filled."""
    return _fill(_stage(kind).key, fixed, partial=True)


def log(folder: str, kind: str, **fixed: Any) -> str:
    """``logs/{folder}/<key of kind>.log``: one log per job, keyed like the job's outputs."""
    return path("logs", folder=folder, job=key(kind, **fixed))


def benchmark(folder: str, kind: str, **fixed: Any) -> str:
    """``results/benchmarks/{folder}/<key of kind>.tsv`` (Snakemake ``benchmark:`` file of each job)."""
    return path("benchmarks", folder=folder, job=key(kind, **fixed))


def _regex(kind: str) -> re.Pattern[str]:
    template = _stage(kind).template.removeprefix("results/")
    parts = []
    for literal, field, _, _ in _FORMATTER.parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{field}>{_FIELD_REGEX.get(field, '[^/]+')})")
    # any prefix (results/ or an absolute folder); the path must end with the pattern
    return re.compile(r"(?:^|/)" + "".join(parts) + "$")


_REGEXES = {kind: _regex(kind) for kind in KINDS}


def parse(path_: str | os.PathLike, kind: str | Sequence[str] | None = None) -> dict[str, Any]:
    """Fields of a result file from its path: ``{"kind": …, "dataset": …, …}``, ``seed`` as an int.

    ``kind`` (one stage or several) restricts the accepted stages; the first that matches wins (all of
    :data:`KINDS`, in order, when None). The path may have any prefix (``results/`` or an absolute folder).
    """
    posix = PurePath(path_).as_posix()
    kinds = list(KINDS) if kind is None else [kind] if isinstance(kind, str) else list(kind)
    for k in kinds:
        _stage(k)
    for k in kinds:
        match = _REGEXES[k].search(posix)
        if match:
            values: dict[str, Any] = {"kind": k, **match.groupdict()}
            if "seed" in values:
                values["seed"] = int(values["seed"])
            return values
    expected = " or ".join(_stage(k).template for k in kinds)
    raise ResultPathError(f"path {posix!r} does not follow the results layout {expected}")
