"""Decision-boundary distance ratios: how far test points lie from a compressed-data model's decision
boundary, relative to the reference model's, per method and level.

One dot per seed (hollow where a median was censored at the search radius), mean with 95% CI, the line
at 1 meaning "as far as the reference". Reads the ``boundaries.json`` of every analysed run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..aggregate import collect_analyses, sort_runs
from ..stats import t_halfwidth
from .style import MethodInfo, facet_keys, facet_label, method_style, missing, no_data, rc_style, save_figure


def plot_boundary_ratios(
    runs: pd.DataFrame,
    path: str | os.PathLike,
    column: str = "boundaries_distance_ratio",
    info: MethodInfo | None = None,
) -> list[Path]:
    """Median boundary distance of each compressed-data model divided by its reference's, per method and
    level: one dot per seed (hollow where either median was censored at the search radius), black bar =
    mean with 95% CI; the dashed line at 1 means "as far from the boundary as the reference". ``info``
    gives the method families (colours)."""
    title = "Decision-boundary distance ratio"
    lacking = missing(runs, ["method", "level", column])
    if lacking:
        return no_data(path, title, f"runs lack columns {lacking}")
    data = runs.dropna(subset=[column])
    if data.empty:
        return no_data(path, title, f"every {column!r} value is missing")
    censored_col = f"{column}_censored"
    facets = facet_keys(data)
    groups = list(data.groupby(facets, sort=True)) if facets else [((), data)]
    styles = method_style(data["method"], info)
    n_max = max(len(g.groupby(["method", "level"])) for _, g in groups)
    with rc_style():
        fig, axes = plt.subplots(
            len(groups), 1, figsize=(max(5.5, 0.5 * n_max + 3.0), 3.6 * len(groups) + 0.4),
            layout="constrained", squeeze=False,
        )  # fmt: skip
        for ax, (keys, panel) in zip(axes[:, 0], groups, strict=True):
            keys = keys if isinstance(keys, tuple) else (keys,)
            ordered = sort_runs(panel, ("method", "level", "seed"))
            pairs = zip(ordered["method"].astype(str), ordered["level"].astype(str), strict=True)
            cells = list(dict.fromkeys(pairs))
            for x, (method, level) in enumerate(cells):
                cell = ordered[
                    (ordered["method"].astype(str) == method) & (ordered["level"].astype(str) == level)
                ]
                vals = cell[column].astype(float).to_numpy()
                offsets = (np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(1)) - 0.1
                cens = (
                    cell[censored_col].fillna(False).astype(bool).to_numpy()
                    if censored_col in cell.columns
                    else np.zeros(len(vals), bool)
                )
                st = styles[method]
                ax.scatter(
                    x + offsets[~cens], vals[~cens], color=st["color"], marker=st["marker"], s=26, zorder=3
                )
                ax.scatter(
                    x + offsets[cens], vals[cens], facecolors="none", edgecolors=st["color"],
                    marker=st["marker"], s=26, zorder=3,
                )  # fmt: skip
                mean = vals.mean()
                half = t_halfwidth(vals.std(ddof=1) if len(vals) > 1 else np.nan, len(vals))[()]
                ax.errorbar(
                    x + 0.22, mean, yerr=half if np.isfinite(half) else 0, color="black", marker="_",
                    ms=12, capsize=3, lw=1.2, zorder=4,
                )  # fmt: skip
            ax.axhline(1.0, color="0.3", ls="--", lw=1)
            ax.set_xticks(
                range(len(cells)), [f"{m} {lv}" for m, lv in cells], rotation=45, ha="right",
                rotation_mode="anchor",
            )  # fmt: skip
            ax.set_xlim(-0.6, len(cells) - 0.4)
            ax.set_ylabel("Boundary distance ratio\n(model / reference)")
            ax.set_xlabel("method, level")
            if facets:
                ax.set_title(facet_label(facets, keys))
        handles = [
            Line2D([], [], ls="", marker="o", color="0.3", label="seed"),
            Line2D([], [], ls="", marker="o", mfc="none", color="0.3", label="seed, censored median"),
            Line2D([], [], ls="", marker="_", ms=12, color="black", label="mean ± 95% CI"),
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=3, frameon=False)
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["analyses"]``: ``boundaries.json`` of every analysed run."""
    return plot_boundary_ratios(collect_analyses(inputs["analyses"]), png, info=info)
