"""One rate–distortion point: a codec at one level over a stack of images, measured on real bytes.

:func:`evaluate` encodes every image, decodes every payload from its bytes alone and measures the decoded
image, so the reported PSNR is that of what a user would decode. The result follows CompressAI's results
format (``{"name", "description", "results": {"bpp": [...], "psnr-rgb": [...], "ms-ssim": [...],
"encoding_time": [...], "decoding_time": [...]}}``, one point per level; :func:`compressai_curve` merges
the levels of a codec into one curve) and adds per-image records and stable snake_case keys.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..artifacts import atomic_path, write_json
from . import get
from .metrics import bpp, ms_ssim, ms_ssim_window, psnr

#: file extension of each codec's payload (the classical ones are complete image files)
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "png": "png"}
_MEAN_KEYS = ("bpp", "psnr_rgb", "ms_ssim", "stored_bytes", "encode_seconds", "decode_seconds")


def evaluate(
    codec: str,
    images: np.ndarray,
    names: Sequence[str],
    level: Any,
    params: Mapping[str, Any] | None = None,
    dataset: str | None = None,
    payload_dir: str | os.PathLike | None = None,
    float_fits: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Encode, decode and measure uint8 N×H×W×3 ``images`` with ``codec`` at ``level``.

    Encode time of a batched neural fit is its batch's time divided by the batch size. With
    ``payload_dir`` each image's payload is also written there as ``{image}.{ext}`` (:data:`EXTENSIONS`),
    exactly the bytes measured, and the records name the file. ``float_fits``: ``coin_ptq`` only, the images'
    float fits (:meth:`.qn.CoinPTQCodec.fit_float`), quantized instead of fitting again.
    """
    if len(names) != len(images):
        raise ValueError(f"{len(names)} names for {len(images)} images")
    impl = get(codec)
    merged = impl.params(params)
    extra = {} if float_fits is None else {"float_fits": list(float_fits)}
    encoded = impl.encode_many(images, level, merged, **extra)
    records = []
    for name, image, item in zip(names, images, encoded, strict=True):
        start = time.perf_counter()
        decoded = impl.decode(item.data)
        seconds = time.perf_counter() - start
        height, width = image.shape[:2]
        if decoded.shape != image.shape or decoded.dtype != np.uint8:
            raise RuntimeError(
                f"{codec}: decoded {decoded.dtype} {decoded.shape}, expected uint8 {image.shape}"
            )
        files = {}
        if payload_dir is not None:
            files["payload_file"] = write_payload(payload_dir, name, codec, item.data)
        records.append(
            {
                "image": name,
                **files,
                "height": height,
                "width": width,
                "pixels": height * width,
                "stored_bytes": item.stored_bytes,
                "bpp": bpp(item.stored_bytes, height, width),
                "psnr_rgb": psnr(image, decoded),
                "ms_ssim": ms_ssim(image, decoded),
                "encode_seconds": item.encode_seconds,
                "decode_seconds": seconds,
                **{f"encoder_{k}": v for k, v in item.info.items()},
            }
        )
    mean = {key: _mean([r[key] for r in records]) for key in _MEAN_KEYS}
    window = ms_ssim_window(*images.shape[1:3])
    return {
        "name": codec,
        "level": str(level),
        "dataset": dataset,
        "family": impl.family,
        "level_meaning": impl.level_meaning,
        "description": f"{codec} at level {level}",
        "params": merged,
        "storage": impl.storage(merged),
        "metrics": {
            "psnr": "8-bit PSNR (peak 255, MSE over all pixels and channels), mean over images",
            "ms_ssim": "pytorch-msssim, data range 255"
            + (f", window {window[0]} σ {window[1]:.3g}" if window else ": image too small (NaN)"),
            "bpp": "8 · stored bytes / (H · W), mean over images",
        },
        "results": {
            "bpp": [mean["bpp"]],
            "psnr-rgb": [mean["psnr_rgb"]],
            "ms-ssim": [mean["ms_ssim"]],
            "encoding_time": [mean["encode_seconds"]],
            "decoding_time": [mean["decode_seconds"]],
        },
        "mean": mean,
        "images": records,
    }


def write_payload(folder: str | os.PathLike, image: str, codec: str, data: bytes) -> str:
    """Write one payload atomically as ``{folder}/{image}.{ext}``; return the file name."""
    name = f"{image}.{EXTENSIONS.get(codec, codec)}"
    os.makedirs(folder, exist_ok=True)
    with atomic_path(os.path.join(folder, name)) as tmp:
        tmp.write_bytes(data)
    return name


def _mean(values: list[float]) -> float:
    """Mean, ``inf`` if any value is (a lossless PSNR), NaN if any is NaN."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()) if array.size else math.nan


def compressai_curve(points: Sequence[Mapping[str, Any]], name: str | None = None) -> dict[str, Any]:
    """Several levels' results of one codec as one CompressAI results dict, sorted by bpp."""
    if not points:
        raise ValueError("no points to merge")
    ordered = sorted(points, key=lambda p: p["mean"]["bpp"])
    keys = ("bpp", "psnr-rgb", "ms-ssim", "encoding_time", "decoding_time")
    return {
        "name": name or ordered[0]["name"],
        "description": f"{ordered[0]['name']} at levels {[p['level'] for p in ordered]}",
        "results": {key: [p["results"][key][0] for p in ordered] for key in keys},
        "levels": [p["level"] for p in ordered],
    }


def write_result(path: str | os.PathLike, result: Mapping[str, Any]) -> None:
    """Write a result as JSON atomically (NaN and inf as JSON's non-standard tokens, as Python writes)."""
    write_json(path, result)
