"""``coin_mcnc``: COIN's SIREN reparameterised by MCNC (Thrash et al., arXiv 2406.19301), per image.

The SIREN's P parameters (weight0, bias0, … in order) are cut into ⌈P/d⌉ chunks of d (the last one
zero-padded) and each chunk is θ = θ0 + β·φ(α): θ0 is COIN's initialisation from ``seed``, φ: R^k → S^{d−1}
the frozen sine generator of :mod:`shrinkflow.mcnc` (its ``SineGenerator``, ``ChunkLayout``,
``chunk_weights``, ``exact_weights`` and seed derivation are reused, not rewritten), and only α (n × k,
projected onto [−L, L]^k before every forward) and β (n) are fitted, with Adam (MCNC needs a larger lr
than COIN's 2e-4; see ``MCNCSettings``). The decoder rebuilds θ0 and φ from the stored seed and evaluates
θ in float64 on one thread (``exact_weights``), so the decoded image does not depend on the fitting device.

Payload (little-endian): a 25-byte header (layers u8, width u16, H u16, W u16, d u32, k u16, generator
width u16, generator depth u8, dtype u8 (0 fp32, 1 fp16), ω0 f32, seed u32), then α (n·k) and β (n) at the
stored dtype. Not stored: θ0 and φ (regenerated from the seed) and the library code.
"""

from __future__ import annotations

import struct

import numpy as np
import torch

from ..mcnc import DTYPES, MCNCError, MCNCSettings
from ..mcnc.generator import ChunkLayout, SineGenerator, chunk_weights, exact_weights
from ..mcnc.hook import mcnc_seeds
from .base import Encoded, RDCodec
from .coin import batches, check_fit_params
from .params import MCNC_PARAMS
from .siren import coordinates, fit, forward, image_tensor, init_parameters, render, torch_threads
from .spec import Architecture, MCNCLevel, RDLevelError

HEADER = struct.Struct("<BHHHIHHBBfI")
_NUMPY = {"fp32": np.dtype("<f4"), "fp16": np.dtype("<f2")}
_TORCH = {"fp32": torch.float32, "fp16": torch.float16}

_SETTING_KEYS = (
    "generator_width",
    "generator_depth",
    "frequency",
    "bound",
    "alpha_init",
    "beta_init",
    "dtype",
)


def settings_of(level: MCNCLevel, params) -> MCNCSettings:
    """The MCNC settings of a level and parameters (validated by :class:`MCNCSettings`)."""
    try:
        return MCNCSettings(d=level.d, k=level.k, **{key: params[key] for key in _SETTING_KEYS})
    except MCNCError as err:
        raise RDLevelError(f"coin_mcnc: {err}") from None


def layout_of(arch: Architecture, d: int) -> ChunkLayout:
    """The chunk layout of a SIREN's parameters (weight0, bias0, … as in :func:`.siren.init_parameters`)."""
    shapes = tuple(s for out_in in arch.layer_shapes() for s in (out_in, out_in[:1]))
    return ChunkLayout(tuple(f"p{i}" for i in range(len(shapes))), shapes, int(d))


def theta0_chunks(arch: Architecture, layout: ChunkLayout, seed: int) -> torch.Tensor:
    """θ0 (COIN's initialisation from ``seed``) as n × d chunks, the padding zero."""
    flat = torch.cat([p[0].reshape(-1) for p in init_parameters(arch, seed, 1)])
    return torch.nn.functional.pad(flat, (0, layout.padding)).view(layout.num_chunks, layout.d)


def generator_of(settings: MCNCSettings, seed: int) -> SineGenerator:
    s = settings
    return SineGenerator(s.k, s.d, s.generator_width, s.generator_depth, s.frequency, mcnc_seeds(seed)[0])


def split(layout: ChunkLayout, flat: torch.Tensor) -> list[torch.Tensor]:
    """B × (n·d) chunk values → the SIREN's parameter list (batch first), padding dropped."""
    batch = flat.shape[0]
    pieces = torch.split(flat[:, : layout.num_parameters], layout.sizes, dim=1)
    return [p.reshape(batch, *s) for p, s in zip(pieces, layout.shapes, strict=True)]


def to_bytes(
    level: MCNCLevel, settings: MCNCSettings, height: int, width: int, seed: int, alpha, beta
) -> bytes:
    """One image's payload; ``alpha`` (n × k) and ``beta`` (n) are rounded to the settings' dtype."""
    arch, s = level.architecture, settings
    if np.float32(s.frequency) != s.frequency:
        raise RDLevelError(f"coin_mcnc.frequency {s.frequency!r} is not exactly representable as float32")
    head = HEADER.pack(
        arch.layers, arch.width, height, width, s.d, s.k, s.generator_width, s.generator_depth,
        DTYPES.index(s.dtype), s.frequency, seed,
    )  # fmt: skip
    values = _NUMPY[s.dtype]
    return head + b"".join(np.asarray(t.detach().cpu(), dtype=values).tobytes() for t in (alpha, beta))


