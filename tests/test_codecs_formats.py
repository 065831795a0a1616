"""Each codec's stored bytes read back by an independent decoder (Pillow, zfpy, scipy), plus the math pieces:
quantization and bit packing, DCT truncation for AdaptCompression, the random projection, zfp's transform."""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.fft
import torch
import zfpy
from PIL import Image

from shrinkflow import codecs
from shrinkflow.codecs import dct as dct_module
from shrinkflow.codecs.jpeg import block_dct
from shrinkflow.codecs.projection import projection_matrix
from shrinkflow.codecs.quantize import dequantize, pack_bits, packed_size, quantize, unpack_bits
from shrinkflow.codecs.zfp_transform import (
    SEQUENCY_ORDER,
    coefficient_view,
    forward_block_transform,
    forward_lift,
    inverse_block_transform,
)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    from shrinkflow import datasets

    arrays, _ = datasets.get("mnist5k").prepare()
    return arrays["x_train"][:48]


def run(name: str, images: np.ndarray, level: str, **params):
    codec = codecs.get(name)
    parsed = codec.parse_level(level, images.shape[1:])
    payload = codec.encode(images, parsed, codec.params(params), np.random.default_rng(0))
    payload.meta = {**payload.meta, "level": parsed, "n_samples": images.shape[0]}
    return codec, payload


def streams_of(payload) -> list[bytes]:
    buf, off = payload.arrays["streams"], payload.arrays["offsets"]
    return [buf[off[i] : off[i + 1]].tobytes() for i in range(off.size - 1)]


# --- quantization and bit packing -------------------------------------------------------------------------


