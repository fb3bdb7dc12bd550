"""Pooling over NCHW images: max (a router), average (a distributor), global average.

Pooling slides a window over each channel like a convolution without weights: it keeps the
channel count and has no parameters (E25), and its output size follows the same formula (E19).
Max pooling passes each window's largest value on, so its backward routes upstream to that
input alone (the first maximum on a tie, as in PyTorch); average pooling passes the mean, so
each input of a window gets upstream / (kh·kw), summed where windows overlap.

This file reads top to bottom: the definitions built from primitive ops (shifted slices,
then ``max`` or ``mean``), then the fused nodes with their SymPy twins. The numpy that makes
them fast (kh·kw whole-array passes in the batch-innermost layout, the winner index, the
scatter) lives in ``ops/kernels/pooling.py``.

>>> import graphlab as gl
>>> x = gl.tensor([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])   # E25's slice
>>> gl.functional.max_pool2d(x, 2).data[0, 0]
array([[6., 8.],
       [3., 4.]], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from graphlab import ops
from graphlab.autodiff.cases import Case, F
from graphlab.autodiff.function import Function
from graphlab.errors import ShapeError
from graphlab.ops.conv import Window, pad_spatial, pair, window_patches
from graphlab.ops.kernels.layout import batch_inner, batch_outer, pad_inner
from graphlab.ops.kernels.pooling import max_and_winner, scatter, spatial_means, window_mean


# -- the definitions, written with primitive ops (a graph of many small nodes) -----------------------
def max_pool2d(x, kernel_size, stride=None, padding=0):
    """The max over each window: pad with -inf, stack the kh·kw shifted views, max over them."""
    window = Window.of("max_pool2d", x.shape[2:], kernel_size, kernel_size if stride is None else stride, padding)
    return ops.max(window_patches(pad_spatial(x, window.padding, -np.inf), window), axis=2)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """The mean over each window (padding counts as zeros)."""
    window = Window.of("avg_pool2d", x.shape[2:], kernel_size, kernel_size if stride is None else stride, padding)
    return ops.mean(window_patches(pad_spatial(x, window.padding), window), axis=2)


def global_avg_pool2d(x, keepdims=False):
    """The mean over H and W."""
    return ops.mean(x, axis=(2, 3), keepdims=keepdims)


# -- references for the tests: numpy loops, independent of both -------------------------------------
def _numpy_pool(reduce, fill):
    def pool(x, kernel_size=2, stride=None, padding=0):
        (kh, kw), (ph, pw) = pair(kernel_size, "kernel_size", "pool"), pair(padding, "padding", "pool")
        sh, sw = (kh, kw) if stride is None else pair(stride, "stride", "pool")
        x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
        h_out, w_out = (x_pad.shape[2] - kh) // sh + 1, (x_pad.shape[3] - kw) // sw + 1
        output = np.empty(x.shape[:2] + (h_out, w_out))
        for h in range(h_out):
            for w in range(w_out):
                output[:, :, h, w] = reduce(x_pad[:, :, h * sh:h * sh + kh, w * sw:w * sw + kw], axis=(2, 3))
        return output
    return pool


def _torch_pool(name: str):
    """PyTorch's pooling function ``name`` (looked up when a test calls it: never at import)."""
    return lambda x, kernel_size=2, stride=None, padding=0: getattr(F, name)(x, kernel_size, stride, padding)


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


