"""Pooling kernels: window maxima and sums as kh·kw vectorized passes, and their scatter back.

Why it is fast: in the batch-innermost layout (``layout.py``) each window position (i, j) of
the padded input is one strided view whose rows are contiguous runs, so a 2x2 pool is four
whole-array numpy passes, never a Python loop over pixels. Max pooling records the winning
window position as a uint8 (not a mask per position), so its backward is kh·kw masked writes.
The gradient's scatter writes straight into place when windows do not overlap (and then needs
no zeroed buffer when they tile the input), and adds shifted slices when they do: no
``np.add.at``. A global average is a batched matrix-vector product (numpy's sum over a middle
axis is ~15x slower).
"""
from __future__ import annotations

import numpy as np

from graphlab.ops.kernels.layout import batch_inner


def window_views(x_pad: np.ndarray, window) -> list:
    """The kh·kw views of a (C, H_pad, W_pad, N) array, one per window position."""
    return [x_pad[:, rows, cols] for _, _, rows, cols in window.offsets()]


def max_and_winner(x_pad: np.ndarray, window) -> tuple:
    """(max over each window, index of the window position that holds it: the first on a tie)."""
    views = window_views(x_pad, window)
    best = views[0].copy()
    winner = np.zeros(best.shape, dtype=np.uint8)
    for k in range(1, len(views)):
        better = views[k] > best                        # strict: ties keep the earlier position
        winner += better * np.uint8(k) - better * winner
        np.maximum(best, views[k], out=best)
    return best, winner


def window_mean(x_pad: np.ndarray, window) -> np.ndarray:
    """The mean over each window (padding counts as the zeros it holds)."""
    views = window_views(x_pad, window)
    total = views[0].copy()
    for view in views[1:]:
        total += view
    total *= 1.0 / (window.kernel[0] * window.kernel[1])
    return total


def scatter(upstream: np.ndarray, window, shares) -> np.ndarray:
    """The (C, H, W, N) input gradient from what each window position passes back.

    ``shares(k, out=None)`` returns window position k's share of ``upstream`` (C, H_out, W_out, N);
    disjoint windows write it straight into place, overlapping ones add.
    """
    channels, batch = upstream.shape[0], upstream.shape[3]
    (kh, kw), (h_out, w_out) = window.kernel, window.out_size
    shape = (channels,) + window.padded_size + (batch,)
    covers_all = window.padding == (0, 0) and window.stride == window.kernel and \
        window.in_size == (kh * h_out, kw * w_out)
    gradient = np.empty(shape, dtype=upstream.dtype) if covers_all else np.zeros(shape, dtype=upstream.dtype)
    for k, (_, _, rows, cols) in enumerate(window.offsets()):
        if window.disjoint:
            shares(k, out=gradient[:, rows, cols])
        else:
            gradient[:, rows, cols] += shares(k)
    return window.crop(gradient)


def spatial_means(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> the (C, N) means over H·W, as one batched matrix-vector product."""
    channels, area, batch = x.shape[1], x.shape[2] * x.shape[3], x.shape[0]
    per_pixel = batch_inner(x).reshape(channels, area, batch)
    return np.matmul(np.full(area, 1.0 / area, dtype=x.dtype), per_pixel)
