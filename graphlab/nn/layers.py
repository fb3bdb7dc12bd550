"""Layers: Linear, Conv2d, pooling, batch/layer norm, dropout, activations, Flatten.

Each layer holds its Parameters and calls one ``gl.functional`` op, and knows its output
shape without running (``output_shape``, used by ``gl.nn.summary``). Constructor arguments
and defaults are PyTorch's, so a PyTorch model's ``state_dict`` loads into the same
architecture built here.

>>> import graphlab as gl
>>> conv = gl.nn.Conv2d(3, 10, kernel_size=5, padding=2)     # E21/E22: ten 5x5 filters on 32x32x3
>>> conv.infer_shape((1, 3, 32, 32)), conv.num_parameters()
((1, 10, 32, 32), 760)
"""
from __future__ import annotations

import math

import numpy as np

from graphlab import argcheck
from graphlab import functional as F
from graphlab.argcheck import ArgumentError, flag, float_dtype, positive_int, probability, real
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ShapeError
from graphlab.nn import init as initializers
from graphlab.nn.module import MAX_PARAMETER_SIZE, Module, Parameter
from graphlab.ops.conv import Window, check_conv_shapes, pair
from graphlab.ops.pool_matrices import pooled_size


def _check_ndim(layer: str, shape: tuple, allowed: tuple, fix: str) -> None:
    if len(shape) not in allowed:
        wanted = " or ".join(f"{n}-D" for n in allowed)
        raise ShapeError(f"{layer}: input of shape {tuple(shape)} is {len(shape)}-D, expected {wanted}; {fix}")


