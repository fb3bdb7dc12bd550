"""Pooling over NCHW images: max (a router), average (a distributor), global average.

Pooling keeps the channel count and has no parameters (E25); its output size follows the
same formula as convolution (E19). The kernels loop over the kh·kw window positions, each a
strided view of the padded input in the batch-innermost layout (``ops/layout.py``), so a
2x2 pool is four vectorized passes, never a Python loop over pixels.

>>> import graphlab as gl
>>> x = gl.tensor([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])   # E25's slice
>>> gl.functional.max_pool2d(x, 2).data[0, 0]
array([[6., 8.],
       [3., 4.]], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.errors import ShapeError
from graphlab.ops.conv import Window, pair
from graphlab.ops.layout import batch_inner, batch_outer, pad_inner


def _window(op_name: str, x: np.ndarray, kernel_size, stride, padding) -> Window:
    if x.ndim != 4:
        raise ShapeError(f"{op_name}: input of shape {x.shape} is {x.ndim}-D, but pooling needs 4-D "
                         f"(N, C, H, W); add the batch axis (x.reshape(1, ...)) or pool before flattening")
    kernel = pair(kernel_size, "kernel_size", op_name, 1)
    stride = kernel if stride is None else stride
    padding_pair = pair(padding, "padding", op_name, 0)
    if padding_pair[0] > kernel[0] // 2 or padding_pair[1] > kernel[1] // 2:
        raise ShapeError(f"{op_name}: padding {padding!r} must be at most half the kernel {kernel} "
                         f"(a window would otherwise see only padding); use padding <= {kernel[0] // 2}")
    return Window.of(op_name, x.shape[2:], kernel, stride, padding_pair)


def _padded(x, window: Window, value) -> np.ndarray:
    """An NCHW (object) array with ``value`` around H and W: the symbolic twins' padding."""
    (ph, pw) = window.padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant", constant_values=value)


def _scatter(upstream: np.ndarray, window: Window, shares) -> np.ndarray:
    """The input gradient from per-window-position shares of ``upstream`` (C, H_out, W_out, N).

    ``shares(k)`` returns what window position k passes back; disjoint windows write straight
    into place, overlapping ones add (each position is one strided slice, so no ``np.add.at``).
    """
    channels, batch = upstream.shape[0], upstream.shape[3]
    (kh, kw), (h_out, w_out), (sh, sw) = window.kernel, window.out_size, window.stride
    shape = (channels,) + window.padded_size + (batch,)
    covers_all = window.padding == (0, 0) and window.stride == window.kernel and \
        window.in_size == (kh * h_out, kw * w_out)
    gradient = np.empty(shape, dtype=upstream.dtype) if covers_all else np.zeros(shape, dtype=upstream.dtype)
    for k, (i, j, rows, cols) in enumerate(window.offsets()):
        if window.disjoint:
            shares(k, out=gradient[:, rows, cols])
        else:
            gradient[:, rows, cols] += shares(k)
    return window.crop(gradient)


class MaxPool2d(Function):
    """Max over each window. Gate pattern: router — the largest input gets the whole gradient
    (the first one in the window on a tie, as in PyTorch)."""
    name = "max_pool2d"
    verify_cases = [dict(shapes=[(1, 2, 4, 4)], domain="distinct"),
                    dict(shapes=[(1, 1, 3, 3)], domain="distinct", variant="overlapping", params={"stride": 1}),
                    dict(shapes=[(1, 1, 3, 3)], domain="distinct", variant="padded", params={"padding": 1})]
    pattern = "router"

    @staticmethod
    def forward(ctx, x, kernel_size=2, stride=None, padding=0):
        ctx.kernel_size, ctx.stride, ctx.padding = kernel_size, stride, padding   # verify.graph reads them
        window = _window("max_pool2d", x, kernel_size, stride, padding)
        x_pad = pad_inner(x, *window.padding, fill=-np.inf)
        views = [x_pad[:, rows, cols] for _, _, rows, cols in window.offsets()]
        best = views[0].copy()
        winner = np.zeros(best.shape, dtype=np.uint8)      # index of the winning window position
        for k in range(1, len(views)):
            better = views[k] > best                        # strict: ties keep the earlier position
            winner += better * np.uint8(k) - better * winner
            np.maximum(best, views[k], out=best)
        ctx.window = window
        ctx.save_for_backward(winner)
        return batch_outer(best)

    @staticmethod
    def backward(ctx, upstream):
        (winner,) = ctx.saved_tensors
        up = batch_inner(upstream)

        def shares(k, out=None):
            return np.multiply(up, winner == k, out=out)

        return batch_outer(_scatter(up, ctx.window, shares))

    @staticmethod
    def symbolic(x, kernel_size=2, stride=None, padding=0):
        from graphlab.verify import sym
        window = _window("max_pool2d", x, kernel_size, stride, padding)
        x_pad = _padded(x, window, -sym.oo)
        views = [x_pad[:, :, rows, cols] for _, _, rows, cols in window.offsets()]
        return sym.elementwise(sym.Max, views, {})          # max over each window


