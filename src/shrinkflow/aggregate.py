"""Aggregation: sidecars, run metrics, histories and analyses → tidy tables; reproduction tables.

Everything here takes explicit file lists (the workflow's ``expand()`` decides what belongs to a study) and
derives the run's identity from its path with one parser, :func:`parse_result_path`:

* ``…/compressed/{dataset}/{method}/{level}.json``
* ``…/runs/{dataset}/{method}/{level}/{model}/seed{seed}/{file}``
* ``…/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/{analysis}.json``
* ``…/benchmarks/{rule}/{wildcards…}.tsv``

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
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from .stats import STAT_COLUMNS, summarize

RUN_KEYS = ("dataset", "method", "level", "model", "seed")
#: identity columns of the runs table, in order
ID_COLUMNS = ("dataset", "method", "level", "view", "model", "seed")
#: groups of :func:`summary`: one row per (dataset, method, level, model) and metric
SUMMARY_GROUPS = ("dataset", "method", "level", "model")
#: list-valued keys expanded into one column per entry instead of being dropped
EXPANDED_LISTS = ("per_class_accuracy",)
#: sidecar keys renamed in the runs table because the run's metrics use the same name for something else
SIDECAR_RENAMES = {"seed": "codec_seed"}

#: which runs belong to each study of the published-results file (methods of its tables)
STUDY_METHODS = {
    "less_is_more": ("identity", "dct", "random_projection", "downsample", "binary_then_resize",
                     "resize_then_binary"),
    "adaptcompression": ("identity", "dct", "adaptive"),
    "correctness_preserving": ("identity", "jpeg", "zfp_rate", "zfp_precision", "zfp_accuracy", "png",
                               "zfp_reversible"),
}  # fmt: skip

_SEGMENT = r"[^/]+"
_PATTERNS = {
    "compressed": re.compile(
        rf"(?:^|/)compressed/(?P<dataset>{_SEGMENT})/(?P<method>{_SEGMENT})/(?P<level>{_SEGMENT})\.json$"
    ),
    "runs": re.compile(
        rf"(?:^|/)runs/(?P<dataset>{_SEGMENT})/(?P<method>{_SEGMENT})/(?P<level>{_SEGMENT})/"
        rf"(?P<model>{_SEGMENT})/seed(?P<seed>\d+)/(?P<file>{_SEGMENT})$"
    ),
    "analysis": re.compile(
        rf"(?:^|/)analysis/(?P<dataset>{_SEGMENT})/(?P<method>{_SEGMENT})/(?P<level>{_SEGMENT})/"
        rf"(?P<model>{_SEGMENT})/seed(?P<seed>\d+)/(?P<analysis>{_SEGMENT})\.json$"
    ),
    "benchmarks": re.compile(rf"(?:^|/)benchmarks/(?P<rule>{_SEGMENT})/(?P<wildcards>.+)\.tsv$"),
}
PATH_KINDS = tuple(_PATTERNS)


class ResultPathError(ValueError):
    """A path that does not follow the results layout of ARCHITECTURE.md."""


def parse_result_path(path: str | os.PathLike, kind: str | None = None) -> dict[str, Any]:
    """Identity fields of a result file from its path: ``{"kind": …, "dataset": …, …}``.

    ``kind`` (one of :data:`PATH_KINDS`) restricts the accepted layouts; ``seed`` comes back as an int.
    The path may have any prefix (``results/`` or an absolute folder); the last match wins.
    """
    posix = PurePath(path).as_posix()
    kinds = [kind] if kind is not None else list(_PATTERNS)
    unknown = [k for k in kinds if k not in _PATTERNS]
    if unknown:
        raise ValueError(f"unknown result path kind {kind!r}; allowed: {list(PATH_KINDS)}")
    for k in kinds:
        match = _PATTERNS[k].search(posix)
        if match:
            fields: dict[str, Any] = {"kind": k, **match.groupdict()}
            if "seed" in fields:
                fields["seed"] = int(fields["seed"])
            return fields
    layouts = {
        "compressed": "compressed/{dataset}/{method}/{level}.json",
        "runs": "runs/{dataset}/{method}/{level}/{model}/seed{seed}/{file}",
        "analysis": "analysis/{dataset}/{method}/{level}/{model}/seed{seed}/{analysis}.json",
        "benchmarks": "benchmarks/{rule}/{wildcards}.tsv",
    }
    expected = " or ".join(layouts[k] for k in kinds)
    raise ResultPathError(f"path {posix!r} does not follow the results layout {expected}")


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


def _check_unique(df: pd.DataFrame, keys: Sequence[str], what: str) -> None:
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
    _check_unique(df, ["dataset", "method", "level"], "compressed sidecar")
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
    _check_unique(df, RUN_KEYS, "metrics.json")
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
    _check_unique(sub, [*groups, "metric"], "summary row")
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
        frame.insert(0, "rule", ids["rule"])
        frame.insert(1, "wildcards", ids["wildcards"])
        frame.insert(2, "repeat", range(len(frame)))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["rule", "wildcards", "repeat", "s", "max_rss"])
    df = pd.concat(frames, ignore_index=True, sort=False)
    return df.sort_values(["rule", "wildcards", "repeat"], kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------
# Reproduction tables
# --------------------------------------------------------------------------------------------------------

#: columns of the published-results file (src/shrinkflow/data/published_results.csv)
PUBLISHED_COLUMNS = (
    "study", "paper", "authors", "venue", "arxiv_id", "table", "dataset", "method", "level", "model",
    "metric", "value", "tolerance", "source_url", "notes",
)  # fmt: skip
#: the keys a published number and a shrinkflow summary row are matched on
MATCH_KEYS = ("dataset", "method", "level", "model", "metric")
VERDICTS = ("reproduced", "within CI", "not reproduced", "not run", "no published number")
#: default agreement tolerance (absolute, in the metric's units: 0.01 = one accuracy point)
DEFAULT_TOLERANCE = 0.01
REPRODUCTION_COLUMNS = (
    "study", "table", "dataset", "method", "level", "model", "metric", "published", "tolerance", "mean",
    "std", "n", "ci95_low", "ci95_high", "difference", "verdict", "source_url", "notes",
)  # fmt: skip


def published_results_path() -> Path:
    """The packaged published-numbers file."""
    return Path(__file__).with_name("data") / "published_results.csv"


def load_published(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The published-numbers table, strings kept as strings (levels like "07" stay verbatim)."""
    path = published_results_path() if path is None else Path(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: lacks column(s) {missing}; expected {list(PUBLISHED_COLUMNS)}")
    for col in ("value", "tolerance"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="raise")
    return df


def verdict(
    published: float, mean: float, ci95_low: float, ci95_high: float, tolerance: float = DEFAULT_TOLERANCE
) -> str:
    """Reproduction verdict for one number, rules applied in order:

    1. no published value (NaN) → "no published number"
    2. no shrinkflow mean (NaN: not run, or every seed failed) → "not run"
    3. |mean − published| ≤ tolerance → "reproduced"
    4. ci95_low ≤ published ≤ ci95_high → "within CI" (consistent with our seeds' spread, but farther than
       the tolerance: more seeds would decide; with one seed the CI is NaN and this never applies)
    5. otherwise → "not reproduced"
    """
    if published is None or pd.isna(published):
        return "no published number"
    if mean is None or pd.isna(mean):
        return "not run"
    tol = DEFAULT_TOLERANCE if tolerance is None or pd.isna(tolerance) else float(tolerance)
    if abs(float(mean) - float(published)) <= tol + 1e-12:
        return "reproduced"
    if not (pd.isna(ci95_low) or pd.isna(ci95_high)) and ci95_low <= published <= ci95_high:
        return "within CI"
    return "not reproduced"


def reproduction_table(
    summary_long: pd.DataFrame,
    published: pd.DataFrame,
    study: str,
    tolerance: float = DEFAULT_TOLERANCE,
    include_unmatched: Sequence[str] = (),
) -> pd.DataFrame:
    """The paper's numbers beside shrinkflow's mean and 95% CI with a :func:`verdict` per row.

    One row per published entry of ``study`` that names a metric (entries with an empty ``metric`` only
    document a source and are skipped); matching is exact on dataset, method, level, model and metric. A
    row's own ``tolerance`` overrides the ``tolerance`` argument. ``include_unmatched`` lists metrics
    whose shrinkflow rows without a published counterpart are appended with verdict "no published number"
    (so a study whose tables could not be found still lists what was measured). ``summary_long`` should be
    restricted by the caller to the study's runs.
    """
    known = sorted(set(published["study"]))
    if study not in known:
        raise ValueError(f"unknown study {study!r}; the published-results file has {known}")
    pub = published[(published["study"] == study) & (published["metric"].astype(str) != "")].copy()
    ours = summary_long.copy()
    for key in MATCH_KEYS:
        if key not in ours.columns:
            raise ValueError(
                f"summary lacks column {key!r}; expected a long summary from aggregate.summary()"
            )
        ours[key] = ours[key].astype(str)
        pub[key] = pub[key].astype(str)
    ours = ours[[*MATCH_KEYS, "mean", "std", "n", "ci95_low", "ci95_high"]]
    _check_unique(ours, MATCH_KEYS, "summary row")

    pub = pub.rename(columns={"value": "published", "tolerance": "row_tolerance"})
    table = pub.merge(ours, on=list(MATCH_KEYS), how="left")
    table["tolerance"] = table["row_tolerance"].fillna(tolerance)
    if include_unmatched:
        matched = set(map(tuple, pub[list(MATCH_KEYS)].to_numpy().tolist()))
        extra = ours[ours["metric"].isin(list(include_unmatched))]
        extra = extra[[tuple(r) not in matched for r in extra[list(MATCH_KEYS)].to_numpy().tolist()]]
        extra = extra.assign(
            study=study, table="", published=np.nan, tolerance=tolerance, source_url="",
            notes="measured by shrinkflow; no published counterpart",
        )  # fmt: skip
        table = pd.concat([table, extra], ignore_index=True, sort=False)
    if table.empty:
        return pd.DataFrame(columns=list(REPRODUCTION_COLUMNS))
    table["n"] = table["n"].fillna(0).astype(int)
    table["difference"] = table["mean"] - table["published"]
    table["verdict"] = [
        verdict(p, m, lo, hi, t)
        for p, m, lo, hi, t in zip(
            table["published"],
            table["mean"],
            table["ci95_low"],
            table["ci95_high"],
            table["tolerance"],
            strict=True,
        )
    ]
    return sort_runs(table[list(REPRODUCTION_COLUMNS)], ("dataset", "method", "level", "model", "metric"))
