"""Correctness and robustness analyses: does a model trained on compressed data decide like the reference?

One module per analysis, each with one public entry function that takes arrays or models and returns a dict
of JSON-able values; per-image numpy arrays, where an analysis has them, sit under the dict's ``"arrays"``
key (split them off with :func:`split_arrays` before writing JSON):

* :func:`output_analysis` (``output``): accuracy, confusion, agreement, misclassification cost Δ_{μ,d}
* :func:`feature_analysis` (``features``): linear CKA and k-NN agreement of penultimate embeddings
* :func:`attribution_analysis` (``attributions``): weighted Jaccard of Captum attribution maps
* :func:`boundary_analysis` (``boundaries``): distance to the decision boundary along random directions
* :func:`accuracy_on`, :func:`robustness_rows`, :func:`batchnorm_amplification` (``robustness``)
* :func:`storage_at_epsilon` (``storage``): least storage within ε of the reference's accuracy
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .attributions import attribution_analysis, weighted_jaccard
from .boundaries import boundary_analysis
from .features import feature_analysis, knn_agreement, linear_cka
from .output import class_distance_matrix, misclassification_cost, output_analysis
from .robustness import accuracy_drops, accuracy_on, batchnorm_amplification, robustness_rows
from .storage import storage_at_epsilon


def split_arrays(result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(summary, arrays)``: the JSON-able part of an analysis result and its per-image arrays ."""
    summary = {k: v for k, v in result.items() if k != "arrays"}
    return summary, {k: np.asarray(v) for k, v in result.get("arrays", {}).items()}


__all__ = [
    "accuracy_drops",
    "accuracy_on",
    "attribution_analysis",
    "batchnorm_amplification",
    "boundary_analysis",
    "class_distance_matrix",
    "feature_analysis",
    "knn_agreement",
    "linear_cka",
    "misclassification_cost",
    "output_analysis",
    "robustness_rows",
    "split_arrays",
    "storage_at_epsilon",
    "weighted_jaccard",
]
