"""MCNC: accuracy at a mild rate, exact regeneration from the payload, hand-counted bytes, frozen θ0 and φ,
the padded last chunk, determinism and bad settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import toy_data

from shrinkflow import mcnc
from shrinkflow.mcnc import MCNCError, MCNCHook, MCNCSettings
from shrinkflow.mcnc.generator import ChunkLayout, SineGenerator, chunk_weights
from shrinkflow.mcnc.hook import MCNCModule
from shrinkflow.runs import load_model, save_run
from shrinkflow.training import TrainConfig, train

torch.set_num_threads(1)


def adam(**kw):
    return TrainConfig(
        **{
            "epochs": 4,
            "batch_size": 32,
            "lr": 0.03,
            "optimizer": "adam",
            "device": "cpu",
            "threads": 1,
            **kw,
        }
    )


def mcnc_run(model_name, settings, seed=0, data=None, config=None, **train_kw):
    x, y = data or toy_data()
    hook = MCNCHook(settings, model_name=model_name, num_classes=3, seed=seed)
    run = train(model_name, x, y, x, y, 3, config or adam(), seed=seed, hook=hook, **train_kw)
    return hook, run


def test_mcnc_at_a_mild_rate_reaches_the_plain_models_accuracy():
    x, y = toy_data(n=300, seed=0)
    xv, yv = toy_data(n=300, seed=1)
    config = adam(epochs=6)
    plain = train("mlp_w16_d2", x, y, xv, yv, 3, config, seed=0).history["test_accuracy"].iloc[-1]
    settings = MCNCSettings(d=20, k=9)  # d/(k+1) = 2
    hook = MCNCHook(settings, model_name="mlp_w16_d2", num_classes=3, seed=0)
    run = train("mlp_w16_d2", x, y, xv, yv, 3, config, seed=0, hook=hook)
    assert plain >= 0.9
    assert run.history["test_accuracy"].iloc[-1] >= plain - 0.03  # the stated margin: 3 points
    assert run.metrics["nominal_compression_rate"] == 2.0


@pytest.mark.parametrize(
    ("model_name", "dtype"), [("mlp_w16_d1", "fp32"), ("lenet300", "fp32"), ("cnn1d_paper", "fp16")]
)
def test_stored_alpha_and_beta_regenerate_exactly_the_trained_weights(tmp_path, model_name, dtype):
    hook, run = mcnc_run(model_name, MCNCSettings(d=64, k=7, dtype=dtype), seed=3, config=adam(epochs=2))
    stored = mcnc.save(hook.payload(), tmp_path / "mcnc.bin")
    assert stored == run.metrics["stored_bytes"] == (tmp_path / "mcnc.bin").stat().st_size
    decoded = mcnc.load(tmp_path / "mcnc.bin")
    trained = run.model.state_dict()
    assert decoded.state_dict().keys() == trained.keys()
    assert all(torch.equal(decoded.state_dict()[k], trained[k]) for k in trained)
    # the exported module is the plain registry model: the run's model.pt loads with runs.load_model
    save_run(run, run.metrics, tmp_path / "model.pt", tmp_path / "history.csv", tmp_path / "metrics.json")
    loaded = load_model(model_name, (6, 6, 1), 3, tmp_path / "model.pt").state_dict()
    assert all(torch.equal(loaded[k], trained[k]) for k in trained)


def test_an_input_offset_travels_in_the_payload(tmp_path):
    offset = np.full((6, 6, 1), 0.5, np.float32)
    settings = MCNCSettings(d=32, k=3)
    hook, run = mcnc_run("mlp_w8_d1", settings, config=adam(epochs=1, input_center=0.5), input_offset=offset)
    mcnc.save(hook.payload(), tmp_path / "mcnc.bin")
    decoded = mcnc.load(tmp_path / "mcnc.bin").state_dict()
    assert torch.equal(decoded["standardize.input_offset"], torch.from_numpy(offset))
    assert all(torch.equal(decoded[k], v) for k, v in run.model.state_dict().items())
    assert run.metrics["buffer_bytes"] == 4 * (2 + 36)


def test_stored_bytes_counted_by_hand(tmp_path):
    # mlp_w4_d1 on 3 inputs, 2 classes: P = 3·4 + 4 + 4·2 + 2 = 26 → 4 chunks of d = 8 (6 padded values)
    x = np.random.default_rng(0).random((16, 3)).astype(np.float32)
    y = np.arange(16) % 2
    for dtype, value_size in (("fp32", 4), ("fp16", 2)):
        hook = MCNCHook(MCNCSettings(d=8, k=3, dtype=dtype), model_name="mlp_w4_d1", num_classes=2, seed=0)
        run = train("mlp_w4_d1", x, y, x, y, 2, adam(epochs=1), seed=0, hook=hook)
        header = 50 + 4 * 1 + len("mlp_w4_d1")  # prefix, input shape (rank 1), model name
        buffers = 4 + 4  # Standardize mean and std (fp32)
        values = value_size * (4 * 3 + 4)  # α: 4 chunks × k = 3, β: 4
        assert mcnc.save(hook.payload(), tmp_path / f"{dtype}.bin") == header + buffers + values
        report = mcnc.size_report(hook.payload(), tmp_path / f"{dtype}.bin")
        assert (report["header_bytes"], report["buffer_bytes"], report["value_bytes"]) == (
            header,
            buffers,
            values,
        )
        assert report["num_chunks"] == 4 and report["padding_parameters"] == 6
        assert report["total_parameters"] == 26 and report["trained_parameters"] == 16
        assert report["dense_fp32_bytes"] == 4 * (26 + 2)
        assert report["compression_ratio"] == 4 * 28 / (header + buffers + values)
        assert report["nominal_compression_rate"] == 2.0
        assert "generator" in report["excluded_from_stored_bytes"]
        assert run.metrics["stored_bytes"] == header + buffers + values


class Recording(MCNCHook):
    """Keeps copies of the wrapped module's tensors as they were when training started."""

    def setup(self, model, x_train, y_train):
        self.before = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.base_before = {k: v.detach().clone() for k, v in model.base.state_dict().items()}


