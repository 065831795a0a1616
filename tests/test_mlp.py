"""The parametric MLP family: names parse one way, ranges are enforced, depth counts hidden layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from shrinkflow import models
from shrinkflow.models import ModelError
from shrinkflow.models.mlp import mlp


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize(("depth", "width"), [(1, 8), (2, 32), (4, 5)])
def test_depth_counts_hidden_layers(depth, width):
    model = models.build(f"mlp_w{width}_d{depth}", (6, 6, 1), 3)
    layers = linear_layers(model)
    assert len(layers) == depth + 1  # depth hidden layers + the head
    assert [(m.in_features, m.out_features) for m in layers] == (
        [(36, width)] + [(width, width)] * (depth - 1) + [(width, 3)]
    )
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == depth
    assert model.features(torch.zeros(2, 6, 6, 1)).shape == (2, width)
    assert model(torch.zeros(2, 6, 6, 1)).shape == (2, 3)


def test_hintons_mnist_student_has_784_800_800_10_layers():
    model = models.build("mlp_w800_d2", (28, 28, 1), 10)
    assert [m.out_features for m in linear_layers(model)] == [800, 800, 10]
    assert sum(p.numel() for p in model.parameters()) == 784 * 800 + 800 + 800 * 800 + 800 + 800 * 10 + 10


def test_mlp_names_are_models_but_not_listed():
    assert models.is_model_name("mlp_w128_d3") and models.is_model_name("lenet300")
    assert not any(n.startswith("mlp_") for n in models.names())
    spec = models.get("mlp_w128_d3")
    assert spec.name == "mlp_w128_d3" and "3 hidden layers of width 128" in spec.description
    assert models.parse_mlp_name("mlp_w8192_d16") == (8192, 16)
    assert models.MLP_PATTERN.fullmatch("mlp_w1_d1")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("mlp_w0_d3", "width 0 is out of range; allowed: 1–8192"),
        ("mlp_w8193_d3", "width 8193 is out of range; allowed: 1–8192"),
        ("mlp_w64_d0", "depth 0 is out of range; allowed: 1–16"),
        ("mlp_w64_d17", "depth 17 is out of range; allowed: 1–16"),
        ("mlp_w064_d3", "leading zero; write it as 'mlp_w64_d3'"),
        ("mlp_w64", "not an MLP name"),
        ("mlp_wx_d3", "not an MLP name"),
    ],
)
def test_bad_mlp_names_are_rejected_naming_the_allowed_range(name, message):
    assert not models.is_model_name(name)
    with pytest.raises(ModelError, match=message):
        models.build(name, (6, 6, 1), 3)


def test_unknown_names_mention_the_mlp_family():
    with pytest.raises(ModelError, match=r"mlp_w\{width\}_d\{depth\}"):
        models.get("perceptron")


def test_direct_builder_checks_ranges():
    with pytest.raises(ModelError, match="depth must be an integer in"):
        mlp((4,), 2, width=3, depth=0)
