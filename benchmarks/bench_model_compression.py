"""Model compression: seconds to compress, payload bytes, and CPU inference throughput dense vs compressed.

Workload: ``lenet300`` and ``cnn2d`` on MNIST-sized views (28 × 28 × 1, 10 classes) with their seeded random
initial weights (throughput and payload size do not depend on training; the pruning masks of a trained
model differ, their sizes do not). Per scheme at one representative amount: compression seconds (median
of 3), payload bytes and ratio to 4 bytes × parameters and buffers, then images/s of the dense model and
the compressed one at batch 1 and 256, timed alternately in the same run (median of ``--repeats``, each
repeat ≥ 20 ms of calls, ``torch.inference_mode``, ``--threads`` threads), and their ratio.

Extra row ``… +csr``: the pruned model with its Linear layers computing through ``torch.sparse`` CSR
matrices (a real sparse kernel; convolutions stay dense), to see whether sparsity alone buys time.
The machine is shared: treat numbers as ±30%. Example: ``python benchmarks/bench_model_compression.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import torch

from shrinkflow import models
from shrinkflow.model_compression import get, names, supports
from shrinkflow.model_compression.measure import compare_throughput, sparse_linear_copy
from shrinkflow.model_compression.payload import save
from shrinkflow.model_compression.schemes import compress

AMOUNTS = {"sparsity": 0.9, "quantize_int": 4, "kmeans": 4, "quantize_fp16": 16}
SHAPE = (28, 28, 1)


def amount_of(scheme: str) -> float | int:
    spec = get(scheme)
    return AMOUNTS["sparsity"] if spec.amount_kind == "sparsity" else AMOUNTS[scheme]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["lenet300", "cnn2d"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{args.threads} thread(s), median of {args.repeats} repeats")  # fmt: skip
    header = (
        f"{'model':10} {'scheme':18} {'amount':>6} {'comp s':>7} {'bytes':>9} {'ratio':>6} "
        f"{'dense b1/s':>10} {'comp b1/s':>10} {'b1 ×':>5} "
        f"{'dense b256/s':>12} {'comp b256/s':>12} {'b256 ×':>6}"
    )
    print(header)
    print("-" * len(header))
    for model_name in args.models:
        torch.manual_seed(0)
        dense = models.build(model_name, SHAPE, 10).eval()
        dense_bytes = 4 * sum(t.numel() for t in dense.state_dict().values())
        for scheme in names():
            if not supports(scheme, model_name):
                continue
            amount = amount_of(scheme)
            seconds = []
            for _ in range(3):
                t0 = time.perf_counter()
                compressed = compress(dense, model_name, scheme, amount)
                seconds.append(time.perf_counter() - t0)
            with tempfile.TemporaryDirectory() as tmp:
                stored = save(compressed, os.path.join(tmp, "payload.bin"))
            variants = {"dense": dense, "compressed": compressed.module}
            if scheme == "prune_global":
                variants["csr"] = sparse_linear_copy(compressed.module)
            t = compare_throughput(variants, SHAPE, (1, 256), repeats=args.repeats, threads=args.threads)
            rows = [("compressed", scheme)] + ([("csr", f"{scheme}+csr")] if "csr" in variants else [])
            for key, label in rows:
                print(
                    f"{model_name:10} {label:18} {amount!s:>6} {statistics.median(seconds):7.3f} {stored:9d} "
                    f"{dense_bytes / stored:6.1f} {t['dense_images_per_second_batch1']:10.0f} "
                    f"{t[f'{key}_images_per_second_batch1']:10.0f} {t[f'{key}_speedup_batch1']:5.2f} "
                    f"{t['dense_images_per_second_batch256']:12.0f} "
                    f"{t[f'{key}_images_per_second_batch256']:12.0f} {t[f'{key}_speedup_batch256']:6.2f}"
                )


if __name__ == "__main__":
    main()
