"""SIREN as COIN uses it, in batched functional form, and the per-image fitting loop of the neural codecs.

The network (Sitzmann et al. 2020, COIN's ``siren.py``; reference-facts.md): coordinates (row, column)
scaled to [−1, 1] → L sine layers sin(ω0·(Wx + b)) of width W, ω0 = 30 → a linear layer to RGB. Init:
first layer weights and biases U(−1/2, 1/2) (1/fan_in), every later layer U(−√(6/fan_in)/ω0, +…).

Parameters are lists of tensors whose first axis is the image: B images of one size fit as one network
(batched matrix products), so a GPU or a many-core CPU fits several images in one pass. Adam acts
elementwise, so a batch's fits are the per-image fits (the loss is the sum of per-image MSEs).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .. import optim
from .spec import Architecture

W0 = 30.0


class FitError(RuntimeError):
    """A fit that cannot go on (a non-finite loss); the message names the iteration."""


def coordinates(height: int, width: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """(H·W) × 2 float32 (row, column) coordinates in [−1, 1], row-major pixel order (COIN's grid)."""
    rows = torch.linspace(-1.0, 1.0, height, device=device)
    cols = torch.linspace(-1.0, 1.0, width, device=device)
    return torch.cartesian_prod(rows, cols)


def init_parameters(arch: Architecture, seed: int, batch: int = 1) -> list[torch.Tensor]:
    """COIN's initialisation as [weight0, bias0, weight1, …] with a leading batch axis (every image the
    same draw from ``seed``), float32 on CPU; drawn in float64 from a CPU generator (device-independent)."""
    g = torch.Generator().manual_seed(int(seed))
    out = []
    for i, (fan_out, fan_in) in enumerate(arch.layer_shapes()):
        bound = 1.0 / fan_in if i == 0 else math.sqrt(6.0 / fan_in) / W0
        for shape in ((fan_out, fan_in), (fan_out,)):
            value = ((torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * bound).float()
            out.append(value.expand(batch, *shape).clone())
    return out


def forward(params: Sequence[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
    """B × N × 3 outputs of B SIRENs (``params`` as :func:`init_parameters`) at N × 2 coordinates."""
    batch = params[0].shape[0]
    h = coords.expand(batch, *coords.shape)
    last = len(params) // 2 - 1
    for i in range(last + 1):
        weight, bias = params[2 * i], params[2 * i + 1]
        z = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
        h = torch.sin(W0 * z) if i < last else z
    return h


def psnr_of(pred: torch.Tensor, target255: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR (B) of [0, 1] outputs clamped and rounded to 8 bits, as COIN measures it."""
    levels = torch.round(pred.clamp(0.0, 1.0) * 255.0)
    mse = (levels - target255).square().mean(dim=tuple(range(1, pred.dim())))
    return 10.0 * torch.log10(255.0**2 / mse.clamp_min(1e-12))


@dataclass
class FitResult:
    """The kept values of the trainable tensors (batch first) and how the fit went, per image."""

    state: list[torch.Tensor]
    best_psnr: np.ndarray  # the tracked PSNR of the kept state (dB)
    best_iteration: np.ndarray  # 0-based iteration whose parameters were kept
    iterations: int
    seconds: float


def fit(
    trainable: Sequence[torch.Tensor],
    predict: Callable[[], torch.Tensor],
    target: torch.Tensor,
    iterations: int,
    lr: float,
    *,
    keep_best: bool = True,
    evaluate: Callable[[], torch.Tensor] | None = None,
    eval_every: int = 1,
    schedule: Callable[[int], None] | None = None,
    keep_from: int | None = None,
) -> FitResult:
    """Adam on ``trainable`` minimising each image's MSE between ``predict()`` (B × N × 3) and ``target``.

    COIN's rule (``training.py``): keep the parameters with the best PSNR among the second half of the
    iterations (0-based i ≥ ⌊n/2⌋, or ``keep_from``). Here the kept parameters are exactly those the PSNR
    was measured on (before that iteration's step). The PSNR is that of the training forward, or of
    ``evaluate()`` (e.g. the hard-quantized network) every ``eval_every`` iterations. ``schedule(i)`` runs
    before iteration i.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be ≥ 1, got {iterations}")
    trainable = list(trainable)
    target255 = torch.round(target * 255.0)
    # fused Adam: one kernel per step instead of a dozen per tensor (same update rule)
    optimizer = optim.Adam(trainable, lr=lr, fused=True)
    batch = target.shape[0]
    best_state = [t.detach().clone() for t in trainable]
    best_psnr = torch.full((batch,), -math.inf, device=target.device)
    best_iteration = torch.full((batch,), -1, dtype=torch.long, device=target.device)
    half = iterations // 2 if keep_from is None else min(max(int(keep_from), 0), iterations - 1)
    start = time.perf_counter()
    for i in range(iterations):
        if schedule is not None:
            schedule(i)
        optimizer.zero_grad(set_to_none=True)
        pred = predict()
        loss = (pred - target).square().mean(dim=(1, 2)).sum()
        if not torch.isfinite(loss):
            raise FitError(f"the loss is {loss.item()} at iteration {i} of {iterations} (lr {lr})")
        loss.backward()
        if keep_best and i >= half and (i - half) % eval_every == 0:
            with torch.no_grad():
                psnr = psnr_of(pred.detach(), target255) if evaluate is None else evaluate()
                better = psnr > best_psnr
                if bool(better.any()):
                    for kept, value in zip(best_state, trainable, strict=True):
                        kept[better] = value.detach()[better]
                    best_psnr = torch.where(better, psnr, best_psnr)
                    best_iteration[better] = i
        optimizer.step()
    if not keep_best:
        best_state = [t.detach().clone() for t in trainable]
        best_iteration[:] = iterations
        with torch.no_grad():
            best_psnr = psnr_of(predict(), target255) if evaluate is None else evaluate()
    return FitResult(
        best_state,
        best_psnr.cpu().numpy().astype(float),
        best_iteration.cpu().numpy(),
        iterations,
        time.perf_counter() - start,
    )


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run with ``threads`` intra-op threads (restored afterwards). On a shared 2-core machine a second
    thread made a 64×64 fit 30–70× slower (spinning threads), so the codecs default to one."""
    saved = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def image_tensor(images: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    """uint8 B×H×W×3 → float32 B × (H·W) × 3 in [0, 1] on ``device`` (row-major, as :func:`coordinates`)."""
    b, h, w, c = images.shape
    return torch.from_numpy(images.reshape(b, h * w, c)).to(device=device, dtype=torch.float32) / 255.0


@torch.no_grad()
def render(
    params: Sequence[torch.Tensor], height: int, width: int, rows_per_chunk: int = 65536
) -> np.ndarray:
    """uint8 H×W×3 image of one SIREN (batch of 1): the output clamped to [0, 1] and rounded to 8 bits."""
    coords = coordinates(height, width, params[0].device)
    out = torch.cat([forward(params, part)[0] for part in torch.split(coords, rows_per_chunk)])
    levels = torch.round(out.clamp(0.0, 1.0) * 255.0).to(torch.uint8)
    return levels.view(height, width, 3).cpu().numpy()
