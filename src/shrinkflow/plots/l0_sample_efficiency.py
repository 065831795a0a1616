"""Teacher–student: the student's test MSE against the number of training samples, per ℓ0 method
(Barth & von Petersenn: regularised students can converge with fewer samples, as Solomonoff induction
predicts).

The first panel shows each method at its best strength per sample size (lowest mean test MSE, chosen on the
test set, so optimistic for every method alike); one further panel per method that swept several strengths
shows each strength. Lines are means over seeds, bands the Student-t 95% interval (cut where it reaches 0
on the log axis). The dashed line is the noise floor σ² no student can beat in expectation. Reads
``results/tables/teacher_student.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .l0_description_length import method_styles
from .style import MethodInfo, grid, log_axis, mean_ci, missing, no_data, rc_style, save_figure


def curve(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean test MSE, its 95% interval (``low``, ``high``) per sample size, by ascending samples."""
    stats = mean_ci(rows, ["samples"], "test_mse").sort_values("samples")
    half = stats["half"].to_numpy(float)
    low = stats["mean"] - half
    return stats.assign(low=low.where(low > 0), high=stats["mean"] + half)


def _line(ax: plt.Axes, points: pd.DataFrame, colour, marker: str, label: str) -> None:
    ax.plot(points["samples"], points["mean"], color=colour, marker=marker, label=label)
    ax.fill_between(points["samples"], points["low"], points["high"], color=colour, alpha=0.15, lw=0)


def best_strengths(table: pd.DataFrame) -> pd.DataFrame:
    """Per method and sample size, the rows of the strength with the lowest mean test MSE."""
    mean = table.groupby(["method", "samples", "strength_value"])["test_mse"].mean().reset_index()
    best = mean.loc[mean.groupby(["method", "samples"])["test_mse"].idxmin()]
    keys = ["method", "samples", "strength_value"]
    return table.merge(best[keys], on=keys)


def _floor(ax: plt.Axes, table: pd.DataFrame) -> None:
    ax.axhline(float(table["noise_variance"].mean()), color="black", ls="--", lw=1, label="noise floor σ²")
    log_axis(ax.xaxis)
    log_axis(ax.yaxis)
    ax.set_xlabel("Training samples (log)")
    ax.set_ylabel("Student test MSE (log)")
    ax.legend(fontsize=7, loc="upper right")


def plot_l0_sample_efficiency(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "Teacher–student: sample efficiency of the ℓ0 methods"
    lacking = missing(table, ["samples", "method", "strength_value", "seed", "test_mse", "noise_variance"])
    if lacking or table.empty:
        return no_data(path, title, f"teacher_student table lacks {lacking or 'rows'}")
    styles = method_styles()
    swept = [m for m, part in table.groupby("method", sort=True) if part["strength_value"].nunique() > 1]
    rows, cols = grid(1 + len(swept), 3)
    with rc_style():
        fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.3 * rows), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for ax in axes.flat[1 + len(swept) :]:
            ax.set_axis_off()
        overview = axes.flat[0]
        for method, part in best_strengths(table).groupby("method", sort=True):
            style = styles.get(method, {})
            _line(overview, curve(part), style.get("color"), style.get("marker", "o"), str(method))
        overview.set_title("Each method at its best strength per sample size")
        _floor(overview, table)
        for ax, method in zip(axes.flat[1:], swept, strict=False):
            part = table[table["method"] == method]
            strengths = sorted(part["strength_value"].unique())
            shades = sns.color_palette("viridis", len(strengths))
            field = part["strength_field"].iloc[0] if "strength_field" in part else "strength"
            marker = styles.get(method, {}).get("marker", "o")
            for shade, value in zip(shades, strengths, strict=True):
                points = curve(part[np.isclose(part["strength_value"], value)])
                _line(ax, points, shade, marker, f"{field} = {value:g}")
            ax.set_title(f"{method}: every strength")
            _floor(ax, table)
        fig.suptitle(f"{title}\n(mean and 95% CI over seeds)")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/teacher_student.csv (one row per run)."""
    return plot_l0_sample_efficiency(pd.read_csv(inputs["table"], dtype={"strength": str}), png)