@pytest.mark.parametrize("bits", range(1, 17))
def test_bit_packing_is_msb_first_at_exactly_bits_per_value(bits):
    rng = np.random.default_rng(bits)
    codes = rng.integers(0, 1 << bits, size=101).astype(np.uint16)  # 101 values: the last byte is partial
    packed = pack_bits(codes, bits)
    assert packed.dtype == np.uint8 and packed.size == -(-101 * bits // 8) == packed_size(101, bits)
    # Reference layout written out bit by bit.
    reference = np.array([(int(c) >> (bits - 1 - b)) & 1 for c in codes for b in range(bits)], np.uint8)
    np.testing.assert_array_equal(np.unpackbits(packed)[: 101 * bits], reference)
    np.testing.assert_array_equal(unpack_bits(packed, 101, bits), codes)


def test_quantization_error_is_at_most_half_a_step_per_position():
    rng = np.random.default_rng(0)
    values = (rng.normal(size=(500, 6)) * np.array([30, 1, 0.1, 5, 2, 0])).astype(np.float32)
    for bits in (1, 4, 8, 12):
        codes, offset, step = quantize(values, bits)
        assert codes.max() <= (1 << bits) - 1 and offset.dtype == step.dtype == np.float32
        error = np.abs(dequantize(codes, offset, step) - values)
        assert np.all(error <= step / 2 * (1 + 1e-4) + 1e-6)
        assert step[5] == 0 and np.all(codes[:, 5] == 0)  # a constant position costs no precision


# --- DCT ----------------------------------------------------------------------------------------------------


def test_dct_payload_inverts_with_scipy_idctn(digits):
    codec, payload = run("dct", digits, "10", bits=6)
    # Read the stored arrays with nothing but numpy and the documented layout.
    n, k = digits.shape[0], 10
    bit_planes = np.unpackbits(payload.arrays["codes"])[: n * k * k * 6].reshape(-1, 6)
    codes = (bit_planes * (1 << np.arange(5, -1, -1))).sum(axis=1).reshape(n, k, k, 1)
    coefficients = payload.arrays["offset"] + codes.astype(np.float32) * payload.arrays["step"]
    padded = np.zeros((n, 28, 28, 1), np.float32)
    padded[:, :k, :k] = coefficients
    expected = np.clip(scipy.fft.idctn(padded, axes=(1, 2), norm="ortho"), 0, 1)
    np.testing.assert_allclose(codec.decode(payload, "pixels"), expected, atol=1e-6)
    np.testing.assert_allclose(codec.decode(payload, "coefficients"), coefficients, atol=1e-6)
    assert payload.stored_bytes == -(-n * k * k * 6 // 8) + 8 * k * k


def test_dct_coefficients_are_the_top_left_block_within_half_a_step(digits):
    codec, payload = run("dct", digits, "12", bits=8)
    exact = scipy.fft.dctn(digits / 255.0, axes=(1, 2), norm="ortho")[:, :12, :12]
    error = np.abs(codec.decode(payload, "coefficients") - exact)
    assert np.all(error <= payload.arrays["step"] / 2 + 1e-5)
    # All 28×28 coefficients at 16 bits: the pixels come back to well under one grey level.
    codec, full = run("dct", digits, "28", bits=16)
    assert np.abs(codec.decode(full, "pixels") * 255 - digits).max() < 0.5


def test_dct_truncation_equals_encoding_at_the_lower_level(digits):
    codec, big = run("dct", digits, "12", bits=5)
    _, small = run("dct", digits, "4", bits=5)
    truncated = dct_module.truncate_payload(big, 4)
    # Per-position scales make the k'×k' block independent of k: the truncated payload is byte-identical.
    for key in small.arrays:
        assert truncated.arrays[key].tobytes() == small.arrays[key].tobytes(), key
    np.testing.assert_array_equal(
        codec.decode(truncated, "coefficients"),
        dct_module.truncate_coefficients(codec.decode(big, "coefficients"), 4),
    )
    n = digits.shape[0]
    assert truncated.stored_bytes == -(-n * 16 * 5 // 8) + 8 * 16
    assert dct_module.bytes_per_sample(4, 1, 5, n) * n == pytest.approx(truncated.stored_bytes, abs=1)
    assert dct_module.bytes_per_sample(4, 1, 8, 1000) == 16 + 128 / 1000
    with pytest.raises(ValueError, match="k=13"):
        dct_module.truncate_coefficients(codec.decode(big, "coefficients"), 13)


def test_dct_torch_transform_matches_scipy_and_the_decoder(digits):
    codec, payload = run("dct", digits, "9", bits=16)
    x = torch.from_numpy(digits.astype(np.float32) / 255)
    coefficients = codec.torch_transform(payload.meta, "coefficients")(x).numpy()
    exact = scipy.fft.dctn(digits / 255.0, axes=(1, 2), norm="ortho")[:, :9, :9]
    np.testing.assert_allclose(coefficients, exact, atol=1e-5)
    pixels = codec.torch_transform(payload.meta, "pixels")(x).numpy()
    np.testing.assert_allclose(pixels, codec.decode(payload, "pixels"), atol=1e-3)


# --- random projection ------------------------------------------------------------------------------------


def test_random_projection_matrix_comes_from_the_seed_alone():
    r = projection_matrix(3, 200, 784)
    assert r.dtype == np.float32 and r.shape == (200, 784)
    np.testing.assert_array_equal(r, projection_matrix(3, 200, 784))
    assert not np.array_equal(r, projection_matrix(4, 200, 784))
    assert np.mean(r.astype(np.float64) ** 2) == pytest.approx(1 / 200, rel=0.02)  # entries N(0, 1/k)


def test_random_projection_stores_only_codes_and_scales(digits):
    codec, payload = run("random_projection", digits, "50", bits=7, seed=11)
    n = digits.shape[0]
    assert payload.stored_bytes == -(-n * 50 * 7 // 8) + 8 * 50
    assert "not stored" in payload.meta["storage"]["projection_matrix"]
    exact = (digits.reshape(n, -1) / 255.0) @ projection_matrix(11, 50, 784).T.astype(np.float64)
    error = np.abs(codec.decode(payload, "coefficients") - exact)
    assert np.all(error <= payload.arrays["step"] / 2 + 1e-4)
    transform = codec.torch_transform(payload.meta, "coefficients")
    np.testing.assert_allclose(
        transform(torch.from_numpy(digits / np.float32(255))).numpy(), exact, atol=1e-4
    )


def test_random_projection_with_k_equal_d_reconstructs_the_image():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 6, 6, 2), dtype=np.uint8)
    codec, payload = run("random_projection", images, "72", bits=16)
    assert np.abs(codec.decode(payload, "pixels") * 255 - images).max() < 1.0
    transform = codec.torch_transform(payload.meta, "pixels")
    np.testing.assert_allclose(
        transform(torch.from_numpy(images / np.float32(255))).numpy() * 255, images, atol=0.05
    )


# --- JPEG and PNG -----------------------------------------------------------------------------------------


def test_jpeg_payload_opens_with_pillow_as_ordinary_files(digits):
    codec, payload = run("jpeg", digits, "60")
    decoded = codec.decode(payload, "pixels")
    assert payload.meta["storage"]["headers_counted"] == "per_image"
    for i, data in enumerate(streams_of(payload)):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.mode == "L" and image.size == (28, 28)
            np.testing.assert_array_equal(np.asarray(image), np.rint(decoded[i, ..., 0] * 255))
        # The stored file is exactly what Pillow writes for this image: no re-encoding, no trimming.
        reference = io.BytesIO()
        Image.fromarray(digits[i, ..., 0]).save(reference, "JPEG", quality=60)
        assert data == reference.getvalue()


def test_jpeg_shared_tables_decode_with_pillow_to_the_same_pixels(digits):
    codec, full = run("jpeg", digits, "40")
    _, shared = run("jpeg", digits, "40", shared_tables=True)
    assert shared.meta["storage"]["headers_counted"] == "tables_once_per_split"
    tables = shared.arrays["tables"].tobytes()
    assert tables[:2] == b"\xff\xd8" and tables[-2:] == b"\xff\xd9" and b"\xff\xdb" in tables
    for data in streams_of(shared):
        assert b"\xff\xdb" not in data[:30] and b"\xff\xc4" not in data[:30]  # abbreviated: no tables
        with pytest.raises(OSError):  # an abbreviated stream alone is not a decodable file
            np.asarray(Image.open(io.BytesIO(data)))
    np.testing.assert_array_equal(codec.decode(shared, "pixels"), codec.decode(full, "pixels"))
    saved = (full.stored_bytes - shared.stored_bytes) / digits.shape[0]
    assert saved > 250  # the ~290 bytes of tables per 28×28 grey file, minus one shared copy


def test_rgb_jpeg_with_shared_tables_round_trips():
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, (20, 4, 4, 3)).astype(np.uint8)
    images = np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)  # 32×32 flat 8×8 patches
    codec, full = run("jpeg", images, "90", subsampling="4:4:4")
    _, shared = run("jpeg", images, "90", subsampling="4:4:4", shared_tables=True)
    np.testing.assert_array_equal(codec.decode(shared, "pixels"), codec.decode(full, "pixels"))
    decoded = codec.decode(full, "pixels")
    for i, data in enumerate(streams_of(full)):
        with Image.open(io.BytesIO(data)) as image:
            assert image.mode == "RGB"
            np.testing.assert_array_equal(np.asarray(image), np.rint(decoded[i] * 255))
    assert np.abs(codec.decode(full, "pixels") * 255 - images).mean() < 3


