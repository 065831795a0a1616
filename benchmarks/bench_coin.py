"""COIN fitting speed: seconds per 1,000 iterations per image, on CPU (and CUDA when present).

Workload: one 64×64 crop (scikit-image's astronaut, downscaled), the whole coordinate grid as one tensor,
Adam lr 2e-4, COIN's step (forward, MSE, backward, step) plus the best-PSNR bookkeeping of the second half,
i.e. :func:`shrinkflow.rd.siren.fit`. Rows, for each architecture:

* ``functional``: the library's batched functional SIREN (``baddbmm`` + sin), one image;
* ``module``: the plain-library loop for comparison: an ``nn.Sequential`` of ``nn.Linear`` + sine (COIN's
  own form) with ``torch.optim.Adam`` defaults, one image, no bookkeeping;
* ``batched xB``: B images fitted as one batched network, seconds per 1,000 iterations *per image*;
* ``one at a time xB``: the same B images fitted one after the other (per image).

The per-pixel alternative (one coordinate per forward) is not measured: it is thousands of times slower
by construction. Medians of ``--repeats``; the machine is shared, treat numbers as ±30%.
Example: ``python benchmarks/bench_coin.py --threads 1 --iterations 200``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

from shrinkflow.rd.images import load_skimage_photos
from shrinkflow.rd.siren import W0, coordinates, fit, forward, image_tensor, init_parameters
from shrinkflow.rd.spec import Architecture


class Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(W0 * x)


def module_siren(arch: Architecture) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (fan_out, fan_in) in enumerate(arch.layer_shapes()):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < arch.layers:
            layers.append(Sine())
    return nn.Sequential(*layers)


def module_seconds(arch: Architecture, image: np.ndarray, iterations: int, device: str) -> float:
    model = module_siren(arch).to(device)
    coords = coordinates(*image.shape[:2], device)
    target = image_tensor(image[None], device)[0]
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    start = time.perf_counter()
    for _ in range(iterations):
        optimizer.zero_grad()
        loss = (model(coords) - target).square().mean()
        loss.backward()
        optimizer.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def functional_seconds(arch: Architecture, images: np.ndarray, iterations: int, device: str) -> float:
    coords = coordinates(*images.shape[1:3], device)
    target = image_tensor(images, device)
    weights = [p.to(device).requires_grad_(True) for p in init_parameters(arch, 0, len(images))]
    result = fit(weights, lambda: forward(weights, coords), target, iterations, 2e-4)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return result.seconds


def seconds_per_image(
    form: str, arch: Architecture, images: np.ndarray, iterations: int, device: str
) -> float:
    """Seconds of ``iterations`` per image for one row of the table."""
    if form == "functional":
        return functional_seconds(arch, images[:1], iterations, device)
    if form == "module":
        return module_seconds(arch, images[0], iterations, device)
    if form == "batched":
        return functional_seconds(arch, images, iterations, device) / len(images)
    return sum(
        functional_seconds(arch, images[i : i + 1], iterations, device) for i in range(len(images))
    ) / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--architectures", nargs="+", default=["5x20", "10x28"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    photos = load_skimage_photos(args.size)
    images = np.resize(photos.images, (args.batch, *photos.images.shape[1:]))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    machine = platform.processor() or platform.machine()
    print(f"# torch {torch.__version__}, {machine}, threads {args.threads}, {args.size}×{args.size}, "
          f"{args.iterations} iterations, median of {args.repeats}")  # fmt: skip
    print(f"{'device':6} {'arch':6} {'form':22} {'s / 1000 it / image':>20}")
    forms = {"functional": "functional", "module": "module", "batched": f"batched x{args.batch}",
             "sequential": f"one at a time x{args.batch}"}  # fmt: skip
    for device in devices:
        for name in args.architectures:
            arch = Architecture(*map(int, name.split("x")))
            for form, label in forms.items():
                runs = [
                    seconds_per_image(form, arch, images, args.iterations, device)
                    for _ in range(args.repeats)
                ]
                print(
                    f"{device:6} {name:6} {label:22} {statistics.median(runs) * 1000 / args.iterations:20.2f}"
                )


if __name__ == "__main__":
    main()
