"""AdaptCompression: level assignment, τ updates, exact truncation, and the hook inside the trainer."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import torch

from shrinkflow import models
from shrinkflow.adaptive import (
    AdaptiveConfig,
    AdaptiveLevels,
    assign_levels,
    assigned_stored_bytes,
    train_adaptive,
    truncate_block,
    update_tau_ema,
)
from shrinkflow.train_utils import without_timings
from shrinkflow.training import TrainConfig

torch.set_num_threads(1)


def dct_coefficients(n=120, k=8, seed=0):
    """Orthonormal 2-D DCT top-left k×k blocks of random 12×12 'images' whose brightness encodes 3 classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    images = (rng.random((n, 12, 12, 1)) * 0.5 + y[:, None, None, None] / 3).astype(np.float32)
    coeffs = scipy.fft.dctn(images, axes=(1, 2), norm="ortho")[:, :k, :k]
    return np.ascontiguousarray(coeffs, dtype=np.float32), y, images


def test_assign_levels_on_a_toy_loss_vector():
    losses = np.array([0.1, 0.5, 0.5000001, 2.0, 0.0, 0.7])
    assert assign_levels(losses, 0.5, (4, 16)).tolist() == [4, 4, 16, 16, 4, 16]  # strictly above τ → high
    got = assign_levels(torch.tensor(losses), 0.5, (4, 16))
    assert isinstance(got, torch.Tensor) and got.tolist() == [4, 4, 16, 16, 4, 16]


def test_assign_levels_rejects_inverted_levels():
    with pytest.raises(ValueError, match=r"levels must be \(low, high\)"):
        assign_levels(np.zeros(3), 0.1, (16, 4))


def test_update_tau_ema_exact_values():
    assert update_tau_ema(2.0, np.array([3.0, 5.0]), 0.25) == 2.5  # 0.75·2 + 0.25·4
    assert update_tau_ema(1.0, np.array([1.0, 3.0]), 0.1) == 0.9 * 1.0 + 0.1 * 2.0
    assert update_tau_ema(None, np.array([1.0, 2.0, 6.0]), 0.1) == 3.0  # starts at the first batch mean
    t = update_tau_ema(torch.tensor(2.0), torch.tensor([3.0, 5.0]), 0.25)
    assert isinstance(t, torch.Tensor) and t.item() == 2.5
    with pytest.raises(ValueError, match="alpha must be in"):
        update_tau_ema(1.0, np.ones(2), 0.0)


def test_assigned_stored_bytes_counts_k_squared_channels_bits():
    assert assigned_stored_bytes({4: 3, 16: 1}, channels=1, bits=8) == 3 * 16 + 256
    assert assigned_stored_bytes({4: 2}, channels=3, bits=4) == 2 * 16 * 3 * 4 / 8


def test_truncation_equals_keeping_the_smaller_block():
    coeffs, _, images = dct_coefficients(n=5, k=8)
    small = scipy.fft.dctn(images, axes=(1, 2), norm="ortho")[:, :3, :3]
    cut = truncate_block(coeffs, 3)
    assert cut.shape == coeffs.shape
    assert np.array_equal(cut[:, :3, :3], small.astype(np.float32))
    assert not cut[:, 3:].any() and not cut[:, :, 3:].any()


def _hook(policy, tau=None, loss_source="epoch", n=6, k=4):
    hook = AdaptiveLevels(AdaptiveConfig(levels=(2, k), policy=policy, tau=tau, loss_source=loss_source))
    x = torch.arange(n * k * k, dtype=torch.float32).reshape(n, k, k, 1) + 1
    hook.setup(models.build("lenet300", (k, k, 1), 3), x, torch.zeros(n, dtype=torch.int64))
    return hook, x


def test_hook_assigns_levels_from_recorded_losses_with_fixed_tau():
    hook, x = _hook("fixed", tau=0.5)
    index = torch.arange(6)
    # epoch 1: all high, inputs untouched
    assert torch.equal(hook.batch_inputs(x, index, 1), x)
    hook.record_losses(index, torch.tensor([0.1, 0.9, 0.5, 0.6, 0.0, 3.0]), 1)
    row = hook.end_epoch(1)
    assert row["frac_k4"] == 1.0 and row["frac_k2"] == 0.0 and row["tau"] == 0.5
    assert row["assigned_stored_bytes"] == 6 * 16
    # next epoch: samples 0, 2, 4 are low → zero outside the 2×2 block; 1, 3, 5 untouched
    out = hook.batch_inputs(x, index, 2)
    low = torch.tensor([True, False, True, False, True, False])
    assert torch.equal(out[~low], x[~low])
    assert torch.equal(out[low], torch.from_numpy(truncate_block(x[low].numpy(), 2)))
    final = hook.final_metrics()
    assert final["final_frac_k2"] == 0.5 and final["final_assigned_stored_bytes"] == 3 * 4 + 3 * 16


