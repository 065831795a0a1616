"""AdaptCompression: share of training samples at each DCT level per epoch, stacked, one panel per preset.

The preset name says both its levels and its threshold policy; the storage assigned per epoch is drawn on a
second axis. Reads ``history.csv`` and ``metrics.json`` of the AdaptCompression runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from ..aggregate import collect_histories, collect_metrics, with_run_columns
from .style import PERCENT, MethodInfo, grid, no_data, rc_style, save_figure

_FRAC = re.compile(r"^frac_k(\d+)$")


def plot_adaptive_fractions(
    histories: pd.DataFrame, path: str | os.PathLike, policy_col: str | None = None
) -> list[Path]:
    """Share of training samples at each DCT level per epoch (stacked, mean over seeds), one panel per
    threshold policy (``policy_col``; default ``adaptive.policy`` when present, else method and level).
    The assigned storage per epoch (``assigned_stored_bytes``) is drawn on a second axis when present."""
    title = "AdaptCompression: samples per level"
    if histories is None or "epoch" not in histories.columns:
        return no_data(path, title, "histories lack an 'epoch' column")
    fracs = sorted((c for c in histories.columns if _FRAC.match(c)), key=lambda c: int(_FRAC.match(c)[1]))
    if not fracs:
        return no_data(path, title, "no frac_k* columns: no AdaptCompression runs among the histories")
    data = histories.dropna(subset=fracs, how="all")
    if data.empty:
        return no_data(path, title, "every frac_k* value is missing")
    if policy_col is None and "adaptive.policy" in data.columns:
        policy_col = "adaptive.policy"
    if policy_col is not None and policy_col not in data.columns:
        return no_data(path, title, f"policy column {policy_col!r} not in the histories")
    group_cols = [policy_col] if policy_col else [c for c in ("method", "level") if c in data.columns]
    extra = [k for k in ("dataset", "model") if k in data.columns and data[k].nunique() > 1]
    group_cols = extra + group_cols
    groups = list(data.groupby(group_cols, sort=True)) if group_cols else [((), data)]
    palette = sns.color_palette("colorblind", len(fracs))
    labels = [f"k = {_FRAC.match(c)[1]}" for c in fracs]
    nrows, ncols = grid(len(groups), 3)
    with rc_style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(4.6 * ncols + 1.4, 3.4 * nrows), layout="constrained", squeeze=False
        )
        for ax in axes.flat[len(groups) :]:
            ax.set_visible(False)
        for ax, (keys, frame) in zip(axes.flat, groups, strict=False):
            keys = keys if isinstance(keys, tuple) else (keys,)
            mean = frame.groupby("epoch", sort=True)[fracs].mean().fillna(0.0)
            ax.stackplot(mean.index, mean.T.to_numpy(), colors=palette, labels=labels, alpha=0.85)
            ax.set_ylim(0, 1)
            ax.set_xlim(mean.index.min(), mean.index.max())
            ax.yaxis.set_major_formatter(PERCENT)
            ax.set_xlabel("Epoch")
            ax.set_ylabel("Share of training samples")
            ax.xaxis.get_major_locator().set_params(integer=True)
            name = policy_col.rsplit(".", 1)[-1] if policy_col else "run"
            ax.set_title(f"{name}: " + " · ".join(str(k) for k in keys) if keys else "")
            if "assigned_stored_bytes" in frame.columns and frame["assigned_stored_bytes"].notna().any():
                kib = frame.groupby("epoch", sort=True)["assigned_stored_bytes"].mean() / 1024
                twin = ax.twinx()
                twin.plot(kib.index, kib.to_numpy(), color="black", lw=1.5, marker=".", label="storage")
                twin.set_ylabel("Assigned storage (KiB)")
                twin.grid(False)
                twin.spines["right"].set_visible(True)
                twin.set_ylim(bottom=0)
        handles = [plt.Rectangle((0, 0), 1, 1, color=p, alpha=0.85) for p in palette]
        handles.append(Line2D([], [], color="black", lw=1.5, marker=".", label="assigned storage"))
        fig.legend(
            handles, [*labels, "assigned storage (right axis)"], loc="outside right upper",
            title="DCT level", frameon=False,
        )  # fmt: skip
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["histories"]`` and ``inputs["metrics"]``: ``history.csv`` and ``metrics.json`` of the
    AdaptCompression runs; one panel per preset (``info`` is not needed)."""
    histories = collect_histories(inputs["histories"])
    runs = collect_metrics(inputs["metrics"])
    histories = with_run_columns(histories, runs, ["adaptive.policy"])
    # one panel per preset: the preset name says levels and policy
    histories["preset"] = histories["level"]
    return plot_adaptive_fractions(histories, png, policy_col="preset")
