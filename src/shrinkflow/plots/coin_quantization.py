"""COIN quantized to 1–16 bits: PSNR against bit width, training-time (Quantization Networks) vs
post-training quantization, weights only vs weights and biases, per architecture and image set; the fp16
COIN fit of the same architecture, where the study has one, as a horizontal line.

Reads ``results/tables/rate_distortion.csv`` (codecs ``coin_qn``, ``coin_ptq`` and ``coin``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .style import MethodInfo, grid, missing, no_data, rc_style, save_figure

TITLE = "COIN quantized: training-time (QN) vs post-training, weights vs weights + biases"
_STYLE = {
    "coin_qn-w": ("tab:blue", "-", "o", "QN, weights"),
    "coin_qn-wb": ("tab:blue", "--", "s", "QN, weights + biases"),
    "coin_ptq-w": ("tab:orange", "-", "o", "post-training, weights"),
    "coin_ptq-wb": ("tab:orange", "--", "s", "post-training, weights + biases"),
}


def plot_coin_quantization(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    lacking = missing(table, ["dataset", "codec", "curve", "architecture", "bits", "psnr_rgb", "bpp"])
    if lacking:
        return no_data(path, TITLE, f"rate_distortion table lacks {lacking}")
    quantized = table[table["codec"].isin(["coin_qn", "coin_ptq"])]
    if quantized.empty:
        return no_data(path, TITLE, "no coin_qn or coin_ptq points in the study")
    panels = list(dict.fromkeys(zip(quantized["dataset"], quantized["architecture"], strict=True)))
    rows, cols = grid(len(panels), 2)
    with rc_style():
        fig, axes = plt.subplots(
            rows, cols, figsize=(7 * cols, 4.8 * rows), layout="constrained", squeeze=False
        )
        for ax, (dataset, arch) in zip(axes.flat, panels, strict=False):
            part = quantized[(quantized["dataset"] == dataset) & (quantized["architecture"] == arch)]
            for curve, (colour, ls, marker, label) in _STYLE.items():
                line = part[part["curve"] == curve].sort_values("bits")
                if not line.empty:
                    ax.plot(line["bits"], line["psnr_rgb"], color=colour, ls=ls, marker=marker, label=label)
            fp16 = table[
                (table["dataset"] == dataset) & (table["codec"] == "coin") & (table["architecture"] == arch)
            ]
            if not fp16.empty:
                ax.axhline(fp16["psnr_rgb"].iloc[0], color="black", lw=1, ls=":",
                           label=f"COIN fp16 ({fp16['bpp'].iloc[0]:.2f} bpp)")  # fmt: skip
            ax.set_xscale("log", base=2)
            bits = sorted(part["bits"].dropna().astype(int).unique())
            ax.set_xticks(bits, [str(b) for b in bits])
            ax.set_xlabel("Bits per quantized value")
            ax.set_ylabel("PSNR (dB, 8-bit)")
            ax.set_title(f"{dataset}, SIREN {arch}")
            ax.legend(fontsize=8, loc="lower right")
        for ax in axes.flat[len(panels) :]:
            ax.set_axis_off()
        fig.suptitle(TITLE)
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/rate_distortion.csv."""
    return plot_coin_quantization(pd.read_csv(inputs["table"], dtype={"level": str}), png)
