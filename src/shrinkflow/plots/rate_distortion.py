"""PSNR against bits per pixel for every rate–distortion curve, one panel per image set.

Each curve is a codec (coin_qn and coin_ptq split by what is quantized: ``-w`` weights only, ``-wb`` weights
and biases); the legend gives its BD-rate against the anchor (JPEG) where the rate ranges overlap. Bits per
pixel are the real stored bytes × 8 / pixels. On a ``kodak`` panel COIN's and JPEG's published Kodak points
(reference-facts.md) are drawn as open markers; other image sets are not comparable with them and get none.
PNG (lossless, infinite PSNR) is marked by its rate on the x axis only.

Reads ``results/tables/rate_distortion.csv`` and ``results/tables/rate_distortion_bd.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..reproduction import load_published
from .style import MethodInfo, grid, log_axis, missing, no_data, rc_style, save_figure

TITLE = "Rate–distortion: PSNR vs bits per pixel (real stored bytes)"


def _published(dataset: str) -> dict[str, pd.DataFrame]:
    """COIN's and JPEG's published points for ``dataset`` (only Kodak has any)."""
    table = load_published()
    table = table[(table["study"] == "coin") & (table["dataset"] == dataset)]
    out = {}
    for method in ("coin", "jpeg"):
        rows = table[(table["method"] == method) & table["metric"].isin(["bpp", "psnr_db"])]
        wide = rows.pivot_table(index="level", columns="metric", values="value", aggfunc="first")
        if {"bpp", "psnr_db"} <= set(wide.columns):
            out[method] = wide.sort_values("bpp")
    return out


def plot_rate_distortion(table: pd.DataFrame, bd: pd.DataFrame | None, path: str | os.PathLike) -> list[Path]:
    lacking = missing(table, ["dataset", "curve", "bpp", "psnr_rgb"])
    if lacking or table.empty:
        return no_data(path, TITLE, f"rate_distortion table lacks {lacking or 'rows'}")
    datasets = list(dict.fromkeys(table["dataset"]))
    curves = list(dict.fromkeys(table["curve"]))
    palette = dict(zip(curves, sns.color_palette("tab10", len(curves)), strict=True))
    markers = dict(zip(curves, "osD^v<>PXh*p" * 3, strict=False))
    rows, cols = grid(len(datasets), 2)
    with rc_style():
        fig, axes = plt.subplots(
            rows, cols, figsize=(7.5 * cols, 5.2 * rows), layout="constrained", squeeze=False
        )
        for ax, dataset in zip(axes.flat, datasets, strict=False):
            points = table[table["dataset"] == dataset]
            for curve in curves:
                part = points[points["curve"] == curve].sort_values("bpp")
                if part.empty:
                    continue
                finite = part[np.isfinite(part["psnr_rgb"])]
                label = curve + _bd_label(bd, dataset, curve)
                if finite.empty:  # lossless: mark its rate
                    ax.axvline(
                        part["bpp"].iloc[0], color=palette[curve], ls=":", lw=1.2, label=f"{label} (lossless)"
                    )
                    continue
                ax.plot(
                    finite["bpp"],
                    finite["psnr_rgb"],
                    marker=markers[curve],
                    color=palette[curve],
                    label=label,
                )
            for method, wide in _published(dataset).items():
                colour = "black" if method == "coin" else "grey"
                ax.plot(wide["bpp"], wide["psnr_db"], ls="--", marker="o", mfc="none", color=colour,
                        label=f"{method.upper()} published (Kodak)")  # fmt: skip
            first = points.iloc[0]
            ax.set_title(
                f"{dataset}: {int(points['images'].max())} images of {first['height']}×{first['width']}"
            )
            log_axis(ax.xaxis)
            ax.set_xlabel("Bits per pixel (stored bytes × 8 / pixels)")
            ax.set_ylabel("PSNR (dB, 8-bit)")
            ax.legend(fontsize=7.5, loc="lower right", ncol=2)
        for ax in axes.flat[len(datasets) :]:
            ax.set_axis_off()
        fig.suptitle(TITLE)
        return save_figure(fig, path)


def _bd_label(bd: pd.DataFrame | None, dataset: str, curve: str) -> str:
    if bd is None or bd.empty or "bd_rate_percent" not in bd:
        return ""
    row = bd[(bd["dataset"] == dataset) & (bd["curve"] == curve)]
    if row.empty or not np.isfinite(row["bd_rate_percent"].iloc[0]):
        return ""
    return f" (BD-rate {row['bd_rate_percent'].iloc[0]:+.0f}%)"


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: rate_distortion.csv; ``inputs["bd"]``: rate_distortion_bd.csv."""
    table = pd.read_csv(inputs["table"], dtype={"level": str})
    bd = pd.read_csv(inputs["bd"]) if inputs.get("bd") else None
    return plot_rate_distortion(table, bd, png)
