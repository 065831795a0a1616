"""What every figure shares: rc style, method colours and markers, the "No data" placeholder, saving, and
small helpers for means with 95% intervals, panel grids, level order and log axes.

Colours follow method *families* (``Codec.family``, from :func:`shrinkflow.codecs.method_info`), so a method
keeps its colour in every figure; the figure jobs pass that mapping in because their environment need not
have torch (which the codec registry imports).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from ..aggregate import level_sort_key
from ..artifacts import atomic_path
from ..stats import t_halfwidth

matplotlib.use("Agg")  # pyplot picks its backend lazily, so this still applies after the import above

log = logging.getLogger(__name__)

#: ``{method: {"family": ..., "level_meaning": ...}}``, the shape of :func:`shrinkflow.codecs.method_info`
MethodInfo = Mapping[str, Mapping[str, str]]

FORMATS = ("png", "pdf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p")
LINESTYLES = ("-", "--", ":", "-.")
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
PERCENT = PercentFormatter(xmax=1.0, decimals=None)


@contextmanager
def rc_style():
    """The figures' rc settings (:data:`STYLE`) for the duration of a ``with`` block."""
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


def no_data(path: str | os.PathLike, title: str, reason: str) -> list[Path]:
    """A figure that says plainly that there was nothing to plot, and why."""
    log.warning("%s: no data (%s); writing a placeholder figure to %s", title, reason, path)
    with rc_style():
        fig, ax = plt.subplots(figsize=(6, 2.2), layout="constrained")
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(0.5, 0.5, f"No data\n{reason}", ha="center", va="center", fontsize=11, wrap=True)
        return save_figure(fig, path)


def missing(df: pd.DataFrame | None, columns: Sequence[str]) -> list[str]:
    """The ``columns`` that ``df`` lacks (all of them when there is no table)."""
    if df is None:
        return list(columns)
    return [c for c in columns if c not in df.columns]


def method_info(info: MethodInfo | None = None) -> MethodInfo:
    """``info`` itself, or when None the codec registry's :func:`shrinkflow.codecs.method_info` (imported
    here: it needs torch); without the registry, an empty mapping (every method is its own family)."""
    if info is not None:
        return info
    try:
        from .. import codecs
    except ImportError as err:
        log.warning("codec registry unavailable (%s): every method is its own colour family", err)
        return {}
    return codecs.method_info()


def method_style(methods: Sequence[str], info: MethodInfo | None = None) -> dict[str, dict[str, Any]]:
    """Colour, marker and line style per method.

    Methods of one family (lossless controls, binary orders, zfp modes) share a colour from the colorblind
    palette and differ by marker and line style, so thirteen methods stay apart with ten safe colours.
    ``info`` (see :func:`method_info`) gives each method's family; methods it lacks are their own family.
    """
    family_of = {str(m): str(v.get("family", m)) for m, v in method_info(info).items()}
    names = sorted({str(m) for m in methods})
    # a fixed colour per known family, so that a method keeps its colour in every figure
    known = sorted(set(family_of.values()))
    families = known + sorted({family_of.get(m, m) for m in names} - set(known))
    palette = sns.color_palette("colorblind", 10)
    colour = {f: palette[i % 10] for i, f in enumerate(families)}
    if "lossless" in colour:
        colour["lossless"] = (0.35, 0.35, 0.35)
    seen: dict[str, int] = {}
    styles = {}
    for i, m in enumerate(names):
        family = family_of.get(m, m)
        k = seen[family] = seen.get(family, -1) + 1
        styles[m] = {
            "color": colour[family],
            "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[k % len(LINESTYLES)],
        }
    return styles


def level_meaning(method: str, info: MethodInfo | None = None) -> str:
    """What a method's level means (for axis labels); "level" for methods ``info`` does not know."""
    return str(method_info(info).get(method, {}).get("level_meaning", "level"))


def level_order(levels: Sequence[Any]) -> list[str]:
    """Distinct levels as strings, in the study's level order (numbers numerically)."""
    return sorted({str(v) for v in levels}, key=level_sort_key)


def numeric_levels(levels: Sequence[Any]) -> np.ndarray | None:
    """The levels as finite floats, or None when one of them is not a number."""
    try:
        values = np.array([float(v) for v in levels], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if np.all(np.isfinite(values)) else None


def mean_ci(df: pd.DataFrame, keys: Sequence[str], value: str) -> pd.DataFrame:
    """mean, n and t-interval half-width of ``value`` per ``keys`` (NaN values left out)."""
    grouped = df.groupby(list(keys), sort=False, dropna=False)[value]
    out = grouped.agg(mean="mean", std=lambda s: s.std(ddof=1), n="count").reset_index()
    out["half"] = t_halfwidth(out["std"].to_numpy(), out["n"].to_numpy())
    return out


def facet_keys(df: pd.DataFrame, candidates: Sequence[str] = ("dataset", "model")) -> list[str]:
    """The ``candidates`` present as columns: one panel per combination of their values."""
    return [c for c in candidates if c in df.columns]


def facet_label(keys: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values) if keys else ""


def grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    """Rows and columns of a panel grid for ``n`` panels, at most ``max_cols`` wide."""
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def log_axis(axis: Any) -> None:
    """Log scale with plain-number labels at 1, 2 and 5 × powers of ten (no 10^k notation)."""
    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())
