"""An interrupted study resumes to the same results: Ctrl-C mid-training, then a lost training process.

One tiny study (mnist5k, identity + downsample 7, two seeds, 4 training runs on 2 cores, one job per seed as
on a cluster: group_seeds false) is built twice:
uninterrupted in one folder, and in another one interrupted with SIGINT to the whole process group while a
training job runs, then rerun, with a training process SIGKILLed (a lost node), then rerun to completion.
After every interruption no run folder may hold a partial set of outputs or a stray temporary file, the
runs finished before the interruption are not retrained, and the final models and metrics (without timings)
equal the uninterrupted ones bit for bit. A job that trains both seeds of a run (group_seeds, the default),
killed after its first seed's files are written, leaves nothing that counts as finished and is retrained
whole.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import snakemake, tiny_config, write_config

from shrinkflow.train_utils import without_timings

pytestmark = pytest.mark.workflow

RUNS = [
    f"results/runs/mnist5k/{method}/cnn1d_paper/seed{seed}"
    for method in ("identity/full", "downsample/7")
    for seed in (0, 1)
]
OUTPUTS = ("model.pt", "metrics.json", "history.csv")
# Only the training runs are targets: the analyses and figures would add minutes and nothing to this test.
TARGETS = [f"{run}/metrics.json" for run in RUNS]


def config(group_seeds: bool = False) -> dict:
    return tiny_config(
        seeds=[0, 1],
        train={"epochs": 2, "batch_size": 64},
        analysis={"enabled": ["output"], "robustness": {"methods": []}},
        group_seeds=group_seeds,
    )


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default. A process started from a background shell
    (``pytest &``, nohup, some CI runners) inherits SIGINT as ignored, and Python then installs no
    KeyboardInterrupt handler, so Ctrl-C would never reach Snakemake."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(workdir: Path, targets=TARGETS) -> subprocess.Popen:
    """snakemake (the CLI conftest uses) in its own process group, so a signal reaches it and its jobs,
    with SIGINT handled whatever disposition this test process inherited."""
    exe = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or "snakemake"
    return subprocess.Popen(
        [exe, "--cores", "2", *targets],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended before the interruption point:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("timed out waiting for a training job")
        time.sleep(0.05)


def finished(workdir: Path) -> set[str]:
    """Runs Snakemake counts as complete: every output exists and none carries an "incomplete" marker.

    A job whose outputs were all written but which Snakemake had not yet closed when interrupted keeps its
    marker (``.snakemake/incomplete/<base64 of the path>``), and ``--rerun-incomplete`` retrains it.
    """
    markers = workdir / ".snakemake" / "incomplete"
    return {
        run
        for run in RUNS
        if all((workdir / run / name).exists() for name in OUTPUTS)
        and not any(
            (markers / base64.b64encode(f"{run}/{name}".encode()).decode()).exists() for name in OUTPUTS
        )
    }


def started(workdir: Path) -> set[str]:
    """Runs whose training job has begun (its log exists)."""
    logs = workdir / "logs/train/mnist5k"
    return {run for run in RUNS if (logs / (run.split("mnist5k/", 1)[1] + ".log")).exists()}


def training_processes(pgid: int) -> list[int]:
    """PIDs of the Python processes of running train jobs in the process group ``pgid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            in_group = os.getpgid(int(entry.name)) == pgid
        except (OSError, ProcessLookupError):
            continue
        # Snakemake runs a script job as `python .snakemake/scripts/tmpXXXX.train.py`
        if in_group and any(arg.endswith(b".train.py") for arg in cmdline):
            pids.append(int(entry.name))
    return pids


