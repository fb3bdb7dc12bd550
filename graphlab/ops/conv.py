"""2-D convolution (cross-correlation, as in every deep-learning library), NCHW in and out.

Each output value is a dot product of the filter with one patch of the input, plus a bias
(E15); the filter slides with a stride over the zero-padded input::

    y[n, o, h, w] = Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, h·s + i·d, w·s + j·d] + b[o]

Weights are ``(out_channels, in_channels / groups, kh, kw)`` like PyTorch's. The output size
per spatial axis is the lecture's formula (E19) with dilation::

    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1

Written as a matrix product: copy every patch into a column of ``cols`` (im2col), then
``y = W · cols + b``; the matmul rule gives the backward, ``dW = upstream · colsᵀ``,
``db = Σ upstream`` and ``dx = col2im(Wᵀ · upstream)``, where col2im (im2col's transpose) adds
each column entry back onto the pixel it came from.

This file reads top to bottom: ``conv2d`` is that definition built from primitive ops (every
step a node of the graph), ``Conv2d`` the same numbers as one fused node, with its SymPy twin.
The numpy that makes the fused node fast (batch-innermost layout, im2col and implicit GEMM,
GEMMs in pieces) lives in ``ops/kernels/``.

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

from graphlab import ops
from graphlab.autodiff.cases import Case, F
from graphlab.autodiff.function import Function
from graphlab.autodiff.rules import shape_text
from graphlab.errors import ShapeError
from graphlab.ops.kernels import im2col, implicit_gemm, shifted_gemm, threads
from graphlab.ops.kernels.layout import batch_inner, batch_outer, pad_inner


# -- the definition, written with primitive ops (a graph of many small nodes) ------------------------
def window_patches(x_pad, window: "Window"):
    """Stack the kh·kw shifted views: (N, C, H_pad, W_pad) -> (N, C, kh·kw, H_out, W_out)."""
    views = [ops.getitem(x_pad, (slice(None), slice(None), rows, cols)) for _, _, rows, cols in window.offsets()]
    return ops.stack(views, axis=2)


def pad_spatial(x, padding: tuple, value: float = 0.0):
    """Pad H and W of an NCHW tensor with ``value`` (as a ``pad`` node)."""
    if padding == (0, 0):
        return x
    return ops.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])), value=value)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution as pad + shifted slices (im2col) + one matmul per group (+ bias)."""
    N = x.shape[0]
    out_channels, group_channels, kh, kw = weight.shape
    window = Window.of("conv2d", x.shape[2:], (kh, kw), stride, padding, dilation)
    h_out, w_out = window.out_size
    patches = window_patches(pad_spatial(x, window.padding), window)     # (N, C, kh·kw, H_out, W_out)
    outputs, per_group = [], out_channels // groups
    for group in range(groups):
        channels = slice(group * group_channels, (group + 1) * group_channels)
        columns = ops.reshape(ops.getitem(patches, (slice(None), channels)), (N, group_channels * kh * kw, h_out * w_out))
        kernel = ops.reshape(ops.getitem(weight, slice(group * per_group, (group + 1) * per_group)),
                             (per_group, group_channels * kh * kw))
        outputs.append(kernel @ columns)                                # (N, C_out / groups, H_out·W_out)
    output = ops.reshape(ops.concat(outputs, axis=1) if groups > 1 else outputs[0], (N, out_channels, h_out, w_out))
    return output if bias is None else output + ops.reshape(bias, (1, out_channels, 1, 1))


