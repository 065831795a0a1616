"""PMMP, probabilistic minimax pruning (Barth & von Petersenn), as one trainer hook with one optimizer.

Every prunable parameter θᵢ gets a keep-probability πᵢ ∈ [0, 1] and a magnitude wᵢ; with z ~ Bern(π) the
ℓ0 objective L(θ) + α·‖θ‖₀ becomes, without Monte-Carlo sampling,

    L(θ) + α·Σπᵢ + u·Σ[(θᵢ − wᵢπᵢ)² + wᵢ²πᵢ(1 − πᵢ)],   the bracket = E_z‖θ − w⊙z‖² (:func:`pmmp_constraint`),

minimised over θ, w, π and *maximised* over the Lagrange multiplier u (π₀ = 1, w₀ = θ₀, u₀ = 0, as in
their code). Their code keeps one u per parameter (``multiplier="per_weight"``); ``"scalar"`` is the
single-multiplier form of the facts file. They coincide when all uᵢ are equal.

How the min–max fits shrinkflow's trainer (one optimizer over ``model.parameters()``, no post-step call):

* **one optimizer, ascent on u**: the PMMP term is one autograd function (:class:`_PMMPTerm`) that returns
  u's gradient negated, so the optimizer's descent step on u is an ascent step on the objective, while θ,
  w and π receive their ordinary gradients from the same backward pass: one forward, one backward;
* **projection of π**: π is clamped to [0, 1] in place at the start of the next ``loss_term`` (and at each
  epoch end and at export). Nothing reads π between an optimizer step and that point (the forward pass uses
  θ only), so this is exactly "project after each step". π that is not finite after projection (NaN) stops
  the run naming the epoch and step (tested through the objective, one scalar, each step);
* **weight decay** would also pull u and π towards 0: PMMP refuses ``weight_decay > 0`` (use ``rho``).

All terms are divided by N (training samples): α, ρ are on the summed-loss scale (see ``L0Settings``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..train_hook import TrainHook
from .penalties import prunable_names


def pmmp_constraint(theta: torch.Tensor, w: torch.Tensor, pi: torch.Tensor) -> torch.Tensor:
    """Elementwise E_{z~Bern(π)}(θ − w·z)² = (θ − wπ)² + w²π(1 − π)."""
    return (theta - w * pi).square() + w.square() * pi * (1.0 - pi)


class _PMMPTerm(torch.autograd.Function):
    """s·[α·Σπ + ρ·Σθ² + f·Σ u⊙C] for one tensor, C = (θ − wπ)² + w²π(1 − π), with hand-written gradients
    and u's gradient negated (so the optimizer's descent on u is ascent on the objective).

    With q = w(w − 2θ) the algebra collapses to C = θ² + πq and the gradients (their code's
    ``PMMP_*_modification``, simplified) to ∂θ = 2fu(θ − wπ) + 2ρθ, ∂w = 2fuπ(w − θ), ∂π = α + fuq,
    ∂u = −fC: about 17 elementwise passes instead of an autograd graph of ~30, PMMP's step cost.
    """

    @staticmethod
    def forward(ctx: Any, theta: torch.Tensor, w: torch.Tensor, pi: torch.Tensor, u: torch.Tensor,
                alpha: float, rho: float, factor: float, scale: float) -> torch.Tensor:  # fmt: skip
        fu = u * (factor * scale)  # u's weight in every gradient, the scale 1/N folded in
        q = w * torch.sub(w, theta, alpha=2.0)
        theta2 = theta.square()
        c = torch.addcmul(theta2, pi, q)
        value = alpha * scale * pi.sum() + (
            torch.dot(fu.reshape(-1), c.reshape(-1)) if u.dim() else fu * c.sum()
        )
        g_pi = (fu * q).add_(alpha * scale)
        g_w = torch.sub(w, theta).mul_(pi).mul_(fu).mul_(2.0)
        g_theta = torch.addcmul(theta, w, pi, value=-1.0).mul_(fu).mul_(2.0)
        if rho:
            value = value + rho * scale * theta2.sum()
            g_theta.add_(theta, alpha=2.0 * rho * scale)
        g_u = c.mul_(-factor * scale) if u.dim() else -factor * scale * c.sum()
        ctx.save_for_backward(g_theta, g_w, g_pi, g_u)
        return value

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grads = ctx.saved_tensors
        if grad.device.type != "cpu" or float(grad) != 1.0:  # the trainer's backward passes exactly 1
            grads = tuple(g * grad for g in grads)
        return (*grads, None, None, None, None)


class PMMPModel(nn.Module):
    """The network θ (``net``, what the forward pass uses) and PMMP's w, π, u per prunable parameter."""

    def __init__(self, net: nn.Module, names: list[str], multiplier: str = "per_weight") -> None:
        super().__init__()
        self.net = net
        self.names = list(names)
        thetas = [net.get_parameter(n) for n in self.names]
        self.w = nn.ParameterList([nn.Parameter(t.detach().clone()) for t in thetas])
        self.pi = nn.ParameterList([nn.Parameter(torch.ones_like(t)) for t in thetas])
        shape = (lambda t: t.shape) if multiplier == "per_weight" else (lambda t: ())
        self.u = nn.ParameterList([nn.Parameter(torch.zeros(shape(t), device=t.device)) for t in thetas])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def thetas(self) -> list[torch.Tensor]:
        return [self.net.get_parameter(n) for n in self.names]