class Linear(Module):
    """y = x Wᵀ + b, W of shape (out_features, in_features)."""
    tensor_input = "float"

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", "Linear")
        self.out_features = positive_int(out_features, "out_features", "Linear")
        dtype = float_dtype(dtype, "dtype", "Linear")
        self.weight = Parameter.empty(self.out_features, self.in_features, dtype=dtype, owner="Linear",
                                      sizes="(out_features, in_features)")
        self.bias = Parameter.empty(self.out_features, dtype=dtype) if flag(bias, "bias", "Linear") else None
        initializers.default_layer_init(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def output_shape(self, input_shape):
        if not input_shape or input_shape[-1] != self.in_features:
            hint = " (flatten the image first: add gl.nn.Flatten())" if len(input_shape) > 2 else ""
            raise ShapeError(f"linear: input of shape {input_shape} has {input_shape[-1] if input_shape else 0} "
                             f"features but the layer expects in_features={self.in_features}{hint}")
        return tuple(input_shape[:-1]) + (self.out_features,)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")


class Conv2d(Module):
    """2-D convolution over (N, C, H, W); weight (out_channels, in_channels / groups, kh, kw)."""
    tensor_input = "float"

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, dtype=None):
        super().__init__()
        in_channels, out_channels = positive_int(in_channels, "in_channels", "Conv2d"), \
            positive_int(out_channels, "out_channels", "Conv2d")
        groups = positive_int(groups, "groups", "Conv2d")
        if in_channels % groups or out_channels % groups:
            raise ShapeError(f"Conv2d: in_channels {in_channels} and out_channels {out_channels} must both be "
                             f"divisible by groups {groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding = pair(padding, "padding", "Conv2d", 0)
        self.dilation = pair(dilation, "dilation", "Conv2d", 1)
        dtype = float_dtype(dtype, "dtype", "Conv2d")
        self.weight = Parameter.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype,
                                      owner="Conv2d", sizes="(out_channels, in_channels / groups, *kernel_size)")
        self.bias = Parameter.empty(out_channels, dtype=dtype) if flag(bias, "bias", "Conv2d") else None
        initializers.default_layer_init(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def output_shape(self, input_shape):
        check_conv_shapes(input_shape, self.weight.shape, None, self.groups)
        window = Window.of("conv2d", input_shape[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        return (input_shape[0], self.out_channels) + window.out_size

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        for name, default in (("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1))):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class _Pool(Module):
    tensor_input = "float"
    function = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size", type(self).__name__, 1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", type(self).__name__, 1)
        self.padding = pair(padding, "padding", type(self).__name__, 0)
        self.ceil_mode = flag(ceil_mode, "ceil_mode", type(self).__name__)

    def forward(self, x):
        return type(self).function(x, self.kernel_size, self.stride, self.padding, ceil_mode=self.ceil_mode)

    def output_shape(self, input_shape):
        _check_ndim(type(self).__name__, input_shape, (4,), "pool (N, C, H, W) images")
        window = Window.of(type(self).__name__, input_shape[2:], self.kernel_size, self.stride, self.padding)
        if not self.ceil_mode:
            return tuple(input_shape[:2]) + window.out_size
        return tuple(input_shape[:2]) + tuple(pooled_size(size, k, s, p, True) for size, k, s, p in
                                              zip(input_shape[2:], self.kernel_size, self.stride, self.padding))

    def extra_repr(self):
        text = f"kernel_size={self.kernel_size}, stride={self.stride}"
        text += f", padding={self.padding}" if self.padding != (0, 0) else ""
        return text + (", ceil_mode=True" if self.ceil_mode else "")


class MaxPool2d(_Pool):
    """Max over kh x kw windows (stride defaults to the kernel size)."""
    function = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool):
    """Mean over kh x kw windows (stride defaults to the kernel size); ``count_include_pad``:
    zero padding counts in the mean (PyTorch's default), else only the real inputs."""
    function = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = flag(count_include_pad, "count_include_pad", "AvgPool2d")

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, ceil_mode=self.ceil_mode,
                            count_include_pad=self.count_include_pad)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.count_include_pad else ", count_include_pad=False")


class GlobalAvgPool2d(Module):
    """(N, C, H, W) -> (N, C): the mean of each feature map."""
    tensor_input = "float"

    def forward(self, x):
        return F.global_avg_pool2d(x)

    def output_shape(self, input_shape):
        _check_ndim("GlobalAvgPool2d", input_shape, (4,), "it averages (N, C, H, W) feature maps")
        return tuple(input_shape[:2])


class AdaptiveAvgPool2d(Module):
    """PyTorch's AdaptiveAvgPool2d: (N, C, H, W) -> (N, C, *output_size), whatever H and W."""
    tensor_input = "float"

    def __init__(self, output_size=1):
        super().__init__()
        self.output_size = output_size
        pair(output_size, "output_size", "AdaptiveAvgPool2d", 1)

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def output_shape(self, input_shape):
        _check_ndim("AdaptiveAvgPool2d", input_shape, (4,), "it averages (N, C, H, W) feature maps")
        return tuple(input_shape[:2]) + pair(self.output_size, "output_size", "AdaptiveAvgPool2d", 1)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _BatchNorm(Module):
    tensor_input = "float"
    dims = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype=None):
        super().__init__()
        where = type(self).__name__
        num_features = positive_int(num_features, "num_features", where)
        if num_features > MAX_PARAMETER_SIZE:
            raise ArgumentError(f"{where}: num_features={num_features} is more than graphlab allocates "
                                f"({MAX_PARAMETER_SIZE:,})")
        eps = real(eps, "eps", where, 0.0, low_open=True)
        if momentum is not None:
            momentum = real(momentum, "momentum", where, 0.0, 1.0, rule="in [0, 1] (or None: a cumulative average)")
        affine, track_running_stats = flag(affine, "affine", where), flag(track_running_stats, "track_running_stats", where)
        dtype = float_dtype(dtype, "dtype", where)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter.empty(num_features, dtype=dtype, owner=where, sizes="num_features") if affine else None
        self.bias = Parameter.empty(num_features, dtype=dtype) if affine else None
        if affine:
            initializers.ones(self.weight)
            initializers.zeros(self.bias)
        if track_running_stats:
            dtype = np.dtype(dtype) if dtype is not None else None
            self.register_buffer("running_mean", Tensor(np.zeros(num_features), dtype=dtype or np.float32))
            self.register_buffer("running_var", Tensor(np.ones(num_features), dtype=dtype or np.float32))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))

    def forward(self, x):
        _check_ndim(type(self).__name__, x.shape, self.dims, self._fix)
        tracking = self.track_running_stats
        momentum = self.momentum
        if self.training and tracking:
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
            if momentum is None:        # cumulative moving average, as in PyTorch
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return F.batch_norm(x, self.running_mean if tracking else None, self.running_var if tracking else None,
                            self.weight, self.bias, training=self.training or not tracking,
                            momentum=momentum, eps=self.eps)

    def output_shape(self, input_shape):
        _check_ndim(type(self).__name__, input_shape, self.dims, self._fix)
        if input_shape[1] != self.num_features:
            raise ShapeError(f"batch_norm: input {input_shape} has {input_shape[1]} channels but the layer was "
                             f"built with num_features={self.num_features}")
        return tuple(input_shape)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) features, per feature C (E43)."""
    dims = (2, 3)
    _fix = "use BatchNorm2d for (N, C, H, W) images"


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) images, per channel over N, H, W (E45)."""
    dims = (4,)
    _fix = "use BatchNorm1d for (N, C) features (after Flatten/Linear)"


def _normalized_shape(value) -> tuple:
    """LayerNorm's normalized_shape: an int or a non-empty sequence of positive ints."""
    if isinstance(value, (list, tuple)) and value:
        return tuple(positive_int(size, "normalized_shape", "LayerNorm") for size in value)
    if isinstance(value, (list, tuple)):
        raise ArgumentError("LayerNorm: normalized_shape must not be empty; give the sizes of the last axes")
    return (positive_int(value, "normalized_shape", "LayerNorm"),)


