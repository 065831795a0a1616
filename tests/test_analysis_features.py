"""Feature-space analysis: linear CKA invariances and k-NN agreement on constructed embeddings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from shrinkflow.analysis.features import feature_analysis, knn_agreement, knn_indices, linear_cka


@pytest.fixture
def embedding():
    return np.random.default_rng(1).normal(size=(200, 16))


def test_cka_is_one_for_a_rotated_copy(embedding):
    rotation = special_ortho_group.rvs(16, random_state=2)
    assert linear_cka(embedding, embedding @ rotation) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_one_for_an_isotropically_scaled_and_shifted_copy(embedding):
    assert linear_cka(embedding, 7.5 * embedding + 3.0) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_small_for_independent_features():
    rng = np.random.default_rng(3)
    value = linear_cka(rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8)))
    assert 0 <= value < 0.02


def test_cka_is_below_one_for_an_anisotropic_scaling(embedding):
    scale = np.linspace(0.1, 3.0, 16)
    assert linear_cka(embedding, embedding * scale) < 0.95


def test_cka_gram_form_matches_feature_form():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(10, 40)), rng.normal(size=(10, 30))  # D > N: Gram form
    xc, yc = x - x.mean(0), y - y.mean(0)
    direct = np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    assert linear_cka(x, y) == pytest.approx(direct, rel=1e-12)


def test_knn_agreement_of_identical_embeddings_is_one(embedding):
    jaccard, overlap = knn_agreement(embedding, embedding.copy(), k=5)
    assert np.all(jaccard == 1.0) and np.all(overlap == 1.0)


def test_knn_agreement_of_a_line_and_its_reversal():
    x = np.array([0, 1, 3, 7, 12, 18], dtype=np.float64)[:, None]  # no distance ties
    y = x[::-1].copy()  # point i sits where point 5 − i was
    # 2-NN sets in x: {1,2} {0,2} {1,0} {2,4} {3,5} {4,3}; in y: {1,2} {2,0} {3,1} {4,5} {5,3} {4,3}
    assert [set(r) for r in knn_indices(x, 2).tolist()] == [{1, 2}, {0, 2}, {0, 1}, {2, 4}, {3, 5}, {3, 4}]
    jaccard, overlap = knn_agreement(x, y, k=2)
    np.testing.assert_allclose(jaccard, [1, 1, 1 / 3, 1 / 3, 1, 1], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(overlap, [1, 1, 0.5, 0.5, 1, 1])


def test_knn_chunking_does_not_change_neighbours(embedding):
    assert np.array_equal(knn_indices(embedding, 7, chunk_rows=13), knn_indices(embedding, 7))


def test_knn_rejects_k_out_of_range(embedding):
    with pytest.raises(ValueError, match="k must be an integer in 1..199"):
        knn_indices(embedding, 200)


def test_feature_analysis_keys_and_dimensions(embedding):
    out = feature_analysis(embedding, embedding[:, :8], k=3)
    assert out["feature_dim"] == 16 and out["reference_feature_dim"] == 8 and out["knn_k"] == 3
    assert 0 < out["cka_linear"] < 1
    assert out["arrays"]["knn_jaccard"].shape == (200,)
    assert out["knn_jaccard_mean"] == pytest.approx(out["arrays"]["knn_jaccard"].mean())
