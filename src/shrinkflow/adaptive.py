"""AdaptCompression (adaptcompression.md, eqs. 1–4): per-sample DCT fidelity chosen each epoch from the
sample's training loss.

Every training sample is stored once at the highest level K (a ``dct`` artifact). At each epoch boundary a
threshold τ splits the samples: loss > τ → the high level, otherwise the low level, for the next epoch;
epoch 1 trains every sample at the high level. Two views of a level k:

* ``pixels`` (the paper's eq. 3): the model sees x̂ = D⁻¹(M_k ⊙ D(x)), the image rebuilt from its top-left
  k × k DCT coefficients: the stored K-level image (the dct artifact's pixels view, as every pixel-view
  run and analysis sees it, clipped to [0, 1]) projected with P = D[:k]ᵀD[:k] on both axes
  (:func:`dct_projection`; exact for the orthonormal DCT, the clip of the stored image aside);
* ``coefficients`` (shrinkflow's variant): the model sees the K × K block with everything outside the
  top-left k × k zeroed (what a ``dct`` artifact at level k decodes to).

The test set is evaluated at the stored level (or once at ``test_level``). Settings:

* per-sample losses come from the training pass itself (``loss_source="epoch"``: free, each sample's
  loss when it was visited), or from one extra eval-mode pass at the epoch boundary (``"boundary"``).
* τ policies (:data:`POLICIES`): ``ema`` with ``ema_update="epoch"`` is the paper's eq. (2):
  τ ← (1 − α)·τ + α·(mean per-sample loss of the epoch) at each boundary, α = 0.1; with
  ``ema_update="step"`` (shrinkflow's earlier variant) τ moves after every batch. τ starts at the first
  mean unless ``tau`` gives a start value. ``fixed``: τ = ``tau`` throughout. ``median``: τ = the (lower)
  median of the epoch's per-sample losses, so about half the samples go high.
* stored bytes of an assignment: Σ over samples of k_s²·C·bits/8, the code bytes of keeping each sample only
  at its assigned level (per-position scale bytes of the dct codec, 8·k²·C per level, are not included).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .adaptive_config import (  # noqa: F401 (re-exported)
    EMA_UPDATES,
    LOSS_SOURCES,
    POLICIES,
    VIEWS,
    AdaptiveConfig,
    _two_levels,
)
from .training import TrainConfig, TrainHook, TrainResult, train


def assign_levels(
    losses: np.ndarray | torch.Tensor, tau: float | torch.Tensor, levels: tuple[int, int]
) -> np.ndarray | torch.Tensor:
    """Level per sample: ``levels[1]`` (high) where loss > τ, else ``levels[0]`` (low); arrays in and out."""
    low, high = _two_levels(levels)
    if isinstance(losses, torch.Tensor):
        tau_t = torch.as_tensor(tau, dtype=losses.dtype, device=losses.device)
        return torch.where(losses > tau_t, high, low)
    return np.where(np.asarray(losses) > np.asarray(tau), high, low).astype(np.int64)


def update_tau_ema(
    tau: float | torch.Tensor | None, batch_losses: np.ndarray | torch.Tensor, alpha: float
) -> float | torch.Tensor:
    """One EMA step τ ← (1 − α)·τ + α·mean(batch_losses); ``tau=None`` starts at the batch mean.

    Tensor losses give a 0-d tensor (no device sync in the training loop); numpy losses give a float.
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
    mean = batch_losses.mean() if isinstance(batch_losses, torch.Tensor) else float(np.mean(batch_losses))
    if tau is None:
        return mean
    return (1.0 - alpha) * tau + alpha * mean


def assigned_stored_bytes(level_counts: dict[int, int], channels: int, bits: int) -> float:
    """Code bytes of keeping each sample only at its level: Σ_k count_k·k²·C·bits/8."""
    return float(sum(count * k * k * channels * bits for k, count in level_counts.items()) / 8)


def block_mask(stored_k: int, k: int) -> np.ndarray:
    """bool K × K: True inside the top-left k × k block (the coefficients level k keeps)."""
    mask = np.zeros((stored_k, stored_k), bool)
    mask[:k, :k] = True
    return mask


