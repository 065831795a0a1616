"""Registry of the study's tables: name → builder function, the inputs it reads, the config it takes.

The workflow defines one rule per entry (``table_{name}``, writing ``results/tables/{stem}.csv`` with the
caption ``workflow/report/table_{name}.rst``), so adding a table is one builder in
:mod:`shrinkflow.tables.build`, one line in :data:`TABLES` and one caption. ``inputs`` maps the rule's input
names to *input kinds* (:data:`shrinkflow.layout.INPUT_KINDS`), which the workflow resolves to the
study's files (``workflow/rules/common.smk``); ``params`` maps builder parameter names to dotted config keys.

Like the other registries this module imports nothing heavy: builders are loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..registry import lookup, plain_inputs


@dataclass(frozen=True)
class Table:
    """One table: ``build(inputs, params) -> DataFrame`` is ``shrinkflow.tables.build.<name>``."""

    name: str
    #: rule input name -> input kind(s) (several kinds are concatenated)
    inputs: Mapping[str, str | tuple[str, ...]]
    #: builder parameter -> dotted config key (``analysis.storage.epsilons``)
    params: Mapping[str, str] = field(default_factory=dict)
    #: file stem under results/tables/; ``{study}``-style fields become wildcards of the rule
    stem: str = ""
    description: str = ""
    #: input names that may resolve to no file (the table is built all the same)
    optional: tuple[str, ...] = ()

    @property
    def file_stem(self) -> str:
        return self.stem or self.name

    def build(self, inputs: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
        """The table as a pandas DataFrame; ``inputs`` values may be paths or lists of paths."""
        builder = getattr(importlib.import_module(f"{__name__}.build"), self.name)
        return builder(plain_inputs(inputs), dict(params))


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "runs",
            {"metrics": ("run_metrics", "adaptive_metrics"), "compressed": "compressed_sidecars",
             "analyses": "run_analyses"},
            description="one row per run: training, storage and every analysis value",
            optional=("analyses",),
        ),
        Table("summary", {"runs": "runs_table"}, description="mean, std, n, 95% CI over seeds"),
        Table(
            "storage_at_epsilon",
            {"metrics": "run_metrics", "compressed": "compressed_sidecars"},
            {"epsilons": "analysis.storage.epsilons"},
            description="least storage within ε of the reference's accuracy",
        ),
        Table(
            "robustness", {"rows": "robustness_rows"}, description="reference models on compressed test sets"
        ),
        Table(
            "batchnorm_amplification",
            {"rows": "robustness_rows"},
            {"plain_model": "analysis.robustness.plain_model", "bn_model": "analysis.robustness.bn_model"},
            description="does BatchNorm amplify the accuracy drop on compressed test sets?",
        ),
        Table(
            "reproduction",
            {"summary": "summary_table"},
            {"tolerance": "reproduction.tolerance"},
            stem="reproduction_{study}",
            description="published number, our mean and CI, verdict",
        ),
        Table(
            "model_compression",
            {"metrics": "model_metrics", "analyses": "model_analyses"},
            optional=("analyses",),
            description="one row per compressed model: sizes (real bytes and others' conventions), "
            "accuracy before and after recovery, throughput, every analysis value",
        ),
        Table(
            "model_compression_summary", {"models": "models_table"},
            description="compressed models: mean, std, n, 95% CI over seeds",
        ),
        Table(
            "searches", {"searches": "search_results"},
            description="accuracy-targeted searches: chosen amount, target met, BO vs bisection evaluations",
        ),
        Table(
            "data_vs_model", {"runs": "runs_table", "models": "models_table"},
            description="training data + model bytes kept vs accuracy: data, model or both compressed",
        ),
        Table(
            "mlp_capacity", {"metrics": "capacity_metrics"},
            description="MLP capacity baseline: median, mean, 95% CI of accuracy per width and depth",
        ),
        Table(
            "mcnc", {"metrics": "student_metrics", "analyses": "student_analyses"}, optional=("analyses",),
            description="MCNC runs and students: accuracy per model, rate and training; stored bytes",
        ),
        Table(
            "distillation", {"metrics": "student_metrics"},
            description="plain vs distilled students, paired difference with 95% CI and a verdict",
        ),
        Table(
            "l0", {"metrics": "l0_metrics", "analyses": "l0_analyses"}, optional=("analyses",),
            description="one row per l0 run: nonzeros, model bytes (4 per nonzero and real payload), "
            "accuracy, test loss, description length, every analysis against the dense twin",
        ),
        Table("l0_summary", {"table": "l0_table"}, description="l0 runs: mean and 95% CI over seeds"),
        Table(
            "l0_claims", {"table": "l0_table", "students": "teacher_student_table"},
            {"tolerance": "l0.tolerance"}, optional=("students",),
            description="the l0 paper's claims: compression at maintained accuracy, sample efficiency",
        ),
        Table(
            "teacher_student", {"metrics": "teacher_student_metrics"},
            description="teacher-student students per data size and method: test MSE, nonzeros, bytes, DL",
        ),
        Table(
            "rate_distortion", {"results": "rd_results"},
            description="one row per codec and level: mean bpp (real stored bytes), PSNR, MS-SSIM, times",
        ),
        Table(
            "rate_distortion_bd", {"table": "rd_table"}, {"anchor": "rate_distortion.anchor"},
            description="BD-rate (%) and BD-PSNR (dB) of every codec curve against the anchor (JPEG)",
        ),
        Table(
            "coin_reproduction", {"table": "rd_table"}, {"tolerance_db": "rate_distortion.tolerance_db"},
            description="COIN's published Kodak PSNR per architecture vs ours, with a verdict",
        ),
        Table(
            "claims",
            {"runs": "runs_table", "storage": "storage_table", "amplification": "amplification_table"},
            stem="claims_{study}",
            optional=("storage", "amplification"),
            description="each claim of a paper (numbers and statements): published, ours, verdict, reason",
        ),
    )
}  # fmt: skip


def names() -> list[str]:
    return list(TABLES)


def get(name: str) -> Table:
    return lookup(TABLES, name, "table")


__all__ = ["TABLES", "Table", "get", "names", "plain_inputs"]
