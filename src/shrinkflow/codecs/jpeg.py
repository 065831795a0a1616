"""``jpeg``: real baseline JPEG files from Pillow (libjpeg) at quality q; ``png``: the lossless PNG control.

JPEG storage comes in two conventions, recorded in the sidecar as ``storage.headers_counted``:

* ``per_image`` (default, ``shared_tables: false``): every image is a complete JFIF file with its own
  quantization and Huffman tables (about 290 bytes of tables in a ~510-byte 28×28 grey file at q=50).
  This is what a folder of JPEG files costs.
* ``tables_once_per_split`` (``shared_tables: true``): every image is an *abbreviated* JPEG stream (Pillow
  ``streamtype=2``: SOI, JFIF APP0, SOF, SOS, entropy-coded data, EOI, no tables) and the split stores one
  *tables-only* stream (``streamtype=1``) once. With ``optimize: false`` libjpeg uses the same tables for
  every image at a given quality, so the decoder re-inserts them (:func:`.pillow.splice_tables`) and plain
  ``PIL.Image.open`` reads the result; a test checks that the pixels equal those of full files.
  ``optimize: true`` makes Huffman tables per image, so it cannot share tables and is rejected.

Whichever convention is stored, the sidecar also gives the other one's size in real decodable bytes, so a
study compares both without training twice on identical pixels: a per-image payload records
``alternative_stored_bytes.tables_once_per_split`` (each file with its DQT/DHT segments cut out — byte for
byte Pillow's abbreviated stream, a test checks — plus one tables-only stream and the same offsets).

Views: ``pixels`` = the decoded image in [0, 1]. ``coefficients`` = the orthonormal 8×8 block DCT-II of the
decoded [0, 1] image per channel (in the stored colour space, L or RGB), on JPEG's own block grid with the
image edge-padded to a multiple of 8 (as libjpeg pads), laid out N×(H'/8)×(W'/8)×(64·C) with index
``c·64 + 8·u + v``. For grey images these are JPEG's dequantized coefficients divided by 255 (JPEG's FDCT is
the orthonormal one), with DC shifted by JPEG's level shift, up to the decoder's rounding and clipping.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .base import Codec, LevelError, Payload, check_view
from .levels import check_bool_param, check_channels, check_choice_param, check_int_param, parse_int
from .pillow import MODES, decode_files, encode_files

SUBSAMPLING = ("4:4:4", "4:2:2", "4:2:0")
_CHUNK = 8192


def block_dct(images: np.ndarray, block: int) -> np.ndarray:
    """Orthonormal ``block``×``block`` DCT-II of N×H×W×C float images, edge-padded to whole blocks.

    Returns float32 N×(H'/b)×(W'/b)×(b²·C) with coefficient (u, v) of channel c at index ``c·b² + b·u + v``.
    """
    import scipy.fft

    n, height, width, channels = images.shape
    hb, wb = -(-height // block), -(-width // block)
    out = np.empty((n, hb, wb, channels * block * block), np.float32)
    pad = ((0, 0), (0, hb * block - height), (0, wb * block - width), (0, 0))
    for start in range(0, n, _CHUNK):  # bounds the temporaries on large splits
        padded = np.pad(images[start : start + _CHUNK], pad, mode="edge")
        blocks = padded.reshape(-1, hb, block, wb, block, channels)
        coefficients = scipy.fft.dctn(blocks, axes=(2, 4), norm="ortho")
        # (n, hb, u, wb, v, c) -> (n, hb, wb, c, u, v)
        out[start : start + _CHUNK] = coefficients.transpose(0, 1, 3, 5, 2, 4).reshape(
            -1, hb, wb, out.shape[3]
        )
    return out


def save_arguments(quality: int, params, channels: int) -> dict:
    """Pillow ``save`` keywords; chroma subsampling only applies to colour (for grey images Pillow would
    write 2×2 sampling factors into the frame header of a one-component image)."""
    kwargs = {"quality": quality, "optimize": params["optimize"]}
    if channels == 3:
        kwargs["subsampling"] = params["subsampling"]
    return kwargs


def tables_only_stream(shape: tuple[int, int, int], save_kwargs) -> bytes:
    """Pillow's tables-only JPEG stream (DQT + DHT) for images of ``shape`` saved with ``save_kwargs``."""
    buffer = io.BytesIO()
    blank = Image.new(MODES[shape[2]], (shape[1], shape[0]))
    blank.save(buffer, "JPEG", **{**save_kwargs, "streamtype": 1})
    return buffer.getvalue()


#: JPEG markers of the table segments an abbreviated stream leaves out (DQT, DHT); SOS starts the scan
_TABLE_MARKERS, _SOS = (0xDB, 0xC4), 0xDA


