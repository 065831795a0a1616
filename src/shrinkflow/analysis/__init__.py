"""Correctness and robustness analyses: does a model trained on compressed data decide like the reference?

The per-run analyses form a registry (:data:`ANALYSES`, ``get(name)``): one module each, with a public entry
function on arrays or models and a ``run(pair, settings)`` that computes the analysis of one
:class:`~shrinkflow.analysis.pairs.RunPair` (a run and its reference) with the ``analysis.<name>`` config
settings. What a module computes on the reference alone sits in its optional ``reference_part(reference,
x_raw, settings)``, which ``run`` reads through ``pair.reference_part``: the workflow computes it once per
reference (:mod:`~shrinkflow.analysis.reference`). Adding an analysis is one module plus one line below.
Results are dicts of JSON-able values; per-image numpy arrays sit under the ``"arrays"`` key
(:func:`split_arrays` separates them before writing JSON):

* ``output`` (:func:`output_analysis`): accuracy, confusion, agreement, misclassification cost Δ_{μ,d}
* ``features`` (:func:`feature_analysis`): linear CKA and k-NN agreement of penultimate embeddings
* ``attributions`` (:func:`attribution_analysis`): weighted Jaccard of Captum attribution maps
* ``boundaries`` (:func:`boundary_analysis`): distance to the decision boundary along random directions

Beside them: robustness of reference models on compressed test sets (:func:`robustness_rows`; tables in
:mod:`~shrinkflow.analysis.drops`) and storage at ε (:func:`storage_at_epsilon`).

This module imports neither torch nor pandas (the workflow reads the registry when it parses the
Snakefile); the functions below are loaded on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..registry import lazy_attributes, lookup

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np

    from .pairs import RunPair


@dataclass(frozen=True)
class Analysis:
    """A per-run analysis: its module (which defines ``run(pair, settings) -> dict``) and job runtime."""

    name: str
    #: minutes a job may take on a CPU node (the rule's ``runtime`` resource)
    runtime_min: int
    description: str

    def run(self, pair: RunPair, settings: Mapping[str, Any]) -> dict[str, Any]:
        return importlib.import_module(f"{__name__}.{self.name}").run(pair, settings)


#: the per-run analyses; the workflow runs the ones named in ``analysis.enabled``
ANALYSES: dict[str, Analysis] = {
    a.name: a
    for a in (
        Analysis("output", 20, "accuracy, per-class accuracy, agreement, misclassification cost"),
        Analysis("features", 20, "linear CKA and k-NN agreement of penultimate embeddings"),
        Analysis("attributions", 60, "weighted Jaccard of Captum attribution maps on the raw image grid"),
        Analysis("boundaries", 60, "distance to the first label change along random directions"),
    )
}


def names() -> list[str]:
    return list(ANALYSES)


def get(name: str) -> Analysis:
    return lookup(ANALYSES, name, "analysis")


def split_arrays(result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(summary, arrays)``: the JSON-able part of an analysis result and its per-image arrays."""
    import numpy as np

    summary = {k: v for k, v in result.items() if k != "arrays"}
    return summary, {k: np.asarray(v) for k, v in result.get("arrays", {}).items()}


#: public functions of the analysis modules, loaded on first access (PEP 562)
_LAZY = {
    "accuracy_drops": "drops",
    "batchnorm_amplification": "drops",
    "accuracy_on": "robustness",
    "robustness_rows": "robustness",
    "attribution_analysis": "attributions",
    "weighted_jaccard": "attributions",
    "boundary_analysis": "boundaries",
    "feature_analysis": "features",
    "knn_agreement": "features",
    "linear_cka": "features",
    "class_distance_matrix": "output",
    "misclassification_cost": "output",
    "output_analysis": "output",
    "storage_at_epsilon": "storage",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = ["ANALYSES", "Analysis", "get", "names", "split_arrays", *sorted(_LAZY)]
