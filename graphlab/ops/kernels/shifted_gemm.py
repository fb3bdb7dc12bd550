"""Convolution by shifted GEMMs, for stride-1 "same" convolutions: no im2col matrix, no scatter-add.

Why it is fast: im2col copies the input kh·kw times (single-threaded numpy copies) before one
GEMM, and col2im adds kh·kw slices back; for the 3x3 convolutions of a ResNet those copies took
longer than the GEMMs. Here nothing is copied. Flatten the padded input x_pad (C, H_pad, W_pad, N)
(batch-innermost, ``layout.py``) to (C, H_pad·W_pad·N) and compute the output on a *wide* grid
of H_out x W_pad positions instead of H_out x W_out: then kernel position (i, j) reads, for every
output position p, the input at p + (i·W_pad + j)·N, so its operand is one contiguous window of
the flat buffer, a view whose rows BLAS reads through its leading dimension::

    y_wide = Σ_k W_k (C_out, C) @ x_flat[:, offset_k : offset_k + L]      k = (i, j), kh·kw GEMMs

each GEMM adding into the output in place (BLAS's β = 1, ``blas.py``). The W_pad − W_out extra
columns of each row (2·padding of them: 6% at 32x32) are computed and dropped when the output is
copied into its (C_out, H_out, W_out, N) buffer.

The backward works on the zero-padded upstream dy_pad (C_out, H_pad, W_pad, N), one copy:

* dx: the input gradient of a stride-1 "same" convolution is the same convolution of dy with the
  kernel flipped and its channel axes swapped, dx = Σ_k W_flip(k)ᵀ @ dy_window_k: the forward
  above, run on dy_pad, and dx comes out unpadded (no padded buffer to zero, add into and crop).
* dW_k = dy_wide @ x_window_kᵀ, where dy_wide, dy_pad's window starting at (ph·W_pad + pw)·N, is
  upstream on the wide grid with the padding's zeros in the extra columns, so they add nothing.

A training step keeps x_pad (C·H_pad·W_pad·N numbers) for the backward instead of im2col's
matrix, kh·kw times larger. "Same" means dilation·(kernel − 1) = 2·padding on both axes (3x3 with
padding 1): then dx's convolution reads dy_pad with the forward's geometry.
"""
from __future__ import annotations

import numpy as np

from graphlab.ops.kernels import blas
from graphlab.ops.kernels.gemm import matmul_nt
from graphlab.ops.kernels.layout import batch_outer, pad_inner, row_sums


#: below this many input channels im2col's matrix is small and its one GEMM wins (measured: 1-8
#: channels slower here, 16 faster than im2col)
MIN_CHANNELS = 16

#: below this many output pixels per image (H_out·W_out) each of the kh·kw GEMMs is too short to
#: pay for its call. Measured on the quiet 2-core machine, a whole ResNet step in one process with
#: the threshold switched between blocks of steps: taking the 16x16 stage too made ResNet-20
#: (batch 32) and ResNet-56 (batch 16) 0.88-0.95x the time and the step keeps 40 MB less (x_pad
#: instead of im2col's matrix, 9x larger); the 8x8 stage as well measured 1.00-1.06x, so it stays
#: with im2col. On a machine loaded by other work (load 6) the 16x16 stage ran slower than im2col
#: with two BLAS threads: OpenBLAS's threads meet at each of the kh·kw calls.
MIN_PIXELS = 16 * 16


def suits(window, groups: int, channels: int, out_channels: int) -> bool:
    """Stride 1, one group, a kernel larger than 1x1, "same" padding on both axes, and enough
    input channels and pixels for the kh·kw GEMMs to beat im2col's one."""
    (h_out, w_out) = window.out_size
    return groups == 1 and window.stride == (1, 1) and window.kernel != (1, 1) and channels >= MIN_CHANNELS and \
        h_out * w_out >= MIN_PIXELS and \
        all(d * (k - 1) == 2 * p for k, d, p in zip(window.kernel, window.dilation, window.padding))


def _offsets(window, batch: int) -> list:
    """Where kernel position k = (i, j) starts reading in the flat padded buffer, k row-major."""
    (kh, kw), (dh, dw), w_pad = window.kernel, window.dilation, window.padded_size[1]
    return [(i * dh * w_pad + j * dw) * batch for i in range(kh) for j in range(kw)]


