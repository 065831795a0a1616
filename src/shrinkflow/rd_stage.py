"""The rate–distortion stage: one codec at one level over an image set, and the tables built from its points.

:func:`run_point` is the job of rule ``rate_distortion``: it loads the images (scikit-image's photographs
resized as configured, or the test split of a prepared RGB dataset such as Kodak), encodes each, writes
every payload as a file, decodes the payload bytes and writes the CompressAI-style result
(:func:`shrinkflow.rd.evaluate`). The tables: one row per point (:func:`rd_table`), Bjøntegaard deltas of
every curve against the anchor codec (:func:`bd_table`) and COIN's published Kodak points against ours
(:func:`coin_reproduction`).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import rd
from .artifacts import atomic_path, read_json, write_json
from .rd_grid import PACKAGED


def load_images(
    dataset: str, photos: Mapping[str, Any], npz: str | None = None, limit: int | None = None
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """uint8 N×H×W×3 images, their names and the skipped photographs (name → reason)."""
    if dataset == PACKAGED:
        size = photos.get("size", 64)
        found = rd.load_skimage_photos(
            size if isinstance(size, int) else tuple(size),
            photos.get("names"),
            photos.get("resize", "downscale"),
        )
        images, names, skipped = found.images, list(found.names), dict(found.skipped)
    else:
        if npz is None:
            raise ValueError(f"{dataset}: the prepared dataset's .npz is needed")
        with np.load(npz) as data:
            images = data["x_test"]
        order = _image_order(npz)
        names = order if len(order) == len(images) else [f"{dataset}_{i:02d}" for i in range(len(images))]
        skipped = {}
    if limit is not None:
        images, names = images[:limit], names[:limit]
    return np.ascontiguousarray(images), names, skipped


def _image_order(npz: str) -> list[str]:
    """Image names from the dataset's sidecar (``image_order``, e.g. Kodak's file stems), if it has one."""
    sidecar = os.path.splitext(npz)[0] + ".json"
    if not os.path.exists(sidecar):
        return []
    meta = read_json(sidecar)
    order = meta.get("image_order") or (meta.get("meta") or {}).get("image_order") or []
    return [os.path.splitext(os.path.basename(str(n)))[0] for n in order]


def run_point(
    dataset: str,
    codec: str,
    level: str,
    params: Mapping[str, Any],
    photos: Mapping[str, Any],
    json_path: str,
    payload_dir: str,
    npz: str | None = None,
    limit: int | None = None,
    threads: int = 1,
    log: logging.Logger | None = None,
    float_fits: str | None = None,
) -> dict[str, Any]:
    """Encode, store, decode and measure one (dataset, codec, level) point; write its result JSON.

    ``float_fits``: a ``coin_ptq`` point's shared float fits (:func:`fit_float_point`), quantized here
    instead of fitting again (the bytes are the same); the job's ``seconds`` then exclude the fit, which
    the fits' sidecar records."""
    log = log or logging.getLogger(__name__)
    start = time.perf_counter()
    images, names, skipped = load_images(dataset, photos, npz, limit)
    params = dict(params)
    if "threads" in rd.get(codec).params():
        params.setdefault("threads", threads)
    log.info("%s %s %s: %d images %s", dataset, codec, level, len(images), images.shape[1:])
    fits = None
    if float_fits is not None:
        architecture = rd.parse_level(codec, level).architecture.name
        merged = rd.get(codec).params(params)
        fits = load_float_fits(float_fits, names, architecture, images.shape[1:3], merged)
    result = rd.evaluate(
        codec, images, names, level, params, dataset=dataset, payload_dir=payload_dir, float_fits=fits
    )
    if fits is not None:
        result["float_fits"] = float_fits
    result["skipped_images"] = skipped
    result["images_source"] = (
        "scikit-image data files, resized: " + str(dict(photos)) if dataset == PACKAGED else npz
    )
    for record in result["images"]:
        stored = os.path.getsize(os.path.join(payload_dir, record["payload_file"]))
        if stored != record["stored_bytes"]:
            raise RuntimeError(
                f"{record['payload_file']}: {stored} bytes on disk, {record['stored_bytes']} measured"
            )
    result["seconds"] = time.perf_counter() - start  # the job's work: loading, fits, decoding, metrics
    rd.write_result(json_path, result)
    mean = result["mean"]
    log.info("bpp %.4f, PSNR %.3f dB, MS-SSIM %.4f", mean["bpp"], mean["psnr_rgb"], mean["ms_ssim"])
    return result


