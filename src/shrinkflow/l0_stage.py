"""The ℓ0 study (issue 14, Barth & von Petersenn) from files to files: a registry classifier trained by one ℓ0
method at one strength (``train_classifier``), a teacher–student student (``train_teacher_student``), the
sparse classifier judged against its dense twin (``analyze_classifier``), and the study's tables. Used by the
``train_l0`` / ``train_teacher_student`` / ``analyze_l0`` rules and the ``l0`` / ``teacher_student`` tables;
usable without Snakemake. Torch is imported inside the functions that train, so the table builders run in
the light environment.

What is reported as stored is the payload file (:func:`shrinkflow.model_compression.save` of
:attr:`~shrinkflow.l0.procedure.L0Result.compressed`): ``stored_bytes`` = its ``os.path.getsize``, which the
stage checks equals the procedure's ``model_bytes_stored``; ``model_bytes_four_per_nonzero`` is the paper's
convention beside it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import l0
from .aggregate import _read_json, flatten_record
from .artifacts import atomic_path, write_json
from .l0_grid import STAGE_KEYS, STRENGTH_FIELD, VALIDATION_FRACTION, strength_key  # noqa: F401 (re-exported)
from .stats import mean_interval

#: the validation split is the same for every run seed (theirs is drawn once, with seed 123)
VALIDATION_SEED = 123
#: settings of the trainer that do not change results (left out of the metrics)
_RUNTIME_KEYS = ("threads", "progress", "device")
#: identity of a classifier run / a teacher–student run in metrics, analysis JSON and tables
CLASSIFIER_KEYS = ("dataset", "model", "seed", "method", "strength")
TEACHER_STUDENT_KEYS = ("samples", "method", "strength", "seed")
#: teacher–student keys of the ``regression`` block that describe the data, not the trainer
_DATA_KEYS = ("n_val", "n_test", "sigma", "teacher_sizes", "scaling")


def strength_settings(method: str, strength: str, base: Mapping[str, Any] | None = None) -> l0.L0Settings:
    """The ``l0`` block's settings (``base``) with ``method``'s strength field set from the path's
    ``strength`` ("0.1", "10", "0"), validated for ``method``; methods without a strength take only "0"."""
    field = STRENGTH_FIELD[l0.get(method).name]  # l0.get names the allowed methods when it is unknown
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise ValueError(f"{method}: strength {strength!r} is not a number; allowed: a float such as "
                         f"'0.1', '10' or '0'") from None  # fmt: skip
    settings = {k: v for k, v in dict(base or {}).items() if k not in STAGE_KEYS}
    if field is None:
        if value != 0:
            raise ValueError(f"{method} has no strength to sweep, got strength {strength!r}; allowed: '0'")
    else:
        settings[field] = value
    return l0.validate(method, l0.settings_from(settings))


def _strength_fields(method: str, strength: Any) -> dict[str, Any]:
    return {"method": method, "strength": str(strength), "strength_field": STRENGTH_FIELD.get(method),
            "strength_value": float(strength)}  # fmt: skip


def _split_validation(x: np.ndarray, y: np.ndarray, fraction: float):
    """(x_train, y_train, x_val, y_val): a seeded ``fraction`` of the training split held out for TAMADE;
    ``fraction`` 0 keeps every sample for training (x_val None: TAMADE then measures the training loss)."""
    if not 0 <= fraction < 1:
        raise ValueError(f"l0.validation_fraction must be in [0, 1), got {fraction!r}")
    n_val = int(round(fraction * x.shape[0]))
    if n_val == 0:
        return x, y, None, None
    order = np.random.default_rng(VALIDATION_SEED).permutation(x.shape[0])
    val, keep = np.sort(order[:n_val]), np.sort(order[n_val:])
    return x[keep], y[keep], x[val], y[val]


def _sizes(result: Any, stored: int) -> dict[str, Any]:
    """Dense references and compression ratios of a final model whose payload file has ``stored`` bytes."""
    m = result.metrics
    if stored != m["model_bytes_stored"]:
        raise RuntimeError(f"the payload file has {stored} bytes, the procedure counted "
                           f"{m['model_bytes_stored']} (model_bytes_stored)")  # fmt: skip
    dense = 4 * sum(t.numel() for t in result.model.state_dict().values())
    parameter_bytes = 4 * m["total_parameters"]
    return {
        "stored_bytes": stored,
        "dense_fp32_bytes": dense,  # every state_dict entry, as model_compression counts it
        "dense_parameter_bytes": parameter_bytes,  # the paper's base: 4 bytes per parameter
        "compression_ratio_stored": dense / stored,
        "compression_ratio_four_per_nonzero": parameter_bytes / max(m["model_bytes_four_per_nonzero"], 1),
    }


def _write_history(history: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        (history if len(history) else pd.DataFrame(columns=["epoch"])).to_csv(tmp, index=False)


def train_classifier(
    inputs: Mapping[str, str],
    outputs: Mapping[str, str | os.PathLike],
    run: Mapping[str, Any],
    train: Mapping[str, Any],
    settings: Mapping[str, Any],
    threads: int = 1,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """Run ``run["l0method"]`` at ``run["strength"]`` on ``run["model"]`` with the raw pixels of
    ``inputs["npz"]`` / ``inputs["sidecar"]``; write ``outputs["payload"]``, ``outputs["history"]`` and
    ``outputs["metrics"]`` (last); return the metrics.

    ``settings``: the ``l0`` block (:class:`~shrinkflow.l0.L0Settings` keys, plus ``validation_fraction``:
    the seeded share of the training split held out for TAMADE's loss, 0.1 by default as in their
    ``MNIST_data``, whose procedure prunes on the validation set; 0 prunes on the training loss)."""
    import torch

    from . import model_compression as mc
    from .compress import load_artifact
    from .l0.procedure import run_classifier
    from .runs import predict
    from .training import TrainConfig

    log = log or logging.getLogger(__name__)
    t0 = time.perf_counter()
    method, seed = str(run["l0method"]), int(run["seed"])
    l0_settings = strength_settings(method, run["strength"], settings)
    fraction = float(settings.get("validation_fraction", VALIDATION_FRACTION))
    sidecar, data, load_seconds = load_artifact(inputs["npz"], inputs["sidecar"], "pixels")
    classes = int(sidecar["num_classes"])
    x_train, y_train, x_val, y_val = _split_validation(data["x_train"], data["y_train"], fraction)
    x_test, y_test = data["x_test"], data["y_test"]
    config = TrainConfig(**train, threads=threads, progress=False)
    with torch.random.fork_rng(devices=[]):
        result = run_classifier(method, run["model"], x_train, y_train, x_test, y_test, classes, config,
                                l0_settings, seed, x_val, y_val, log)  # fmt: skip
    stored = mc.save(result.compressed, outputs["payload"])
    if not np.array_equal(predict(mc.load(outputs["payload"]), x_test), predict(result.model, x_test)):
        raise RuntimeError(f"{outputs['payload']}: the reloaded payload does not give the model's logits")
    metrics = {
        **result.metrics,
        "dataset": run["dataset"], "model": run["model"], "seed": seed,
        **_strength_fields(method, run["strength"]), "view": "pixels",
        "payload_file": os.path.basename(outputs["payload"]), **_sizes(result, stored),
        "num_classes": classes, "n_train": int(x_train.shape[0]), "n_test": int(x_test.shape[0]),
        "n_val": 0 if x_val is None else int(x_val.shape[0]), "validation_fraction": fraction,
        **{f"train_{k}": v for k, v in asdict(config).items() if k not in _RUNTIME_KEYS},
        "load_seconds": load_seconds,
    }  # fmt: skip
    _write_history(result.history, outputs["history"])
    metrics["seconds"] = time.perf_counter() - t0
    write_json(outputs["metrics"], metrics)
    log.info("%s %s=%s: %d of %d parameters, %d bytes stored, test accuracy %.4f", method,
             metrics["strength_field"], run["strength"], metrics["nonzero_parameters"],
             metrics["total_parameters"], stored, metrics["test_accuracy"])  # fmt: skip
    return metrics


def train_teacher_student(
    outputs: Mapping[str, str | os.PathLike],
    run: Mapping[str, Any],
    regression: Mapping[str, Any],
    settings: Mapping[str, Any],
    threads: int = 1,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """A student trained by ``run["l0method"]`` at ``run["strength"]`` on ``run["samples"]`` samples of the
    teacher of ``run["seed"]`` (``regression``: :class:`~shrinkflow.l0.regression.RegressionConfig` keys plus
    ``n_val``, ``n_test``, ``sigma``, ``teacher_sizes``, ``scaling``, ``student_sizes``); writes
    ``outputs["payload"]``, ``outputs["history"]`` and ``outputs["metrics"]`` (last); returns the metrics."""
    from .l0.procedure import run_regression
    from .l0.regression import RegressionConfig
    from .l0.teacher import STUDENT_SIZES, TEACHER_SIZES, teacher_student_data
    from .model_compression.payload import save

    log = log or logging.getLogger(__name__)
    t0 = time.perf_counter()
    method, seed = str(run["l0method"]), int(run["seed"])
    l0_settings = strength_settings(method, run["strength"], settings)
    trainer = dict(regression)
    student_sizes = tuple(int(s) for s in trainer.pop("student_sizes", STUDENT_SIZES))
    given = {k: trainer.pop(k) for k in _DATA_KEYS if k in trainer}
    given["teacher_sizes"] = tuple(int(s) for s in given.get("teacher_sizes", TEACHER_SIZES))
    config = RegressionConfig(**trainer, threads=threads)
    data = teacher_student_data(n_train=int(run["samples"]), seed=seed, **given)
    result = run_regression(method, data, config, l0_settings, seed, student_sizes, log)
    stored = save(result.compressed, outputs["payload"])
    metrics = {
        **result.metrics,
        "samples": int(run["samples"]), "seed": seed, **_strength_fields(method, run["strength"]),
        "payload_file": os.path.basename(outputs["payload"]), **_sizes(result, stored),
        "n_train": int(data.x_train.shape[0]), "n_val": int(data.x_val.shape[0]),
        "n_test": int(data.x_test.shape[0]), "noise_variance": data.sigma**2,
        "teacher_sizes": "-".join(str(s) for s in given["teacher_sizes"]),
        "student_sizes": "-".join(str(s) for s in student_sizes),
        **{f"regression_{k}": v for k, v in asdict(config).items() if k not in _RUNTIME_KEYS},
    }  # fmt: skip
    _write_history(result.history, outputs["history"])
    metrics["seconds"] = time.perf_counter() - t0
    write_json(outputs["metrics"], metrics)
    log.info("%s %s=%s, %d samples: %d nonzeros, test MSE %.5g (teacher %.5g)", method,
             metrics["strength_field"], run["strength"], metrics["samples"], metrics["nonzero_parameters"],
             metrics["test_mse"], metrics["teacher_test_mse"])  # fmt: skip
    return metrics


def analyze_classifier(
    inputs: Mapping[str, str],
    outputs_json: Sequence[str],
    outputs_npz: Sequence[str],
    run: Mapping[str, Any],
    analyses: Sequence[str],
    settings: Mapping[str, Mapping[str, Any]],
    log: logging.Logger | None = None,
) -> None:
    """Every analysis in ``analyses`` of the ℓ0 model ``inputs["model"]`` against its dense twin
    ``inputs["reference_model"]`` (payload ``.bin`` files, or ``model.pt`` state_dicts), on the test split of
    ``inputs["npz"]`` / ``inputs["sidecar"]`` (raw pixels) and the prepared dataset ``inputs["data"]``; one
    JSON (+ ``l0method``, ``strength``) and one npz per analysis."""
    from .analysis.runner import run_analyses, write_results

    ids = {"dataset": run["dataset"], "model": run["model"], "seed": int(run["seed"])}
    files = {k: inputs[k] for k in ("data", "npz", "sidecar")}
    files["model" if Path(inputs["model"]).suffix == ".pt" else "payload"] = inputs["model"]
    reference = inputs["reference_model"]
    files["reference_model" if Path(reference).suffix == ".pt" else "reference_payload"] = reference
    results = run_analyses(list(analyses), files, run=ids, view="pixels",
                           settings={k: dict(v) for k, v in settings.items()}, log=log)  # fmt: skip
    extra = {"l0method": str(run["l0method"]), "strength": str(run["strength"])}
    write_results(results, outputs_json, outputs_npz, extra=extra)


# ---- tables ----

#: the l0 table's leading columns after the key (every other metrics scalar follows, then the analyses)
L0_COLUMNS = (
    "strength_field", "strength_value", "l0_alpha", "l0_rho", "l0_sparsity", "total_parameters",
    "nonzero_parameters", "sparsity", "model_bytes_four_per_nonzero", "model_bytes_stored",
    "dense_fp32_bytes", "dense_parameter_bytes", "compression_ratio_four_per_nonzero",
    "compression_ratio_stored", "compression_ratio_parameters", "test_accuracy", "test_loss",
    "test_accuracy_before_pruning", "test_loss_before_pruning", "data_bytes", "dl_bytes_four_per_nonzero",
    "dl_bytes_stored", "test_data_bytes", "test_dl_bytes_four_per_nonzero", "test_dl_bytes_stored",
    "n_train", "n_val", "n_test", "train_seconds",
)  # fmt: skip
TEACHER_STUDENT_COLUMNS = (
    "strength_field", "strength_value", "test_mse", "teacher_test_mse", "noise_variance",
    "teacher_parameters", "total_parameters", "nonzero_parameters", "sparsity",
    "model_bytes_four_per_nonzero", "model_bytes_stored", "data_bytes", "dl_bytes_four_per_nonzero",
    "dl_bytes_stored", "test_data_bytes", "test_dl_bytes_four_per_nonzero", "test_dl_bytes_stored",
    "n_train", "n_val", "n_test", "train_seconds",
)  # fmt: skip
#: identity fields of an analysis JSON (not carried into the table as ``{analysis}_`` columns)
_ANALYSIS_IDS = ("dataset", "model", "seed", "l0method", "strength", "analysis", "view")


def _key(record: Mapping[str, Any], keys: Sequence[str], path: Any) -> tuple[str, ...]:
    lacking = [k for k in keys if k not in record]
    if lacking:
        raise ValueError(f"{path}: lacks the key field(s) {lacking} of an ℓ0 record")
    return tuple(str(int(record[k])) if k in ("seed", "samples") else str(record[k]) for k in keys)


def _named(keys: Sequence[str], key: Sequence[str]) -> dict[str, str]:
    return dict(zip(keys, key, strict=True))


def _ordered(rows: Iterable[dict], keys: Sequence[str], lead: Sequence[str]) -> pd.DataFrame:
    table = pd.DataFrame(list(rows))
    if table.empty:
        return pd.DataFrame(columns=[*keys, *lead])
    front = [*keys, *(c for c in lead if c in table.columns)]
    table = table[front + [c for c in table.columns if c not in front]]
    order = [k if k != "strength" else "strength_value" for k in keys if k != "seed"] + ["seed"]
    return table.sort_values(order, kind="mergesort").reset_index(drop=True)


def _metrics_rows(paths: Iterable[str | os.PathLike], keys: Sequence[str]) -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    for path in paths:
        flat = flatten_record(_read_json(path))
        key = _key(flat, keys, path)
        if key in rows:
            raise ValueError(f"{path}: a second metrics.json of the ℓ0 run {_named(keys, key)}")
        rows[key] = {**_named(keys, key), **{k: v for k, v in flat.items() if k not in keys}}
    return rows


def l0_table(
    metrics_paths: Iterable[str | os.PathLike], analysis_paths: Iterable[str | os.PathLike] = ()
) -> pd.DataFrame:
    """One row per classifier run (:data:`CLASSIFIER_KEYS`): the leading :data:`L0_COLUMNS`, every other
    metrics.json scalar, and every analysis scalar as ``{analysis}_{name}`` (identity read from each file)."""
    rows = _metrics_rows(metrics_paths, CLASSIFIER_KEYS)
    for path in analysis_paths:
        flat = flatten_record(_read_json(path))
        key = _key({**flat, "method": flat.get("l0method")}, CLASSIFIER_KEYS, path)
        if key not in rows:
            raise ValueError(f"{path}: no metrics.json of the ℓ0 run {_named(CLASSIFIER_KEYS, key)}")
        name = flat.get("analysis")
        rows[key].update({f"{name}_{k}": v for k, v in flat.items() if k not in _ANALYSIS_IDS})
    table = _ordered(rows.values(), CLASSIFIER_KEYS, L0_COLUMNS)
    return table.astype({"seed": int}) if len(table) else table


def teacher_student_table(metrics_paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per teacher–student run (:data:`TEACHER_STUDENT_KEYS`): :data:`TEACHER_STUDENT_COLUMNS`
    first, then every other metrics.json scalar."""
    rows = _metrics_rows(metrics_paths, TEACHER_STUDENT_KEYS)
    table = _ordered(rows.values(), TEACHER_STUDENT_KEYS, TEACHER_STUDENT_COLUMNS)
    return table.astype({"seed": int, "samples": int}) if len(table) else table


