"""How long Snakemake takes to plan a study: wall seconds of a dry run (``snakemake -n``), best of N.

Studies timed (each in a fresh temporary copy of the workflow; nothing is written into the repository):

* ``paper-scale``: ``workflow/presets/paper-scale.yaml`` (full MNIST + CIFAR-10, every codec, 5 seeds);
* ``paper-scale, disk_mb fixed``: the same with ``--default-resources ... disk_mb=1000``, which replaces
  Snakemake's built-in default ``disk = max(2*input.size_mb, 1000)``; that default stats the inputs of every
  job while planning, so the row shows what a constant in the profile would save;
* ``paper-scale, one job per seed``: the same with ``--config group_seeds=false``, as the SLURM profile plans
  it (by default one job handles every seed of a run);
* ``synthetic grid``: mnist5k, 56 levels × 53 seeds of one model, analyses off (about 3,000 runs).

The raw-data stage is faked: ``results/data/{dataset}.npz`` / ``.json`` and the ``prepare_dataset``
benchmark TSV (an input of the runtime figure) are created empty in the temporary copy, so the plan holds
every job downstream of the data and nothing needs a download. The job count is Snakemake's own "total".

    python benchmarks/bench_dag.py                  # best of 3
    python benchmarks/bench_dag.py --repeat 1 --studies synthetic
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from _workflow import ROOT, copy_workflow, snakemake_exe

PRESET = "workflow/presets/paper-scale.yaml"
FIXED_DISK = ["--default-resources", "mem_mb=2000", "runtime=30", "disk_mb=1000"]
PER_SEED = ["--config", "group_seeds=false"]


def synthetic_config() -> dict:
    """About 3,000 jobs: 56 levels × 53 seeds of cnn1d_paper on mnist5k, no analyses, tables or adaptive runs
    beyond the defaults that always run."""
    return {
        "datasets": {"mnist5k": {"downsample": list(range(1, 29)), "dct": list(range(1, 29))}},
        "models": ["cnn1d_paper"],
        "seeds": list(range(53)),
        "analysis": {"enabled": [], "robustness": {"methods": []}},
    }


def fake_datasets(workdir: Path, names) -> None:
    """Empty prepared-data files and prepare_dataset benchmarks: the plan starts after the data stage."""
    for name in names:
        for path in (
            workdir / f"results/data/{name}.npz",
            workdir / f"results/data/{name}.json",
            workdir / f"results/benchmarks/prepare_dataset/{name}.tsv",
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()


def dry_run(workdir: Path, configfile: str, extra: list[str]) -> tuple[float, int, str]:
    """(wall seconds, planned jobs, output) of one ``snakemake -n`` in ``workdir``."""
    cmd = [snakemake_exe(), "--cores", "2", "-n", "--configfile", configfile, *extra]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {workdir}:\n{out[-4000:]}")
    match = re.search(r"^total\s+(\d+)\s*$", out, re.MULTILINE)
    return seconds, int(match.group(1)) if match else 0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="dry runs per study (best is reported)")
    parser.add_argument(
        "--studies",
        nargs="+",
        default=["paper", "paper_fixed_disk", "paper_per_seed", "synthetic"],
        choices=["paper", "paper_fixed_disk", "paper_per_seed", "synthetic"],
    )
    args = parser.parse_args()

    preset = yaml.safe_load((ROOT / PRESET).read_text())
    studies = {
        "paper": ("paper-scale", PRESET, list(preset["datasets"]), []),
        "paper_fixed_disk": ("paper-scale, disk_mb fixed", PRESET, list(preset["datasets"]), FIXED_DISK),
        "paper_per_seed": ("paper-scale, one job per seed", PRESET, list(preset["datasets"]), PER_SEED),
        "synthetic": ("synthetic grid", "synthetic.yaml", ["mnist5k"], []),
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_dag_") as tmp:
        workdir = Path(tmp)
        copy_workflow(workdir)
        (workdir / "synthetic.yaml").write_text(yaml.safe_dump(synthetic_config(), sort_keys=False))
        fake_datasets(workdir, {*preset["datasets"], "mnist5k"})
        for key in args.studies:
            label, configfile, _, extra = studies[key]
            times, jobs = [], 0
            for _ in range(args.repeat):
                seconds, jobs, _ = dry_run(workdir, configfile, extra)
                times.append(seconds)
            rows.append((label, jobs, min(times), max(times)))

    print(f"snakemake -n, best of {args.repeat} ({os.cpu_count()} cores)")
    print(f"{'study':<28} {'jobs':>7} {'best s':>8} {'worst s':>8} {'ms/job':>7}")
    for label, jobs, best, worst in rows:
        per_job = 1000 * best / jobs if jobs else float("nan")
        print(f"{label:<28} {jobs:>7} {best:>8.2f} {worst:>8.2f} {per_job:>7.2f}")


if __name__ == "__main__":
    main()