class PMMPError(RuntimeError):
    """π is not finite after projection (a numerical failure); names the epoch and step."""


class PMMPHook(TrainHook):
    """Train a registry model with PMMP (module docstring); ``export_model`` returns the network θ."""

    def __init__(
        self, alpha: float, rho: float = 0.0, u_factor: float = 1.0, multiplier: str = "per_weight",
        include_biases: bool = True, weight_decay: float = 0.0,
    ) -> None:  # fmt: skip
        if weight_decay > 0:
            raise ValueError(
                f"PMMP cannot train with weight_decay = {weight_decay!r}: π, w and u share the trainer's "
                "optimizer and decay would pull u and π to 0; set train.weight_decay to 0 (ℓ2: rho)"
            )
        if multiplier not in ("per_weight", "scalar"):
            raise ValueError(f"PMMP multiplier {multiplier!r} is unknown; allowed: ['per_weight', 'scalar']")
        self.alpha, self.rho, self.u_factor = float(alpha), float(rho), float(u_factor)
        self.multiplier = multiplier
        self.include_biases = include_biases
        self.scale = 1.0
        self.step = 0
        self.epoch = 0
        self.model: PMMPModel | None = None

    def wrap_model(self, model: nn.Module) -> nn.Module:
        self.model = PMMPModel(model, prunable_names(model, self.include_biases), self.multiplier)
        return self.model

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        self.scale = 1.0 / int(x_train.shape[0])

    @torch.no_grad()
    def project(self) -> None:
        """π ← clip(π, 0, 1) in place."""
        for p in self.model.pi:
            p.clamp_(0.0, 1.0)

    def _check(self, where: str) -> None:
        """Raise :class:`PMMPError` when a projected π is not finite (NaN survives the clip)."""
        with torch.no_grad():
            if not all(bool(torch.isfinite(p).all()) for p in self.model.pi):
                raise PMMPError(
                    f"PMMP: a keep-probability π is not finite after projection at {where}; "
                    "lower train.lr or alpha"
                )

    def objective(self, scale: float = 1.0) -> torch.Tensor:
        """scale·[α·Σπ + ρ·Σθ² + u_factor·Σ u⊙E‖θ − w⊙z‖²] over every prunable tensor (u ascends)."""
        m = self.model
        terms = [
            _PMMPTerm.apply(theta, w, pi, u, self.alpha, self.rho, self.u_factor, scale)
            for theta, w, pi, u in zip(m.thetas(), m.w, m.pi, m.u, strict=True)
        ]
        return torch.stack(terms).sum()

    def loss_term(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor, index: torch.Tensor,
        epoch: int,
    ) -> torch.Tensor:  # fmt: skip
        if epoch != self.epoch:
            self.epoch, self.step = epoch, 0
        self.project()  # the previous optimizer step's projection (nothing read π since)
        value = self.objective(self.scale)
        # π ∈ [0, 1] after the clip, so the objective is finite unless π (or θ, w, u) is NaN: one scalar test
        if not torch.isfinite(value.detach()):
            self._check(f"epoch {self.epoch}, step {self.step}")  # 0-based step, as the trainer counts
        self.step += 1
        return value

    @torch.no_grad()
    def state(self) -> dict[str, float]:
        """π, u and constraint statistics over every prunable parameter."""
        m = self.model
        n = sum(p.numel() for p in m.pi)
        pis = torch.cat([p.reshape(-1) for p in m.pi])
        us = torch.cat([u.reshape(-1) for u in m.u])
        c = sum(float(pmmp_constraint(t, w, p).sum()) for t, w, p in zip(m.thetas(), m.w, m.pi, strict=True))
        return {
            "pmmp_pi_mean": float(pis.mean()),
            "pmmp_pi_zero_fraction": int((pis == 0).sum()) / n,
            "pmmp_u_mean": float(us.mean()),
            "pmmp_constraint": c,
        }

    def end_epoch(self, epoch: int) -> dict[str, float]:
        self.project()
        self._check(f"the end of epoch {epoch}")
        return self.state()

    def final_metrics(self) -> dict[str, Any]:
        return {f"{k}_final": v for k, v in self.state().items()}

    def export_model(self, model: nn.Module) -> nn.Module:
        self.project()
        return model.net if isinstance(model, PMMPModel) else model
