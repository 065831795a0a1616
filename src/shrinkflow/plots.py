"""Figures of a study, each written as PNG and PDF (matplotlib Agg backend, no display needed).

Every function takes a tidy table (from :mod:`shrinkflow.aggregate`) and an output path; the suffix of the
path is replaced, so ``plot_x(df, "results/figures/x.png")`` writes ``x.png`` and ``x.pdf`` and returns both
paths. Conventions: seaborn's "colorblind" palette, one colour (and marker) per method kept across
figures; means over seeds with Student-t 95% intervals (:mod:`shrinkflow.stats`); axis labels carry units.

Missing data never crashes a figure and never yields a plot that looks complete: when the columns a figure
needs are absent or no rows remain, the figure states "No data" and why, and a warning is logged.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter  # noqa: E402

from .aggregate import level_sort_key, read_benchmarks, sort_runs, summary_wide  # noqa: E402
from .artifacts import atomic_path  # noqa: E402
from .stats import pareto_front, t_halfwidth  # noqa: E402

log = logging.getLogger(__name__)

FORMATS = ("png", "pdf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p")
STYLE = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9.5,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,
}
_PERCENT = PercentFormatter(xmax=1.0, decimals=None)

__all__ = [
    "AttributionExample",
    "attribution_examples",
    "method_style",
    "plot_accuracy_vs_bits",
    "plot_adaptive_fractions",
    "plot_attribution_overlays",
    "plot_boundary_ratios",
    "plot_per_class_heatmap",
    "plot_robustness",
    "plot_runtime",
    "plot_training_curves",
    "read_benchmarks",
    "save_figure",
]


# --------------------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------------------


@contextmanager
def _style():
    with plt.rc_context(STYLE):
        yield


def save_figure(fig: plt.Figure, path: str | os.PathLike, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``fig`` beside ``path`` once per format (suffix replaced), atomically; close it; return paths.

    PDFs carry no creation date, so the same inputs give the same bytes.
    """
    stem = Path(path)
    if stem.suffix.lower().lstrip(".") in FORMATS:
        stem = stem.with_suffix("")
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        with atomic_path(target, suffix=f".{fmt}") as tmp:
            fig.savefig(tmp, format=fmt, metadata=metadata)
        written.append(target)
    plt.close(fig)
    return written


def _no_data(path: str | os.PathLike, title: str, reason: str) -> list[Path]:
    """A figure that says plainly that there was nothing to plot, and why."""
    log.warning("%s: no data (%s); writing a placeholder figure to %s", title, reason, path)
    with _style():
        fig, ax = plt.subplots(figsize=(6, 2.2), layout="constrained")
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(0.5, 0.5, f"No data\n{reason}", ha="center", va="center", fontsize=11, wrap=True)
        return save_figure(fig, path)


def _missing(df: pd.DataFrame | None, columns: Sequence[str]) -> list[str]:
    if df is None:
        return list(columns)
    return [c for c in columns if c not in df.columns]


#: colour family per method: variants of one family share a colour and differ by marker and line style
METHOD_FAMILIES = {
    "identity": "lossless", "png": "lossless", "zfp_reversible": "lossless",
    "dct": "dct", "adaptive": "adaptive", "random_projection": "random_projection",
    "downsample": "downsample", "binary_then_resize": "binary", "resize_then_binary": "binary",
    "jpeg": "jpeg", "zfp_rate": "zfp", "zfp_precision": "zfp", "zfp_accuracy": "zfp",
}  # fmt: skip
LINESTYLES = ("-", "--", ":", "-.")


