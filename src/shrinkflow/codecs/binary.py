"""Binarization codecs ("less is more", eq. 5): threshold each image at 1[x > μ(x) + 0.5 σ(x)] and resize.

μ and σ are the mean and (population) standard deviation over all pixels and channels of one image.

* ``binary_then_resize`` (the paper's order): threshold on the original grid, then bilinear resize to s×s.
  The result is not binary (edges average to grey), so it is stored as uint8 ``round(255 · v)``.
* ``resize_then_binary``: bilinear resize to s×s, then threshold the small image; stored bit-packed with
  ``np.packbits`` over the whole split at a true 1 bit per value (s=16 on 28×28: 32 bytes per image).

Views: ``coefficients`` = the s×s×C values in [0, 1]; ``pixels`` = those values bilinearly upsampled back to
H×W. Thresholding is not differentiable, so there is no torch transform.
"""

from __future__ import annotations

import numpy as np

from .base import Codec, Payload, check_view
from .resize import parse_side, resize_stack, to_uint8


def binarize(images: np.ndarray) -> np.ndarray:
    """bool mask 1[x > μ + 0.5σ] with μ, σ per image (over all axes but the first)."""
    x = np.asarray(images, dtype=np.float32)
    axes = tuple(range(1, x.ndim))
    threshold = x.mean(axis=axes, keepdims=True) + np.float32(0.5) * x.std(axis=axes, keepdims=True)
    return x > threshold


def _no_offset(self, payload_meta, view, center, image_shape, view_shape) -> np.ndarray:
    """Centring does not reach the model: the threshold μ + 0.5σ moves with the image, so
    ``1[x − c > μ(x − c) + 0.5σ] = 1[x > μ + 0.5σ]``; the view of the centred image is the view itself."""
    return np.zeros(view_shape, np.float32)


def _upsample(small: np.ndarray, meta) -> np.ndarray:
    return resize_stack(small, (meta["height"], meta["width"])).numpy()


class BinaryThenResize(Codec):
    name = "binary_then_resize"
    level_meaning = "s (side length after thresholding and resizing)"
    family = "binary"
    view_offset = _no_offset

    def _parse_level(self, level, image_shape):
        return parse_side(self.name, level, image_shape)

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        mask = binarize(images).astype(np.float32)
        small = to_uint8(resize_stack(mask, (level, level)).mul_(255))
        meta = {
            "height": images.shape[1],
            "width": images.shape[2],
            "storage": {"values": "uint8 round(255 · v), v = resized binary image in [0, 1]"},
        }
        return Payload({"values": small}, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        small = np.divide(payload.arrays["values"], np.float32(255), dtype=np.float32)
        return small if view == "coefficients" else _upsample(small, payload.meta)


class ResizeThenBinary(Codec):
    name = "resize_then_binary"
    level_meaning = "s (side length of the thresholded image)"
    family = "binary"
    view_offset = _no_offset

    def _parse_level(self, level, image_shape):
        return parse_side(self.name, level, image_shape)

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        mask = binarize(resize_stack(images, (level, level)).numpy())
        meta = {
            "height": images.shape[1],
            "width": images.shape[2],
            "side": level,
            "channels": images.shape[3],
            "n_samples": images.shape[0],
            "storage": {"bits": "np.packbits over the whole split (N×s×s×C, row-major), 1 bit per value"},
        }
        return Payload({"bits": np.packbits(mask.reshape(-1))}, meta)

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        meta = payload.meta
        shape = (meta["n_samples"], meta["side"], meta["side"], meta["channels"])
        small = (
            np.unpackbits(payload.arrays["bits"], count=int(np.prod(shape))).reshape(shape).astype(np.float32)
        )
        return small if view == "coefficients" else _upsample(small, meta)
