"""Building blocks shared by every registry model: input standardisation, the view → features → logits
wrapper, the input layouts (sequence, vector, image) and shape helpers."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from .names import ModelError  # noqa: F401 (re-exported)

Shape = tuple[int, ...]


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


def numel(shape: Shape) -> int:
    n = math.prod(int(s) for s in shape)
    if n < 1 or len(shape) == 0:
        raise ModelError(f"input_shape must have at least one value, got {tuple(shape)}")
    return n


class _PairMax(torch.autograd.Function):
    """The larger of each pair of neighbours along the last axis (even length), with max-pool's gradient.

    Values: ``torch.maximum`` of the even and odd positions (NaN wins; on equal values, ±0 included, it
    returns the first, as max-pooling does). Gradient: all to the element PyTorch's max-pool kernel would
    index: the second of a pair when it is larger or NaN, else the first. Kept as a bool mask instead of
    int64 indices.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        first, second = x.unflatten(-1, (-1, 2)).unbind(-1)
        ctx.save_for_backward((second > first) | second.isnan())
        return torch.maximum(first, second)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (take_second,) = ctx.saved_tensors
        out = grad.new_zeros((*grad.shape, 2))
        out.scatter_(-1, take_second.unsqueeze(-1).long(), grad.unsqueeze(-1))
        return out.flatten(-2)


class PairMaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d(2, ceil_mode=True)`` that, when a gradient is needed, takes the larger of each pair of
    neighbours with whole-array operations instead (:class:`_PairMax`).

    Same values and the same gradients: like MaxPool1d, a tie sends the gradient to the first element of
    its pair, and an odd last value forms a window of its own (padded with −inf). With autograd on,
    PyTorch's CPU max-pool has to record the argmax of every window, and that kernel is slower than this
    whole-array form: a training step of ``cnn1d_paper`` on 784 values runs 1.32x as fast as with
    ``nn.MaxPool1d`` (1.12x for the earlier reshape + ``max(dim=-1)`` form; ``benchmarks/bench_pool.py``,
    one run each). Without autograd (evaluation, analyses) PyTorch's own
    kernel is the faster one and is used. A subclass, so code that asks ``isinstance(m, nn.MaxPool1d)``
    (structured pruning) still sees a max-pool; it has no parameters, so state_dicts are unchanged.
    """

    def __init__(self) -> None:
        super().__init__(2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (torch.is_grad_enabled() and x.requires_grad):
            return super().forward(x)
        if x.shape[-1] % 2:
            x = F.pad(x, (0, 1), value=float("-inf"))
        return _PairMax.apply(x)


def pooled(length: int) -> int:
    """Length after a 2-wide max-pool with ``ceil_mode=True`` (never 0 for a positive length)."""
    return (length + 1) // 2
