"""Trainer: bit-identical reruns, divergence guard, history/metrics contract, save/load, real-digit sanity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import toy_data
from torch import nn

from shrinkflow import datasets
from shrinkflow.runs import load_model, predict
from shrinkflow.train_utils import deterministic_torch, without_timings
from shrinkflow.training import (
    TrainConfig,
    TrainHook,
    TrainingDivergedError,
    resolve_device,
    train,
)

torch.set_num_threads(1)

HISTORY_COLUMNS = [
    "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr",
    "epoch_seconds", "eval_seconds",
]  # fmt: skip


@pytest.fixture(scope="module")
def digits():
    """600 training and 300 test digits of mnist5k (seeded subsets, all classes), pixels / 255."""
    arrays, _ = datasets.get("mnist5k").prepare()
    rng = np.random.default_rng(0)
    it = rng.choice(arrays["x_train"].shape[0], 600, replace=False)
    iv = rng.choice(arrays["x_test"].shape[0], 300, replace=False)
    scale = np.float32(1 / 255)
    return (
        arrays["x_train"][it].astype(np.float32) * scale,
        arrays["y_train"][it],
        arrays["x_test"][iv].astype(np.float32) * scale,
        arrays["y_test"][iv],
    )


def small_config(**kw):
    return TrainConfig(**{"epochs": 2, "batch_size": 32, "lr": 0.05, "device": "cpu", "threads": 1, **kw})


@pytest.mark.parametrize("model_name", ["cnn1d_paper", "cnn2d_bn"])
def test_same_seed_gives_bit_identical_weights_and_metrics(model_name):
    x, y = toy_data()
    runs = [train(model_name, x, y, x[:40], y[:40], 3, small_config(), seed=7) for _ in range(2)]
    a, b = (r.model.state_dict() for r in runs)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert without_timings(runs[0].metrics) == without_timings(runs[1].metrics)
    cols = [c for c in runs[0].history.columns if not c.endswith("_seconds")]
    assert runs[0].history[cols].equals(runs[1].history[cols])


def test_another_seed_gives_other_weights():
    x, y = toy_data()
    w = [train("lenet300", x, y, x, y, 3, small_config(epochs=1), seed=s).model.state_dict() for s in (0, 1)]
    assert not torch.equal(w[0]["body.0.weight"], w[1]["body.0.weight"])


def test_global_torch_state_is_restored():
    x, y = toy_data(n=32)
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.get_num_threads(),
        torch.random.get_rng_state(),
    )
    train("lenet300", x, y, x, y, 3, small_config(epochs=1, threads=2), seed=0)
    after = (
        torch.are_deterministic_algorithms_enabled(),
        torch.get_num_threads(),
        torch.random.get_rng_state(),
    )
    assert before[:2] == after[:2] and torch.equal(before[2], after[2])


def test_deterministic_torch_sets_the_kernel_flag_and_restores_it(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # what the CUDA branch would set

    def flags():
        enabled = torch.are_deterministic_algorithms_enabled()
        return enabled, torch.is_deterministic_algorithms_warn_only_enabled()

    before = flags()
    for device, warn_only in (("cpu", False), ("cuda", True)):  # the flags only; nothing runs on the device
        with deterministic_torch(torch.device(device), None):
            assert flags() == (True, warn_only)
        assert flags() == before


def test_nan_inputs_stop_training_at_the_first_step():
    x, y = toy_data()
    x[5, 0, 0, 0] = np.nan  # also makes the standardization mean NaN, so the very first batch is NaN
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, step 0") as err:
        train("lenet300", x, y, x, y, 3, small_config(), seed=0)
    assert (err.value.epoch, err.value.step) == (1, 0) and math.isnan(err.value.loss)


def test_huge_learning_rate_diverges_with_epoch_and_step():
    x, y = toy_data()
    with pytest.raises(
        TrainingDivergedError, match=r"training diverged: loss (nan|inf) at epoch \d+, step \d+"
    ):
        train("lenet300", x, y, x, y, 3, small_config(lr=1e6, epochs=3), seed=0)


def test_history_and_metrics_contract():
    x, y = toy_data()
    cfg = small_config(epochs=3, schedule="cosine")
    r = train("cnn1d_paper", x, y, x[:30], y[:30], 3, cfg, seed=3)
    assert list(r.history.columns) == HISTORY_COLUMNS
    assert r.history["epoch"].tolist() == [1, 2, 3]
    # cosine per epoch: lr·½(1 + cos(π·e/E)), e = 0, 1, 2
    assert r.history["lr"].tolist() == [0.05 * 0.5 * (1 + math.cos(math.pi * e / 3)) for e in range(3)]
    m = r.metrics
    assert m["test_accuracy"] == r.history["test_accuracy"].iloc[-1]
    assert len(m["per_class_accuracy"]) == 3
    assert m["num_parameters"] == sum(p.numel() for p in r.model.parameters())
    assert (m["model"], m["input_shape"], m["num_classes"], m["seed"], m["epochs"]) == (
        "cnn1d_paper", [6, 6, 1], 3, 3, 3,
    )  # fmt: skip
    assert (m["device"], m["device_requested"], m["batch_size"], m["lr"], m["schedule"]) == (
        "cpu", "cpu", 32, 0.05, "cosine",
    )  # fmt: skip
    assert m["torch_version"] == torch.__version__
    assert m["samples_per_second"] > 0 and m["train_seconds"] > 0
    assert r.model.standardize.input_mean.item() == pytest.approx(
        float(x.astype(np.float64).mean()), rel=1e-6
    )
    assert r.model.standardize.input_std.item() == pytest.approx(float(x.astype(np.float64).std()), rel=1e-6)
    assert not r.model.training and next(r.model.parameters()).device.type == "cpu"


def test_per_class_accuracy_matches_predictions():
    x, y = toy_data()
    r = train("lenet300", x, y, x[:50], y[:50], 3, small_config(), seed=0)
    pred = predict(r.model, x[:50]).argmax(axis=1)
    expected = [float(np.mean(pred[y[:50] == c] == c)) for c in range(3)]
    assert r.metrics["per_class_accuracy"] == pytest.approx(expected, abs=0)


def test_constant_schedule_keeps_the_learning_rate():
    x, y = toy_data(n=40)
    r = train("lenet300", x, y, x, y, 3, small_config(epochs=2, schedule="constant", lr=0.02), seed=0)
    assert r.history["lr"].tolist() == [0.02, 0.02]


def test_hook_sees_every_sample_once_per_epoch_and_adds_columns():
    class Counter(TrainHook):
        def setup(self, model, x_train, y_train):
            self.seen = torch.zeros(x_train.shape[0], dtype=torch.int64)

        def batch_inputs(self, x, index, epoch):
            self.seen[index] += 1
            return x

        def end_epoch(self, epoch):
            return {"visits": float(self.seen.sum())}

    x, y = toy_data(n=50)  # 50 = 32 + 18: a short last batch
    hook = Counter()
    r = train("lenet300", x, y, x, y, 3, small_config(epochs=2), seed=0, hook=hook)
    assert torch.equal(hook.seen, torch.full((50,), 2))
    assert r.history["visits"].tolist() == [50.0, 100.0]


def test_wrap_model_runs_before_the_optimizer_so_only_the_wrapped_parameters_train():
    class FrozenBase(nn.Module):
        """The registry model frozen; a trainable output scale is the only parameter."""

        def __init__(self, base):
            super().__init__()
            self.base = base.requires_grad_(False)
            self.scale = nn.Parameter(torch.ones(()))

        def forward(self, x):
            return self.base(x) * self.scale

        def features(self, x):
            return self.base.features(x)

    class Wrap(TrainHook):
        def wrap_model(self, model):
            self.before = {k: v.clone() for k, v in model.state_dict().items()}
            self.wrapped = FrozenBase(model)
            return self.wrapped

        def export_model(self, model):
            return model.base  # what the run saves: the registry model, loadable by load_model

    x, y = toy_data(n=64)
    hook = Wrap()
    r = train("lenet300", x, y, x, y, 3, small_config(epochs=2), seed=0, hook=hook)
    assert r.model is hook.wrapped.base
    assert float(hook.wrapped.scale.detach()) != 1.0  # the optimizer was built on the wrapper's parameters
    for key, value in r.model.state_dict().items():
        assert torch.equal(value, hook.before[key]), key  # the frozen base never moved


def test_a_zero_loss_term_changes_nothing_and_a_penalty_shrinks_the_weights():
    class Penalty(TrainHook):
        def __init__(self, weight):
            self.weight = weight

        def loss_term(self, model, x, y, logits, index, epoch):
            return self.weight * sum(p.square().sum() for p in model.parameters())

    x, y = toy_data()
    plain = train("lenet300", x, y, x, y, 3, small_config(), seed=0)
    zero = train("lenet300", x, y, x, y, 3, small_config(), seed=0, hook=Penalty(0.0))
    for a, b in zip(plain.model.state_dict().values(), zero.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    strong = train("lenet300", x, y, x, y, 3, small_config(), seed=0, hook=Penalty(1.0))
    norm = lambda m: float(sum(p.detach().square().sum() for p in m.parameters()))  # noqa: E731
    assert norm(strong.model) < 0.5 * norm(plain.model)
    # the reported training loss is what was optimised: cross-entropy plus the penalty
    assert strong.history["train_loss"].iloc[-1] > plain.history["train_loss"].iloc[-1]


def test_a_loss_term_that_turns_nan_stops_the_run_naming_epoch_and_step():
    class Poison(TrainHook):
        def loss_term(self, model, x, y, logits, index, epoch):
            return logits.sum() * float("nan") if epoch == 2 else None

    x, y = toy_data(n=64)
    with pytest.raises(TrainingDivergedError, match="epoch 2, step 0"):
        train("lenet300", x, y, x, y, 3, small_config(epochs=3), seed=0, hook=Poison())


def test_tiny_mnist5k_run_beats_chance_clearly(digits):
    x_train, y_train, x_test, y_test = digits
    r = train("cnn1d_paper", x_train, y_train, x_test, y_test, 10, small_config(epochs=2), seed=0)
    assert r.metrics["test_accuracy"] > 0.5  # chance is 0.1


def test_state_dict_round_trip_with_weights_only(tmp_path, digits):
    x_train, y_train, x_test, y_test = digits
    r = train(
        "cnn2d_bn", x_train[:128], y_train[:128], x_test[:64], y_test[:64], 10, small_config(epochs=1), seed=0
    )
    path = tmp_path / "model.pt"
    torch.save(r.model.state_dict(), path)
    loaded = load_model("cnn2d_bn", (28, 28, 1), 10, path)
    assert not loaded.training
    assert loaded.standardize.input_mean.item() == r.model.standardize.input_mean.item() != 0.0
    assert np.array_equal(predict(loaded, x_test[:64]), predict(r.model, x_test[:64]))
    # BN running statistics travel too
    assert torch.equal(
        loaded.state_dict()["body.1.running_mean"], r.model.state_dict()["body.1.running_mean"]
    )


def test_predict_is_batch_size_independent():
    x, y = toy_data(n=40)
    model = train("lenet300", x, y, x, y, 3, small_config(epochs=1), seed=0).model
    assert np.allclose(predict(model, x, batch_size=7), predict(model, x, batch_size=1000), atol=1e-6)
    assert predict(model, x).dtype == np.float32 and predict(model, x).shape == (40, 3)


def test_cuda_requested_without_a_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="'cuda' but no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedule": "linear"}, r"train.schedule 'linear' is unknown; allowed: \['constant', 'cosine'\]"),
        ({"optimizer": "lbfgs"}, r"train.optimizer 'lbfgs' is unknown"),
        ({"epochs": 0}, r"train.epochs must be a positive integer, got 0"),
        ({"device": "tpu"}, r"train.device 'tpu' is unknown"),
    ],
)
def test_bad_config_names_the_setting(change, message):
    x, y = toy_data(n=10)
    with pytest.raises(ValueError, match=message):
        train("lenet300", x, y, x, y, 3, small_config(**change), seed=0)


def test_labels_out_of_range_are_rejected():
    x, y = toy_data(n=10)
    with pytest.raises(ValueError, match=r"y_train has labels in \[0, 2\] but num_classes is 2"):
        train("lenet300", x, y, x, y % 2, 2, small_config(), seed=0)


def test_saving_the_same_run_twice_gives_the_same_bytes(tmp_path):
    """model.pt must not carry the temporary file name it was written under (torch.save names the zip's
    folder after a path it is given)."""
    from shrinkflow.runs import save_run

    x, y = toy_data(n=40)
    r = train("lenet300", x, y, x, y, 3, small_config(epochs=1), seed=0)
    paths = []
    for name in ("a", "b"):
        folder = tmp_path / name
        save_run(r, {"k": 1}, folder / "model.pt", folder / "history.csv", folder / "metrics.json")
        paths.append(folder / "model.pt")
    assert paths[0].read_bytes() == paths[1].read_bytes()
