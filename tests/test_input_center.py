"""train.input_center: the model sees the view of the centred image x − c ("less is more" scales pixels to
[−0.5, 0.5] before compressing), exactly, for every codec whose view is linear in the pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shrinkflow import codecs
from shrinkflow.compress import decode_split, encode_split, load_split, view_offset
from shrinkflow.config import ConfigError, check_study
from shrinkflow.runs import load_model, predict
from shrinkflow.training import TrainConfig, train

torch.set_num_threads(1)
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (12, 8, 8, 1), dtype=np.uint8)


def _sidecar(method, level, params=None):
    codec = codecs.get(method)
    parsed = codec.parse_level(level, IMAGES.shape[1:])
    payload = encode_split(codec, IMAGES, parsed, codec.params(params), 0, "train")
    sidecar = {"method": method, "image_shape": list(IMAGES.shape[1:]), "splits": {"train": {}}}
    sidecar["splits"]["train"]["payload_meta"] = payload.meta
    return codec, payload, sidecar


@pytest.mark.parametrize(
    ("method", "level", "view"),
    [("dct", "4", "coefficients"), ("random_projection", "16", "coefficients"),
     ("downsample", "4", "coefficients"), ("identity", "full", "pixels"), ("jpeg", "50", "pixels")],
)  # fmt: skip
def test_offset_is_the_view_of_the_constant_image(method, level, view):
    codec, payload, sidecar = _sidecar(method, level)
    decoded = codec.decode(payload, view)
    offset = view_offset(sidecar, view, 0.5, decoded.shape[1:])
    assert offset.shape == decoded.shape[1:] and offset.dtype == np.float32
    transform = codec.torch_transform(payload.meta, view)
    if view == "coefficients":  # linear: view(x) − view(0.5) = view(x − 0.5)
        x = torch.as_tensor(IMAGES, dtype=torch.float64) / 255
        shifted = transform(x - 0.5).numpy()
        assert np.allclose(transform(x).numpy() - offset, shifted, atol=1e-5)
    else:
        assert np.all(offset == np.float32(0.5))


def test_dct_offset_moves_only_the_dc_term():
    _, payload, sidecar = _sidecar("dct", "4")
    offset = view_offset(sidecar, "coefficients", 0.5, (4, 4, 1))
    assert offset[0, 0, 0] == pytest.approx(0.5 * 8)  # orthonormal DCT of a constant 8×8 image: c·√(64)
    rest = offset.copy()
    rest[0, 0, 0] = 0
    assert np.abs(rest).max() < 1e-6


def test_thresholding_is_unchanged_by_centring():
    for method in ("binary_then_resize", "resize_then_binary"):
        codec, payload, sidecar = _sidecar(method, "4")
        assert not view_offset(sidecar, "coefficients", 0.5, (4, 4, 1)).any()
        # the reason: thresholding the shifted images gives the same mask
        from shrinkflow.codecs.binary import binarize

        x = IMAGES.astype(np.float32) / 255
        assert np.array_equal(binarize(x), binarize(x - 0.5))


def test_nonlinear_coefficient_views_are_rejected():
    codec, payload, sidecar = _sidecar("zfp_precision", "8")
    with pytest.raises(codecs.LevelError, match="not linear in the pixels"):
        view_offset(sidecar, "coefficients", 0.5, (8, 8, 1))


def test_a_centred_model_subtracts_the_offset_and_reloads_with_it(tmp_path):
    codec, payload, sidecar = _sidecar("random_projection", "16")
    x = codec.decode(payload, "coefficients")
    y = np.arange(12) % 3
    offset = view_offset(sidecar, "coefficients", 0.5, x.shape[1:])
    config = TrainConfig(epochs=1, batch_size=4, device="cpu", threads=1, input_center=0.5,
                         input_mean=0.0, input_std=1.0)  # fmt: skip
    result = train("lenet300", x, y, x, y, 3, config, seed=0, input_offset=offset)
    model = result.model
    assert torch.equal(model.standardize.input_offset, torch.as_tensor(offset))
    # the model's first layer sees x − offset
    seen = model.standardize(torch.as_tensor(x))
    assert torch.allclose(seen, torch.as_tensor(x - offset))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    loaded = load_model("lenet300", x.shape[1:], 3, tmp_path / "model.pt")
    assert np.array_equal(predict(loaded, x), predict(model, x))
    assert result.metrics["input_center"] == 0.5


def test_input_center_and_offset_go_together():
    x = np.zeros((4, 4, 4, 1), np.float32)
    y = np.arange(4) % 2
    with pytest.raises(ValueError, match="input_center and the input_offset argument go together"):
        train("lenet300", x, y, x, y, 2, TrainConfig(epochs=1, device="cpu", input_center=0.5), seed=0)


def test_config_rejects_centring_a_nonlinear_coefficient_view():
    config = {
        "datasets": {"mnist5k": {"identity": ["full"], "zfp_rate": ["4"]}},
        "models": ["lenet300"], "default_view": "coefficients",
        "codecs": {"identity": {"view": "pixels"}}, "train": {"input_center": 0.5},
    }  # fmt: skip
    with pytest.raises(ConfigError, match=r"train.input_center: 0.5; the coefficients view of 'zfp_rate'"):
        check_study(config)


def test_decoded_artifact_views_match_the_offsets_shape():
    codec, payload, sidecar = _sidecar("downsample", "4")
    arrays = {f"train.{k}": v for k, v in payload.arrays.items()}
    arrays["train_labels"] = np.zeros(12, np.int64)
    sidecar["splits"]["train"]["payload_meta"] = payload.meta
    x, _ = decode_split(arrays, sidecar, "train", "coefficients")
    assert load_split(arrays, sidecar, "train").meta == payload.meta
    assert view_offset(sidecar, "coefficients", 0.25, x.shape[1:]).shape == x.shape[1:]
