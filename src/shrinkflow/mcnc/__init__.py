"""MCNC, Manifold Constrained Network Compression (Thrash et al., arXiv 2406.19301), as a trainer hook.

Every parameter of a registry model (weights and biases, in state_dict order; buffers such as the
``Standardize`` statistics are not parameters) is flattened into one vector of P values and cut into
⌈P/d⌉ chunks of d; the last chunk is zero-padded to d and its padded values are discarded. Per chunk

    θ = θ0 + β·φ(α),   α ∈ [−L, L]^k,   β ∈ R,

with θ0 the model's initialisation (regenerated from the run's seed), φ: R^k → S^{d−1} one frozen,
randomly initialised MLP with sinusoidal activations shared by all chunks, and only α and β trained, so a
chunk of d values is stored as k + 1 numbers (compression ≈ d/(k+1)). The published text does not give the
generator's size or frequency, θ0, L or how φ reaches the sphere; shrinkflow's choices are the fields of
:class:`MCNCSettings` (φ's raw output is divided by its ℓ2 norm: our reading, see ``reference-facts.md``).

This module imports neither torch nor numpy, so a Snakefile can validate settings at parse time; the torch
code lives in submodules loaded on first use: :mod:`.generator` (φ and the chunk layout), :mod:`.hook`
(``MCNCHook``, the wrapping module) and :mod:`.payload` (``save``, ``load``, ``size_report``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..registry import lazy_attributes

DTYPES = ("fp32", "fp16")
MAX_GENERATOR_DEPTH = 8


class MCNCError(ValueError):
    """An MCNC setting out of range or a payload that does not decode; the message names what is allowed."""


@dataclass(frozen=True)
class MCNCSettings:
    """The MCNC knobs (config ``mcnc.*``); none of the defaults is published, they were chosen on mnist5k.

    Evidence (mlp_w128_d3, 4,000 training / 1,000 test digits, 10 epochs, Adam lr 0.03, d = 1000, k = 9,
    i.e. rate 100; mean test accuracy over seeds): one sine layer 90.4% (3 seeds) vs two 88.8% (3 seeds);
    width 128 +0.4 points over 64 (2 seeds) at twice the generator cost (bench_mcnc step ratio ~1.8 vs ~1.5);
    ω0 = 1 / 10 / 30 / 60: 83.0 / 87.2 / 88.6 / 90.0% (one seed, two layers), so ω0 ≥ 30; L = 0.3 / 1 / 3:
    86.2 / 88.6 / 89.6%; α init zeros / ±0.1L / ±L and β init 0 / 0.1 within ±0.5 points. MCNC needs Adam
    (lr 0.01–0.1): with SGD lr 0.01 (the trainer's default) it stays at chance, SGD lr 1.0 reaches 91.7% at
    rate 10 against Adam's 94.4%.

    * ``d``, ``k``: chunk size and manifold dimension (1 ≤ k < d); nominal compression d/(k+1).
    * ``generator_width``, ``generator_depth``: φ's hidden width and number of hidden sine layers; the
      output layer is linear (no bias) and its output is ℓ2-normalised onto S^{d−1}.
    * ``frequency``: ω0 of the sine layers, sin(ω0·(Wx + b)), with SIREN's initialisation (Sitzmann et al.
      2020): first layer W ~ U(−1/k, 1/k), hidden layers W ~ U(−√(6/h)/ω0, √(6/h)/ω0), biases
      U(−1/√fan_in, 1/√fan_in); output weights N(0, 1/h).
    * ``bound``: L; α is projected onto [−L, L]^k before every training forward (projected gradient).
    * ``alpha_init``: α starts uniform in [−a·L, a·L]^k with a = ``alpha_init`` ∈ [0, 1] (0: all zeros).
    * ``beta_init``: β's start value; 0 starts training exactly at θ0 (the plain model's initialisation).
    * ``dtype``: how α and β are stored (``fp16`` halves the payload; the exported model uses the rounded
      values, so it equals what the payload decodes to).
    * ``generator_seed``: φ's seed; None derives it from the run's seed.
    """

    d: int
    k: int
    generator_width: int = 64
    generator_depth: int = 1
    frequency: float = 30.0
    bound: float = 1.0
    alpha_init: float = 1.0
    beta_init: float = 0.0
    dtype: str = "fp32"
    generator_seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("d", "k", "generator_width", "generator_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise MCNCError(f"mcnc.{name} must be a positive integer, got {value!r}")
        if self.d < 2:
            raise MCNCError(f"mcnc.d must be at least 2 (a chunk of d parameters), got {self.d}")
        if self.k >= self.d:
            raise MCNCError(
                f"mcnc.k must be smaller than mcnc.d (k + 1 numbers replace d); got k = {self.k}, "
                f"d = {self.d}: "
                f"allowed k in [1, {self.d - 1}]"
            )
        if self.d >= 2**31:
            raise MCNCError(f"mcnc.d must be below 2^31, got {self.d}")
        if self.generator_depth > MAX_GENERATOR_DEPTH:
            raise MCNCError(
                f"mcnc.generator_depth must be in [1, {MAX_GENERATOR_DEPTH}], got {self.generator_depth}"
            )
        for name in ("frequency", "bound"):
            value = getattr(self, name)
            if not _finite(value) or value <= 0:
                raise MCNCError(f"mcnc.{name} must be a finite number > 0, got {value!r}")
        if not _finite(self.alpha_init) or not 0 <= self.alpha_init <= 1:
            raise MCNCError(
                f"mcnc.alpha_init must be in [0, 1] (a fraction of mcnc.bound), got {self.alpha_init!r}"
            )
        if not _finite(self.beta_init):
            raise MCNCError(f"mcnc.beta_init must be a finite number, got {self.beta_init!r}")
        if self.dtype not in DTYPES:
            raise MCNCError(f"mcnc.dtype {self.dtype!r} is unknown; allowed: {list(DTYPES)}")
        seed = self.generator_seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63
        ):
            raise MCNCError(f"mcnc.generator_seed must be None or an integer in [0, 2^63), got {seed!r}")

    @property
    def nominal_rate(self) -> float:
        """d/(k+1): parameters per stored number, ignoring the last chunk's padding and the header."""
        return self.d / (self.k + 1)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


#: public functions of the torch submodules, loaded on first access (PEP 562)
_LAZY = {
    "SineGenerator": "generator",
    "ChunkLayout": "generator",
    "MCNCHook": "hook",
    "MCNCModule": "hook",
    "MCNCPayload": "payload",
    "save": "payload",
    "load": "payload",
    "load_payload": "payload",
    "to_bytes": "payload",
    "from_bytes": "payload",
    "size_report": "payload",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = ["DTYPES", "MCNCError", "MCNCSettings", *sorted(_LAZY)]