def test_generator_and_theta0_stay_frozen_while_alpha_and_beta_train():
    x, y = toy_data()
    hook = Recording(MCNCSettings(d=20, k=4), model_name="mlp_w16_d1", num_classes=3, seed=0)
    train("mlp_w16_d1", x, y, x, y, 3, adam(epochs=2), seed=0, hook=hook)
    module = hook.module
    assert [name for name, _ in module.named_parameters()] == ["alpha", "beta"]  # all the optimizer sees
    after = module.state_dict()
    frozen = [k for k in after if k not in ("alpha", "beta")]
    assert "theta0" in frozen and any(k.startswith("generator.") for k in frozen)
    assert all(torch.equal(after[k], hook.before[k]) for k in frozen)
    assert all(torch.equal(v, hook.base_before[k]) for k, v in module.base.state_dict().items())
    assert not torch.equal(after["alpha"], hook.before["alpha"])
    assert not torch.equal(after["beta"], hook.before["beta"])
    assert float(hook.before["beta"].abs().max()) == 0.0  # β starts at 0: training starts at θ0


def test_the_last_chunk_is_zero_padded_and_its_padding_discarded():
    hook, run = mcnc_run("mlp_w16_d1", MCNCSettings(d=50, k=4), config=adam(epochs=1))
    module = hook.module
    layout = module.layout
    assert (layout.num_parameters, layout.num_chunks, layout.padding) == (643, 13, 7)
    alpha, beta = module.stored_values()
    chunks = []
    for i in range(layout.num_chunks):  # one chunk at a time, by hand
        u = module.generator(alpha[i : i + 1].double())[0]
        chunks.append(beta[i].double() * u)
    delta = torch.cat(chunks)
    assert delta.numel() == 13 * 50
    assert module.theta0.shape == (13, 50) and not module.theta0.reshape(-1)[643:].any()  # zero padding
    expected = (module.theta0.reshape(-1)[:643].double() + delta[:643]).float()
    exported = layout.flatten(run.model)
    torch.testing.assert_close(exported, expected, rtol=0, atol=1e-6)


def test_the_fused_reparameterisation_has_the_gradient_of_the_plain_formula():
    gen = SineGenerator(3, 7, 8, 1, 30.0, seed=0).double()
    alpha = torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(4, dtype=torch.float64, requires_grad=True)
    theta0 = torch.randn(4, 7, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: chunk_weights(theta0, gen, a, b), (alpha, beta))
    plain = (theta0 + beta.unsqueeze(1) * gen(alpha)).reshape(-1)
    torch.testing.assert_close(chunk_weights(theta0, gen, alpha, beta), plain)


