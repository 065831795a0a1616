"""MCNC as a :class:`~shrinkflow.train_hook.TrainHook`: ``wrap_model`` reparameterises a registry model so the
trainer optimises only α (n × k) and β (n); ``export_model`` gives the plain model with θ = θ0 + β·φ(α)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from .. import models
from ..train_hook import TrainHook
from ..train_utils import seed_streams
from . import MCNCError, MCNCSettings
from .generator import ChunkLayout, SineGenerator, chunk_weights, exact_weights

_SEED_TAG = 0x4D434E43  # "MCNC": the generator and α-init streams are independent of the trainer's two


def mcnc_seeds(seed: int) -> tuple[int, int]:
    """(generator seed, α-init seed), two 63-bit streams derived from the run's seed."""
    a, b = np.random.SeedSequence([int(seed), _SEED_TAG]).generate_state(2, dtype=np.uint64)
    return int(a) >> 1, int(b) >> 1


def initial_model(
    model_name: str, input_shape: tuple[int, ...], num_classes: int, init_seed: int
) -> nn.Module:
    """The registry model initialised from ``init_seed`` alone, as the trainer builds it (θ0's source)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        return models.build(model_name, input_shape, num_classes)


class MCNCModule(nn.Module):
    """The wrapped model's forward with its parameters replaced by θ = θ0 + β·φ(α) (``functional_call``).

    Trainable parameters: ``alpha`` (n × k) and ``beta`` (n). θ0 and φ are buffers. The wrapped model is
    kept outside the module tree (so its parameters are neither trained nor counted); ``train``/``eval``
    and device moves reach it through :meth:`train` and :meth:`_apply`. Its buffers (``Standardize``
    statistics, BatchNorm running statistics) are used and updated as usual.
    """

    def __init__(self, base: nn.Module, settings: MCNCSettings, generator_seed: int, alpha_seed: int) -> None:
        super().__init__()
        self.settings = settings
        self.layout = ChunkLayout.of(base, settings.d)
        device = next(base.parameters()).device
        self.register_buffer("theta0", self.layout.chunks(base))  # n × d, the padding zero
        s = settings
        self.generator = SineGenerator(
            s.k, s.d, s.generator_width, s.generator_depth, s.frequency, generator_seed
        )
        self.generator.to(device)
        g = torch.Generator().manual_seed(int(alpha_seed))
        n = self.layout.num_chunks
        half = s.alpha_init * s.bound
        alpha = (torch.rand((n, s.k), generator=g, dtype=torch.float64) * 2 - 1) * half
        self.alpha = nn.Parameter(alpha.float().to(device))
        self.beta = nn.Parameter(torch.full((n,), float(s.beta_init), device=device))
        for p in base.parameters():
            p.requires_grad_(False)
        object.__setattr__(self, "base", base)  # not a submodule: see the class docstring

    def train(self, mode: bool = True) -> MCNCModule:
        super().train(mode)
        self.base.train(mode)
        return self

    def _apply(self, fn, recurse: bool = True):  # noqa: ANN001 (torch's private signature)
        super()._apply(fn, recurse)
        self.base._apply(fn, recurse)
        return self

    def weights(self) -> dict[str, torch.Tensor]:
        """The wrapped model's parameters θ0 + β·φ(α) as differentiable tensors (training precision)."""
        return self.layout.unflatten(chunk_weights(self.theta0, self.generator, self.alpha, self.beta))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:  # projected gradient: α stays in [−L, L]^k (a no-op while inside)
            with torch.no_grad():
                self.alpha.clamp_(-self.settings.bound, self.settings.bound)
        return functional_call(self.base, self.weights(), (x,))

    def stored_values(self) -> tuple[torch.Tensor, torch.Tensor]:
        """α (clamped to the box) and β as the payload stores them (rounded to its dtype), float32, CPU."""
        dtype = torch.float16 if self.settings.dtype == "fp16" else torch.float32
        bound = self.settings.bound
        alpha = self.alpha.detach().cpu().clamp(-bound, bound).to(dtype).float()
        return alpha, self.beta.detach().cpu().to(dtype).float()

    def materialise(self) -> nn.Module:
        """A copy of the wrapped (registry) model carrying the stored α, β's weights, on CPU, eval mode."""
        alpha, beta = self.stored_values()
        flat = exact_weights(self.theta0, self.generator, alpha, beta)
        return with_weights(self.base, self.layout, flat)


