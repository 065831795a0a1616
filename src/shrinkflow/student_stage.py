"""The MLP study's runs from files to files: an MCNC run or a distillation student (``train_student``), the
teacher choice, and the three tasks' tables. Used by the ``train_mcnc`` / ``train_student`` rules and the
``mlp_capacity`` / ``mcnc`` / ``distillation`` tables; usable without Snakemake.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import layout
from .aggregate import _read_json, flatten_record
from .stats import mean_interval


def choose_teacher(capacity: pd.DataFrame) -> str:
    """The capacity configuration with the highest median test accuracy over seeds (ties: fewer parameters,
    then name), as the course project asks."""
    best = capacity.sort_values(["median", "num_parameters", "model"], ascending=[False, True, True]).iloc[0]
    return str(best["model"])


def teacher_path(paths: Sequence[str], teacher: str, seed: int) -> str:
    for path in paths:
        ids = layout.parse(path, "runs")
        if ids["model"] == teacher and int(ids["seed"]) == seed:
            return path
    raise FileNotFoundError(f"no model.pt of the teacher {teacher} for seed {seed} among the capacity runs")


def train_student(
    inputs: Mapping[str, Any],
    outputs: Mapping[str, str | os.PathLike],
    run: Mapping[str, Any],
    train: Mapping[str, Any],
    mcnc: Mapping[str, Any],
    distill: Mapping[str, Any],
    threads: int = 1,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """Train ``run["model"]`` on the dataset's raw pixels, through MCNC when ``run["rate"]`` is ``d{d}_k{k}``
    and with Hinton's loss from the chosen teacher when ``run["training"]`` is ``distilled``; write the
    materialised model (``model.pt``), its history and metrics, and the MCNC payload when there is one."""
    from .compress import load_artifact
    from .distill import DistillationHook, HookChain
    from .mcnc import MCNCHook, MCNCSettings, save, size_report
    from .mlp_study import DENSE, parse_rate
    from .runs import load_model, predict, save_run
    from .training import TrainConfig
    from .training import train as train_model

    log = log or logging.getLogger(__name__)
    seed = int(run["seed"])
    sidecar, data, _ = load_artifact(inputs["npz"], inputs["sidecar"], "pixels")
    classes = int(sidecar["num_classes"])
    x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    hooks, extra = [], {}
    mcnc_hook = None
    if run["rate"] != DENSE:
        d, k = parse_rate(run["rate"])
        settings = MCNCSettings(d, k, **mcnc)
        mcnc_hook = MCNCHook(settings, model_name=run["model"], num_classes=classes, seed=seed)
        hooks.append(mcnc_hook)
    if run["training"] == "distilled":
        teacher_name = choose_teacher(pd.read_csv(inputs["capacity"]))
        path = teacher_path(list(inputs["teachers"]), teacher_name, seed)
        teacher = load_model(teacher_name, tuple(x_train.shape[1:]), classes, path)
        hooks.append(DistillationHook(teacher, temperature=distill["temperature"], alpha=distill["alpha"]))
        teacher_accuracy = float((predict(teacher, x_test).argmax(1) == y_test).mean())
        extra.update(teacher=teacher_name, teacher_accuracy=teacher_accuracy,
                     distill_temperature=distill["temperature"], distill_alpha=distill["alpha"])  # fmt: skip
    hook = hooks[0] if len(hooks) == 1 else HookChain(*hooks) if hooks else None
    config = TrainConfig(**train, threads=threads, progress=False)
    result = train_model(run["model"], x_train, y_train, x_test, y_test, classes, config, seed, log, hook)
    # the accuracy of the model as saved (MCNC exports θ computed in float64, fp16 α/β rounded)
    accuracy = float((predict(result.model, x_test).argmax(1) == y_test).mean())
    ids = {k: run[k] for k in ("dataset", "method", "level", "rate", "training")}
    metrics = {**result.metrics, **extra, **ids, "trained_test_accuracy": result.metrics["test_accuracy"],
               "test_accuracy": accuracy}  # fmt: skip
    if mcnc_hook is not None:
        save(mcnc_hook.payload(), outputs["payload"])
        metrics.update(size_report(mcnc_hook.payload(), outputs["payload"]))
    else:
        dense = 4 * sum(t.numel() for t in result.model.state_dict().values())
        metrics.update(stored_bytes=dense, dense_fp32_bytes=dense, compression_ratio=1.0,
                       total_parameters=sum(p.numel() for p in result.model.parameters()))  # fmt: skip
    save_run(result, metrics, outputs["model"], outputs["history"], outputs["metrics"])
    log.info("%s %s %s seed %d: accuracy %.4f, %d bytes", run["model"], run["rate"], run["training"], seed,
             accuracy, metrics["stored_bytes"])  # fmt: skip
    return metrics


# ---- tables ----


def _stats(values: pd.Series) -> dict[str, float]:
    mean, low, high, n = mean_interval(values.to_numpy(dtype=float))
    median = float(values.median()) if n else np.nan
    return {"median": median, "mean": mean, "ci95_low": low, "ci95_high": high, "n": n}


def capacity_table(metrics_paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Task 1: one row per MLP (width, depth): median, mean and 95% CI of test accuracy over seeds, the
    parameter count and dense fp32 bytes; ``teacher`` marks the one Task 3 distils from."""
    from .models import parse_mlp_name

    rows = []
    for path in metrics_paths:
        ids = layout.parse(path, "runs")
        record = _read_json(path)
        rows.append({"model": ids["model"], "seed": ids["seed"], "test_accuracy": record["test_accuracy"],
                     "num_parameters": record["num_parameters"]})  # fmt: skip
    runs = pd.DataFrame(rows)
    out = []
    for model, part in runs.groupby("model", sort=False):
        width, depth = parse_mlp_name(str(model))
        params = int(part["num_parameters"].iloc[0])
        out.append({"model": model, "width": width, "depth": depth, "num_parameters": params,
                    "dense_fp32_bytes": 4 * params, **_stats(part["test_accuracy"])})  # fmt: skip
    table = pd.DataFrame(out).sort_values(["depth", "width"]).reset_index(drop=True)
    table["teacher"] = table["model"] == choose_teacher(table)
    return table


