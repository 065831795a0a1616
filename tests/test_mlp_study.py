"""The MLP study in the workflow (course project "Model Compression"): config errors before any job, the
teacher choice, the head-to-head verdicts, and a tiny study end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from conftest import copy_workflow, snakemake, tiny_config, write_config

from shrinkflow import mcnc
from shrinkflow.config import ConfigError, check_study
from shrinkflow.mlp_study import capacity_runs, student_runs
from shrinkflow.student_stage import choose_teacher

STUDY = {
    "dataset": "mnist5k", "widths": [16, 64], "depths": [1],
    "mcnc": {"models": ["mlp_w64_d1"], "rates": [[100, 9]],
             "train": {"optimizer": "adam", "lr": 0.003, "weight_decay": 0.0}},
    "distill": {"students": [], "temperature": 4, "alpha": 0.7},
}  # fmt: skip


def _config(**study):
    datasets = {"mnist5k": {"identity": ["full"]}}
    return tiny_config(datasets=datasets, seeds=[0, 1], mlp_study={**STUDY, **study})


@pytest.mark.parametrize(
    ("study", "message"),
    [
        ({"mcnc": {"models": ["mlp_w64_d1"], "rates": [[10, 10]]}},
         r"mlp_study.mcnc.rates\[0\] = \[10, 10\]: .*k"),
        ({"distill": {"temperature": 0}}, r"mlp_study.distill.temperature: 0; allowed: a number > 0"),
        ({"distill": {"alpha": 1.5}}, r"mlp_study.distill.alpha: 1.5; allowed: a number in \[0, 1\]"),
        ({"mcnc": {"models": ["mlp_w64"], "rates": [[100, 9]]}}, r"model 'mlp_w64' is unknown"),
        ({"dataset": "cifar10"}, r"mlp_study.dataset: 'cifar10' needs identity data in the study"),
    ],
)  # fmt: skip
def test_bad_mlp_study_settings_fail_before_any_job(study, message):
    with pytest.raises(ConfigError, match=message):
        check_study(_config(**study))


def test_the_grid_has_every_width_depth_seed_and_both_trainings():
    config = _config()
    assert len(capacity_runs(config)) == 2 * 2
    runs = student_runs(config)
    assert {(r["rate"], r["training"]) for r in runs} == {("d100_k9", "plain"), ("d100_k9", "distilled")}
    assert len(runs) == 2 * 2


def test_the_teacher_is_the_highest_median_and_ties_go_to_the_smaller_model():
    table = pd.DataFrame({"model": ["mlp_w16_d1", "mlp_w64_d1", "mlp_w32_d1"], "median": [0.9, 0.95, 0.95],
                          "num_parameters": [100, 400, 200]})  # fmt: skip
    assert choose_teacher(table) == "mlp_w32_d1"


@pytest.mark.workflow
def test_tiny_mlp_study_end_to_end(tmp_path):
    workdir = copy_workflow(tmp_path)
    write_config(workdir, _config())
    snakemake(workdir)
    capacity = pd.read_csv(workdir / "results/tables/mlp_capacity.csv")
    assert list(capacity["model"]) == ["mlp_w16_d1", "mlp_w64_d1"] and capacity["teacher"].sum() == 1
    teacher = capacity.loc[capacity["teacher"], "model"].item()
    assert teacher == choose_teacher(capacity)
    folder = workdir / "results/students/mnist5k/identity/full/mlp_w64_d1/seed0/d100_k9"
    for training in ("plain", "distilled"):
        metrics = json.loads((folder / training / "metrics.json").read_text())
        assert metrics["stored_bytes"] == (folder / training / "model.bin").stat().st_size
        # the payload regenerates exactly the weights the run saved
        saved = torch.load(folder / training / "model.pt", weights_only=True)
        loaded = mcnc.load(folder / training / "model.bin").state_dict()
        assert all(torch.equal(saved[k], loaded[k]) for k in saved)
    assert json.loads((folder / "distilled/metrics.json").read_text())["teacher"] == teacher
    output = json.loads((workdir / "results/analysis/mnist5k/identity/full/mlp_w64_d1/seed0/d100_k9/plain/"
                                   "output.json").read_text())  # fmt: skip
    assert output["teacher"] == teacher and 0 <= output["agreement"] <= 1
    table = pd.read_csv(workdir / "results/tables/mcnc.csv")
    assert table["teacher_output_agreement"].between(0, 1).all()  # students judged against the teacher
    verdicts = pd.read_csv(workdir / "results/tables/distillation.csv")
    assert len(verdicts) == 1 and verdicts["verdict"].iloc[0] in (
        "distillation helps", "distillation hurts", "no significant difference"
    )
    for figure in ("mlp_capacity", "distillation"):
        assert (workdir / f"results/figures/{figure}.png").stat().st_size > 10_000
