"""Batch-norm statistics in one pass over the data, and Σ dy ⊙ x̂ without building x̂.

Why it is fast: the variance as E[x²] − μ² reads the data twice through BLAS (``row_sums``,
``row_dots``) and allocates nothing, where (x − μ)² builds a temporary as big as the
activations. The backward's Σ dy ⊙ x̂ is likewise (Σ dy ⊙ x − μ Σ dy) / σ, and dx is one pass
``scale·dy + slope·x + constant``. The one-pass forms cancel when |μ| >> σ (float32 keeps about
7 digits), so while μ² > 16 σ² the kernels centre first and build x̂ after all.
"""
from __future__ import annotations

import numpy as np

from graphlab.ops.kernels.layout import row_dots, row_sums

#: the variance is E[x²] − μ² (one pass, no temporary) while μ² <= this many times σ²; beyond
#: that the two terms cancel too much in float32 and the kernels centre first
WELL_CONDITIONED = 16.0


def _column(vector: np.ndarray) -> np.ndarray:
    return vector.reshape(-1, 1)


def is_ill_conditioned(mean: np.ndarray, variance: np.ndarray) -> bool:
    """True when some channel's |μ| is so large next to σ that the one-pass forms would cancel."""
    return bool(np.any(mean * mean > WELL_CONDITIONED * variance))


def row_moments(rows: np.ndarray) -> tuple:
    """(mean, biased variance, centred?) of each row of a (C, M) array."""
    count = rows.shape[1]
    mean = row_sums(rows) / count
    variance = row_dots(rows, rows) / count - mean * mean      # E[x²] − μ²: two reads, no temporary
    if not is_ill_conditioned(mean, variance):
        return mean, variance, False
    centered = rows - _column(mean)
    return mean, row_dots(centered, centered) / count, True


def sums_with_normalized(d_rows: np.ndarray, rows: np.ndarray, mean: np.ndarray, inv_std: np.ndarray,
                         centered: bool) -> tuple:
    """(Σ dy, Σ dy ⊙ x̂, x̂ or None) per row, with x̂ = (x − μ)·inv_std built only when ``centered``."""
    d_sum = row_sums(d_rows)
    if centered:
        normalized = (rows - _column(mean)) * _column(inv_std)
        return d_sum, row_dots(d_rows, normalized), normalized
    return d_sum, (row_dots(d_rows, rows) - mean * d_sum) * inv_std, None


def add_centered(target: np.ndarray, rows: np.ndarray, mean: np.ndarray, inv_std: np.ndarray,
                 slope: np.ndarray, offset: np.ndarray, normalized) -> None:
    """target += slope·(x − μ) + offset per row, in place; from x̂ when it was built."""
    if normalized is None:
        target += rows * _column(slope)
        target += _column(offset - slope * mean)
    else:
        target += normalized * _column(slope / inv_std)
        target += _column(offset)