def test_jpeg_coefficient_view_is_the_block_dct_of_the_decoded_image(digits):
    codec, payload = run("jpeg", digits, "75")
    coefficients = codec.decode(payload, "coefficients")
    assert coefficients.shape == (48, 4, 4, 64)  # 28 → padded to 32 → 4×4 blocks of 64
    pixels = codec.decode(payload, "pixels")
    padded = np.pad(pixels, ((0, 0), (0, 4), (0, 4), (0, 0)), mode="edge")
    block = padded[:, 8:16, 16:24, 0]  # block row 1, block column 2
    np.testing.assert_allclose(
        coefficients[:, 1, 2].reshape(48, 8, 8), scipy.fft.dctn(block, axes=(1, 2), norm="ortho"), atol=1e-5
    )
    constant = np.full((1, 8, 8, 3), 0.5, np.float32)
    dc = block_dct(constant, 8)
    np.testing.assert_allclose(dc[0, 0, 0, [0, 64, 128]], 4.0, atol=1e-6)  # 8 · 0.5 per channel
    assert np.abs(np.delete(dc, [0, 64, 128], axis=-1)).max() < 1e-6


def test_png_payload_opens_with_pillow_and_is_lossless(digits):
    _, payload = run("png", digits, "full")
    assert payload.meta["storage"]["headers_counted"] == "per_image"
    for i, data in enumerate(streams_of(payload)):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG"
            np.testing.assert_array_equal(np.asarray(image), digits[i, ..., 0])


# --- zfp --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "level", "mode"),
    [
        ("zfp_rate", "1.5", {"rate": 1.5}),
        ("zfp_precision", "6", {"precision": 6}),
        ("zfp_accuracy", "3", {"tolerance": 3.0}),
        ("zfp_reversible", "full", {}),
    ],
)
def test_zfp_streams_decompress_with_plain_zfpy(name, level, mode, digits):
    codec, bare = run(name, digits, level)
    _, headed = run(name, digits, level, write_header=True)
    planes = codec.decode_planes(bare)
    for i, (plain, with_header) in enumerate(zip(streams_of(bare), streams_of(headed), strict=True)):
        np.testing.assert_array_equal(zfpy.decompress_numpy(with_header), planes[i, 0])
        np.testing.assert_array_equal(
            zfpy._decompress(plain, zfpy.type_float, [28, 28], **mode), planes[i, 0]
        )
        assert plain == zfpy.compress_numpy(digits[i, ..., 0].astype(np.float32), write_header=False, **mode)
    assert headed.stored_bytes > bare.stored_bytes
    np.testing.assert_array_equal(codec.decode(headed, "pixels"), codec.decode(bare, "pixels"))