def _wide_length(window, batch: int) -> int:
    """Columns of the wide grid that are computed: each output row W_pad wide, the last W_out."""
    (h_out, w_out), w_pad = window.out_size, window.padded_size[1]
    return ((h_out - 1) * w_pad + w_out) * batch


def _convolve_wide(flat: np.ndarray, matrices: list, window, batch: int) -> np.ndarray:
    """Σ_k matrices[k] @ flat[:, offset_k : offset_k + L], cropped to (rows, H_out, W_out, N)."""
    rows = matrices[0].shape[0]
    (h_out, w_out), w_pad = window.out_size, window.padded_size[1]
    length = _wide_length(window, batch)
    wide = np.empty((rows, h_out * w_pad * batch), dtype=flat.dtype)
    for k, (matrix, offset) in enumerate(zip(matrices, _offsets(window, batch))):
        blas.gemm(matrix, flat[:, offset:offset + length], wide[:, :length], accumulate=k > 0)
    # the last row's extra columns were never written: the crop drops them with the others
    return np.ascontiguousarray(wide.reshape(rows, h_out, w_pad, batch)[:, :, :w_out])


def forward(x_pad: np.ndarray, weight: np.ndarray, bias, window, groups: int = 1) -> tuple:
    """(y as (C_out, H_out·W_out·N), (x_pad, the kernel taps W_k (kh·kw, C_out, C)) for backward)."""
    out_channels, channels, kh, kw = weight.shape
    taps = np.ascontiguousarray(weight.transpose(2, 3, 0, 1)).reshape(kh * kw, out_channels, channels)
    output = _convolve_wide(x_pad.reshape(channels, -1), list(taps), window, x_pad.shape[3])
    output = output.reshape(out_channels, -1)
    if bias is not None:
        output += bias.reshape(out_channels, 1)
    return output, (x_pad, taps)


def _weight_gradient(dy_flat: np.ndarray, x_flat: np.ndarray, window, batch: int) -> np.ndarray:
    """dW_k = dy_wide @ x_window_kᵀ for each kernel position, as (C_out, C, kh, kw)."""
    (kh, kw), (ph, pw), w_pad = window.kernel, window.padding, window.padded_size[1]
    length = _wide_length(window, batch)
    start = (ph * w_pad + pw) * batch
    dy_wide = dy_flat[:, start:start + length]         # upstream on the wide grid, zeros between rows
    # each dW_k is a tiny (C_out, C) result summed over every pixel of the batch: in single-threaded
    # pieces (gemm.matmul_nt) it took 0.45-0.8x the time of one BLAS call per tap (ResNet's shapes)
    d_taps = np.stack([matmul_nt(dy_wide, x_flat[:, offset:offset + length])
                       for offset in _offsets(window, batch)])
    return np.ascontiguousarray(d_taps.reshape(kh, kw, *d_taps.shape[1:]).transpose(2, 3, 0, 1))


def backward(upstream_rows: np.ndarray, kept: tuple, window, groups: int, needs: tuple) -> tuple:
    """(dx as (C, H, W, N), dW, db), None where ``needs`` (x, weight, bias) says nobody wants it."""
    (x_pad, taps), (needs_x, needs_weight, needs_bias) = kept, needs
    d_bias = row_sums(upstream_rows) if needs_bias else None        # db = Σ upstream per channel
    d_x = d_weight = None
    if needs_x or needs_weight:
        out_channels, batch = taps.shape[1], x_pad.shape[3]
        upstream = upstream_rows.reshape((out_channels,) + window.out_size + (batch,))
        dy_flat = pad_inner(batch_outer(upstream), *window.padding).reshape(out_channels, -1)
        if needs_x:                                      # the flipped kernel, channel axes swapped
            d_x = _convolve_wide(dy_flat, [tap.T for tap in taps[::-1]], window, batch)
        if needs_weight:
            d_weight = _weight_gradient(dy_flat, x_pad.reshape(x_pad.shape[0], -1), window, batch)
    return d_x, d_weight, d_bias
