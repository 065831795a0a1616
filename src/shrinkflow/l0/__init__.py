"""ℓ0 regularisation and description length (Barth & von Petersenn, "Efficient compression of neural networks
and datasets"; their Julia code L0-and-behold/efficient-compression): a registry of training methods.

Every method runs the paper's three-phase procedure (:func:`.procedure.run_classifier`,
:func:`.procedure.run_regression`): training with the method's penalty (none for the baselines) → pruning
(TAMADE's threshold search, optionally wrapped in random gradient pruning as their ``prune_and_shrink!``
does; RGP alone; or magnitude pruning at a given sparsity) → fine-tuning with the mask fixed and no penalty.

This module imports neither torch nor numpy (the Snakefile reads it at parse time): names, settings and
their validation live here; the torch code is loaded on first use (PEP 562), like
:mod:`shrinkflow.model_compression`: :mod:`.penalties` (DRR, R-L1, ℓ2 hooks), :mod:`.pmmp`, :mod:`.pruning`
(TAMADE, RGP, masks, masked fine-tuning), :mod:`.procedure`, :mod:`.dl` (description length),
:mod:`.teacher` (teacher–student data) and :mod:`.regression` (the MSE trainer).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..registry import lazy_attributes, lookup

PENALTIES = ("pmmp", "drr", "l1", "l2", "none")
PRUNINGS = ("tamade", "rgp", "magnitude", "none")


@dataclass(frozen=True)
class Method:
    """A named method: the penalty of its training phase, its pruning step and the settings it reads."""

    name: str
    penalty: str  # one of PENALTIES
    pruning: str  # one of PRUNINGS
    description: str
    settings: tuple[str, ...] = ()  # the L0Settings fields this method uses (for tables and sidecars)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("pmmp", "pmmp", "tamade",
               "probabilistic minimax pruning: keep-probabilities π, magnitudes w, multiplier u (ascended)",
               ("alpha", "rho", "u_factor", "multiplier")),
        Method("drr", "drr", "tamade", "smooth ℓ0 surrogate α·Σ(1 − e^(−β|w|)) (+ ρ·Σw²)",
               ("alpha", "beta", "rho")),
        Method("rl1", "l1", "tamade", "relaxed ℓ1: α·Σ|w| (+ ρ·Σw²), then masked fine-tuning without penalty",
               ("alpha", "rho")),
        Method("l2", "l2", "tamade", "baseline: ℓ2 only (ρ·Σw²), then the same TAMADE pruning", ("rho",)),
        Method("tamade", "none", "tamade", "unregularised training, then TAMADE's threshold search", ()),
        Method("rgp", "none", "rgp", "unregularised training, then random gradient pruning only", ()),
        Method("magnitude", "none", "magnitude",
               "baseline: unregularised training, global magnitude pruning at a given sparsity",
               ("sparsity",)),
        Method("dense", "none", "none", "reference: unregularised training, no pruning, no fine-tuning", ()),
    )
}  # fmt: skip


@dataclass
class L0Settings:
    """Knobs of the procedure; defaults follow the paper's code where it has one (δ 0.01, resolution 1e-7,
    RGP around TAMADE, π₀ = 1, u₀ = 0) and shrinkflow's measurements elsewhere.

    ``alpha`` and ``rho`` are on the scale of the *summed* training loss, as in the paper's code, which
    divides α and ρ by (batches × batch size) before adding them to a batch-mean loss: the hooks add
    (α/N)·penalty to shrinkflow's batch-mean loss, N the number of training samples.
    """

    alpha: float = 1.0  # ℓ0 (PMMP, DRR) or ℓ1 (R-L1) strength
    beta: float = 5.0  # DRR sharpness (their TrainArgs default 5)
    rho: float = 0.0  # ℓ2 strength on the penalised parameters
    delta: float = 0.01  # TAMADE: pruned loss ≤ (1 + δ)·unpruned loss
    resolution: float = 1e-7  # TAMADE: binary search stops when the interval is this narrow
    random_gradient_pruning: bool = True  # RGP before and after TAMADE (their prune_and_shrink! default)
    rgp_samples: int = 500  # rows of the random N(0, 1) batch (their code: one batch, 500 for LeNet)
    include_biases: bool = True  # penalise and prune biases too (their code treats every parameter alike)
    finetune_epochs: int = 2
    sparsity: float | None = None  # magnitude baseline: fraction of prunable parameters removed
    u_factor: float = 1.0  # PMMP: multiplies the constraint term (their u_value_multiply_factor)
    multiplier: str = "per_weight"  # PMMP: one u per weight (their code) or one "scalar" u

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class L0SettingsError(ValueError):
    """A setting out of range for a method; the message names the setting, the value and what is allowed."""


def names() -> list[str]:
    return list(METHODS)


def get(name: str) -> Method:
    return lookup(METHODS, name, "ℓ0 method")


def settings_from(params: dict[str, Any] | None) -> L0Settings:
    """:class:`L0Settings` from a plain mapping (a rule's ``params``); unknown keys are an error."""
    params = dict(params or {})
    known = {f.name for f in fields(L0Settings)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise L0SettingsError(f"unknown ℓ0 setting(s) {unknown}; allowed: {sorted(known)}")
    return L0Settings(**params)


def validate(method: str, settings: L0Settings) -> L0Settings:
    """Raise :class:`L0SettingsError` naming the first setting ``method`` cannot run with; return settings."""
    spec = get(method)
    s = settings

    def bad(name: str, allowed: str) -> L0SettingsError:
        value = getattr(s, name)
        return L0SettingsError(f"{method}: {name} = {value!r} is not allowed; {name} must be {allowed}")

    def finite(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

    if not (finite(s.alpha) and s.alpha >= 0):
        raise bad("alpha", "a finite number ≥ 0")
    if not (finite(s.beta) and s.beta > 0):
        raise bad("beta", "a finite number > 0")
    if not (finite(s.rho) and s.rho >= 0):
        raise bad("rho", "a finite number ≥ 0")
    if not (finite(s.delta) and s.delta >= 0):
        raise bad("delta", "a finite number ≥ 0")
    if not (finite(s.resolution) and s.resolution > 0):
        raise bad("resolution", "a finite number > 0")
    if not (finite(s.u_factor) and s.u_factor > 0):
        raise bad("u_factor", "a finite number > 0")
    for name in ("rgp_samples",):
        if not (isinstance(getattr(s, name), int) and getattr(s, name) >= 1):
            raise bad(name, "a positive integer")
    if not (isinstance(s.finetune_epochs, int) and s.finetune_epochs >= 0):
        raise bad("finetune_epochs", "an integer ≥ 0")
    if s.multiplier not in ("per_weight", "scalar"):
        raise bad("multiplier", "'per_weight' or 'scalar'")
    if spec.pruning == "magnitude":
        if s.sparsity is None or not (finite(s.sparsity) and 0 <= s.sparsity < 1):
            raise bad("sparsity", "a number in [0, 1) (the magnitude baseline needs the sparsity to match)")
    return s


#: public functions of the torch submodules, loaded on first access (PEP 562)
_LAZY = {
    "PenaltyHook": "penalties",
    "drr_penalty": "penalties",
    "l1_penalty": "penalties",
    "l2_penalty": "penalties",
    "PMMPHook": "pmmp",
    "pmmp_constraint": "pmmp",
    "tamade": "pruning",
    "threshold_search": "pruning",
    "random_gradient_masks": "pruning",
    "MaskedFinetuneHook": "pruning",
    "L0Result": "procedure",
    "run_classifier": "procedure",
    "run_regression": "procedure",
    "description_length": "dl",
    "dl_report": "dl",
    "TeacherStudentData": "teacher",
    "teacher_student_data": "teacher",
    "TanhMLP": "teacher",
    "RegressionConfig": "regression",
    "train_regression": "regression",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "METHODS", "PENALTIES", "PRUNINGS", "L0Settings", "L0SettingsError", "Method", "get", "names",
    "settings_from", "validate", *sorted(_LAZY),
]  # fmt: skip
