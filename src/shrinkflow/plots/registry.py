"""The study's figures: name, module that draws it, the inputs it reads, one line of description.

The workflow makes one rule per :data:`FIGURES` entry and resolves each *input kind*
(:data:`shrinkflow.layout.INPUT_KINDS`) to files; ``scripts/figures.py`` then calls :meth:`Figure.draw`.
This module imports neither matplotlib, pandas nor torch, so that the Snakefile can read it at parse time;
a figure's module is imported only when it is drawn.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..layout import INPUT_KINDS  # noqa: F401 - the vocabulary of Figure.inputs, re-exported
from ..registry import lookup, plain_inputs


@dataclass(frozen=True)
class Figure:
    """A figure: ``module`` (under :mod:`shrinkflow.plots`) defines ``draw(inputs, png, info=None)``;
    ``inputs`` maps the rule's input names to input kinds (:data:`INPUT_KINDS`)."""

    name: str
    module: str
    inputs: Mapping[str, str]
    description: str

    def draw(
        self,
        inputs: Mapping[str, Any],
        png: str | os.PathLike,
        info: Mapping[str, Mapping[str, str]] | None = None,
    ) -> list[Path]:
        """Read ``inputs`` (input name → path or list of paths) and write ``png`` and the PDF beside it.

        ``info`` is :func:`shrinkflow.codecs.method_info` (method families and level meanings); pass it
        where torch is not installed. Snakemake's ``Namedlist`` values become plain lists.
        """
        lacking = sorted(set(self.inputs) - set(inputs))
        if lacking:
            raise KeyError(f"figure {self.name!r} needs inputs {sorted(self.inputs)}; missing {lacking}")
        module = importlib.import_module(f"{__package__}.{self.module}")
        return module.draw(plain_inputs(inputs), png, info=info)


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("accuracy_vs_bits", "accuracy_vs_bits", {"summary": "summary_table"},
               "test accuracy against stored bits per sample, Pareto front marked"),
        Figure("training_curves", "training_curves", {"histories": "run_histories"},
               "train and test loss and accuracy per epoch, per method and level"),
        Figure("adaptive_fractions", "adaptive_fractions",
               {"histories": "adaptive_histories", "metrics": "adaptive_metrics"},
               "AdaptCompression: share of samples per DCT level per epoch, assigned storage"),
        Figure("per_class_heatmap", "per_class_heatmap",
               {"metrics": "run_metrics", "data_sidecars": "data_sidecars"},
               "test accuracy per class for each method and level"),
        Figure("attribution_overlays", "attribution_overlays",
               {"json": "attribution_analyses", "npz": "attribution_arrays", "data": "attribution_data"},
               "test images with the reference's and a compressed-data model's attribution maps"),
        Figure("robustness", "robustness", {"table": "robustness_table"},
               "raw-data models evaluated on test sets decoded by each codec"),
        Figure("boundary_ratios", "boundary_ratios", {"analyses": "boundaries_analyses"},
               "decision-boundary distance relative to the reference model, per method and level"),
        Figure("runtime", "runtime", {"benchmarks": "benchmarks"},
               "wall-clock time and peak memory of every job, per rule"),
        Figure("accuracy_vs_model_bytes", "accuracy_vs_model_bytes", {"table": "models_table"},
               "compressed models: accuracy vs real stored bytes per scheme; what other conventions claim"),
        Figure("per_class_change", "per_class_change", {"table": "models_table"},
               "per-class accuracy change of each compressed model against its uncompressed run"),
        Figure("mlp_capacity", "mlp_capacity", {"capacity": "capacity_table", "mcnc": "mcnc_table"},
               "MLP capacity: median accuracy vs width, depth and stored bytes, MCNC models added"),
        Figure("distillation", "distillation", {"table": "distillation_table"},
               "students trained plainly vs distilled from the best capacity MLP, paired differences"),
        Figure("l0_description_length", "l0_description_length", {"table": "l0_table"},
               "l0 runs: test loss vs model bytes (both conventions) with description-length isolines"),
        Figure("l0_frontier", "l0_frontier", {"table": "l0_table"},
               "l0 runs: accuracy vs nonzero parameters per method over its strength sweep, Pareto fronts"),
        Figure("l0_sample_efficiency", "l0_sample_efficiency", {"table": "teacher_student_table"},
               "teacher-student: student test MSE vs training samples, regularised vs unregularised"),
        Figure("rate_distortion", "rate_distortion", {"table": "rd_table", "bd": "rd_bd_table"},
               "PSNR vs bits per pixel of every codec, BD-rate vs JPEG, COIN's published Kodak points"),
        Figure("coin_quantization", "coin_quantization", {"table": "rd_table"},
               "COIN quantized to 1-16 bits: training-time (QN) vs post-training, weights vs weights+biases"),
        Figure("data_vs_model", "data_vs_model", {"table": "data_vs_model_table"},
               "training data + model bytes kept vs accuracy: compress the data, the model, or both"),
    )
}  # fmt: skip


def names() -> list[str]:
    """The figures' names, in the order of :data:`FIGURES`."""
    return list(FIGURES)


def get(name: str) -> Figure:
    return lookup(FIGURES, name, "figure")
