"""zfp codecs: real zfpy streams in fixed-rate, fixed-precision, fixed-accuracy and reversible mode.

Pixels are cast to float32 in 0..255 (grey levels), so ``zfp_accuracy``'s tolerance is an absolute error
bound in grey levels; rate (bits per value) and precision (bit planes) do not depend on the scale.

Layout: each image's C channel planes, edge-padded to H'×W' (multiples of 4), are stacked along the height
into one 2-D float32 field of C·H' rows × W' columns, so zfp's 4×4 blocks never span two samples or two
channels. By default (``images_per_stream: 1``) every image is its own stream; with ``images_per_stream: m``
m consecutive images are stacked into one taller field. zfp codes blocks independently, so the decoded
values are identical either way (a test checks it); only zfp's padding of every stream to a multiple of 64
bits (and the offsets index) differ. Streams are written without zfp's header (``write_header: false``,
the default): shape, dtype and mode are in the sidecar metadata, and ``zfpy._decompress`` reads the stream
with them. With ``write_header: true`` each stream carries zfp's full header (counted) and opens with
``zfpy.decompress_numpy``.

Views: ``pixels`` = decoded values / 255, cropped to H×W, clipped to [0, 1]; ``coefficients`` = zfp's
decorrelating 4×4 block transform (:mod:`.zfp_transform`) of the decoded padded field / 255, laid out
N×(H'/4)×(W'/4)×(16·C).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import zfpy

from .base import Codec, Payload, check_view
from .levels import check_bool_param, check_int_param, parse_float, parse_int
from .streams import chunk_bounds, concat_buffers, join_streams, run_chunks, split_streams
from .zfp_transform import coefficient_view

#: zfpy's compressor ignores the scalar type when it sets a fixed rate while its decompressor applies
#: zfp's float32 minimum of 1 + 8 bits per block; below 9/16 bit per value the two disagree (and zfp
#: overruns its buffer), so lower rates are rejected.
MIN_RATE = 9 / 16
MAX_RATE = 32.0


def to_planes(images: np.ndarray) -> np.ndarray:
    """uint8 N×H×W×C → float32 N×C×H'×W' in 0..255, edge-padded to multiples of 4."""
    _, height, width, _ = images.shape
    planes = images.transpose(0, 3, 1, 2).astype(np.float32)
    pad = ((0, 0), (0, 0), (0, -height % 4), (0, -width % 4))
    return np.pad(planes, pad, mode="edge") if any(p[1] for p in pad) else np.ascontiguousarray(planes)


def _encode_chunk(planes: np.ndarray, per_stream: int, mode: dict, write_header: bool):
    width = planes.shape[3]
    streams = [
        zfpy.compress_numpy(planes[j : j + per_stream].reshape(-1, width), write_header=write_header, **mode)
        for j in range(0, planes.shape[0], per_stream)
    ]
    return join_streams(streams)


def _decode_chunk(
    buffer: np.ndarray, offsets: np.ndarray, n_images: int, per_stream: int, plane_shape, mode, write_header
):
    out = np.empty((n_images, *plane_shape), np.float32)
    width = plane_shape[2]
    for i in range(offsets.size - 1):
        data = buffer[offsets[i] : offsets[i + 1]]
        target = out[i * per_stream : (i + 1) * per_stream].reshape(-1, width)
        if write_header:
            target[...] = zfpy.decompress_numpy(data.tobytes()).reshape(target.shape)
        else:
            zfpy._decompress(data, zfpy.type_float, list(target.shape), out=target, **mode)
    return out


class _Zfp(Codec):
    """Shared encode/decode; subclasses fix the zfp mode and how a level becomes its argument."""

    zfp_mode: ClassVar[str]
    default_params = {"images_per_stream": 1, "write_header": False}

    def check_params(self, params):
        check_int_param(self.name, params, "images_per_stream", 1, 2**31 - 1)
        check_bool_param(self.name, params, "write_header")

    def mode_arguments(self, level: Any) -> dict[str, Any]:
        raise NotImplementedError

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        n, height, width, channels = images.shape
        planes = to_planes(images)
        per_stream, header = params["images_per_stream"], params["write_header"]
        mode = self.mode_arguments(level)
        n_streams = -(-n // per_stream)
        tasks = [
            (planes[a * per_stream : b * per_stream], per_stream, mode, header)
            for a, b in chunk_bounds(n_streams, threads)
        ]
        streams, offsets = concat_buffers(run_chunks(_encode_chunk, tasks, threads))
        meta = {
            "zfp_mode": self.zfp_mode,
            "zfp_arguments": mode,
            "n_samples": n,
            "height": height,
            "width": width,
            "channels": channels,
            "plane_shape": list(planes.shape[1:]),
            "images_per_stream": per_stream,
            "write_header": header,
            "storage": {
                "headers_counted": "per_stream (zfp full header)"
                if header
                else "none (shape, dtype, mode in meta)",
                "pixel_scale": "float32 0..255 (grey levels)",
                "layout": "per stream a 2-D float32 field of (images·C·H') rows × W' columns, channel planes "
                "stacked along the height, H', W' edge-padded to multiples of 4: no block spans two samples",
                "padding": "zfp pads every stream to a multiple of 64 bits (counted)",
            },
        }
        return Payload({"streams": streams, "offsets": offsets}, meta)

    def decode_planes(self, payload: Payload, threads: int = 1) -> np.ndarray:
        """The decoded padded float32 fields as N×C×H'×W' in 0..255."""
        meta = payload.meta
        per_stream, n = meta["images_per_stream"], meta["n_samples"]
        bounds = chunk_bounds(payload.arrays["offsets"].size - 1, threads)
        parts = split_streams(payload.arrays["streams"], payload.arrays["offsets"], bounds)
        tasks = [
            (
                buffer,
                offsets,
                min(b * per_stream, n) - a * per_stream,
                per_stream,
                tuple(meta["plane_shape"]),
                meta["zfp_arguments"],
                meta["write_header"],
            )
            for (buffer, offsets), (a, b) in zip(parts, bounds, strict=True)
        ]
        return np.concatenate(run_chunks(_decode_chunk, tasks, threads))

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        planes = self.decode_planes(payload, threads)
        planes /= np.float32(255)
        if view == "coefficients":
            return coefficient_view(planes)
        meta = payload.meta
        pixels = np.ascontiguousarray(planes[:, :, : meta["height"], : meta["width"]].transpose(0, 2, 3, 1))
        return np.clip(pixels, 0.0, 1.0, out=pixels)


class ZfpRate(_Zfp):
    name = "zfp_rate"
    zfp_mode = "fixed_rate"
    level_meaning = "rate (bits per value)"

    def _parse_level(self, level, image_shape):
        return parse_float(
            self.name, level, MIN_RATE, MAX_RATE, "rate (bits per value; a 4×4 float32 block needs ≥ 9 bits)"
        )

    def mode_arguments(self, level):
        return {"rate": float(level)}


class ZfpPrecision(_Zfp):
    name = "zfp_precision"
    zfp_mode = "fixed_precision"
    level_meaning = "precision (bit planes kept)"

    def _parse_level(self, level, image_shape):
        return parse_int(self.name, level, 1, 32, "precision (bit planes of float32)")

    def mode_arguments(self, level):
        return {"precision": int(level)}


class ZfpAccuracy(_Zfp):
    name = "zfp_accuracy"
    zfp_mode = "fixed_accuracy"
    level_meaning = "tolerance (absolute error bound in grey levels)"

    def _parse_level(self, level, image_shape):
        return parse_float(self.name, level, 0.0, 255.0, "tolerance (grey levels)", low_open=True)

    def mode_arguments(self, level):
        return {"tolerance": float(level)}


class ZfpReversible(_Zfp):
    name = "zfp_reversible"
    zfp_mode = "reversible"
    has_level = False
    level_meaning = "none (lossless zfp control)"

    def mode_arguments(self, level):
        return {}