def _numpy_conv2d(x, weight, *bias, stride=1, padding=0, dilation=1, groups=1):
    """The test reference: the sum of the module docstring, one output pixel at a time."""
    (sh, sw), (ph, pw), (dh, dw) = (pair(value, name, "conv2d") for value, name in
                                    ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    out_channels, group_channels, kh, kw = weight.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    h_out = (x_pad.shape[2] - dh * (kh - 1) - 1) // sh + 1
    w_out = (x_pad.shape[3] - dw * (kw - 1) - 1) // sw + 1
    output = np.zeros((x.shape[0], out_channels, h_out, w_out))
    for o in range(out_channels):
        first = (o // (out_channels // groups)) * group_channels
        for h in range(h_out):
            for w in range(w_out):
                patch = x_pad[:, first:first + group_channels, h * sh:h * sh + dh * (kh - 1) + 1:dh,
                              w * sw:w * sw + dw * (kw - 1) + 1:dw]
                output[:, o, h, w] = (patch * weight[o]).sum(axis=(1, 2, 3))
    return output + bias[0].reshape(1, -1, 1, 1) if bias else output


def _torch_conv2d(x, weight, *bias, **params):
    return F.conv2d(x, weight, *bias, **params)


# -- the fused node --------------------------------------------------------------------------------
#: the kernels of ``ops/kernels/`` that compute a convolution, tried in order (the first whose
#: ``suits(window, groups, in_channels, out_channels)`` says yes; each saves what its backward needs):
KERNELS = (
    implicit_gemm,   # stride 1, 1 group, C_out·padded area < C_in·output area: DenseNet's few-output layers
    shifted_gemm,    # stride 1, 1 group, "same" padding, kernel > 1x1, C_in >= 16, >= 16x16 pixels: ResNet's 3x3
    im2col,          # everything else: strides, groups, other paddings, few input channels
)


def choose_kernel(window: "Window", groups: int, in_channels: int, out_channels: int):
    """The first of ``KERNELS`` that suits this convolution (im2col suits every one)."""
    return next(kernel for kernel in KERNELS if kernel.suits(window, groups, in_channels, out_channels))


class Conv2d(Function):
    """y = W ⋆ x + b over NCHW images, one node (computed by one of ``KERNELS``)."""
    name = "conv2d"
    cases = (
        Case([(1, 2, 3, 3), (2, 2, 2, 2), (2,)], numpy=_numpy_conv2d, torch=_torch_conv2d),
        Case([(1, 1, 3, 3), (1, 1, 2, 2)], variant="stride2_padding1", params=dict(stride=2, padding=1),
             numpy=_numpy_conv2d, torch=_torch_conv2d),
        Case([(2, 2, 3, 3), (2, 1, 2, 2)], variant="groups2", params=dict(groups=2),
             numpy=_numpy_conv2d, torch=_torch_conv2d),
        Case([(1, 1, 4, 4), (1, 1, 2, 2)], variant="dilation2", params=dict(dilation=2),
             numpy=_numpy_conv2d, torch=_torch_conv2d),
        # many input channels, few output channels: the implicit-GEMM kernel, padded and 1x1
        Case([(1, 4, 3, 3), (1, 4, 2, 2), (1,)], variant="implicit_gemm", params=dict(padding=1),
             numpy=_numpy_conv2d, torch=_torch_conv2d),
        Case([(2, 3, 2, 2), (1, 3, 1, 1), (1,)], variant="pointwise", numpy=_numpy_conv2d, torch=_torch_conv2d),
        # 3x3 "same" convolution over 16 channels on a 1x1 image: every tap but the centre reads padding
        # (the shifted-GEMM kernel takes such layers from 16x16 up: tests/ops/test_conv_kernels.py)
        Case([(1, 16, 1, 1), (2, 16, 3, 3), (2,)], variant="same_16_channels", params=dict(padding=1),
             numpy=_numpy_conv2d, torch=_torch_conv2d),
    )

    @staticmethod
    def forward(ctx, x, weight, *bias, stride=1, padding=0, dilation=1, groups=1):
        check_conv_shapes(x.shape, weight.shape, bias[0].shape if bias else None, groups)
        threads.busy()                  # a heavy op: share the cores with other graphlab runs
        window = Window.of("conv2d", x.shape[2:], weight.shape[2:], stride, padding, dilation)
        ctx.window, ctx.groups = window, groups       # groups may be the default, not in ctx.params
        ctx.kernel = choose_kernel(window, groups, x.shape[1], weight.shape[0])
        x_pad = pad_inner(x, *window.padding)                      # (C, H_pad, W_pad, N)
        output, kept = ctx.kernel.forward(x_pad, weight, bias[0] if bias else None, window, groups)
        # a kernel that keeps the padded input would hold a second copy of every activation (the
        # graph keeps x itself): keep x and pad it again in backward, one copy per step instead
        ctx.repad = kept[0] is x_pad and window.padding != (0, 0)
        ctx.save_for_backward(*((x,) + kept[1:] if ctx.repad else kept))
        return batch_outer(output.reshape((weight.shape[0],) + window.out_size + (x.shape[0],)))

    @staticmethod
    def backward(ctx, upstream):
        """dW = upstream · colsᵀ, db = Σ upstream, dx = col2im(Wᵀ · upstream): the module
        docstring's matmul rule, each skipped when ``needs_input_grad`` says nobody wants it."""
        threads.busy()
        needs = ctx.needs_input_grad + (False,) * (3 - len(ctx.inputs))          # (x, weight, bias)
        upstream_rows = batch_inner(upstream).reshape(upstream.shape[1], -1)     # (C_out, H_out·W_out·N)
        kept = ctx.saved_tensors
        if ctx.repad:
            kept = (pad_inner(kept[0], *ctx.window.padding),) + kept[1:]
        d_x, d_weight, d_bias = ctx.kernel.backward(upstream_rows, kept, ctx.window, ctx.groups, needs)
        return (batch_outer(d_x) if needs[0] else None, d_weight, d_bias)[:len(ctx.inputs)]

    @staticmethod
    def composed(ctx, x, weight, *bias):
        """``conv2d`` above on the same inputs: create_graph=True differentiates this twin."""
        window = ctx.window
        return conv2d(x, weight, *bias, stride=window.stride, padding=window.padding,
                      dilation=window.dilation, groups=ctx.groups)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The matmul rule on im2col's matrices: cols holds x's kh x kw patches, one column
        per output pixel of the batch (N·H'·W'), and upstream one row per output channel."""
        (batch, _, _, _), (out_channels, group_channels, kh, kw) = terms.shapes[0], terms.shapes[1]
        pixels = batch * terms.output[2] * terms.output[3]
        patch, per_group = group_channels * kh * kw, out_channels // ctx.groups
        groups = f", per group of {ctx.groups}" if ctx.groups > 1 else ""
        weight_t = f"{terms.names[1]}ᵀ {shape_text((patch, per_group))}"
        if index == 0:
            return f"col2im({weight_t} · upstream {shape_text((per_group, pixels))}): " \
                   f"each patch added back into {terms.names[0]}{groups}"
        if index == 1:
            return f"upstream {shape_text((per_group, pixels))} · colsᵀ {shape_text((pixels, patch))}, " \
                   f"cols = {terms.names[0]}'s {kh}x{kw} patches{groups}"
        return f"{terms.up} summed over axes 0, 2, 3 (batch, pixels)"

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


# -- the geometry of a sliding window (shared with pooling and the nn layers) ------------------------
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
