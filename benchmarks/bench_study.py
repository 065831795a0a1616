"""How long a whole study takes, and where the time goes: wall time, jobs, job and compute seconds per rule.

Runs ``snakemake --cores N`` on a study in a fresh temporary copy of the workflow (nothing is written into the
repository), timing it with ``time.perf_counter``. Then, per rule:

* job seconds and peak memory from Snakemake's benchmark files (``results/benchmarks/{rule}/{job}.tsv``:
  ``s`` = the job's wall seconds, ``max_rss`` in MB);
* compute seconds from what the job itself reports (``*_seconds`` fields of its sidecar, metrics or analysis
  JSON; :data:`COMPUTE` says which fields, per rule);
* overhead per job = job seconds - compute seconds: Python start, Snakemake's script preamble, imports,
  reading inputs and writing outputs. Rules whose jobs report no compute seconds show it as unknown.

Jobs per rule are Snakemake's own "Job stats"; rules without ``benchmark:`` (tables, figures, reports) show
only their job count. Last, a no-op ``snakemake -n`` is timed in the finished copy.

    python benchmarks/bench_study.py --configfile /tmp/tiny.yaml --json /tmp/study.json
    python benchmarks/bench_study.py                    # the default study (config.yaml); many minutes
    python benchmarks/bench_study.py --configfile s.yaml --target results/tables/runs.csv --keep
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _workflow import ROOT, copy_workflow, snakemake_exe

TRAIN = ("load_seconds", "train_seconds", "eval_seconds")
#: fields a seed-grouped job measures once and writes into every seed's file (the artifact is loaded once)
ONCE_PER_JOB = {"load_seconds"}
#: the seed segment of a seed-grouped job's benchmark key (config group_seeds): seeds.tsv -> every seed{n}
GROUPED_SEED = re.compile(r"(^|/)seeds(/|$)")
#: rule -> [(file of the job's own outputs, relative to results/, with {job} = the benchmark file's path below
#: results/benchmarks/{rule}/ without .tsv; fields summed)]. A JSON file gives its top-level fields, a CSV
#: the sum of its columns; "*" in a path globs one folder (analyze_model / analyze_student: one JSON per
#: analysis); "a|b": b when a matches nothing. None: the job reports no compute seconds. Rules absent here
#: (analyze_{name} aside, see compute_sources) are unknown.
COMPUTE: dict[str, list[tuple[str, tuple[str, ...]]] | None] = {
    "prepare_dataset": None,  # the data sidecar records no timing
    "compress": [("compressed/{job}.json", ("encode_seconds", "decode_seconds"))],  # lzma sizing not timed
    "train": [("runs/{job}/metrics.json", TRAIN)],
    "train_adaptive": [
        ("runs/{adaptive}/metrics.json", TRAIN),
        ("runs/{adaptive}/history.csv", ("adapt_seconds",)),  # per epoch, outside epoch_seconds
    ],
    "train_mcnc": [("students/{job}/metrics.json", ("train_seconds", "eval_seconds"))],
    "train_student": [("students/{job}/metrics.json", ("train_seconds", "eval_seconds"))],
    "analyze_robustness": None,  # writes a CSV of accuracies, no timing
    "analyze_model": [("analysis/{job}/*.json", ("seconds",))],  # loading counted in the first analysis
    "analyze_student": [("analysis/{job}/*.json", ("seconds",))],
    "compress_model": [("models/{job}/metrics.json", ("seconds",))],  # the whole compress_run
    "search_model": [("searches/{job}/search.json", ("seconds",))],
    "analyze_run": [("analysis/{job}/*.json", ("seconds",))],  # loading counted in the first analysis
    "analyze_reference": None,  # reference.npz records no timing (same inputs, same bytes)
    "train_l0": [("l0/{job}/metrics.json", ("seconds",))],  # the whole train_classifier, loading included
    "analyze_l0": [("analysis/l0/{job}/*.json", ("seconds",))],
    "train_teacher_student": [("l0/teacher_student/{job}/metrics.json", ("seconds",))],
    "rate_distortion": [("rd/{job}.json", ("seconds",))],  # the whole run_point
    "fit_coin_ptq": [("rd/{job}.json", ("seconds",))],  # the shared float fit, loading included
}


def compute_sources(rule: str):
    """:data:`COMPUTE`'s entry of ``rule``; a per-run analysis rule analyze_{name} reads {name}.json, or
    every analysis JSON of the run when there is no {name}.json (one rule running all analyses of a run)."""
    if rule in COMPUTE:
        return COMPUTE[rule]
    if rule.startswith("analyze_"):
        name = rule.removeprefix("analyze_")
        return [(f"analysis/{{job}}/{name}.json|analysis/{{job}}/*.json", ("seconds",))]
    return None


def first_match(folder: Path, patterns: list[str]) -> list[Path]:
    """The files of the first glob pattern that matches any under ``folder``."""
    for pattern in patterns:
        paths = sorted(folder.glob(pattern))
        if paths:
            return paths
    return []


def compute_seconds(results: Path, rule: str, job: str) -> float | None:
    """Seconds the job reports for its own work, or None when it reports none (or its files lack them)."""
    sources = compute_sources(rule)
    if not sources:
        return None
    job = GROUPED_SEED.sub(r"\1seed[0-9]*\2", job)  # a seed-grouped job: every seed's files
    dataset, _, rest = job.partition("/")
    total, found = 0.0, False
    for template, keys in sources:
        patterns = template.format(job=job, adaptive=f"{dataset}/adaptive/{rest}").split("|")
        once: dict[str, float] = {}
        for path in first_match(results, patterns):
            if path.suffix == ".json":
                record = json.loads(path.read_text())
                pairs = [(k, record[k]) for k in keys if isinstance(record.get(k), (int, float))]
            else:
                with path.open(newline="") as fh:
                    pairs = [(k, float(row[k])) for row in csv.DictReader(fh) for k in keys if row.get(k)]
            for key, value in pairs:
                if key in ONCE_PER_JOB:
                    once[key] = max(once.get(key, 0.0), value)
                else:
                    total += value
            found = found or bool(pairs)
        total += sum(once.values())
    return total if found else None


def read_benchmark(path: Path) -> tuple[float, float | None]:
    """(wall seconds, max_rss MB) of one benchmark TSV; the mean over its rows when repeated."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))

    number = re.compile(r"^\d+(\.\d*)?$")  # Snakemake writes "NA" or "-" when it could not measure
    seconds = [float(r["s"]) for r in rows if number.match(r.get("s") or "")]
    rss = [float(r["max_rss"]) for r in rows if number.match(r.get("max_rss") or "")]
    return (sum(seconds) / len(seconds) if seconds else 0.0), (max(rss) if rss else None)


