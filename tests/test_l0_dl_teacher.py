"""Description length arithmetic, model bytes both ways, the teacher–student generator and the MSE trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from shrinkflow import models
from shrinkflow.l0 import L0Settings
from shrinkflow.l0.dl import (
    classification_data_bytes,
    compressed_model,
    description_length,
    dl_report,
    four_bytes_per_nonzero,
    gaussian_code_bits,
    regression_data_bytes,
    stored_bytes,
)
from shrinkflow.l0.procedure import run_regression
from shrinkflow.l0.regression import RegressionConfig, train_regression
from shrinkflow.l0.teacher import TanhMLP, student_network, teacher_network, teacher_student_data
from shrinkflow.model_compression.payload import from_bytes, save, to_bytes


def same_state(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_classification_data_bytes_by_hand():
    # 8·ln 2 nats per label = 8 bits = 1 byte; 10 labels → 10 bytes
    assert classification_data_bytes(8 * math.log(2), 10) == pytest.approx(10.0)
    assert classification_data_bytes(0.5, 1000) == pytest.approx(0.5 * 1000 / (8 * math.log(2)))


def test_gaussian_code_length_is_the_facts_formula():
    # MSE = σ² = 0.25: 1 / (2 ln 2) + ½·log2(0.25) = 0.7213… − 1 bits per sample
    assert gaussian_code_bits(0.25, sigma=0.5) == pytest.approx(1 / (2 * math.log(2)) - 1.0)
    learned = 1 / (2 * math.log(2)) + 0.5 * math.log2(0.01)
    assert gaussian_code_bits(0.01, sigma=None) == pytest.approx(learned)
    assert regression_data_bytes(0.25, 16, sigma=0.5) == pytest.approx(2 * (1 / (2 * math.log(2)) - 1.0))
    # the learned σ minimises the code length
    assert gaussian_code_bits(0.01) < min(gaussian_code_bits(0.01, s) for s in (0.08, 0.12))
    with pytest.raises(ValueError, match="σ²"):
        gaussian_code_bits(0.0)


def test_model_bytes_both_ways_and_dl_on_a_pruned_registry_model(tmp_path):
    torch.manual_seed(0)
    model = models.build("lenet300", (28, 28, 1), 10).eval()
    with torch.no_grad():
        model.body[0].weight[:, :700] = 0  # 300·700 zeros
        model.head.bias.zero_()
    nonzero = sum(p.numel() for p in model.parameters()) - 300 * 700 - 10
    assert four_bytes_per_nonzero(model) == 4 * nonzero
    compressed = compressed_model(model, "lenet300")
    path = tmp_path / "model.bin"
    assert stored_bytes(model, "lenet300") == save(compressed, path) == path.stat().st_size
    reloaded = from_bytes(path.read_bytes()).module
    assert same_state(model, reloaded)
    report = dl_report(model, "lenet300", loss=8 * math.log(2), n=100)
    assert report["data_bytes"] == pytest.approx(100.0)
    assert report["dl_bytes_four_per_nonzero"] == pytest.approx(4 * nonzero + 100.0)
    assert report["dl_bytes_stored"] == pytest.approx(len(to_bytes(compressed)) + 100.0)
    assert description_length(10, 2.5) == 12.5


def test_teacher_student_data_is_deterministic_per_seed_with_the_stated_shapes():
    a = teacher_student_data(n_train=100, n_val=50, n_test=5000, seed=3)
    b = teacher_student_data(n_train=100, n_val=50, n_test=5000, seed=3)
    c = teacher_student_data(n_train=400, n_val=50, n_test=5000, seed=3)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.x_train.shape == (100, 2) and a.y_train.shape == (100, 1) and a.x_test.shape == (5000, 2)
    assert a.x_train.dtype == np.float32 and np.abs(a.x_train).max() <= 1.0
    assert np.array_equal(a.x_test, c.x_test) and np.array_equal(a.y_val, c.y_val)  # only n_train changed
    assert not np.array_equal(a.x_train, teacher_student_data(100, 50, 50, seed=4).x_train)
    residual = a.y_test - a.teacher(torch.from_numpy(a.x_test)).detach().numpy()
    assert residual.std() == pytest.approx(0.08, rel=0.05)
    assert a.teacher_parameters == 2 * 5 + 5 + 5 * 8 + 8 + 8 + 1


def test_teacher_weights_are_scaled_as_stated():
    plain, scaled = teacher_network(1, scaling=1.0), teacher_network(1, scaling=2.0)
    w1, s1 = plain.layers[0].weight, scaled.layers[0].weight  # w + 0.5 and 2w + 1
    assert torch.allclose(s1, 2 * (w1 - 0.5) + 1)
    assert torch.allclose(scaled.layers[2].weight, 2 * plain.layers[2].weight)
    assert torch.equal(scaled.layers[4].weight, plain.layers[4].weight)
    assert [type(m) for m in scaled.layers] == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]
    assert isinstance(student_network(0), TanhMLP) and student_network(0).sizes == (2, 25, 25, 1)


def test_regression_trainer_is_deterministic_and_learns():
    data = teacher_student_data(n_train=300, n_val=200, n_test=500, seed=0)
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val, data.x_test, data.y_test)
    config = RegressionConfig(epochs=60, batch_size=100, lr=1e-2, threads=1)
    one = train_regression(student_network(0), *arrays, config, seed=0)
    two = train_regression(student_network(0), *arrays, config, seed=0)
    assert same_state(one.model, two.model)
    assert one.history["test_mse"].iloc[-1] < 0.5 * one.history["test_mse"].iloc[0]


def test_regularised_student_goes_through_the_whole_procedure():
    data = teacher_student_data(n_train=300, n_val=200, n_test=500, seed=0)
    config = RegressionConfig(epochs=60, batch_size=100, lr=1e-2, threads=1)
    result = run_regression("drr", data, config, L0Settings(alpha=0.05, finetune_epochs=10), seed=0)
    m = result.metrics
    assert 0 < m["sparsity"] < 1 and m["nonzero_parameters"] < 2 * 25 + 25 + 25 * 25 + 25 + 25 + 1
    assert m["data_bytes"] == pytest.approx(regression_data_bytes(m["train_loss"], 300))
    assert m["teacher_parameters"] == 72 and m["test_mse"] == m["test_loss"]