def kill_one(pids: list[int], killed: list[int]) -> bool:
    """SIGKILL the first of ``pids`` still alive; True once one was killed."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        killed.append(pid)
        return True
    return False


def trained(log: str) -> set[str]:
    """Run folders of the train jobs a snakemake log reports."""
    runs, rule = set(), None
    for line in log.splitlines():
        line = line.strip()
        if line.startswith(("rule ", "localrule ")):
            rule = line.split()[1].rstrip(":")
        elif line.startswith("wildcards:") and rule == "train":
            wc = dict(item.split("=", 1) for item in line[len("wildcards:") :].strip().split(", "))
            runs.add(
                f"results/runs/{wc['dataset']}/{wc['method']}/{wc['level']}/{wc['model']}/seed{wc['seed']}"
            )
    return runs


def assert_all_or_nothing(workdir: Path) -> None:
    """Every run folder holds all three outputs, complete and readable, or none of them, and nothing else."""
    for run in RUNS:
        folder = workdir / run
        present = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        assert present in ([], sorted(OUTPUTS)), f"{run} holds {present}"
        if present:
            json.loads((folder / "metrics.json").read_text())
            torch.load(folder / "model.pt", weights_only=True)


def mtimes(workdir: Path, runs) -> dict[str, tuple[int, ...]]:
    return {run: tuple((workdir / run / name).stat().st_mtime_ns for name in OUTPUTS) for run in runs}


def assert_same_results(workdir: Path, reference: Path, runs=RUNS) -> None:
    for run in runs:
        got = json.loads((workdir / run / "metrics.json").read_text())
        want = json.loads((reference / run / "metrics.json").read_text())
        assert without_timings(got) == without_timings(want), run
        state = torch.load(workdir / run / "model.pt", weights_only=True)
        want_state = torch.load(reference / run / "model.pt", weights_only=True)
        assert state.keys() == want_state.keys()
        assert all(torch.equal(state[k], want_state[k]) for k in state), run


@pytest.fixture
def reference(tmp_path_factory) -> Path:
    """The same study, run once without interruption."""
    from conftest import copy_workflow

    folder = copy_workflow(tmp_path_factory.mktemp("uninterrupted"))
    write_config(folder, config())
    snakemake(folder, *TARGETS)
    return folder


def test_interrupted_study_resumes_to_the_uninterrupted_results(workdir: Path, reference: Path):
    write_config(workdir, config())

    # 1. Ctrl-C while a training job runs, after at least one run has finished.
    proc = start(workdir)
    wait_for(lambda: finished(workdir) and started(workdir) - finished(workdir), proc)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, out
    assert_all_or_nothing(workdir)
    done_before = finished(workdir)
    assert done_before and done_before != set(RUNS), "the interrupt came too late to test anything"
    # Snakemake's own view agrees: it plans exactly the runs not complete by the rule above.
    assert trained(snakemake(workdir, "-n", *TARGETS).stdout) == set(RUNS) - done_before
    kept = mtimes(workdir, done_before)

    # 2. Resume; SIGKILL one training process (a lost node) once it runs: Snakemake sees the job fail.
    proc = start(workdir)
    killed: list[int] = []
    wait_for(lambda: kill_one(training_processes(proc.pid), killed), proc)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, out
    assert "Error in rule train" in out, out
    assert_all_or_nothing(workdir)
    done_after_kill = finished(workdir)
    assert done_before <= done_after_kill
    assert done_after_kill != set(RUNS), "the killed job's run must not count as finished"

    # 3. Resume to completion: only unfinished runs are trained, and the results equal the reference.
    proc = snakemake(workdir, *TARGETS)
    assert_all_or_nothing(workdir)
    assert finished(workdir) == set(RUNS)
    assert mtimes(workdir, done_before) == kept, "runs finished before the interrupt were retrained"
    assert trained(proc.stdout + proc.stderr) == set(RUNS) - done_after_kill
    assert_same_results(workdir, reference)


def test_a_killed_seed_group_is_retrained_whole(workdir: Path, reference: Path):
    runs = RUNS[:2]  # identity/full, seeds 0 and 1: one grouped job
    targets = [f"{run}/metrics.json" for run in runs]
    write_config(workdir, config(group_seeds=True))
    proc = start(workdir, targets)
    killed: list[int] = []
    # seed 0's files are written; kill the job while it trains seed 1
    first_done = workdir / runs[0] / "metrics.json"
    wait_for(lambda: first_done.exists() and kill_one(training_processes(proc.pid), killed), proc)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Error in rule train" in out, out
    assert not finished(workdir) & set(runs), "a killed grouped job left a seed that counts as finished"
    planned = snakemake(workdir, "-n", *targets, "--quiet", "rules").stdout
    assert re.search(r"^train\s+1$", planned, flags=re.MULTILINE), planned

    snakemake(workdir, *targets)
    assert finished(workdir) >= set(runs)
    assert_same_results(workdir, reference, runs)  # the per-seed reference: same bytes
