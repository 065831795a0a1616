"""The headline figure: test accuracy against stored bits per sample, one line per method over its levels.

Means over seeds with 95% CI error bars and bands; the Pareto front (fewest bits for the accuracy) is
marked; one panel per (dataset, model). Published points of the reproduced papers (accuracy and bits per
sample of the same method and model, from ``data/published_results.csv``) are drawn as stars beside our
curves, on the panel of the paper's dataset or of its offline stand-in (mnist5k for MNIST). Reads
``results/tables/summary.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ..aggregate import summary_wide
from ..stats import pareto_front
from .style import (
    PERCENT,
    MethodInfo,
    facet_keys,
    facet_label,
    grid,
    log_axis,
    method_style,
    missing,
    no_data,
    rc_style,
    save_figure,
)


def plot_accuracy_vs_bits(
    summary: pd.DataFrame,
    path: str | os.PathLike,
    metric: str = "test_accuracy",
    cost: str = "bits_per_sample",
    metric_label: str = "Test accuracy (%)",
    cost_label: str = "Stored size (bits per sample, log scale)",
    info: MethodInfo | None = None,
    published: pd.DataFrame | None = None,
) -> list[Path]:
    """Accuracy against stored bits per sample, one line per method over its levels, 95% CI error bars
    and bands over seeds, the Pareto front (fewest bits for the accuracy) marked; one panel per
    (dataset, model). ``summary`` is the long table of :func:`shrinkflow.aggregate.summary`; ``info``
    gives the method families (colours, see :func:`~shrinkflow.plots.style.method_style`); ``published``
    (:func:`published_points`) adds the papers' points as stars."""
    title = f"{metric} vs {cost}"
    if missing(summary, ["method", "level", "metric", "mean"]):
        lacking = missing(summary, ["method", "level", "metric"])
        return no_data(path, title, f"summary lacks columns {lacking}")
    wide = summary_wide(summary, [metric, cost])
    needed = [f"{metric}_mean", f"{cost}_mean"]
    if missing(wide, needed):
        return no_data(path, title, f"no '{metric}' or '{cost}' rows in the summary")
    wide = wide.dropna(subset=needed)
    wide = wide[wide[f"{cost}_mean"] > 0]
    if wide.empty:
        return no_data(path, title, f"no run has both '{metric}' and a positive '{cost}'")

    facets = facet_keys(wide)
    groups = list(wide.groupby(facets, sort=True)) if facets else [((), wide)]
    styles = method_style(wide["method"], info)
    nrows, ncols = grid(len(groups), 2)
    with rc_style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(5.6 * ncols + 1.8, 4.2 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[len(groups) :]:
            ax.set_visible(False)
        shown_published = False
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
            shown_published |= _draw_published(ax, published, dict(zip(facets, keys, strict=True)), styles)
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
            log_axis(ax.xaxis)
            ax.yaxis.set_major_formatter(PERCENT if py.max() <= 1.0 else FuncFormatter(lambda v, _: f"{v:g}"))
            if py.max() <= 1.0:  # a CI of a fraction may reach past 100% with few seeds; show the range
                ax.set_ylim(max(ax.get_ylim()[0], -0.02), min(ax.get_ylim()[1], 1.02))
            ax.set_xlabel(cost_label)
            ax.set_ylabel(metric_label)
            if facets:
                ax.set_title(facet_label(facets, keys))
        handles = [
            Line2D([], [], color=s["color"], marker=s["marker"], ls=s["linestyle"], lw=1.5, label=m)
            for m, s in styles.items()
        ]
        handles.append(
            Line2D([], [], color="black", ls=(0, (1, 1)), marker="o", mfc="none", ms=9, label="Pareto front")
        )
        if shown_published:
            handles.append(
                Line2D([], [], color="0.5", ls="", marker="*", mec="black", ms=11, label="published (paper)")
            )
        fig.legend(handles=handles, loc="outside right upper", title="method", frameon=False)
        fig.suptitle("Accuracy against storage (mean over seeds, 95% CI)")
        return save_figure(fig, path)


def published_points(published: pd.DataFrame) -> pd.DataFrame:
    """One row per published (study, dataset, method, level, model) with both ``accuracy`` and ``bits``."""
    rows = published[published["metric"].isin(["test_accuracy", "bits_per_sample"])]
    keys = ["study", "dataset", "method", "level", "model"]
    wide = rows.pivot_table(index=keys, columns="metric", values="value", aggfunc="first").reset_index()
    if not {"test_accuracy", "bits_per_sample"} <= set(wide.columns):
        return pd.DataFrame(columns=[*keys, "accuracy", "bits"])
    wide = wide.rename(columns={"test_accuracy": "accuracy", "bits_per_sample": "bits"})
    return wide.dropna(subset=["accuracy", "bits"])[[*keys, "accuracy", "bits"]]


def _draw_published(ax, published: pd.DataFrame | None, panel: dict, styles: dict) -> bool:
    """Stars at the papers' points for this panel's dataset (or the dataset it stands in for) and model."""
    if published is None or published.empty:
        return False
    from ..claim_types import STAND_INS

    datasets = {panel.get("dataset")} | {d for d, subs in STAND_INS.items() if panel.get("dataset") in subs}
    rows = published[published["dataset"].isin(datasets) & published["method"].isin(list(styles))]
    if "model" in panel:
        rows = rows[rows["model"] == panel["model"]]
    for row in rows.itertuples(index=False):
        ax.scatter(
            row.bits, row.accuracy, marker="*", s=150, color=styles[row.method]["color"], edgecolors="black",
            linewidths=0.8, zorder=6,
        )  # fmt: skip
    return not rows.empty


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["summary"]``: the long summary table (CSV; levels kept as strings); the papers' points come
    from the packaged published-results file."""
    from ..reproduction import load_published

    summary = pd.read_csv(inputs["summary"], dtype={"level": str})
    return plot_accuracy_vs_bits(summary, png, info=info, published=published_points(load_published()))
