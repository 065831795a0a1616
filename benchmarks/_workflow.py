"""What the study benchmarks share: copying the workflow (not its results) into a folder, and the snakemake
executable of this interpreter's environment."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "config.yaml", "workflow", "scripts", "envs", "src", "profiles"]


def copy_workflow(dest: Path) -> None:
    """Copy the workflow files of the repository into ``dest`` (results, caches and build files left out)."""
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy2(src, dest / name)


def snakemake_exe() -> str:
    return shutil.which("snakemake", path=str(Path(sys.executable).parent)) or "snakemake"