class AvgPool2d(Function):
    """Mean over each window (padding counts as zeros, PyTorch's count_include_pad=True).
    Gate pattern: distributor — each input in a window gets upstream / (kh·kw)."""
    name = "avg_pool2d"
    verify_cases = [dict(shapes=[(1, 2, 4, 4)]),
                    dict(shapes=[(1, 1, 3, 3)], variant="overlapping_padded", params={"stride": 1, "padding": 1})]
    pattern = "distributor"

    @staticmethod
    def forward(ctx, x, kernel_size=2, stride=None, padding=0):
        ctx.kernel_size, ctx.stride, ctx.padding = kernel_size, stride, padding
        window = _window("avg_pool2d", x, kernel_size, stride, padding)
        x_pad = pad_inner(x, *window.padding)
        views = [x_pad[:, rows, cols] for _, _, rows, cols in window.offsets()]
        total = views[0].copy()
        for view in views[1:]:
            total += view
        total *= 1.0 / (window.kernel[0] * window.kernel[1])
        ctx.window = window
        return batch_outer(total)

    @staticmethod
    def backward(ctx, upstream):
        window = ctx.window
        share = batch_inner(upstream) * (1.0 / (window.kernel[0] * window.kernel[1]))

        def shares(k, out=None):
            if out is None:
                return share
            out[...] = share
            return out

        return batch_outer(_scatter(share, window, shares))

    @staticmethod
    def symbolic(x, kernel_size=2, stride=None, padding=0):
        from graphlab.verify import sym
        window = _window("avg_pool2d", x, kernel_size, stride, padding)
        x_pad = _padded(x, window, 0)                     # padding counts as zeros
        views = [x_pad[:, :, rows, cols] for _, _, rows, cols in window.offsets()]
        return sum(views[1:], views[0]) * sym.Rational(1, len(views))


class GlobalAvgPool2d(Function):
    """Mean over H and W: (N, C, H, W) -> (N, C) (or (N, C, 1, 1) with keepdims)."""
    name = "global_avg_pool2d"
    verify_cases = [dict(shapes=[(2, 2, 2, 2)]), dict(shapes=[(1, 2, 2, 3)], variant="keepdims", params={"keepdims": True})]
    pattern = "distributor"

    @staticmethod
    def forward(ctx, x, keepdims=False):
        if x.ndim != 4:
            raise ShapeError(f"global_avg_pool2d: input of shape {x.shape} is {x.ndim}-D; it needs 4-D (N, C, H, W)")
        channels, batch = x.shape[1], x.shape[0]
        area = x.shape[2] * x.shape[3]
        # Σ over H·W as a batched matrix-vector product: numpy's sum over a middle axis is ~15x slower
        per_pixel = batch_inner(x).reshape(channels, area, batch)
        means = np.matmul(np.full(area, 1.0 / area, dtype=x.dtype), per_pixel)     # (C, N)
        ctx.keepdims = keepdims
        output = means.T
        return output.reshape(batch, channels, 1, 1) if keepdims else output

    @staticmethod
    def backward(ctx, upstream):
        batch, channels, height, width = ctx.inputs[0].shape
        per_channel = upstream.reshape(batch, channels).T * (1.0 / (height * width))   # (C, N)
        spread = np.broadcast_to(per_channel[:, None, None, :], (channels, height, width, batch))
        return batch_outer(spread)

    @staticmethod
    def symbolic(x, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, (2, 3), keepdims, sym.mean)
