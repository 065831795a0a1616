"""zfp's decorrelating 4×4 block transform, in numpy over whole arrays (zfp coefficient view).

zfp (Lindstrom 2014, "Fixed-Rate Compressed Floating-Point Arrays", §3; zfp docs "Algorithm") decorrelates
each 4×4 block with a non-orthogonal lifting transform applied to every row (along x, the fastest axis) and
then every column (along y). Per 4-vector (x, y, z, w) the forward lifting steps are

    x += w; x /= 2; w -= x;   z += y; z /= 2; y -= z;
    x += z; x /= 2; z -= x;   w += y; w /= 2; y -= w;
    w += y / 2; y -= w / 2;

equal to the matrix  1/16 · [[4, 4, 4, 4], [5, 1, -1, -5], [-4, 4, 4, -4], [-2, 6, -6, 2]].  zfp runs them on
block-floating-point integers with ``>> 1`` in place of ``/ 2``; here they run in exact real arithmetic,
which makes the transform exactly invertible (:func:`inverse_block_transform`). Coefficients are listed
in zfp's sequency order (``perm_2``: by i + j, then i² + j², with i along x).
"""

from __future__ import annotations

import numpy as np

#: zfp's perm_2 for 2-D blocks: flat index x + 4·y of the coefficient coded in each position
SEQUENCY_ORDER = np.array([0, 1, 4, 5, 2, 8, 6, 9, 3, 12, 10, 7, 13, 11, 14, 15])
_CHUNK = 4096


def forward_lift(v: np.ndarray, axis: int) -> np.ndarray:
    """zfp's forward lifting on the length-4 ``axis`` of ``v`` (float), returning a new array."""
    x, y, z, w = (np.take(v, i, axis=axis).astype(np.float64) for i in range(4))
    x += w
    x /= 2
    w -= x
    z += y
    z /= 2
    y -= z
    x += z
    x /= 2
    z -= x
    w += y
    w /= 2
    y -= w
    w += y / 2
    y -= w / 2
    return np.stack([x, y, z, w], axis=axis)


def inverse_lift(v: np.ndarray, axis: int) -> np.ndarray:
    """Exact inverse of :func:`forward_lift` (zfp's inv_lift with ``<< 1`` as ``· 2``)."""
    x, y, z, w = (np.take(v, i, axis=axis).astype(np.float64) for i in range(4))
    y += w / 2
    w -= y / 2
    y += w
    w *= 2
    w -= y
    z += x
    x *= 2
    x -= z
    y += z
    z *= 2
    z -= y
    w += x
    x *= 2
    x -= w
    return np.stack([x, y, z, w], axis=axis)


def forward_block_transform(blocks: np.ndarray) -> np.ndarray:
    """Transform ``…×4×4`` blocks (rows = y, columns = x): along x first, then along y, as zfp does."""
    return forward_lift(forward_lift(blocks, axis=-1), axis=-2)


def inverse_block_transform(coefficients: np.ndarray) -> np.ndarray:
    return inverse_lift(inverse_lift(coefficients, axis=-2), axis=-1)


def to_blocks(planes: np.ndarray) -> np.ndarray:
    """N×C×H×W (H, W multiples of 4) → N×C×(H/4)×(W/4)×4×4 blocks on zfp's grid."""
    n, c, h, w = planes.shape
    return planes.reshape(n, c, h // 4, 4, w // 4, 4).transpose(0, 1, 2, 4, 3, 5)


def coefficient_view(planes: np.ndarray) -> np.ndarray:
    """float32 N×(H/4)×(W/4)×(16·C) zfp coefficients of N×C×H×W planes, index ``c·16 + sequency rank``."""
    n, c, h, w = planes.shape
    out = np.empty((n, h // 4, w // 4, c, 16), np.float32)
    for start in range(0, n, _CHUNK):  # bounds the float64 temporaries
        part = planes[start : start + _CHUNK]
        coefficients = forward_block_transform(to_blocks(part)).reshape(part.shape[0], c, h // 4, w // 4, 16)
        out[start : start + _CHUNK] = coefficients[..., SEQUENCY_ORDER].transpose(0, 2, 3, 1, 4)
    return out.reshape(n, h // 4, w // 4, 16 * c)
