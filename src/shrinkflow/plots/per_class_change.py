"""Per-class accuracy change of each compressed model against the run it came from (the correctness-
preserving paper's Fig. 4): which classes compression costs, scheme by scheme.

Reads ``results/tables/model_compression.csv``: ``per_class_change_{i}`` = compressed minus uncompressed
accuracy of class i on the test set, averaged over seeds, in percentage points.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .style import MethodInfo, no_data, rc_style, save_figure

_CLASS = re.compile(r"^per_class_change_(\d+)$")


def plot_per_class_change(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "Per-class accuracy change after model compression"
    cols = sorted((c for c in table.columns if _CLASS.match(c)), key=lambda c: int(_CLASS.match(c)[1]))
    if not cols or table.empty:
        return no_data(path, title, "the model table has no per_class_change_* columns")
    keys = [k for k in ("dataset", "model", "method", "level") if table[k].nunique() > 1]
    table = table.assign(_amount=pd.to_numeric(table["amount"], errors="coerce"))
    order = [*keys, "scheme", "_amount"]
    grid = table.sort_values(order, kind="mergesort").groupby([*keys, "scheme", "amount"], sort=False)[cols]
    means = grid.mean() * 100
    means.index = [" · ".join(str(v) for v in i) for i in means.index]
    means.columns = [_CLASS.match(c)[1] for c in cols]
    limit = max(1.0, float(np.nanmax(np.abs(means.to_numpy()))))
    with rc_style():
        fig, ax = plt.subplots(figsize=(max(5.0, 0.62 * len(cols) + 3.4), 0.36 * len(means) + 1.8),
                               layout="constrained")  # fmt: skip
        sns.heatmap(means, ax=ax, cmap="RdBu", center=0, vmin=-limit, vmax=limit, annot=len(cols) <= 20,
                    fmt=".1f", annot_kws={"fontsize": 7}, linewidths=0.4, linecolor="white",
                    cbar_kws={"label": "Accuracy change of the class (percentage points)"})  # fmt: skip
        ax.set_xlabel("Class")
        ax.set_ylabel(" · ".join([*keys, "scheme", "amount"]))
        ax.tick_params(axis="y", rotation=0)
        ax.set_title(f"{title}\n(compressed − uncompressed run, mean over seeds)", fontsize=10)
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/model_compression.csv."""
    return plot_per_class_change(pd.read_csv(inputs["table"], dtype={"level": str, "amount": str}), png)
