"""Registry of classifiers: ``models.build(name, input_shape, num_classes)``; the schema lists these names.

``input_shape`` is one sample's decoded view shape without N, channels-last as the codecs give it:
``(28, 28, 1)`` pixels, ``(14, 14, 1)`` downsample coefficients, ``(8, 8, 1)`` DCT coefficients,
``(64,)`` random-projection vectors, ``(32, 32, 3)`` CIFAR pixels. Every model

* starts with :class:`Standardize` (scalar ``input_mean`` / ``input_std`` buffers, set by the trainer from
  the training set and saved in the state_dict, so a loaded model is the whole function view → logits);
* exposes ``features(x)`` (penultimate activations, N × D) and ``forward(x) = head(features(x))``;
* takes float32 N × input_shape tensors and permutes/reshapes internally.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

Shape = tuple[int, ...]


class ModelError(ValueError):
    """An unknown model name or an input shape a model cannot take; the message says what is allowed."""


class Standardize(nn.Module):
    """``(x - input_mean) / input_std`` with scalar buffers: one affine map for every view and codec.

    Scalars (not per-feature statistics) keep the map identical in form across views, so a zeroed DCT
    coefficient or a constant padding stays constant after standardization. An optional ``input_offset``
    (one value per input feature, set by :meth:`set_offset`) is subtracted first: the view of a constant
    image, so the model sees the view of the *centred* image (``train.input_center``, "less is more"'s
    [−0.5, 0.5] pixels). It exists in the state_dict only when set, so models without it load as before.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("input_mean", torch.tensor(0.0))
        self.register_buffer("input_std", torch.tensor(1.0))

    def set_statistics(self, mean: float, std: float) -> None:
        """Store the training-set mean and standard deviation (std ≤ 0 or non-finite is replaced by 1)."""
        if not math.isfinite(std) or std <= 0.0:
            std = 1.0
        self.input_mean.fill_(float(mean))
        self.input_std.fill_(float(std))

    def set_offset(self, offset: torch.Tensor) -> None:
        """Subtract ``offset`` (shape of one sample's view) from every input before standardizing."""
        offset = torch.as_tensor(offset, dtype=torch.float32).detach().clone()
        if "input_offset" in self._buffers:
            self.input_offset = offset.to(self.input_mean.device)
        else:
            self.register_buffer("input_offset", offset.to(self.input_mean.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset = self._buffers.get("input_offset")
        if offset is not None:
            x = x - offset
        return (x - self.input_mean) / self.input_std


class ViewClassifier(nn.Module):
    """``standardize → layout → body`` gives the features; ``head(features)`` gives the logits.

    ``layout`` turns the standardized channels-last input into what ``body`` needs (sequence, vector or
    image); the builders below choose ``layout``, ``body`` and ``head``.
    """

    input_shape: Shape

    def __init__(self, input_shape: Shape, body: nn.Module, head: nn.Module, layout: nn.Module) -> None:
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.standardize = Standardize()
        self.body = body
        self.head = head
        self.layout = layout

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer activations, N × D."""
        if tuple(x.shape[1:]) != self.input_shape:
            raise ModelError(
                f"input has sample shape {tuple(x.shape[1:])} but the model was built for {self.input_shape}"
            )
        return self.body(self.layout(self.standardize(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# ---- input layouts -------------------------------------------------------------------------------


class ToSequence(nn.Module):
    """N × … → N × 1 × L: the flattened representation (channels-last order) as a one-channel sequence."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], 1, -1)


class ToVector(nn.Module):
    """N × … → N × L."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1)


def image_geometry(input_shape: Shape) -> tuple[int, int, int]:
    """(C, H, W) that a 2-D network sees for a view shape.

    ``(H, W, C)`` is used as is and ``(H, W)`` as one channel. A 1-D vector of length k (random
    projections) has no spatial order, so it is zero-padded to the nearest square s = ⌈√k⌉ and laid out
    row-major as one s × s channel (k = 64 → 8 × 8 exactly); the padding is added after standardization,
    so padded cells are 0 = the training mean.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 3:
        h, w, c = shape
    elif len(shape) == 2:
        (h, w), c = shape, 1
    elif len(shape) == 1:
        side = math.isqrt(shape[0] - 1) + 1 if shape[0] > 0 else 0
        h, w, c = side, side, 1
    else:
        raise ModelError(f"input_shape must have 1, 2 or 3 dimensions (vector, H×W, H×W×C), got {shape}")
    if min(h, w, c) < 1:
        raise ModelError(f"input_shape must have positive sizes, got {shape}")
    return c, h, w


class ToImage(nn.Module):
    """N × input_shape → N × C × H × W for 2-D networks (see :func:`image_geometry`)."""

    def __init__(self, input_shape: Shape) -> None:
        super().__init__()
        self.rank = len(input_shape)
        _, self.height, self.width = image_geometry(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rank == 3:
            return x.permute(0, 3, 1, 2)
        if self.rank == 2:
            return x.unsqueeze(1)
        pad = self.height * self.width - x.shape[1]
        return F.pad(x, (0, pad)).reshape(x.shape[0], 1, self.height, self.width)


def _numel(shape: Shape) -> int:
    n = math.prod(int(s) for s in shape)
    if n < 1 or len(shape) == 0:
        raise ModelError(f"input_shape must have at least one value, got {tuple(shape)}")
    return n


def _pooled(length: int) -> int:
    """Length after a 2-wide max-pool with ``ceil_mode=True`` (never 0 for a positive length)."""
    return (length + 1) // 2


# ---- models ---------------------------------------------------------------------------------------


def cnn1d_paper(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """The 1-D CNN of "less is more" (Conv1d 16 → ReLU → pool 2 → Conv1d 32 → ReLU → pool 2 → FC 128 → FC).

    The input is the flattened representation (channels-last order) as a one-channel sequence. The paper
    gives neither kernel size nor padding: we use kernel 3, padding 1 (length-preserving convolutions).
    Pooling uses ``ceil_mode=True`` so odd lengths keep their last value and inputs as short as one
    value still work (16 values → 8 → 4 positions × 32 channels into the FC layer).
    """
    length = _numel(input_shape)
    flat = 32 * _pooled(_pooled(length))
    body = nn.Sequential(
        nn.Conv1d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool1d(2, ceil_mode=True),
        nn.Conv1d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool1d(2, ceil_mode=True),
        nn.Flatten(),
        nn.Linear(flat, 128),
        nn.ReLU(),
    )
    return ViewClassifier(input_shape, body, nn.Linear(128, num_classes), ToSequence())


def lenet300(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """LeNet-300-100 (LeCun et al. 1998): the flattened input → FC 300 → ReLU → FC 100 → ReLU → FC classes."""
    body = nn.Sequential(nn.Linear(_numel(input_shape), 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU())
    return ViewClassifier(input_shape, body, nn.Linear(100, num_classes), ToVector())


def _cnn2d(input_shape: Shape, num_classes: int, batch_norm: bool) -> ViewClassifier:
    c, h, w = image_geometry(input_shape)

    def block(cin: int, cout: int) -> list[nn.Module]:
        if batch_norm:  # conv-BN-ReLU; the conv bias is redundant before BN
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]

    flat = 32 * _pooled(_pooled(h)) * _pooled(_pooled(w))
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


class _BasicBlock(nn.Module):
    """ResNet basic block with an option-A (parameter-free) shortcut: stride-2 subsampling + zero channels."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.extra_channels = stride, cout - cin

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            # x[::2] of an odd size s keeps ⌈s/2⌉ positions, the same as the stride-2 conv with padding 1
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class _GlobalAveragePool(nn.Module):
    """Mean over H and W (a plain mean, which has a deterministic backward on CUDA)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def resnet20(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """CIFAR ResNet-20 (He et al. 2016, §4.2): conv 16, then 3 stages × 3 basic blocks (16/32/64 channels).

    Option-A shortcuts (identity; stride-2 subsampling and zero-padded channels when the shape changes),
    as the paper uses for CIFAR-10, so the network has no projection parameters. Global average pooling
    gives the 64-d features; any view ≥ 1 × 1 works (stage 2 and 3 halve H and W, rounding up).
    """
    c, _, _ = image_geometry(input_shape)
    layers: list[nn.Module] = [nn.Conv2d(c, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(_BasicBlock(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers.append(_GlobalAveragePool())
    return ViewClassifier(
        input_shape, nn.Sequential(*layers), nn.Linear(64, num_classes), ToImage(input_shape)
    )


# ---- registry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """A named architecture and the function that builds it for one view shape and class count."""

    name: str
    builder: Callable[[Shape, int], ViewClassifier]

    @property
    def description(self) -> str:
        return (self.builder.__doc__ or "").strip().splitlines()[0]

    def build(self, input_shape: Sequence[int], num_classes: int) -> ViewClassifier:
        if int(num_classes) < 2:
            raise ModelError(f"num_classes must be at least 2, got {num_classes!r}")
        return self.builder(tuple(int(s) for s in input_shape), int(num_classes))


_REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("cnn1d_paper", cnn1d_paper),
        ModelSpec("lenet300", lenet300),
        ModelSpec("cnn2d", cnn2d),
        ModelSpec("cnn2d_bn", cnn2d_bn),
        ModelSpec("resnet20", resnet20),
    )
}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; allowed: {names()}") from None


def build(name: str, input_shape: Sequence[int], num_classes: int) -> ViewClassifier:
    """A freshly initialised model ``name`` for samples of ``input_shape`` (no N) and ``num_classes``."""
    return get(name).build(input_shape, num_classes)
