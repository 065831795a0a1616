"""Rate–distortion stage: registry, metrics and the classical per-image codecs on real bytes."""

from __future__ import annotations

import io
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from shrinkflow import rd
from shrinkflow.rd import metrics


def smooth_image(height: int = 48, width: int = 48, seed: int = 0) -> np.ndarray:
    """A smooth colour test image with a little noise (uint8 H×W×3)."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    rng = np.random.default_rng(seed)
    base = np.stack([np.sin(3 * x + 1), np.cos(2 * y), x * y * 2 - 1], -1) * 0.4 + 0.5
    return np.clip((base + rng.normal(0, 0.02, base.shape)) * 255, 0, 255).astype(np.uint8)


def test_registry_imports_without_numpy_or_torch():
    code = "import sys, shrinkflow.rd as rd; rd.parse_level('coin', '5x20'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("codec", "level"),
    [("coin", "5x"), ("coin", "0x20"), ("coin_qn", "5x20-b0-w"), ("coin_qn", "5x20-b17-w"),
     ("coin_ptq", "5x20-b4-x"), ("coin_mcnc", "5x20-d10-k10"), ("jpeg", 0), ("jpeg", "9.5"), ("png", 3),
     ("zfp_rate", 0.1), ("nope", 1)],
)  # fmt: skip
def test_bad_levels_name_codec_and_value(codec, level):
    with pytest.raises(rd.RDLevelError, match=codec):
        rd.parse_level(codec, level)


def test_coin_table_parameter_counts_match_the_architecture_formula():
    for name, (parameters, _) in rd.COIN_ARCHITECTURES.items():
        assert rd.parse_architecture("coin", name).num_parameters == parameters


def test_bad_params_are_rejected():
    with pytest.raises(rd.RDLevelError, match="iterations"):
        rd.get("coin").params({"iterations": 0})
    with pytest.raises(rd.RDLevelError, match="unknown parameter"):
        rd.get("jpeg").params({"quality": 3})
    with pytest.raises(rd.RDLevelError, match="H×W×3"):
        rd.get("png").encode(np.zeros((16, 16), np.uint8), "full")


def test_psnr_is_8_bit_and_to_uint8_rounds_like_coin():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 48  # MSE = 48² / 48
    assert metrics.psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 48))
    assert metrics.psnr(a, a) == math.inf
    assert metrics.to_uint8(np.array([-0.2, 0.5 / 255, 1.6 / 255, 1.3])).tolist() == [0, 0, 2, 255]
    assert metrics.bpp(100, 20, 40) == 1.0


def test_ms_ssim_window_shrinks_for_small_images():
    assert metrics.ms_ssim_window(512, 768) == (11, 1.5)
    assert metrics.ms_ssim_window(64, 64)[0] == 3
    assert metrics.ms_ssim_window(96, 128)[0] == 5
    assert metrics.ms_ssim_window(32, 64) is None
    image = smooth_image(64, 64)
    assert metrics.ms_ssim(image, image) == pytest.approx(1.0)
    assert math.isnan(metrics.ms_ssim(image[:32], image[:32]))


@pytest.mark.parametrize(("codec", "level", "pillow_format"), [("jpeg", 50, "JPEG"), ("webp", 50, "WEBP"),
                                                                ("png", "full", "PNG")])  # fmt: skip
def test_pillow_payloads_open_with_pillow(codec, level, pillow_format):
    image = smooth_image()
    data = rd.get(codec).encode(image, level)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == pillow_format and im.size == (48, 48)
        assert np.array_equal(np.asarray(im.convert("RGB")), rd.get(codec).decode(data))
        if codec == "jpeg":
            assert JpegImagePlugin.get_sampling(im) == 2  # 4:2:0, the default stated in the sidecar


def test_png_round_trips_exactly():
    image = smooth_image(40, 56)
    assert np.array_equal(rd.get("png").decode(rd.get("png").encode(image, "full")), image)


def test_zfp_payload_is_size_prefix_plus_a_headed_stream():
    import zfpy

    image = smooth_image(36, 44)  # not multiples of 4: padded, cropped back
    data = rd.get("zfp_rate").encode(image, 8)
    stream = zfpy.compress_numpy(
        rd.classical.to_planes(image[None])[0].reshape(-1, 44), rate=8.0, write_header=True
    )
    assert data == bytes([36, 0, 44, 0]) + stream
    decoded = rd.get("zfp_rate").decode(data)
    assert decoded.shape == image.shape and metrics.psnr(image, decoded) > 30
    precise = rd.get("zfp_precision").decode(rd.get("zfp_precision").encode(image, 32))
    assert np.array_equal(precise, image)


def test_bpp_is_computed_from_the_payload_bytes():
    images = np.stack([smooth_image(seed=0), smooth_image(seed=1)])
    for codec, level in (("jpeg", 30), ("webp", 20), ("zfp_precision", 10)):
        result = rd.evaluate(codec, images, ["a", "b"], level)
        for image, record in zip(images, result["images"], strict=True):
            data = rd.get(codec).encode(image, level)
            assert record["stored_bytes"] == len(data)
            assert record["bpp"] == 8 * len(data) / (48 * 48)
            assert record["psnr_rgb"] == metrics.psnr(image, rd.get(codec).decode(data))
        assert result["results"]["bpp"] == [np.mean([8 * r["stored_bytes"] / 2304 for r in result["images"]])]
