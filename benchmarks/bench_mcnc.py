"""MCNC training step time vs plain training of the same model (ratio, same run; the issue asks for ≤ 2×).

Workload: ``mlp_w256_d3`` and ``lenet300`` on 4,000 random MNIST-sized samples (28 × 28 × 1, 10 classes),
batch 128 (32 steps per epoch), Adam, the trainer's step (forward, cross-entropy, zero_grad, backward,
step). Per model and MCNC setting: seconds per step of the plain model and of the MCNC-wrapped one
(θ = θ0 + β·φ(α) materialised every step, all chunks through φ in one batched pass), one epoch per repeat,
plain and MCNC repeats alternating, median of ``--repeats``; their ratio; and the milliseconds of the exact
export (float64 materialisation on one thread, what ``MCNCHook.export_model`` and ``mcnc.load`` run).
The machine is shared: treat numbers as ±30%. Example: ``python benchmarks/bench_mcnc.py --threads 1``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from shrinkflow import models
from shrinkflow.mcnc import MCNCSettings
from shrinkflow.mcnc.hook import MCNCModule

SHAPE = (28, 28, 1)
N, BATCH, CLASSES = 4000, 128, 10


def epoch_seconds(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Seconds per training step over one epoch of the trainer's step with Adam."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    steps = 0
    t0 = time.perf_counter()
    for i in range(0, x.shape[0], BATCH):
        logits = model(x[i : i + BATCH])
        loss = F.cross_entropy(logits, y[i : i + BATCH])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return (time.perf_counter() - t0) / steps


def measure(model_name: str, settings: MCNCSettings, x, y, repeats: int) -> dict[str, float]:
    torch.manual_seed(0)
    plain = models.build(model_name, SHAPE, CLASSES)
    base = models.build(model_name, SHAPE, CLASSES)
    wrapped = MCNCModule(base, settings, generator_seed=1, alpha_seed=2)
    epoch_seconds(plain, x, y), epoch_seconds(wrapped, x, y)  # warm-up
    times: dict[str, list[float]] = {"plain": [], "mcnc": []}
    for _ in range(repeats):
        times["plain"].append(epoch_seconds(plain, x, y))
        times["mcnc"].append(epoch_seconds(wrapped, x, y))
    t0 = time.perf_counter()
    wrapped.materialise()
    export = time.perf_counter() - t0
    plain_s, mcnc_s = (statistics.median(times[k]) for k in ("plain", "mcnc"))
    return {
        "parameters": wrapped.layout.num_parameters,
        "chunks": wrapped.layout.num_chunks,
        "plain_ms": 1e3 * plain_s,
        "mcnc_ms": 1e3 * mcnc_s,
        "ratio": mcnc_s / plain_s,
        "export_ms": 1e3 * export,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["mlp_w256_d3", "lenet300"])
    parser.add_argument("--dk", nargs="+", default=["100:9", "1000:9"], help="d:k pairs")
    parser.add_argument("--widths", nargs="+", type=int, default=[64, 128], help="generator widths")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.rand((N, *SHAPE), generator=g)
    y = torch.randint(0, CLASSES, (N,), generator=g)
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{args.threads} thread(s); {N} samples, batch {BATCH}, median of {args.repeats} epochs"
    )
    header = (
        f"{'model':<12} {'d':>5} {'k':>3} {'width':>5} {'params':>7} {'chunks':>6} "
        f"{'plain ms/step':>13} {'MCNC ms/step':>12} {'ratio':>6} {'export ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for model_name in args.models:
        for dk in args.dk:
            d, k = (int(v) for v in dk.split(":"))
            for width in args.widths:
                settings = MCNCSettings(d=d, k=k, generator_width=width)
                r = measure(model_name, settings, x, y, args.repeats)
                print(
                    f"{model_name:<12} {d:>5} {k:>3} {width:>5} {r['parameters']:>7} {r['chunks']:>6} "
                    f"{r['plain_ms']:>13.2f} {r['mcnc_ms']:>12.2f} {r['ratio']:>6.2f} {r['export_ms']:>9.1f}"
                )


if __name__ == "__main__":
    main()
