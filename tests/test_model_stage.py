"""The model-compression stage in the workflow: config errors before any job, and a tiny study end to end
(payload files, metrics, analyses, search, tables, figures)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import torch
from conftest import copy_workflow, snakemake, tiny_config, write_config

from shrinkflow import model_compression as mc
from shrinkflow.config import ConfigError, check_study
from shrinkflow.model_grid import amount_key, compressed_models, searches

STAGE = {
    "sources": ["identity/full", "downsample/14"],
    "schemes": {"prune_global": [0.9], "prune_structured": [0.5], "quantize_int": [4]},
    "epochs": 1,
    "search": {"schemes": ["prune_global"], "max_evaluations": 4},
}


def _config(**stage):
    config = tiny_config(model_compression={**STAGE, **stage})
    config["model_compression"].setdefault("search", {})
    return config


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ({"schemes": {"prune_global": [1.0]}},
         r"model_compression.schemes.prune_global\[0\]: .*amount 1.0 .*\[0, 1\)"),
        ({"schemes": {"quantize_int": [5]}}, r"quantize_int\[0\]: .*amount 5 .*bit width in \[2, 3, 4, 8\]"),
        ({"sources": ["jpeg/50"]}, r"model_compression.sources: 'jpeg/50' is not a run of the study"),
        ({"models": ["resnet20"]}, r"model_compression.models: 'resnet20' is not trained by the study"),
        ({"search": {"seeds": [7]}}, r"model_compression.search.seeds: \[7\] are not study seeds"),
    ],
)  # fmt: skip
def test_bad_model_compression_settings_fail_before_any_job(stage, message):
    with pytest.raises(ConfigError, match=message):
        check_study(_config(**stage))


def test_a_structured_scheme_on_a_model_without_structure_is_refused():
    config = _config(schemes={"prune_structured": [0.5]})
    config["models"] = ["resnet20"]
    with pytest.raises(ConfigError, match=r"'prune_structured' cannot compress any of the models"):
        check_study(config)


def test_the_grid_spells_amounts_as_paths_and_skips_unsupported_pairs():
    assert [amount_key(a) for a in (0.9, 8, 8.0, 0.25)] == ["0.9", "8", "8", "0.25"]
    config = _config()
    config["models"] = ["cnn1d_paper", "resnet20"]
    grid = compressed_models(config)
    assert {m["model"] for m in grid if m["scheme"] == "prune_structured"} == {"cnn1d_paper"}
    assert len(grid) == 2 * (3 + 2)  # two sources; resnet20 takes prune_global and quantize_int only
    assert len(searches(config)) == 2 * 2


@pytest.mark.workflow
def test_tiny_study_compresses_judges_and_searches(tmp_path):
    workdir = copy_workflow(tmp_path)
    write_config(workdir, _config())
    snakemake(workdir)
    run = "mnist5k/identity/full/cnn1d_paper/seed0"
    dense = workdir / f"results/runs/{run}/model.pt"
    for scheme, amount in (("prune_global", "0.9"), ("prune_structured", "0.5"), ("quantize_int", "4")):
        folder = workdir / f"results/models/{run}/{scheme}/{amount}"
        metrics = json.loads((folder / "metrics.json").read_text())
        # the payload is the file whose size is reported, smaller than the dense state_dict by that ratio
        assert metrics["stored_bytes"] == os.path.getsize(folder / "model.bin")
        assert metrics["state_dict_file_bytes"] == os.path.getsize(dense)
        ratio = os.path.getsize(dense) / metrics["stored_bytes"]
        assert metrics["state_dict_file_ratio"] == pytest.approx(ratio)
        assert metrics["compression_ratio"] > 3
        assert 0.5 < metrics["test_accuracy"] <= 1 and 0 <= metrics["agreement_with_parent"] <= 1
        assert list(pd.read_csv(folder / "history.csv")["epoch"]) == [1]
        output = json.loads((workdir / f"results/analysis/{run}/{scheme}/{amount}/output.json").read_text())
        assert output["scheme"] == scheme and 0 <= output["agreement"] <= 1
    pruned = mc.load(workdir / f"results/models/{run}/prune_global/0.9/model.bin")
    weights = [p for n, p in pruned.named_parameters() if n.endswith("weight")]
    zeros = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    assert zeros >= 0.9 - 1e-6
    dense_state = torch.load(dense, weights_only=True)
    structured = mc.load(workdir / f"results/models/{run}/prune_structured/0.5/model.bin")
    assert structured.state_dict()["body.0.weight"].shape[0] == dense_state["body.0.weight"].shape[0] // 2

    table = pd.read_csv(workdir / "results/tables/model_compression.csv", dtype={"amount": str})
    assert len(table) == 6 and set(table["compressed"]) == {"model", "both"}
    assert {"output_agreement", "shrinkbench_ratio", "four_bytes_per_nonzero_bytes"} <= set(table.columns)
    search = json.loads((workdir / f"results/searches/{run}/prune_global/search.json").read_text())
    assert search["optuna"]["num_evaluations"] <= 4 and search["bisection"]["num_evaluations"] <= 4
    vs = pd.read_csv(workdir / "results/tables/data_vs_model.csv")
    assert set(vs["kind"]) == {"none", "data", "model", "both"}
    for figure in ("accuracy_vs_model_bytes", "per_class_change", "data_vs_model"):
        assert (workdir / f"results/figures/{figure}.png").stat().st_size > 10_000