def test_median_policy_puts_the_upper_half_high():
    hook, _ = _hook("median")
    hook.record_losses(torch.arange(6), torch.tensor([0.6, 0.1, 0.4, 0.3, 0.2, 0.5]), 1)
    row = hook.end_epoch(1)
    assert row["tau"] == pytest.approx(0.3)  # torch's lower median of an even count
    assert hook.level_index.tolist() == [1, 0, 1, 0, 0, 1]


def test_ema_policy_updates_tau_per_batch_and_assigns_at_the_boundary():
    hook, _ = _hook("ema")
    hook.record_losses(torch.tensor([0, 1, 2]), torch.tensor([1.0, 2.0, 3.0]), 1)  # τ = 2 (first batch)
    hook.record_losses(torch.tensor([3, 4, 5]), torch.tensor([0.0, 0.5, 4.0]), 1)  # τ = 0.9·2 + 0.1·1.5
    row = hook.end_epoch(1)
    assert row["tau"] == pytest.approx(0.9 * 2.0 + 0.1 * 1.5)
    assert hook.level_index.tolist() == [0, 1, 1, 0, 0, 1]  # τ = 1.95: 2.0, 3.0, 4.0 are above


def test_train_adaptive_logs_fractions_and_is_deterministic():
    x, y, _ = dct_coefficients(n=120, k=8)
    cfg = TrainConfig(epochs=3, batch_size=32, lr=0.05, device="cpu", threads=1)
    ada = AdaptiveConfig(levels=(2, 8), policy="median", bits=8)
    runs = [train_adaptive("cnn1d_paper", x, y, x[:40], y[:40], 3, cfg, ada, seed=1) for _ in range(2)]
    h = runs[0].history
    assert {"frac_k2", "frac_k8", "assigned_stored_bytes", "tau"} <= set(h.columns)
    assert h["frac_k8"].iloc[0] == 1.0  # epoch 1 trains everything at the high level
    assert (h["frac_k2"] + h["frac_k8"]).tolist() == [1.0, 1.0, 1.0]
    assert h["assigned_stored_bytes"].tolist() == [
        120 * (f2 * 4 + f8 * 64) for f2, f8 in zip(h["frac_k2"], h["frac_k8"], strict=True)
    ]
    assert h["frac_k2"].iloc[1] == 0.5  # median: half the samples at or below τ (distinct losses)
    m = runs[0].metrics
    assert m["final_assigned_stored_bytes"] == 120 * (m["final_frac_k2"] * 4 + m["final_frac_k8"] * 64)
    assert m["adaptive"]["policy"] == "median" and m["adaptive"]["levels"] == [2, 8]
    assert without_timings(runs[0].metrics) == without_timings(runs[1].metrics)
    a, b = (r.model.state_dict() for r in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_boundary_loss_source_runs_and_assigns():
    x, y, _ = dct_coefficients(n=64, k=8)
    cfg = TrainConfig(epochs=2, batch_size=32, lr=0.05, device="cpu", threads=1)
    ada = AdaptiveConfig(levels=(4, 8), policy="ema", alpha=0.1, loss_source="boundary")
    r = train_adaptive("lenet300", x, y, x, y, 3, cfg, ada, seed=0)
    assert 0.0 <= r.metrics["final_frac_k4"] <= 1.0 and np.isfinite(r.metrics["final_tau"])


@pytest.mark.parametrize(
    ("ada", "message"),
    [
        (AdaptiveConfig(levels=(4, 16)), r"levels \(4, 16\) exceed the stored block of 8×8"),
        (AdaptiveConfig(levels=(2, 8), policy="fixed"), r"policy 'fixed' needs a threshold"),
        (AdaptiveConfig(levels=(2, 8), policy="mean"), r"policy 'mean' is unknown"),
        (AdaptiveConfig(levels=(2, 8), loss_source="val"), r"loss_source 'val' is unknown"),
    ],
)
def test_bad_adaptive_settings_are_named(ada, message):
    x, y, _ = dct_coefficients(n=8, k=8)
    with pytest.raises(ValueError, match=message):
        train_adaptive("lenet300", x, y, x, y, 3, TrainConfig(epochs=1, device="cpu"), ada, seed=0)


def test_non_coefficient_inputs_are_rejected():
    with pytest.raises(ValueError, match="N × K × K × C or N × H × W × C"):
        train_adaptive(
            "lenet300", np.zeros((4, 64), np.float32), np.zeros(4, int), np.zeros((4, 64), np.float32),
            np.zeros(4, int), 2, TrainConfig(epochs=1, device="cpu"), AdaptiveConfig(), seed=0,
        )  # fmt: skip


# ---- the paper's protocol: pixels view (eq. 3) and the epoch-boundary EMA (eq. 2) ----


def test_pixel_projection_equals_rebuilding_the_image_from_its_top_left_dct_block():
    _, _, images = dct_coefficients(n=5)
    from shrinkflow.adaptive import dct_projection, project_pixels

    coeffs = scipy.fft.dctn(images, axes=(1, 2), norm="ortho")
    for k in (4, 8, 12):
        kept = np.zeros_like(coeffs)
        kept[:, :k, :k] = coeffs[:, :k, :k]
        expected = scipy.fft.idctn(kept, axes=(1, 2), norm="ortho")
        p = torch.from_numpy(dct_projection(12, k))
        got = project_pixels(torch.from_numpy(images), p, p).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # projecting twice changes nothing: level k of a level-k reconstruction is itself
    p4 = torch.from_numpy(dct_projection(12, 4))
    once = project_pixels(torch.from_numpy(images), p4, p4)
    np.testing.assert_allclose(project_pixels(once, p4, p4).numpy(), once.numpy(), atol=1e-5)


def test_the_pixels_of_a_dct_artifact_at_level_k_are_the_projection_of_its_level_16_pixels():
    """The pixels view trains on what a dct artifact at the low level rebuilds (before any clipping)."""
    from shrinkflow import codecs
    from shrinkflow.adaptive import dct_projection, project_pixels
    from shrinkflow.codecs.dct import inverse_dct_block

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 28, 28, 1), dtype=np.uint8)
    dct = codecs.get("dct")
    params = dct.params({"bits": 16})

    def rebuilt(k):
        payload = dct.encode(images, dct.parse_level(str(k), (28, 28, 1)), params, np.random.default_rng(0))
        return inverse_dct_block(dct.decode(payload, "coefficients"), 28, 28)

    p = torch.from_numpy(dct_projection(28, 4))
    projected = project_pixels(torch.from_numpy(rebuilt(16)), p, p).numpy()
    np.testing.assert_allclose(projected, rebuilt(4), atol=1e-3)  # each level has its own 16-bit quantizer


