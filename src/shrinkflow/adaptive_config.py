"""AdaptCompression's settings and their checks, without torch (config validation reads them at parse time);
the training procedure that uses them is :mod:`shrinkflow.adaptive`."""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("ema", "fixed", "median")
LOSS_SOURCES = ("epoch", "boundary")
VIEWS = ("coefficients", "pixels")
EMA_UPDATES = ("step", "epoch")


def _two_levels(levels) -> tuple[int, int]:
    lv = tuple(int(k) for k in levels)
    if len(lv) != 2 or lv[0] > lv[1] or lv[0] < 1:
        raise ValueError(f"levels must be (low, high) with 1 ≤ low ≤ high, got {tuple(levels)}")
    return lv


@dataclass
class AdaptiveConfig:
    """AdaptCompression settings; ``levels`` = (k_low, k_high) with k_high ≤ the stored K."""

    levels: tuple[int, int] = (4, 16)
    policy: str = "ema"  # ema | fixed | median
    alpha: float = 0.1  # EMA weight of the newest batch (policy ema)
    tau: float | None = None  # fixed τ (policy fixed), or the EMA's start value (None = first batch mean)
    loss_source: str = "epoch"  # epoch | boundary
    bits: int = 8  # bits per stored coefficient, for assigned_stored_bytes
    test_level: int | None = None  # truncate the test set once to this k; None = evaluate as given
    # coefficients: the model sees the K × K block | pixels: x̂ = D⁻¹(M ⊙ D(x)) (the paper's eq. 3)
    view: str = "coefficients"
    # step: τ after every batch (shrinkflow's variant) | epoch: τ from the epoch's mean loss (eq. 2)
    ema_update: str = "step"

    def validate(self, stored_k: int) -> None:
        low, high = _two_levels(self.levels)
        if high > stored_k:
            raise ValueError(f"levels {tuple(self.levels)} exceed the stored block of {stored_k}×{stored_k}")
        if self.policy not in POLICIES:
            raise ValueError(f"adaptive policy {self.policy!r} is unknown; allowed: {list(POLICIES)}")
        if self.loss_source not in LOSS_SOURCES:
            raise ValueError(
                f"adaptive loss_source {self.loss_source!r} is unknown; allowed: {list(LOSS_SOURCES)}"
            )
        if self.view not in VIEWS:
            raise ValueError(f"adaptive view {self.view!r} is unknown; allowed: {list(VIEWS)}")
        if self.ema_update not in EMA_UPDATES:
            raise ValueError(
                f"adaptive ema_update {self.ema_update!r} is unknown; allowed: {list(EMA_UPDATES)}"
            )
        if self.policy == "fixed" and self.tau is None:
            raise ValueError("adaptive policy 'fixed' needs a threshold: set tau (a loss value, e.g. 0.1)")
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"adaptive alpha must be in (0, 1], got {self.alpha!r}")
        if not 1 <= self.bits <= 32:
            raise ValueError(f"adaptive bits must be in [1, 32], got {self.bits!r}")
        if self.test_level is not None and not 1 <= self.test_level <= stored_k:
            raise ValueError(
                f"adaptive test_level must be in [1, {stored_k}] or None, got {self.test_level!r}"
            )
