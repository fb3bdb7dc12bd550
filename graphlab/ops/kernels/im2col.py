"""Convolution as one GEMM over the im2col matrix; its backward ends in col2im.

Why it is fast: the kh·kw shifted views of the padded input are copied once into a matrix
``cols (C·kh·kw [+1], H_out·W_out·N)``, so the whole convolution is one BLAS call
``W (C_out, C·kh·kw [+1]) @ cols``, with the bias folded into the GEMM as a row of ones. In the
batch-innermost layout (``layout.py``) each shifted view is a strided copy of contiguous runs.
The backward is two GEMMs (``dW = upstream @ colsᵀ`` in single-threaded pieces, ``gemm.py``;
``dcols = Wᵀ @ upstream``) and col2im, im2col's transpose: kh·kw shifted slice additions put
each column entry back on the pixel it was copied from (no ``np.add.at``).
"""
from __future__ import annotations

import numpy as np

from graphlab.ops.kernels.gemm import matmul_nt
from graphlab.ops.kernels.layout import row_sums


def im2col(x_pad: np.ndarray, window, ones_row: bool = False) -> np.ndarray:
    """(C, H_pad, W_pad, N) -> (C·kh·kw [+1], H_out·W_out·N), rows ordered (c, i, j) like W's."""
    channels, batch = x_pad.shape[0], x_pad.shape[3]
    (kh, kw), (h_out, w_out) = window.kernel, window.out_size
    columns = channels * kh * kw
    cols = np.empty((columns + ones_row, h_out * w_out * batch), dtype=x_pad.dtype)
    patches = cols[:columns].reshape(channels, kh, kw, h_out, w_out, batch)
    for i, j, rows, cols_slice in window.offsets():
        patches[:, i, j] = x_pad[:, rows, cols_slice]
    if ones_row:
        cols[columns] = 1
    return cols


def col2im(d_cols: np.ndarray, window) -> np.ndarray:
    """im2col's transpose: (C·kh·kw, H_out·W_out·N) -> (C, H_pad, W_pad, N), overlaps summed."""
    (kh, kw), (h_out, w_out) = window.kernel, window.out_size
    channels = d_cols.shape[0] // (kh * kw)
    batch = d_cols.shape[1] // (h_out * w_out)
    d_patches = d_cols.reshape(channels, kh, kw, h_out, w_out, batch)
    d_x_pad = np.zeros((channels,) + window.padded_size + (batch,), dtype=d_cols.dtype)
    for i, j, rows, cols_slice in window.offsets():
        d_x_pad[:, rows, cols_slice] += d_patches[:, i, j]          # shifted adds
    return d_x_pad


def suits(window, groups: int, channels: int, out_channels: int) -> bool:
    """Every convolution: any stride, padding, dilation and groups."""
    return True


def forward(x_pad: np.ndarray, weight: np.ndarray, bias, window, groups: int) -> tuple:
    """(y = W · cols + b as (C_out, H_out·W_out·N), (cols, W) to keep for backward)."""
    out_channels = weight.shape[0]
    fold_bias = bias is not None and groups == 1
    cols = im2col(x_pad, window, ones_row=fold_bias)
    columns = cols.shape[0] - fold_bias
    if groups == 1:
        matrix = weight.reshape(out_channels, columns)
        if fold_bias:
            matrix = np.concatenate([matrix, bias.reshape(out_channels, 1)], axis=1)
        return matrix @ cols, (cols, weight)
    grouped = cols.reshape(groups, columns // groups, -1)
    output = np.matmul(weight.reshape(groups, out_channels // groups, -1), grouped).reshape(out_channels, -1)
    if bias is not None:
        output += bias.reshape(out_channels, 1)
    return output, (cols, weight)


def backward(upstream_rows: np.ndarray, kept: tuple, window, groups: int, needs: tuple) -> tuple:
    """(dx as (C, H, W, N), dW, db), None where ``needs`` (x, weight, bias) says nobody wants it.

    The matmul rule on y = W · cols: dW = upstream · colsᵀ, dcols = Wᵀ · upstream; then
    dx_pad = col2im(dcols). With the bias folded in as a row of ones, [dW | db] is one GEMM.
    """
    (cols, weight), (needs_x, needs_weight, needs_bias) = kept, needs
    out_channels = weight.shape[0]
    columns = weight[0].size * groups                               # C·kh·kw
    d_weight = d_bias = d_cols = None
    if groups == 1:
        if needs_weight:
            both = matmul_nt(upstream_rows, cols)                   # (C_out, C·kh·kw [+1])
            d_weight = both[:, :columns].reshape(weight.shape)
            d_bias = both[:, columns] if needs_bias and cols.shape[0] > columns else None
        if needs_x:
            d_cols = weight.reshape(out_channels, columns).T @ upstream_rows
    else:
        grouped_up = upstream_rows.reshape(groups, out_channels // groups, -1)
        if needs_weight:
            grouped_cols = cols.reshape(groups, columns // groups, -1)
            d_weight = np.stack([matmul_nt(up, col) for up, col in zip(grouped_up, grouped_cols)])
            d_weight = d_weight.reshape(weight.shape)
        if needs_x:
            grouped_w = weight.reshape(groups, out_channels // groups, -1)
            d_cols = np.matmul(grouped_w.transpose(0, 2, 1), grouped_up).reshape(columns, -1)
    if needs_bias and d_bias is None:
        d_bias = row_sums(upstream_rows)                            # db = Σ upstream per channel
    return (window.crop(col2im(d_cols, window)) if needs_x else None), d_weight, d_bias
