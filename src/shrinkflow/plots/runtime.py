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

#: Snakemake's benchmark takes its first memory sample 0.5 s after the job starts: a shorter job records
#: 0 MB, one slightly longer a sample from Python's start-up, so memory is shown for jobs this long or longer
MIN_RSS_SECONDS = 1.0


def rss_rows(data: pd.DataFrame) -> pd.DataFrame:
    """The benchmark rows whose ``max_rss`` is a measurement: jobs of at least :data:`MIN_RSS_SECONDS`."""
    return data[(data["s"] >= MIN_RSS_SECONDS) & data["max_rss"].notna()]


def plot_runtime(benchmarks_df: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Wall-clock seconds (log scale) and peak resident memory per job, grouped by Snakemake rule, from
    :func:`read_benchmarks`; a black bar marks each rule's median, the tick label gives the job count.
    Memory leaves out jobs too short for Snakemake to sample (:func:`rss_rows`), counted in its label."""
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
    panels = [(data, "s", "Wall-clock time per job (s, log scale)", True)]
    if "max_rss" in data.columns and not (rss := rss_rows(data)).empty:
        short = int(data["max_rss"].notna().sum()) - len(rss)
        note = f"\n({short} jobs shorter than {MIN_RSS_SECONDS:g} s left out: not sampled)" if short else ""
        panels.append((rss, "max_rss", f"Peak memory per job, max RSS (MB){note}", False))
    palette = dict(zip(rules, sns.color_palette("colorblind", len(rules)), strict=False))
    with rc_style():
        fig, axes = plt.subplots(
            1, len(panels), figsize=(4.6 * len(panels) + 1.6, 0.45 * len(rules) + 1.6), layout="constrained",
            squeeze=False, sharey=True,
        )  # fmt: skip
        for ax, (rows, col, label, logx) in zip(axes[0], panels, strict=True):
            for y, rule in enumerate(rules):
                vals = rows.loc[rows["rule"].astype(str) == rule, col].dropna().to_numpy(dtype=float)
                if vals.size == 0:
                    continue
                jitter = np.linspace(-0.2, 0.2, vals.size) if vals.size > 1 else np.zeros(1)
                ax.scatter(vals, y + jitter, s=14, color=palette[rule], alpha=0.7, zorder=3)
                ax.plot([np.median(vals)] * 2, [y - 0.32, y + 0.32], color="black", lw=2, zorder=4)
            if logx:
                log_axis(ax.xaxis)
            else:
                ax.set_xlim(left=0)
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
