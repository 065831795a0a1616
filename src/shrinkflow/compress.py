"""Run a codec over both splits of a prepared dataset and account for what it stores.

The artifact (``results/compressed/{dataset}/{method}/{level}.npz``) holds ``train.<key>`` / ``test.<key>``
payload arrays exactly as stored, plus ``train_labels`` / ``test_labels``. Its JSON sidecar holds what a
decoder and the aggregation need: the payload metadata per split and the storage and timing measurements.

Sidecar keys (totals over both splits unless under ``splits``): ``method``, ``level`` (as in the path),
``level_value`` (parsed), ``level_meaning``, ``params`` (all codec parameters, defaults filled in), ``seed``,
``image_shape``; ``stored_bytes`` (size of every stored array: payload, scales, tables, offsets),
``index_bytes`` (the offsets part of it), ``stored_bytes_lzma`` (after xz at ``lzma_preset``), ``raw_bytes``,
``n_samples``, ``bits_per_sample``, ``bits_per_sample_lzma``, ``ratio_to_raw``, ``encode_seconds``,
``decode_seconds`` (to pixels), ``mse`` / ``psnr_db`` (decoded pixels vs raw, 8-bit units, pooled over
both splits); ``storage`` (the codec's conventions: what is counted, header handling, pixel scale);
``splits.{train,test}`` with the same per-split numbers plus ``payload_meta`` and ``payload_arrays``.
"""

from __future__ import annotations

import lzma
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import codecs
from .codecs.base import Payload

SPLITS = ("train", "test")


#: xz preset for ``stored_bytes_lzma``: the strongest standard setting (~0.7 GB of memory while compressing;
#: about 1.5–3 MB/s on already-compressed payloads on the 2-core machine, so ~1 min per 150 MB split)
LZMA_PRESET = 9
#: samples per pass when comparing decoded and raw pixels (bounds float64 temporaries)
_ERROR_CHUNK = 8192


def lzma_bytes(payload: Payload, preset: int = LZMA_PRESET) -> int:
    """Size of the payload's arrays after the standard library's lzma, concatenated in key order.

    A second opinion on ``stored_bytes``: how much a general-purpose compressor could still squeeze out.
    """
    compressor = lzma.LZMACompressor(preset=preset)
    size = 0
    for key in sorted(payload.arrays):
        size += len(compressor.compress(np.ascontiguousarray(payload.arrays[key]).data))
    return size + len(compressor.flush())


def psnr_db(mse: float) -> float:
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def reconstruction_error(images: np.ndarray, decoded: np.ndarray) -> dict[str, float]:
    """MSE and PSNR in 8-bit pixel units between raw uint8 images and decoded [0, 1] pixels."""
    if images.shape != decoded.shape:
        raise ValueError(f"decoded pixels have shape {decoded.shape}, raw images {images.shape}")
    total = 0.0
    for start in range(0, images.shape[0], _ERROR_CHUNK):
        # Compare on the decoders' own scale (float32 uint8 / 255) so that a lossless codec scores exactly 0.
        reference = images[start : start + _ERROR_CHUNK].astype(np.float32) / np.float32(255)
        diff = (decoded[start : start + _ERROR_CHUNK].astype(np.float64) - reference) * 255.0
        flat = diff.reshape(-1)
        # einsum's own loop, not BLAS: a multithreaded BLAS dot would make the sum depend on the thread count
        total += float(np.einsum("i,i->", flat, flat))
    mse = total / max(images.size, 1)
    return {"mse": mse, "psnr_db": psnr_db(mse)}


def encode_split(
    codec: codecs.Codec,
    images: np.ndarray,
    level: Any,
    params: Mapping[str, Any],
    seed: int,
    split: str,
    threads: int = 1,
) -> Payload:
    """Encode one split's uint8 images as :func:`compress_dataset` does, meta completed for decoding.

    One generator per split, derived from the seed, so that the test split does not depend on how many random
    numbers the train split consumed (codecs that need an operator shared by both splits, such as the random
    projection, derive it from ``params["seed"]`` instead). Re-encoding the same images with the same
    arguments therefore gives the artifact's payload again.
    """
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    payload = codec.encode(images, level, params, rng, threads=threads)
    payload.meta = {**payload.meta, "level": level, "n_samples": int(images.shape[0])}
    return payload


