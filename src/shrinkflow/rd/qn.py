"""``coin_qn`` and ``coin_ptq``: COIN with b-bit weights, by Quantization Networks or after training.

Quantizer (Yang et al., CVPR 2019; reference-facts.md), per tensor, n = 2^b levels: with u = β·x and the
n − 1 thresholds bᵢ = i + 1 − n/2 (midpoints of the unit-spaced levels), the soft quantizer is
y = α·(Σᵢ σ(clamp(T·(u − bᵢ), ±10)) − (n − 1)/2) and at test time σ becomes a step:
y = α·(c − (n − 1)/2) with the integer code c = #{i : bᵢ ≤ u} ∈ [0, n − 1]. β starts at
1.25·((n − 1)/2)/max|x| and α at 1/β; both are learned per tensor (as log α, log β, so Adam's lr-sized
steps are relative changes at every bit width). T rises in ``temperature_stages`` equal steps,
T = T0·(1 + stage) capped at ``temperature_max`` (QN: T0 = 20, +T0 per epoch, cap 2000).

Our evaluation of the sum: only the thresholds within ⌈10/T⌉ + 1 of u are evaluated; the others, whose
clamped argument is ±10, count as exactly 1 or 0 rather than σ(±10): at 16 bits the literal sum of 65,535
sigmoids would drift by up to 3 levels, and the exact 0/1 makes the hard quantizer the soft one's limit.

Every layer is quantized (QN's classifiers keep the first and last layers in full precision; COIN's tiny
networks have too few layers for that). Target ``w``: weights quantized, biases fp16; ``wb``: both.
``coin_qn`` first fits plain COIN for ``float_fraction`` of the iterations (QN fine-tunes pretrained
networks: from COIN's initialisation, the soft quantizer's gradients vanish as T rises and a 64×64 fit
stalled near 5 dB where plain COIN reached 13 dB), then initialises α, β from those weights and trains
through the soft quantizer (a fresh Adam), T rising over this phase, keeping the parameters of the best
*hard* network's PSNR (evaluated every ``eval_every`` iterations) of the run's second half.
``coin_ptq`` fits plain COIN and quantizes each tensor afterwards on the same grid with
α = max|x|/((n − 1)/2) (min–max, no clipping).

Payload (little-endian): a 9-byte header (layers u8, width u16, H u16, W u16, bits u8, flags u8 with bit 0
= biases quantized), one fp32 α per quantized tensor, the codes of all quantized tensors as one bit
stream at b bits (:func:`shrinkflow.model_compression.codes.pack_bits`, padded once to a byte), then the
unquantized tensors as fp16. β is not stored (it only maps weights to codes).
"""

from __future__ import annotations

import math
import struct
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..model_compression.codes import pack_bits, packed_bytes, unpack_bits
from .base import Encoded, RDCodec
from .coin import batches, check_fit_params, fit_coin
from .params import QN_PARAMS
from .siren import coordinates, fit, forward, image_tensor, init_parameters, psnr_of, render, torch_threads
from .spec import Architecture, QNLevel, RDLevelError

HEADER = struct.Struct("<BHHHBB")
CLAMP = 10.0

def offset(bits: int) -> float:
    """(n − 1)/2: the codes 0 … n − 1 minus this are the symmetric levels."""
    return ((1 << bits) - 1) / 2


def hard_codes(x: torch.Tensor, beta: torch.Tensor, bits: int) -> torch.Tensor:
    """Integer codes c = #{i : bᵢ ≤ β·x} ∈ [0, 2^b − 1] (int64); ``beta`` broadcasts from the left."""
    u = x * _left(beta, x)
    first = 1.0 - (1 << bits) / 2  # b₀
    return torch.clamp(torch.floor(u - first) + 1, 0, (1 << bits) - 1).to(torch.int64)


def dequantize(codes: torch.Tensor, alpha: torch.Tensor, bits: int) -> torch.Tensor:
    """α·(c − (n − 1)/2) in float32 (the decoder's and the hard quantizer's arithmetic)."""
    return _left(alpha, codes).float() * (codes.float() - offset(bits))


def hard_quantize(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, bits: int) -> torch.Tensor:
    """The test-time quantizer: the soft one with σ replaced by a step."""
    return dequantize(hard_codes(x, beta, bits), alpha, bits)


