"""Shared test helpers: the repository root and a way to run snakemake on a tiny study in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "workflow", "scripts", "envs", "src", "profiles"]


def tiny_config(**overrides) -> dict:
    """A study small enough for tests: mnist5k, two methods, one seed, two short epochs."""
    config = {
        "datasets": {"mnist5k": {"identity": ["full"], "downsample": [7, 14]}},
        "models": ["cnn1d_paper"],
        "seeds": [0],
        "train": {"epochs": 2, "batch_size": 64},
        "threads": {"compress": 1, "train": 1},
        "default_view": "coefficients",
        "codecs": {"identity": {"view": "pixels"}},
        # the cheapest analysis only; tests/test_study.py runs every analysis, table and figure
        "analysis": {"enabled": ["output"], "robustness": {"models": []}},
        "compress": {"lzma_preset": 0},
    }
    config.update(overrides)
    return config


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow (not its results) into ``dest``; return ``dest``."""
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the workflow (not of results) in a temporary folder."""
    return copy_workflow(tmp_path)


def write_config(workdir: Path, config: dict, name: str = "config.yaml") -> Path:
    path = workdir / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the snakemake CLI of this interpreter's environment in ``workdir``."""
    exe = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or "snakemake"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [exe, "--cores", "2", *args], cwd=workdir, capture_output=True, text=True, env=env, timeout=600
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def toy_data(n=96, shape=(6, 6, 1), classes=3, seed=0):
    """Separable toy classes: the mean brightness encodes the label."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = (rng.random((n, *shape)) * 0.5 + y.reshape(-1, *[1] * len(shape)) / classes).astype(np.float32)
    return x, y


@pytest.fixture
def one_thread():
    """torch on one thread for the test (tiny tensors: a second thread only adds contention)."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)
