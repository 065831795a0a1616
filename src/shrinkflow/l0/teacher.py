"""The teacher–student regression setup of Barth & von Petersenn, generated offline from a seed.

Teacher: a tanh MLP [2, 5, 8, 1] (tanh after every hidden layer, identity output) whose first layer's
weights become w·s + s/2 and second layer's w·s with s = 2 (i.e. w·2 + 1 and w·2, their
``teacher_weight_scaling``), which makes the function more non-linear. Inputs x ~ U[−1, 1]², targets
y ~ N(teacher(x), σ²) with σ = 0.08 a standard deviation. Student: [2, 25, 25, 1] tanh. Their defaults are
300 training, 1,000 validation and 5,000 test samples. Initial weights here are PyTorch's ``nn.Linear``
default, so a teacher drawn here is not the one their Julia seed draws; the distribution of the setup is.

Seeds: one user seed gives independent streams (``numpy.random.SeedSequence``) for the teacher, the student
and the train/validation/test samples, so changing the training-set size keeps teacher, student and the
validation and test sets fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

TEACHER_SIZES = (2, 5, 8, 1)
STUDENT_SIZES = (2, 25, 25, 1)


class TanhMLP(nn.Module):
    """Linear layers of ``sizes`` with tanh between them (none after the last); inputs N × sizes[0].

    ``input_shape`` and ``head`` (the last layer) let shrinkflow's payload writer count this model's bytes.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"a tanh MLP needs at least two positive layer sizes, got {sizes}")
        self.sizes = tuple(sizes)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.Tanh())
        self.layers = nn.Sequential(*layers)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.sizes[0],)

    @property
    def head(self) -> nn.Linear:
        return self.layers[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def _seeds(seed: int) -> dict[str, int]:
    names = ("teacher", "student", "train", "val", "test")
    states = np.random.SeedSequence(int(seed)).generate_state(len(names), dtype=np.uint64)
    return {n: int(s) >> 1 for n, s in zip(names, states, strict=True)}


def _init(sizes: Sequence[int], seed: int) -> TanhMLP:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TanhMLP(sizes)


def teacher_network(seed: int = 0, sizes: Sequence[int] = TEACHER_SIZES, scaling: float = 2.0) -> TanhMLP:
    """The teacher of ``seed``: first layer weights w·s + s/2, second layer weights w·s (biases as drawn)."""
    net = _init(sizes, _seeds(seed)["teacher"])
    linears = [m for m in net.layers if isinstance(m, nn.Linear)]
    with torch.no_grad():
        linears[0].weight.mul_(scaling).add_(scaling / 2)
        if len(linears) > 1:
            linears[1].weight.mul_(scaling)
    return net.eval()


def student_network(seed: int = 0, sizes: Sequence[int] = STUDENT_SIZES) -> TanhMLP:
    """A freshly initialised student for ``seed`` (its own stream, independent of the data)."""
    return _init(sizes, _seeds(seed)["student"])


@dataclass
class TeacherStudentData:
    """float32 arrays (x: N × 2, y: N × 1) of the three splits, the teacher and the noise σ."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    teacher: TanhMLP
    sigma: float
    seed: int

    @property
    def teacher_parameters(self) -> int:
        return sum(p.numel() for p in self.teacher.parameters())

    def teacher_mse(self, split: str = "test") -> float:
        """MSE of the teacher itself on a split (≈ σ²: the floor no student can beat in expectation)."""
        x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
        with torch.no_grad():
            return float((self.teacher(torch.from_numpy(x)) - torch.from_numpy(y)).square().mean())


def _sample(teacher: TanhMLP, n: int, sigma: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, teacher.sizes[0])).astype(np.float32)
    with torch.no_grad():
        mean = teacher(torch.from_numpy(x)).numpy()
    y = (mean + sigma * rng.standard_normal(mean.shape)).astype(np.float32)
    return x, y


def teacher_student_data(
    n_train: int = 300,
    n_val: int = 1000,
    n_test: int = 5000,
    sigma: float = 0.08,
    seed: int = 0,
    teacher_sizes: Sequence[int] = TEACHER_SIZES,
    scaling: float = 2.0,
) -> TeacherStudentData:
    """Samples from the teacher of ``seed``: x ~ U[−1, 1]^d, y ~ N(teacher(x), σ²)."""  # fmt: skip
    for name, n in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 (a standard deviation), got {sigma!r}")
    seeds = _seeds(seed)
    teacher = teacher_network(seed, teacher_sizes, scaling)
    splits = {s: _sample(teacher, n, sigma, seeds[s]) for s, n in (("train", n_train), ("val", n_val),
                                                                    ("test", n_test))}  # fmt: skip
    parts = (*splits["train"], *splits["val"], *splits["test"])
    return TeacherStudentData(*parts, teacher, float(sigma), int(seed))
