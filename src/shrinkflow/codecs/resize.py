"""``downsample``: bilinear resize to s×s stored as uint8 ("less is more", eq. 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where it is used: the registry loads without it
    import torch

from .base import Codec, LevelError, Payload, check_view


def resize_stack(images: np.ndarray | torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a float N×H×W×C stack to N×h×w×C in one torch call (antialiased when shrinking)."""
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(images, dtype=torch.float32).permute(0, 3, 1, 2)
    shrinking = size[0] < x.shape[2] or size[1] < x.shape[3]
    y = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrinking)
    return y.permute(0, 2, 3, 1)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    import torch

    return x.round().clamp_(0, 255).to(torch.uint8).numpy()


def parse_side(name: str, level, image_shape) -> int:
    """Parse an output side length s with 1 ≤ s ≤ min(H, W)."""
    limit = min(image_shape[0], image_shape[1])
    try:
        side = int(level)
    except (TypeError, ValueError):
        raise LevelError(f"method {name!r}: level must be an integer side length, got {level!r}") from None
    if str(side) != str(level).strip() or not 1 <= side <= limit:
        raise LevelError(f"method {name!r}: level {level!r} is outside the allowed side lengths 1..{limit}")
    return side


class Downsample(Codec):
    name = "downsample"
    level_meaning = "s (output side length in pixels)"
    family = "downsample"

    def _parse_level(self, level, image_shape):
        return parse_side(self.name, level, image_shape)

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        small = to_uint8(resize_stack(images, (level, level)))
        storage = {"pixels": "uint8 N×s×s×C: bilinear (antialiased) resize of the 0..255 image, rounded"}
        meta = {"height": images.shape[1], "width": images.shape[2], "storage": storage}
        return Payload({"pixels": small}, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        small = np.divide(payload.arrays["pixels"], np.float32(255.0), dtype=np.float32)
        if view == "coefficients":
            return small
        size = (payload.meta["height"], payload.meta["width"])
        return resize_stack(small, size).numpy()

    def torch_transform(self, payload_meta, view):
        side = payload_meta["level"]
        size = (payload_meta["height"], payload_meta["width"])
        if view == "coefficients":
            return lambda x: resize_stack(x, (side, side))
        return lambda x: resize_stack(resize_stack(x, (side, side)), size)
