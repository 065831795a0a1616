"""Image-quality and rate metrics of the rate–distortion stage, apart from the codecs they judge.

* PSNR in 8-bit units as COIN computes it (Dupont et al. 2021, ``util.get_clamped_psnr``): the output is
  clamped to [0, 1] and rounded to multiples of 1/255, MSE is over all pixels and channels, peak 255.
  Decoded images here are already uint8, so :func:`psnr` takes uint8 pairs; :func:`to_uint8` is the
  clamp-and-round that turns a network's [0, 1] output into such an image.
* MS-SSIM from ``pytorch-msssim`` (Wang et al. 2003's five scales, Gaussian window 11, σ 1.5, data range
  255) on RGB, averaged over channels. The library needs the shorter side > (window − 1)·16 (four 2×
  downsamplings); smaller images get the largest odd window that fits, with σ scaled by window/11, and
  images of 32 pixels or less on a side get NaN. :func:`ms_ssim_window` says which window an image gets.
* bpp = 8 · stored bytes / (H · W).
"""

from __future__ import annotations

import math

import numpy as np

STANDARD_WINDOW = 11
STANDARD_SIGMA = 1.5
DOWNSAMPLINGS = 4  # pytorch-msssim's five scales


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Float values in [0, 1] (any shape) clamped and rounded to the nearest of 0, 1/255, …, 1, as uint8."""
    return np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)


def mse(reference: np.ndarray, decoded: np.ndarray) -> float:
    """Mean squared error in grey levels² over all pixels and channels."""
    if reference.shape != decoded.shape:
        raise ValueError(f"shapes differ: reference {reference.shape}, decoded {decoded.shape}")
    diff = reference.astype(np.float64) - decoded.astype(np.float64)
    return float(np.mean(diff * diff))


def psnr(reference: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR in dB of uint8 images (peak 255); ``inf`` for identical images."""
    error = mse(reference, decoded)
    return math.inf if error == 0 else 10.0 * math.log10(255.0**2 / error)


def bpp(stored_bytes: int, height: int, width: int) -> float:
    """Bits per pixel of a payload of ``stored_bytes`` for an H×W image."""
    return 8.0 * stored_bytes / (height * width)


def ms_ssim_window(height: int, width: int) -> tuple[int, float] | None:
    """(window, σ) pytorch-msssim is called with for an H×W image, or None when no window fits."""
    side = min(height, width)
    window = STANDARD_WINDOW
    while window >= 3 and side <= (window - 1) * 2**DOWNSAMPLINGS:
        window -= 2
    if window < 3:
        return None
    return window, STANDARD_SIGMA * window / STANDARD_WINDOW


def ms_ssim(reference: np.ndarray, decoded: np.ndarray) -> float:
    """MS-SSIM of two uint8 H×W×C images (data range 255), or NaN when the image is too small."""
    if reference.shape != decoded.shape:
        raise ValueError(f"shapes differ: reference {reference.shape}, decoded {decoded.shape}")
    window = ms_ssim_window(*reference.shape[:2])
    if window is None:
        return math.nan
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim

    def tensor(image: np.ndarray) -> torch.Tensor:
        array = image.reshape(*image.shape[:2], -1).transpose(2, 0, 1)[None]
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))

    value = _ms_ssim(
        tensor(reference), tensor(decoded), data_range=255, win_size=window[0], win_sigma=window[1]
    )
    return float(value)
