"""Runtime and memory per Snakemake rule: wall-clock seconds and peak resident memory of every job.

Says where a study spends its time and which resources to ask a cluster for. Reads the ``benchmark:``
TSVs of every job (:func:`shrinkflow.aggregate.read_benchmarks`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..aggregate import read_benchmarks
from .style import MethodInfo, log_axis, missing, no_data, rc_style, save_figure


def plot_runtime(benchmarks_df: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Wall-clock seconds (log scale) and peak resident memory per job, grouped by Snakemake rule, from
    :func:`read_benchmarks`; a black bar marks each rule's median, the tick label gives the job count."""
    title = "Runtime and memory per rule"
    lacking = missing(benchmarks_df, ["rule", "s"])
    if lacking:
        return no_data(path, title, f"benchmarks lack columns {lacking}")
    data = benchmarks_df.dropna(subset=["s"])
    if data.empty:
        return no_data(path, title, "no benchmark rows with a runtime")
    rules = sorted(data["rule"].astype(str).unique())
    counts = data.groupby("rule")["s"].count()
    labels = [f"{r} (n={counts[r]})" for r in rules]
    panels = [("s", "Wall-clock time per job (s, log scale)", True)]
    if "max_rss" in data.columns and data["max_rss"].notna().any():
        panels.append(("max_rss", "Peak memory per job, max RSS (MB)", False))
    palette = dict(zip(rules, sns.color_palette("colorblind", len(rules)), strict=False))
    with rc_style():
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
                log_axis(ax.xaxis)
            ax.set_xlabel(label)
            ax.set_yticks(range(len(rules)), labels)
            ax.set_ylim(-0.6, len(rules) - 0.4)
            ax.invert_yaxis()
        axes[0, 0].set_ylabel("Snakemake rule")
        fig.suptitle(f"{title} (dots: jobs, bar: median)")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["benchmarks"]``: the ``benchmark:`` TSVs of every job of the study."""
    return plot_runtime(read_benchmarks(inputs["benchmarks"]), png)
