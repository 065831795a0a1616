"""MCNC's frozen generator φ: R^k → S^{d−1} and the layout of a model's parameters as chunks of d values.

φ is an MLP with sinusoidal activations (SIREN's form and initialisation, Sitzmann et al. 2020) whose raw
output is divided by its ℓ2 norm: the published MCNC text (Thrash et al., arXiv 2406.19301) says φ maps onto
the sphere but not how; normalising is our choice. All chunks share φ: their α form one n × k matrix that
goes through φ as one matmul chain.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


class SineGenerator(nn.Module):
    """φ(α) = normalise(W_out · sin(W_L … sin(W_1 α + b_1) … + b_L)), frozen; rows of α in, unit rows out.

    The weights are buffers drawn from ``seed`` alone on CPU (same seed → same φ) with ω0 folded in:
    sin(ω0·(Wx + b)) is stored as sin(W'x + b') with W' = ω0·W, b' = ω0·b. ``depth`` counts the sine layers.
    """

    def __init__(self, k: int, d: int, width: int, depth: int, frequency: float, seed: int) -> None:
        super().__init__()
        self.k, self.d, self.width, self.depth, self.frequency = k, d, width, depth, float(frequency)
        g = torch.Generator().manual_seed(int(seed))

        def uniform(shape: tuple[int, ...], bound: float) -> torch.Tensor:
            return (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * bound

        fan_in = k
        for i in range(depth):
            w_bound = 1 / k if i == 0 else math.sqrt(6 / width) / self.frequency
            weight = uniform((width, fan_in), w_bound)
            bias = uniform((width,), 1 / math.sqrt(fan_in))
            # fold ω0 in float64 and round once, so the stored weights do not depend on evaluation order
            self.register_buffer(f"weight{i}", (self.frequency * weight).float())
            self.register_buffer(f"bias{i}", (self.frequency * bias).float())
            fan_in = width
        out = torch.randn((d, width), generator=g, dtype=torch.float64) / math.sqrt(width)
        self.register_buffer("weight_out", out.float())

    def layers(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for i in range(self.depth):
            yield getattr(self, f"weight{i}"), getattr(self, f"bias{i}")

    def raw(self, alpha: torch.Tensor) -> torch.Tensor:
        """n × k manifold coordinates → n × d directions before normalisation (in ``alpha``'s dtype)."""
        h = alpha
        for weight, bias in self.layers():
            h = torch.sin(torch.addmm(bias.to(h.dtype), h, weight.to(h.dtype).t()))
        return h @ self.weight_out.to(h.dtype).t()

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        """n × k manifold coordinates → n × d unit vectors φ(α) (in ``alpha``'s dtype)."""
        return F.normalize(self.raw(alpha), dim=1)


@dataclass(frozen=True)
class ChunkLayout:
    """Where each parameter of a model sits in the flat vector of P values and its n chunks of d."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    d: int

    @classmethod
    def of(cls, model: nn.Module, d: int) -> ChunkLayout:
        """Every parameter of ``model`` in state_dict order (weights and biases; buffers are not included)."""
        params = dict(model.named_parameters())
        names = tuple(name for name in model.state_dict() if name in params)
        return cls(names, tuple(tuple(params[n].shape) for n in names), int(d))

    @property
    def sizes(self) -> list[int]:
        return [math.prod(s) for s in self.shapes]

    @property
    def num_parameters(self) -> int:
        """P, the parameters MCNC covers."""
        return sum(self.sizes)

    @property
    def num_chunks(self) -> int:
        return -(-self.num_parameters // self.d)

    @property
    def padding(self) -> int:
        """Zeros appended to the last chunk (n·d − P); their generated values are discarded."""
        return self.num_chunks * self.d - self.num_parameters

    def flatten(self, model: nn.Module) -> torch.Tensor:
        """The P parameter values of ``model`` as one detached vector (this layout's order)."""
        params = dict(model.named_parameters())
        return torch.cat([params[n].detach().reshape(-1) for n in self.names])

    def chunks(self, model: nn.Module) -> torch.Tensor:
        """The parameters of ``model`` as n × d chunks, the last one zero-padded."""
        return torch.nn.functional.pad(self.flatten(model), (0, self.padding)).view(self.num_chunks, self.d)

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{name: tensor}`` views of the first P values of ``flat`` (P or n·d values; padding dropped)."""
        sizes = self.sizes + (
            [flat.numel() - self.num_parameters] if flat.numel() > self.num_parameters else []
        )
        pieces = torch.split(flat, sizes)
        return {n: p.view(s) for n, p, s in zip(self.names, pieces, self.shapes, strict=False)}


class _ScaledAdd(torch.autograd.Function):
    """θ0 + (β/‖o‖)·o per chunk row, with a hand-written backward: five passes over the n × d values
    instead of the dozen of autograd's normalise-multiply-add chain (the MCNC step's main cost on CPU)."""

    @staticmethod
    def forward(ctx, theta0: torch.Tensor, raw: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        inv_norm = torch.linalg.vector_norm(raw, dim=1).reciprocal()
        ctx.save_for_backward(raw, beta, inv_norm)
        return torch.addcmul(theta0, raw, (beta * inv_norm).unsqueeze(1))

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: ANN001, ANN205
        raw, beta, inv_norm = ctx.saved_tensors
        dot = torch.linalg.vecdot(grad, raw, dim=1)  # Σ_j g_ij·o_ij per row (bmm is slower for long rows)
        grad_beta = dot * inv_norm
        # d/do of β·o/‖o‖ applied to g: (β/‖o‖)·g − (β·(g·o)/‖o‖³)·o
        grad_raw = torch.addcmul(
            grad * (beta * inv_norm).unsqueeze(1), raw, (-beta * dot * inv_norm**3).unsqueeze(1)
        )
        return None, grad_raw, grad_beta


def chunk_weights(
    theta0: torch.Tensor, generator: SineGenerator, alpha: torch.Tensor, beta: torch.Tensor
) -> torch.Tensor:
    """θ = θ0 + β·φ(α) for every chunk as one n·d vector; ``theta0`` is n × d (the padding zero-filled)."""
    return _ScaledAdd.apply(theta0, generator.raw(alpha), beta).view(-1)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


@torch.no_grad()
def exact_weights(
    theta0: torch.Tensor, generator: SineGenerator, alpha: torch.Tensor, beta: torch.Tensor
) -> torch.Tensor:
    """θ = θ0 + β·φ(α) on CPU in float64 on one thread, rounded once to float32; ``theta0`` is n × d.

    The export and the payload decoder share this function, so a decoded model equals the exported one bit
    for bit (on CPUs of the same kind; float64 with one rounding makes even that dependence unlikely to
    show). ``generator`` is moved to the CPU if it is not there.
    """
    with _one_thread():
        theta0, alpha, beta = (t.detach().cpu().double() for t in (theta0, alpha, beta))
        return chunk_weights(theta0, generator.cpu(), alpha, beta).float()
