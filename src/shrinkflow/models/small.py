"""Small classifiers for MNIST-sized views: the "less is more" 1D CNN, LeNet-300-100, LeNet-5, and the 2-D CNN
twins that differ only in BatchNorm."""

from __future__ import annotations

from torch import nn

from .base import (
    PairMaxPool1d,
    Shape,
    ToImage,
    ToSequence,
    ToVector,
    ViewClassifier,
    image_geometry,
    numel,
    pooled,
)


def cnn1d_paper(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """The 1-D CNN of "less is more" (Conv1d 16 → ReLU → pool 2 → Conv1d 32 → ReLU → pool 2 → FC 128 → FC).

    The input is the flattened representation (channels-last order) as a one-channel sequence. The paper
    gives neither kernel size nor padding: we use kernel 3, padding 1 (length-preserving convolutions).
    Pooling uses ``ceil_mode=True`` so odd lengths keep their last value and inputs as short as one
    value still work (16 values → 8 → 4 positions × 32 channels into the FC layer).
    """
    length = numel(input_shape)
    flat = 32 * pooled(pooled(length))
    body = nn.Sequential(
        nn.Conv1d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        PairMaxPool1d(),
        nn.Conv1d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        PairMaxPool1d(),
        nn.Flatten(),
        nn.Linear(flat, 128),
        nn.ReLU(),
    )
    return ViewClassifier(input_shape, body, nn.Linear(128, num_classes), ToSequence())


def lenet300(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """LeNet-300-100 (LeCun et al. 1998): the flattened input → FC 300 → ReLU → FC 100 → ReLU → FC classes."""
    body = nn.Sequential(nn.Linear(numel(input_shape), 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU())
    return ViewClassifier(input_shape, body, nn.Linear(100, num_classes), ToVector())


def lenet5(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """LeNet-5 as Condensa's MNIST tutorial uses it: conv5×5 6 (pad 2) → ReLU → pool 2 → conv5×5 16 → ReLU →
    pool 2 → FC 120 → ReLU → FC 84 → ReLU → FC classes (28×28 digits reach the FC layers as 16 × 5 × 5).

    ReLU and max-pooling, as in the common PyTorch form of LeCun et al. (1998). Views whose side after the
    first pool is below 5 get a padded second conv (and ceil-mode pools), so every view shape still works.
    """
    c, h, w = image_geometry(input_shape)
    h1, w1 = pooled(h), pooled(w)
    pad = 0 if min(h1, w1) >= 5 else 2
    h2, w2 = pooled(h1 - 4 + 2 * pad), pooled(w1 - 4 + 2 * pad)
    pool = nn.MaxPool2d(2, ceil_mode=True)
    body = nn.Sequential(
        nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), pool,
        nn.Conv2d(6, 16, 5, padding=pad), nn.ReLU(), pool,
        nn.Flatten(), nn.Linear(16 * h2 * w2, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
    )  # fmt: skip
    return ViewClassifier(input_shape, body, nn.Linear(84, num_classes), ToImage(input_shape))


def _cnn2d(input_shape: Shape, num_classes: int, batch_norm: bool) -> ViewClassifier:
    c, h, w = image_geometry(input_shape)

    def block(cin: int, cout: int) -> list[nn.Module]:
        if batch_norm:  # conv-BN-ReLU; the conv bias is redundant before BN
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]

    flat = 32 * pooled(pooled(h)) * pooled(pooled(w))
    body = nn.Sequential(
        *block(c, 16),
        nn.MaxPool2d(2, ceil_mode=True),
        *block(16, 32),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.Flatten(),
        nn.Linear(flat, 128),
        nn.ReLU(),
    )
    return ViewClassifier(input_shape, body, nn.Linear(128, num_classes), ToImage(input_shape))


def cnn2d(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """Small 2-D CNN: [conv3×3 16 → ReLU → pool 2] → [conv3×3 32 → ReLU → pool 2] → FC 128 → FC classes.

    Pools use ``ceil_mode=True`` so views down to 1 × 1 work; 1-D vectors are padded to a square (see
    :func:`image_geometry`).
    """
    return _cnn2d(input_shape, num_classes, batch_norm=False)


def cnn2d_bn(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """:func:`cnn2d` with conv-BN-ReLU blocks.

    The correctness-preserving compression study reports that BatchNorm amplifies compression noise;
    this twin of ``cnn2d`` differs only in BN, so the effect can be measured.
    """
    return _cnn2d(input_shape, num_classes, batch_norm=True)