def test_one_chunk_covers_a_model_smaller_than_d():
    layout = ChunkLayout.of(torch.nn.Linear(3, 2), 100)
    assert (layout.num_parameters, layout.num_chunks, layout.padding) == (8, 1, 92)


def test_generator_is_seeded_batched_and_on_the_sphere():
    a, b = (SineGenerator(5, 40, 16, 2, 30.0, seed=7) for _ in range(2))
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    other = SineGenerator(5, 40, 16, 2, 30.0, seed=8)
    assert not torch.equal(a.weight_out, other.weight_out)
    alpha = torch.rand(9, 5, generator=torch.Generator().manual_seed(0)) * 2 - 1
    u = a(alpha)
    assert u.shape == (9, 40)
    torch.testing.assert_close(u.norm(dim=1), torch.ones(9))
    torch.testing.assert_close(u[3], a(alpha[3:4])[0])


def test_same_seed_gives_bit_identical_mcnc_runs():
    runs = [mcnc_run("lenet300", MCNCSettings(d=30, k=5), seed=4, config=adam(epochs=1))[1] for _ in range(2)]
    a, b = (r.model.state_dict() for r in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_hook_seeded_otherwise_than_the_run_is_rejected():
    x, y = toy_data(n=32)
    hook = MCNCHook(MCNCSettings(d=20, k=4), model_name="mlp_w16_d1", num_classes=3, seed=1)
    with pytest.raises(MCNCError, match="not 'mlp_w16_d1' as initialised from seed 1"):
        train("mlp_w16_d1", x, y, x, y, 3, adam(epochs=1), seed=2, hook=hook)


def test_the_wrapper_keeps_alpha_in_the_box():
    x, y = toy_data(n=64)
    hook, _ = mcnc_run("mlp_w8_d1", MCNCSettings(d=16, k=3, bound=0.05), data=(x, y), config=adam(lr=0.5))
    assert isinstance(hook.module, MCNCModule)
    alpha = hook.payload().alpha
    assert float(alpha.abs().max()) == float(np.float32(0.05))  # pushed against the box, not beyond


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"d": 10, "k": 10}, r"mcnc.k must be smaller than mcnc.d.*allowed k in \[1, 9\]"),
        ({"d": 10, "k": 0}, "mcnc.k must be a positive integer, got 0"),
        ({"d": 1, "k": 1}, "mcnc.d must be at least 2"),
        ({"d": 10.5, "k": 2}, "mcnc.d must be a positive integer"),
        ({"d": 10, "k": 2, "dtype": "int8"}, r"mcnc.dtype 'int8' is unknown; allowed: \['fp32', 'fp16'\]"),
        ({"d": 10, "k": 2, "frequency": 0}, "mcnc.frequency must be a finite number > 0"),
        ({"d": 10, "k": 2, "bound": float("inf")}, "mcnc.bound must be a finite number > 0"),
        ({"d": 10, "k": 2, "alpha_init": 1.5}, r"mcnc.alpha_init must be in \[0, 1\]"),
        ({"d": 10, "k": 2, "generator_depth": 9}, r"mcnc.generator_depth must be in \[1, 8\]"),
        ({"d": 10, "k": 2, "generator_seed": -1}, "mcnc.generator_seed must be None or an integer"),
    ],
)
def test_bad_settings_are_rejected_naming_key_value_and_range(kwargs, message):
    with pytest.raises(MCNCError, match=message):
        MCNCSettings(**kwargs)


def test_corrupt_payloads_are_rejected(tmp_path):
    hook, _ = mcnc_run("mlp_w8_d1", MCNCSettings(d=16, k=3), config=adam(epochs=1))
    data = mcnc.to_bytes(hook.payload())
    with pytest.raises(MCNCError, match="not a shrinkflow MCNC payload"):
        mcnc.from_bytes(b"XXXX" + data[4:])
    with pytest.raises(MCNCError, match="truncated"):
        mcnc.from_bytes(data[:-3])
    with pytest.raises(MCNCError, match="bytes after β"):
        mcnc.from_bytes(data + b"\0")
