"""``coin``: COIN (Dupont et al. 2021): a SIREN fitted to one image, its weights stored as fp16.

Fit (reference-facts.md, COIN's ``main.py``/``training.py``): MSE, Adam lr 2e-4, ``iterations`` (COIN:
50,000), keeping the parameters of the best PSNR in the second half; then every weight and bias is cast to
fp16 (COIN's ``model.half()``), with no further training. Decoding evaluates the network in float32 on the
fp16-rounded values (COIN evaluates in half precision on a GPU; the weights are the same) and rounds the
clamped output to 8 bits.

Payload (little-endian): a 7-byte header (layers uint8, width uint16, height uint16, width uint16) and the
P parameters as fp16 in layer order (weight0, bias0, weight1, …; weights row-major out × in): exactly
7 + 2·P bytes, everything the decoder reads.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .base import Encoded, RDCodec
from .params import COIN_PARAMS, check_fit_params  # noqa: F401 (re-exported)
from .siren import coordinates, fit, forward, image_tensor, init_parameters, render, torch_threads
from .spec import Architecture, RDLevelError

HEADER = struct.Struct("<BHHH")

def pack_header(arch: Architecture, height: int, width: int) -> bytes:
    return HEADER.pack(arch.layers, arch.width, height, width)


def unpack_header(data: bytes) -> tuple[Architecture, int, int]:
    if len(data) < HEADER.size:
        raise RDLevelError(f"COIN payload of {len(data)} bytes is shorter than its {HEADER.size}-byte header")
    layers, width, height, image_width = HEADER.unpack_from(data)
    return Architecture(layers, width), height, image_width


def fp16_bytes(params: list[torch.Tensor]) -> bytes:
    """Parameters of one network (batch axis of 1) as contiguous little-endian fp16, in order."""
    flat = torch.cat([p.detach().reshape(-1).cpu() for p in params])
    return flat.to(torch.float16).numpy().astype("<f2").tobytes()


def params_from_fp16(arch: Architecture, data: bytes) -> list[torch.Tensor]:
    """The float32 parameters (batch axis of 1) that :func:`fp16_bytes` wrote for ``arch``."""
    if len(data) != 2 * arch.num_parameters:
        raise RDLevelError(
            f"COIN payload holds {len(data)} parameter bytes; {arch.name} needs {2 * arch.num_parameters}"
        )
    flat = torch.from_numpy(np.frombuffer(data, dtype="<f2").astype(np.float32))
    shapes = [s for out_in in arch.layer_shapes() for s in (out_in, out_in[:1])]
    pieces = torch.split(flat, [int(np.prod(s)) for s in shapes])
    return [p.reshape(1, *s).clone() for p, s in zip(pieces, shapes, strict=True)]


def batches(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def fit_coin(images: np.ndarray, arch: Architecture, params: Mapping[str, Any]):
    """A plain COIN fit of uint8 B×H×W×3 images as one batched SIREN → :class:`.siren.FitResult`."""
    device = params["device"]
    height, width = images.shape[1:3]
    coords = coordinates(height, width, device)
    target = image_tensor(images, device)
    weights = [p.to(device).requires_grad_(True) for p in init_parameters(arch, params["seed"], len(images))]
    return fit(
        weights, lambda: forward(weights, coords), target, params["iterations"], params["lr"],
        keep_best=params["keep_best"],
    )  # fmt: skip


class CoinCodec(RDCodec):
    name = "coin"
    default_params = COIN_PARAMS

    def check_params(self, params):
        check_fit_params(self.name, params)

    def storage(self, params):
        return {
            "format": "7-byte header (layers u8, width u16, H u16, W u16) + every weight and bias as fp16",
            "headers_counted": "per_image (7 bytes)",
            "fit": f"{params['iterations']} Adam iterations at lr {params['lr']}, seed {params['seed']}, "
            + ("best PSNR of the second half kept" if params["keep_best"] else "last iterate kept"),
        }

    def encode_image(self, image, level, params):
        return self.encode_many(image[None], level, params)[0].data

    def encode_many(self, images, level, params=None):
        images, arch, merged = self.prepare(images, level, params)
        height, width = images.shape[1:3]
        out = []
        for part in batches(len(images), merged["batch_images"]):
            with torch_threads(merged["threads"]):
                result = fit_coin(images[part], arch, merged)
            for b in range(part.stop - part.start):
                data = pack_header(arch, height, width) + fp16_bytes([s[b : b + 1] for s in result.state])
                info = {
                    "fit_psnr_rgb": float(result.best_psnr[b]),
                    "best_iteration": int(result.best_iteration[b]),
                    "iterations": result.iterations,
                    "fit_seconds_batch": result.seconds,
                    "batch_images": part.stop - part.start,
                    "num_parameters": arch.num_parameters,
                }
                out.append(Encoded(data, result.seconds / (part.stop - part.start), info))
        return out

    def decode(self, data):
        arch, height, width = unpack_header(data)
        with torch_threads(1):
            return render(params_from_fp16(arch, data[HEADER.size :]), height, width)
