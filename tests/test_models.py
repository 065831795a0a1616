"""Model registry: every model takes every view shape, exposes features, and carries its standardization."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from shrinkflow import models
from shrinkflow.models import base

torch.set_num_threads(1)

VIEW_SHAPES = [(28, 28, 1), (14, 14, 1), (8, 8, 1), (64,), (32, 32, 3), (16,), (1, 1, 1)]
FEATURE_DIMS = {
    "cnn1d_paper": 128, "lenet300": 100, "cnn2d": 128, "cnn2d_bn": 128, "resnet20": 64, "resnet110": 64,
    "alexnet": 256, "vgg19_bn": 512, "lenet5": 84,
}  # fmt: skip


def test_registry_lists_every_model_sorted():
    assert models.names() == sorted(FEATURE_DIMS)
    for name in models.names():
        assert models.get(name).name == name
        assert models.get(name).description


def test_unknown_model_names_the_allowed_ones():
    with pytest.raises(models.ModelError, match=r"unknown model 'vgg'.*cnn1d_paper"):
        models.build("vgg", (8, 8, 1), 10)


@pytest.mark.parametrize("name", sorted(FEATURE_DIMS))
@pytest.mark.parametrize("shape", VIEW_SHAPES, ids=str)
def test_forward_and_features_on_every_view_shape(name, shape):
    torch.manual_seed(0)
    model = models.build(name, shape, 10).eval()
    x = torch.rand(3, *shape)
    feats = model.features(x)
    logits = model(x)
    assert feats.shape == (3, FEATURE_DIMS[name])
    assert logits.shape == (3, 10) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    assert torch.equal(logits, model.head(feats))


def test_wrong_sample_shape_is_an_error_naming_both_shapes():
    model = models.build("cnn1d_paper", (8, 8, 1), 10)
    with pytest.raises(models.ModelError, match=r"\(14, 14, 1\).*\(8, 8, 1\)"):
        model(torch.zeros(2, 14, 14, 1))


def test_standardize_buffers_are_in_the_state_dict_and_applied():
    model = models.build("lenet300", (4, 4, 1), 3).eval()
    state = model.state_dict()
    assert float(state["standardize.input_mean"]) == 0.0 and float(state["standardize.input_std"]) == 1.0
    x = torch.rand(5, 4, 4, 1)
    plain = model(x)
    model.standardize.set_statistics(0.25, 2.0)
    assert float(model.state_dict()["standardize.input_mean"]) == 0.25
    # (x - 0.25) / 2 fed to the unstandardized network gives the same logits
    model2 = models.build("lenet300", (4, 4, 1), 3).eval()
    model2.load_state_dict({**model.state_dict(), "standardize.input_mean": torch.tensor(0.0),
                            "standardize.input_std": torch.tensor(1.0)})  # fmt: skip
    assert torch.allclose(model(x), model2((x - 0.25) / 2.0))
    assert not torch.allclose(model(x), plain)


def test_degenerate_std_falls_back_to_one():
    s = models.Standardize()
    s.set_statistics(0.5, 0.0)
    assert float(s.input_std) == 1.0


def test_cnn1d_paper_layers_follow_the_paper_with_kernel_3_padding_1():
    model = models.build("cnn1d_paper", (28, 28, 1), 10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 16, (3,), (1,)),
        (16, 32, (3,), (1,)),
    ]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(32 * 196, 128), (128, 10)]
    # 16 values: 16 → 8 → 4 positions
    short = models.build("cnn1d_paper", (16,), 10)
    assert [m.in_features for m in short.modules() if isinstance(m, nn.Linear)] == [32 * 4, 128]


@pytest.mark.parametrize("length", [1, 2, 7, 784])
def test_pair_max_pool_matches_max_pool1d_values_and_gradients(length):
    """Ties (ReLU zeros, repeated values, +0 beside −0) send the gradient to the first of a pair in both, NaN
    wins a pair; an odd last value is a window of its own."""
    torch.manual_seed(length)
    x = torch.relu(torch.randn(3, 4, length)).round(decimals=1)  # many exact ties
    x[0, 0, :2] = 0.7
    special = torch.tensor([-0.0, 0.0, 0.0, -0.0, float("nan"), 1.0, 1.0, float("nan"), float("nan"),
                            float("nan"), float("-inf"), -1.0, 2.0, float("inf")])  # fmt: skip
    x[1, 1, : min(length, special.numel())] = special[:length]
    fast, plain = x.clone().requires_grad_(), x.clone().requires_grad_()
    y_fast, y_plain = base.PairMaxPool1d()(fast), nn.MaxPool1d(2, ceil_mode=True)(plain)
    weight = torch.randn_like(y_plain)
    (y_fast * weight).sum().backward()
    (y_plain * weight).sum().backward()
    assert same_bits(y_fast, y_plain)  # bit patterns: NaN equals NaN, −0 differs from +0
    assert same_bits(fast.grad, plain.grad)
    with torch.inference_mode():  # no gradient needed: PyTorch's kernel
        assert same_bits(base.PairMaxPool1d()(x), y_plain)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.equal(a.detach().view(torch.int32), b.detach().view(torch.int32))


def test_cnn1d_paper_trains_to_the_same_bytes_as_with_max_pool1d():
    """The pool is a speed change only: the same init and batches give bit-identical weights."""
    torch.manual_seed(0)
    fast = models.build("cnn1d_paper", (5, 5, 1), 10)
    plain = copy.deepcopy(fast)
    for i, module in enumerate(plain.body):
        if isinstance(module, base.PairMaxPool1d):
            plain.body[i] = nn.MaxPool1d(2, ceil_mode=True)
    assert sum(isinstance(m, base.PairMaxPool1d) for m in fast.modules()) == 2
    assert not any(isinstance(m, base.PairMaxPool1d) for m in plain.modules())
    x, y = torch.rand(64, 5, 5, 1), torch.randint(0, 10, (64,))
    for model in (fast, plain):
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for step in range(3):
            batch = slice(step * 16, step * 16 + 32)
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    for (name, a), b in zip(fast.state_dict().items(), plain.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_lenet300_parameter_count():
    model = models.build("lenet300", (28, 28, 1), 10)
    assert sum(p.numel() for p in model.parameters()) == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10


def test_resnet20_has_20_weight_layers_and_option_a_shortcuts():
    model = models.build("resnet20", (32, 32, 3), 10)
    weighted = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert len(weighted) == 20  # 1 + 3 stages × 3 blocks × 2 convs + FC
    # option A adds no parameters; He et al. 2016 Table 6 rounds this count to 0.27M
    assert sum(p.numel() for p in model.parameters()) == 269_722


def test_cnn2d_bn_differs_from_cnn2d_only_by_batchnorm():
    plain = models.build("cnn2d", (28, 28, 1), 10)
    bn = models.build("cnn2d_bn", (28, 28, 1), 10)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in bn.modules()) == 2
    shapes = lambda m: [c.weight.shape for c in m.modules() if isinstance(c, nn.Conv2d)]  # noqa: E731
    assert shapes(plain) == shapes(bn)


def test_projection_vectors_are_zero_padded_to_a_square():
    assert models.image_geometry((64,)) == (1, 8, 8)
    assert models.image_geometry((50,)) == (1, 8, 8)
    assert models.image_geometry((32, 32, 3)) == (3, 32, 32)
    layout = models.ToImage((50,))
    x = torch.arange(1.0, 51.0).reshape(1, 50)
    img = layout(x)
    assert img.shape == (1, 1, 8, 8)
    assert torch.equal(img.flatten()[:50], x[0]) and torch.equal(img.flatten()[50:], torch.zeros(14))


def test_channels_last_inputs_are_permuted_not_reshaped():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)  # N×H×W×C
    assert torch.equal(models.ToImage((3, 4, 5))(x), x.permute(0, 3, 1, 2))


def test_the_correctness_preserving_architectures_have_their_published_structure():
    """AlexNet (no BatchNorm), VGG-19-BN (16 convs, each followed by BN), ResNet-110 (110 weight layers)."""

    def count(model, kind):
        return sum(isinstance(m, kind) for m in model.modules())

    alex = models.build("alexnet", (32, 32, 3), 10)
    assert count(alex, nn.Conv2d) == 5 and count(alex, nn.BatchNorm2d) == 0 and count(alex, nn.Linear) == 1
    vgg = models.build("vgg19_bn", (32, 32, 3), 10)
    assert count(vgg, nn.Conv2d) == 16 and count(vgg, nn.BatchNorm2d) == 16 and count(vgg, nn.Linear) == 1
    resnet = models.build("resnet110", (32, 32, 3), 10)
    assert count(resnet, nn.Conv2d) + count(resnet, nn.Linear) == 110


def test_torch_free_names_match_the_registry():
    from shrinkflow.models import registry

    assert sorted(registry.REGISTRY) == models.names()
