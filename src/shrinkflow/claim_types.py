"""The vocabulary of claims: kinds, verdicts, tolerances, the paper settings a claim needs, the
:class:`Claim` and :class:`Selection` records, and small helpers shared by the judges
(:mod:`shrinkflow.claims` on the runs table, :mod:`shrinkflow.claim_tables` on the storage and BatchNorm
tables)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .stats import mean_interval

KINDS = ("value", "ratio", "order", "equal", "at_most", "at_least", "less_storage", "bn_amplifies")
#: kinds judged on another table than the runs table
TABLE_KINDS = {"less_storage": "storage", "bn_amplifies": "amplification"}
VERDICTS = ("reproduced", "inconclusive", "contradicted", "not comparable", "not run")
#: datasets that stand in for a paper's dataset when it is not available offline
STAND_INS = {"mnist": ("mnist5k",)}
#: absolute numbers with these units depend on the machine, not on the method
HARDWARE_UNITS = ("seconds",)
#: metrics that do not depend on how many images a dataset has (comparable on a stand-in dataset)
SIZE_FREE_METRICS = ("bits_per_sample",)
#: relative tolerance for units where an absolute one makes no sense (bits: side information per sample)
#: (percent: storage at ε is one level of a grid of levels, so 10% of the published value)
RELATIVE_TOLERANCE = {"bits": 0.01, "percent": 0.10}
#: value claims with this metric prefix read the storage-at-ε table (the suffix is ε in percent)
STORAGE_METRIC = "stored_percent_at_epsilon_"
#: storage-table column of each less_storage convention
STORAGE_CONVENTIONS = {"": "stored_percent", "tables_once": "stored_percent_tables_once"}
#: run settings a claim about a method needs (runs-table column -> value; a run without the column counts as
#: the code default): AdaptCompression claims are about the paper's method, not shrinkflow's variant
PAPER_SETTINGS: dict[tuple[str, str | None], dict[str, str]] = {
    ("adaptive", None): {"adaptive.view": "pixels"},
    ("adaptive", "dynamic_ema"): {"adaptive.ema_update": "epoch"},
    # correctness-preserving Table II trains on zfp's coefficients (Table I's zfp runs are judged on the
    # storage table, where the view does not matter)
    ("zfp_precision", None): {"view": "coefficients"},
}
#: what a run without the settings column was trained with (the code defaults)
SETTING_DEFAULTS = {"adaptive.view": "coefficients", "adaptive.ema_update": "step", "view": "pixels"}
CLAIM_COLUMNS = (
    "study", "claim", "text", "kind", "metric", "selection", "dataset", "published", "tolerance", "mean",
    "ci95_low", "ci95_high", "n", "ours", "verdict", "reason", "source",
)  # fmt: skip


@dataclass(frozen=True)
class Selection:
    """The runs of one method and level (and model) on a dataset."""

    method: str
    level: str
    model: str | None = None

    def label(self) -> str:
        return f"{self.method} {self.level}" + (f" ({self.model})" if self.model else "")


@dataclass(frozen=True)
class Claim:
    study: str
    id: str
    text: str
    kind: str
    metric: str
    dataset: str
    select: tuple[Selection, ...]
    published: float | None = None
    tolerance: float | None = None
    unit: str = ""
    source: str = ""
    not_comparable: str = ""  # a reason that holds whatever our runs show
    convention: str = ""  # less_storage: "" (as stored) or "tables_once" (JPEG tables once per split)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind {self.kind!r} is unknown; allowed: {list(KINDS)}")
        need = {"value": 1, "ratio": 2, "at_most": 1, "at_least": 1}.get(self.kind)
        if need is not None and len(self.select) != need:
            raise ValueError(f"claim {self.id!r}: a {self.kind} claim selects {need} run group(s)")
        if self.kind == "less_storage" and len(self.select) != 2:
            raise ValueError(f"claim {self.id!r}: a less_storage claim selects 2 methods")
        if self.convention not in STORAGE_CONVENTIONS:
            raise ValueError(
                f"claim {self.id!r}: convention {self.convention!r} is unknown; "
                f"allowed: {list(STORAGE_CONVENTIONS)}"
            )
        if self.kind in ("order", "equal") and len(self.select) < 2:
            raise ValueError(f"claim {self.id!r}: an {self.kind} claim selects at least 2 run groups")
        if self.kind not in ("order", "equal", *TABLE_KINDS) and self.published is None:
            raise ValueError(f"claim {self.id!r}: a {self.kind} claim needs a published value")


@dataclass
class _Ours:
    mean: float = math.nan
    low: float = math.nan
    high: float = math.nan
    n: int = 0
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _stats(values: np.ndarray) -> _Ours:
    return _Ours(*mean_interval(values))



def our_dataset(runs: pd.DataFrame, dataset: str) -> str | None:
    """The dataset of our runs that answers for ``dataset``: itself, else its offline stand-in."""
    present = set(runs["dataset"].astype(str)) if "dataset" in runs.columns else set()
    for candidate in (dataset, *STAND_INS.get(dataset, ())):
        if candidate in present:
            return candidate
    return None


def _fmt(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.4g}"


