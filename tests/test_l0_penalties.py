"""ℓ0 methods: the penalties (DRR, ℓ1, ℓ2, PMMP) and their gradients on hand-made tensors, PMMP's min–max
mechanics, and the registry's setting checks."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from shrinkflow import l0
from shrinkflow.l0.penalties import PenaltyHook, drr_penalty, l1_penalty, l2_penalty, prunable_names
from shrinkflow.l0.pmmp import PMMPError, PMMPHook, _PMMPTerm, pmmp_constraint

W = torch.tensor([0.0, 0.5, -1.0, 2.0], dtype=torch.float64)


def grad_of(fn, w):
    w = w.clone().requires_grad_(True)
    value = fn(w)
    value.backward()
    return float(value.detach()), w.grad


def test_drr_value_and_gradient_by_hand():
    alpha, beta = 2.0, 3.0
    value, grad = grad_of(lambda w: drr_penalty(w, alpha, beta), W)
    expected = alpha * sum(1 - math.exp(-beta * abs(float(w))) for w in W)
    assert value == pytest.approx(expected, rel=1e-12)
    by_hand = [alpha * beta * math.copysign(math.exp(-beta * abs(w)), w) if w else 0.0 for w in W.tolist()]
    assert torch.allclose(grad, torch.tensor(by_hand, dtype=torch.float64), rtol=1e-12)


def test_l1_and_l2_values_and_gradients_by_hand():
    value, grad = grad_of(lambda w: l1_penalty(w, 0.5), W)
    assert value == pytest.approx(0.5 * 3.5)
    assert torch.equal(grad, torch.tensor([0.0, 0.5, -0.5, 0.5]).double())
    value, grad = grad_of(lambda w: l2_penalty(w, 0.25), W)
    assert value == pytest.approx(0.25 * 5.25) and torch.allclose(grad, 2 * 0.25 * W)


def tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))


@pytest.mark.parametrize("include_biases", [True, False])
def test_penalty_hook_adds_the_penalty_over_prunable_parameters_divided_by_n(include_biases):
    net = tiny_net()
    hook = PenaltyHook("drr", alpha=2.0, beta=3.0, rho=0.1, include_biases=include_biases)
    hook.setup(net, torch.zeros(8, 3), torch.zeros(8))
    names = ["0.weight", "0.bias", "2.weight", "2.bias"] if include_biases else ["0.weight", "2.weight"]
    assert prunable_names(net, include_biases) == names
    params = [net.get_parameter(n) for n in names]
    expected = sum(drr_penalty(p, 2.0, 3.0) + l2_penalty(p, 0.1) for p in params) / 8
    term = hook.loss_term(net, None, None, None, None, 1)
    assert torch.allclose(term, expected)
    term.backward()
    assert all(p.grad is not None for p in params)


def test_pmmp_constraint_is_the_expected_squared_distance_by_enumeration():
    theta = torch.tensor([0.3, -1.2, 0.0], dtype=torch.float64)
    w = torch.tensor([0.5, -1.0, 0.7], dtype=torch.float64)
    pi = torch.tensor([0.25, 0.9, 0.0], dtype=torch.float64)
    expectation = 0.0
    for z in itertools.product((0, 1), repeat=3):
        zt = torch.tensor(z, dtype=torch.float64)
        prob = float(torch.prod(torch.where(zt == 1, pi, 1 - pi)))
        expectation += prob * float((theta - w * zt).square().sum())
    assert float(pmmp_constraint(theta, w, pi).sum()) == pytest.approx(expectation, rel=1e-12)


def pmmp_setup(multiplier="scalar", alpha=0.5):
    net = tiny_net()
    hook = PMMPHook(alpha=alpha, multiplier=multiplier, u_factor=1.0)
    model = hook.wrap_model(net)
    hook.setup(model, torch.zeros(4, 3), torch.zeros(4))
    return hook, model


@pytest.mark.parametrize("multiplier", ["scalar", "per_weight"])
def test_pmmp_term_is_alpha_sum_pi_plus_u_times_the_expected_distance(multiplier):
    hook, model = pmmp_setup(multiplier)
    with torch.no_grad():
        for theta, w, pi, u in zip(model.thetas(), model.w, model.pi, model.u, strict=True):
            w.copy_(theta * 1.5 + 0.1)
            pi.uniform_(0, 1)
            u.fill_(0.7)
    term = hook.loss_term(model, None, None, None, None, 1)
    expected = 0.0
    with torch.no_grad():
        for theta, w, pi in zip(model.thetas(), model.w, model.pi, strict=True):
            expected += 0.5 * float(pi.sum()) + 0.7 * float(pmmp_constraint(theta, w, pi).sum())
    assert float(term.detach()) == pytest.approx(expected / 4, rel=1e-6)


@pytest.mark.parametrize("multiplier", ["scalar", "per_weight"])
def test_pmmp_hand_written_gradients_match_autograd_of_the_formula(multiplier):
    torch.manual_seed(1)
    alpha, rho, factor, n = 0.3, 0.2, 1.5, 4.0
    theta, w, pi = torch.randn(5, 3).double(), torch.randn(5, 3).double(), torch.rand(5, 3).double()
    u = torch.rand(5, 3).double() if multiplier == "per_weight" else torch.tensor(0.7).double()
    leaves = [t.clone().requires_grad_(True) for t in (theta, w, pi, u)]
    reference = (alpha * leaves[2].sum() + rho * leaves[0].square().sum()
                 + factor * (leaves[3] * pmmp_constraint(*leaves[:3])).sum()) / n  # fmt: skip
    reference.backward()
    fused = [t.clone().requires_grad_(True) for t in (theta, w, pi, u)]
    value = _PMMPTerm.apply(*fused, alpha, rho, factor, 1 / n)
    (2.0 * value).backward()  # an outer factor exercises the backward's scaling
    assert float(value.detach()) == pytest.approx(float(reference.detach()), rel=1e-12)
    for ref, got, sign in zip(leaves, fused, (1, 1, 1, -1), strict=True):  # u's gradient is negated
        assert torch.allclose(got.grad, 2.0 * sign * ref.grad, rtol=1e-12, atol=1e-15)


def test_pmmp_multiplier_gets_the_negated_constraint_gradient_so_descent_ascends():
    hook, model = pmmp_setup("scalar")
    with torch.no_grad():
        for theta, w in zip(model.thetas(), model.w, strict=True):
            w.copy_(theta + 0.2)  # a violated constraint (π = 1: E‖θ − w z‖² = Σ 0.04)
    hook.loss_term(model, None, None, None, None, 1).backward()
    for theta, w, pi, u in zip(model.thetas(), model.w, model.pi, model.u, strict=True):
        c = float(pmmp_constraint(theta, w, pi).sum().detach())
        assert float(u.grad) == pytest.approx(-c / 4, rel=1e-5)  # ascent on u
        assert torch.allclose(pi.grad, torch.full_like(pi, 0.5 / 4))  # α/N (u = 0 at start)
    before = [float(u.detach()) for u in model.u]
    torch.optim.SGD(model.parameters(), lr=1.0).step()
    assert all(float(u.detach()) > b for u, b in zip(model.u, before, strict=True))


def test_pmmp_projects_pi_into_the_unit_interval_and_fails_loudly_on_nan():
    hook, model = pmmp_setup()
    with torch.no_grad():
        model.pi[0].fill_(1.5)
        model.pi[1].fill_(-0.2)
    hook.loss_term(model, None, None, None, None, 3)
    assert float(model.pi[0].detach().max()) == 1.0 and float(model.pi[1].detach().min()) == 0.0
    with torch.no_grad():
        model.pi[2].fill_(float("nan"))
    with pytest.raises(PMMPError, match="epoch 3, step 1"):
        hook.loss_term(model, None, None, None, None, 3)


def test_pmmp_refuses_weight_decay_and_exports_the_network():
    with pytest.raises(ValueError, match="weight_decay"):
        PMMPHook(alpha=1.0, weight_decay=1e-4)
    hook, model = pmmp_setup()
    assert isinstance(hook.export_model(model), nn.Sequential)


@pytest.mark.parametrize(
    ("method", "changes", "match"),
    [
        ("drr", {"alpha": -1.0}, "alpha"),
        ("drr", {"beta": 0.0}, "beta"),
        ("tamade", {"delta": -0.01}, "delta"),
        ("magnitude", {}, "sparsity"),
        ("pmmp", {"multiplier": "layer"}, "multiplier"),
    ],
)
def test_settings_out_of_range_are_named(method, changes, match):
    with pytest.raises(l0.L0SettingsError, match=match):
        l0.validate(method, l0.L0Settings(**changes))


def test_unknown_setting_and_method_are_errors_listing_the_allowed():
    with pytest.raises(l0.L0SettingsError, match="allowed"):
        l0.settings_from({"alpha": 1.0, "gamma": 2})
    with pytest.raises(ValueError, match="pmmp"):
        l0.get("l0-magic")


def test_the_registry_imports_without_torch():
    code = (
        "import sys, shrinkflow.l0 as m; m.names(); m.validate('drr', m.L0Settings()); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