def soft_quantize(
    x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, bits: int, temperature: float
) -> torch.Tensor:
    """The training-time quantizer α·(Σᵢ σ(clamp(T(βx − bᵢ), ±10)) − (n − 1)/2), differentiable in x, α, β."""
    n = 1 << bits
    first = 1.0 - n / 2
    u = x * _left(beta, x)
    below = torch.floor(u.detach() - first)  # index of the threshold just below u
    half_window = math.ceil(CLAMP / temperature) + 1
    steps = torch.arange(-half_window + 1, half_window + 1, device=x.device, dtype=u.dtype)
    index = below.unsqueeze(-1) + steps
    valid = (index >= 0) & (index <= n - 2)
    arg = torch.clamp(temperature * (u.unsqueeze(-1) - (index + first)), -CLAMP, CLAMP)
    window = (torch.sigmoid(arg) * valid).sum(-1)
    saturated = torch.clamp(below - half_window + 1, 0, n - 1)  # thresholds far below u count as 1
    return _left(alpha, x) * (saturated + window - offset(bits))


def _left(scale: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``scale`` (B,) or scalar shaped to broadcast over ``like``'s trailing axes."""
    return scale.reshape(*scale.shape, *([1] * (like.dim() - scale.dim())))


def temperature_at(iteration: int, iterations: int, start: float, maximum: float, stages: int) -> float:
    """QN's schedule T = T0·(1 + stage), ``stages`` equal stages over the fit, capped at ``maximum``."""
    return min(maximum, start * (1 + (stages * iteration) // iterations))


def quantized_indices(arch: Architecture, quantize_biases: bool) -> list[int]:
    """Positions in the parameter list (weight0, bias0, …) of the tensors the level quantizes."""
    return [i for i in range(2 * (arch.layers + 1)) if i % 2 == 0 or quantize_biases]


# ---- payload ----------------------------------------------------------------------------------


def to_bytes(level: QNLevel, height: int, width: int, tensors: list[torch.Tensor], alphas, betas) -> bytes:
    """One network's payload: ``tensors`` its float parameters (no batch axis); ``alphas``/``betas`` per
    quantized tensor (float32 scalars)."""
    arch, bits = level.architecture, level.bits
    indices = quantized_indices(arch, level.quantize_biases)
    scales = np.array([float(a) for a in alphas], dtype="<f4")
    codes = [
        hard_codes(tensors[i], torch.tensor(float(b)), bits).reshape(-1)
        for i, b in zip(indices, betas, strict=True)
    ]
    packed = pack_bits(torch.cat(codes).numpy(), bits)
    rest = [tensors[i].detach().reshape(-1) for i in range(len(tensors)) if i not in indices]
    tail = torch.cat(rest).to(torch.float16).numpy().astype("<f2").tobytes() if rest else b""
    flags = int(level.quantize_biases)
    head = HEADER.pack(arch.layers, arch.width, height, width, bits, flags)
    return head + scales.tobytes() + packed + tail


def from_bytes(data: bytes) -> tuple[QNLevel, int, int, list[torch.Tensor]]:
    """(level, H, W, float32 parameters with a batch axis of 1) of a payload."""
    if len(data) < HEADER.size:
        raise RDLevelError(f"QN payload of {len(data)} bytes is shorter than its {HEADER.size}-byte header")
    layers, arch_width, height, width, bits, flags = HEADER.unpack_from(data)
    level = QNLevel(Architecture(layers, arch_width), bits, "wb" if flags & 1 else "w")
    arch = level.architecture
    shapes = [s for out_in in arch.layer_shapes() for s in (out_in, out_in[:1])]
    indices = quantized_indices(arch, level.quantize_biases)
    sizes = [math.prod(s) for s in shapes]
    count = sum(sizes[i] for i in indices)
    rest = sum(sizes) - count
    pos = HEADER.size
    alphas = np.frombuffer(data, "<f4", len(indices), pos)
    pos += 4 * len(indices)
    code_bytes = packed_bytes(count, bits)
    expected = pos + code_bytes + 2 * rest
    if len(data) != expected:
        raise RDLevelError(f"QN payload has {len(data)} bytes; {arch.name} at {bits} bits needs {expected}")
    codes = torch.from_numpy(unpack_bits(data[pos : pos + code_bytes], bits, count))
    floats = torch.from_numpy(np.frombuffer(data, "<f2", rest, pos + code_bytes).astype(np.float32))
    code_parts = iter(torch.split(codes, [sizes[i] for i in indices]))
    float_parts = iter(torch.split(floats, [sizes[i] for i in range(len(sizes)) if i not in indices]))
    alpha_iter = iter(alphas)
    tensors = []
    for i, shape in enumerate(shapes):
        if i in indices:
            value = dequantize(next(code_parts), torch.tensor(float(next(alpha_iter))), bits)
        else:
            value = next(float_parts)
        tensors.append(value.reshape(1, *shape).clone())
    return level, height, width, tensors


# ---- codecs -----------------------------------------------------------------------------------


class _QuantizedCoin(RDCodec):
    default_params = QN_PARAMS

    def check_params(self, params):
        check_fit_params(self.name, params)
        start, maximum = params["temperature_start"], params["temperature_max"]
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, maximum))
        if not numbers or not 0 < start <= maximum:
            raise RDLevelError(
                f"{self.name}: temperatures need 0 < temperature_start ≤ temperature_max, got {start!r}, "
                f"{maximum!r}"
            )
        fraction = params["float_fraction"]
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction < 1:
            raise RDLevelError(f"{self.name}.float_fraction: {fraction!r} is not a number in [0, 1)")
        for key in ("temperature_stages", "eval_every"):
            if isinstance(params[key], bool) or not isinstance(params[key], int) or params[key] < 1:
                raise RDLevelError(f"{self.name}.{key}: {params[key]!r} is not an integer ≥ 1")

    def storage(self, params):
        return {
            "format": "9-byte header, fp32 α per quantized tensor, codes bit-packed at b bits, rest fp16",
            "headers_counted": "per_image (9 bytes + 4 per quantized tensor)",
        }

    def encode_image(self, image, level, params):
        return self.encode_many(image[None], level, params)[0].data

    def encode_many(self, images, level, params=None):
        images, parsed, merged = self.prepare(images, level, params)
        out = []
        for part in batches(len(images), merged["batch_images"]):
            with torch_threads(merged["threads"]):
                out += self.fit_batch(images[part], parsed, merged)
        return out

    def decode(self, data):
        _, height, width, tensors = from_bytes(data)
        with torch_threads(1):
            return render(tensors, height, width)


@dataclass(frozen=True)
class FloatFit:
    """One image's plain COIN fit before post-training quantization: its kept tensors (no batch axis), the
    fit's PSNR and iteration, and its share of the batch's fitting seconds."""

    tensors: list[torch.Tensor]
    psnr: float
    iteration: int
    seconds: float


def _float_fits(result, count: int) -> list[FloatFit]:
    psnr, iteration, share = result.best_psnr, result.best_iteration, result.seconds / count
    return [
        FloatFit([s[b].cpu() for s in result.state], float(psnr[b]), int(iteration[b]), share)
        for b in range(count)
    ]


class CoinPTQCodec(_QuantizedCoin):
    """Plain COIN, quantized after training. The float fit does not depend on the bit width or the target, so
    :meth:`fit_float` can fit once per architecture and :meth:`encode_many` quantize those fits at every
    level (``float_fits``): the bytes are the same as fitting per level."""

    name = "coin_ptq"

    def fit_float(self, images, architecture, params=None) -> list[FloatFit]:
        """Plain COIN fits of uint8 N×H×W×3 ``images`` at ``architecture`` (e.g. "3x16"), in the batches
        :meth:`encode_many` fits."""
        images, parsed, merged = self.prepare(images, f"{architecture}-b8-w", params)
        fits = []
        for part in batches(len(images), merged["batch_images"]):
            with torch_threads(merged["threads"]):
                fits += _float_fits(fit_coin(images[part], parsed.architecture, merged), len(images[part]))
        return fits

    def encode_many(self, images, level, params=None, float_fits: list[FloatFit] | None = None):
        if float_fits is None:
            return super().encode_many(images, level, params)
        images, parsed, _ = self.prepare(images, level, params)
        if len(float_fits) != len(images):
            raise ValueError(f"{len(float_fits)} float fits for {len(images)} images")
        return self.quantize(float_fits, parsed, *images.shape[1:3])

    def fit_batch(self, images, level: QNLevel, params):
        result = fit_coin(images, level.architecture, params)
        return self.quantize(_float_fits(result, len(images)), level, *images.shape[1:3])

    def quantize(self, fits: list[FloatFit], level: QNLevel, height: int, width: int) -> list[Encoded]:
        """Each float fit min–max quantized at the level's bits and target; the encode seconds are the fit's
        share plus the quantization's."""
        indices = quantized_indices(level.architecture, level.quantize_biases)
        out = []
        for fit_ in fits:
            start = time.perf_counter()
            tensors = fit_.tensors
            alphas = [max(float(tensors[i].abs().max()), 1e-30) / offset(level.bits) for i in indices]
            betas = [1.0 / np.float32(a) for a in alphas]
            alphas = [np.float32(a) for a in alphas]
            data = to_bytes(level, height, width, tensors, alphas, betas)
            info = {"fit_psnr_rgb_float": fit_.psnr, "best_iteration": fit_.iteration}
            out.append(Encoded(data, fit_.seconds + time.perf_counter() - start, info))
        return out


class CoinQNCodec(_QuantizedCoin):
    name = "coin_qn"

    def fit_batch(self, images, level: QNLevel, params):
        arch, bits = level.architecture, level.bits
        device, batch = params["device"], len(images)
        height, width = images.shape[1:3]
        coords = coordinates(height, width, device)
        target = image_tensor(images, device)
        target255 = torch.round(target * 255.0)
        total = params["iterations"]
        warm = int(params["float_fraction"] * total)
        latent = [p.to(device).requires_grad_(True) for p in init_parameters(arch, params["seed"], batch)]
        warm_seconds = 0.0
        if warm > 0:  # plain COIN first; its last iterate starts the quantized phase
            warm_seconds = fit(latent, lambda: forward(latent, coords), target, warm, params["lr"],
                               keep_best=False).seconds  # fmt: skip
        quantized_iterations = total - warm
        indices = quantized_indices(arch, level.quantize_biases)
        log_beta = []
        for i in indices:
            peak = latent[i].detach().abs().reshape(batch, -1).amax(dim=1).clamp_min(1e-12)
            log_beta.append(torch.log(1.25 * offset(bits) / peak).requires_grad_(True))
        log_alpha = [(-lb.detach()).clone().requires_grad_(True) for lb in log_beta]
        temperature = [float(params["temperature_start"])]

        def weights(hard: bool) -> list[torch.Tensor]:
            out = list(latent) if not hard else [p.half().float() for p in latent]
            for j, i in enumerate(indices):
                alpha, beta = log_alpha[j].exp(), log_beta[j].exp()
                out[i] = (
                    hard_quantize(latent[i], alpha, beta, bits)
                    if hard
                    else soft_quantize(latent[i], alpha, beta, bits, temperature[0])
                )
            return out

        def schedule(i: int) -> None:
            temperature[0] = temperature_at(
                i, quantized_iterations, params["temperature_start"], params["temperature_max"],
                params["temperature_stages"],
            )  # fmt: skip

        result = fit(
            latent + log_alpha + log_beta, lambda: forward(weights(False), coords), target,
            quantized_iterations, params["lr"], keep_best=params["keep_best"],
            evaluate=lambda: psnr_of(forward(weights(True), coords), target255),
            eval_every=params["eval_every"], schedule=schedule, keep_from=total // 2 - warm,
        )  # fmt: skip
        n_latent, n_q = len(latent), len(indices)
        out = []
        for b in range(batch):
            state = [s[b].cpu() for s in result.state]
            tensors = state[:n_latent]
            alphas = [s.exp().float().numpy() for s in state[n_latent : n_latent + n_q]]
            betas = [s.exp().float().numpy() for s in state[n_latent + n_q :]]
            data = to_bytes(level, height, width, tensors, alphas, betas)
            info = {
                "fit_psnr_rgb_hard": float(result.best_psnr[b]),
                "best_iteration": warm + int(result.best_iteration[b]),
                "float_iterations": warm,
                "final_temperature": temperature[0],
            }
            out.append(Encoded(data, (warm_seconds + result.seconds) / batch, info))
        return out
