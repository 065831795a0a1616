"""The MLP study's capacity figure (course project, Tasks 1 and 2): median test accuracy against width (one
line per depth), against depth (one line per width), and against stored model bytes with the MCNC models
added (one marker per rate), as the project asks.

Reads ``results/tables/mlp_capacity.csv`` and, when present, ``results/tables/mcnc.csv``; error bars are the
95% CI of the mean over seeds, points the median.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import LogLocator

from .style import MARKERS, MethodInfo, log_axis, missing, no_data, rc_style, save_figure


def _bars(rows: pd.DataFrame) -> list:
    return [(rows["median"] - rows["ci95_low"]).clip(lower=0).fillna(0),
            (rows["ci95_high"] - rows["median"]).clip(lower=0).fillna(0)]  # fmt: skip


def plot_mlp_capacity(
    capacity: pd.DataFrame, mcnc: pd.DataFrame | None, path: str | os.PathLike
) -> list[Path]:
    title = "MLP capacity and MCNC"
    lacking = missing(capacity, ["width", "depth", "median", "dense_fp32_bytes"])
    if lacking or capacity.empty:
        return no_data(path, title, f"capacity table lacks {lacking or 'rows'}")
    depths = sorted(capacity["depth"].unique())
    widths = sorted(capacity["width"].unique())
    colours = dict(zip(depths, sns.color_palette("colorblind", len(depths)), strict=False))
    with rc_style():
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained")
        for depth in depths:
            rows = capacity[capacity["depth"] == depth].sort_values("width")
            axes[0].errorbar(rows["width"], rows["median"], yerr=_bars(rows), marker="o", capsize=3,
                             color=colours[depth], label=f"depth {depth}")  # fmt: skip
            axes[2].errorbar(rows["dense_fp32_bytes"], rows["median"], yerr=_bars(rows), marker="o",
                             capsize=3, color=colours[depth], label=f"MLP depth {depth}")  # fmt: skip
        log_axis(axes[0].xaxis)
        axes[0].set_xlabel("Width (hidden units, log)")
        axes[0].set_title("Accuracy vs width")
        shades = sns.color_palette("viridis", len(widths))
        for shade, width in zip(shades, widths, strict=True):
            rows = capacity[capacity["width"] == width].sort_values("depth")
            axes[1].errorbar(rows["depth"], rows["median"], yerr=_bars(rows), marker="s", capsize=3,
                             color=shade, label=f"width {width}")  # fmt: skip
        axes[1].set_xticks(depths)
        axes[1].set_xlabel("Depth (hidden layers)")
        axes[1].set_title("Accuracy vs depth")
        if mcnc is not None and len(mcnc):
            plain = mcnc[(mcnc["training"] == "plain") & (mcnc["rate"] != "dense")]
            for i, (rate, rows) in enumerate(plain.groupby("rate", sort=False)):
                label = f"MCNC {rate} (×{rows['nominal_compression_rate'].iloc[0]:.0f})"
                axes[2].errorbar(rows["stored_bytes"], rows["median"], yerr=_bars(rows), ls="none", capsize=3,
                                 marker=MARKERS[(i + 1) % len(MARKERS)], ms=9, color="black",
                                 markerfacecolor="white", label=label)  # fmt: skip
        log_axis(axes[2].xaxis)
        axes[2].xaxis.set_major_locator(LogLocator(base=10))  # bytes span decades: 1, 10, 100 kB ...
        axes[2].set_xlabel("Stored model bytes (dense fp32 / MCNC payload, log)")
        axes[2].set_title("Accuracy vs stored bytes")
        for ax in axes:
            ax.set_ylabel("Median test accuracy over seeds")
            ax.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"{title} (median, 95% CI of the mean over seeds)")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["capacity"]``: mlp_capacity.csv; ``inputs["mcnc"]``: mcnc.csv (may be empty)."""
    mcnc = pd.read_csv(inputs["mcnc"]) if inputs.get("mcnc") else None
    return plot_mlp_capacity(pd.read_csv(inputs["capacity"]), mcnc, png)
