"""2-D convolution (cross-correlation, as in every deep-learning library), NCHW in and out.

Weights are ``(out_channels, in_channels / groups, kh, kw)`` like PyTorch's. The output size
per spatial axis is the lecture's formula (E19) with dilation::

    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1

Two vectorized algorithms, picked per call by the memory they move (see ``ops/layout.py`` for
the batch-innermost layout both compute in):

* **im2col** — copy the kh·kw shifted views of the padded input into a matrix
  ``cols (C·kh·kw [+1], H_out·W_out·N)`` and do one GEMM ``W (C_out, C·kh·kw [+1]) @ cols``; the
  bias is folded into the GEMM as a row of ones. Backward: ``dW = dout @ colsᵀ`` and
  ``dcols = Wᵀ @ dout``, then kh·kw shifted adds put dcols back (no ``np.add.at``).
* **implicit GEMM** (stride 1, one group, when C_out·(padded area) < C·(output area), as in a
  DenseNet layer: many input channels, few output channels) — one GEMM
  ``W_k (kh·kw·C_out, C) @ x_pad (C, H_pad·W_pad·N)`` and kh·kw shifted adds; no im2col copy.
  Backward places dout at the kh·kw offsets of a zero buffer ``D`` and does two GEMMs:
  ``dW_k = D @ x_padᵀ`` and ``dx_pad = W_kᵀ @ D``.

>>> import graphlab as gl
>>> x = gl.ones(1, 1, 7, 7)
>>> w = gl.ones(1, 1, 3, 3)
>>> [gl.functional.conv2d(x, w, stride=s).shape for s in (1, 2)]    # E18: 7x7, 3x3 filter
[(1, 1, 5, 5), (1, 1, 3, 3)]
>>> gl.functional.conv2d(x, w, padding=1).shape                      # E19: pad 1 keeps 7x7
(1, 1, 7, 7)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.errors import ShapeError
from graphlab.ops.layout import batch_inner, batch_outer, pad_inner, row_sums


def pair(value, what: str, op_name: str, minimum: int = 0) -> tuple:
    """An int or a pair of ints -> (h, w), each >= ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        result = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and \
            all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        result = (int(value[0]), int(value[1]))
    else:
        raise ShapeError(f"{op_name}: {what} must be an int or a pair of ints, got {value!r}")
    if min(result) < minimum:
        raise ShapeError(f"{op_name}: {what} {value!r} must be >= {minimum}")
    return result


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """The lecture's (N + 2P - F) / stride + 1, floored, with the dilated kernel size as F."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class Window:
    """Where a sliding kernel reads: sizes, strides, padding, dilation, and the output size."""
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    in_size: tuple      # (H, W)
    out_size: tuple     # (H_out, W_out)

    @classmethod
    def of(cls, op_name: str, in_size: tuple, kernel, stride, padding, dilation=1) -> "Window":
        kernel = pair(kernel, "kernel_size", op_name, 1)
        stride = pair(stride, "stride", op_name, 1)
        padding = pair(padding, "padding", op_name, 0)
        dilation = pair(dilation, "dilation", op_name, 1)
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        padded = tuple(size + 2 * p for size, p in zip(in_size, padding))
        if span[0] > padded[0] or span[1] > padded[1]:
            dilated = f" (dilation {dilation[0]}x{dilation[1]} spreads it to {span[0]}x{span[1]})" \
                if dilation != (1, 1) else ""
            raise ShapeError(
                f"{op_name}: kernel {kernel[0]}x{kernel[1]}{dilated} is larger than the padded input "
                f"{padded[0]}x{padded[1]} (input {in_size[0]}x{in_size[1]}, padding {padding[0]}x{padding[1]}); "
                f"use a smaller kernel, more padding, or a larger input (fewer downsampling layers before it)")
        out = tuple(output_size(size, k, s, p, d) for size, k, s, p, d in zip(in_size, kernel, stride, padding, dilation))
        return cls(kernel, stride, padding, dilation, tuple(in_size), out)

    @property
    def padded_size(self) -> tuple:
        return tuple(size + 2 * p for size, p in zip(self.in_size, self.padding))

    def offsets(self):
        """(i, j, rows, cols): for each kernel position, the slices of the padded input it reads."""
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = self.kernel, self.stride, self.dilation, self.out_size
        for i in range(kh):
            for j in range(kw):
                yield i, j, slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)

    @property
    def disjoint(self) -> bool:
        """True when no input position is read by two kernel positions (stride >= span)."""
        return all(s >= d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def crop(self, padded: np.ndarray) -> np.ndarray:
        """The unpadded interior of a (C, H_pad, W_pad, N) array."""
        (ph, pw), (h, w) = self.padding, self.in_size
        return padded[:, ph:ph + h, pw:pw + w]


#: OpenBLAS runs a GEMM single-threaded below m·n·k = 65536 · 4 (SMP_THRESHOLD_MIN times
#: GEMM_MULTITHREAD_THRESHOLD): ``matmul_nt`` sizes its pieces to stay under it
SINGLE_THREAD_MNK = 65536 * 4


def matmul_nt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ bᵀ for a (P, K), b (Q, K) with a long shared axis K (a weight gradient sums over
    every output pixel of the batch).

    One BLAS call with a small (P, Q) result and K in the tens of thousands streams both
    operands through memory for little arithmetic, and a multi-threaded BLAS splits it into
    threads that mostly wait for each other (on a busy 2-core machine a single call stalled for
    milliseconds). Cutting K into pieces small enough that the BLAS runs each on one thread, and
    summing the partial products (``np.matmul`` over the batch of pieces), measured 1.2-5x
    faster for the conv weight gradients here and never stalls. A result too big for useful
    pieces (P·Q > 2048) is one plain GEMM.
    """
    length = a.shape[1]
    size = min(SINGLE_THREAD_MNK // max(a.shape[0] * b.shape[0], 1), 4096)
    if size < 128:
        return a @ b.T
    pieces = -(-length // size)                     # ceil: every piece stays at most `size` long
    if pieces < 2:
        return a @ b.T
    size = length // pieces
    main = pieces * size
    a_pieces = a[:, :main].reshape(a.shape[0], pieces, size).transpose(1, 0, 2)      # (pieces, P, size)
    b_pieces = b[:, :main].reshape(b.shape[0], pieces, size).transpose(1, 2, 0)      # (pieces, size, Q)
    result = np.matmul(a_pieces, b_pieces).sum(axis=0)
    if main < length:
        result += a[:, main:] @ b[:, main:].T
    return result


def check_conv_shapes(x_shape: tuple, w_shape: tuple, bias_shape, groups: int, op_name: str = "conv2d") -> None:
    """Clear errors for the usual mistakes: a missing batch axis, wrong channel counts."""
    if len(x_shape) != 4:
        hint = (f"add the batch axis: x.reshape(1, {', '.join(map(str, x_shape))})" if len(x_shape) == 3
                else "conv2d takes images as (N, C, H, W)")
        raise ShapeError(f"{op_name}: input of shape {tuple(x_shape)} is {len(x_shape)}-D, but convolution needs "
                         f"4-D (N, C, H, W); {hint}")
    if len(w_shape) != 4:
        raise ShapeError(f"{op_name}: weight of shape {tuple(w_shape)} must be 4-D "
                         f"(out_channels, in_channels / groups, kh, kw)")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ShapeError(f"{op_name}: groups={groups!r} must be a positive int")
    channels, out_channels, group_channels = x_shape[1], w_shape[0], w_shape[1]
    if channels != group_channels * groups:
        raise ShapeError(
            f"{op_name}: input of shape {tuple(x_shape)} has {channels} channels, but the weight "
            f"{tuple(w_shape)} expects in_channels = {group_channels} x groups {groups} = {group_channels * groups}; "
            f"make the layer's in_channels {channels} (or fix the previous layer's out_channels)")
    if out_channels % groups:
        raise ShapeError(f"{op_name}: out_channels {out_channels} is not divisible by groups {groups}")
    if bias_shape is not None and tuple(bias_shape) != (out_channels,):
        raise ShapeError(f"{op_name}: bias of shape {tuple(bias_shape)} does not match out_channels "
                         f"{out_channels}; it must have shape ({out_channels},)")


#: zero-bordered buffers of the implicit-GEMM backward, reused between steps (a training loop
#: calls it with the same shapes every step; zeroing 4 MB each time was ~10% of a DenseNet layer)
_PLACEMENTS: dict = {}
_MAX_PLACEMENTS = 16


class Conv2d(Function):
    """y = W ⋆ x + b over NCHW images (im2col or implicit GEMM; see the module docstring)."""
    name = "conv2d"
    verify_cases = [dict(shapes=[(1, 2, 3, 3), (2, 2, 2, 2), (2,)]),
                    dict(shapes=[(1, 1, 3, 3), (1, 1, 2, 2)], variant="stride2_padding1", params={"stride": 2, "padding": 1}),
                    dict(shapes=[(2, 2, 3, 3), (2, 1, 2, 2)], variant="groups2", params={"groups": 2}),
                    dict(shapes=[(1, 1, 4, 4), (1, 1, 2, 2)], variant="dilation2", params={"dilation": 2})]

    @staticmethod
    def forward(ctx, x, weight, *bias, stride=1, padding=0, dilation=1, groups=1):
        ctx.stride, ctx.padding, ctx.dilation = stride, padding, dilation   # verify.graph reads them
        check_conv_shapes(x.shape, weight.shape, bias[0].shape if bias else None, groups)
        window = Window.of("conv2d", x.shape[2:], weight.shape[2:], stride, padding, dilation)
        ctx.window, ctx.groups, ctx.has_bias = window, int(groups), bool(bias)
        out_channels, channels = weight.shape[0], x.shape[1]
        (h_pad, w_pad), (h_out, w_out) = window.padded_size, window.out_size
        x_pad = pad_inner(x, *window.padding)                      # (C, H_pad, W_pad, N)
        ctx.implicit = (groups == 1 and window.stride == (1, 1)
                        and out_channels * h_pad * w_pad < channels * h_out * w_out)
        if ctx.implicit:
            output = Conv2d._implicit_forward(ctx, x_pad, weight, bias)
        else:
            output = Conv2d._im2col_forward(ctx, x_pad, weight, bias)
        return batch_outer(output.reshape(out_channels, h_out, w_out, x.shape[0]))

    # -- im2col ---------------------------------------------------------------------------------
    @staticmethod
    def _im2col_forward(ctx, x_pad, weight, bias):
        window, groups = ctx.window, ctx.groups
        channels, batch = x_pad.shape[0], x_pad.shape[3]
        (kh, kw), (h_out, w_out) = window.kernel, window.out_size
        columns = channels * kh * kw
        fold_bias = bool(bias) and groups == 1
        # (C·kh·kw [+1 row of ones for the bias], H_out·W_out·N), rows ordered (c, i, j) like W's
        cols = np.empty((columns + fold_bias, h_out * w_out * batch), dtype=x_pad.dtype)
        patches = cols[:columns].reshape(channels, kh, kw, h_out, w_out, batch)
        for i, j, rows, cols_slice in window.offsets():
            patches[:, i, j] = x_pad[:, rows, cols_slice]
        out_channels = weight.shape[0]
        if groups == 1:
            matrix = weight.reshape(out_channels, columns)
            if fold_bias:
                cols[columns] = 1
                matrix = np.concatenate([matrix, bias[0].reshape(out_channels, 1)], axis=1)
            output = matrix @ cols                                  # (C_out, H_out·W_out·N)
        else:
            grouped = cols.reshape(groups, columns // groups, -1)
            output = np.matmul(weight.reshape(groups, out_channels // groups, -1), grouped)
            output = output.reshape(out_channels, -1)
            if bias:
                output += bias[0].reshape(out_channels, 1)
        ctx.save_for_backward(cols, weight)
        return output

    @staticmethod
    def _im2col_backward(ctx, upstream_rows, needs_x):
        cols, weight = ctx.saved_tensors
        window, groups = ctx.window, ctx.groups
        out_channels, group_channels, kh, kw = weight.shape
        channels = group_channels * groups
        columns = channels * kh * kw
        if groups == 1:
            both = matmul_nt(upstream_rows, cols)                          # (C_out, C·kh·kw [+1])
            d_weight = both[:, :columns].reshape(weight.shape)
            d_bias = both[:, columns] if ctx.has_bias else None
            d_cols = weight.reshape(out_channels, columns).T @ upstream_rows if needs_x else None
        else:
            grouped_up = upstream_rows.reshape(groups, out_channels // groups, -1)
            grouped_cols = cols.reshape(groups, columns // groups, -1)
            d_weight = np.stack([matmul_nt(up, col) for up, col in zip(grouped_up, grouped_cols)]).reshape(weight.shape)
            d_bias = row_sums(upstream_rows) if ctx.has_bias else None
            d_cols = None
            if needs_x:
                grouped_w = weight.reshape(groups, out_channels // groups, -1)
                d_cols = np.matmul(grouped_w.transpose(0, 2, 1), grouped_up).reshape(columns, -1)
        d_x_pad = None
        if needs_x:
            batch = upstream_rows.shape[1] // (window.out_size[0] * window.out_size[1])
            d_patches = d_cols.reshape(channels, kh, kw, window.out_size[0], window.out_size[1], batch)
            d_x_pad = np.zeros((channels,) + window.padded_size + (batch,), dtype=upstream_rows.dtype)
            for i, j, rows, cols_slice in window.offsets():
                d_x_pad[:, rows, cols_slice] += d_patches[:, i, j]     # col2im: shifted adds
        return d_x_pad, d_weight, d_bias

    # -- implicit GEMM ------------------------------------------------------------------------
    @staticmethod
    def _implicit_forward(ctx, x_pad, weight, bias):
        window = ctx.window
        out_channels, channels, kh, kw = weight.shape
        (h_pad, w_pad), (h_out, w_out) = window.padded_size, window.out_size
        batch = x_pad.shape[3]
        stacked = weight.transpose(2, 3, 0, 1).reshape(kh * kw * out_channels, channels)
        # every kernel position's response at every padded position: (kh, kw, C_out, H_pad, W_pad, N)
        responses = (stacked @ x_pad.reshape(channels, -1)).reshape(kh, kw, out_channels, h_pad, w_pad, batch)
        ctx.save_for_backward(x_pad, stacked)
        if (kh, kw) == (1, 1) and window.padding == (0, 0):       # a 1x1 conv is the GEMM itself
            output = responses.reshape(out_channels, -1)
            if bias:
                output += bias[0].reshape(out_channels, 1)
            return output
        output = np.empty((out_channels, h_out, w_out, batch), dtype=x_pad.dtype)
        for i, j, rows, cols_slice in window.offsets():
            shifted = responses[i, j, :, rows, cols_slice]
            if i == 0 and j == 0:
                if bias:
                    np.add(shifted, bias[0].reshape(out_channels, 1, 1, 1), out=output)
                else:
                    output[...] = shifted
            else:
                output += shifted
        return output.reshape(out_channels, -1)

    @staticmethod
    def _implicit_backward(ctx, upstream_rows, needs_x):
        x_pad, stacked = ctx.saved_tensors
        window = ctx.window
        (kh, kw), (h_out, w_out) = window.kernel, window.out_size
        channels, batch = x_pad.shape[0], x_pad.shape[3]
        out_channels = stacked.shape[0] // (kh * kw)
        upstream = upstream_rows.reshape(out_channels, h_out, w_out, batch)
        # D[i, j] holds dout where kernel position (i, j) read the padded input, zeros elsewhere
        shape = (kh, kw, out_channels) + window.padded_size + (batch,)
        key = (shape, upstream.dtype.str, window)
        buffer = None
        if (kh, kw) == (1, 1) and window.padding == (0, 0):
            placed = upstream_rows                                 # a 1x1 conv reads every position once
        else:
            buffer = _PLACEMENTS.pop(key, None)
            if buffer is None:
                buffer = np.zeros(shape, dtype=upstream.dtype)
            for i, j, rows, cols_slice in window.offsets():
                buffer[i, j, :, rows, cols_slice] = upstream
            placed = buffer.reshape(kh * kw * out_channels, -1)
        d_stacked = matmul_nt(placed, x_pad.reshape(channels, -1))               # (kh·kw·C_out, C)
        d_weight = np.ascontiguousarray(d_stacked.reshape(kh, kw, out_channels, channels).transpose(2, 3, 0, 1))
        d_bias = row_sums(upstream_rows) if ctx.has_bias else None
        d_x_pad = (stacked.T @ placed).reshape(x_pad.shape) if needs_x else None
        if buffer is not None:
            _PLACEMENTS[key] = buffer      # the same slices are overwritten next time: its zeros stay zero
            while len(_PLACEMENTS) > _MAX_PLACEMENTS:
                _PLACEMENTS.pop(next(iter(_PLACEMENTS)))
        return d_x_pad, d_weight, d_bias

    @staticmethod
    def backward(ctx, upstream):
        needs_x = ctx.inputs[0].requires_grad
        upstream_rows = batch_inner(upstream).reshape(upstream.shape[1], -1)   # (C_out, H_out·W_out·N)
        if ctx.implicit:
            d_x_pad, d_weight, d_bias = Conv2d._implicit_backward(ctx, upstream_rows, needs_x)
        else:
            d_x_pad, d_weight, d_bias = Conv2d._im2col_backward(ctx, upstream_rows, needs_x)
        d_x = batch_outer(ctx.window.crop(d_x_pad)) if needs_x else None
        return (d_x, d_weight, d_bias) if ctx.has_bias else (d_x, d_weight)

    @staticmethod
    def symbolic(x, weight, *bias, stride=1, padding=0, dilation=1, groups=1):
        # y[n, o] = Σ_{c in o's group, i, j} w[o, c, i, j] · x_pad[n, c, i·d + s·h, j·d + s·w] (+ b[o])
        window = Window.of("conv2d", x.shape[2:], weight.shape[2:], stride, padding, dilation)
        (ph, pw), group_channels = window.padding, weight.shape[1]
        x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant", constant_values=0)
        per_group = weight.shape[0] // groups
        output = np.zeros((x.shape[0], weight.shape[0]) + window.out_size, dtype=object)
        for i, j, rows, cols in window.offsets():
            for o in range(weight.shape[0]):
                first = (o // per_group) * group_channels
                patch = x_pad[:, first:first + group_channels, rows, cols]            # (N, C/groups, H_out, W_out)
                output[:, o] += (patch * weight[o, :, i, j].reshape(1, -1, 1, 1)).sum(axis=1)
        return output + bias[0].reshape(1, -1, 1, 1) if bias else output
