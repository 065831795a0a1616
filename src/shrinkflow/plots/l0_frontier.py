"""ℓ0 classifiers: test accuracy against nonzero parameters across each method's strength sweep, with the
per-method Pareto frontier (Barth & von Petersenn's α-hull plots, Fig. 4).

One point per method and strength (mean over seeds, Student-t 95% interval of the accuracy); the line joins
a method's points that no other point of the same method beats with fewer nonzeros and higher accuracy.
The dense twin (no pruning) is a black cross with a dashed line at its accuracy. Reads
``results/tables/l0.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .l0_description_length import means, method_styles
from .style import (
    MethodInfo,
    facet_keys,
    facet_label,
    grid,
    log_axis,
    missing,
    no_data,
    rc_style,
    save_figure,
)


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the points no other point dominates (x no larger and y no smaller, one strictly), by
    ascending x: the best accuracy reachable with at most that many nonzeros."""
    order = np.lexsort((-y, x))
    front, best = [], -np.inf
    for i in order:
        if y[i] > best:
            front.append(i)
            best = y[i]
    return np.asarray(front, dtype=int)


def plot_l0_frontier(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "ℓ0 methods: test accuracy vs nonzero parameters"
    lacking = missing(table, ["method", "strength_value", "seed", "test_accuracy", "nonzero_parameters"])
    if lacking or table.empty:
        return no_data(path, title, f"l0 table lacks {lacking or 'rows'}")
    keys = facet_keys(table)
    facets = list(table.groupby(keys, sort=False)) if keys else [((), table)]
    styles = method_styles()
    rows_, cols = grid(len(facets), 2)
    with rc_style():
        fig, axes = plt.subplots(rows_, cols, figsize=(6.5 * cols, 4.6 * rows_), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for ax in axes.flat[len(facets) :]:
            ax.set_axis_off()
        for ax, (values, part) in zip(axes.flat, facets, strict=False):
            for method, rows in part.groupby("method", sort=True):
                points = means(rows, "nonzero_parameters", "test_accuracy")
                x, y = points["x"].to_numpy(float), points["mean"].to_numpy(float)
                if method == "dense":
                    ax.errorbar(x, y, yerr=points["half"].fillna(0), ls="none", marker="X", ms=9,
                                color="black", label="dense (no pruning)", zorder=3)  # fmt: skip
                    ax.axhline(float(np.mean(y)), color="black", ls="--", lw=0.8)
                    continue
                style = styles.get(method, {})
                ax.errorbar(x, y, yerr=points["half"].fillna(0), ls="none", capsize=2, alpha=0.6,
                            color=style.get("color"), marker=style.get("marker", "o"))  # fmt: skip
                front = pareto_front(x, y)
                ax.plot(x[front], y[front], color=style.get("color"), marker=style.get("marker", "o"),
                        label=f"{method} (frontier)")  # fmt: skip
            log_axis(ax.xaxis)
            ax.set_xlabel("Nonzero parameters (log)")
            ax.set_ylabel("Test accuracy")
            ax.set_title(facet_label(keys, values if isinstance(values, tuple) else (values,)))
            ax.margins(x=0.08, y=0.08)
            ax.legend(fontsize=7, loc="best")
        fig.suptitle(f"{title}\n(mean and 95% CI over seeds; lines: each method's Pareto frontier)")
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/l0.csv (one row per classifier run)."""
    return plot_l0_frontier(pd.read_csv(inputs["table"], dtype={"strength": str}), png)
