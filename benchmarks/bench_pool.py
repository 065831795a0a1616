"""Max-pooling in the 1-D CNN: ``PairMaxPool1d`` (larger of each pair) vs PyTorch's ``nn.MaxPool1d``.

Workload: ``cnn1d_paper`` on 784-value views (28 × 28 pixels), batch 128, one thread. Times, best of
``--repeat``:

  pool      forward + backward of the first pool layer alone (128 × 16 × 784 ReLU outputs);
  step      one SGD training step of the whole model (forward, backward, update);
  eval      the whole model's forward pass on 1,024 images under ``torch.inference_mode`` (the pool then
            uses PyTorch's kernel: the ratio should be ~1);

each with the model's ``PairMaxPool1d`` and with the same model where both pools are ``nn.MaxPool1d(2,
ceil_mode=True)``, and their ratio (plain / pairs; above 1 = pairs faster). Both give the same bytes
(tests/test_models.py). The machine is shared: read the ratios, not the absolute times.
Example: ``python benchmarks/bench_pool.py --repeat 5``.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from torch import nn

from shrinkflow import models
from shrinkflow.models.base import PairMaxPool1d


def best_of_pair(repeat: int, loops: int, fast, plain) -> tuple[float, float]:
    """Best mean seconds per call of ``fast`` and of ``plain`` over ``repeat`` rounds of ``loops`` calls each,
    the two alternating round by round (so a busy spell of the machine hits both); one warm-up call each."""
    fast(), plain()
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((fast, plain)):
            t0 = time.perf_counter()
            for _ in range(loops):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / loops)
    return best[0], best[1]


def with_plain_pools(model: nn.Module) -> nn.Module:
    plain = copy.deepcopy(model)
    for i, module in enumerate(plain.body):
        if isinstance(module, PairMaxPool1d):
            plain.body[i] = nn.MaxPool1d(2, ceil_mode=True)
    return plain


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loops", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    x_pool = torch.relu(torch.randn(args.batch, 16, 784))

    def pool_step(pool: nn.Module):
        def step():
            x = x_pool.clone().requires_grad_()
            pool(x).sum().backward()

        return step

    model = models.build("cnn1d_paper", (28, 28, 1), 10)
    x, y = torch.rand(args.batch, 28, 28, 1), torch.randint(0, 10, (args.batch,))

    def train_step(net: nn.Module):
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

        return step

    x_eval = torch.rand(1024, 28, 28, 1)

    def evaluate(net: nn.Module):
        def step():
            with torch.inference_mode():
                net(x_eval)

        return step

    rows = {
        "pool": best_of_pair(
            args.repeat, args.loops, pool_step(PairMaxPool1d()), pool_step(nn.MaxPool1d(2, ceil_mode=True))
        ),
        "step": best_of_pair(args.repeat, args.loops, train_step(model), train_step(with_plain_pools(model))),
        "eval": best_of_pair(args.repeat, args.loops, evaluate(model), evaluate(with_plain_pools(model))),
    }
    print(f"{'workload':<10}{'pairs ms':>10}{'MaxPool1d ms':>14}{'ratio':>8}")
    for name, (fast, plain) in rows.items():
        print(f"{name:<10}{fast * 1e3:>10.2f}{plain * 1e3:>14.2f}{plain / fast:>8.2f}")


if __name__ == "__main__":
    main()
