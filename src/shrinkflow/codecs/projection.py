"""``random_projection``: y = R x, seeded Gaussian R ∈ R^{k×d} with N(0, 1/k) entries ("less is more", eq. 3).

x is the image flattened row-major over H×W×C (channel last) and scaled to [0, 1], d = H·W·C. R is not
stored: it is regenerated at decode time from ``params["seed"]`` (numpy ``default_rng(seed)``, float32
standard normals of shape k×d divided by √k), so train and test share it and the storage cost is only the
quantized projections: ``bits``-bit codes bit-packed over the split plus a float32 offset and step per
projection coordinate (``8·k`` bytes per split).

The matrix products run on one BLAS thread (``threadpoolctl``): with more, OpenBLAS splits sums differently,
and the payload would depend on the job's thread count.

Views: ``coefficients`` = the dequantized k-vector (N×k); ``pixels`` = the minimum-norm image consistent
with it, ``Rᵀ(RRᵀ)⁻¹y``, clipped to [0, 1] and reshaped to N×H×W×C (exact up to quantization when k = d).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where it is used: the registry loads without it
    import torch

from .base import Codec, Payload, check_view
from .levels import check_int_param, parse_int
from .quantize import MAX_BITS, dequantize, pack_bits, quantize, unpack_bits

_CHUNK = 16384


def _one_blas_thread():
    """Context: BLAS on one thread (imported here: the codec registry loads at Snakefile parse time)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def projection_matrix(seed: int, k: int, d: int) -> np.ndarray:
    """The float32 k×d Gaussian projection with N(0, 1/k) entries derived from ``seed`` alone."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((k, d), dtype=np.float32) / np.float32(np.sqrt(k))


def reconstruction_matrix(projection: np.ndarray) -> np.ndarray:
    """float32 W (k×d) with ``y @ W`` the minimum-norm solution of ``R x = y``: W = (RRᵀ)⁻¹R."""
    import scipy.linalg

    r = projection.astype(np.float64)
    with _one_blas_thread():
        return scipy.linalg.solve(r @ r.T, r, assume_a="pos").astype(np.float32)


class RandomProjection(Codec):
    name = "random_projection"
    level_meaning = "k (projected dimensions)"
    family = "random_projection"
    default_params = {"bits": 8, "seed": 0}

    def _parse_level(self, level, image_shape):
        d = image_shape[0] * image_shape[1] * image_shape[2]
        return parse_int(self.name, level, 1, d, "k (projected dimensions, at most d = H·W·C)")

    def check_params(self, params):
        check_int_param(self.name, params, "bits", 1, MAX_BITS)
        check_int_param(self.name, params, "seed", 0, 2**63 - 1)

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        n, height, width, channels = images.shape
        d, bits = height * width * channels, params["bits"]
        r_t = np.ascontiguousarray(projection_matrix(params["seed"], level, d).T)
        flat = images.reshape(n, d)
        projected = np.empty((n, level), np.float32)
        with _one_blas_thread():
            for start in range(0, n, _CHUNK):
                chunk = flat[start : start + _CHUNK].astype(np.float32) / 255
                projected[start : start + _CHUNK] = chunk @ r_t
        codes, offset, step = quantize(projected, bits)
        meta = {
            "k": level,
            "d": d,
            "bits": bits,
            "seed": params["seed"],
            "height": height,
            "width": width,
            "channels": channels,
            "n_samples": n,
            "storage": {
                "codes": f"{bits}-bit codes bit-packed over the split: ceil(N·k·{bits}/8) bytes",
                "scale": "per projected coordinate: float32 offset + float32 step, per split, counted",
                "scale_bytes": 8 * level,
                "projection_matrix": "not stored, not counted: regenerated at decode time from params.seed "
                "(numpy default_rng(seed).standard_normal((k, d), float32) / sqrt(k))",
                "pixel_scale": "[0, 1] (uint8 / 255), flattened row-major over H×W×C",
            },
        }
        return Payload({"codes": pack_bits(codes, bits), "offset": offset, "step": step}, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        meta = payload.meta
        k, n = meta["k"], meta["n_samples"]
        codes = unpack_bits(payload.arrays["codes"], n * k, meta["bits"]).reshape(n, k)
        projected = dequantize(codes, payload.arrays["offset"], payload.arrays["step"])
        if view == "coefficients":
            return projected
        back = reconstruction_matrix(projection_matrix(meta["seed"], k, meta["d"]))
        pixels = np.empty((n, meta["d"]), np.float32)
        with _one_blas_thread():
            for start in range(0, n, _CHUNK):
                pixels[start : start + _CHUNK] = projected[start : start + _CHUNK] @ back
        np.clip(pixels, 0.0, 1.0, out=pixels)
        return pixels.reshape(n, meta["height"], meta["width"], meta["channels"])

    def torch_transform(self, payload_meta, view):
        """Raw [0, 1] images → R x (or the clipped minimum-norm reconstruction); quantization is skipped."""
        import torch

        k, d = payload_meta["k"], payload_meta["d"]
        projection = projection_matrix(payload_meta["seed"], k, d)
        r_t = torch.from_numpy(np.ascontiguousarray(projection.T))

        if view == "coefficients":
            return lambda x: x.reshape(x.shape[0], d) @ r_t.to(x)

        # R x then y W, folded into one d×d map.
        full = torch.from_numpy(projection.T @ reconstruction_matrix(projection))

        def pixels(x: torch.Tensor) -> torch.Tensor:
            return (x.reshape(x.shape[0], d) @ full.to(x)).clamp(0.0, 1.0).reshape(x.shape)

        return pixels
