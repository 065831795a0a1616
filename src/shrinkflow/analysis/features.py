"""Feature-space correctness: do the two models embed the test set alike?

Two measures on the penultimate activations (N × D and N × D', D ≠ D' allowed) of the same test images:

* linear CKA (Kornblith et al. 2019, eq. for the linear kernel): with column-centred X, Y,
  CKA(X, Y) = ‖YᵀX‖²_F / (‖XᵀX‖_F · ‖YᵀY‖_F); invariant to rotations and isotropic scaling, 1 for equal
  representations up to those;
* k-nearest-neighbour agreement: for each test point, its k nearest other test points (Euclidean) in each
  embedding; per point the Jaccard index |A∩B|/|A∪B| and the overlap |A∩B|/k, averaged over points. Local
  neighbourhoods are what a nearest-neighbour view of the model sees; CKA is global.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._common import check_2d

if TYPE_CHECKING:
    from torch import nn

    from .pairs import RunPair


def linear_cka(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    """Linear CKA of two representations of the same N items (float64; D×D or N×N form, the smaller)."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"CKA needs two N×D arrays with the same N, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    x = x - x.mean(dim=0)
    y = y - y.mean(dim=0)
    n, dx, dy = x.shape[0], x.shape[1], y.shape[1]
    if dx * dy <= n * n:
        cross = torch.linalg.matrix_norm(y.T @ x) ** 2
        self_x = torch.linalg.matrix_norm(x.T @ x)
        self_y = torch.linalg.matrix_norm(y.T @ y)
    else:  # Gram form: ‖YᵀX‖²_F = ⟨XXᵀ, YYᵀ⟩, ‖XᵀX‖_F = ‖XXᵀ‖_F
        kx, ky = x @ x.T, y @ y.T
        cross = (kx * ky).sum()
        self_x = torch.linalg.matrix_norm(kx)
        self_y = torch.linalg.matrix_norm(ky)
    denominator = self_x * self_y
    if denominator == 0:
        raise ValueError("CKA is undefined for a constant representation (all rows equal after centring)")
    return float(cross / denominator)


def knn_indices(x: np.ndarray | torch.Tensor, k: int, chunk_rows: int | None = None) -> torch.Tensor:
    """Indices (N × k, int64) of each row's k nearest other rows by Euclidean distance, nearest first.

    Distances come from ``torch.cdist`` over blocks of ``chunk_rows`` query rows against all rows (memory
    chunk_rows × N × 4 bytes; the default keeps a block near 32 MiB); a point is never its own neighbour.
    Ties go to the lower index (``topk`` on CPU is deterministic), so equal inputs give equal neighbours.
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    n = x.shape[0]
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n - 1:
        raise ValueError(f"k must be an integer in 1..{n - 1} (N − 1 for N = {n} points), got {k!r}")
    if chunk_rows is None:
        chunk_rows = max(1, (8 << 20) // max(n, 1))
    out = torch.empty((n, k), dtype=torch.int64)
    for start in range(0, n, chunk_rows):
        block = x[start : start + chunk_rows]
        dist = torch.cdist(block, x)
        rows = torch.arange(block.shape[0])
        dist[rows, rows + start] = float("inf")
        out[start : start + block.shape[0]] = torch.topk(dist, k, dim=1, largest=False, sorted=True).indices
    return out


def knn_agreement(
    x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, k: int, chunk_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-point Jaccard |A∩B|/|A∪B| and overlap |A∩B|/k of the k-NN sets A (in x) and B (in y)."""
    a = knn_indices(x, k, chunk_rows)
    b = knn_indices(y, k, chunk_rows)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"embeddings must describe the same points, got {a.shape[0]} and {b.shape[0]} rows")
    # a k-NN set has no repeated index, so counting pairwise equal entries counts the intersection
    common = torch.zeros(a.shape[0], dtype=torch.int64)
    for start in range(0, a.shape[0], 4096):
        blk_a, blk_b = a[start : start + 4096], b[start : start + 4096]
        common[start : start + blk_a.shape[0]] = (blk_a[:, :, None] == blk_b[:, None, :]).sum(dim=(1, 2))
    common_f = common.double().numpy()
    jaccard = common_f / (2 * k - common_f)
    overlap = common_f / k
    return jaccard, overlap


def feature_analysis(
    features: np.ndarray, reference_features: np.ndarray, k: int = 10, chunk_rows: int | None = None
) -> dict[str, Any]:
    """Compare penultimate embeddings of a model and its reference on the same test images.

    Returns ``cka_linear``, the k-NN agreement means and, under ``"arrays"``, per-image ``knn_jaccard`` and
    ``knn_overlap``.
    """
    features = check_2d("features", features)
    reference_features = check_2d("reference_features", reference_features, rows=features.shape[0])
    jaccard, overlap = knn_agreement(features, reference_features, k, chunk_rows)
    return {
        "n_points": int(features.shape[0]),
        "feature_dim": int(features.shape[1]),
        "reference_feature_dim": int(reference_features.shape[1]),
        "cka_linear": linear_cka(features, reference_features),
        "knn_k": int(k),
        "knn_distance": "euclidean",
        "knn_jaccard_mean": float(jaccard.mean()),
        "knn_overlap_mean": float(overlap.mean()),
        "arrays": {"knn_jaccard": jaccard, "knn_overlap": overlap},
    }


def reference_part(reference: nn.Module, x_raw: np.ndarray, settings: Mapping[str, Any]) -> dict:
    """The reference's embeddings of the raw test images (see :mod:`~shrinkflow.analysis.reference`)."""
    from .pairs import embeddings

    return {"embeddings": embeddings(reference, x_raw)}


def run(pair: RunPair, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``features`` analysis of a run and its reference (``analysis.features`` settings)."""
    _, features = pair.model_outputs()
    reference_features = pair.reference_part("features", settings)["embeddings"]
    return feature_analysis(features, reference_features, k=settings["k"])
