"""Registry of model-compression schemes: ``model_compression.get(name)``; the schema's names come from here.

A scheme is a list of steps applied to a trained registry model: at most one pruning step (which weights
survive) followed by one value step (how survivors are stored), as in Condensa's ``Compose`` (e.g.
"Prune + Quantize(fp16)"). Exactly one step takes the scheme's ``amount``: a sparsity s ∈ [0, 1) for
pruning schemes, a bit width for quantization schemes. The compressed weights are those of every Conv and
Linear layer (the head included); biases, BatchNorm and ``Standardize`` tensors are stored as they are
(fp16 under fp16 schemes; ``Standardize`` always fp32).

This module imports neither torch nor numpy (the Snakefile reads it at parse time). The torch code lives
in submodules, loaded on first use: :mod:`.schemes` (``compress``), :mod:`.payload` (``save``, ``load``),
:mod:`.sizes` (``size_report``), :mod:`.recovery` (``recover``), :mod:`.search` (``search_amount``),
:mod:`.measure` (``compare_throughput``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..registry import lazy_attributes, lookup

#: registry models whose body is a plain Conv/Linear chain that ``prune_structured`` can shrink
#: (tests check this table against the models themselves; resnet20's residual additions tie the channels
#: of a stage together, so filters cannot be removed layer by layer)
STRUCTURED_MODELS = ("alexnet", "cnn1d_paper", "cnn2d", "cnn2d_bn", "lenet300", "lenet5", "vgg19_bn")

PRUNING_STEPS = ("prune_global", "prune_layer", "prune_structured")
VALUE_STEPS = ("fp32", "fp16", "int", "kmeans")


class AmountError(ValueError):
    """An amount a scheme does not take, or a scheme a model cannot use; the message says what is allowed."""


@dataclass(frozen=True)
class Step:
    """One step of a scheme: ``op`` (a pruning or value step) and its fixed amount, or None when the step
    takes the scheme's amount."""

    op: str
    fixed: float | int | None = None


@dataclass(frozen=True)
class Scheme:
    """A named composition of steps and the kind of amount it takes (``sparsity`` or ``bits``)."""

    name: str
    steps: tuple[Step, ...]
    amount_kind: str  # "sparsity" | "bits"
    description: str
    allowed_bits: tuple[int, ...] = ()

    @property
    def pruning(self) -> str | None:
        """The pruning step's op, or None."""
        return next((s.op for s in self.steps if s.op in PRUNING_STEPS), None)

    @property
    def values(self) -> str:
        """How surviving weights are stored: ``fp32`` (no value step), ``fp16``, ``int`` or ``kmeans``."""
        return next((s.op for s in self.steps if s.op in VALUE_STEPS), "fp32")

    @property
    def structured(self) -> bool:
        return self.pruning == "prune_structured"

    def allowed(self) -> str:
        """What ``amount`` may be, in words."""
        if self.amount_kind == "sparsity":
            return "a sparsity in [0, 1) (the fraction of weights removed)"
        return f"a bit width in {list(self.allowed_bits)}"

    def validate(self, amount: Any) -> float | int:
        """The amount as a number (float sparsity or int bits); :class:`AmountError` naming it otherwise."""
        value = _number(amount)
        if self.amount_kind == "sparsity":
            if value is None or not math.isfinite(value) or not 0.0 <= value < 1.0:
                raise AmountError(f"{self.name}: amount {amount!r} is not allowed; it takes {self.allowed()}")
            return float(value)
        if value is None or value != int(value) or int(value) not in self.allowed_bits:
            raise AmountError(f"{self.name}: amount {amount!r} is not allowed; it takes {self.allowed()}")
        return int(value)

    def step_amounts(self, amount: Any) -> dict[str, float | int]:
        """``{op: amount}`` for every step (fixed steps keep their own amount)."""
        value = self.validate(amount)
        return {s.op: value if s.fixed is None else s.fixed for s in self.steps}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme("prune_global", (Step("prune_global"),), "sparsity",
               "global magnitude pruning of all Conv/Linear weights (Condensa Prune, ShrinkBench global)"),
        Scheme("prune_layer", (Step("prune_layer"),), "sparsity",
               "layer-wise magnitude pruning, every layer at the same sparsity (ShrinkBench layer-wise)"),
        Scheme("prune_structured", (Step("prune_structured"),), "sparsity",
               "remove whole filters/neurons by L1 norm and shrink the network (Condensa FilterPrune)"),
        Scheme("quantize_int", (Step("int"),), "bits",
               "per-output-channel symmetric integer weights, bit-packed", allowed_bits=(2, 3, 4, 8)),
        Scheme("quantize_fp16", (Step("fp16"),), "bits",
               "weights and biases stored as fp16 (Condensa Quantize)", allowed_bits=(16,)),
        Scheme("kmeans", (Step("kmeans"),), "bits",
               "per-layer weight sharing with 2^b k-means clusters (Han et al. 2016)",
               allowed_bits=(1, 2, 3, 4, 5, 6, 7, 8)),
        Scheme("prune_quantize", (Step("prune_global"), Step("fp16", fixed=16)), "sparsity",
               "global magnitude pruning, survivors stored as fp16 (Condensa Prune + Quantize)"),
    )
}  # fmt: skip


def names() -> list[str]:
    return list(SCHEMES)


def get(name: str) -> Scheme:
    return lookup(SCHEMES, name, "model-compression scheme")


def validate_amount(scheme: str, amount: Any) -> float | int:
    """``get(scheme).validate(amount)``: the amount as a number, or :class:`AmountError`."""
    return get(scheme).validate(amount)


def supports(scheme: str, model_name: str) -> bool:
    """Whether ``scheme`` applies to registry model ``model_name`` (static: no model is built)."""
    return not get(scheme).structured or model_name in STRUCTURED_MODELS


def check_supported(scheme: str, model_name: str) -> None:
    """Raise :class:`AmountError` when ``scheme`` cannot compress ``model_name``."""
    if not supports(scheme, model_name):
        raise AmountError(
            f"{scheme} cannot compress model {model_name!r}: it needs a plain Conv/Linear chain; "
            f"allowed models: {list(STRUCTURED_MODELS)}"
        )


#: public functions of the torch submodules, loaded on first access (PEP 562)
_LAZY = {
    "CompressedModel": "schemes",
    "compress": "schemes",
    "save": "payload",
    "load": "payload",
    "size_report": "sizes",
    "recover": "recovery",
    "LCSettings": "recovery",
    "search_amount": "search",
    "candidate_amounts": "search",
    "compare_throughput": "measure",
    "throughput": "measure",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "STRUCTURED_MODELS", "AmountError", "Scheme", "Step", "SCHEMES", "check_supported", "get", "names",
    "supports", "validate_amount", *sorted(_LAZY),
]  # fmt: skip
