"""Seeds per job (config ``group_seeds``): one job per run with every seed, or one job per seed, write the
same files with the same bytes; only the job count and the log and benchmark names differ."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import copy_workflow, snakemake, tiny_config, write_config

#: keys that time a job or derive from times (they differ between any two runs)
TIMING = re.compile(r"seconds|per_second|speedup")
TARGETS = ["results/tables/runs.csv", "results/tables/model_compression.csv", "results/tables/l0.csv",
           "results/tables/teacher_student.csv", "results/tables/mcnc.csv"]  # fmt: skip


def _config(group: bool) -> dict:
    return tiny_config(
        datasets={"mnist5k": {"identity": ["full"], "downsample": [7]}},
        seeds=[0, 1],
        train={"epochs": 1, "batch_size": 128},
        group_seeds=group,
        model_compression={"sources": ["identity/full"], "schemes": {"prune_global": [0.5]}, "epochs": 1,
                           "search": {}},
        l0={"dataset": "mnist5k", "models": ["lenet300"], "methods": {"drr": [0.3]}, "train": {"epochs": 1},
            "settings": {"finetune_epochs": 1, "rgp_samples": 50},
            "teacher_student": {"samples": [40], "methods": {"drr": [0.1]}, "seeds": [0, 1],
                                "train": {"epochs": 5, "n_val": 50, "n_test": 100}}},
        mlp_study={"dataset": "mnist5k", "widths": [16], "depths": [1], "train": {"epochs": 1},
                   "mcnc": {"models": ["mlp_w16_d1"], "rates": [[100, 9]], "train": {"epochs": 1}},
                   "distill": {"students": ["mlp_w16_d1"], "temperature": 4, "alpha": 0.7}},
    )  # fmt: skip


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if not TIMING.search(k)}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _results(workdir: Path) -> dict[str, object]:
    """Every per-seed result file below results/ (runs, analyses, models, l0, students): its bytes, or its
    JSON or CSV without timing fields."""
    out = {}
    for path in sorted((workdir / "results").rglob("*")):
        rel = path.relative_to(workdir / "results").as_posix()
        if not path.is_file() or rel.split("/")[0] not in ("runs", "analysis", "models", "l0", "students"):
            continue
        if path.suffix == ".json":
            out[rel] = _without_timing(json.loads(path.read_text()))
        elif path.suffix == ".csv":  # histories: per-epoch seconds columns aside
            lines = path.read_text().splitlines()
            header = lines[0].split(",")
            keep = [i for i, name in enumerate(header) if not TIMING.search(name)]
            out[rel] = [[line.split(",")[i] for i in keep] for line in lines]
        else:
            out[rel] = path.read_bytes()
    return out


def _jobs(workdir: Path) -> dict[str, int]:
    proc = snakemake(workdir, "-n", *TARGETS, "--quiet", "rules")
    counts = re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, flags=re.MULTILINE)
    return {rule: int(n) for rule, n in counts if rule != "total"}


@pytest.mark.workflow
def test_grouped_and_per_seed_jobs_write_identical_results(tmp_path):
    results, jobs = {}, {}
    for group in (True, False):
        (tmp_path / f"group_{group}").mkdir()
        workdir = copy_workflow(tmp_path / f"group_{group}")
        write_config(workdir, _config(group))
        jobs[group] = _jobs(workdir)
        snakemake(workdir, *TARGETS)
        results[group] = _results(workdir)
        seeds_log = workdir / "logs/train/mnist5k/identity/full/cnn1d_paper/seeds.log"
        seed_log = workdir / "logs/train/mnist5k/identity/full/cnn1d_paper/seed1.log"
        assert seeds_log.exists() is group and seed_log.exists() is not group

    # two seeds: half the jobs of each seed-grouped rule, the same jobs elsewhere
    for rule in ("train", "analyze_run", "compress_model", "analyze_model", "train_l0", "analyze_l0",
                 "train_teacher_student", "train_mcnc", "train_student", "analyze_student"):  # fmt: skip
        assert jobs[False][rule] == 2 * jobs[True][rule], rule
    assert jobs[True]["compress"] == jobs[False]["compress"]

    grouped, per_seed = results[True], results[False]
    assert sorted(grouped) == sorted(per_seed)
    assert any(k.endswith("seed1/model.pt") for k in grouped)
    assert any("l0/teacher_student" in k for k in grouped)
    assert any(k.startswith("students/") and "/seed1/" in k and "/distilled/" in k for k in grouped)
    differing = [k for k in grouped if grouped[k] != per_seed[k]]
    assert differing == []