def compress_dataset(
    data: Mapping[str, np.ndarray],
    method: str,
    level: str,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    threads: int = 1,
    lzma_preset: int | None = LZMA_PRESET,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Encode both splits of ``data`` (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``).

    Returns the artifact arrays and the sidecar dict. Both splits share the codec, level, parameters and a
    generator seeded from ``seed``, so the same inputs give byte-identical payloads. ``lzma_preset=None``
    skips the (slow) lzma second opinion: ``stored_bytes_lzma`` and ``bits_per_sample_lzma`` are then null.
    """
    codec = codecs.get(method)
    image_shape = tuple(int(s) for s in data["x_train"].shape[1:])
    parsed = codec.parse_level(level, image_shape)
    full_params = codec.params(params)
    arrays: dict[str, np.ndarray] = {}
    sidecar: dict[str, Any] = {
        "method": method,
        "level": str(level),
        "level_value": parsed,
        "level_meaning": codec.level_meaning,
        "params": full_params,
        "seed": seed,
        "image_shape": list(image_shape),
        "lzma_preset": lzma_preset,
        "splits": {},
    }
    totals = {"stored_bytes": 0, "index_bytes": 0, "stored_bytes_lzma": 0, "raw_bytes": 0, "n_samples": 0}
    for split in SPLITS:
        images = np.ascontiguousarray(data[f"x_{split}"], dtype=np.uint8)
        t0 = time.perf_counter()
        payload = encode_split(codec, images, parsed, full_params, seed, split, threads)
        encode_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        decoded = codec.decode(payload, "pixels", threads=threads)
        decode_seconds = time.perf_counter() - t0
        stats = {
            "n_samples": int(images.shape[0]),
            "stored_bytes": payload.stored_bytes,
            "index_bytes": payload.index_bytes,
            "stored_bytes_lzma": None if lzma_preset is None else lzma_bytes(payload, lzma_preset),
            "raw_bytes": int(images.nbytes),
            "encode_seconds": encode_seconds,
            "decode_seconds": decode_seconds,
            "payload_meta": payload.meta,
            "payload_arrays": {
                k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in payload.arrays.items()
            },
            **reconstruction_error(images, decoded),
        }
        sidecar["splits"][split] = stats
        for key in totals:
            totals[key] = None if stats[key] is None else totals[key] + stats[key]
        arrays.update({f"{split}.{k}": v for k, v in payload.arrays.items()})
        # Storage conventions (what is counted, scales, headers) are the codec's and the same for both splits.
        sidecar.setdefault("storage", payload.meta.get("storage", {}))
        arrays[f"{split}_labels"] = np.asarray(data[f"y_{split}"], dtype=np.int64)
    n = totals["n_samples"]
    # another storage convention of the same decoded data (JPEG: tables once per split), in real bytes
    alternatives: dict[str, int] = {}
    for stats in sidecar["splits"].values():
        for convention, nbytes in stats["payload_meta"].get("alternative_stored_bytes", {}).items():
            alternatives[convention] = alternatives.get(convention, 0) + int(nbytes)
    for convention, nbytes in alternatives.items():
        sidecar[f"stored_bytes_{convention}"] = nbytes
        sidecar[f"ratio_to_raw_{convention}"] = nbytes / totals["raw_bytes"]
    pixels = sum(s["raw_bytes"] for s in sidecar["splits"].values())
    mse = sum(s["mse"] * s["raw_bytes"] for s in sidecar["splits"].values()) / pixels
    sidecar.update(
        totals,
        bits_per_sample=totals["stored_bytes"] * 8 / n,
        bits_per_sample_lzma=None if lzma_preset is None else totals["stored_bytes_lzma"] * 8 / n,
        ratio_to_raw=totals["stored_bytes"] / totals["raw_bytes"],
        encode_seconds=sum(s["encode_seconds"] for s in sidecar["splits"].values()),
        decode_seconds=sum(s["decode_seconds"] for s in sidecar["splits"].values()),
        mse=mse,
        psnr_db=psnr_db(mse),
    )
    return arrays, sidecar


def load_split(arrays: Mapping[str, np.ndarray], sidecar: Mapping[str, Any], split: str) -> Payload:
    """Rebuild one split's :class:`Payload` from an artifact's arrays and sidecar."""
    prefix = f"{split}."
    payload_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    return Payload(payload_arrays, dict(sidecar["splits"][split]["payload_meta"]))


def decode_split(
    arrays: Mapping[str, np.ndarray], sidecar: Mapping[str, Any], split: str, view: str, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Decode one split of an artifact to (float32 view, int64 labels)."""
    codec = codecs.get(sidecar["method"])
    x = codec.decode(load_split(arrays, sidecar, split), view, threads=threads)
    return x, np.asarray(arrays[f"{split}_labels"], dtype=np.int64)


def load_artifact(
    npz_path: str | os.PathLike, sidecar_path: str | os.PathLike, view: str
) -> tuple[dict[str, Any], dict[str, np.ndarray], float]:
    """Read an artifact and decode both splits to ``view``: (sidecar, arrays, seconds it took).

    ``arrays`` holds ``x_train``, ``y_train``, ``x_test``, ``y_test`` (float32 views, int64 labels).
    """
    from . import artifacts

    t0 = time.perf_counter()
    stored = artifacts.load_npz(npz_path)
    sidecar = artifacts.read_json(sidecar_path)
    data: dict[str, np.ndarray] = {}
    for split in SPLITS:
        data[f"x_{split}"], data[f"y_{split}"] = decode_split(stored, sidecar, split, view)
    return sidecar, data, time.perf_counter() - t0


def view_offset(
    sidecar: Mapping[str, Any], view: str, center: float, view_shape: tuple[int, ...]
) -> np.ndarray:
    """The view of the constant image ``center`` for an artifact's codec (see ``Codec.view_offset``): what a
    model subtracts from its inputs to see the view of the centred image (``train.input_center``)."""
    codec = codecs.get(sidecar["method"])
    meta = sidecar["splits"]["train"]["payload_meta"]
    image_shape = tuple(int(s) for s in sidecar["image_shape"])
    return codec.view_offset(meta, view, float(center), image_shape, tuple(int(s) for s in view_shape))
