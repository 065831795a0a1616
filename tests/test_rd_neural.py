"""COIN, COIN + Quantization Networks / post-training quantization and COIN + MCNC payloads and fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from shrinkflow import rd
from shrinkflow.model_compression.codes import packed_bytes
from shrinkflow.rd import coin, coin_mcnc, metrics, qn, siren
from shrinkflow.rd.spec import Architecture, MCNCLevel, QNLevel

FAST = {"iterations": 300, "lr": 1e-3}


def tiny_image(size: int = 24) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([np.sin(4 * x + 1), np.cos(3 * y), np.sin(2 * (x + y))], -1) * 0.4 + 0.5
    return (base * 255).round().astype(np.uint8)


def test_coin_beats_a_constant_image_and_stores_two_bytes_per_parameter():
    image = tiny_image()
    constant = np.broadcast_to(image.reshape(-1, 3).mean(0).round().astype(np.uint8), image.shape)
    result = rd.evaluate("coin", image[None], ["tiny"], "2x12", FAST)
    record = result["images"][0]
    arch = Architecture(2, 12)
    assert record["stored_bytes"] == coin.HEADER.size + 2 * arch.num_parameters
    assert record["psnr_rgb"] > metrics.psnr(image, constant) + 3
    # the payload alone decodes to the image whose PSNR was reported, every time
    data = rd.get("coin").encode(image, "2x12", FAST)
    assert len(data) == 7 + 2 * arch.num_parameters
    decoded = rd.get("coin").decode(data)
    assert np.array_equal(decoded, rd.get("coin").decode(data))
    assert metrics.psnr(image, decoded) == record["psnr_rgb"]


def test_coin_batched_fit_equals_one_at_a_time():
    images = np.stack([tiny_image(16), tiny_image(16)[::-1].copy()])
    params = {"iterations": 40, "lr": 1e-3}
    together = rd.get("coin").encode_many(images, "2x8", params)
    alone = [rd.get("coin").encode_many(im[None], "2x8", params)[0] for im in images]
    for a, b in zip(together, alone, strict=True):
        wa = np.frombuffer(a.data[7:], "<f2").astype(np.float32)
        wb = np.frombuffer(b.data[7:], "<f2").astype(np.float32)
        assert np.abs(wa - wb).max() <= 2e-3  # the same fit up to float summation order and fp16 rounding


def test_fit_stops_on_nan_with_the_iteration():
    weights = [torch.zeros(1, 3, requires_grad=True)]
    target = torch.zeros(1, 4, 3)
    calls = iter(range(100))

    def predict():
        return weights[0].unsqueeze(1).expand(1, 4, 3) * (math.nan if next(calls) == 5 else 1.0)

    with pytest.raises(siren.FitError, match="iteration 5"):
        siren.fit(weights, predict, target, 10, 1e-3)


@pytest.mark.parametrize("bits", [1, 2, 4, 8, 16])
def test_soft_quantizer_becomes_the_hard_one(bits):
    x = torch.randn(3, 40, 7, generator=torch.Generator().manual_seed(bits)) * 0.2
    alpha = torch.tensor([0.01, 0.02, 0.05])
    beta = 1 / alpha
    hard = qn.hard_quantize(x, alpha, beta, bits)
    # the test-time quantizer is the step function on the same grid: α·(c − (n − 1)/2), c in [0, n − 1]
    codes = qn.hard_codes(x, beta, bits)
    assert codes.min() >= 0 and codes.max() <= 2**bits - 1
    assert torch.equal(hard, qn.dequantize(codes, alpha, bits))
    # as T grows the soft quantizer converges to it, up to QN's clamp at ±10 (σ(10) ≠ 1) on the ≤ 4
    # thresholds evaluated near each value; values within 1e-3 of a threshold (the integers, in units of
    # β·x) are left out, where σ is still 1/2 at any finite T
    soft = qn.soft_quantize(x, alpha, beta, bits, 1e6)
    bound = 4 * (1 / (1 + math.exp(10))) * alpha.reshape(3, 1, 1) + 1e-6
    u = x * beta.reshape(3, 1, 1)
    away = (u - torch.round(u)).abs() > 1e-3
    assert away.float().mean() > 0.99
    assert torch.all(((soft - hard).abs() <= bound)[away])
    low = qn.soft_quantize(x, alpha, beta, bits, 20.0)
    assert (low - hard).abs().max() > bound.max()  # at T0 it is genuinely soft


@pytest.mark.parametrize(("bits", "target"), [(1, "w"), (2, "wb"), (4, "w"), (8, "wb"), (16, "w")])
def test_qn_payload_bit_packing_is_exact(bits, target):
    arch = Architecture(2, 6)
    level = QNLevel(arch, bits, target)
    tensors = [p[0] for p in siren.init_parameters(arch, 3, 1)]
    indices = qn.quantized_indices(arch, level.quantize_biases)
    alphas = [np.float32(tensors[i].abs().max() / qn.offset(bits)) for i in indices]
    betas = [np.float32(1 / a) for a in alphas]
    data = qn.to_bytes(level, 20, 30, tensors, alphas, betas)
    sizes = [t.numel() for t in tensors]
    count = sum(sizes[i] for i in indices)
    assert len(data) == qn.HEADER.size + 4 * len(indices) + packed_bytes(count, bits) + 2 * (
        sum(sizes) - count
    )
    parsed, height, width, decoded = qn.from_bytes(data)
    assert (parsed, height, width) == (level, 20, 30)
    for i, (original, value) in enumerate(zip(tensors, decoded, strict=True)):
        if i in indices:
            j = indices.index(i)
            expected = qn.hard_quantize(original, torch.tensor(alphas[j]), torch.tensor(betas[j]), bits)
        else:
            expected = original.half().float()
        assert torch.equal(value[0], expected)


@pytest.mark.parametrize("codec", ["coin_qn", "coin_ptq"])
def test_quantized_coin_decodes_to_what_it_reports(codec):
    image = tiny_image(16)
    params = {"iterations": 60, "lr": 1e-3, "eval_every": 5}
    result = rd.evaluate(codec, image[None], ["tiny"], "2x8-b4-wb", params)
    record = result["images"][0]
    data = rd.get(codec).encode(image, "2x8-b4-wb", params)
    assert record["stored_bytes"] == len(data)
    assert metrics.psnr(image, rd.get(codec).decode(data)) == record["psnr_rgb"]
    if codec == "coin_qn":  # the tracked hard network is the one stored
        assert record["encoder_fit_psnr_rgb_hard"] == pytest.approx(record["psnr_rgb"], abs=1e-3)


def test_mcnc_payload_is_header_plus_alpha_beta_and_decodes_from_the_seed():
    image = tiny_image(16)
    level = MCNCLevel(Architecture(2, 8), 20, 3)
    params = {"iterations": 60}
    encoded = rd.get("coin_mcnc").encode_many(image[None], "2x8-d20-k3", params)[0]
    n = math.ceil(level.architecture.num_parameters / 20)
    assert encoded.stored_bytes == coin_mcnc.HEADER.size + 2 * n * (3 + 1)
    decoded = rd.get("coin_mcnc").decode(encoded.data)
    assert np.array_equal(decoded, rd.get("coin_mcnc").decode(encoded.data))
    assert metrics.psnr(image, decoded) == pytest.approx(encoded.info["fit_psnr_rgb"], abs=1.0)
