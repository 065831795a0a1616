"""Decision-boundary distances: a linear classifier's known hyperplane, censoring, and scaling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_analysis_support import Linear

from shrinkflow.analysis.boundaries import boundary_analysis, censored_median, random_directions


def _linear_two_class(w: np.ndarray, b: float) -> Linear:
    """Logits (0, w·x + b): class 1 exactly on the positive side of the hyperplane w·x + b = 0."""
    weight = np.stack([np.zeros_like(w), w])
    return Linear(weight, np.array([0.0, b]))


def test_distance_to_a_known_hyperplane_is_margin_over_w_dot_u():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=12), 0.3
    x = rng.normal(size=(10, 3, 4, 1)).astype(np.float32)
    model = _linear_two_class(w, b)
    max_radius, tol = 8.0, 1e-3
    out = boundary_analysis(model, model, x, n_directions=16, max_radius=max_radius, tol=tol, seed=5)

    u = random_directions(10, 16, (3, 4, 1), seed=5).double().reshape(10, 16, -1).numpy()
    margin = x.reshape(10, -1).astype(np.float64) @ w + b
    along = u @ w  # w·u per point and direction
    t = -margin[:, None] / along  # signed distance to the hyperplane along u
    reachable = (t > 0) & (t <= max_radius)
    np.testing.assert_array_equal(~out["arrays"]["censored"], reachable)
    assert reachable.sum() > 20 and (~reachable).sum() > 20  # the case exercises both outcomes
    found = out["arrays"]["distances"][reachable]
    expected = np.abs(margin[:, None] / along)[reachable]  # margin / |w·u|
    assert np.max(np.abs(found - expected)) <= tol
    np.testing.assert_array_equal(out["arrays"]["distances"][~reachable], max_radius)


class _Slab(torch.nn.Module):
    """Class 1 outside the slab |w·z| ≤ 1 (w unit): from a point with w·x = 0, t* = 1/|w·u| either way."""

    def __init__(self, w: np.ndarray, speed: float = 1.0):
        super().__init__()
        self.w = torch.as_tensor(w, dtype=torch.float32)
        self.speed = speed

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        s = (self.speed * z.flatten(1)) @ self.w
        return torch.stack([torch.ones_like(s), s * s], dim=1)


def test_a_model_at_half_speed_has_twice_the_distances_and_ratio_two():
    rng = np.random.default_rng(1)
    w = rng.normal(size=8)
    w /= np.linalg.norm(w)
    x = rng.normal(size=(16, 8))
    x = (x - np.outer(x @ w, w)).astype(np.float32)  # on the slab's mid-plane
    ref, half = _Slab(w), _Slab(w, speed=0.5)  # half(z) = ref(z / 2): its slab is twice as wide
    tol = 1e-3
    out = boundary_analysis(half, ref, x, n_directions=8, max_radius=1e4, tol=tol, seed=0)
    assert out["censored_fraction"] == 0 and out["reference_censored_fraction"] == 0
    u = random_directions(16, 8, (8,), seed=0).double().numpy()
    expected = 1 / np.abs(u @ w)
    # float32 evaluation adds a relative error near 1e-6 at long distances (t* here reaches several hundred)
    assert np.all(np.abs(out["arrays"]["reference_distances"] - expected) <= tol + 1e-5 * expected)
    assert np.all(np.abs(out["arrays"]["distances"] - 2 * expected) <= tol + 2e-5 * expected)
    assert out["distance_ratio"] == pytest.approx(2.0, rel=1e-3)
    assert out["median_is_lower_bound"] is False and out["distance_ratio_censored"] is False


def test_censored_median_flags_lower_bounds():
    d = np.array([1.0, 2.0, 5.0, 5.0])
    assert censored_median(d, np.array([False, False, False, True])) == (3.5, False)
    assert censored_median(d, np.array([False, False, True, True])) == (3.5, True)
    d5 = np.array([1.0, 2.0, 3.0, 9.0, 9.0])
    assert censored_median(d5, np.array([False, False, False, True, True])) == (3.0, False)
    assert censored_median(d5, np.array([False, False, True, True, True])) == (3.0, True)


def test_directions_are_seeded_unit_vectors():
    u = random_directions(3, 4, (2, 5, 1), seed=9)
    assert u.shape == (3, 4, 2, 5, 1)
    torch.testing.assert_close(torch.linalg.vector_norm(u.flatten(2), dim=-1), torch.ones(3, 4))
    assert torch.equal(u, random_directions(3, 4, (2, 5, 1), seed=9))


def test_invalid_search_parameters_are_named():
    model = _linear_two_class(np.ones(4), 0.0)
    x = np.zeros((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="tol must lie in"):
        boundary_analysis(model, model, x, n_directions=2, max_radius=1.0, tol=2.0)
    with pytest.raises(ValueError, match="max_radius must be a positive finite number"):
        boundary_analysis(model, model, x, n_directions=2, max_radius=float("inf"), tol=0.1)
