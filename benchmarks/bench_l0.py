"""Training-step cost of the ℓ0 methods relative to plain training, same network, same run.

Workload: ``lenet300`` on the 4,000 mnist5k training digits (pixels / 255), Adam lr 1e-3, batch 100,
weight decay 0, one torch thread. Each method trains through :func:`shrinkflow.training.train` with its
training-phase hook (:func:`shrinkflow.l0.procedure.make_hook`): plain (no hook), ℓ2, R-L1, DRR, PMMP, and
the masked fine-tuning hook (parametrization) that every pruning method ends with. Rounds interleave the
methods so that load on the shared machine hits all of them alike; the step time of a method is the median
over rounds of its epoch's training seconds / steps (evaluation excluded). The one-off pruning steps
(TAMADE's search on the training set, RGP's backward pass) are timed once on the plainly trained model.

Example: ``python benchmarks/bench_l0.py --rounds 5 --epochs 1``. The machine is shared: treat ±30%.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np
import torch

from shrinkflow import datasets
from shrinkflow.l0 import L0Settings
from shrinkflow.l0.penalties import prunable_names
from shrinkflow.l0.procedure import make_hook
from shrinkflow.l0.pruning import MaskedFinetuneHook, random_gradient_masks, tamade
from shrinkflow.train_hook import TrainHook
from shrinkflow.train_utils import evaluate
from shrinkflow.training import TrainConfig, train

METHODS = ("plain", "l2", "rl1", "drr", "pmmp", "masked_finetune")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1, help="epochs per method per round")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # the pruning timings too (the trainer restores the count it found)

    arrays, _ = datasets.get("mnist5k").prepare()
    scale = np.float32(1 / 255)
    data = (arrays["x_train"].astype(np.float32) * scale, arrays["y_train"],
            arrays["x_test"].astype(np.float32) * scale, arrays["y_test"])  # fmt: skip
    n = data[0].shape[0]
    steps = -(-n // args.batch_size)
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=1e-3, optimizer="adam", weight_decay=0.0,
        schedule="constant", progress=False, threads=args.threads,
    )  # fmt: skip
    settings = L0Settings(alpha=1.0, beta=5.0, rho=1e-3)
    base = train("lenet300", *data, 10, config, seed=0)  # also the model pruned for the masked hook
    masks = {k: v.abs() > 0.01 for k, v in base.model.state_dict().items() if k in prunable_names(base.model)}

    def hook_for(method: str) -> TrainHook:
        if method == "plain":
            return TrainHook()
        if method == "masked_finetune":
            return MaskedFinetuneHook(base.model, masks)
        return make_hook(method, settings)

    times: dict[str, list[float]] = {m: [] for m in METHODS}
    for _ in range(args.rounds):
        for method in METHODS:
            result = train("lenet300", *data, 10, config, seed=0, hook=hook_for(method))
            times[method].append(float(result.history["epoch_seconds"].median()) / steps)
    step = {m: statistics.median(v) for m, v in times.items()}

    model = base.model
    xt, yt = torch.from_numpy(data[0]), torch.from_numpy(data[1]).long()
    names = prunable_names(model)
    t0 = time.perf_counter()
    found = tamade(model, lambda m: evaluate(m, xt, yt, 1024)[0], names)
    tamade_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    random_gradient_masks(model, names, (28, 28, 1), 500, 0)
    rgp_seconds = time.perf_counter() - t0

    print(
        f"lenet300, {n} mnist5k digits, batch {args.batch_size}, {args.threads} thread(s), {args.rounds} "
        f"rounds × {args.epochs} epoch(s); torch {torch.__version__}, {platform.machine()}"
    )
    print(f"{'method':<16}{'ms/step':>10}{'× plain':>10}{'min–max ms':>16}")
    for m in METHODS:
        lo, hi = min(times[m]) * 1e3, max(times[m]) * 1e3
        print(f"{m:<16}{step[m] * 1e3:>10.2f}{step[m] / step['plain']:>10.2f}{f'{lo:.2f}–{hi:.2f}':>16}")
    print(
        f"TAMADE search on {n} training digits: {tamade_seconds:.2f} s ({found.steps} loss evaluations, "
        f"threshold {found.threshold:.3g}); RGP (500 random inputs): {rgp_seconds * 1e3:.1f} ms"
    )
    if args.json:
        ratios = {m: step[m] / step["plain"] for m in METHODS}
        summary = {"step_seconds": step, "ratio_to_plain": ratios, "tamade_seconds": tamade_seconds,
                   "rgp_seconds": rgp_seconds}  # fmt: skip
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