class LayerNorm(Module):
    """Normalize each sample over its last axes (``normalized_shape``)."""
    tensor_input = "float"

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, dtype=None):
        super().__init__()
        shape = _normalized_shape(normalized_shape)
        self.normalized_shape, self.eps = shape, real(eps, "eps", "LayerNorm", 0.0, low_open=True)
        elementwise_affine = flag(elementwise_affine, "elementwise_affine", "LayerNorm")
        dtype = float_dtype(dtype, "dtype", "LayerNorm")
        self.weight = Parameter.empty(*shape, dtype=dtype, owner="LayerNorm", sizes="normalized_shape") \
            if elementwise_affine else None
        self.bias = Parameter.empty(*shape, dtype=dtype) if elementwise_affine else None
        if elementwise_affine:
            initializers.ones(self.weight)
            initializers.zeros(self.bias)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class _Elementwise(Module):
    """A parameter-free layer that keeps the shape."""
    tensor_input = "float"
    counts_memory = False

    def output_shape(self, input_shape):
        return tuple(input_shape)


class Dropout(_Elementwise):
    """Inverted dropout in training (zero with probability p, scale by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = probability(p, "p", type(self).__name__)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Drops whole feature maps of (N, C, H, W) inputs."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)


class Identity(_Elementwise):
    tensor_input = "numeric"
    def forward(self, x):
        return x


class ReLU(_Elementwise):
    def forward(self, x):
        return F.relu(x)


class LeakyReLU(_Elementwise):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = real(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope: one shared (num_parameters=1) or one per channel."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=None):
        super().__init__()
        num_parameters = positive_int(num_parameters, "num_parameters", "PReLU")
        dtype = float_dtype(dtype, "dtype", "PReLU")
        self.weight = Parameter.empty(num_parameters, dtype=dtype, owner="PReLU", sizes="num_parameters")
        initializers.constant(self.weight, real(init, "init", "PReLU"))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.weight.shape[0]}"


class ELU(_Elementwise):
    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = real(alpha, "alpha", "ELU")

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(_Elementwise):
    def forward(self, x):
        return F.selu(x)


class GELU(_Elementwise):
    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = argcheck.choice(approximate, "approximate", "GELU", ("none", "tanh"))

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}" if self.approximate != "none" else ""


class Sigmoid(_Elementwise):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(_Elementwise):
    def forward(self, x):
        return F.tanh(x)


class Softmax(_Elementwise):
    """softmax along ``axis`` (or PyTorch's ``dim``; the last axis when neither is given)."""

    def __init__(self, axis=None, *, dim=None):
        super().__init__()
        if axis is not None and dim is not None:
            raise argcheck.ArgumentError("Softmax: give axis= (numpy) or dim= (PyTorch), not both")
        chosen = axis if dim is None else dim
        self.axis = argcheck.integer(-1 if chosen is None else chosen, "axis" if dim is None else "dim", "Softmax")

    def forward(self, x):
        return F.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class Maxout(Module):
    """Maxout unit (E36): max over ``pieces`` linear maps, max(w1ᵀx + b1, w2ᵀx + b2, ...).

    One Linear layer to pieces x out_features, then the max over each group of pieces; it
    has pieces times the parameters of a plain layer.
    """
    tensor_input = "float"

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, dtype=None):
        super().__init__()
        positive_int(in_features, "in_features", "Maxout")
        self.out_features = positive_int(out_features, "out_features", "Maxout")
        self.pieces = positive_int(pieces, "pieces", "Maxout")
        if self.out_features * self.pieces * in_features > MAX_PARAMETER_SIZE:
            raise ArgumentError(f"Maxout: in_features x out_features x pieces = {in_features} x {self.out_features} x "
                                f"{self.pieces} weights is more than graphlab allocates ({MAX_PARAMETER_SIZE:,})")
        self.linear = Linear(in_features, self.out_features * self.pieces, dtype=dtype)

    def forward(self, x):
        return F.maxout(self.linear(x), self.pieces, axis=-1)

    def output_shape(self, input_shape):
        return tuple(self.linear.infer_shape(input_shape)[:-1]) + (self.out_features,)

    def extra_repr(self):
        return f"pieces={self.pieces}"


class Flatten(_Elementwise):
    """Merge axes start_dim..end_dim (from 1: keeps the batch axis)."""
    tensor_input = "numeric"

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = argcheck.integer(start_dim, "start_dim", "Flatten")
        self.end_dim = argcheck.integer(end_dim, "end_dim", "Flatten")

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def output_shape(self, input_shape):
        ndim = len(input_shape)
        if not (-ndim <= self.start_dim < ndim and -ndim <= self.end_dim < ndim):
            raise ShapeError(f"Flatten: start_dim={self.start_dim} and end_dim={self.end_dim} must be axes of the "
                             f"{ndim}-D input {tuple(input_shape)}")
        start, end = self.start_dim % ndim, self.end_dim % ndim
        merged = int(math.prod(input_shape[start:end + 1]))
        return tuple(input_shape[:start]) + (merged,) + tuple(input_shape[end + 1:])