def method_style(methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Colour, marker and line style per method.

    Methods of one family (lossless controls, binary orders, zfp modes) share a colour from the colorblind
    palette and differ by marker and line style, so thirteen methods stay apart with ten safe colours.
    Unknown methods get their own family.
    """
    names = sorted({str(m) for m in methods})
    # a fixed colour per known family, so that a method keeps its colour in every figure
    known = sorted(set(METHOD_FAMILIES.values()))
    families = known + sorted({METHOD_FAMILIES.get(m, m) for m in names} - set(known))
    palette = sns.color_palette("colorblind", 10)
    colour = {f: palette[i % 10] for i, f in enumerate(families)}
    if "lossless" in colour:
        colour["lossless"] = (0.35, 0.35, 0.35)
    seen: dict[str, int] = {}
    styles = {}
    for i, m in enumerate(names):
        family = METHOD_FAMILIES.get(m, m)
        k = seen[family] = seen.get(family, -1) + 1
        styles[m] = {
            "color": colour[family],
            "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[k % len(LINESTYLES)],
        }
    return styles


def _level_order(levels: Sequence[Any]) -> list[str]:
    return sorted({str(v) for v in levels}, key=level_sort_key)


def _numeric_levels(levels: Sequence[Any]) -> np.ndarray | None:
    try:
        values = np.array([float(v) for v in levels], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if np.all(np.isfinite(values)) else None


def _mean_ci(df: pd.DataFrame, keys: Sequence[str], value: str) -> pd.DataFrame:
    """mean, n and t-interval half-width of ``value`` per ``keys`` (NaN values left out)."""
    grouped = df.groupby(list(keys), sort=False, dropna=False)[value]
    out = grouped.agg(mean="mean", std=lambda s: s.std(ddof=1), n="count").reset_index()
    out["half"] = t_halfwidth(out["std"].to_numpy(), out["n"].to_numpy())
    return out


def _facet_keys(df: pd.DataFrame, candidates: Sequence[str] = ("dataset", "model")) -> list[str]:
    return [c for c in candidates if c in df.columns]


def _facet_label(keys: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values) if keys else ""


def _grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def _log_axis(axis: Any) -> None:
    """Log scale with plain-number labels at 1, 2 and 5 × powers of ten (no 10^k notation)."""
    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _level_meaning(method: str) -> str:
    """The codec's description of its level (for axis labels); "level" for unknown methods."""
    try:
        from . import codecs

        return codecs.get(method).level_meaning
    except Exception:  # noqa: BLE001 - a label must never break a figure
        return "level"


# --------------------------------------------------------------------------------------------------------
# 1. accuracy vs stored bits (headline)
# --------------------------------------------------------------------------------------------------------


def plot_accuracy_vs_bits(
    summary: pd.DataFrame,
    path: str | os.PathLike,
    metric: str = "test_accuracy",
    cost: str = "bits_per_sample",
    metric_label: str = "Test accuracy (%)",
    cost_label: str = "Stored size (bits per sample, log scale)",
) -> list[Path]:
    """Accuracy against stored bits per sample, one line per method over its levels, 95% CI error bars
    and bands over seeds, the Pareto front (fewest bits for the accuracy) marked; one panel per
    (dataset, model). ``summary`` is the long table of :func:`shrinkflow.aggregate.summary`."""
    title = f"{metric} vs {cost}"
    if _missing(summary, ["method", "level", "metric", "mean"]):
        return _no_data(
            path, title, f"summary lacks columns {_missing(summary, ['method', 'level', 'metric'])}"
        )
    wide = summary_wide(summary, [metric, cost])
    needed = [f"{metric}_mean", f"{cost}_mean"]
    if _missing(wide, needed):
        return _no_data(path, title, f"no '{metric}' or '{cost}' rows in the summary")
    wide = wide.dropna(subset=needed)
    wide = wide[wide[f"{cost}_mean"] > 0]
    if wide.empty:
        return _no_data(path, title, f"no run has both '{metric}' and a positive '{cost}'")

    facets = _facet_keys(wide)
    groups = list(wide.groupby(facets, sort=True)) if facets else [((), wide)]
    styles = method_style(wide["method"])
    nrows, ncols = _grid(len(groups), 2)
    with _style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(5.6 * ncols + 1.8, 4.2 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[len(groups) :]:
            ax.set_visible(False)
        for ax, (keys, panel) in zip(axes.flat, groups, strict=False):
            keys = keys if isinstance(keys, tuple) else (keys,)
            for method, rows in panel.groupby("method", sort=True):
                rows = rows.sort_values(f"{cost}_mean")
                x = rows[f"{cost}_mean"].to_numpy()
                y = rows[f"{metric}_mean"].to_numpy()
                lo = rows.get(f"{metric}_ci95_low", pd.Series(np.nan, index=rows.index)).to_numpy()
                hi = rows.get(f"{metric}_ci95_high", pd.Series(np.nan, index=rows.index)).to_numpy()
                has_ci = np.isfinite(lo) & np.isfinite(hi)
                err = np.where(has_ci, [y - lo, hi - y], 0.0)
                st = styles[method]
                ax.errorbar(
                    x, y, yerr=err, color=st["color"], marker=st["marker"], ms=5, lw=1.5, capsize=2.5,
                    ls=st["linestyle"], label=method, zorder=3,
                )  # fmt: skip
                if len(x) > 1 and has_ci.all():
                    ax.fill_between(x, lo, hi, color=st["color"], alpha=0.15, lw=0, zorder=2)
            px, py = panel[f"{cost}_mean"].to_numpy(), panel[f"{metric}_mean"].to_numpy()
            front = pareto_front(px, py)
            order = np.argsort(px[front], kind="stable")
            ax.plot(
                px[front][order], py[front][order], color="black", ls=(0, (1, 1)), lw=1.2,
                drawstyle="steps-post",
                zorder=4, label="_front",
            )  # fmt: skip
            ax.scatter(
                px[front], py[front], s=110, facecolors="none", edgecolors="black", lw=1.2, zorder=5,
                label="_front_points",
            )  # fmt: skip
            _log_axis(ax.xaxis)
            ax.yaxis.set_major_formatter(
                _PERCENT if py.max() <= 1.0 else FuncFormatter(lambda v, _: f"{v:g}")
            )
            if py.max() <= 1.0:  # a CI of a fraction may reach past 100% with few seeds; show the range
                ax.set_ylim(max(ax.get_ylim()[0], -0.02), min(ax.get_ylim()[1], 1.02))
            ax.set_xlabel(cost_label)
            ax.set_ylabel(metric_label)
            if facets:
                ax.set_title(_facet_label(facets, keys))
        handles = [
            Line2D([], [], color=s["color"], marker=s["marker"], ls=s["linestyle"], lw=1.5, label=m)
            for m, s in styles.items()
        ]
        handles.append(
            Line2D([], [], color="black", ls=(0, (1, 1)), marker="o", mfc="none", ms=9, label="Pareto front")
        )
        fig.legend(handles=handles, loc="outside right upper", title="method", frameon=False)
        fig.suptitle("Accuracy against storage (mean over seeds, 95% CI)")
        return save_figure(fig, path)


# --------------------------------------------------------------------------------------------------------
# 2. training curves
# --------------------------------------------------------------------------------------------------------


def plot_training_curves(histories: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Train (dashed) and test (solid) loss and accuracy per epoch, one row per method, one colour per
    level; mean over seeds with a 95% CI band. ``histories`` is :func:`aggregate.collect_histories`."""
    title = "Training curves"
    missing = _missing(histories, ["method", "level", "epoch"])
    if missing:
        return _no_data(path, title, f"histories lack columns {missing}")
    panels = [
        ("Cross-entropy loss", [c for c in ("train_loss", "test_loss") if c in histories.columns]),
        ("Accuracy (%)", [c for c in ("train_accuracy", "test_accuracy") if c in histories.columns]),
    ]
    panels = [(label, cols) for label, cols in panels if cols]
    if histories.empty or not panels:
        return _no_data(path, title, "no history rows with loss or accuracy columns")

    row_keys = [k for k in ("dataset", "model") if k in histories.columns and histories[k].nunique() > 1]
    row_keys.append("method")
    rows = list(sort_runs(histories, row_keys).groupby(row_keys, sort=False))
    with _style():
        fig, axes = plt.subplots(
            len(rows), len(panels), figsize=(4.4 * len(panels) + 1.6, 2.5 * len(rows) + 0.6),
            layout="constrained", squeeze=False,
        )  # fmt: skip
        for r, (keys, frame) in enumerate(rows):
            keys = keys if isinstance(keys, tuple) else (keys,)
            levels = _level_order(frame["level"])
            palette = sns.color_palette("colorblind", max(len(levels), 1))
            for c, (label, cols) in enumerate(panels):
                ax = axes[r, c]
                for li, level in enumerate(levels):
                    sub = frame[frame["level"].astype(str) == level]
                    for col in cols:
                        stats = _mean_ci(sub, ["epoch"], col).sort_values("epoch")
                        x, y, h = stats["epoch"], stats["mean"], stats["half"]
                        ls = "--" if col.startswith("train") else "-"
                        ax.plot(x, y, color=palette[li % len(palette)], ls=ls, lw=1.5, marker=".", ms=4)
                        if np.isfinite(h).any():
                            ax.fill_between(
                                x, y - h, y + h, color=palette[li % len(palette)], alpha=0.15, lw=0
                            )
                if "ccuracy" in label:
                    ax.yaxis.set_major_formatter(_PERCENT)
                ax.set_ylabel(label)
                ax.set_xlabel("Epoch" if r == len(rows) - 1 else "")
                ax.xaxis.get_major_locator().set_params(integer=True)
                ax.set_title(" · ".join(str(k) for k in keys) + f": {label.split(' (')[0].lower()}")
            handles = [
                Line2D([], [], color=palette[i % len(palette)], lw=2, label=lv) for i, lv in enumerate(levels)
            ]
            axes[r, -1].legend(
                handles=handles, title="level", loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False
            )
        style_handles = [
            Line2D([], [], color="0.3", ls="--", label="train"),
            Line2D([], [], color="0.3", ls="-", label="test"),
        ]
        fig.legend(handles=style_handles, loc="outside upper center", ncols=2, frameon=False)
        return save_figure(fig, path)


# --------------------------------------------------------------------------------------------------------
# 3. AdaptCompression level fractions
# --------------------------------------------------------------------------------------------------------

_FRAC = re.compile(r"^frac_k(\d+)$")


def plot_adaptive_fractions(
    histories: pd.DataFrame, path: str | os.PathLike, policy_col: str | None = None
) -> list[Path]:
    """Share of training samples at each DCT level per epoch (stacked, mean over seeds), one panel per
    threshold policy (``policy_col``; default ``adaptive.policy`` when present, else method and level).
    The assigned storage per epoch (``assigned_stored_bytes``) is drawn on a second axis when present."""
    title = "AdaptCompression: samples per level"
    if histories is None or "epoch" not in histories.columns:
        return _no_data(path, title, "histories lack an 'epoch' column")
    fracs = sorted((c for c in histories.columns if _FRAC.match(c)), key=lambda c: int(_FRAC.match(c)[1]))
    if not fracs:
        return _no_data(path, title, "no frac_k* columns: no AdaptCompression runs among the histories")
    data = histories.dropna(subset=fracs, how="all")
    if data.empty:
        return _no_data(path, title, "every frac_k* value is missing")
    if policy_col is None and "adaptive.policy" in data.columns:
        policy_col = "adaptive.policy"
    if policy_col is not None and policy_col not in data.columns:
        return _no_data(path, title, f"policy column {policy_col!r} not in the histories")
    group_cols = [policy_col] if policy_col else [c for c in ("method", "level") if c in data.columns]
    extra = [k for k in ("dataset", "model") if k in data.columns and data[k].nunique() > 1]
    group_cols = extra + group_cols
    groups = list(data.groupby(group_cols, sort=True)) if group_cols else [((), data)]
    palette = sns.color_palette("colorblind", len(fracs))
    labels = [f"k = {_FRAC.match(c)[1]}" for c in fracs]
    nrows, ncols = _grid(len(groups), 3)
    with _style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(4.6 * ncols + 1.4, 3.4 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[len(groups) :]:
            ax.set_visible(False)
        for ax, (keys, frame) in zip(axes.flat, groups, strict=False):
            keys = keys if isinstance(keys, tuple) else (keys,)
            mean = frame.groupby("epoch", sort=True)[fracs].mean().fillna(0.0)
            ax.stackplot(mean.index, mean.T.to_numpy(), colors=palette, labels=labels, alpha=0.85)
            ax.set_ylim(0, 1)
            ax.set_xlim(mean.index.min(), mean.index.max())
            ax.yaxis.set_major_formatter(_PERCENT)
            ax.set_xlabel("Epoch")
            ax.set_ylabel("Share of training samples")
            ax.xaxis.get_major_locator().set_params(integer=True)
            name = policy_col.rsplit(".", 1)[-1] if policy_col else "run"
            ax.set_title(f"{name}: " + " · ".join(str(k) for k in keys) if keys else "")
            if "assigned_stored_bytes" in frame.columns and frame["assigned_stored_bytes"].notna().any():
                kib = frame.groupby("epoch", sort=True)["assigned_stored_bytes"].mean() / 1024
                twin = ax.twinx()
                twin.plot(kib.index, kib.to_numpy(), color="black", lw=1.5, marker=".", label="storage")
                twin.set_ylabel("Assigned storage (KiB)")
                twin.grid(False)
                twin.spines["right"].set_visible(True)
                twin.set_ylim(bottom=0)
        handles = [plt.Rectangle((0, 0), 1, 1, color=p, alpha=0.85) for p in palette]
        handles.append(Line2D([], [], color="black", lw=1.5, marker=".", label="assigned storage"))
        fig.legend(
            handles, [*labels, "assigned storage (right axis)"], loc="outside right upper",
            title="DCT level", frameon=False,
        )  # fmt: skip
        return save_figure(fig, path)


# --------------------------------------------------------------------------------------------------------
# 4. per-class accuracy heatmap
# --------------------------------------------------------------------------------------------------------

_CLASS = re.compile(r"^per_class_accuracy_(\d+)$")


def plot_per_class_heatmap(
    runs: pd.DataFrame, path: str | os.PathLike, class_names: Sequence[str] | None = None
) -> list[Path]:
    """Mean test accuracy per class (columns) for each method/level (rows), annotated in per cent; one
    block per (dataset, model) when there are several."""
    title = "Per-class test accuracy"
    cols = sorted((c for c in runs.columns if _CLASS.match(c)), key=lambda c: int(_CLASS.match(c)[1]))
    if _missing(runs, ["method", "level"]) or not cols:
        return _no_data(path, title, "runs lack method/level or per_class_accuracy_* columns")
    keys = [k for k in ("dataset", "model") if k in runs.columns and runs[k].nunique() > 1]
    keys += ["method", "level"]
    table = sort_runs(runs, keys).groupby(keys, sort=False)[cols].mean()
    table = table.dropna(how="all")
    if table.empty:
        return _no_data(path, title, "every per-class accuracy is missing")
    table.index = [" · ".join(str(v) for v in (i if isinstance(i, tuple) else (i,))) for i in table.index]
    n_classes = len(cols)
    if class_names is not None and len(class_names) == n_classes:
        table.columns = list(class_names)
    else:
        table.columns = [str(_CLASS.match(c)[1]) for c in cols]
    annotate = n_classes <= 20
    with _style():
        fig, ax = plt.subplots(
            figsize=(max(5.0, 0.62 * n_classes + 3.2), 0.36 * len(table) + 1.6), layout="constrained"
        )
        sns.heatmap(
            table * 100, ax=ax, cmap="viridis", vmin=max(0.0, float(np.nanmin(table.to_numpy())) * 100 - 1),
            vmax=100, annot=annotate, fmt=".1f", annot_kws={"fontsize": 7.5}, linewidths=0.4,
            linecolor="white", cbar_kws={"label": "Test accuracy of the class (%)"},
        )  # fmt: skip
        ax.set_xlabel("Class")
        ax.set_ylabel(" · ".join(keys))
        ax.tick_params(axis="x", rotation=45 if class_names is not None else 0)
        ax.tick_params(axis="y", rotation=0)
        ax.set_title(f"{title} (mean over seeds)")
        ax.grid(False)
        return save_figure(fig, path)


# --------------------------------------------------------------------------------------------------------
# 5. attribution overlays
# --------------------------------------------------------------------------------------------------------


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
        return _no_data(path, title, "no attribution examples")
    with _style():
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


# --------------------------------------------------------------------------------------------------------
# 6. robustness of reference models on compressed test sets
# --------------------------------------------------------------------------------------------------------


def _model_label(model: str) -> str:
    return f"{model} (with BatchNorm)" if model.endswith("_bn") else model


def plot_robustness(
    rows: pd.DataFrame, path: str | os.PathLike, clean_method: str = "identity"
) -> list[Path]:
    """Accuracy of models trained on raw data, evaluated on test sets decoded by each codec, against the
    codec's level (one panel per codec), one line per model (e.g. with and without BatchNorm), mean over
    seeds with 95% CI; the model's clean accuracy (``clean_method`` rows) is a dotted line."""
    title = "Robustness to compressed test data"
    missing = _missing(rows, ["method", "level", "model", "accuracy"])
    if missing:
        return _no_data(path, title, f"robustness rows lack columns {missing}")
    data = rows.dropna(subset=["accuracy"])
    compressed = data[data["method"] != clean_method]
    if compressed.empty:
        return _no_data(path, title, f"no rows besides the clean method {clean_method!r}")
    models = sorted(data["model"].astype(str).unique())
    palette = dict(zip(models, sns.color_palette("colorblind", len(models)), strict=True))
    markers = dict(zip(models, MARKERS, strict=False))
    clean = _mean_ci(data[data["method"] == clean_method], ["model"], "accuracy").set_index("model")
    methods = sorted(compressed["method"].astype(str).unique())
    nrows, ncols = _grid(len(methods), 3)
    with _style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(4.5 * ncols + 2.2, 3.5 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[len(methods) :]:
            ax.set_visible(False)
        for ax, method in zip(axes.flat, methods, strict=False):
            sub = compressed[compressed["method"] == method]
            levels = _level_order(sub["level"])
            numeric = _numeric_levels(levels)
            pos = dict(zip(levels, numeric if numeric is not None else range(len(levels)), strict=True))
            for model in models:
                stats = _mean_ci(sub[sub["model"].astype(str) == model], ["level"], "accuracy")
                if stats.empty:
                    continue
                stats["x"] = stats["level"].astype(str).map(pos)
                stats = stats.sort_values("x")
                err = np.where(np.isfinite(stats["half"]), stats["half"], 0.0)
                ax.errorbar(
                    stats["x"], stats["mean"], yerr=err, color=palette[model], marker=markers[model], ms=5,
                    capsize=2.5, lw=1.5,
                )  # fmt: skip
                if model in clean.index:
                    ax.axhline(clean.loc[model, "mean"], color=palette[model], ls=":", lw=1.2)
            if numeric is None:
                ax.set_xticks(range(len(levels)), levels, rotation=45, ha="right")
            ax.yaxis.set_major_formatter(_PERCENT)
            ax.set_xlabel(_level_meaning(method))
            ax.set_ylabel("Test accuracy (%)")
            ax.set_title(method)
        handles = [
            Line2D([], [], color=palette[m], marker=markers[m], lw=1.5, label=_model_label(m)) for m in models
        ]
        handles.append(Line2D([], [], color="0.4", ls=":", lw=1.2, label=f"clean test set ({clean_method})"))
        fig.legend(
            handles=handles, loc="outside right upper", title="model trained on raw data", frameon=False
        )
        fig.suptitle("Reference models on compressed test sets (mean over seeds, 95% CI)")
        return save_figure(fig, path)


# --------------------------------------------------------------------------------------------------------
# 7. decision-boundary distance ratios
# --------------------------------------------------------------------------------------------------------


def plot_boundary_ratios(
    runs: pd.DataFrame, path: str | os.PathLike, column: str = "boundaries_distance_ratio"
) -> list[Path]:
    """Median boundary distance of each compressed-data model divided by its reference's, per method and
    level: one dot per seed (hollow where either median was censored at the search radius), black bar =
    mean with 95% CI; the dashed line at 1 means "as far from the boundary as the reference"."""
    title = "Decision-boundary distance ratio"
    missing = _missing(runs, ["method", "level", column])
    if missing:
        return _no_data(path, title, f"runs lack columns {missing}")
    data = runs.dropna(subset=[column])
    if data.empty:
        return _no_data(path, title, f"every {column!r} value is missing")
    censored_col = f"{column}_censored"
    facets = _facet_keys(data)
    groups = list(data.groupby(facets, sort=True)) if facets else [((), data)]
    styles = method_style(data["method"])
    n_max = max(len(g.groupby(["method", "level"])) for _, g in groups)
    with _style():
        fig, axes = plt.subplots(
            len(groups), 1, figsize=(max(5.5, 0.5 * n_max + 3.0), 3.6 * len(groups) + 0.4),
            layout="constrained", squeeze=False,
        )  # fmt: skip
        for ax, (keys, panel) in zip(axes[:, 0], groups, strict=True):
            keys = keys if isinstance(keys, tuple) else (keys,)
            ordered = sort_runs(panel, ("method", "level", "seed"))
            pairs = zip(ordered["method"].astype(str), ordered["level"].astype(str), strict=True)
            cells = list(dict.fromkeys(pairs))
            for x, (method, level) in enumerate(cells):
                cell = ordered[
                    (ordered["method"].astype(str) == method) & (ordered["level"].astype(str) == level)
                ]
                vals = cell[column].astype(float).to_numpy()
                offsets = (np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(1)) - 0.1
                cens = (
                    cell[censored_col].fillna(False).astype(bool).to_numpy()
                    if censored_col in cell.columns
                    else np.zeros(len(vals), bool)
                )
                st = styles[method]
                ax.scatter(
                    x + offsets[~cens], vals[~cens], color=st["color"], marker=st["marker"], s=26, zorder=3
                )
                ax.scatter(
                    x + offsets[cens], vals[cens], facecolors="none", edgecolors=st["color"],
                    marker=st["marker"], s=26, zorder=3,
                )  # fmt: skip
                mean = vals.mean()
                half = t_halfwidth(vals.std(ddof=1) if len(vals) > 1 else np.nan, len(vals))[()]
                ax.errorbar(
                    x + 0.22, mean, yerr=half if np.isfinite(half) else 0, color="black", marker="_",
                    ms=12, capsize=3, lw=1.2, zorder=4,
                )  # fmt: skip
            ax.axhline(1.0, color="0.3", ls="--", lw=1)
            ax.set_xticks(
                range(len(cells)), [f"{m} {lv}" for m, lv in cells], rotation=45, ha="right",
                rotation_mode="anchor",
            )  # fmt: skip
            ax.set_xlim(-0.6, len(cells) - 0.4)
            ax.set_ylabel("Boundary distance ratio\n(model / reference)")
            ax.set_xlabel("method, level")
            if facets:
                ax.set_title(_facet_label(facets, keys))
        handles = [
            Line2D([], [], ls="", marker="o", color="0.3", label="seed"),
            Line2D([], [], ls="", marker="o", mfc="none", color="0.3", label="seed, censored median"),
            Line2D([], [], ls="", marker="_", ms=12, color="black", label="mean ± 95% CI"),
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=3, frameon=False)
        return save_figure(fig, path)


# --------------------------------------------------------------------------------------------------------
# 8. runtime and memory per rule
# --------------------------------------------------------------------------------------------------------


def plot_runtime(benchmarks_df: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Wall-clock seconds (log scale) and peak resident memory per job, grouped by Snakemake rule, from
    :func:`read_benchmarks`; a black bar marks each rule's median, the tick label gives the job count."""
    title = "Runtime and memory per rule"
    missing = _missing(benchmarks_df, ["rule", "s"])
    if missing:
        return _no_data(path, title, f"benchmarks lack columns {missing}")
    data = benchmarks_df.dropna(subset=["s"])
    if data.empty:
        return _no_data(path, title, "no benchmark rows with a runtime")
    rules = sorted(data["rule"].astype(str).unique())
    counts = data.groupby("rule")["s"].count()
    labels = [f"{r} (n={counts[r]})" for r in rules]
    panels = [("s", "Wall-clock time per job (s, log scale)", True)]
    if "max_rss" in data.columns and data["max_rss"].notna().any():
        panels.append(("max_rss", "Peak memory per job, max RSS (MB)", False))
    palette = dict(zip(rules, sns.color_palette("colorblind", len(rules)), strict=False))
    with _style():
        fig, axes = plt.subplots(
            1, len(panels), figsize=(4.6 * len(panels) + 1.6, 0.45 * len(rules) + 1.6), layout="constrained",
            squeeze=False, sharey=True,
        )  # fmt: skip
        for ax, (col, label, logx) in zip(axes[0], panels, strict=True):
            for y, rule in enumerate(rules):
                vals = data.loc[data["rule"].astype(str) == rule, col].dropna().to_numpy(dtype=float)
                if vals.size == 0:
                    continue
                jitter = np.linspace(-0.2, 0.2, vals.size) if vals.size > 1 else np.zeros(1)
                ax.scatter(vals, y + jitter, s=14, color=palette[rule], alpha=0.7, zorder=3)
                ax.plot([np.median(vals)] * 2, [y - 0.32, y + 0.32], color="black", lw=2, zorder=4)
            if logx:
                _log_axis(ax.xaxis)
            ax.set_xlabel(label)
            ax.set_yticks(range(len(rules)), labels)
            ax.set_ylim(-0.6, len(rules) - 0.4)
            ax.invert_yaxis()
        axes[0, 0].set_ylabel("Snakemake rule")
        fig.suptitle(f"{title} (dots: jobs, bar: median)")
        return save_figure(fig, path)
