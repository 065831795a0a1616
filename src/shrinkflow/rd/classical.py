"""Classical per-image codecs of the rate–distortion stage: JPEG, WebP, PNG (Pillow) and zfp (zfpy).

Every payload decodes from its bytes alone, and every byte is counted:

* ``jpeg``: a complete baseline JFIF file from Pillow's libjpeg (headers and tables counted per image),
  YCbCr with chroma subsampling ``subsampling`` (default 4:2:0, Pillow's own default), Huffman tables
  not optimized unless ``optimize``. The save arguments are those of the training-data ``jpeg`` codec.
* ``webp``: a complete lossy WebP file (RIFF container counted) from libwebp at ``method`` (effort 0–6);
  lossy WebP always codes YUV 4:2:0.
* ``png``: a complete PNG file (lossless control: decodes to the exact image).
* ``zfp_rate`` / ``zfp_precision``: a 4-byte prefix (H, W as uint16) and one zfpy stream *with* zfp's
  full header (counted: 16 bytes in these modes), over the image's three channel planes (0..255 as
  float32, edge-padded to multiples of 4) stacked along the height, the layout of the training-data zfp
  codecs (:func:`shrinkflow.codecs.zfp.to_planes`). The decoder rounds to the nearest grey level and clips.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np
import zfpy
from PIL import Image

from ..codecs.jpeg import SUBSAMPLING, save_arguments
from ..codecs.pillow import encode_files
from ..codecs.zfp import to_planes
from .base import RDCodec
from .spec import RDLevelError


def _pillow_bytes(image: np.ndarray, image_format: str, save_kwargs: Mapping[str, Any]) -> bytes:
    buffer, _ = encode_files(image[None], image_format, save_kwargs)
    return buffer.tobytes()


def pillow_decode(data: bytes) -> np.ndarray:
    """Any file Pillow opens, as a uint8 H×W×3 RGB array."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _check_choice(codec: str, params: Mapping[str, Any], key: str, allowed: tuple) -> None:
    value = params[key]
    # True == 1 in Python: a bool is only allowed where the choices are bools
    wrong_type = isinstance(value, bool) != all(isinstance(a, bool) for a in allowed)
    if wrong_type or value not in allowed:
        raise RDLevelError(f"{codec}.{key}: {value!r} is not one of {list(allowed)}")


class JpegRD(RDCodec):
    name = "jpeg"
    default_params = {"subsampling": "4:2:0", "optimize": False}

    def check_params(self, params):
        _check_choice(self.name, params, "subsampling", SUBSAMPLING)
        _check_choice(self.name, params, "optimize", (False, True))

    def storage(self, params):
        return {
            "format": "complete baseline JFIF file per image (Pillow/libjpeg)",
            "headers_counted": "per_image (markers, quantization and Huffman tables)",
            "color": f"YCbCr, chroma subsampling {params['subsampling']}",
            "huffman": "optimized per image" if params["optimize"] else "standard tables",
        }

    def encode_image(self, image, level, params):
        return _pillow_bytes(image, "JPEG", save_arguments(int(level), params, 3))

    def decode(self, data):
        return pillow_decode(data)


class WebpRD(RDCodec):
    name = "webp"
    default_params = {"method": 4}

    def check_params(self, params):
        _check_choice(self.name, params, "method", tuple(range(7)))

    def storage(self, params):
        return {
            "format": "complete lossy WebP file per image (RIFF container, Pillow/libwebp)",
            "headers_counted": "per_image (RIFF and VP8 headers)",
            "color": "YUV 4:2:0 (lossy WebP's only mode)",
            "method": f"{params['method']} (encoder effort 0..6)",
        }

    def encode_image(self, image, level, params):
        return _pillow_bytes(
            image, "WEBP", {"quality": int(level), "method": params["method"], "lossless": False}
        )

    def decode(self, data):
        return pillow_decode(data)


class PngRD(RDCodec):
    name = "png"
    default_params = {"compress_level": 9}

    def check_params(self, params):
        _check_choice(self.name, params, "compress_level", tuple(range(10)))

    def storage(self, params):
        return {
            "format": "complete PNG file per image (zlib, lossless)",
            "headers_counted": "per_image (signature, IHDR, IDAT, IEND)",
            "compress_level": str(params["compress_level"]),
        }

    def encode_image(self, image, level, params):
        return _pillow_bytes(image, "PNG", {"compress_level": params["compress_level"]})

    def decode(self, data):
        return pillow_decode(data)


_SIZE = struct.Struct("<HH")


class _ZfpRD(RDCodec):
    mode_key: str

    def storage(self, params):
        return {
            "format": "uint16 H, W prefix + one zfpy stream of the 3 channel planes stacked along the height",
            "headers_counted": "per_image: the 4-byte size prefix and zfp's full header (shape, type, mode)",
            "pixel_scale": "float32 0..255, edge-padded to multiples of 4; decoded values rounded, clipped",
        }

    def mode(self, level: Any) -> dict[str, Any]:
        return {self.mode_key: level}

    def encode_image(self, image, level, params):
        height, width = image.shape[:2]
        planes = to_planes(image[None])[0]  # C×H'×W'
        field = planes.reshape(-1, planes.shape[2])
        return _SIZE.pack(height, width) + zfpy.compress_numpy(field, write_header=True, **self.mode(level))

    def decode(self, data):
        height, width = _SIZE.unpack_from(data)
        field = zfpy.decompress_numpy(data[_SIZE.size :])
        planes = field.reshape(3, -1, field.shape[1])[:, :height, :width]
        return np.rint(np.clip(planes, 0, 255)).astype(np.uint8).transpose(1, 2, 0).copy()


class ZfpRateRD(_ZfpRD):
    name = "zfp_rate"
    mode_key = "rate"

    def mode(self, level):
        return {"rate": float(level)}


class ZfpPrecisionRD(_ZfpRD):
    name = "zfp_precision"
    mode_key = "precision"

    def mode(self, level):
        return {"precision": int(level)}