def job_stats(output: str) -> dict[str, int]:
    """Snakemake's "Job stats" table (rule -> planned jobs), from its first occurrence in ``output``."""
    counts: dict[str, int] = {}
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Job stats:"), None)
    if start is None:
        return counts
    for line in lines[start + 3 :]:
        match = re.match(r"^(\S+)\s+(\d+)\s*$", line)
        if not match or match.group(1) == "total":
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def _empty(jobs: int) -> dict:
    keys = ("job_seconds", "max_rss_mb", "compute_seconds", "overhead_per_job")
    return {
        "jobs": jobs,
        "benchmarked": 0,
        "compute_jobs": 0,
        "job_seconds_of_compute_jobs": 0.0,
    } | dict.fromkeys(keys)


def summarize(workdir: Path, planned: dict[str, int]) -> dict[str, dict]:
    """Per rule: jobs, benchmarked jobs, job seconds, compute seconds (jobs that report them), overhead."""
    results = workdir / "results"
    rules = {rule: _empty(n) for rule, n in planned.items()}
    for tsv in sorted((results / "benchmarks").glob("**/*.tsv")):
        rel = tsv.relative_to(results / "benchmarks")
        rule, job = rel.parts[0], rel.with_suffix("").relative_to(rel.parts[0]).as_posix()
        entry = rules.setdefault(rule, _empty(0))  # a benchmark folder not named after its rule
        seconds, rss = read_benchmark(tsv)
        entry["benchmarked"] += 1
        entry["job_seconds"] = (entry["job_seconds"] or 0.0) + seconds
        if rss is not None:
            entry["max_rss_mb"] = max(entry["max_rss_mb"] or 0.0, rss)
        compute = compute_seconds(results, rule, job)
        if compute is not None:
            entry["compute_jobs"] += 1
            entry["compute_seconds"] = (entry["compute_seconds"] or 0.0) + compute
            entry["job_seconds_of_compute_jobs"] += seconds
    for rule, entry in rules.items():
        if entry["compute_jobs"]:
            overhead = entry["job_seconds_of_compute_jobs"] - entry["compute_seconds"]
            entry["overhead_per_job"] = overhead / entry["compute_jobs"]
        sources = compute_sources(rule)
        entry["compute_fields"] = [f"{t}: {'+'.join(k)}" for t, k in sources] if sources else None
    return rules


def totals(rules: dict[str, dict]) -> dict:
    known = [e for e in rules.values() if e["compute_jobs"]]
    compute_jobs = sum(e["compute_jobs"] for e in known)
    overhead = sum(e["job_seconds_of_compute_jobs"] - e["compute_seconds"] for e in known)
    return {
        "jobs": sum(e["jobs"] for e in rules.values()),
        "benchmarked": sum(e["benchmarked"] for e in rules.values()),
        "job_seconds": sum(e["job_seconds"] or 0.0 for e in rules.values()),
        "compute_jobs": compute_jobs,
        "compute_seconds": sum(e["compute_seconds"] for e in known),
        "overhead_per_job": overhead / compute_jobs if compute_jobs else None,
        "max_rss_mb": max((e["max_rss_mb"] or 0.0 for e in rules.values()), default=0.0) or None,
    }


def fmt(value, spec: str) -> str:
    """``value`` formatted with ``spec`` ("8.1f"), or "-" right-aligned to the same width."""
    return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0] or 0))


