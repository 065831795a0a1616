"""shrinkflow.optim: torch's SGD/Adam updates bit for bit, without importing torch._dynamo."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from shrinkflow import optim

CASES = {
    "sgd": (optim.SGD, torch.optim.SGD, {"lr": 0.1}),
    "sgd_momentum_decay": (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4}),
    "sgd_nesterov": (optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "adam": (optim.Adam, torch.optim.Adam, {"lr": 1e-2}),
    "adam_decay_amsgrad": (optim.Adam, torch.optim.Adam, {"lr": 1e-2, "weight_decay": 1e-3, "amsgrad": True}),
    "adam_fused": (optim.Adam, torch.optim.Adam, {"lr": 1e-2, "fused": True}),
}


def _net() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 14, 3))


def _run(cls, kwargs, steps=6):
    """``steps`` updates on fixed batches, the learning rate changed halfway as the trainers' schedules do."""
    model = _net()
    opt = cls(model.parameters(), **kwargs)
    gen = torch.Generator().manual_seed(0)
    for i in range(steps):
        if i == steps // 2:
            for group in opt.param_groups:
                group["lr"] = group["lr"] * 0.3
        x = torch.randn(8, 1, 16, generator=gen)
        y = torch.randint(0, 3, (8,), generator=gen)
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize("case", sorted(CASES))
def test_updates_and_state_are_torchs_bit_for_bit(case):
    ours_cls, torch_cls, kwargs = CASES[case]
    (ours, ours_opt), (ref, ref_opt) = _run(ours_cls, kwargs), _run(torch_cls, kwargs)
    assert isinstance(ours_opt, torch_cls)
    for (name, a), b in zip(ours.named_parameters(), ref.parameters(), strict=True):
        assert torch.equal(a, b), name
    assert not torch.equal(_net()[0].weight, ours[0].weight)  # the steps did change the weights
    ours_state, ref_state = ours_opt.state_dict(), ref_opt.state_dict()
    assert ours_state["param_groups"] == ref_state["param_groups"]
    assert ours_state["state"].keys() == ref_state["state"].keys()
    for k, slots in ours_state["state"].items():
        for slot, value in slots.items():
            expected = ref_state["state"][k][slot]
            assert torch.equal(value, expected) if torch.is_tensor(value) else value == expected, (k, slot)


def test_zero_grad_clears_or_zeroes_the_gradients():
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(torch.ones(2, 1, 16)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_a_training_run_never_imports_dynamo():
    """The whole trainer (build, steps, evaluation) in a fresh interpreter: torch._dynamo stays unloaded.
    With torch.optim's own classes (their first add_param_group imports it) or with
    torch.use_deterministic_algorithms (it imports torch._inductor) this fails."""
    code = textwrap.dedent(
        """
        import sys
        from conftest import toy_data
        from shrinkflow.training import TrainConfig, train
        x, y = toy_data()
        for optimizer in ("sgd", "adam"):
            config = TrainConfig(
                epochs=1, batch_size=32, lr=0.01, device="cpu", threads=1, optimizer=optimizer
            )
            train("cnn1d_paper", x, y, x[:20], y[:20], 3, config, seed=0)
        print("torch._dynamo" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
    )
    assert out.stdout.strip() == "False", out.stdout + out.stderr

