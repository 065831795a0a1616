"""ℓ0 pruning steps: TAMADE's threshold search, random gradient pruning, masked fine-tuning (R-L1's zeros
stay exactly zero) and the magnitude baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from shrinkflow import models
from shrinkflow.l0 import L0Settings
from shrinkflow.l0.procedure import run_classifier
from shrinkflow.l0.pruning import random_gradient_masks, tamade, threshold_search
from shrinkflow.training import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")


def test_threshold_search_finds_the_largest_threshold_within_tolerance():
    calls = []

    def loss_at(t):
        calls.append(t)
        return 1.0 if t <= 0.3 else 2.0

    t, steps = threshold_search(loss_at, 1.0, high=1.0, delta=0.01, resolution=1e-7)
    assert 0.3 - 1e-7 < t <= 0.3 and steps == len(calls) == 24  # ⌈log2(1 / 1e-7)⌉


def test_tamade_stops_at_the_first_weight_that_matters():
    torch.manual_seed(0)
    layer = nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1e-3, -2e-3, 0.5, -1.0]]))
    x = torch.randn(2000, 4)
    with torch.no_grad():
        y = layer(x) + 0.1 * torch.randn(2000, 1)

    def loss(m):
        return float((m(x) - y).square().mean())

    result = tamade(layer, loss, ["weight"], delta=0.01, resolution=1e-7)
    # pruning the two small weights costs ~5e-6 on an MSE of ~0.01 (< 1 %); pruning 0.5 costs 0.25
    assert 0.5 - 1e-7 < result.threshold <= 0.5
    assert result.masks["weight"].tolist() == [[False, False, True, True]]
    assert result.loss_after <= 1.01 * result.loss_before
    assert torch.equal(layer.weight, torch.tensor([[1e-3, -2e-3, 0.5, -1.0]]))  # the model is unchanged


def test_random_gradient_pruning_removes_exactly_the_weights_with_zero_gradient():
    torch.manual_seed(0)
    model = models.build("mlp_w8_d2", (4,), 3).eval()  # body.0: 4→8, body.2: 8→8, head: 8→3
    with torch.no_grad():  # every other unit always fires on N(0, 1) inputs, so all else has gradient ≠ 0
        model.body[0].bias.fill_(20.0)
        model.body[2].bias.fill_(20.0)
        model.body[0].bias[2] = -1e4  # hidden unit 2 of layer 1 never fires: its inputs and outputs are dead
        model.head.weight[:, 5] = 0.0  # unit 5 of layer 2 reaches nothing: its inputs and bias are dead
    names = ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias", "head.weight", "head.bias"]
    masks = random_gradient_masks(model, names, (4,), samples=500, seed=0)
    expected = {n: torch.ones_like(model.get_parameter(n), dtype=torch.bool) for n in names}
    expected["body.0.weight"][2, :] = False
    expected["body.0.bias"][2] = False
    expected["body.2.weight"][:, 2] = False
    expected["body.2.weight"][5, :] = False
    expected["body.2.bias"][5] = False
    expected["head.weight"][:, 5] = False  # already zero
    for n in names:
        assert torch.equal(masks[n], expected[n]), n


def toy(n=240, seed=0):
    """A learnable 3-class problem on 6 × 6 views: the mean brightness of three bands gives the label."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 6, 6, 1), dtype=np.float32)
    y = np.argmax(x.reshape(n, 3, 12).mean(axis=2), axis=1)
    return x[:200], y[:200], x[200:], y[200:]


CONFIG = TrainConfig(epochs=3, batch_size=50, lr=3e-3, optimizer="adam", weight_decay=0.0, progress=False)


def test_rl1_keeps_pruned_parameters_exactly_zero_through_fine_tuning():
    settings = L0Settings(alpha=0.2, finetune_epochs=2)
    result = run_classifier("rl1", "lenet300", *toy(), 3, CONFIG, settings, seed=0)
    state = result.model.state_dict()
    pruned = 0
    for name, mask in result.masks.items():
        assert (state[name][~mask] == 0).all(), name
        pruned += int((~mask).sum())
    assert pruned > 0 and "bias" in " ".join(n for n, m in result.masks.items() if not m.all())
    assert result.metrics["nonzero_prunable_parameters"] == sum(int(m.sum()) for m in result.masks.values())
    phases = result.history["phase"].value_counts().to_dict()
    assert phases == {"regularised": 3, "finetune": 2}
    # the survivors did train in the fine-tuning phase
    assert result.metrics["test_loss"] != result.metrics["test_loss_after_pruning"]


def test_magnitude_baseline_removes_the_requested_fraction():
    settings = L0Settings(sparsity=0.75, finetune_epochs=1, include_biases=False)
    result = run_classifier("magnitude", "lenet300", *toy(), 3, CONFIG, settings, seed=0)
    total = result.metrics["prunable_parameters"]
    assert total == result.metrics["total_weights"]
    assert total - result.metrics["nonzero_prunable_parameters"] == int(np.floor(0.75 * total))