def test_epoch_ema_moves_tau_once_per_epoch_from_the_epochs_mean_loss():
    hook = AdaptiveLevels(AdaptiveConfig(levels=(4, 8), policy="ema", alpha=0.1, ema_update="epoch"))
    x, y, _ = dct_coefficients(n=4)
    hook.setup(torch.nn.Identity(), torch.from_numpy(x), torch.from_numpy(y))
    hook.record_losses(torch.arange(4), torch.tensor([1.0, 2.0, 3.0, 6.0]), epoch=1)
    assert hook.tau is None  # no per-batch update
    hook.end_epoch(1)
    assert float(hook.tau) == pytest.approx(3.0)  # starts at the first epoch's mean
    assert hook.level_index.tolist() == [0, 0, 0, 1]  # only the loss above τ goes to the high level
    hook.record_losses(torch.arange(4), torch.tensor([1.0, 1.0, 1.0, 1.0]), epoch=2)
    hook.end_epoch(2)
    assert float(hook.tau) == pytest.approx(0.9 * 3.0 + 0.1 * 1.0)


def test_pixel_view_trains_a_pixel_model_and_records_the_shares_per_level():
    _, y, images = dct_coefficients(n=96)
    stored = scipy.fft.dctn(images, axes=(1, 2), norm="ortho")
    stored[:, 8:, :] = 0
    stored[:, :, 8:] = 0
    recon = scipy.fft.idctn(stored, axes=(1, 2), norm="ortho").astype(np.float32)  # the level-8 pixels
    config = TrainConfig(epochs=3, batch_size=32, device="cpu", threads=1, input_mean=0.5, input_std=0.5)
    adaptive = AdaptiveConfig(levels=(4, 8), policy="ema", ema_update="epoch", view="pixels")
    r = train_adaptive("lenet300", recon, y, recon, y, 3, config, adaptive, seed=0, stored_k=8)
    assert r.metrics["input_shape"] == [12, 12, 1] and r.metrics["input_mean"] == 0.5
    assert r.history["frac_k8"].iloc[0] == 1.0  # epoch 1: every sample at the stored level
    assert (r.history["frac_k4"] + r.history["frac_k8"]).eq(1.0).all()
    assert r.metrics["adaptive"]["view"] == "pixels"
    with pytest.raises(ValueError, match="stored_k"):
        train_adaptive("lenet300", recon, y, recon, y, 3, config, adaptive, seed=0)
