"""The SLURM profile plans the default study with the resources it promises (dry run; no cluster needed).

``snakemake --profile profiles/slurm -n`` needs the slurm executor plugin (in the ``test`` extra, so a
missing plugin fails here instead of being skipped). Two flags adapt the dry run to a machine without a
cluster: ``--sdm env-modules`` replaces the profile's conda deployment (Snakemake runs ``conda info`` even in
a dry run, and no rule uses env modules), and ``--cores 16``, because a dry run without ``--cores`` plans
with 1 core and caps every job's threads at 1, hiding ``set-threads``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

pytestmark = pytest.mark.workflow

PROFILE = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())


def planned_jobs(output: str) -> list[dict]:
    """Every job block of a dry run: rule, wildcards, threads (1 when not printed) and resources."""
    jobs: list[dict] = []
    for line in output.splitlines():
        text = line.strip()
        if m := re.match(r"^(?:localrule|rule|localcheckpoint|checkpoint) (\w+):$", text):
            jobs.append({"rule": m.group(1), "threads": 1, "resources": {}, "wildcards": ""})
        elif not jobs:
            continue
        elif text.startswith("threads:"):
            jobs[-1]["threads"] = int(text.split(":", 1)[1])
        elif text.startswith("wildcards:"):
            jobs[-1]["wildcards"] = text.split(":", 1)[1].strip()
        elif text.startswith("resources:"):
            items = (item.split("=", 1) for item in text.split(":", 1)[1].strip().split(", "))
            jobs[-1]["resources"] = {key: value for key, value in items}
    return jobs


@pytest.fixture(scope="module")
def slurm_plan(tmp_path_factory) -> list[dict]:
    """The default study (config.yaml) planned with profiles/slurm, in a copy of the workflow."""
    assert importlib.util.find_spec("snakemake_executor_plugin_slurm"), (
        "snakemake-executor-plugin-slurm is not installed: pip install -e '.[test]'"
    )
    workdir = tmp_path_factory.mktemp("slurm")
    for name in ["Snakefile", "config.yaml", "workflow", "scripts", "envs", "src", "profiles"]:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, workdir / name)
    exe = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or "snakemake"
    cmd = [exe, "--profile", "profiles/slurm", "-n", "--sdm", "env-modules", "--cores", "16"]
    proc = subprocess.run(
        cmd,
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Using profiles profiles/slurm" in output, output[:2000]
    jobs = planned_jobs(output)
    assert jobs, output[-3000:]
    return jobs


def jobs_of(plan: list[dict], rule: str) -> list[dict]:
    jobs = [job for job in plan if job["rule"] == rule]
    assert jobs, f"the default study plans no {rule} job"
    return jobs


@pytest.mark.parametrize("rule", ["train", "train_adaptive"])
def test_training_jobs_request_a_gpu_on_the_gpu_partition(slurm_plan, rule):
    expected = PROFILE["set-resources"][rule]
    for job in jobs_of(slurm_plan, rule):
        resources = job["resources"]
        assert resources.get("gpu") == str(expected["gpu"]), job
        assert resources.get("slurm_partition") == expected["slurm_partition"], job
        assert resources.get("runtime") == str(expected["runtime"]), job
        assert "mem_mb" in resources, job


@pytest.mark.parametrize("rule", ["analyze_run", "analyze_model"])
def test_analyses_run_on_cpu_nodes(slurm_plan, rule):
    # the analyses load models on the CPU: a GPU would sit idle
    for job in jobs_of(slurm_plan, rule):
        assert job["resources"].get("gpu") in (None, "0"), job
        assert job["resources"].get("slurm_partition") == PROFILE["default-resources"]["slurm_partition"], job


@pytest.mark.parametrize("rule", ["train", "analyze_run", "compress_model", "train_l0"])
def test_cluster_jobs_handle_one_seed_each(slurm_plan, rule):
    # the profile sets group_seeds=false: one job per seed, spread over the nodes
    jobs = jobs_of(slurm_plan, rule)
    assert all(re.search(r"(^|, )seed=\d+", job["wildcards"]) for job in jobs), jobs[0]
    assert len({job["wildcards"] for job in jobs}) == len(jobs)


def test_compress_jobs_get_threads_from_set_threads(slurm_plan):
    threads = PROFILE["set-threads"]["compress"]
    assert threads > 1  # otherwise the dry run would not print it
    assert {job["threads"] for job in jobs_of(slurm_plan, "compress")} == {threads}


def test_every_job_declares_memory_and_runtime(slurm_plan):
    for job in slurm_plan:
        if job["rule"] != "all":
            assert {"mem_mb", "runtime"} <= set(job["resources"]), job


def test_cpu_jobs_get_the_profile_partition_and_account(slurm_plan):
    defaults = PROFILE["default-resources"]
    for job in jobs_of(slurm_plan, "compress"):
        assert job["resources"].get("slurm_partition") == defaults["slurm_partition"], job
        assert job["resources"].get("slurm_account") == defaults["slurm_account"], job