# -- the fused nodes -------------------------------------------------------------------------------
class MaxPool2d(Function):
    """Max over each window. Gate pattern: router — the largest input gets the whole gradient
    (the first one in the window on a tie, as in PyTorch)."""
    name = "max_pool2d"
    pattern = "router"
    cases = (
        Case([(1, 2, 4, 4)], "distinct", numpy=_numpy_pool(np.max, -np.inf), torch=_torch_pool("max_pool2d")),
        Case([(1, 1, 3, 3)], "distinct", variant="overlapping", params=dict(stride=1),
             numpy=_numpy_pool(np.max, -np.inf), torch=_torch_pool("max_pool2d")),
        Case([(1, 1, 3, 3)], "distinct", variant="padded", params=dict(padding=1),
             numpy=_numpy_pool(np.max, -np.inf), torch=_torch_pool("max_pool2d")),
        # ties on purpose (as after a ReLU): the first maximum of a window wins, as in PyTorch
        Case([(1, 2, 4, 4)], "ties", variant="ties", gradcheck=False, symbolic=False,
             numpy=_numpy_pool(np.max, -np.inf), torch=_torch_pool("max_pool2d")),
    )

    @staticmethod
    def forward(ctx, x, kernel_size=2, stride=None, padding=0):
        ctx.window = _window("max_pool2d", x, kernel_size, stride, padding)
        best, winner = max_and_winner(pad_inner(x, *ctx.window.padding, fill=-np.inf), ctx.window)
        ctx.save_for_backward(winner)                     # which window position held the max
        return batch_outer(best)

    @staticmethod
    def backward(ctx, upstream):
        """The router: window position k passes upstream on where it held the max, zero elsewhere."""
        (winner,) = ctx.saved_tensors
        up = batch_inner(upstream)

        def shares(k, out=None):
            return np.multiply(up, winner == k, out=out)

        return batch_outer(scatter(up, ctx.window, shares))

    @staticmethod
    def composed(ctx, x):
        """``max_pool2d`` above, picking each window's winner as this node does: the first
        maximum on a tie (``max`` would share a tie's gradient; after a ReLU, windows of zeros
        tie often). The winner is a constant of the graph, as in ``max``."""
        window = ctx.window
        x_pad = pad_spatial(x, window.padding, -np.inf)
        (sh, sw), (dh, dw), (h_out, w_out) = window.stride, window.dilation, window.out_size
        values = np.stack([x_pad.data[:, :, rows, cols] for _, _, rows, cols in window.offsets()])
        # kernel position k = i·kw + j of each window's first maximum: (N, C, H_out, W_out)
        i, j = np.divmod(values.argmax(axis=0), window.kernel[1])
        rows = np.arange(h_out).reshape(1, 1, -1, 1) * sh + i * dh
        cols = np.arange(w_out).reshape(1, 1, 1, -1) * sw + j * dw
        batch, channels = x.shape[:2]
        samples, planes = np.arange(batch).reshape(-1, 1, 1, 1), np.arange(channels).reshape(1, -1, 1, 1)
        return ops.getitem(x_pad, (samples, planes, rows, cols))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        kh, kw = ctx.window.kernel
        return f"{terms.up} routed to the max of each {kh}x{kw} window of {terms.names[0]} (0 elsewhere)"

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
    pattern = "distributor"
    cases = (
        Case([(1, 2, 4, 4)], numpy=_numpy_pool(np.mean, 0.0), torch=_torch_pool("avg_pool2d")),
        Case([(1, 1, 3, 3)], variant="overlapping_padded", params=dict(stride=1, padding=1),
             numpy=_numpy_pool(np.mean, 0.0), torch=_torch_pool("avg_pool2d")),
    )

    @staticmethod
    def forward(ctx, x, kernel_size=2, stride=None, padding=0):
        ctx.window = _window("avg_pool2d", x, kernel_size, stride, padding)
        return batch_outer(window_mean(pad_inner(x, *ctx.window.padding), ctx.window))

    @staticmethod
    def backward(ctx, upstream):
        """The distributor: every window position passes upstream / (kh·kw) back."""
        window = ctx.window
        share = batch_inner(upstream) * (1.0 / (window.kernel[0] * window.kernel[1]))

        def shares(k, out=None):
            if out is None:
                return share
            out[...] = share
            return out

        return batch_outer(scatter(share, window, shares))

    @staticmethod
    def composed(ctx, x):
        """``avg_pool2d`` above on the same input: create_graph=True differentiates this twin."""
        window = ctx.window
        return avg_pool2d(x, window.kernel, window.stride, window.padding)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        kh, kw = ctx.window.kernel
        return f"{terms.up} / {kh * kw} spread over each {kh}x{kw} window of {terms.names[0]}"

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
    pattern = "distributor"
    cases = (
        Case([(2, 2, 2, 2)], numpy=lambda x: x.mean(axis=(2, 3)), torch=lambda x: x.mean(dim=(2, 3))),
        Case([(1, 2, 2, 3)], variant="keepdims", params=dict(keepdims=True),
             numpy=lambda x, keepdims: x.mean(axis=(2, 3), keepdims=keepdims),
             torch=lambda x, keepdims: x.mean(dim=(2, 3), keepdim=keepdims)),
    )

    @staticmethod
    def forward(ctx, x, keepdims=False):
        if x.ndim != 4:
            raise ShapeError(f"global_avg_pool2d: input of shape {x.shape} is {x.ndim}-D; it needs 4-D (N, C, H, W)")
        if x.shape[2] * x.shape[3] == 0:
            raise ShapeError(f"global_avg_pool2d: input of shape {x.shape} has no pixels (H·W = 0) to average")
        output = spatial_means(x).T                       # (N, C)
        return output.reshape(output.shape + (1, 1)) if keepdims else output

    @staticmethod
    def backward(ctx, upstream):
        """The distributor: each of the H·W inputs of a channel gets upstream / (H·W)."""
        batch, channels, height, width = ctx.inputs[0].shape
        per_channel = upstream.reshape(batch, channels).T * (1.0 / (height * width))   # (C, N)
        spread = np.broadcast_to(per_channel[:, None, None, :], (channels, height, width, batch))
        return batch_outer(spread)

    @staticmethod
    def composed(ctx, x):
        """``global_avg_pool2d`` above: create_graph=True differentiates this twin."""
        return global_avg_pool2d(x, keepdims=ctx.params.get("keepdims", False))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        height, width = terms.shapes[0][2:]
        return f"{terms.up} / {height * width} copied to each of the {height}x{width} pixels"

    @staticmethod
    def symbolic(x, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, (2, 3), keepdims, sym.mean)