def strip_tables(stream: bytes) -> bytes:
    """A complete JPEG file without its quantization and Huffman table segments: the abbreviated stream that
    :func:`.pillow.splice_tables` (and a decoder holding the tables) reads back to the same pixels."""
    out, i = bytearray(stream[:2]), 2
    while i < len(stream):
        if stream[i] != 0xFF:
            raise ValueError(f"not a JPEG marker at byte {i} (0x{stream[i]:02x})")
        marker = stream[i + 1]
        if marker == _SOS:  # the scan and EOI follow; no tables after it in a baseline file
            out += stream[i:]
            break
        end = i + 2 + int.from_bytes(stream[i + 2 : i + 4], "big")
        if marker not in _TABLE_MARKERS:
            out += stream[i:end]
        i = end
    return bytes(out)


def tables_once_bytes(streams: np.ndarray, offsets: np.ndarray, tables: bytes) -> int:
    """Bytes of a split stored with its tables once: abbreviated streams + offsets + one tables stream."""
    from .streams import stream_bytes

    total = sum(len(strip_tables(stream_bytes(streams, offsets, i))) for i in range(len(offsets) - 1))
    return total + int(offsets.nbytes) + len(tables)


class Jpeg(Codec):
    name = "jpeg"
    level_meaning = "q (JPEG quality, Pillow scale)"
    family = "jpeg"
    default_params = {"optimize": False, "subsampling": "4:2:0", "shared_tables": False}

    def _parse_level(self, level, image_shape):
        check_channels(self.name, image_shape, (1, 3))
        return parse_int(self.name, level, 1, 95, "JPEG quality")

    def check_params(self, params):
        check_bool_param(self.name, params, "optimize")
        check_bool_param(self.name, params, "shared_tables")
        check_choice_param(self.name, params, "subsampling", SUBSAMPLING)
        if params["optimize"] and params["shared_tables"]:
            raise LevelError(
                "codecs.jpeg: shared_tables: true needs optimize: false "
                "(optimized Huffman tables differ per image)"
            )

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        shared = params["shared_tables"]
        shape = tuple(int(s) for s in images.shape[1:])
        save_kwargs = save_arguments(level, params, shape[2])
        streamtype = {"streamtype": 2 if shared else 0}
        streams, offsets = encode_files(images, "JPEG", {**save_kwargs, **streamtype}, threads)
        arrays = {"streams": streams, "offsets": offsets}
        if shared:
            arrays["tables"] = np.frombuffer(tables_only_stream(shape, save_kwargs), np.uint8)
        storage = {
            "headers_counted": "tables_once_per_split" if shared else "per_image",
            "format": "abbreviated JPEG streams + one tables-only stream"
            if shared
            else "complete JFIF files, one per image",
            "color_mode": MODES[shape[2]],
            "subsampling": params["subsampling"] if shape[2] == 3 else "none (grey)",
        }
        meta = {"image_shape": list(shape), "storage": storage}
        if not shared:
            tables = tables_only_stream(shape, save_kwargs)
            meta["alternative_stored_bytes"] = {
                "tables_once_per_split": tables_once_bytes(streams, offsets, tables)
            }
        return Payload(arrays, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        tables = payload.arrays["tables"].tobytes() if "tables" in payload.arrays else None
        shape = tuple(payload.meta["image_shape"])
        pixels = decode_files(
            payload.arrays["streams"], payload.arrays["offsets"], shape, threads, tables, jpeg=True
        )
        return pixels if view == "pixels" else block_dct(pixels, 8)


class Png(Codec):
    name = "png"
    has_level = False
    level_meaning = "none (lossless PNG control)"
    family = "lossless"
    default_params = {"optimize": False, "compress_level": 6}

    def parse_level(self, level, image_shape):
        check_channels(self.name, image_shape, tuple(MODES))
        return super().parse_level(level, image_shape)

    def check_params(self, params):
        check_bool_param(self.name, params, "optimize")
        check_int_param(self.name, params, "compress_level", 0, 9)

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        save_kwargs = {"optimize": params["optimize"], "compress_level": params["compress_level"]}
        streams, offsets = encode_files(images, "PNG", save_kwargs, threads)
        storage = {
            "headers_counted": "per_image",
            "format": "complete PNG files, one per image (zlib; optimize as in params; Pillow uses level 9 "
            "when optimize is true)",
            "color_mode": MODES[images.shape[3]],
        }
        meta = {"image_shape": [int(s) for s in images.shape[1:]], "storage": storage}
        return Payload({"streams": streams, "offsets": offsets}, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        shape = tuple(payload.meta["image_shape"])
        # Lossless: the stored file is the image, in both views.
        return decode_files(payload.arrays["streams"], payload.arrays["offsets"], shape, threads)