# ---- coin_ptq: one float fit per architecture ----


def fit_float_point(
    dataset: str,
    architecture: str,
    params: Mapping[str, Any],
    photos: Mapping[str, Any],
    fits_path: str,
    sidecar_path: str,
    npz: str | None = None,
    limit: int | None = None,
    threads: int = 1,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """Fit plain COIN at ``architecture`` to every image once, for all ``coin_ptq`` levels of it (rule
    ``fit_coin_ptq``): the kept tensors to ``fits_path`` (``torch.save``), the fit's record (parameters,
    per-image PSNR and seconds, the job's ``seconds``) to ``sidecar_path``."""
    import torch

    log = log or logging.getLogger(__name__)
    start = time.perf_counter()
    images, names, _ = load_images(dataset, photos, npz, limit)
    codec = rd.get("coin_ptq")
    params = codec.params({"threads": threads, **params})
    log.info("%s coin_ptq float fit %s: %d images %s", dataset, architecture, len(images), images.shape[1:])
    fits = codec.fit_float(images, architecture, params)
    state = {
        "architecture": architecture, "images": names, "shape": [int(v) for v in images.shape[1:3]],
        "params": params,
        "fits": [{"tensors": f.tensors, "psnr": f.psnr, "iteration": f.iteration, "seconds": f.seconds}
                 for f in fits],
    }  # fmt: skip
    with atomic_path(fits_path) as tmp:
        torch.save(state, tmp)
    record = {
        "dataset": dataset, "codec": "coin_ptq", "architecture": architecture, "params": params,
        "images": [{"image": n, "fit_psnr_rgb_float": f.psnr, "best_iteration": f.iteration,
                    "fit_seconds": f.seconds} for n, f in zip(names, fits, strict=True)],
        "seconds": time.perf_counter() - start,  # the job's work: loading and fitting
    }  # fmt: skip
    write_json(sidecar_path, record)
    log.info("mean float PSNR %.3f dB", float(np.mean([f.psnr for f in fits])))
    return record


def load_float_fits(
    path: str, names: list[str], architecture: str, shape: tuple[int, int], params: Mapping[str, Any]
) -> list[Any]:
    """The float fits of :func:`fit_float_point`, checked against the images, architecture and parameters
    of the point that quantizes them (all but ``threads``: the quantizing job's own thread count)."""
    import torch

    from .rd.qn import FloatFit

    state = torch.load(path, weights_only=True)
    def fitting(p: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in p.items() if k != "threads"}

    stored = {"architecture": state["architecture"], "images": state["images"], "shape": state["shape"],
              "params": fitting(state["params"])}  # fmt: skip
    expected = {"architecture": architecture, "images": list(names), "shape": [int(v) for v in shape],
                "params": fitting(params)}  # fmt: skip
    for key, want in expected.items():
        if stored[key] != want:
            raise ValueError(f"{path}: {key} {stored[key]!r} does not match this point's {want!r}; refit it")
    return [FloatFit(f["tensors"], f["psnr"], f["iteration"], f["seconds"]) for f in state["fits"]]


# ---- tables ----

_LEVEL_COLUMNS = ("architecture", "parameters", "bits", "target", "d", "k")


def _level_fields(codec: str, level: str) -> dict[str, Any]:
    parsed = rd.parse_level(codec, level)
    arch = getattr(parsed, "architecture", parsed if isinstance(parsed, rd.Architecture) else None)
    return {
        "architecture": arch.name if arch else "",
        "parameters": arch.num_parameters if arch else np.nan,
        "bits": getattr(parsed, "bits", np.nan),
        "target": getattr(parsed, "target", ""),
        "d": getattr(parsed, "d", np.nan),
        "k": getattr(parsed, "k", np.nan),
    }


def curve_name(codec: str, target: str) -> str:
    """The curve a point belongs to: the codec, split by what is quantized for coin_qn/coin_ptq."""
    return f"{codec}-{target}" if target else codec


def rd_table(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per (dataset, codec, level): the mean over images of bpp, PSNR, MS-SSIM, bytes and times."""
    rows = []
    for path in paths:
        result = read_json(path)
        fields = _level_fields(result["name"], result["level"])
        first = result["images"][0]
        rows.append(
            {
                "dataset": result["dataset"], "codec": result["name"], "family": result["family"],
                "level": result["level"], "curve": curve_name(result["name"], fields["target"]), **fields,
                "images": len(result["images"]), "height": first["height"], "width": first["width"],
                **{key: result["mean"][key] for key in result["mean"]},
            }
        )  # fmt: skip
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["dataset", "curve", "bpp"], kind="stable").reset_index(drop=True)


def bd_table(table: pd.DataFrame, anchor: str = "jpeg", method: str = "pchip") -> pd.DataFrame:
    """BD-rate (%) and BD-PSNR (dB) of every curve against the anchor's, per dataset, each curve reduced to
    its monotone upper envelope (``points_used``); lossless points and curves with < 2 finite points get NaN
    and a reason."""
    rows = []
    for dataset, points in table.groupby("dataset", sort=False):
        finite = points[np.isfinite(points["psnr_rgb"]) & (points["bpp"] > 0)]
        base = finite[finite["curve"] == anchor]
        base = _upper_envelope(base)
        for curve, all_points in points.groupby("curve", sort=False):
            if curve == anchor:
                continue
            points_of_curve = finite[finite["curve"] == curve]
            if points_of_curve.empty:  # lossless: no finite PSNR to compare at
                rows.append({"dataset": dataset, "curve": curve, "anchor": anchor, "points": len(all_points),
                             "points_used": 0, "bpp_min": all_points["bpp"].min(),
                             "bpp_max": all_points["bpp"].max(), "bd_rate_percent": np.nan,
                             "bd_psnr_db": np.nan, "note": "lossless (infinite PSNR): no BD"})  # fmt: skip
                continue
            test = _upper_envelope(points_of_curve)
            row = {"dataset": dataset, "curve": curve, "anchor": anchor, "points": len(points_of_curve),
                   "points_used": len(test),
                   "bpp_min": test["bpp"].min(), "bpp_max": test["bpp"].max(),
                   "anchor_bpp_min": base["bpp"].min(), "anchor_bpp_max": base["bpp"].max(),
                   # BD-rate averages over the common PSNR range, BD-PSNR over the common rate range:
                   # a narrow overlap makes either a local statement
                   "psnr_overlap_db": max(0.0, min(test["psnr_rgb"].max(), base["psnr_rgb"].max())
                                          - max(test["psnr_rgb"].min(), base["psnr_rgb"].min()))}  # fmt: skip
            try:
                a = (base["bpp"].tolist(), base["psnr_rgb"].tolist())
                t = (test["bpp"].tolist(), test["psnr_rgb"].tolist())
                row |= {"bd_rate_percent": rd.bd_rate(a, t, method), "bd_psnr_db": rd.bd_psnr(a, t, method)}
                row["note"] = "" if math.isfinite(row["bd_psnr_db"]) else "rate ranges do not overlap"
            except ValueError as err:
                row |= {"bd_rate_percent": np.nan, "bd_psnr_db": np.nan, "note": str(err)}
            rows.append(row)
    return pd.DataFrame(rows)


def _low_rate_claim(dataset: str, points: pd.DataFrame) -> dict[str, Any]:
    """COIN's statement that it beats JPEG at low rates only: COIN's PSNR against JPEG's at each COIN
    rate (JPEG interpolated in log-rate; a rate below JPEG's lowest is a COIN win: JPEG cannot get there)."""
    coin = points[points["codec"] == "coin"].sort_values("bpp")
    jpeg = _upper_envelope(points[points["codec"] == "jpeg"])
    wins = []
    for bpp, psnr in zip(coin["bpp"], coin["psnr_rgb"], strict=True):
        if bpp < jpeg["bpp"].min():
            wins.append((bpp, True))
        elif bpp <= jpeg["bpp"].max():
            reference = np.interp(np.log(bpp), np.log(jpeg["bpp"]), jpeg["psnr_rgb"])
            wins.append((bpp, bool(psnr >= reference)))
    pattern = ", ".join(f"{b:.3g} bpp: {'COIN' if w else 'JPEG'}" for b, w in wins)
    low_only = bool(wins) and wins[0][1] and not wins[-1][1] and wins == sorted(wins, key=lambda x: not x[1])
    row = {"architecture": "all", "dataset": dataset, "claim": "COIN beats JPEG at low bpp only",
           "reason": pattern or "no COIN rate inside or below JPEG's range"}  # fmt: skip
    if dataset != "kodak":
        return {**row, "verdict": "not comparable"}
    return {**row, "verdict": "reproduced" if low_only else "not reproduced"}


def _upper_envelope(points: pd.DataFrame) -> pd.DataFrame:
    """The points no cheaper point beats (PSNR strictly rising with bpp): Bjøntegaard's integrals assume a
    monotone curve, and a point that costs more bits for no more PSNR (e.g. 16 vs 8 bits) is not on it."""
    ordered = points.sort_values("bpp", kind="stable")
    best, keep = -math.inf, []
    for psnr in ordered["psnr_rgb"]:
        keep.append(psnr > best)
        best = max(best, psnr)
    return ordered[keep]


def _published_coin(published: pd.DataFrame) -> pd.DataFrame:
    """COIN's Kodak points with a named architecture: level (architecture), bpp and PSNR."""
    coin = published[(published["study"] == "coin") & (published["method"] == "coin")]
    arch = coin[coin["metric"] == "num_parameters"][["level"]]
    values = coin.pivot_table(index="level", columns="metric", values="value", aggfunc="first").reset_index()
    values = values[values["level"].isin(arch["level"])]
    by_bpp = {bpp: name for name, (_, bpp) in rd.COIN_ARCHITECTURES.items()}
    values["architecture"] = (
        values["level"]
        .astype(float)
        .map(lambda b: next((n for p, n in by_bpp.items() if abs(p - b) / b < 0.01), ""))
    )
    return values


def coin_reproduction(
    table: pd.DataFrame, published: pd.DataFrame, tolerance_db: float = 0.5
) -> pd.DataFrame:
    """COIN's published Kodak PSNR per architecture against our COIN fit of that architecture.

    A point is *reproduced* when our mean PSNR is within ``tolerance_db`` of COIN's or above it, *not
    reproduced* below that; image sets other than ``kodak`` are *not comparable* (other images and sizes)
    and points we did not run read *not run*. A last row per image set judges COIN's statement that it
    beats JPEG at low rates only (see :func:`_low_rate_claim`).
    """
    rows = []
    ours = table[table["codec"] == "coin"] if not table.empty else table
    for _, pub in _published_coin(published).iterrows():
        arch = pub["architecture"]
        mine = ours[ours["architecture"] == arch] if not ours.empty else ours
        datasets = sorted(set(mine["dataset"])) if not mine.empty else []
        for dataset in datasets or [""]:
            row = {"architecture": arch, "published_bpp": pub.get("bpp"),
                   "published_psnr_db": pub.get("psnr_db"), "dataset": dataset}  # fmt: skip
            point = mine[mine["dataset"] == dataset] if dataset else mine
            if point.empty:
                row |= {"verdict": "not run", "reason": f"no coin run at {arch}"}
            else:
                ours_psnr, ours_bpp = float(point["psnr_rgb"].iloc[0]), float(point["bpp"].iloc[0])
                row |= {
                    "our_bpp": ours_bpp,
                    "our_psnr_db": ours_psnr,
                    "delta_db": ours_psnr - row["published_psnr_db"],
                }
                if dataset != "kodak":
                    row |= {
                        "verdict": "not comparable",
                        "reason": f"{dataset} images, not Kodak's 24 at 768×512",
                    }
                elif row["delta_db"] >= -tolerance_db:
                    row |= {"verdict": "reproduced", "reason": f"within {tolerance_db} dB or above"}
                else:
                    row |= {"verdict": "not reproduced", "reason": f"more than {tolerance_db} dB below"}
            rows.append(row)
    if not table.empty:
        rows += [_low_rate_claim(dataset, points) for dataset, points in table.groupby("dataset", sort=False)
                 if {"coin", "jpeg"} <= set(points["codec"])]  # fmt: skip
    return pd.DataFrame(rows)
