"""The compress driver: both splits through one codec, sidecar accounting, determinism, artifact I/O."""

from __future__ import annotations

import json
import lzma

import numpy as np
import pytest

from shrinkflow import artifacts, codecs
from shrinkflow.codecs import LevelError
from shrinkflow.codecs.base import Payload
from shrinkflow.compress import compress_dataset, decode_split, load_split, lzma_bytes, reconstruction_error


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    """A tiny two-split dataset of blurry blobs (28×28×1), deterministic."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:28, :28]
    centres = rng.uniform(8, 20, size=(70, 2))
    blobs = 255 * np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 30)
    images = blobs.round().astype(np.uint8)[..., None]
    labels = rng.integers(0, 10, 70)
    return {"x_train": images[:50], "y_train": labels[:50], "x_test": images[50:], "y_test": labels[50:]}


SIDECAR_KEYS = {
    "method",
    "level",
    "level_value",
    "level_meaning",
    "params",
    "seed",
    "image_shape",
    "storage",
    "splits",
    "stored_bytes",
    "index_bytes",
    "stored_bytes_lzma",
    "lzma_preset",
    "raw_bytes",
    "n_samples",
    "bits_per_sample",
    "bits_per_sample_lzma",
    "ratio_to_raw",
    "encode_seconds",
    "decode_seconds",
    "mse",
    "psnr_db",
}


@pytest.mark.parametrize(
    ("method", "level"),
    [
        ("dct", "6"),
        ("random_projection", "40"),
        ("resize_then_binary", "16"),
        ("jpeg", "50"),
        ("zfp_rate", "3"),
    ],
)
def test_sidecar_accounts_for_every_stored_byte(data, method, level):
    arrays, sidecar = compress_dataset(data, method, level, seed=3)
    assert SIDECAR_KEYS <= set(sidecar)
    assert json.loads(json.dumps(sidecar)) is not None  # JSON-able as written by artifacts.write_json
    total = 0
    for split in ("train", "test"):
        stored = sum(v.nbytes for k, v in arrays.items() if k.startswith(f"{split}."))
        assert sidecar["splits"][split]["stored_bytes"] == stored
        total += stored
    assert sidecar["stored_bytes"] == total
    assert sidecar["n_samples"] == 70 and sidecar["raw_bytes"] == 70 * 784
    assert sidecar["bits_per_sample"] == pytest.approx(total * 8 / 70)
    assert sidecar["ratio_to_raw"] == pytest.approx(total / (70 * 784))
    assert sidecar["storage"] and sidecar["params"] == codecs.get(method).params({})
    train, test = sidecar["splits"]["train"], sidecar["splits"]["test"]
    pooled = (train["mse"] * 50 + test["mse"] * 20) / 70
    assert sidecar["mse"] == pytest.approx(pooled) and np.isfinite(sidecar["psnr_db"])


def test_resize_then_binary_sidecar_reports_32_bytes_per_image(data):
    _, sidecar = compress_dataset(data, "resize_then_binary", "16")
    assert sidecar["stored_bytes"] == 32 * 70 and sidecar["bits_per_sample"] == 256


def test_jpeg_sidecar_says_how_headers_are_counted(data):
    _, full = compress_dataset(data, "jpeg", "50")
    _, shared = compress_dataset(data, "jpeg", "50", params={"shared_tables": True})
    assert full["storage"]["headers_counted"] == "per_image"
    assert shared["storage"]["headers_counted"] == "tables_once_per_split"
    assert full["index_bytes"] == shared["index_bytes"] == (51 + 21) * 8
    assert shared["stored_bytes"] < full["stored_bytes"]
    assert shared["mse"] == full["mse"]


def test_same_config_and_seed_give_byte_identical_artifacts(data, tmp_path):
    first, sidecar = compress_dataset(data, "random_projection", "30", params={"seed": 5, "bits": 6}, seed=1)
    second, _ = compress_dataset(data, "random_projection", "30", params={"seed": 5, "bits": 6}, seed=1)
    assert sorted(first) == sorted(second)
    assert all(first[k].tobytes() == second[k].tobytes() for k in first)
    other, _ = compress_dataset(data, "random_projection", "30", params={"seed": 6, "bits": 6}, seed=1)
    assert other["train.codes"].tobytes() != first["train.codes"].tobytes()
    # Train and test are projected with the same R (the seed), which is recorded, never stored.
    assert (
        sidecar["splits"]["train"]["payload_meta"]["seed"]
        == sidecar["splits"]["test"]["payload_meta"]["seed"]
    )
    assert "not stored" in sidecar["storage"]["projection_matrix"]


def test_artifact_round_trip_decodes_like_the_payload(data, tmp_path):
    arrays, sidecar = compress_dataset(data, "zfp_precision", "9", params={"write_header": True})
    artifacts.save_npz(tmp_path / "a.npz", arrays)
    artifacts.write_json(tmp_path / "a.json", sidecar)
    loaded, meta = artifacts.load_npz(tmp_path / "a.npz"), artifacts.read_json(tmp_path / "a.json")
    for view in ("pixels", "coefficients"):
        x, y = decode_split(loaded, meta, "test", view)
        direct, _ = decode_split(arrays, sidecar, "test", view)
        np.testing.assert_array_equal(x, direct)
        np.testing.assert_array_equal(y, data["y_test"])
    assert isinstance(load_split(loaded, meta, "train"), Payload)


def test_lossless_methods_report_infinite_psnr(data):
    for method in ("identity", "png", "zfp_reversible"):
        _, sidecar = compress_dataset(data, method, "full")
        assert sidecar["mse"] == 0 and sidecar["psnr_db"] == float("inf"), method


def test_bad_level_or_parameter_fails_before_encoding(data):
    with pytest.raises(LevelError, match=r"'dct'.*'40'.*1\.\.28"):
        compress_dataset(data, "dct", "40")
    with pytest.raises(LevelError, match=r"codecs\.jpeg\.optimize"):
        compress_dataset(data, "jpeg", "50", params={"optimize": "no"})


def test_lzma_second_opinion_can_be_skipped_or_weakened(data):
    _, skipped = compress_dataset(data, "jpeg", "50", lzma_preset=None)
    assert skipped["stored_bytes_lzma"] is None and skipped["bits_per_sample_lzma"] is None
    _, fast = compress_dataset(data, "jpeg", "50", lzma_preset=0)
    _, strong = compress_dataset(data, "jpeg", "50")
    assert fast["lzma_preset"] == 0 and strong["lzma_preset"] == 9
    # Per-image JPEG headers repeat: a general-purpose compressor removes much of them.
    assert strong["stored_bytes_lzma"] <= fast["stored_bytes_lzma"] < 0.7 * strong["stored_bytes"]
    assert skipped["stored_bytes"] == strong["stored_bytes"]


def test_lzma_bytes_equals_one_shot_lzma_of_the_arrays_in_key_order():
    payload = Payload({"b": np.arange(1000, dtype=np.int16), "a": np.zeros(300, np.uint8)})
    blob = payload.arrays["a"].tobytes() + payload.arrays["b"].tobytes()
    assert lzma_bytes(payload) == len(lzma.compress(blob, preset=9))


def test_reconstruction_error_is_in_grey_levels():
    images = np.full((3, 4, 4, 1), 100, np.uint8)
    decoded = (images.astype(np.float32) + 2) / 255
    error = reconstruction_error(images, decoded)
    assert error["mse"] == pytest.approx(4.0, rel=1e-5)
    assert error["psnr_db"] == pytest.approx(10 * np.log10(255**2 / 4), rel=1e-5)
    with pytest.raises(ValueError, match="shape"):
        reconstruction_error(images, decoded[:, :2])
