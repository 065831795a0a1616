"""Model compression: fine-tuning inside the compressed set, Condensa's LC, the accuracy-targeted search and
the throughput measurement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shrinkflow.model_compression.measure import compare_throughput, sparse_linear_copy
from shrinkflow.model_compression.payload import from_bytes, to_bytes
from shrinkflow.model_compression.recovery import LCSettings, recover
from shrinkflow.model_compression.schemes import compress, magnitude_masks, project_weights
from shrinkflow.model_compression.search import candidate_amounts, search_amount
from shrinkflow.training import TrainConfig, train

WEIGHTS = ("body.0.weight", "body.2.weight", "head.weight")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def task():
    """A learnable 2-class problem on 6 × 6 views and a lenet300 trained on it for 3 epochs."""
    rng = np.random.default_rng(0)
    x = rng.random((160, 6, 6, 1), dtype=np.float32)
    y = (x[:, :3].sum(axis=(1, 2, 3)) > x[:, 3:].sum(axis=(1, 2, 3))).astype(np.int64)
    data = (x[:128], y[:128], x[128:], y[128:])
    config = TrainConfig(epochs=3, batch_size=32, lr=0.05, progress=False)
    base = train("lenet300", *data, num_classes=2, config=config, seed=0)
    return base.model, data


def finetune(task, scheme, amount, epochs=1, method="finetune", **kwargs):
    model, data = task
    config = TrainConfig(epochs=epochs, batch_size=32, lr=0.02, progress=False)
    return recover(model, "lenet300", scheme, amount, *data, 2, config, seed=1, method=method, **kwargs)


def test_masked_finetuning_keeps_pruned_weights_exactly_zero_and_changes_the_survivors(task):
    before = compress(task[0], "lenet300", "prune_global", 0.8)
    after = finetune(task, "prune_global", 0.8, epochs=2).compressed
    state, old = after.module.state_dict(), before.module.state_dict()
    for name in WEIGHTS:
        mask = before.masks()[name]
        assert torch.equal(after.masks()[name], mask)
        assert (state[name][~mask] == 0).all() and (state[name][mask] != old[name][mask]).float().mean() > 0.9
    assert not torch.equal(state["body.0.bias"], old["body.0.bias"])  # biases train freely


def test_quantized_finetuning_stays_on_the_grid_and_reloads_identically(task):
    result = finetune(task, "quantize_int", 3)
    codes = result.compressed.codes["body.0.weight"]
    w = result.compressed.module.state_dict()["body.0.weight"]
    per_row = torch.tensor([len(torch.unique(row)) for row in w])
    assert per_row.max() <= 7  # q ∈ {−3, …, 3}
    first = compress(task[0], "lenet300", "quantize_int", 3)
    assert not torch.equal(w, first.module.state_dict()["body.0.weight"]) and codes.bits == 3
    reloaded = from_bytes(to_bytes(result.compressed)).module
    x = torch.as_tensor(task[1][2])
    with torch.inference_mode():
        assert torch.equal(reloaded(x), result.compressed.module(x))


def test_kmeans_finetuning_trains_the_codebook_with_the_assignment_fixed(task):
    first = compress(task[0], "lenet300", "kmeans", 2)
    after = finetune(task, "kmeans", 2).compressed
    old, new = first.codes["body.2.weight"], after.codes["body.2.weight"]
    assert np.array_equal(old.data, new.data) and not np.array_equal(old.codebook, new.codebook)
    assert len(torch.unique(after.module.state_dict()["body.2.weight"])) <= 4


def test_structured_finetuning_trains_the_shrunk_network(task):
    result = finetune(task, "prune_structured", 0.5)
    assert tuple(result.compressed.module.body[0].weight.shape) == (150, 36)
    assert result.metrics["recovery_epochs"] == 1 and len(result.history) == 1


def test_lc_ends_in_the_compressed_set_with_a_growing_penalty(task):
    lc = LCSettings(mu_init=1e-2, mu_factor=2.0, mu_max=0.03)
    result = finetune(task, "prune_global", 0.8, epochs=3, method="lc", lc=lc)
    assert result.history["lc_mu"].tolist() == [0.01, 0.02, 0.03]
    state = result.compressed.module.state_dict()
    total = sum(state[k].numel() for k in WEIGHTS)
    assert sum(int((state[k] == 0).sum()) for k in WEIGHTS) == int(0.8 * total)
    projected = project_weights(result.compressed.module, "prune_global", 0.8)
    assert all(torch.equal(projected[k], state[k]) for k in WEIGHTS)  # a fixed point of the projection
    last = result.history["lc_projected_test_accuracy"].iloc[-1]
    assert result.metrics["test_accuracy"] == pytest.approx(last)


def test_zero_epochs_is_post_training_compression(task):
    result = finetune(task, "prune_layer", 0.5, epochs=0)
    direct = compress(task[0], "lenet300", "prune_layer", 0.5)
    assert to_bytes(result.compressed) == to_bytes(direct) and result.history.empty
    assert result.metrics["test_accuracy"] == result.metrics["test_accuracy_post_training"]
    masks = magnitude_masks({k: task[0].state_dict()[k] for k in WEIGHTS}, 0.5, "layer")
    assert all(torch.equal(direct.masks()[k], masks[k]) for k in WEIGHTS)


# ---- search --------------------------------------------------------------------------------------------


def curve(s: float) -> float:
    """A monotone accuracy curve whose edge at target 0.98 (ε = 0.01) is s* = 0.83 + 0.02^(2/3) ≈ 0.9037."""
    return 0.99 - 0.5 * max(0.0, s - 0.83) ** 1.5


def test_the_search_finds_the_highest_feasible_sparsity_within_ten_evaluations():
    calls = []
    candidates = candidate_amounts("prune_global", 0.001, 0.999)
    result = search_amount(
        lambda s: calls.append(s) or curve(s), candidates, reference_accuracy=0.99, tolerance=0.01, seed=0
    )
    for method in ("optuna", "bisection"):
        found = result[method]
        assert found["met"] and found["num_evaluations"] <= 10, found
        assert 0.8937 <= found["amount"] <= 0.9037 and found["accuracy"] >= 0.98  # stated tolerance: 0.01
        assert all(p["feasible"] == (p["accuracy"] >= 0.98) for p in found["evaluations"])
    assert len(calls) == len(set(calls)) == result["distinct_evaluations"]  # cached: never twice


def test_an_unreachable_target_is_reported_with_the_best_point():
    result = search_amount(lambda s: 0.9 - s, candidate_amounts("prune_global"), 0.99, 0.01, seed=3)
    for method in ("optuna", "bisection"):
        assert not result[method]["met"] and result[method]["num_evaluations"] <= 10
        assert result[method]["amount"] == min(p["amount"] for p in result[method]["evaluations"])


def test_the_bit_width_search_finds_the_fewest_bits():
    accuracy = {8: 0.99, 4: 0.985, 3: 0.97, 2: 0.6}
    result = search_amount(accuracy.__getitem__, candidate_amounts("quantize_int"), 0.99, 0.01)
    assert result["optuna"]["amount"] == result["bisection"]["amount"] == 4


# ---- measurement ---------------------------------------------------------------------------------------


def test_throughput_is_reported_per_batch_size_with_speedups(task):
    dense = task[0]
    pruned = compress(dense, "lenet300", "prune_global", 0.9).module
    variants = {"dense": dense, "pruned": pruned, "sparse": sparse_linear_copy(pruned)}
    out = compare_throughput(variants, (6, 6, 1), batch_sizes=(1, 8), repeats=3, min_repeat_seconds=0.002)
    assert out["dense_images_per_second_batch8"] > 0 and out["pruned_speedup_batch1"] > 0
    x = torch.randn(4, 6, 6, 1)
    with torch.inference_mode():
        torch.testing.assert_close(sparse_linear_copy(pruned)(x), pruned(x))