#: values summarised over seeds by :func:`l0_summary` (those a table has)
SUMMARY_VALUES = (
    "test_accuracy", "test_loss", "test_mse", "nonzero_parameters", "sparsity",
    "model_bytes_four_per_nonzero", "model_bytes_stored", "compression_ratio_four_per_nonzero",
    "compression_ratio_stored", "test_dl_bytes_four_per_nonzero", "test_dl_bytes_stored",
)  # fmt: skip


def l0_summary(table: pd.DataFrame, values: Sequence[str] = SUMMARY_VALUES) -> pd.DataFrame:
    """Per configuration (the key columns but ``seed``: dataset, model, samples, method, strength as the
    table has them) the number of seeds and each value's mean with its Student-t 95% interval:
    ``{value}_mean``, ``{value}_ci95_low``, ``{value}_ci95_high`` (:func:`shrinkflow.stats.mean_interval`)."""
    groups = [k for k in ("dataset", "model", "samples", "method", "strength") if k in table.columns]
    present = [v for v in values if v in table.columns]
    rows = []
    for key, part in table.groupby(groups, sort=False):
        row = dict(zip(groups, key, strict=True))
        row.update(strength_value=float(part["strength_value"].iloc[0]), seeds=int(part["seed"].nunique()))
        for value in present:
            mean, low, high, _ = mean_interval(part[value].to_numpy(dtype=float))
            row.update({f"{value}_mean": mean, f"{value}_ci95_low": low, f"{value}_ci95_high": high})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*groups, "strength_value", "seeds", *(
        f"{v}_{s}" for v in present for s in ("mean", "ci95_low", "ci95_high"))])  # fmt: skip
