"""Attribution similarity: weighted Jaccard, Captum wiring, and the transform / decoded / fallback paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_analysis_support import Linear, TinyCNN, images

from shrinkflow.analysis.attributions import attribution_analysis, select_images, weighted_jaccard


def test_weighted_jaccard_of_known_vectors_is_exact():
    a = np.array([[1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    b = np.array([[2.0, 1.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]])
    # min sums to 1+1+3+0 = 5, max to 2+2+3+4 = 11; two all-zero maps are equal
    np.testing.assert_array_equal(weighted_jaccard(a, b), [5 / 11, 1.0])


def test_weighted_jaccard_rejects_signed_maps():
    with pytest.raises(ValueError, match="non-negative"):
        weighted_jaccard(np.array([[1.0, -1.0]]), np.array([[1.0, 1.0]]))


def test_saliency_of_linear_models_is_their_weight_row():
    # logits = W·vec(x): saliency for class c is |W_c| on every image, so J_w is known in closed form
    w_ref = np.array([[1.0, -2.0, 0.5, 0.0], [0.0, 1.0, 1.0, 1.0]])
    w_mod = np.array([[2.0, 1.0, -0.5, 1.0], [0.0, 1.0, 1.0, 1.0]])
    x = np.array([[[[1.0], [0.0]], [[0.0], [0.0]]]] * 3, dtype=np.float32)  # reference predicts class 0
    out = attribution_analysis(
        Linear(w_mod), Linear(w_ref), x, x_decoded=x, n_images=3, methods=["saliency"], normalize=False
    )
    expected = weighted_jaccard(np.abs(w_mod[:1]), np.abs(w_ref[:1]))[0]  # (1+1+.5+0)/(2+2+.5+1) = 2.5/5.5
    assert expected == pytest.approx(2.5 / 5.5)
    np.testing.assert_allclose(out["arrays"]["saliency_similarity"], expected, rtol=1e-6)
    assert out["attribution_space"] == "decoded_pixels" and out["fallback"] is None
    np.testing.assert_array_equal(out["arrays"]["targets"], [0, 0, 0])


def test_normalisation_makes_similarity_scale_free():
    ref = TinyCNN(seed=0)
    scaled = TinyCNN(seed=0)
    with torch.no_grad():
        scaled.head.weight.mul_(3.0)
        scaled.head.bias.mul_(3.0)
    x = images(6)
    raw = attribution_analysis(scaled, ref, x, x_decoded=x, methods=["saliency"], normalize=False)
    norm = attribution_analysis(scaled, ref, x, x_decoded=x, methods=["saliency"], normalize=True)
    assert raw["saliency_similarity_mean"] == pytest.approx(1 / 3, rel=1e-5)
    assert norm["saliency_similarity_mean"] == pytest.approx(1.0, abs=1e-6)


def test_attribution_through_a_transform_recovers_an_equivalent_model():
    # f̃ trained on "2x" data and evaluated through transform x ↦ 2x equals f(x) = g(x/2)·… exactly:
    # here f̃ = f ∘ (x ↦ x/2), so f̃(transform(x)) = f(x) and every map must match
    ref = TinyCNN(seed=1)

    class Halving(torch.nn.Module):
        def forward(self, z):
            return ref(z / 2)

        def features(self, z):
            return ref.features(z / 2)

    out = attribution_analysis(Halving(), ref, images(5), transform=lambda x: 2 * x, n_images=5)
    assert out["attribution_space"] == "raw_through_transform"
    assert out["attribution_methods_used"] == ["saliency", "integrated_gradients", "occlusion"]
    for method in out["attribution_methods_used"]:
        assert out[f"{method}_similarity_mean"] == pytest.approx(1.0, abs=1e-5), method
    assert out["target_agreement"] == 1.0


def test_compressed_domain_model_without_transform_falls_back_to_numpy_occlusion():
    ref = TinyCNN(seed=2)
    x = images(4)

    def numpy_forward(raw: np.ndarray) -> np.ndarray:  # stands in for encode → decode → model
        with torch.no_grad():
            return ref(torch.as_tensor(raw)).numpy()

    out = attribution_analysis(ref, ref, x, view="coefficients", numpy_forward=numpy_forward)
    assert out["fallback"] == "occlusion_numpy" and out["attribution_methods_used"] == ["occlusion"]
    assert out["occlusion_similarity_mean"] == 1.0
    assert "saliency_similarity_mean" not in out


def test_compressed_domain_model_without_any_route_records_impossible():
    ref = TinyCNN(seed=2)
    out = attribution_analysis(ref, ref, images(4), view="coefficients")
    assert out["attribution_possible"] is False and out["fallback"] == "impossible"
    assert out["attribution_methods_used"] == []


def test_pixel_model_without_transform_needs_decoded_images():
    ref = TinyCNN(seed=2)
    with pytest.raises(ValueError, match="needs x_decoded"):
        attribution_analysis(ref, ref, images(4))


def test_image_subset_is_seeded():
    assert np.array_equal(select_images(100, 10, seed=3), select_images(100, 10, seed=3))
    assert not np.array_equal(select_images(100, 10, seed=3), select_images(100, 10, seed=4))
    assert np.array_equal(select_images(5, 10, seed=3), np.arange(5))
