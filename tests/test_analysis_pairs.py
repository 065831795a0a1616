"""Run/reference loading and raw-image front ends of compressed-data models (shrinkflow.analysis.pairs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shrinkflow import artifacts, models
from shrinkflow.analysis.pairs import CodecRoundTrip, embeddings, load_pair, raw_forward
from shrinkflow.compress import compress_dataset


def _data(n_train=24, n_test=16, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 8, 8, 1), dtype=np.uint8),
        "y_train": rng.integers(0, 3, n_train).astype(np.int64),
        "x_test": rng.integers(0, 256, (n_test, 8, 8, 1), dtype=np.uint8),
        "y_test": rng.integers(0, 3, n_test).astype(np.int64),
        "class_names": np.asarray(["a", "b", "c"]),
    }


def _write_pair(tmp_path, method, level, view, params=None):
    data = _data()
    artifacts.save_npz(tmp_path / "data.npz", data)
    arrays, sidecar = compress_dataset(data, method, level, params=params, seed=3, lzma_preset=None)
    sidecar["num_classes"] = 3
    artifacts.save_npz(tmp_path / "a.npz", arrays)
    artifacts.write_json(tmp_path / "a.json", sidecar)
    from shrinkflow.compress import decode_split

    x_view, _ = decode_split(arrays, sidecar, "test", view)
    torch.manual_seed(0)
    model = models.build("lenet300", tuple(x_view.shape[1:]), 3)
    reference = models.build("lenet300", (8, 8, 1), 3)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    torch.save(reference.state_dict(), tmp_path / "r.pt")
    return load_pair(tmp_path / "data.npz", tmp_path / "a.npz", tmp_path / "a.json", tmp_path / "m.pt",
                     tmp_path / "r.pt", "lenet300", view)  # fmt: skip


@pytest.mark.parametrize(
    ("method", "level", "view"),
    [("jpeg", "30", "pixels"), ("zfp_rate", "4", "pixels"), ("resize_then_binary", "4", "coefficients")],
)
def test_round_trip_reproduces_the_artifact_view(tmp_path, method, level, view):
    pair = _write_pair(tmp_path, method, level, view)
    forward, differentiable = raw_forward(pair)
    assert not differentiable and isinstance(forward, CodecRoundTrip)
    # re-encoding the raw test images with the artifact's codec, level and params gives its decoded view
    np.testing.assert_array_equal(forward.numpy_images(pair.x_raw), pair.x_view)
    with torch.no_grad():
        logits = forward(torch.from_numpy(pair.x_raw))
        expected = pair.model(torch.from_numpy(pair.x_view))
    torch.testing.assert_close(logits, expected)


def test_differentiable_codec_passes_gradients_to_raw_pixels(tmp_path):
    pair = _write_pair(tmp_path, "dct", "4", "coefficients")
    forward, differentiable = raw_forward(pair)
    assert differentiable
    x = torch.from_numpy(pair.x_raw[:2]).requires_grad_(True)
    forward(x)[:, 0].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # the transform skips quantization only: logits stay close to the stored view's
    with torch.no_grad():
        close = forward(torch.from_numpy(pair.x_raw)) - pair.model(torch.from_numpy(pair.x_view))
    assert close.abs().max() < 0.5


def test_labels_must_match_the_prepared_data(tmp_path):
    _write_pair(tmp_path, "identity", "full", "pixels")
    data = artifacts.load_npz(tmp_path / "data.npz")
    data["y_test"] = (data["y_test"] + 1) % 3
    artifacts.save_npz(tmp_path / "data.npz", data)
    with pytest.raises(ValueError, match="test labels differ"):
        load_pair(tmp_path / "data.npz", tmp_path / "a.npz", tmp_path / "a.json", tmp_path / "m.pt",
                  tmp_path / "r.pt", "lenet300", "pixels")  # fmt: skip


def test_embeddings_are_penultimate_features(tmp_path):
    pair = _write_pair(tmp_path, "identity", "full", "pixels")
    feats = embeddings(pair.reference, pair.x_raw, batch_size=5)
    assert feats.shape[0] == pair.x_raw.shape[0] and feats.ndim == 2
    with torch.no_grad():
        expected = pair.reference.features(torch.from_numpy(pair.x_raw)).numpy()
    np.testing.assert_allclose(feats, expected, rtol=1e-5, atol=1e-6)  # batching changes float sums
