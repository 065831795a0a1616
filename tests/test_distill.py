"""Hinton et al.'s distillation loss as a trainer hook, and hook composition with MCNC."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import toy_data

from shrinkflow.distill import DistillationHook, HookChain, compute_logits, distillation_loss
from shrinkflow.mcnc import MCNCHook, MCNCSettings
from shrinkflow.train_hook import TrainHook
from shrinkflow.train_utils import without_timings
from shrinkflow.training import TrainConfig, train

torch.set_num_threads(1)


def config(**kw):
    return TrainConfig(**{"epochs": 3, "batch_size": 32, "lr": 0.05, "device": "cpu", "threads": 1, **kw})


def test_distillation_loss_equals_a_hand_computed_value():
    student = torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
    teacher = torch.tensor([[3.0, 1.0, 0.0], [0.0, 0.0, 4.0]])
    labels = torch.tensor([0, 2])
    t, a = 2.0, 0.25

    def softmax(row, temp):
        e = [math.exp(v / temp) for v in row]
        return [v / sum(e) for v in e]

    ce = kl = 0.0
    for s, q, y in zip(student.tolist(), teacher.tolist(), labels.tolist(), strict=True):
        ce -= math.log(softmax(s, 1.0)[y]) / 2
        ps, pt = softmax(s, t), softmax(q, t)
        kl += sum(p * math.log(p / r) for p, r in zip(pt, ps, strict=True)) / 2
    expected = (1 - a) * ce + a * t * t * kl
    assert float(distillation_loss(student, teacher, labels, t, a)) == pytest.approx(expected, rel=1e-6)


def test_the_step_loss_with_the_hook_is_hintons_total():
    student = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    teacher = torch.randn(5, 4, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 3, 0])
    hook = DistillationHook(temperature=3.0, alpha=0.7, teacher_logits=teacher)
    hook.setup(None, torch.zeros(5, 2), y)
    index = torch.arange(5)
    step = F.cross_entropy(student, y) + hook.loss_term(
        None, None, y, student, index, 1
    )  # as the trainer adds
    assert float(step) == pytest.approx(float(distillation_loss(student, teacher, y, 3.0, 0.7)), rel=1e-6)
    shuffled = torch.tensor([4, 2, 0, 1, 3])  # teacher rows follow the batch's sample indices
    term = hook.loss_term(None, None, y[shuffled], student, shuffled, 1)
    expected = distillation_loss(student, teacher[shuffled], y[shuffled], 3.0, 0.7)
    assert float(F.cross_entropy(student, y[shuffled]) + term) == pytest.approx(float(expected), rel=1e-6)


def test_alpha_zero_trains_bit_identically_to_plain_cross_entropy():
    x, y = toy_data()
    teacher = train("lenet300", x, y, x, y, 3, config(epochs=1), seed=1).model
    plain = train("mlp_w16_d2", x, y, x, y, 3, config(), seed=0)
    hook = DistillationHook(teacher, temperature=4.0, alpha=0.0)
    distilled = train("mlp_w16_d2", x, y, x, y, 3, config(), seed=0, hook=hook)
    a, b = plain.model.state_dict(), distilled.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    metrics = without_timings(distilled.metrics)
    assert metrics.pop("distill_alpha") == 0.0 and metrics.pop("distill_temperature") == 4.0
    assert metrics.pop("teacher_train_accuracy") > 0.5
    assert metrics == without_timings(plain.metrics)


def test_with_alpha_one_the_student_follows_the_teacher_not_the_labels():
    x, y = toy_data(n=120)
    adam = config(epochs=10, optimizer="adam", lr=0.03)
    teacher = train("mlp_w16_d1", x, y, x, y, 3, adam, seed=0).model
    noise = np.random.default_rng(5).integers(0, 3, y.shape)  # labels the soft targets must override
    hook = DistillationHook(teacher, temperature=2.0, alpha=1.0)
    run = train("mlp_w16_d1", x, noise, x, y, 3, adam, seed=1, hook=hook)
    xt = torch.from_numpy(x)
    agree = (compute_logits(run.model, xt).argmax(1) == compute_logits(teacher, xt).argmax(1)).float().mean()
    assert float(agree) >= 0.95
    assert run.history["test_accuracy"].iloc[-1] >= 0.95  # the true labels, never seen by the student
    assert hook.teacher_accuracy < 0.5  # measured against the (noise) labels the student was given


class Brighten(TrainHook):
    """Changes the training batches (as an augmentation would)."""

    def batch_inputs(self, x, index, epoch):
        return x + 1.0


def test_the_teacher_sees_the_stored_inputs_or_its_own():
    x, y = toy_data(n=40)
    teacher = train("mlp_w8_d1", x, y, x, y, 3, config(epochs=1), seed=0).model
    hook = DistillationHook(teacher, temperature=1.0, alpha=0.5)
    chain = HookChain(Brighten(), hook)
    xt = torch.from_numpy(x)
    chain.setup(None, xt, torch.from_numpy(y))
    assert torch.equal(hook.logits, compute_logits(teacher, xt))
    other = x[::-1].copy()
    own = DistillationHook(teacher, temperature=1.0, alpha=0.5, teacher_inputs=other)
    own.setup(None, xt, torch.from_numpy(y))
    assert torch.equal(own.logits, compute_logits(teacher, torch.from_numpy(other)))
    assert torch.equal(chain.batch_inputs(xt, torch.arange(40), 1), xt + 1.0)


def test_mcnc_student_distilled_through_a_hook_chain():
    x, y = toy_data()
    teacher = train("lenet300", x, y, x, y, 3, config(), seed=2).model
    settings = MCNCSettings(d=20, k=9)
    mcnc = MCNCHook(settings, model_name="mlp_w16_d1", num_classes=3, seed=0)
    distill = DistillationHook(teacher, temperature=2.0, alpha=0.5)
    run = train(
        "mlp_w16_d1", x, y, x, y, 3, config(optimizer="adam", lr=0.03), seed=0, hook=HookChain(mcnc, distill)
    )
    assert type(run.model).__name__ == "ViewClassifier"  # MCNC's export: the plain registry model
    # 36·16 + 16 + 16·3 + 3 = 643 parameters → 33 chunks of 20 (17 padded), 10 numbers each
    assert run.metrics["num_parameters"] == run.metrics["trained_parameters"] == 33 * 10
    assert run.metrics["distill_alpha"] == 0.5 and run.metrics["mcnc_d"] == 20
    assert run.history["test_accuracy"].iloc[-1] >= 0.8


@pytest.mark.parametrize(
    ("temperature", "alpha", "message"),
    [
        (0.0, 0.5, "temperature must be a number > 0, got 0.0"),
        (-1, 0.5, "temperature must be a number > 0"),
        (float("inf"), 0.5, "temperature must be finite"),
        (float("nan"), 0.5, "temperature must be a number > 0"),
        (2.0, -0.1, r"alpha must be a number in \[0, 1\]"),
        (2.0, 1.5, r"alpha must be a number in \[0, 1\].*got 1.5"),
        (2.0, float("nan"), r"alpha must be a number in \[0, 1\]"),
        (2.0, True, r"alpha must be a number in \[0, 1\]"),
    ],
)
def test_bad_temperature_or_alpha_is_rejected(temperature, alpha, message):
    with pytest.raises(ValueError, match=message):
        DistillationHook(teacher_logits=torch.zeros(2, 2), temperature=temperature, alpha=alpha)


def test_teacher_and_student_must_agree_on_classes_and_rows():
    hook = DistillationHook(teacher_logits=torch.zeros(4, 5), temperature=1.0, alpha=0.5)
    hook.setup(None, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="teacher has 5 classes, the student 3"):
        hook.loss_term(None, None, torch.zeros(2, dtype=torch.long), torch.zeros(2, 3), torch.arange(2), 1)
    with pytest.raises(ValueError, match=r"expected \(3, classes\)"):
        hook.setup(None, torch.zeros(3, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="exactly one of teacher"):
        DistillationHook(temperature=1.0, alpha=0.5)
