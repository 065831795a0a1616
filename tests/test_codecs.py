"""Contract tests every codec must pass: views, ranges, lossless exactness, determinism, level validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from shrinkflow import codecs
from shrinkflow.codecs import LevelError, streams
from shrinkflow.codecs.binary import binarize

# One representative level per method (small enough to be quick, lossy enough to be interesting).
LEVELS = {
    "identity": "full",
    "dct": "8",
    "random_projection": "64",
    "downsample": "14",
    "binary_then_resize": "14",
    "resize_then_binary": "16",
    "jpeg": "50",
    "png": "full",
    "zfp_rate": "2",
    "zfp_precision": "8",
    "zfp_accuracy": "4",
    "zfp_reversible": "full",
}
LOSSLESS = ["identity", "png", "zfp_reversible"]
DIFFERENTIABLE = ["identity", "dct", "random_projection", "downsample"]


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """64 real MNIST digits (uint8 64×28×28×1)."""
    from shrinkflow import datasets

    arrays, _ = datasets.get("mnist5k").prepare()
    return arrays["x_train"][:64]


@pytest.fixture(scope="module")
def colour() -> np.ndarray:
    """12 smooth random 32×32×3 images (upsampled noise: JPEG-like content, not white noise)."""
    rng = np.random.default_rng(1)
    coarse = torch.from_numpy(rng.uniform(0, 255, (12, 3, 8, 8)).astype(np.float32))
    fine = F.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False)
    return fine.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def run(name: str, images: np.ndarray, level: str | None = None, threads: int = 1, **params):
    codec = codecs.get(name)
    parsed = codec.parse_level(level or LEVELS[name], images.shape[1:])
    payload = codec.encode(images, parsed, codec.params(params), np.random.default_rng(0), threads=threads)
    payload.meta = {**payload.meta, "level": parsed, "n_samples": images.shape[0]}
    return codec, payload


def test_registry_lists_every_method():
    assert set(codecs.names()) == set(LEVELS)


def test_every_codec_has_a_family_and_method_info_covers_codecs_and_adaptive():
    info = codecs.method_info()
    assert set(info) == {*codecs.names(), "adaptive"}
    for name in codecs.names():
        codec = codecs.get(name)
        assert isinstance(codec.family, str) and codec.family, name
        assert info[name] == {"family": codec.family, "level_meaning": codec.level_meaning}
    assert info["adaptive"] == {"family": "adaptive", "level_meaning": "AdaptCompression preset"}
    families = {m: v["family"] for m, v in info.items()}
    assert {m for m, f in families.items() if f == "lossless"} == set(LOSSLESS)
    assert {m for m, f in families.items() if f == "zfp"} == {"zfp_rate", "zfp_precision", "zfp_accuracy"}
    assert families["binary_then_resize"] == families["resize_then_binary"] == "binary"


@pytest.mark.parametrize("name", sorted(LEVELS))
@pytest.mark.parametrize("images_fixture", ["digits", "colour"])
def test_views_have_documented_shapes_and_range(name, images_fixture, request):
    images = request.getfixturevalue(images_fixture)
    codec, payload = run(name, images)
    pixels = codec.decode(payload, "pixels")
    assert pixels.dtype == np.float32 and pixels.shape == images.shape
    assert pixels.min() >= 0.0 and pixels.max() <= 1.0
    coefficients = codec.decode(payload, "coefficients")
    assert coefficients.dtype == np.float32 and coefficients.shape[0] == images.shape[0]
    assert np.isfinite(coefficients).all()
    # What is stored is all there is: every payload array is a numpy array and stored_bytes is their size.
    assert payload.stored_bytes == sum(a.nbytes for a in payload.arrays.values())
    assert payload.meta["storage"]  # the sidecar states what is counted


@pytest.mark.parametrize("name", LOSSLESS)
@pytest.mark.parametrize("images_fixture", ["digits", "colour"])
def test_lossless_codecs_reproduce_pixels_exactly(name, images_fixture, request):
    images = request.getfixturevalue(images_fixture)
    codec, payload = run(name, images)
    decoded = codec.decode(payload, "pixels")
    np.testing.assert_array_equal(np.rint(decoded * 255).astype(np.uint8), images)
    np.testing.assert_array_equal(decoded, images.astype(np.float32) / np.float32(255))


def test_lossy_codecs_improve_with_level(digits):
    pairs = {
        "dct": ("4", "20"),
        "random_projection": ("16", "400"),
        "downsample": ("7", "21"),
        "binary_then_resize": ("7", "21"),
        "resize_then_binary": ("7", "21"),
        "jpeg": ("10", "90"),
        "zfp_rate": ("1", "8"),
        "zfp_precision": ("4", "12"),
        "zfp_accuracy": ("32", "1"),
    }
    for name, (weak, strong) in pairs.items():
        errors, sizes = [], []
        for level in (weak, strong):
            codec, payload = run(name, digits, level)
            errors.append(float(np.mean((codec.decode(payload, "pixels") * 255.0 - digits) ** 2)))
            sizes.append(payload.stored_bytes)
        assert errors[1] < errors[0], name
        assert sizes[1] > sizes[0], name


@pytest.mark.parametrize("name", sorted(LEVELS))
def test_encoding_is_deterministic_and_independent_of_threads(name, digits, monkeypatch):
    # Small chunks so that two worker processes really run on these 64 images.
    monkeypatch.setattr(streams, "MIN_ITEMS_PER_WORKER", 8)
    codec, first = run(name, digits, threads=1)
    _, second = run(name, digits, threads=2)
    assert sorted(first.arrays) == sorted(second.arrays)
    for key in first.arrays:
        assert first.arrays[key].dtype == second.arrays[key].dtype
        assert first.arrays[key].tobytes() == second.arrays[key].tobytes(), key
    np.testing.assert_array_equal(codec.decode(first, "pixels", threads=2), codec.decode(first, "pixels"))


def test_resize_then_binary_stores_exactly_one_bit_per_value(digits):
    codec, payload = run("resize_then_binary", digits, "16")
    assert payload.stored_bytes == 32 * digits.shape[0]
    small = codec.decode(payload, "coefficients")
    # Independent reference: torch's antialiased bilinear resize, then the per-image threshold.
    x = torch.from_numpy(digits.astype(np.float32)).permute(0, 3, 1, 2)
    resized = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False, antialias=True).numpy()
    mean = resized.mean(axis=(1, 2, 3), keepdims=True)
    std = resized.std(axis=(1, 2, 3), keepdims=True)
    expected = (resized > mean + 0.5 * std).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(small, expected.astype(np.float32))
    # Odd sizes pack across image boundaries: 5×5 bits for 64 images is 200 bytes, not 64×4.
    _, odd = run("resize_then_binary", digits, "5")
    assert odd.stored_bytes == 64 * 25 // 8


def test_binary_then_resize_thresholds_first_and_stores_uint8(digits):
    codec, full = run("binary_then_resize", digits, "28")
    mask = digits.astype(np.float64)
    expected = mask > mask.mean(axis=(1, 2, 3), keepdims=True) + 0.5 * mask.std(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_array_equal(codec.decode(full, "coefficients"), expected.astype(np.float32))
    np.testing.assert_array_equal(binarize(digits), expected)
    _, small = run("binary_then_resize", digits, "14")
    values = small.arrays["values"]
    assert values.dtype == np.uint8 and values.shape == (64, 14, 14, 1)
    # Resizing a binary image leaves grey edges: the stored values are not just 0 and 255.
    assert len(np.unique(values)) > 2


@pytest.mark.parametrize("name", sorted(LEVELS))
def test_torch_transform_exists_exactly_for_differentiable_codecs(name, digits):
    codec, payload = run(name, digits)
    for view in ("pixels", "coefficients"):
        transform = codec.torch_transform(payload.meta, view)
        if name not in DIFFERENTIABLE:
            assert transform is None
            continue
        x = torch.from_numpy(digits[:4].astype(np.float32) / 255).requires_grad_(True)
        out = transform(x)
        assert tuple(out.shape) == codec.decode(payload, view)[:4].shape
        out.sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


BAD_LEVELS = [
    ("dct", "29", "1..28"),
    ("dct", "0", "1..28"),
    ("dct", "eight", "1..28"),
    ("dct", "8.0", "1..28"),
    ("random_projection", "785", "1..784"),
    ("downsample", "30", "1..28"),
    ("resize_then_binary", "0", "1..28"),
    ("binary_then_resize", "x", "integer side length"),
    ("jpeg", "0", "1..95"),
    ("jpeg", "96", "1..95"),
    ("jpeg", "high", "1..95"),
    ("zfp_rate", "0", "[0.5625, 32]"),
    ("zfp_rate", "-2", "[0.5625, 32]"),
    ("zfp_rate", "0.5", "[0.5625, 32]"),
    ("zfp_rate", "nan", "[0.5625, 32]"),
    ("zfp_precision", "0", "1..32"),
    ("zfp_precision", "2.5", "1..32"),
    ("zfp_accuracy", "0", "(0, 255]"),
    ("zfp_accuracy", "-1e-3", "(0, 255]"),
    ("zfp_accuracy", "inf", "(0, 255]"),
    ("identity", "8", "use 'full'"),
    ("png", "9", "use 'full'"),
    ("zfp_reversible", "1", "use 'full'"),
]


@pytest.mark.parametrize(("name", "level", "allowed"), BAD_LEVELS)
def test_unusable_levels_are_rejected_with_method_value_and_range(name, level, allowed):
    with pytest.raises(LevelError) as error:
        codecs.get(name).parse_level(level, (28, 28, 1))
    message = str(error.value)
    assert repr(name) in message and repr(level) in message and allowed in message


def test_image_formats_reject_channel_counts_they_cannot_store():
    with pytest.raises(LevelError, match=r"'jpeg'.*2 channels.*\(1, 3\)"):
        codecs.get("jpeg").parse_level("50", (28, 28, 2))
    with pytest.raises(LevelError, match=r"'png'.*5 channels"):
        codecs.get("png").parse_level("full", (28, 28, 5))


@pytest.mark.parametrize(
    ("name", "params", "pattern"),
    [
        ("dct", {"bits": 0}, r"codecs\.dct\.bits: 0 is not an integer in 1\.\.16"),
        ("random_projection", {"bits": 17}, r"codecs\.random_projection\.bits: 17"),
        ("random_projection", {"seed": -1}, r"codecs\.random_projection\.seed: -1"),
        ("jpeg", {"optimize": True, "shared_tables": True}, r"shared_tables: true needs optimize: false"),
        ("jpeg", {"subsampling": "4:1:1"}, r"codecs\.jpeg\.subsampling: '4:1:1' is not one of"),
        ("png", {"compress_level": 10}, r"codecs\.png\.compress_level: 10"),
        ("zfp_rate", {"images_per_stream": 0}, r"codecs\.zfp_rate\.images_per_stream: 0"),
        ("zfp_accuracy", {"write_header": "yes"}, r"codecs\.zfp_accuracy\.write_header: 'yes'"),
        ("dct", {"quality": 3}, r"unknown parameter\(s\) \['quality'\]"),
    ],
)
def test_unusable_parameters_are_rejected(name, params, pattern):
    with pytest.raises(LevelError, match=pattern):
        codecs.get(name).params(params)


def test_random_projection_and_the_error_do_not_depend_on_blas_threads():
    """With 2 BLAS threads OpenBLAS splits the sums of a large product differently; the projection and the
    reconstruction error must still give the same bytes (a job's thread count is not part of the result)."""
    from threadpoolctl import threadpool_limits

    from shrinkflow import datasets
    from shrinkflow.compress import reconstruction_error

    images = datasets.get("mnist5k").prepare()[0]["x_train"]
    codec = codecs.get("random_projection")
    params = codec.params({})
    outcomes = []
    for blas_threads in (1, 2):
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            payload = codec.encode(images, 256, params, np.random.default_rng(0))
            decoded = codec.decode(payload, "pixels")
            error = reconstruction_error(images, decoded)
            outcomes.append((payload.arrays["codes"].tobytes(), decoded.tobytes(), error))
    assert outcomes[0] == outcomes[1]
