"""Tiny models with ``forward`` and ``features`` for the analysis tests (independent of shrinkflow.models).

Imported by the other test_analysis_* files; its own tests check the helpers keep the model contract.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class TinyCNN(nn.Module):
    """A small channels-last CNN on H×W×C images: conv → ReLU → pool → linear features → logits."""

    def __init__(self, seed: int, shape=(8, 8, 1), classes: int = 4, hidden: int = 12):
        super().__init__()
        torch.manual_seed(seed)
        h, w, c = shape
        self.conv = nn.Conv2d(c, 4, kernel_size=3, padding=1)
        self.fc = nn.Linear(4 * (h // 2) * (w // 2), hidden)
        self.head = nn.Linear(hidden, classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.relu(self.conv(x.permute(0, 3, 1, 2)))
        z = nn.functional.max_pool2d(z, 2)
        return torch.relu(self.fc(z.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class Linear(nn.Module):
    """Logits W·vec(x) + b with given weights (classes × input size)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None = None):
        super().__init__()
        w = torch.as_tensor(weight, dtype=torch.float32)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(w.shape[0]) if bias is None else torch.as_tensor(bias).float())

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.weight.T + self.bias


def images(n: int, shape=(8, 8, 1), seed: int = 0) -> np.ndarray:
    """Seeded float32 images in [0, 1]."""
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)


def test_tiny_models_keep_the_model_contract():
    x = torch.as_tensor(images(5))
    net = TinyCNN(seed=0)
    assert net(x).shape == (5, 4)
    assert net.features(x).shape == (5, 12)
    lin = Linear(np.ones((2, 64)))
    torch.testing.assert_close(lin(x)[:, 0], x.flatten(1).sum(1))
