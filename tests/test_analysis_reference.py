"""The reference's half of the analyses, computed once and stored (shrinkflow.analysis.reference): the results
read from the stored file are bit-identical to those computed in the job, and a stale file is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from test_analysis_pairs import _write_pair

from shrinkflow import artifacts
from shrinkflow.analysis import reference
from shrinkflow.analysis.pairs import embeddings, logits_and_embeddings
from shrinkflow.analysis.runner import run_analyses
from shrinkflow.runs import predict

NAMES = ["output", "features", "attributions", "boundaries"]
SETTINGS = {
    "output": {"distance": "zero_one", "two_level_within": 1.0, "two_level_across": 2.0},
    "features": {"k": 3},
    "attributions": {"n_images": 6, "seed": 1, "methods": ["saliency", "integrated_gradients", "occlusion"],
                     "ig_steps": 4, "occlusion_window": 4, "occlusion_stride": 4, "normalize": True,
                     "n_maps": 2},
    "boundaries": {"n_points": 5, "n_directions": 3, "max_radius": 20.0, "tol": 0.05, "seed": 2},
}  # fmt: skip


def _inputs(tmp_path):
    return {
        "data": str(tmp_path / "data.npz"), "npz": str(tmp_path / "a.npz"),
        "sidecar": str(tmp_path / "a.json"), "model": str(tmp_path / "m.pt"),
        "reference_model": str(tmp_path / "r.pt"),
    }  # fmt: skip


def _build_cache(tmp_path, pair, settings=SETTINGS, names=NAMES):
    arrays = reference.compute(pair.reference, pair.x_raw, names, settings)
    path = tmp_path / "reference.npz"
    reference.save(path, arrays, settings, artifacts.sha256_file(tmp_path / "r.pt"), pair.x_raw)
    return str(path)


@pytest.mark.parametrize(
    ("method", "level", "view"),
    [
        ("dct", "4", "coefficients"),  # through the codec's differentiable transform
        ("jpeg", "30", "pixels"),  # decoded pixels
        ("resize_then_binary", "4", "coefficients"),  # Occlusion only, through a numpy round trip
    ],
)
def test_stored_reference_half_gives_identical_results(tmp_path, method, level, view):
    pair = _write_pair(tmp_path, method, level, view)
    run = {"dataset": "d", "method": method, "level": level, "model": "lenet300", "seed": 0}
    computed = run_analyses(NAMES, _inputs(tmp_path), run, view, SETTINGS)
    cache = _build_cache(tmp_path, pair)
    stored = run_analyses(NAMES, {**_inputs(tmp_path), "reference_cache": cache}, run, view, SETTINGS)
    for name in NAMES:
        (a, a_arrays), (b, b_arrays) = computed[name], stored[name]
        a.pop("seconds"), b.pop("seconds")
        assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str), name
        assert a_arrays.keys() == b_arrays.keys(), name
        for key in a_arrays:
            assert a_arrays[key].dtype == b_arrays[key].dtype, (name, key)
            np.testing.assert_array_equal(a_arrays[key], b_arrays[key], err_msg=f"{name}/{key}")
    assert computed["attributions"][0]["attribution_methods_used"] == (
        ["occlusion"] if method == "resize_then_binary" else SETTINGS["attributions"]["methods"]
    )


def test_a_stale_or_foreign_file_is_refused(tmp_path):
    pair = _write_pair(tmp_path, "dct", "4", "coefficients")
    run = {"dataset": "d", "method": "dct", "level": "4", "model": "lenet300", "seed": 0}
    inputs = {**_inputs(tmp_path), "reference_cache": _build_cache(tmp_path, pair)}
    other = {**SETTINGS, "boundaries": {**SETTINGS["boundaries"], "n_directions": 4}}
    with pytest.raises(ValueError, match=r"analysis\.boundaries settings differ.*n_directions"):
        run_analyses(NAMES, inputs, run, "coefficients", other)
    # only some analyses stored
    inputs["reference_cache"] = _build_cache(tmp_path, pair, names=["output"])
    with pytest.raises(ValueError, match="not of 'features'"):
        run_analyses(NAMES, inputs, run, "coefficients", SETTINGS)
    # the reference model retrained since
    inputs["reference_cache"] = _build_cache(tmp_path, pair)
    state = {k: v + 1 for k, v in torch.load(tmp_path / "r.pt").items()}
    torch.save(state, tmp_path / "r.pt")
    with pytest.raises(ValueError, match="another reference model"):
        run_analyses(NAMES, inputs, run, "coefficients", SETTINGS)
    # other test images
    inputs["reference_cache"] = _build_cache(tmp_path, pair)
    data = artifacts.load_npz(tmp_path / "data.npz")
    data["x_test"] = 255 - data["x_test"]
    artifacts.save_npz(tmp_path / "data.npz", data)
    with pytest.raises(ValueError, match="other test images"):
        run_analyses(NAMES, inputs, run, "coefficients", SETTINGS)


def test_one_pass_gives_predict_and_embeddings_bit_for_bit(tmp_path):
    pair = _write_pair(tmp_path, "jpeg", "30", "pixels")
    x = np.repeat(pair.x_view, 3, axis=0)  # 48 rows, batches of 20: a short last batch
    logits, features = logits_and_embeddings(pair.model, x, batch_size=20)
    np.testing.assert_array_equal(logits, predict(pair.model, x, batch_size=20))
    np.testing.assert_array_equal(features, embeddings(pair.model, x, batch_size=20))
    assert not pair.model.training