@pytest.mark.parametrize(
    ("name", "level"), [("zfp_rate", "2.25"), ("zfp_precision", "7"), ("zfp_accuracy", "2")]
)
def test_zfp_on_a_stack_equals_per_image_calls(name, level, digits):
    codec, per_image = run(name, digits, level)
    mode = per_image.meta["zfp_arguments"]
    # One 2-D zfp call over all images stacked along the height (28 is a multiple of 4).
    stack = digits[..., 0].astype(np.float32).reshape(-1, 28)
    whole = zfpy._decompress(
        zfpy.compress_numpy(stack, write_header=False, **mode), zfpy.type_float, [48 * 28, 28], **mode
    )
    np.testing.assert_array_equal(whole.reshape(48, 1, 28, 28), codec.decode_planes(per_image))
    # The same through the codec's own grouping, including a last, shorter stream (48 = 5·9 + 3).
    _, grouped = run(name, digits, level, images_per_stream=9)
    assert grouped.arrays["offsets"].size == 7
    np.testing.assert_array_equal(codec.decode(grouped, "pixels"), codec.decode(per_image, "pixels"))


def test_zfp_fixed_rate_size_and_accuracy_bound_hold(digits):
    _, payload = run("zfp_rate", digits, "2")
    # 49 blocks × 32 bits = 1568 bits, padded to 25 64-bit words = 200 bytes per image, plus the offsets.
    assert payload.stored_bytes == 48 * 200 + 49 * 8 == payload.arrays["streams"].size + payload.index_bytes
    codec, accurate = run("zfp_accuracy", digits, "1.5")
    assert np.abs(codec.decode_planes(accurate)[:, 0] - digits[..., 0]).max() <= 1.5


def test_zfp_pads_sides_that_are_not_multiples_of_four():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (5, 30, 18, 3), dtype=np.uint8)
    codec, payload = run("zfp_reversible", images, "full")
    assert payload.meta["plane_shape"] == [3, 32, 20]
    np.testing.assert_array_equal(np.rint(codec.decode(payload, "pixels") * 255), images)
    assert codec.decode(payload, "coefficients").shape == (5, 8, 5, 48)


def test_zfp_lifting_is_the_documented_matrix_and_exactly_invertible():
    matrix = forward_lift(np.eye(4), axis=0)  # column j = transform of unit vector e_j
    expected = np.array([[4, 4, 4, 4], [5, 1, -1, -5], [-4, 4, 4, -4], [-2, 6, -6, 2]]) / 16
    np.testing.assert_allclose(matrix, expected, atol=1e-15)
    rng = np.random.default_rng(0)
    blocks = rng.normal(size=(10, 3, 4, 4))
    np.testing.assert_allclose(inverse_block_transform(forward_block_transform(blocks)), blocks, atol=1e-12)
    constant = forward_block_transform(np.full((4, 4), 7.0))
    assert constant[0, 0] == 7.0 and np.count_nonzero(constant) == 1
    # A ramp along x only excites the first row (y-DC): coefficients (x-index, 0) only.
    ramp = forward_block_transform(np.tile(np.arange(4.0), (4, 1)))
    assert np.count_nonzero(np.abs(ramp[1:]) > 1e-12) == 0 and ramp[0, 1] == pytest.approx(-16 / 16)


def test_zfp_coefficient_view_orders_blocks_by_sequency(digits):
    codec, payload = run("zfp_precision", digits, "10")
    view = codec.decode(payload, "coefficients")
    planes = codec.decode_planes(payload) / np.float32(255)
    block = planes[:, 0, 4:8, 12:16]  # block row 1, block column 3
    direct = forward_block_transform(block).reshape(48, 16)[:, SEQUENCY_ORDER]
    np.testing.assert_allclose(view[:, 1, 3], direct, atol=1e-6)
    np.testing.assert_allclose(coefficient_view(planes), view)
    assert list(SEQUENCY_ORDER[:4]) == [0, 1, 4, 5]  # (0,0), (1,0), (0,1), (1,1) with index x + 4y


@pytest.mark.parametrize("colour", [False, True])
def test_per_image_jpeg_records_the_tables_once_size_in_real_bytes(digits, colour):
    """Cutting DQT/DHT out of each file gives Pillow's abbreviated stream byte for byte, so the size recorded
    for the other convention is exactly what the shared-tables payload stores."""
    from shrinkflow.codecs.jpeg import strip_tables

    images = np.repeat(digits[:12], 3, axis=3) if colour else digits[:12]
    codec, full = run("jpeg", images, "40")
    _, shared = run("jpeg", images, "40", shared_tables=True)
    for whole, abbreviated in zip(streams_of(full), streams_of(shared), strict=True):
        assert strip_tables(whole) == abbreviated
    assert full.meta["alternative_stored_bytes"] == {"tables_once_per_split": shared.stored_bytes}
    assert "alternative_stored_bytes" not in shared.meta
    assert shared.stored_bytes < full.stored_bytes
