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
from .streams import concat_buffers, join_streams, map_ranges, shared_empty
from .zfp_transform import coefficient_view

#: zfpy's compressor ignores the scalar type when it sets a fixed rate while its decompressor applies
#: zfp's float32 minimum of 1 + 8 bits per block; below 9/16 bit per value the two disagree (and zfp
#: overruns its buffer), so lower rates are rejected.
MIN_RATE = 9 / 16
MAX_RATE = 32.0


def to_planes(images: np.ndarray) -> np.ndarray:
    """uint8 N×H×W×C → C-ordered float32 N×C×H'×W' in 0..255, edge-padded to multiples of 4."""
    n, height, width, channels = images.shape
    if channels == 1:
        planes = images.reshape(n, 1, height, width).astype(np.float32)
    else:
        planes = np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)
    pad = ((0, 0), (0, 0), (0, -height % 4), (0, -width % 4))
    return np.pad(planes, pad, mode="edge") if pad[2][1] or pad[3][1] else planes


def _fields(planes: np.ndarray, per_stream: int) -> list[np.ndarray]:
    """2-D views of N×C×H'×W' planes, one per stream: ``per_stream`` images' planes stacked by height."""
    n, channels, height, width = planes.shape
    whole = n // per_stream
    fields = list(planes[: whole * per_stream].reshape(whole, per_stream * channels * height, width))
    if whole * per_stream < n:
        fields.append(planes[whole * per_stream :].reshape(-1, width))
    return fields


def _encode_range(inputs: dict, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Streams ``start..stop`` (each ``per_stream`` consecutive images) as (buffer, offsets)."""
    per_stream, mode, header = inputs["per_stream"], inputs["mode"], inputs["write_header"]
    planes = to_planes(inputs["images"][start * per_stream : stop * per_stream])
    return join_streams(
        [zfpy.compress_numpy(f, write_header=header, **mode) for f in _fields(planes, per_stream)]
    )


#: images decoded per batch before the vectorized crop/scale into the pixel view
_BATCH_IMAGES = 2048


def _decompress_fields(inputs: dict, first_stream: int, fields: list[np.ndarray]) -> None:
    """Decode consecutive streams from ``first_stream`` on into the 2-D float32 ``fields`` (in place)."""
    buffer = memoryview(inputs["buffer"])
    bounds = inputs["offsets"][first_stream : first_stream + len(fields) + 1].tolist()
    mode = inputs["mode"]
    for field, begin, end in zip(fields, bounds[:-1], bounds[1:], strict=True):
        if inputs["write_header"]:
            field[...] = zfpy.decompress_numpy(buffer[begin:end]).reshape(field.shape)
        else:
            zfpy._decompress(buffer[begin:end], zfpy.type_float, list(field.shape), out=field, **mode)


def _decode_range(inputs: dict, start: int, stop: int) -> None:
    """Decode streams ``start..stop`` into ``inputs["out"]``: raw padded planes, or the [0, 1] pixel view."""
    per_stream, n, out = inputs["per_stream"], inputs["n_samples"], inputs["out"]
    if not inputs["pixels"]:
        _decompress_fields(inputs, start, _fields(out[start * per_stream : stop * per_stream], per_stream))
        return
    height, width = out.shape[1:3]
    step = max(1, _BATCH_IMAGES // per_stream)
    batch = np.empty((step * per_stream, *inputs["plane_shape"]), np.float32)  # reused: no page faults
    for first in range(start, stop, step):
        last = min(first + step, stop)
        a, b = first * per_stream, min(last * per_stream, n)
        local = batch[: b - a]
        _decompress_fields(inputs, first, _fields(local, per_stream))
        pixels = local[:, :, :height, :width].transpose(0, 2, 3, 1)
        np.divide(pixels, np.float32(255), out=out[a:b])
        np.clip(out[a:b], 0.0, 1.0, out=out[a:b])


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
        per_stream, header = params["images_per_stream"], params["write_header"]
        mode = self.mode_arguments(level)
        inputs = {"images": images, "per_stream": per_stream, "mode": mode, "write_header": header}
        n_streams = -(-n // per_stream)
        streams, offsets = concat_buffers(map_ranges(_encode_range, n_streams, threads, inputs))
        plane_shape = [channels, height + -height % 4, width + -width % 4]
        meta = {
            "zfp_mode": self.zfp_mode,
            "zfp_arguments": mode,
            "n_samples": n,
            "height": height,
            "width": width,
            "channels": channels,
            "plane_shape": plane_shape,
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

    def _decode(self, payload: Payload, threads: int, pixels: bool) -> np.ndarray:
        meta = payload.meta
        n, plane_shape = meta["n_samples"], tuple(meta["plane_shape"])
        shape = (n, meta["height"], meta["width"], meta["channels"]) if pixels else (n, *plane_shape)
        inputs = {
            "buffer": payload.arrays["streams"],
            "offsets": payload.arrays["offsets"],
            "per_stream": meta["images_per_stream"],
            "n_samples": n,
            "plane_shape": plane_shape,
            "mode": meta["zfp_arguments"],
            "write_header": meta["write_header"],
            "pixels": pixels,
            "out": shared_empty(shape, np.float32, threads),
        }
        map_ranges(_decode_range, payload.arrays["offsets"].size - 1, threads, inputs)
        return inputs["out"]

    def decode_planes(self, payload: Payload, threads: int = 1) -> np.ndarray:
        """The decoded padded float32 fields as N×C×H'×W' in 0..255."""
        return self._decode(payload, threads, pixels=False)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        if view == "pixels":
            return self._decode(payload, threads, pixels=True)
        return coefficient_view(self.decode_planes(payload, threads) / np.float32(255))


class ZfpRate(_Zfp):
    name = "zfp_rate"
    zfp_mode = "fixed_rate"
    level_meaning = "rate (bits per value)"
    family = "zfp"

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
    family = "zfp"

    def _parse_level(self, level, image_shape):
        return parse_int(self.name, level, 1, 32, "precision (bit planes of float32)")

    def mode_arguments(self, level):
        return {"precision": int(level)}


class ZfpAccuracy(_Zfp):
    name = "zfp_accuracy"
    zfp_mode = "fixed_accuracy"
    level_meaning = "tolerance (absolute error bound in grey levels)"
    family = "zfp"

    def _parse_level(self, level, image_shape):
        return parse_float(self.name, level, 0.0, 255.0, "tolerance (grey levels)", low_open=True)

    def mode_arguments(self, level):
        return {"tolerance": float(level)}


class ZfpReversible(_Zfp):
    name = "zfp_reversible"
    zfp_mode = "reversible"
    has_level = False
    level_meaning = "none (lossless zfp control)"
    family = "lossless"

    def mode_arguments(self, level):
        return {}