def truncate_block(coefficients: np.ndarray, k: int) -> np.ndarray:
    """N × K × K × C coefficients with everything outside the top-left k × k block set to 0 (a copy)."""
    return np.where(block_mask(coefficients.shape[1], k)[None, :, :, None], coefficients, 0).astype(
        coefficients.dtype
    )


def dct_projection(size: int, k: int) -> np.ndarray:
    """size × size matrix P = D[:k]ᵀ D[:k] (D the orthonormal DCT-II): P x keeps the first k frequencies.

    Applied on both image axes (P_H x P_W) it is the paper's x̂ = D⁻¹(M_k ⊙ D(x)) for the top-left k × k mask.
    """
    from .codecs.dct import dct_matrix

    d = dct_matrix(size, torch.float64)
    return (d[:k].T @ d[:k]).numpy().astype(np.float32)


def project_pixels(x: torch.Tensor, ph: torch.Tensor, pw: torch.Tensor) -> torch.Tensor:
    """N × H × W × C images with only their top-left k × k DCT block kept (``ph``/``pw`` from
    :func:`dct_projection`)."""
    return torch.einsum("ah,nhwc,wb->nabc", ph, x, pw)


class AdaptiveLevels(TrainHook):
    """The AdaptCompression hook for :func:`shrinkflow.training.train` (see the module docstring)."""

    def __init__(
        self, config: AdaptiveConfig, eval_batch_size: int = 1024, stored_k: int | None = None
    ) -> None:
        self.config = config
        self.eval_batch_size = eval_batch_size
        self.levels = _two_levels(config.levels)
        self.stored_k = stored_k  # the stored block's side (needed for the pixels view)

    def _setup_pixels(self, x_train: torch.Tensor) -> None:
        _, h, w, _ = x_train.shape
        device = x_train.device
        # per level: None where the level is the stored one (its pixels are the stored reconstruction)
        self.projections = [
            None
            if k == self.stored_k
            else tuple(torch.from_numpy(dct_projection(size, k)).to(device) for size in (h, w))
            for k in self.levels
        ]

    def setup(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor) -> None:
        n, _, _, self.channels = x_train.shape
        self.model, self.x_train, self.y_train = model, x_train, y_train
        device = x_train.device
        if self.config.view == "pixels":
            self._setup_pixels(x_train)
        else:
            self.stored_k = x_train.shape[1]
            masks = np.stack([block_mask(self.stored_k, k) for k in self.levels])[:, :, :, None]
            self.masks = torch.from_numpy(masks).to(device)  # L × K × K × 1
        # index into self.levels; epoch 1 trains everything at the high level
        self.level_index = torch.ones(n, dtype=torch.int64, device=device)
        self.losses = torch.zeros(n, dtype=torch.float32, device=device)
        c = self.config
        self.tau: float | torch.Tensor | None = None if c.policy == "median" else c.tau

    def _apply(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        if self.config.view == "pixels":
            out = x
            levels = self.level_index[index]
            for i, projection in enumerate(self.projections):
                if projection is not None:
                    rows = levels == i
                    out = torch.where(rows[:, None, None, None], project_pixels(x, *projection), out)
            return out
        return torch.where(
            self.masks[self.level_index[index]], x, torch.zeros((), dtype=x.dtype, device=x.device)
        )

    def batch_inputs(self, x: torch.Tensor, index: torch.Tensor, epoch: int) -> torch.Tensor:
        return self._apply(x, index)

    def record_losses(self, index: torch.Tensor, losses: torch.Tensor, epoch: int) -> None:
        if self.config.loss_source == "epoch":
            self.losses[index] = losses
            if self.config.policy == "ema" and self.config.ema_update == "step":
                self.tau = update_tau_ema(self.tau, losses, self.config.alpha)

    @torch.inference_mode()
    def _boundary_pass(self) -> None:
        """Per-sample losses of every training sample at its current level, eval mode, sample order."""
        was_training = self.model.training
        self.model.eval()
        y = self.y_train
        for i in range(0, self.x_train.shape[0], self.eval_batch_size):
            index = torch.arange(i, min(i + self.eval_batch_size, self.x_train.shape[0]), device=y.device)
            logits = self.model(self._apply(self.x_train[index], index))
            losses = F.cross_entropy(logits, y[index], reduction="none")
            self.losses[index] = losses
            if self.config.policy == "ema" and self.config.ema_update == "step":
                self.tau = update_tau_ema(self.tau, losses, self.config.alpha)
        self.model.train(was_training)

    def _fractions(self, prefix: str) -> dict[str, float]:
        counts = torch.bincount(self.level_index, minlength=len(self.levels)).tolist()
        n = self.level_index.numel()
        by_level: dict[int, int] = {}
        for k, count in zip(self.levels, counts, strict=True):
            by_level[k] = by_level.get(k, 0) + count
        out = {f"{prefix}frac_k{k}": count / n for k, count in by_level.items()}
        out[f"{prefix}assigned_stored_bytes"] = assigned_stored_bytes(
            by_level, self.channels, self.config.bits
        )
        return out

    def end_epoch(self, epoch: int) -> dict[str, float]:
        used = self._fractions("")  # the assignment this epoch trained with
        t0 = time.perf_counter()
        if self.config.loss_source == "boundary":
            self._boundary_pass()
        if self.config.policy == "median":
            self.tau = self.losses.median()
        elif self.config.policy == "ema" and self.config.ema_update == "epoch":
            # eq. (2): τ_t = (1 − α) τ_{t−1} + α · (mean loss over the training set this epoch)
            self.tau = update_tau_ema(self.tau, self.losses, self.config.alpha)
        tau = torch.as_tensor(self.tau, dtype=torch.float32, device=self.losses.device)
        self.level_index = (self.losses > tau).long()  # 1 = high, 0 = low
        self._tau_value = float(tau)
        return {**used, "tau": self._tau_value, "adapt_seconds": time.perf_counter() - t0}

    def final_metrics(self) -> dict[str, Any]:
        final = self._fractions("final_")
        return {
            **final,
            "final_tau": self._tau_value,
            "adaptive": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self.config).items()},
        }


