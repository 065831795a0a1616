"""The identity check: a model compared with itself must look perfectly correct to every analysis."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_analysis_support import TinyCNN, images

from shrinkflow.analysis import (
    attribution_analysis,
    boundary_analysis,
    feature_analysis,
    output_analysis,
    split_arrays,
)


@pytest.fixture(scope="module")
def model_and_data():
    model = TinyCNN(seed=0)
    x = images(40, seed=1)
    with torch.no_grad():
        logits = model(torch.as_tensor(x)).numpy()
        features = model.features(torch.as_tensor(x)).numpy()
    labels = np.random.default_rng(2).integers(0, 4, size=40)
    return model, x, logits, features, labels


def test_output_of_a_model_against_itself(model_and_data):
    _, _, logits, _, labels = model_and_data
    for distance in ("zero_one", np.full((4, 4), 3.0) - 3 * np.eye(4)):
        out = output_analysis(logits, logits.copy(), labels, distance)
        assert out["agreement"] == 1.0 and out["misclassification_cost"] == 0.0


def test_features_of_a_model_against_itself(model_and_data):
    _, _, _, features, _ = model_and_data
    out = feature_analysis(features, features.copy(), k=5)
    assert out["cka_linear"] == pytest.approx(1.0, abs=1e-12)
    assert out["knn_jaccard_mean"] == 1.0 and out["knn_overlap_mean"] == 1.0


@pytest.mark.parametrize("route", ["decoded", "transform"])
def test_attributions_of_a_model_against_itself(model_and_data, route):
    model, x, *_ = model_and_data
    kwargs = {"x_decoded": x} if route == "decoded" else {"transform": lambda z: z}
    out = attribution_analysis(model, model, x, n_images=8, seed=0, **kwargs)
    assert out["attribution_methods_used"] == ["saliency", "integrated_gradients", "occlusion"]
    for method in out["attribution_methods_used"]:
        assert out[f"{method}_similarity_mean"] == 1.0, method
        np.testing.assert_array_equal(out["arrays"][f"{method}_similarity"], np.ones(8))
        assert out["arrays"][f"{method}_maps"].shape == (4, 8, 8)


def test_boundaries_of_a_model_against_itself(model_and_data):
    model, x, *_ = model_and_data
    out = boundary_analysis(model, model, x[:6], n_directions=4, max_radius=20.0, tol=0.01, seed=3)
    assert out["distance_ratio"] == 1.0
    np.testing.assert_array_equal(out["arrays"]["distances"], out["arrays"]["reference_distances"])
    assert out["arrays"]["distances"].shape == (6, 4)


def test_results_split_into_json_and_arrays(model_and_data):
    import json

    _, _, logits, features, labels = model_and_data
    for result in (output_analysis(logits, logits, labels), feature_analysis(features, features, k=3)):
        summary, arrays = split_arrays(result)
        json.dumps(summary, allow_nan=False)  # plain JSON: no numpy scalars, NaN or inf
        assert arrays and all(isinstance(a, np.ndarray) for a in arrays.values())


def test_attribution_and_boundary_results_are_reproducible(model_and_data):
    model, x, *_ = model_and_data
    other = TinyCNN(seed=5)
    runs = [attribution_analysis(other, model, x, x_decoded=x, n_images=6, seed=1) for _ in range(2)]
    for key, value in runs[0]["arrays"].items():
        np.testing.assert_array_equal(value, runs[1]["arrays"][key], err_msg=key)
    bounds = [
        boundary_analysis(other, model, x[:4], n_directions=3, max_radius=20.0, tol=0.01) for _ in range(2)
    ]
    for key, value in bounds[0]["arrays"].items():
        np.testing.assert_array_equal(value, bounds[1]["arrays"][key], err_msg=key)
