"""Attribution overlays: a few test images beside the reference model's and a compressed-data model's
attribution maps, with the pair's weighted Jaccard similarity.

Shows *where* a model trained on compressed data looks, next to the number that summarises it. Reads the
shown runs' ``attributions.json`` and ``attributions.npz`` and their datasets' ``results/data/*.npz``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ..artifacts import load_npz, read_json
from .style import MethodInfo, no_data, rc_style, save_figure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttributionExample:
    """One test image and its two attribution maps.

    ``image``: H×W or H×W×C (uint8 0–255 or float 0–1); ``reference_map`` / ``compressed_map``: H×W maps of
    the reference model and the model trained on compressed data (same attribution method and target);
    ``similarity``: their weighted Jaccard (or any score in [0, 1]); ``label``: a row title such as
    "test image 17, class 3".
    """

    image: np.ndarray
    reference_map: np.ndarray
    compressed_map: np.ndarray
    similarity: float
    label: str = ""


def attribution_examples(
    arrays: Mapping[str, np.ndarray], images: np.ndarray, method: str = "saliency", n: int = 4
) -> list[AttributionExample]:
    """Examples from an attribution analysis's arrays (``image_indices``, ``{method}_maps``,
    ``{method}_reference_maps``, ``{method}_similarity``) and the raw test images (N×H×W×C)."""
    needed = ["image_indices", f"{method}_maps", f"{method}_reference_maps", f"{method}_similarity"]
    missing = [k for k in needed if k not in arrays]
    if missing:
        raise KeyError(f"attribution arrays lack {missing}; present: {sorted(arrays)}")
    maps, refs = np.asarray(arrays[f"{method}_maps"]), np.asarray(arrays[f"{method}_reference_maps"])
    idx, sim = np.asarray(arrays["image_indices"]), np.asarray(arrays[f"{method}_similarity"])
    count = min(n, maps.shape[0], refs.shape[0])
    return [
        AttributionExample(
            image=np.asarray(images[int(idx[i])]),
            reference_map=refs[i],
            compressed_map=maps[i],
            similarity=float(sim[i]),
            label=f"test image {int(idx[i])}",
        )
        for i in range(count)
    ]


def _as_display_image(image: np.ndarray) -> tuple[np.ndarray, str | None]:
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    img = img.astype(np.float64) / (255.0 if np.issubdtype(np.asarray(image).dtype, np.integer) else 1.0)
    return np.clip(img, 0, 1), ("gray" if img.ndim == 2 else None)


def plot_attribution_overlays(
    examples: Sequence[AttributionExample | Mapping[str, Any]],
    path: str | os.PathLike,
    method: str = "attribution",
    compressed_name: str = "compressed-data model",
) -> list[Path]:
    """Rows of (input image, reference model's map, compressed-data model's map) with the pair's
    similarity in the title; both maps of a row share one colour scale (diverging when a map has negative
    values)."""
    title = f"{method} maps"
    items = [e if isinstance(e, AttributionExample) else AttributionExample(**e) for e in examples]
    if not items:
        return no_data(path, title, "no attribution examples")
    with rc_style():
        fig, axes = plt.subplots(
            len(items), 3, figsize=(8.4, 2.5 * len(items) + 0.5), layout="constrained", squeeze=False
        )
        for r, ex in enumerate(items):
            img, cmap = _as_display_image(ex.image)
            axes[r, 0].imshow(img, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            axes[r, 0].set_title(ex.label or f"example {r + 1}")
            ref, comp = np.asarray(ex.reference_map, float), np.asarray(ex.compressed_map, float)
            signed = min(np.nanmin(ref), np.nanmin(comp)) < 0
            vmax = float(max(np.nanmax(np.abs(ref)), np.nanmax(np.abs(comp)), 1e-12))
            kw = (
                dict(cmap="RdBu_r", vmin=-vmax, vmax=vmax)
                if signed
                else dict(cmap="magma", vmin=0, vmax=vmax)
            )
            axes[r, 1].imshow(ref, interpolation="nearest", **kw)
            axes[r, 1].set_title("reference model")
            im = axes[r, 2].imshow(comp, interpolation="nearest", **kw)
            axes[r, 2].set_title(f"{compressed_name}\nweighted Jaccard = {ex.similarity:.2f}")
            fig.colorbar(im, ax=axes[r, 1:], shrink=0.85, label="attribution (normalised)")
            for ax in axes[r]:
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_linewidth(0.5)
        fig.suptitle(f"{method} attribution: input, reference model's map, compressed-data model's map")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["json"]`` / ``inputs["npz"]``: each shown run's ``attributions.json`` and the matching
    ``attributions.npz`` (same order); ``inputs["data"]``: ``results/data/{dataset}.npz`` of those runs.
    One row per run, saliency when the run has it, else its first attribution method."""
    examples, used = [], set()
    data_paths = {Path(p).stem: p for p in inputs["data"]}
    for json_path, npz_path in zip(inputs["json"], inputs["npz"], strict=True):
        record = read_json(json_path)
        data = load_npz(data_paths[record["dataset"]])
        arrays = load_npz(npz_path)
        methods = record.get("attribution_methods_used") or []
        method = "saliency" if "saliency" in methods else (methods[0] if methods else None)
        if method is None:
            log.warning("%s: no attribution was possible; left out of the figure", json_path)
            continue
        for example in attribution_examples(arrays, data["x_test"], method=method, n=1):
            label = f"{record['method']} {record['level']}\n{method.replace('_', ' ')}, {example.label}"
            examples.append(dataclasses.replace(example, label=label))
            used.add(method)
    title_method = used.pop().replace("_", " ") if len(used) == 1 else "per-row"
    return plot_attribution_overlays(examples, png, method=title_method)
