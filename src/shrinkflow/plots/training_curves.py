"""Training curves: train (dashed) and test (solid) loss and accuracy per epoch of every grid run.

One row per method (and dataset/model when there are several), one colour per level; mean over seeds with
a 95% CI band. Reads each run's ``history.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from ..aggregate import collect_histories, sort_runs
from .style import PERCENT, MethodInfo, level_order, mean_ci, missing, no_data, rc_style, save_figure


def plot_training_curves(histories: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Train (dashed) and test (solid) loss and accuracy per epoch, one row per method, one colour per
    level; mean over seeds with a 95% CI band. ``histories`` is :func:`aggregate.collect_histories`."""
    title = "Training curves"
    lacking = missing(histories, ["method", "level", "epoch"])
    if lacking:
        return no_data(path, title, f"histories lack columns {lacking}")
    panels = [
        ("Cross-entropy loss", [c for c in ("train_loss", "test_loss") if c in histories.columns]),
        ("Accuracy (%)", [c for c in ("train_accuracy", "test_accuracy") if c in histories.columns]),
    ]
    panels = [(label, cols) for label, cols in panels if cols]
    if histories.empty or not panels:
        return no_data(path, title, "no history rows with loss or accuracy columns")

    row_keys = [k for k in ("dataset", "model") if k in histories.columns and histories[k].nunique() > 1]
    row_keys.append("method")
    rows = list(sort_runs(histories, row_keys).groupby(row_keys, sort=False))
    with rc_style():
        fig, axes = plt.subplots(
            len(rows), len(panels), figsize=(4.4 * len(panels) + 1.6, 2.5 * len(rows) + 0.6),
            layout="constrained", squeeze=False,
        )  # fmt: skip
        for r, (keys, frame) in enumerate(rows):
            keys = keys if isinstance(keys, tuple) else (keys,)
            levels = level_order(frame["level"])
            palette = sns.color_palette("colorblind", max(len(levels), 1))
            for c, (label, cols) in enumerate(panels):
                ax = axes[r, c]
                for li, level in enumerate(levels):
                    sub = frame[frame["level"].astype(str) == level]
                    for col in cols:
                        stats = mean_ci(sub, ["epoch"], col).sort_values("epoch")
                        x, y, h = stats["epoch"], stats["mean"], stats["half"]
                        ls = "--" if col.startswith("train") else "-"
                        ax.plot(x, y, color=palette[li % len(palette)], ls=ls, lw=1.5, marker=".", ms=4)
                        if np.isfinite(h).any():
                            ax.fill_between(
                                x, y - h, y + h, color=palette[li % len(palette)], alpha=0.15, lw=0
                            )
                if "ccuracy" in label:
                    ax.yaxis.set_major_formatter(PERCENT)
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


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["histories"]``: ``history.csv`` of every grid run (``info`` is not needed)."""
    return plot_training_curves(collect_histories(inputs["histories"]), png)
