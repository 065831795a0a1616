"""Aggregation: sidecars, run metrics, histories and analyses → tidy tables (reproduction tables live in
:mod:`shrinkflow.reproduction`).

Everything here takes explicit file lists (the workflow's ``expand()`` decides what belongs to a study) and
derives the run's identity from its path with the layout's one parser (:func:`shrinkflow.layout.parse`,
wrapped as :func:`parse_result_path`): compressed sidecars, run files, analysis JSONs and benchmark TSVs.

JSON records are flattened key-agnostically (nested dicts become dotted names, e.g. ``params.quality``,
``splits.test.psnr_db``); lists are dropped, except ``per_class_accuracy``, which is expanded into
``per_class_accuracy_{i}`` columns. New keys written by other stages therefore appear as new columns
without code changes here.

The runs table (:func:`collect_runs`) has one row per trained model: identity columns (dataset, method,
level, view, model, seed), then every metrics.json scalar, then the compressed sidecar's scalars (its
``seed`` renamed ``codec_seed``; where a key is in both files the run's metrics.json value is kept), then
each analysis's scalars prefixed by the analysis name (``output_agreement``, ``boundaries_distance_ratio``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import layout
from .stats import STAT_COLUMNS, summarize

RUN_KEYS = ("dataset", "method", "level", "model", "seed")
#: identity columns of the runs table, in order
ID_COLUMNS = ("dataset", "method", "level", "view", "model", "seed")
#: groups of :func:`summary`: one row per (dataset, method, level, model) and metric
SUMMARY_GROUPS = ("dataset", "method", "level", "model")
#: list-valued keys expanded into one column per entry instead of being dropped
EXPANDED_LISTS = ("per_class_accuracy", "per_class_change")
#: sidecar keys renamed in the runs table because the run's metrics use the same name for something else
SIDECAR_RENAMES = {"seed": "codec_seed"}


#: the result kinds :func:`parse_result_path` reads (see :mod:`shrinkflow.layout`)
PATH_KINDS = ("compressed", "runs", "analysis", "benchmarks")
ResultPathError = layout.ResultPathError


def parse_result_path(path: str | os.PathLike, kind: str | None = None) -> dict[str, Any]:
    """Identity fields of a result file from its path (:func:`shrinkflow.layout.parse`), ``seed`` an int.

    ``kind`` (one of :data:`PATH_KINDS`) restricts the accepted layouts; without it each is tried in turn.
    """
    return layout.parse(path, PATH_KINDS if kind is None else kind)


def flatten_record(record: Mapping[str, Any], expand: Sequence[str] = EXPANDED_LISTS) -> dict[str, Any]:
    """One flat dict of scalars: nested dicts → dotted keys, listed keys expanded, other lists dropped.

    ``expand`` names list-valued keys (at any depth, matched on the last name part) that become
    ``{key}_{i}`` columns; every other list or array is dropped, so per-image arrays never reach a table.
    """
    flat: dict[str, Any] = {}

    def visit(prefix: str, obj: Any) -> None:
        if isinstance(obj, Mapping):
            for key in obj:
                visit(f"{prefix}.{key}" if prefix else str(key), obj[key])
        elif isinstance(obj, (list, tuple, np.ndarray)):
            if prefix.rsplit(".", 1)[-1] in expand:
                for i, item in enumerate(obj):
                    if item is None or isinstance(item, (int, float, np.number, bool)):
                        flat[f"{prefix}_{i}"] = np.nan if item is None else item
        else:
            flat[prefix] = obj

    visit("", record)
    return flat


def _read_json(path: str | os.PathLike) -> dict[str, Any]:
    try:
        obj = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    return dict(obj)


def level_sort_key(level: Any) -> tuple[int, float, str]:
    """Sort key that orders levels numerically where they are numbers ("7" < "14"), names after them."""
    text = str(level)
    try:
        number = float(text)
    except ValueError:
        return (1, math.inf, text)
    return (0, number if math.isfinite(number) else math.inf, text)


def sort_runs(df: pd.DataFrame, keys: Sequence[str] = RUN_KEYS) -> pd.DataFrame:
    """Rows ordered by the present identity columns, levels numerically (the tables' canonical order)."""
    keys = [k for k in keys if k in df.columns]
    if not keys or df.empty:
        return df.reset_index(drop=True)

    def key(col: pd.Series) -> pd.Series:
        if col.name == "level":
            ranks = {lv: i for i, lv in enumerate(sorted(set(col.astype(str)), key=level_sort_key))}
            return col.astype(str).map(ranks)
        return col

    return df.sort_values(keys, key=key, kind="mergesort").reset_index(drop=True)


def check_unique(df: pd.DataFrame, keys: Sequence[str], what: str) -> None:
    dup = df[df.duplicated(list(keys), keep=False)]
    if len(dup):
        which = dup[list(keys)].drop_duplicates().to_records(index=False).tolist()
        raise ValueError(f"more than one {what} for {list(keys)} = {which}")


def _identity_mismatch(record: Mapping[str, Any], ids: Mapping[str, Any], path: Any) -> None:
    """A file whose own identity keys contradict its path is a mixed-up input: refuse it."""
    for key in ("dataset", "method", "level", "model"):
        if key in record and key in ids and str(record[key]) != str(ids[key]):
            raise ValueError(f"{path}: {key} is {record[key]!r} in the file but {ids[key]!r} in the path")


def collect_compressed(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per compressed sidecar: dataset, method, level + every flattened scalar of the sidecar."""
    rows = []
    for path in paths:
        ids = parse_result_path(path, "compressed")
        record = _read_json(path)
        _identity_mismatch(record, ids, path)
        flat = flatten_record(record)
        flat = {
            SIDECAR_RENAMES.get(k, k): v for k, v in flat.items() if k not in ("dataset", "method", "level")
        }
        rows.append({"dataset": ids["dataset"], "method": ids["method"], "level": ids["level"], **flat})
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["dataset", "method", "level"])
    check_unique(df, ["dataset", "method", "level"], "compressed sidecar")
    return sort_runs(df, ("dataset", "method", "level"))


def collect_metrics(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per run: identity from the path + every flattened scalar of metrics.json."""
    rows = []
    for path in paths:
        ids = parse_result_path(path, "runs")
        record = _read_json(path)
        _identity_mismatch(record, ids, path)
        flat = {k: v for k, v in flatten_record(record).items() if k not in RUN_KEYS}
        rows.append({**{k: ids[k] for k in RUN_KEYS}, **flat})
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=list(RUN_KEYS))
    check_unique(df, RUN_KEYS, "metrics.json")
    return df


def collect_analyses(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per run with every analysis's scalars prefixed ``{analysis}_``."""
    per_run: dict[tuple, dict[str, Any]] = {}
    for path in paths:
        ids = parse_result_path(path, "analysis")
        record = _read_json(path)
        key = tuple(ids[k] for k in RUN_KEYS)
        row = per_run.setdefault(key, dict(zip(RUN_KEYS, key, strict=True)))
        prefix = ids["analysis"]
        for name, value in flatten_record(record).items():
            column = f"{prefix}_{name}"
            if column in row:
                raise ValueError(f"{path}: analysis {prefix!r} given twice for run {key}")
            row[column] = value
    if not per_run:
        return pd.DataFrame(columns=list(RUN_KEYS))
    return pd.DataFrame(list(per_run.values()))


def collect_runs(
    metrics_paths: Iterable[str | os.PathLike],
    compressed_paths: Iterable[str | os.PathLike] = (),
    analysis_paths: Iterable[str | os.PathLike] = (),
) -> pd.DataFrame:
    """The tidy runs table (see the module docstring for its columns), rows in canonical order.

    Every analysis file must belong to a run among ``metrics_paths`` (else ValueError naming it); a run
    without a compressed sidecar keeps NaN storage columns.
    """
    metrics = collect_metrics(metrics_paths)
    metric_cols = sorted(c for c in metrics.columns if c not in ID_COLUMNS)
    out = metrics

    compressed = collect_compressed(compressed_paths)
    storage_cols = sorted(c for c in compressed.columns if c not in ("dataset", "method", "level"))
    storage_cols = [c for c in storage_cols if c not in metrics.columns]  # metrics.json wins
    if storage_cols:
        out = out.merge(
            compressed[["dataset", "method", "level", *storage_cols]],
            on=["dataset", "method", "level"],
            how="left",
            validate="many_to_one",
        )

    analyses = collect_analyses(analysis_paths)
    analysis_cols = sorted(c for c in analyses.columns if c not in RUN_KEYS)
    if analysis_cols:
        known = set(map(tuple, out[list(RUN_KEYS)].astype(str).to_numpy().tolist()))
        orphans = [
            k for k in map(tuple, analyses[list(RUN_KEYS)].astype(str).to_numpy().tolist()) if k not in known
        ]
        if orphans:
            raise ValueError(f"analysis results for runs without metrics.json: {orphans}")
        out = out.merge(analyses, on=list(RUN_KEYS), how="left", validate="one_to_one")

    id_cols = [c for c in ID_COLUMNS if c in out.columns]
    columns = id_cols + [c for c in metric_cols if c not in id_cols] + storage_cols + analysis_cols
    return sort_runs(out[columns])


def summary(runs: pd.DataFrame, groups: Sequence[str] = SUMMARY_GROUPS) -> pd.DataFrame:
    """Long table per (dataset, method, level, model) and numeric metric: mean, std, n, 95% CI over seeds.

    Identity columns (and ``seed``, ``codec_seed``) are not metrics; ``view`` rides along as a group column
    when present (it is fixed per method).
    """
    groups = [g for g in groups if g in runs.columns]
    if "view" in runs.columns and "view" not in groups:
        groups.append("view")
    skip = set(ID_COLUMNS) | {"codec_seed"} | set(groups)
    value_cols = [
        c
        for c in runs.columns
        if c not in skip and (pd.api.types.is_numeric_dtype(runs[c]) or pd.api.types.is_bool_dtype(runs[c]))
    ]
    table = runs.copy()
    if "view" in groups:
        table["view"] = table["view"].fillna("")
    out = summarize(table, groups, value_cols)
    return sort_runs(out, groups) if not out.empty else out


def summary_wide(
    summary_long: pd.DataFrame, metrics: Sequence[str], groups: Sequence[str] = SUMMARY_GROUPS
) -> pd.DataFrame:
    """Pivot chosen metrics of a long summary to columns ``{metric}_{mean,std,n,ci95_low,ci95_high}``.

    One row per group that has at least one of the metrics; a metric a group lacks is NaN there.
    """
    groups = [g for g in groups if g in summary_long.columns]
    if "view" in summary_long.columns and "view" not in groups:
        groups.append("view")
    sub = summary_long[summary_long["metric"].isin(list(metrics))]
    if sub.empty:
        return pd.DataFrame(columns=groups)
    stats = [c for c in STAT_COLUMNS if c != "metric"]
    check_unique(sub, [*groups, "metric"], "summary row")
    wide = sub.set_index([*groups, "metric"])[stats].unstack("metric")
    wide.columns = [f"{metric}_{stat}" for stat, metric in wide.columns]
    return sort_runs(wide.reset_index(), groups)


def collect_histories(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Long table of every run's history.csv with dataset, method, level, model, seed in front.

    Columns are the union over runs (AdaptCompression's ``frac_k*`` columns are NaN for other runs).
    """
    frames = []
    for path in paths:
        ids = parse_result_path(path, "runs")
        frame = pd.read_csv(path)
        for i, key in enumerate(RUN_KEYS):
            frame.insert(i, key, ids[key])
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*RUN_KEYS, "epoch"])
    df = pd.concat(frames, ignore_index=True, sort=False)
    return sort_runs(df, (*RUN_KEYS, "epoch") if "epoch" in df.columns else RUN_KEYS)


def with_run_columns(table: pd.DataFrame, runs: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Add run-level columns (e.g. ``view`` or ``adaptive.policy``) to a per-run table such as histories."""
    keys = [k for k in RUN_KEYS if k in table.columns and k in runs.columns]
    present = [c for c in columns if c in runs.columns and c not in table.columns]
    if not present:
        return table
    return table.merge(runs[[*keys, *present]], on=keys, how="left", validate="many_to_one")


def read_benchmarks(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Snakemake ``benchmark:`` TSVs → one row per measurement with ``rule`` and ``wildcards`` (the path
    below ``benchmarks/{rule}/`` without ``.tsv``) in front; numeric columns (``s``, ``max_rss`` in MB, …)
    coerced to numbers ("NA" or "-" for very short jobs become NaN)."""
    frames = []
    for path in paths:
        ids = parse_result_path(path, "benchmarks")
        frame = pd.read_csv(path, sep="\t", na_values=["-", "NA"])
        for col in frame.columns:
            if col != "h:m:s":
                frame[col] = pd.to_numeric(frame[col], errors="coerce")
        frame.insert(0, "rule", ids["folder"])
        frame.insert(1, "wildcards", ids["job"])
        frame.insert(2, "repeat", range(len(frame)))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["rule", "wildcards", "repeat", "s", "max_rss"])
    df = pd.concat(frames, ignore_index=True, sort=False)
    return df.sort_values(["rule", "wildcards", "repeat"], kind="mergesort").reset_index(drop=True)