#: analysis values of a student against its teacher carried into the MCNC table (mean over seeds)
TEACHER_COMPARISONS = (
    "output_agreement", "features_cka_linear", "attributions_saliency_similarity_mean",
    "boundaries_distance_ratio",
)  # fmt: skip


def _students(
    paths: Iterable[str | os.PathLike], analysis_paths: Iterable[str | os.PathLike] = ()
) -> pd.DataFrame:
    rows = {}
    keys = ("test_accuracy", "stored_bytes", "dense_fp32_bytes", "compression_ratio",
            "nominal_compression_rate", "teacher")  # fmt: skip
    for path in paths:
        ids = layout.parse(path, "students")
        flat = flatten_record(_read_json(path))
        key = tuple(str(ids[k]) for k in ("model", "seed", "rate", "training"))
        rows[key] = {**{k: ids[k] for k in ("model", "seed", "rate", "training")},
                     **{k: flat.get(k) for k in keys}}  # fmt: skip
    for path in analysis_paths:
        ids = layout.parse(path, "student_analysis")
        key = tuple(str(ids[k]) for k in ("model", "seed", "rate", "training"))
        for name, value in flatten_record(_read_json(path)).items():
            column = f"{ids['analysis']}_{name}"
            if key in rows and column in TEACHER_COMPARISONS:
                rows[key][column] = value
    return pd.DataFrame(list(rows.values()))


def mcnc_table(
    metrics_paths: Iterable[str | os.PathLike], analysis_paths: Iterable[str | os.PathLike] = ()
) -> pd.DataFrame:
    """Task 2 (and 3): per model, rate and training, accuracy over seeds with the stored bytes and rates,
    and the mean of each comparison with the teacher (:data:`TEACHER_COMPARISONS`, ``teacher_`` prefix)."""
    runs = _students(metrics_paths, analysis_paths)
    out = []
    for (model, rate, training), part in runs.groupby(["model", "rate", "training"], sort=False):
        out.append({"model": model, "rate": rate, "training": training,
                    "nominal_compression_rate": part["nominal_compression_rate"].iloc[0],
                    "stored_bytes": float(part["stored_bytes"].mean()),
                    "compression_ratio": float(part["compression_ratio"].mean()),
                    **_stats(part["test_accuracy"]),
                    **{f"teacher_{c}": float(part[c].mean()) for c in TEACHER_COMPARISONS
                       if c in part}})  # fmt: skip
    return pd.DataFrame(out).sort_values(["model", "stored_bytes", "training"]).reset_index(drop=True)


def distillation_table(metrics_paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Task 3 head to head: per student (model, rate), plain vs distilled accuracy and their paired
    per-seed difference with a 95% CI; the verdict says ``distillation helps`` / ``hurts`` when the CI
    excludes 0, ``no significant difference`` otherwise."""
    runs = _students(metrics_paths)
    out = []
    for (model, rate), part in runs.groupby(["model", "rate"], sort=False):
        wide = part.pivot_table(index="seed", columns="training", values="test_accuracy")
        if not {"plain", "distilled"} <= set(wide.columns):
            continue
        diff = _stats(wide["distilled"] - wide["plain"])
        if diff["n"] > 1 and diff["ci95_low"] > 0:
            verdict = "distillation helps"
        elif diff["n"] > 1 and diff["ci95_high"] < 0:
            verdict = "distillation hurts"
        else:
            verdict = "no significant difference"
        teacher = part["teacher"].dropna()
        out.append({"model": model, "rate": rate, "teacher": teacher.iloc[0] if len(teacher) else None,
                    "plain_mean": float(wide["plain"].mean()),
                    "distilled_mean": float(wide["distilled"].mean()),
                    "difference_mean": diff["mean"], "difference_ci95_low": diff["ci95_low"],
                    "difference_ci95_high": diff["ci95_high"], "n": diff["n"],
                    "verdict": verdict})  # fmt: skip
    return pd.DataFrame(out)
