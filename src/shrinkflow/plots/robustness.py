"""Robustness: accuracy of models trained on raw data, evaluated on test sets decoded by each codec.

One panel per codec against its level (labelled with the codec's level meaning), one line per model (with
and without BatchNorm), the clean accuracy dotted. Reads ``results/tables/robustness.csv``.
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

from .style import (
    MARKERS,
    PERCENT,
    MethodInfo,
    grid,
    level_meaning,
    level_order,
    mean_ci,
    method_info,
    missing,
    no_data,
    numeric_levels,
    rc_style,
    save_figure,
)


def _model_label(model: str) -> str:
    return f"{model} (with BatchNorm)" if model.endswith("_bn") else model


def plot_robustness(
    rows: pd.DataFrame,
    path: str | os.PathLike,
    clean_method: str = "identity",
    info: MethodInfo | None = None,
) -> list[Path]:
    """Accuracy of models trained on raw data, evaluated on test sets decoded by each codec, against the
    codec's level (one panel per codec), one line per model (e.g. with and without BatchNorm), mean over
    seeds with 95% CI; the model's clean accuracy (``clean_method`` rows) is a dotted line. ``info``
    gives the x labels (each method's level meaning)."""
    title = "Robustness to compressed test data"
    lacking = missing(rows, ["method", "level", "model", "accuracy"])
    if lacking:
        return no_data(path, title, f"robustness rows lack columns {lacking}")
    data = rows.dropna(subset=["accuracy"])
    compressed = data[data["method"] != clean_method]
    if compressed.empty:
        return no_data(path, title, f"no rows besides the clean method {clean_method!r}")
    models = sorted(data["model"].astype(str).unique())
    palette = dict(zip(models, sns.color_palette("colorblind", len(models)), strict=True))
    markers = dict(zip(models, MARKERS, strict=False))
    clean = mean_ci(data[data["method"] == clean_method], ["model"], "accuracy").set_index("model")
    methods = sorted(compressed["method"].astype(str).unique())
    nrows, ncols = grid(len(methods), 3)
    info = method_info(info)  # resolved once for every panel's x label
    with rc_style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(4.5 * ncols + 2.2, 3.5 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[len(methods) :]:
            ax.set_visible(False)
        for ax, method in zip(axes.flat, methods, strict=False):
            sub = compressed[compressed["method"] == method]
            levels = level_order(sub["level"])
            numeric = numeric_levels(levels)
            pos = dict(zip(levels, numeric if numeric is not None else range(len(levels)), strict=True))
            for model in models:
                stats = mean_ci(sub[sub["model"].astype(str) == model], ["level"], "accuracy")
                if stats.empty:
                    continue
                stats["x"] = stats["level"].astype(str).map(pos)
                stats = stats.sort_values("x")
                err = np.where(np.isfinite(stats["half"]), stats["half"], 0.0)
                ax.errorbar(
                    stats["x"], stats["mean"], yerr=err, color=palette[model], marker=markers[model], ms=5,
                    capsize=2.5, lw=1.5,
                )  # fmt: skip
                if model in clean.index:
                    ax.axhline(clean.loc[model, "mean"], color=palette[model], ls=":", lw=1.2)
            if numeric is None:
                ax.set_xticks(range(len(levels)), levels, rotation=45, ha="right")
            ax.yaxis.set_major_formatter(PERCENT)
            ax.set_xlabel(level_meaning(method, info))
            ax.set_ylabel("Test accuracy (%)")
            ax.set_title(method)
        handles = [
            Line2D([], [], color=palette[m], marker=markers[m], lw=1.5, label=_model_label(m)) for m in models
        ]
        handles.append(Line2D([], [], color="0.4", ls=":", lw=1.2, label=f"clean test set ({clean_method})"))
        fig.legend(
            handles=handles, loc="outside right upper", title="model trained on raw data", frameon=False
        )
        fig.suptitle("Reference models on compressed test sets (mean over seeds, 95% CI)")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: the robustness table (CSV; levels kept as strings)."""
    return plot_robustness(pd.read_csv(inputs["table"], dtype={"level": str}), png, info=info)
