"""The shared start and end of the rule scripts (scripts/_script_setup.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "scripts").glob("*.py") if not p.name.startswith("_"))

JOB = """
import sys, types
sys.path.insert(0, {scripts!r})
from _script_setup import finish, setup
smk = types.SimpleNamespace(log=[{log!r}], rule="probe", wildcards={{"seed": "1"}})
log = setup(smk)
import torch
log.info("work done")
print("on stdout, no newline", end="")
sys.stderr.write("on stderr, unflushed")
with open({out!r}, "w") as handle:
    handle.write("output")
{end}
"""


def run_job(tmp_path: Path, end: str) -> subprocess.CompletedProcess:
    code = JOB.format(
        scripts=str(ROOT / "scripts"), log=str(tmp_path / "job.log"), out=str(tmp_path / "out.txt"), end=end
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_finish_exits_zero_with_logs_and_streams_flushed(tmp_path):
    done = run_job(tmp_path, "finish()\nraise SystemExit(3)  # never reached")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "on stdout, no newline"
    log = (tmp_path / "job.log").read_text()
    assert "shrinkflow.probe: wildcards: {'seed': '1'}" in log
    assert "work done" in log
    assert log.endswith("on stderr, unflushed")
    assert (tmp_path / "out.txt").read_text() == "output"


def test_a_failing_job_still_fails_with_its_traceback_in_the_log(tmp_path):
    done = run_job(tmp_path, "raise ValueError('bad level')\nfinish()")
    assert done.returncode == 1
    assert "ValueError: bad level" in (tmp_path / "job.log").read_text()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_rule_script_ends_with_finish(script):
    """A script that forgets ``finish()`` still works, only slower; one that calls it before its last
    statement would skip writing outputs. So: exactly one call, as the last statement."""
    body = ast.parse(script.read_text()).body
    calls = [
        node
        for node in ast.walk(ast.Module(body=body, type_ignores=[]))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "finish"
    ]
    last = body[-1]
    assert len(calls) == 1, f"{script.name}: finish() called {len(calls)} times"
    assert isinstance(last, ast.Expr) and last.value is calls[0], f"{script.name}: finish() is not last"
