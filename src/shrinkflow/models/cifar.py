"""CIFAR-sized classifiers: ResNets with option-A shortcuts, and architectures named in the
correctness-preserving study's Tables I and II (AlexNet for CIFAR without BatchNorm, VGG-19 with BatchNorm,
ResNet-110).

The study's architecture names (``ALEXNET``, ``VGG19-BN``, ``RESNET-110``, ``DENSENET-BC (L=100, K=12)``,
``WRN-28-10-DROP``, ``RESNEXT-29 8X64D``) are those of a common CIFAR model zoo; we build the three that a
CPU test can hold, from their published structure, and name where ours differ. Pools use ``ceil_mode`` so
28×28 MNIST views work too.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import Shape, ToImage, ViewClassifier, image_geometry


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


def _resnet(input_shape: Shape, num_classes: int, blocks_per_stage: int) -> ViewClassifier:
    c, _, _ = image_geometry(input_shape)
    layers: list[nn.Module] = [nn.Conv2d(c, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(blocks_per_stage):
            layers.append(_BasicBlock(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers.append(_GlobalAveragePool())
    return ViewClassifier(
        input_shape, nn.Sequential(*layers), nn.Linear(64, num_classes), ToImage(input_shape)
    )


def resnet20(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """CIFAR ResNet-20 (He et al. 2016, §4.2): conv 16, then 3 stages × 3 basic blocks (16/32/64 channels).

    Option-A shortcuts (identity; stride-2 subsampling and zero-padded channels when the shape changes),
    as the paper uses for CIFAR-10, so the network has no projection parameters. Global average pooling
    gives the 64-d features; any view ≥ 1 × 1 works (stage 2 and 3 halve H and W, rounding up).
    """
    return _resnet(input_shape, num_classes, 3)


def resnet110(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """CIFAR ResNet-110 (He et al. 2016, §4.2; correctness-preserving Table II): 3 stages × 18 basic blocks.

    Built like :func:`resnet20` (option-A shortcuts, as He et al. use on CIFAR-10); the model zoo behind the
    study's names uses 1×1-conv projection shortcuts where the shape changes (two extra conv+BN layers).
    """
    return _resnet(input_shape, num_classes, 18)


def alexnet(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """AlexNet for CIFAR (correctness-preserving Table I; no BatchNorm): five convs, three max-pools, one FC.

    conv 11×11/4 64 → pool → conv 5×5 192 → pool → conv 3×3 384 → conv 3×3 256 → conv 3×3 256 → pool →
    FC classes, ReLU after every conv (the CIFAR adaptation of Krizhevsky et al. 2012 in the model zoo the
    study names; 32×32 inputs reach the FC layer as 256 × 1 × 1). The study's BatchNorm-free group.
    """
    c, h, w = image_geometry(input_shape)
    pool = nn.MaxPool2d(2, ceil_mode=True)
    body = nn.Sequential(
        nn.Conv2d(c, 64, 11, stride=4, padding=5), nn.ReLU(), pool,
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), pool,
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), pool,
        nn.Flatten(),
    )  # fmt: skip
    side_h, side_w = -(-h // 4), -(-w // 4)  # the stride-4 conv with padding 5 and kernel 11: ⌈s/4⌉
    for _ in range(3):
        side_h, side_w = -(-side_h // 2), -(-side_w // 2)
    head = nn.Linear(256 * side_h * side_w, num_classes)
    return ViewClassifier(input_shape, body, head, ToImage(input_shape))


#: VGG-19 (Simonyan & Zisserman 2015, configuration E): conv widths, "M" = 2×2 max-pool
_VGG19 = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"
)  # fmt: skip


def vgg19_bn(input_shape: Shape, num_classes: int) -> ViewClassifier:
    """VGG-19 with BatchNorm for CIFAR (correctness-preserving Tables I and II): 16 conv3×3-BN-ReLU, 5 pools,
    FC classes.

    Configuration E of Simonyan & Zisserman with BN after every conv and, as in the CIFAR model zoo the study
    names, a single linear classifier on the 512 features (32×32 inputs reach it as 512 × 1 × 1). The
    study's BatchNorm group (about 20 M parameters: a GPU model).
    """
    c, h, w = image_geometry(input_shape)
    layers: list[nn.Module] = []
    cin = c
    for item in _VGG19:
        if item == "M":
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
            h, w = -(-h // 2), -(-w // 2)
        else:
            layers += [nn.Conv2d(cin, int(item), 3, padding=1), nn.BatchNorm2d(int(item)), nn.ReLU()]
            cin = int(item)
    layers.append(nn.Flatten())
    return ViewClassifier(
        input_shape, nn.Sequential(*layers), nn.Linear(512 * h * w, num_classes), ToImage(input_shape)
    )