def train_adaptive(
    model_name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    num_classes: int,
    config: TrainConfig,
    adaptive: AdaptiveConfig,
    seed: int,
    log: logging.Logger | None = None,
    stored_k: int | None = None,
) -> TrainResult:
    """Train with AdaptCompression on a dct artifact stored at the high level: N × K × K × C coefficients
    (view ``coefficients``), or their N × H × W × C reconstructions (view ``pixels``, with ``stored_k`` = K).

    Returns the trainer's :class:`TrainResult`; history gains ``frac_k{low}``, ``frac_k{high}``,
    ``assigned_stored_bytes`` (the assignment each epoch trained with), ``tau`` (the threshold at the
    epoch's end, which set the next assignment) and ``adapt_seconds``; metrics gain ``final_frac_k*``,
    ``final_assigned_stored_bytes`` (the assignment after the last epoch: what one would keep), ``final_tau``
    and the ``adaptive`` settings.
    """
    x_train = np.asarray(x_train)
    if x_train.ndim != 4:
        raise ValueError(f"AdaptCompression needs N × K × K × C or N × H × W × C inputs, got {x_train.shape}")
    if adaptive.view == "coefficients":
        if x_train.shape[1] != x_train.shape[2]:
            raise ValueError(
                "AdaptCompression's coefficients view is the dct codec's K × K block, "
                f"got training inputs of shape {x_train.shape}"
            )
        stored_k = x_train.shape[1]
    elif stored_k is None or stored_k > min(x_train.shape[1:3]):
        raise ValueError(
            f"the pixels view needs stored_k ≤ the image side, got {stored_k} for inputs {x_train.shape}"
        )
    adaptive.validate(stored_k)
    if adaptive.test_level is not None:
        if adaptive.view == "pixels":
            ph, pw = (torch.from_numpy(dct_projection(n, adaptive.test_level)) for n in x_test.shape[1:3])
            x_test = project_pixels(torch.as_tensor(np.asarray(x_test, dtype=np.float32)), ph, pw).numpy()
        else:
            x_test = truncate_block(np.asarray(x_test), adaptive.test_level)
    hook = AdaptiveLevels(adaptive, config.eval_batch_size, stored_k=stored_k)
    return train(
        model_name,
        x_train,
        y_train,
        x_test,
        y_test,
        num_classes,
        config,
        seed,
        log=log,
        hook=hook,
    )
