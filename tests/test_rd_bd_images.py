"""Bjøntegaard deltas and the offline scikit-image photographs of the rate–distortion stage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shrinkflow.rd import bd
from shrinkflow.rd.images import load_skimage_photos

RATES = [0.25, 0.5, 1.0, 2.0]
PSNR = [25.0, 28.1, 30.9, 33.2]


@pytest.mark.parametrize("method", bd.METHODS)
def test_bd_of_a_curve_against_itself_is_zero(method):
    assert bd.bd_rate((RATES, PSNR), (RATES, PSNR), method) == pytest.approx(0, abs=1e-9)
    assert bd.bd_psnr((RATES, PSNR), (RATES, PSNR), method) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("method", bd.METHODS)
def test_known_shifts_give_the_expected_deltas(method):
    # the same PSNRs at 80% of the rate: every interpolant shifts in log-rate by log10(0.8)
    assert bd.bd_rate((RATES, PSNR), ([0.8 * r for r in RATES], PSNR), method) == pytest.approx(-20.0)
    # 0.5 dB more at the same rates
    assert bd.bd_psnr((RATES, PSNR), (RATES, [p + 0.5 for p in PSNR]), method) == pytest.approx(0.5)


def test_hand_checked_linear_curves():
    # anchor PSNR = 10·log10 R + 30, test PSNR = 12·log10 R + 31 on R in [0.25, 2]: both are straight lines
    # in log-rate, so every interpolation is exact and the deltas follow by hand.
    anchor = (RATES, [10 * math.log10(r) + 30 for r in RATES])
    test = (RATES, [12 * math.log10(r) + 31 for r in RATES])
    # BD-PSNR: the mean of 2·log10 R + 1 over log10 R in [log10 0.25, log10 2] = 1 + log10 0.5
    assert bd.bd_psnr(anchor, test) == pytest.approx(1 + math.log10(0.5))
    # BD-rate: log10 R_t(P) − log10 R_a(P) = (P − 31)/12 − (P − 30)/10 is linear in P; over the common PSNR
    # range its mean is its value at the midpoint
    low, high = max(anchor[1][0], test[1][0]), min(anchor[1][-1], test[1][-1])
    mid = (low + high) / 2
    expected = (10 ** ((mid - 31) / 12 - (mid - 30) / 10) - 1) * 100
    assert bd.bd_rate(anchor, test) == pytest.approx(expected)


def test_disjoint_curves_give_nan_and_overlap_zero():
    far = ([10.0, 20.0], [50.0, 55.0])
    assert math.isnan(bd.bd_psnr((RATES, PSNR), far))
    assert bd.overlap(PSNR, far[1]) == 0.0


def test_skimage_loader_skips_jpeg_stored_photographs():
    photos = load_skimage_photos(32, names=["astronaut", "rocket", "coffee", "retina"])
    assert photos.names == ["astronaut", "coffee"]
    assert set(photos.skipped) == {"rocket", "retina"} and "JPEG" in photos.skipped["rocket"]
    assert photos.images.shape == (2, 32, 32, 3) and photos.images.dtype == np.uint8


def test_skimage_loader_sizes_and_crops():
    photos = load_skimage_photos((24, 40))
    assert photos.images.shape[1:] == (24, 40, 3)
    assert "rocket" not in photos.names and len(photos.names) >= 3
    cropped = load_skimage_photos(16, names=["astronaut"], resize="crop")
    assert cropped.images.shape == (1, 16, 16, 3)
