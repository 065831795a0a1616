"""The l0 block in the workflow: grid and config checks, and a tiny Snakemake run that writes the l0 and
teacher-student tables, the analyses of a sparse model against its dense twin and the three figures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import snakemake, tiny_config, write_config

from shrinkflow import l0_grid
from shrinkflow.config import ConfigError, check_study


def _config(**block):
    base = {"dataset": "mnist5k", "models": ["lenet300"], "methods": {"drr": [0.3]}, "seeds": [0],
            "train": {"epochs": 2}, "settings": {"finetune_epochs": 1, "rgp_samples": 50},
            "teacher_student": {"samples": [40, 80], "methods": {"dense": [0], "drr": [0.1]}, "seeds": [0],
                                "train": {"epochs": 20, "n_val": 50, "n_test": 100}}}  # fmt: skip
    base.update(block)
    return tiny_config(l0=base)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"dataset": "cifar10"}, "l0.dataset: 'cifar10' is not a study dataset"),
        ({"methods": {"pmmpp": [1]}}, "l0.methods: unknown method 'pmmpp'"),
        ({"methods": {"magnitude": [1.5]}}, "sparsity"),
        ({"methods": {"tamade": [3]}}, "tamade takes no strength; allowed: [0]"),
        ({"settings": {"beta": 0}}, "beta"),
        ({"settings": {"gamma": 1}}, "unknown ℓ0 setting"),
        ({"settings": {"validation_fraction": 1.5}}, "validation_fraction"),
    ],
)
def test_bad_l0_blocks_fail_before_any_job(block, message):
    with pytest.raises(ConfigError, match="l0") as err:
        check_study(_config(**block))
    assert message in str(err.value)


def test_every_model_and_seed_gets_a_dense_twin():
    runs = l0_grid.classifier_runs(_config(methods={"pmmp": [1, 10], "drr": [0.3]}, seeds=[0, 1]))
    assert [(r["l0method"], r["strength"], r["seed"]) for r in runs] == [
        ("dense", "0", 0), ("pmmp", "1", 0), ("pmmp", "10", 0), ("drr", "0.3", 0),
        ("dense", "0", 1), ("pmmp", "1", 1), ("pmmp", "10", 1), ("drr", "0.3", 1),
    ]  # fmt: skip
    assert all(r["l0method"] != "dense" for r in l0_grid.analysed_runs(_config()))
    assert l0_grid.classifier_runs(tiny_config()) == []  # no l0 block: off
    assert l0_grid.train_settings(_config())["optimizer"] == "adam"  # the paper's trainer


@pytest.mark.workflow
def test_workflow_writes_l0_tables_analyses_and_figures(workdir):
    write_config(workdir, _config())
    names = ("l0_description_length", "l0_frontier", "l0_sample_efficiency")
    figures = [f"results/figures/{n}.png" for n in names]
    snakemake(workdir, "results/tables/l0_summary.csv", "results/tables/l0_claims.csv", *figures)
    table = pd.read_csv(workdir / "results/tables/l0.csv", dtype={"strength": str})
    assert sorted(zip(table["method"], table["strength"], strict=True)) == [("dense", "0"), ("drr", "0.3")]
    run = workdir / "results/l0/mnist5k/lenet300/seed0/drr/0.3"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["stored_bytes"] == (run / "model.bin").stat().st_size == metrics["model_bytes_stored"]
    analysis = workdir / "results/analysis/l0/mnist5k/lenet300/seed0/drr/0.3/output.json"
    assert json.loads(analysis.read_text())["l0method"] == "drr"
    assert "output_agreement" in table.columns and table["output_agreement"].notna().sum() == 1
    students = pd.read_csv(workdir / "results/tables/teacher_student.csv")
    assert sorted(students["samples"]) == [40, 40, 80, 80]
    claims = pd.read_csv(workdir / "results/tables/l0_claims.csv")
    assert list(claims["verdict"])[:1] == ["not comparable"]  # mnist5k vs the published MNIST ratio
    assert claims["claim"].tolist()[1:] == ["regularisation is more sample-efficient"]
    for figure in figures:
        assert (workdir / figure).stat().st_size > 0