def print_table(report: dict) -> None:
    rules, total = report["rules"], report["totals"]
    print(f"\n{'rule':<32} {'jobs':>5} {'job s':>8} {'compute s':>9} {'overhead/job':>12} {'max MB':>7}")
    unbenchmarked = {rule: e["jobs"] for rule, e in rules.items() if not e["benchmarked"]}
    for rule, e in sorted(rules.items(), key=lambda kv: -(kv[1]["job_seconds"] or 0.0)):
        if rule in unbenchmarked:
            continue
        compute, note = e["compute_seconds"], ""
        if not e["compute_jobs"]:
            note = "  (reports no compute seconds: overhead unknown)"
        elif e["compute_jobs"] < e["benchmarked"]:
            note = f"  (only {e['compute_jobs']} of {e['benchmarked']} report compute seconds)"
        print(f"{rule:<32} {e['jobs']:>5} {fmt(e['job_seconds'], '8.1f')} {fmt(compute, '9.1f')} "
              f"{fmt(e['overhead_per_job'], '12.2f')} {fmt(e['max_rss_mb'], '7.0f')}{note}")  # fmt: skip
    print(f"{'total':<32} {total['jobs']:>5} {total['job_seconds']:>8.1f} {total['compute_seconds']:>9.1f} "
          f"{fmt(total['overhead_per_job'], '12.2f')} {fmt(total['max_rss_mb'], '7.0f')}")  # fmt: skip
    if unbenchmarked:
        print(f"{len(unbenchmarked)} rules without benchmark files, {sum(unbenchmarked.values())} jobs: "
              + ", ".join(f"{rule} ({n})" for rule, n in unbenchmarked.items()))  # fmt: skip
    cores, wall = report["cores"], report["wall_seconds"]
    outside = cores * wall - total["job_seconds"]
    print(f"\nwall {wall:.1f} s ({wall / 60:.1f} min) on --cores {cores}; benchmarked jobs use "
          f"{total['job_seconds']:.1f} of {cores * wall:.1f} core-seconds ({outside:.1f} outside them: "
          "Snakemake start-up and DAG, scheduling, unbenchmarked jobs, idle cores)")  # fmt: skip
    print(f"mean overhead per job over the {total['compute_jobs']} jobs that report compute seconds: "
          f"{fmt(total['overhead_per_job'], '.2f')} s")  # fmt: skip
    print(f"no-op snakemake -n in the finished copy: best {report['noop_dry_run_seconds']:.2f} s "
          f"of {len(report['noop_dry_run_all'])} ({report['noop_dry_run_jobs']} jobs planned)")  # fmt: skip
    before, after = report["import_torch_seconds"]
    print(f"machine speed probe, python -c 'import torch' (best of 3): {before:.2f} s before the study, "
          f"{after:.2f} s after")  # fmt: skip


def run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    """(wall seconds, stdout + stderr) of a command that must succeed."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}) in {cwd}:\n{out[-6000:]}")
    return seconds, out


def import_torch_seconds(repeat: int = 3) -> float:
    """Best wall seconds of ``python -c "import torch"``: a probe of the machine's speed right now (shared
    machines vary by 1.5x between hours), printed beside the study so two runs can be put side by side."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def bench(workdir: Path, args: argparse.Namespace) -> dict:
    copy_workflow(workdir)
    probe_before = import_torch_seconds()
    study = []
    configfile = Path(args.configfile).resolve()
    if configfile != (ROOT / "config.yaml").resolve():
        shutil.copy2(configfile, workdir / "study.yaml")
        study = ["--configfile", "study.yaml"]
    base = [snakemake_exe(), "--cores", str(args.cores), *study, *args.snakemake_args]
    targets = ["--", *args.target] if args.target else []  # "--": an option taking values ends before them
    print(f"in {workdir}: {' '.join([*base[1:], *targets])}", flush=True)
    wall, output = run([*base, *targets], workdir)
    (workdir / "bench_study.log").write_text(output)
    noop = []
    for _ in range(args.noop_repeat):
        seconds, dry = run([*base, "-n", *targets], workdir)
        noop.append(seconds)
    probe_after = import_torch_seconds()
    left = re.search(r"^total\s+(\d+)\s*$", dry, re.MULTILINE)
    rules = summarize(workdir, job_stats(output))
    return {
        "configfile": str(configfile), "targets": args.target, "cores": args.cores,
        "cpu_count": os.cpu_count(), "wall_seconds": wall, "noop_dry_run_seconds": min(noop),
        "noop_dry_run_all": noop,
        "noop_dry_run_jobs": int(left.group(1)) if left else 0, "rules": rules, "totals": totals(rules),
        "import_torch_seconds": [probe_before, probe_after],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default=str(ROOT / "config.yaml"), help="the study (config.yaml)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--target", action="append", default=[], help="a target file or rule (repeatable)")
    parser.add_argument("--json", help="also write the report as JSON to this path")
    parser.add_argument("--noop-repeat", type=int, default=3, help="no-op dry runs timed (best is reported)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    parser.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="after --: more snakemake arguments")
    args = parser.parse_args()
    args.snakemake_args = [a for a in args.snakemake_args if a != "--"]

    tmp = Path(tempfile.mkdtemp(prefix="bench_study_"))
    try:
        report = bench(tmp, args)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
