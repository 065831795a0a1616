"""The model-compression stage from files to files: a trained run → a compressed, recovered model whose
payload file is what is reported (``compress_run``), and the accuracy-targeted search of one run and scheme
(``search_run``). Used by the ``compress_model`` and ``search_model`` rules; usable without Snakemake.

The run's own training data (its artifact, in its view) drives the recovery, so a model trained on
compressed data is fine-tuned on that data; its test split gives every accuracy.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import model_compression as mc
from .artifacts import atomic_path, read_json, write_json
from .compress import load_artifact
from .runs import load_model, predict
from .train_utils import per_class_accuracy
from .training import TrainConfig

#: settings keys of the rule that are not trainer settings
_STAGE_KEYS = ("recovery", "lc", "throughput_repeats", "epochs", "lr")


def _trainer_config(settings: Mapping[str, Any], threads: int, epochs: int | None = None) -> TrainConfig:
    """The recovery's trainer settings: the study's batch size, momentum and weight decay, a constant lr."""
    keep = {k: v for k, v in settings.items() if k not in _STAGE_KEYS}
    return TrainConfig(
        **keep, epochs=int(settings["epochs"] if epochs is None else epochs), lr=float(settings["lr"]),
        schedule="constant", optimizer="sgd", threads=threads, progress=False,
    )  # fmt: skip


def _load_run(inputs: Mapping[str, str], model_name: str, view: str) -> tuple[Any, dict, dict, dict]:
    sidecar, data, _ = load_artifact(inputs["npz"], inputs["sidecar"], view)
    run_metrics = read_json(inputs["run_metrics"])
    original = load_model(model_name, tuple(data["x_train"].shape[1:]), int(sidecar["num_classes"]),
                          inputs["model"])  # fmt: skip
    return original, data, sidecar, run_metrics


def _recover(original, model_name, scheme, amount, data, sidecar, settings, seed, threads, log, epochs=None):
    method = settings["recovery"]
    config = _trainer_config(settings, threads, 0 if method == "none" else epochs)
    return mc.recover(
        original, model_name, scheme, amount, data["x_train"], data["y_train"], data["x_test"],
        data["y_test"], int(sidecar["num_classes"]), config, seed=seed,
        method="finetune" if method == "none" else method, lc=mc.LCSettings(**settings["lc"]), log=log,
    )  # fmt: skip


def compress_run(
    inputs: Mapping[str, str],
    outputs: Mapping[str, str | os.PathLike],
    run: Mapping[str, Any],
    view: str,
    settings: Mapping[str, Any],
    threads: int = 1,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """Compress the run ``inputs["model"]`` with ``run["scheme"]`` at ``run["amount"]``, recover, and write
    ``outputs["payload"]``, ``outputs["history"]`` and ``outputs["metrics"]`` (last); return the metrics."""
    log = log or logging.getLogger(__name__)
    t0 = time.perf_counter()
    seed = int(run["seed"])
    original, data, sidecar, run_metrics = _load_run(inputs, run["model"], view)
    with torch.random.fork_rng(devices=[]):
        result = _recover(original, run["model"], run["scheme"], run["amount"], data, sidecar, settings,
                          seed, threads, log)  # fmt: skip
    compressed = result.compressed
    mc.save(compressed, outputs["payload"])
    reloaded = mc.load(outputs["payload"])
    x_test, y_test = data["x_test"], np.asarray(data["y_test"])
    logits = predict(compressed.module, x_test)
    if not np.array_equal(predict(reloaded, x_test), logits):
        raise RuntimeError(f"{outputs['payload']}: the reloaded payload does not give the model's logits")
    parent = predict(original, x_test).argmax(1)
    pred = logits.argmax(1)
    classes = int(sidecar["num_classes"])
    mine, theirs = per_class_accuracy(pred, y_test, classes), per_class_accuracy(parent, y_test, classes)
    metrics = {
        **{k: run[k] for k in ("dataset", "method", "level", "model", "scheme")},
        "seed": seed, "amount": compressed.amount, "view": view,
        "payload_file": os.path.basename(outputs["payload"]),
        **result.metrics,
        "recovery": settings["recovery"],
        "parent_accuracy": float((parent == y_test).mean()),
        "parent_run_test_accuracy": run_metrics["test_accuracy"],
        "agreement_with_parent": float((parent == pred).mean()),
        "per_class_accuracy": mine,
        "per_class_change": [
            None if a is None or b is None else a - b for a, b in zip(mine, theirs, strict=True)
        ],
        "data_stored_bytes": sidecar["stored_bytes"],
        **mc.size_report(original, compressed, outputs["payload"]),
        **mc.compare_throughput(
            {"dense": original, "compressed": reloaded}, tuple(x_test.shape[1:]),
            repeats=int(settings["throughput_repeats"]), threads=threads,
        ),
    }  # fmt: skip
    history = result.history
    with atomic_path(outputs["history"], suffix=".csv") as tmp:
        (history if len(history) else pd.DataFrame(columns=["epoch"])).to_csv(tmp, index=False)
    metrics["seconds"] = time.perf_counter() - t0
    write_json(outputs["metrics"], metrics)
    log.info("%s %s: %d bytes (%.1fx), accuracy %.4f (parent %.4f)", run["scheme"], compressed.amount,
             metrics["stored_bytes"], metrics["compression_ratio"], metrics["test_accuracy"],
             metrics["parent_accuracy"])  # fmt: skip
    return metrics


def search_run(
    inputs: Mapping[str, str],
    output: str | os.PathLike,
    run: Mapping[str, Any],
    view: str,
    settings: Mapping[str, Any],
    search: Mapping[str, Any],
    threads: int = 1,
    log: logging.Logger | None = None,
) -> dict[str, Any]:
    """Condensa's accuracy-targeted search for one run and scheme (every evaluation compresses and recovers
    with the stage's settings); writes and returns the record of both searches."""
    log = log or logging.getLogger(__name__)
    t0 = time.perf_counter()
    seed = int(run["seed"])
    original, data, sidecar, _ = _load_run(inputs, run["model"], view)
    reference = float((predict(original, data["x_test"]).argmax(1) == np.asarray(data["y_test"])).mean())

    def evaluate(amount: Any) -> float:
        with torch.random.fork_rng(devices=[]):
            result = _recover(original, run["model"], run["scheme"], amount, data, sidecar, settings, seed,
                              threads, log)  # fmt: skip
        log.info("search %s %s: accuracy %.4f", run["scheme"], amount, result.metrics["test_accuracy"])
        return float(result.metrics["test_accuracy"])

    record = mc.search_amount(
        evaluate, mc.candidate_amounts(run["scheme"]), reference, float(search["epsilon"]),
        int(search["max_evaluations"]), seed=seed,
    )  # fmt: skip
    record.update(
        {k: run[k] for k in ("dataset", "method", "level", "model", "scheme")}, seed=seed, view=view,
        recovery=settings["recovery"], recovery_epochs=int(settings["epochs"]),
        seconds=time.perf_counter() - t0,
    )  # fmt: skip
    write_json(output, record)
    return record
