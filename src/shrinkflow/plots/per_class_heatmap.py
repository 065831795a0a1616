"""Per-class test accuracy: one row per method and level, one column per class, annotated in per cent.

Shows whether compression costs every class alike or a few classes most. Reads each grid run's
``metrics.json`` and the class names from the dataset sidecars (``results/data/{dataset}.json``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..aggregate import collect_metrics, sort_runs
from ..artifacts import read_json
from .style import MethodInfo, missing, no_data, rc_style, save_figure

_CLASS = re.compile(r"^per_class_accuracy_(\d+)$")


def plot_per_class_heatmap(
    runs: pd.DataFrame, path: str | os.PathLike, class_names: Sequence[str] | None = None
) -> list[Path]:
    """Mean test accuracy per class (columns) for each method/level (rows), annotated in per cent; one
    block per (dataset, model) when there are several."""
    title = "Per-class test accuracy"
    cols = sorted((c for c in runs.columns if _CLASS.match(c)), key=lambda c: int(_CLASS.match(c)[1]))
    if missing(runs, ["method", "level"]) or not cols:
        return no_data(path, title, "runs lack method/level or per_class_accuracy_* columns")
    keys = [k for k in ("dataset", "model") if k in runs.columns and runs[k].nunique() > 1]
    keys += ["method", "level"]
    table = sort_runs(runs, keys).groupby(keys, sort=False)[cols].mean()
    table = table.dropna(how="all")
    if table.empty:
        return no_data(path, title, "every per-class accuracy is missing")
    table.index = [" · ".join(str(v) for v in (i if isinstance(i, tuple) else (i,))) for i in table.index]
    n_classes = len(cols)
    if class_names is not None and len(class_names) == n_classes:
        table.columns = list(class_names)
    else:
        table.columns = [str(_CLASS.match(c)[1]) for c in cols]
    annotate = n_classes <= 20
    with rc_style():
        fig, ax = plt.subplots(
            figsize=(max(5.0, 0.62 * n_classes + 3.2), 0.36 * len(table) + 1.6), layout="constrained"
        )
        sns.heatmap(
            table * 100, ax=ax, cmap="viridis", vmin=max(0.0, float(np.nanmin(table.to_numpy())) * 100 - 1),
            vmax=100, annot=annotate, fmt=".1f", annot_kws={"fontsize": 7.5}, linewidths=0.4,
            linecolor="white", cbar_kws={"label": "Test accuracy of the class (%)"},
        )  # fmt: skip
        ax.set_xlabel("Class")
        ax.set_ylabel(" · ".join(keys))
        ax.tick_params(axis="x", rotation=45 if class_names is not None else 0)
        ax.tick_params(axis="y", rotation=0)
        ax.set_title(f"{title} (mean over seeds)")
        ax.grid(False)
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["metrics"]``: ``metrics.json`` of every grid run; ``inputs["data_sidecars"]``: the
    datasets' sidecars, whose class names label the columns when there is one dataset."""
    runs = collect_metrics(inputs["metrics"])
    names = [read_json(p).get("class_names") for p in inputs["data_sidecars"]]
    return plot_per_class_heatmap(runs, png, class_names=names[0] if len(names) == 1 else None)
