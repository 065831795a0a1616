"""ℓ0 classifiers: test loss against model bytes, one line per method across its strength sweep, with
description-length isolines (Barth & von Petersenn, Figs. 1–2).

DL = model bytes + the test labels' code length under the model, test loss · N / (8 ln 2) (N test images,
cross-entropy in nats), so a DL isoline is the curve loss = (DL − bytes) · 8 ln 2 / N. Two panels per
dataset and model: the paper's 4 bytes per nonzero parameter, and the payload file shrinkflow stores (its
sparse indices and header counted). Points are means over seeds (error bars: Student-t 95% interval of the
loss), connected in order of bytes; the dense twin is a black cross. Reads ``results/tables/l0.csv``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..l0 import names
from .style import (
    MethodInfo,
    facet_keys,
    facet_label,
    log_axis,
    mean_ci,
    missing,
    no_data,
    rc_style,
    save_figure,
)

CONVENTIONS = {
    "model_bytes_four_per_nonzero": "4 bytes per nonzero parameter (paper)",
    "model_bytes_stored": "stored payload file (indices, header)",
}
ISOLINES = 6
LN2 = math.log(2.0)
#: the sample count of the isolines: the test set, so that an isoline's DL is the table's ``test_dl_bytes_*``
N_COLUMN = "n_test"


#: colorblind-palette entries and markers in registry order (pmmp, drr, rl1, l2, tamade, rgp, magnitude,
#: dense): the light pink goes to a minor baseline, and no method takes the dense twin's "X"
_COLOURS = (0, 1, 2, 3, 4, 6, 5, 7)
_MARKERS = ("o", "s", "^", "D", "v", "P", "h", "p")


def method_styles() -> dict[str, dict[str, object]]:
    """Colour and marker per ℓ0 method, the same in every ℓ0 figure."""
    palette = sns.color_palette("colorblind", 10)
    return {m: {"color": palette[_COLOURS[i % 8]], "marker": _MARKERS[i % 8]} for i, m in enumerate(names())}


def byte_label(value: float) -> str:
    """``value`` bytes as B / kB / MB with three significant digits."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} B"


def means(part: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Per strength: mean ``x``, mean ``y`` and the half-width of ``y``'s 95% interval, by ascending ``x``."""
    stats = mean_ci(part, ["strength_value"], y)
    size = part.groupby("strength_value", sort=False)[x].mean()
    return stats.assign(x=stats["strength_value"].map(size)).sort_values("x")


def isolines(ax: plt.Axes, n_test: float, dl: np.ndarray) -> None:
    """Curves of constant DL = bytes + loss · N / (8 ln 2) at log-spaced levels spanning ``dl``, drawn
    under the data without changing the axes' limits."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    dl = dl[np.isfinite(dl) & (dl > 0)]
    if not (n_test > 0 and dl.size):
        return
    for level in np.geomspace(dl.min(), dl.max() * 1.5, ISOLINES) if dl.max() > dl.min() else dl[:1]:
        if level <= x0:
            continue
        x = np.geomspace(x0, min(x1, level), 200)
        y = (level - x) * 8 * LN2 / n_test
        ax.plot(x, y, color="grey", lw=0.8, ls=":", zorder=0)
        inside = (y >= y0) & (y <= y1)
        if inside.any():
            i = int(np.argmax(inside))
            ax.annotate(f"DL {byte_label(level)}", (x[i], y[i]), fontsize=6.5, color="dimgrey",
                        xytext=(2, -8), textcoords="offset points")  # fmt: skip
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def plot_l0_description_length(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "ℓ0 methods: test loss vs model bytes, description-length isolines"
    lacking = missing(table, ["method", "strength_value", "seed", "test_loss", *CONVENTIONS])
    if lacking or table.empty:
        return no_data(path, title, f"l0 table lacks {lacking or 'rows'}")
    keys = facet_keys(table)
    facets = list(table.groupby(keys, sort=False)) if keys else [((), table)]
    styles = method_styles()
    with rc_style():
        fig, axes = plt.subplots(len(facets), 2, figsize=(12, 4.4 * len(facets)), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for row, (values, part) in enumerate(facets):
            n_test = float(part[N_COLUMN].iloc[0]) if N_COLUMN in part else math.nan
            for ax, (column, convention) in zip(axes[row], CONVENTIONS.items(), strict=True):
                for method, rows in part.groupby("method", sort=True):
                    points = means(rows, column, "test_loss")
                    if method == "dense":
                        ax.errorbar(points["x"], points["mean"], yerr=points["half"].fillna(0), ls="none",
                                    marker="X", ms=9, color="black", label="dense (no pruning)")  # fmt: skip
                        continue
                    style = styles.get(method, {})
                    ax.errorbar(points["x"], points["mean"], yerr=points["half"].fillna(0), capsize=2,
                                color=style.get("color"), marker=style.get("marker", "o"),
                                label=str(method))  # fmt: skip
                log_axis(ax.xaxis)
                ax.margins(x=0.15, y=0.1)
                ax.autoscale_view()
                isolines(ax, n_test, (part[column] + part["test_loss"] * n_test / (8 * LN2)).to_numpy(float))
                ax.set_xlabel(f"Model bytes: {convention} (log)")
                ax.set_ylabel("Test loss (cross-entropy, nats)")
                what = facet_label(keys, values if isinstance(values, tuple) else (values,))
                ax.set_title(f"{what} (N = {n_test:.0f} test images)" if what else f"N = {n_test:.0f}")
                ax.legend(fontsize=7, loc="best")
        fig.suptitle(f"{title}\n(mean and 95% CI over seeds)")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/l0.csv (one row per classifier run)."""
    return plot_l0_description_length(pd.read_csv(inputs["table"], dtype={"strength": str}), png)