def with_weights(model: nn.Module, layout: ChunkLayout, flat: torch.Tensor) -> nn.Module:
    """A CPU copy of ``model`` whose parameters are ``flat`` (trainable again; buffers copied), eval mode."""
    out = copy.deepcopy(model).cpu()
    params = dict(out.named_parameters())
    with torch.no_grad():
        for name, value in layout.unflatten(flat).items():
            params[name].copy_(value)
            params[name].requires_grad_(True)
    return out.eval()


class MCNCHook(TrainHook):
    """Train a registry model through MCNC (``train(..., hook=MCNCHook(settings, model_name=…, …))``).

    ``seed`` must be the run's seed: θ0 is the trainer's initialisation of the model, and the payload stores
    the seed that regenerates it (``wrap_model`` checks that regenerating gives exactly the model it got).
    The generator's seed is ``settings.generator_seed`` or derived from ``seed``. After training,
    ``export_model`` gives the plain model and :meth:`payload` what :func:`shrinkflow.mcnc.save` writes.
    """

    def __init__(self, settings: MCNCSettings, *, model_name: str, num_classes: int, seed: int) -> None:
        if not isinstance(settings, MCNCSettings):
            raise TypeError(f"settings must be an MCNCSettings, got {type(settings).__name__}")
        models.get(model_name)  # an unknown name fails here, before any training
        self.settings = settings
        self.model_name = model_name
        self.num_classes = int(num_classes)
        self.seed = int(seed)
        self.init_seed = seed_streams(self.seed)[0]
        derived, self.alpha_seed = mcnc_seeds(self.seed)
        self.generator_seed = derived if settings.generator_seed is None else int(settings.generator_seed)
        self.module: MCNCModule | None = None

    def wrap_model(self, model: nn.Module) -> nn.Module:
        reference = initial_model(self.model_name, model.input_shape, self.num_classes, self.init_seed)
        mine, theirs = dict(reference.named_parameters()), dict(model.named_parameters())
        if mine.keys() != theirs.keys() or not all(torch.equal(mine[n], theirs[n].cpu()) for n in mine):
            raise MCNCError(
                f"MCNCHook: the model to wrap is not {self.model_name!r} as initialised from seed "
                f"{self.seed}; "
                "pass the run's model name, class count and seed (θ0 must be regenerable from the seed)"
            )
        self.module = MCNCModule(model, self.settings, self.generator_seed, self.alpha_seed)
        return self.module

    def final_metrics(self) -> dict[str, Any]:
        from .payload import size_report  # payload imports this module

        settings = {f"mcnc_{k}": v for k, v in self.settings.as_dict().items() if k != "generator_seed"}
        return {**settings, **size_report(self.payload())}

    def export_model(self, model: nn.Module) -> nn.Module:
        return self._wrapped(model).materialise()

    def _wrapped(self, model: nn.Module | None = None) -> MCNCModule:
        module = self.module if model is None else model
        if not isinstance(module, MCNCModule):
            raise MCNCError("MCNCHook: no MCNC-wrapped model yet (train with this hook first)")
        return module

    def payload(self):  # -> payload.MCNCPayload (a late import: payload imports this module)
        """What the payload file stores for the trained model: α, β, settings, seeds and model identity."""
        from .payload import MCNCPayload

        module = self._wrapped()
        alpha, beta = module.stored_values()
        s = self.settings
        return MCNCPayload(
            model_name=self.model_name,
            input_shape=tuple(module.base.input_shape),
            num_classes=self.num_classes,
            d=s.d,
            k=s.k,
            generator_width=s.generator_width,
            generator_depth=s.generator_depth,
            frequency=s.frequency,
            dtype=s.dtype,
            init_seed=self.init_seed,
            generator_seed=self.generator_seed,
            alpha=alpha,
            beta=beta,
            buffers={
                k: v.detach().cpu()
                for k, v in module.base.state_dict().items()
                if k not in module.layout.names
            },
        )
