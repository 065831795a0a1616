"""Builders of the registered tables (:mod:`shrinkflow.tables`): study files in, one tidy DataFrame out.

Each takes ``inputs`` (rule input name → path or list of paths) and ``params`` (the entry's config values,
plus the rule's wildcards such as ``study``). pandas only: table jobs run in the light environment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .. import aggregate, artifacts
from .. import reproduction as _reproduction
from ..analysis.drops import accuracy_drops
from ..analysis.drops import batchnorm_amplification as _amplification
from ..analysis.storage import storage_at_epsilon as _storage_at_epsilon

log = logging.getLogger(__name__)
Inputs = Mapping[str, Any]


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``table`` atomically (no index column)."""
    with artifacts.atomic_path(path, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False)
    log.info("%s: %d rows x %d columns", path, *table.shape)


def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"level": str})


def runs(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    """The runs table; ``compressed`` says what was compressed (``data``, or ``none`` for the references)
    like the model-compression table's ``model`` / ``both``."""
    table = aggregate.collect_runs(inputs["metrics"], inputs["compressed"], inputs["analyses"])
    position = list(table.columns).index("seed") + 1 if "seed" in table.columns else len(table.columns)
    table.insert(position, "compressed", (table["method"] != "identity").map({True: "data", False: "none"}))
    return table


def summary(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    return aggregate.summary(_read(inputs["runs"]))


def storage_at_epsilon(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    table = aggregate.collect_runs(inputs["metrics"], inputs["compressed"])
    return _storage_at_epsilon(table.rename(columns={"test_accuracy": "accuracy"}), params["epsilons"])


def _robustness_rows(inputs: Inputs) -> list[tuple[str, pd.DataFrame]]:
    rows = pd.concat([_read(p) for p in inputs["rows"]], ignore_index=True)
    return [(dataset, part.drop(columns="dataset")) for dataset, part in rows.groupby("dataset", sort=False)]


def robustness(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    drops = []
    for dataset, part in _robustness_rows(inputs):
        drops.append(accuracy_drops(part))
        drops[-1].insert(0, "dataset", dataset)
    return pd.concat(drops, ignore_index=True)


def batchnorm_amplification(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    """Per dataset where both models of the BatchNorm comparison ran; the header alone when none did."""
    pair = {params["plain_model"], params["bn_model"]}
    parts = [pd.DataFrame(columns=["dataset", "method", "level", "drop_difference"])]
    for dataset, part in _robustness_rows(inputs):
        if pair <= set(part["model"]):
            parts.append(_amplification(part, params["plain_model"], params["bn_model"]))
            parts[-1].insert(0, "dataset", dataset)
    return pd.concat(parts, ignore_index=True)


def reproduction(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    """The published numbers of ``params["study"]`` beside the summary rows of the study's methods."""
    study = params["study"]
    table = _read(inputs["summary"])
    methods = _reproduction.STUDY_METHODS.get(study)
    if methods is not None:
        table = table[table["method"].isin(methods)]
    return _reproduction.reproduction_table(
        table, _reproduction.load_published(), study, tolerance=params["tolerance"],
        include_unmatched=["test_accuracy"],
    )  # fmt: skip


def claims(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    """Every claim of ``params["study"]`` (its published numbers and its statements) with a verdict."""
    from .. import claims as _claims

    study = params["study"]
    runs_table = _read(inputs["runs"])
    names = ("storage", "amplification")
    tables = {name: _read(inputs[name]) if inputs.get(name) else None for name in names}
    claims = _claims.study_claims(study, _reproduction.load_published())
    return _claims.claims_table(runs_table, claims, tables)


def model_compression(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from .. import model_tables

    return model_tables.collect_models(inputs["metrics"], inputs.get("analyses") or [])


def model_compression_summary(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from .. import model_tables

    return model_tables.models_summary(pd.read_csv(inputs["models"], dtype={"level": str, "amount": str}))


def searches(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from .. import model_tables

    return model_tables.collect_searches(inputs["searches"])


def data_vs_model(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from .. import model_tables

    models = pd.read_csv(inputs["models"], dtype={"level": str, "amount": str}) if inputs["models"] else None
    return model_tables.data_vs_model(_read(inputs["runs"]), models if models is not None else pd.DataFrame())


def mlp_capacity(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..student_stage import capacity_table

    return capacity_table(inputs["metrics"])


def mcnc(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..student_stage import mcnc_table

    return mcnc_table(inputs["metrics"], inputs.get("analyses") or [])


def distillation(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..student_stage import distillation_table

    return distillation_table(inputs["metrics"])


def rate_distortion(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..rd_stage import rd_table

    return rd_table(inputs["results"])


def rate_distortion_bd(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..rd_stage import bd_table

    return bd_table(_read(inputs["table"]), params["anchor"])


def coin_reproduction(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..rd_stage import coin_reproduction as _coin

    return _coin(_read(inputs["table"]), _reproduction.load_published(), params["tolerance_db"])


def l0(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..l0_stage import l0_table

    return l0_table(inputs["metrics"], inputs.get("analyses") or [])


def l0_summary(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..l0_stage import l0_summary as _summary

    return _summary(pd.read_csv(inputs["table"], dtype={"strength": str}))


def teacher_student(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..l0_stage import teacher_student_table

    return teacher_student_table(inputs["metrics"])


def l0_claims(inputs: Inputs, params: Mapping[str, Any]) -> pd.DataFrame:
    from ..l0_claims import l0_claims as _claims

    students = pd.read_csv(inputs["students"], dtype={"strength": str}) if inputs.get("students") else None
    table = pd.read_csv(inputs["table"], dtype={"strength": str})
    return _claims(table, students, _reproduction.load_published(), params["tolerance"])
