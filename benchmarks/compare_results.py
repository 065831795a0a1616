"""Do two results folders hold the same study results, timings aside? (A refactor must change no result.)

    python benchmarks/compare_results.py BEFORE/results AFTER/results

Compares every file both folders should share, after dropping wall-clock values (keys, columns and
summary rows named as :func:`is_timing` says, plus the benchmark TSVs):

* JSON sidecars and metrics (``compressed/``, ``data/``, ``runs/**/metrics.json``, ``analysis/**/*.json``):
  equal after removing timing keys at any depth;
* binary payloads (``*.npz``): byte for byte; ``*.pt``: every tensor exactly (dtype, shape, bytes) and
  every other stored value by its repr, timing keys dropped (files written before shrinkflow saved through
  a file handle carry their temporary name inside the zip);
* CSVs (``history.csv``, ``robustness/``, ``tables/``): equal as text after removing timing columns, and
  for ``summary.csv`` and the reproduction tables the rows of timing metrics.

Figures are not compared (the runtime figure plots timings). Prints a count per kind and every
difference; exits 1 when anything differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

TIMING_SUFFIXES = ("_seconds", "_per_second")
SKIP_DIRS = {"benchmarks", "figures", "downloads"}


def is_timing(name: str) -> bool:
    """Wall-clock values: ``seconds``, ``*_seconds``, ``*_per_second``, the same with a suffix
    (``encoder_fit_seconds_batch``, ``compressed_images_per_second_batch1``), speed-ups (ratios of times)
    and the benchmark TSV's ``s`` / ``h:m:s``."""
    return (
        name == "seconds"
        or any(suffix in name for suffix in TIMING_SUFFIXES)
        or "speedup" in name
        or name.endswith("_time")  # the rate-distortion results' encoding_time / decoding_time
        or name in ("s", "h:m:s")
    )


def strip_json(obj):
    if isinstance(obj, dict):
        return {k: strip_json(v) for k, v in obj.items() if not is_timing(str(k))}
    if isinstance(obj, list):
        return [strip_json(v) for v in obj]
    return obj


def normalized_csv(path: Path) -> str:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = table[[c for c in table.columns if not is_timing(c)]]
    if "metric" in table.columns:
        table = table[~table["metric"].map(is_timing)]
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue()


def _digest_object(obj: object, digest: Any) -> None:
    """Feed a loaded .pt object into ``digest``: tensors by dtype, shape and raw bytes, containers item by
    item, anything else (strings, numbers, None) by its repr."""
    import torch

    if torch.is_tensor(obj):
        digest.update(f"T{obj.dtype}{tuple(obj.shape)}".encode())
        digest.update(obj.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(obj, dict):
        digest.update(f"D{len(obj)}".encode())
        for key, value in obj.items():
            if is_timing(str(key)):
                continue
            digest.update(repr(key).encode())
            _digest_object(value, digest)
    elif isinstance(obj, (list, tuple)):
        digest.update(f"L{len(obj)}".encode())
        for value in obj:
            _digest_object(value, digest)
    else:
        digest.update(repr(obj).encode())


def fingerprint(path: Path) -> str:
    if path.suffix == ".pt":
        import torch

        digest = hashlib.sha256()
        _digest_object(torch.load(path, map_location="cpu", weights_only=True), digest)
        return digest.hexdigest()
    if path.suffix == ".json":
        return json.dumps(strip_json(json.loads(path.read_text())), sort_keys=False)
    if path.suffix == ".csv":
        return normalized_csv(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file()
        and not (SKIP_DIRS & set(p.relative_to(root).parts))
        and p.suffix in (".json", ".csv", ".npz", ".pt")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    a, b = files(args.before), files(args.after)
    problems = [f"only in {args.before}: {k}" for k in sorted(set(a) - set(b))]
    problems += [f"only in {args.after}: {k}" for k in sorted(set(b) - set(a))]
    counts: dict[str, list[int]] = {}
    for key in sorted(set(a) & set(b)):
        kind = key.split("/", 1)[0] + ":" + Path(key).suffix
        same = fingerprint(a[key]) == fingerprint(b[key])
        counts.setdefault(kind, [0, 0])[0 if same else 1] += 1
        if not same:
            problems.append(f"differs: {key}")
    for kind, (same, diff) in sorted(counts.items()):
        print(f"{kind:24s} {same:5d} identical  {diff:3d} different")
    for line in problems:
        print(line)
    print("IDENTICAL (timings aside)" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
