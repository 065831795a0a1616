"""The rate–distortion grid of a study (``rate_distortion`` block): which image sets, codecs and levels, and
its config checks. Torch-free: the Snakefile reads it at parse time.

One job per (image set, codec, level) writes ``results/rd/{dataset}/{codec}/{level}.json`` and the stored
payloads beside it (:data:`shrinkflow.layout.STAGES` ``rd`` and ``rd_payloads``). An image set is
:data:`PACKAGED` (scikit-image's losslessly stored colour photographs, resized as the block says: the
offline default) or any registered dataset of RGB images (``kodak``), whose test split is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import datasets, rd

#: the offline image set: scikit-image's bundled photographs (JPEG-stored ones skipped)
PACKAGED = "skimage_photos"
#: what a level is written as in paths
LEVEL_REGEX = r"[A-Za-z0-9._\-]+"


def settings(config: Mapping[str, Any]) -> Mapping[str, Any]:
    return config.get("rate_distortion") or {}


def image_sets() -> list[str]:
    """Every image set a study may name: the packaged photographs and the registered RGB datasets."""
    rgb = [d for d in datasets.names() if tuple(datasets.get(d).image_shape)[2:] == (3,)]
    return [PACKAGED, *rgb]


def points(config: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every rate–distortion job: dataset, codec, level (as spelled in paths)."""
    block = settings(config)
    return [
        {"dataset": dataset, "codec": codec, "level": str(level)}
        for dataset in block.get("datasets") or []
        for codec, levels in (block.get("codecs") or {}).items()
        for level in levels
    ]


#: the codec whose levels share one float fit per architecture (rule fit_coin_ptq)
SHARED_FIT = "coin_ptq"


def fit_architecture(codec: str, level: str) -> str | None:
    """The architecture whose shared float fit a point quantizes (``coin_ptq``), else None."""
    return rd.parse_level(codec, level).architecture.name if codec == SHARED_FIT else None


def float_fits(config: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every shared float fit: dataset, codec, arch (one per coin_ptq architecture and image set)."""
    found = {
        (p["dataset"], arch): None
        for p in points(config)
        if (arch := fit_architecture(p["codec"], p["level"])) is not None
    }
    return [{"dataset": d, "codec": SHARED_FIT, "arch": a} for d, a in found]


def codec_params(config: Mapping[str, Any], codec: str) -> dict[str, Any]:
    """The user's parameters of one codec (the codec fills in its defaults)."""
    return dict((settings(config).get("params") or {}).get(codec) or {})


def image_shape(config: Mapping[str, Any], dataset: str) -> tuple[int, int, int]:
    """H×W×3 of the images a job of ``dataset`` encodes."""
    if dataset == PACKAGED:
        size = settings(config).get("photos", {}).get("size", 64)
        height, width = (size, size) if isinstance(size, int) else size
        return int(height), int(width), 3
    return tuple(datasets.get(dataset).image_shape)


def _check_params(codec: str, params: Mapping[str, Any]) -> None:
    """The codec's parameter checks; for the neural codecs the torch-free part (unknown keys, the fitting
    knobs), the rest when the job starts."""
    from .rd.params import NEURAL_PARAMS, check_fit_params

    if codec not in NEURAL_PARAMS:
        rd.get(codec).params(params)  # classical: numpy, Pillow, zfpy
        return
    unknown = set(params) - set(NEURAL_PARAMS[codec])
    if unknown:
        raise rd.RDLevelError(
            f"{codec}: unknown parameter(s) {sorted(unknown)}; allowed: {sorted(NEURAL_PARAMS[codec])}"
        )
    check_fit_params(codec, {**NEURAL_PARAMS[codec], **params})


def check(config: Mapping[str, Any]) -> list[str]:
    """One line per problem of the ``rate_distortion`` block (key, value, what is allowed)."""
    block = settings(config)
    problems: list[str] = []
    allowed = image_sets()
    for dataset in block.get("datasets") or []:
        if dataset not in allowed:
            problems.append(
                f"rate_distortion.datasets: {dataset!r} is not an RGB image set; allowed: {allowed}"
            )
            continue
        for codec in block.get("codecs") or {}:
            try:
                rd.check_image_shape(codec, image_shape(config, dataset))
            except rd.RDLevelError as err:
                problems.append(f"rate_distortion.datasets.{dataset}: {err}")
    for codec, levels in (block.get("codecs") or {}).items():
        if codec not in rd.names():
            problems.append(f"rate_distortion.codecs: unknown codec {codec!r}; allowed: {rd.names()}")
            continue
        for level in levels:
            try:
                rd.parse_level(codec, level)
            except rd.RDLevelError as err:
                problems.append(f"rate_distortion.codecs.{codec}: {err}")
    for codec, params in (block.get("params") or {}).items():
        if codec not in rd.names():
            problems.append(f"rate_distortion.params: unknown codec {codec!r}; allowed: {rd.names()}")
            continue
        try:
            _check_params(codec, params or {})
        except (rd.RDLevelError, KeyError, TypeError, ValueError) as err:
            problems.append(f"rate_distortion.params.{codec}: {err}")
    anchor = block.get("anchor", "jpeg")
    if block.get("codecs") and anchor not in (block.get("codecs") or {}):
        problems.append(
            f"rate_distortion.anchor: {anchor!r} has no levels in rate_distortion.codecs; "
            f"allowed: {sorted(block.get('codecs') or {})}"
        )
    return problems