def from_bytes(data: bytes) -> tuple[list[torch.Tensor], int, int]:
    """The decoded SIREN parameters (float32, batch axis of 1) and the image size (H, W) of a payload."""
    if len(data) < HEADER.size:
        raise RDLevelError(f"MCNC payload of {len(data)} bytes is shorter than its {HEADER.size}-byte header")
    (layers, arch_width, height, width, d, k, g_width, g_depth, dtype_code, frequency,
     seed) = HEADER.unpack_from(data)  # fmt: skip
    arch = Architecture(layers, arch_width)
    dtype = DTYPES[dtype_code]
    settings = MCNCSettings(d=d, k=k, generator_width=g_width, generator_depth=g_depth, frequency=frequency,
                            dtype=dtype)  # fmt: skip
    layout = layout_of(arch, d)
    n = layout.num_chunks
    size = _NUMPY[dtype].itemsize
    if len(data) != HEADER.size + size * n * (k + 1):
        raise RDLevelError(f"MCNC payload has {len(data)} bytes; expected {HEADER.size + size * n * (k + 1)}")
    values = np.frombuffer(data, _NUMPY[dtype], offset=HEADER.size).astype(np.float32)
    alpha = torch.from_numpy(values[: n * k].reshape(n, k).copy())
    beta = torch.from_numpy(values[n * k :].copy())
    flat = exact_weights(theta0_chunks(arch, layout, seed), generator_of(settings, seed), alpha, beta)
    return split(layout, flat[None]), height, width


class CoinMCNCCodec(RDCodec):
    name = "coin_mcnc"
    default_params = MCNC_PARAMS

    def check_params(self, params):
        check_fit_params(self.name, params)
        settings_of(MCNCLevel(Architecture(1, 1), 2, 1), params)

    def storage(self, params):
        return {
            "format": "25-byte header + MCNC α (n×k) and β (n) at the stored dtype; θ0 and φ from the seed",
            "headers_counted": "per_image (25 bytes)",
            "values_dtype": params["dtype"],
        }

    def encode_image(self, image, level, params):
        return self.encode_many(image[None], level, params)[0].data

    def encode_many(self, images, level, params=None):
        images, parsed, merged = self.prepare(images, level, params)
        settings = settings_of(parsed, merged)
        out = []
        for part in batches(len(images), merged["batch_images"]):
            with torch_threads(merged["threads"]):
                out += self.fit_batch(images[part], parsed, settings, merged)
        return out

    def fit_batch(self, images, level: MCNCLevel, settings: MCNCSettings, params) -> list[Encoded]:
        arch, device, batch, seed = level.architecture, params["device"], len(images), params["seed"]
        height, width = images.shape[1:3]
        layout = layout_of(arch, settings.d)
        n, k = layout.num_chunks, settings.k
        theta0 = theta0_chunks(arch, layout, seed).to(device).repeat(batch, 1)
        generator = generator_of(settings, seed).to(device)
        g = torch.Generator().manual_seed(mcnc_seeds(seed)[1])
        half = settings.alpha_init * settings.bound
        alpha0 = ((torch.rand((n, k), generator=g, dtype=torch.float64) * 2 - 1) * half).float()
        alpha = alpha0.expand(batch, n, k).clone().to(device).requires_grad_(True)
        beta = torch.full((batch, n), float(settings.beta_init), device=device, requires_grad=True)
        coords = coordinates(height, width, device)
        target = image_tensor(images, device)

        def predict() -> torch.Tensor:
            flat = chunk_weights(theta0, generator, alpha.view(-1, k), beta.view(-1)).view(batch, -1)
            return forward(split(layout, flat), coords)

        def project(_: int) -> None:
            with torch.no_grad():
                alpha.clamp_(-settings.bound, settings.bound)

        result = fit([alpha, beta], predict, target, params["iterations"], params["lr"],
                     keep_best=params["keep_best"], schedule=project)  # fmt: skip
        out = []
        for b in range(batch):
            dtype = _TORCH[settings.dtype]
            kept_alpha = result.state[0][b].cpu().clamp(-settings.bound, settings.bound).to(dtype)
            kept_beta = result.state[1][b].cpu().to(dtype)
            data = to_bytes(level, settings, height, width, seed, kept_alpha, kept_beta)
            info = {
                "fit_psnr_rgb": float(result.best_psnr[b]),
                "best_iteration": int(result.best_iteration[b]),
                "num_chunks": n,
                "num_parameters": layout.num_parameters,
                "nominal_compression_rate": settings.nominal_rate,
            }
            out.append(Encoded(data, result.seconds / batch, info))
        return out

    def decode(self, data):
        params, height, width = from_bytes(data)
        with torch_threads(1):
            return render(params, height, width)
