"""The reference's half of the per-run analyses, computed once per reference and stored.

Every run of a seed is compared with the same reference (identity data, same model and seed) on the same raw
test images, and each analysis computes the same things on that reference each time: its logits and
embeddings, its attribution maps of the seeded image subset, its boundary distances along the seeded
directions. The workflow's ``analyze_reference`` rule computes them once per reference model and writes them
to ``results/analysis/{dataset}/identity/full/{model}/seed{seed}/reference.npz``; the ``analyze_run`` and
``analyze_model`` jobs read that file instead of recomputing. The arrays are those the analyses would compute
themselves (the same functions on the same inputs, one CPU thread), so the results are bit-identical with or
without the file; ``tests/test_analysis_reference.py`` checks it.

Each analysis module that has a reference half defines ``reference_part(reference, x_raw, settings)`` →
named arrays. The file holds them as ``{analysis}/{name}``, with the settings they were computed with and the
sha256 of the reference's model file and of the raw test images, so a stale or foreign file is refused with
an error naming what differs instead of giving wrong numbers.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import artifacts

_META = "__meta__"


def _canonical(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` as they read back from JSON (tuples as lists), so stored and given ones compare."""
    return json.loads(json.dumps(settings, sort_keys=True, default=str))


def images_sha256(x_raw: np.ndarray) -> str:
    """Digest of the raw test images (shape, dtype and bytes)."""
    x = np.ascontiguousarray(x_raw)
    digest = hashlib.sha256(f"{x.shape}{x.dtype}".encode())
    digest.update(x.data)
    return digest.hexdigest()


def _module(name: str):
    return importlib.import_module(f"{__package__}.{name}")


def has_reference_part(name: str) -> bool:
    """Whether analysis ``name`` computes something on the reference alone (defines ``reference_part``)."""
    return hasattr(_module(name), "reference_part")


def reference_part(name: str, reference: Any, x_raw: np.ndarray, settings: Mapping[str, Any]):
    """``{array name: array}``: what analysis ``name`` computes on the reference alone (its module's
    ``reference_part``)."""
    return _module(name).reference_part(reference, x_raw, settings)


def compute(
    reference: Any, x_raw: np.ndarray, names: Sequence[str], settings: Mapping[str, Mapping[str, Any]]
) -> dict[str, np.ndarray]:
    """The reference halves of the analyses ``names`` that have one, as one flat
    ``{"{analysis}/{array}": array}`` mapping."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        if has_reference_part(name):
            for key, value in reference_part(name, reference, x_raw, settings[name]).items():
                out[f"{name}/{key}"] = np.asarray(value)
    return out


def save(
    path: str | os.PathLike,
    arrays: Mapping[str, np.ndarray],
    settings: Mapping[str, Mapping[str, Any]],
    model_sha256: str,
    x_raw: np.ndarray,
) -> None:
    """Write :func:`compute`'s arrays with what they depend on (atomically; no timing, so the same inputs
    give the same bytes)."""
    names = sorted({key.split("/", 1)[0] for key in arrays})
    meta = {
        "analyses": names,
        "settings": {name: _canonical(settings[name]) for name in names},
        "model_sha256": model_sha256,
        "images_sha256": images_sha256(x_raw),
    }
    artifacts.save_npz(path, {**arrays, _META: np.array(json.dumps(meta, sort_keys=True))})


class ReferenceCache:
    """A stored reference half (:func:`save`), checked against the job that reads it."""

    def __init__(self, path: str | os.PathLike, model_sha256: str, x_raw: np.ndarray):
        self.path = str(path)
        arrays = artifacts.load_npz(path)
        if _META not in arrays:
            raise ValueError(f"{path}: not a reference-analysis file (no {_META} record); rebuild it")
        self.meta = json.loads(str(arrays.pop(_META)))
        self.arrays = arrays
        if self.meta["model_sha256"] != model_sha256:
            raise ValueError(
                f"{path} was computed from another reference model (sha256 "
                f"{self.meta['model_sha256'][:12]}…, this one {model_sha256[:12]}…); rebuild it"
            )
        if self.meta["images_sha256"] != images_sha256(x_raw):
            raise ValueError(f"{path} was computed on other test images than this dataset's; rebuild it")

    def part(self, name: str, settings: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The stored arrays of analysis ``name``; ``ValueError`` when it is missing or was computed with
        other settings."""
        if name not in self.meta["analyses"]:
            raise ValueError(
                f"{self.path} holds the reference half of {self.meta['analyses']}, not of {name!r}; "
                "rebuild it"
            )
        stored = self.meta["settings"][name]
        wanted = _canonical(settings)
        if stored != wanted:
            raise ValueError(
                f"{self.path}: analysis.{name} settings differ from those it was computed with "
                f"(stored {stored}, wanted {wanted}); rebuild it"
            )
        prefix = f"{name}/"
        return {k[len(prefix) :]: v for k, v in self.arrays.items() if k.startswith(prefix)}
