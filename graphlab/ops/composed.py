"""Composed twins of the fused CNN ops, built only from primitive ops.

Each function here computes what one fused node computes (``gl.functional.conv2d``,
``batch_norm``, ``cross_entropy``, ...), but as a graph of many small nodes (pad, getitem,
stack, matmul, mean, exp, ...), so every intermediate shows in a Trace. They are slow on
purpose and exist for two reasons: lessons can open a fused node up, and the tests hold
fused == composed, values and gradients.

>>> import graphlab as gl
>>> x = gl.randn(2, 3, 5, 5, dtype="float64")
>>> w = gl.randn(4, 3, 3, 3, dtype="float64")
>>> fused = gl.functional.conv2d(x, w, padding=1)
>>> bool(abs(fused.data - conv2d(x, w, padding=1).data).max() < 1e-12)
True
"""
from __future__ import annotations

import math

import numpy as np

from graphlab import ops
from graphlab.ops.activation import SELU_ALPHA, SELU_SCALE
from graphlab.ops.conv import Window
from graphlab.ops.loss import class_labels


def _windows(x_pad, window: Window):
    """Stack the kh·kw shifted views: (N, C, H_pad, W_pad) -> (N, C, kh·kw, H_out, W_out)."""
    views = [ops.getitem(x_pad, (slice(None), slice(None), rows, cols)) for _, _, rows, cols in window.offsets()]
    return ops.stack(views, axis=2)


def _pad_spatial(x, padding: tuple, value: float = 0.0):
    if padding == (0, 0):
        return x
    return ops.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])), value=value)


def linear(x, weight, bias=None):
    output = x @ ops.transpose(weight)
    return output if bias is None else output + bias


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution as pad + shifted slices + one matmul per group."""
    N, C = x.shape[:2]
    out_channels, group_channels, kh, kw = weight.shape
    window = Window.of("conv2d", x.shape[2:], (kh, kw), stride, padding, dilation)
    h_out, w_out = window.out_size
    patches = _windows(_pad_spatial(x, window.padding), window)        # (N, C, kh·kw, H_out, W_out)
    outputs, per_group = [], out_channels // groups
    for group in range(groups):
        channels = slice(group * group_channels, (group + 1) * group_channels)
        columns = ops.reshape(ops.getitem(patches, (slice(None), channels)), (N, group_channels * kh * kw, h_out * w_out))
        kernel = ops.reshape(ops.getitem(weight, slice(group * per_group, (group + 1) * per_group)),
                             (per_group, group_channels * kh * kw))
        outputs.append(kernel @ columns)                                # (N, C_out / groups, H_out·W_out)
    output = ops.reshape(ops.concat(outputs, axis=1) if groups > 1 else outputs[0], (N, out_channels, h_out, w_out))
    return output if bias is None else output + ops.reshape(bias, (1, out_channels, 1, 1))


def max_pool2d(x, kernel_size, stride=None, padding=0):
    window = Window.of("max_pool2d", x.shape[2:], kernel_size, kernel_size if stride is None else stride, padding)
    return ops.max(_windows(_pad_spatial(x, window.padding, -np.inf), window), axis=2)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    window = Window.of("avg_pool2d", x.shape[2:], kernel_size, kernel_size if stride is None else stride, padding)
    return ops.mean(_windows(_pad_spatial(x, window.padding), window), axis=2)


def global_avg_pool2d(x):
    return ops.mean(x, axis=(2, 3))


def _per_channel(vector, ndim: int):
    return ops.reshape(vector, (1, -1) + (1,) * (ndim - 2))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, eps=1e-5):
    """(x - μ) / √(σ² + ε) · γ + β with μ, σ² from the batch (training) or the running statistics."""
    axes = (0,) + tuple(range(2, x.ndim))
    if training or running_mean is None:
        mean = ops.mean(x, axis=axes, keepdims=True)
        normalized = (x - mean) / ops.sqrt(ops.var(x, axis=axes, keepdims=True) + eps)
    else:                                     # fixed statistics: numpy constants
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = np.asarray(running_mean, dtype=x.dtype).reshape(shape)
        normalized = (x - mean) / np.sqrt(np.asarray(running_var, dtype=x.dtype).reshape(shape) + eps)
    if weight is not None:
        normalized = normalized * _per_channel(weight, x.ndim) + _per_channel(bias, x.ndim)
    return normalized


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(tuple(normalized_shape)), x.ndim))
    normalized = (x - ops.mean(x, axis=axes, keepdims=True)) / ops.sqrt(ops.var(x, axis=axes, keepdims=True) + eps)
    return normalized if weight is None else normalized * weight + bias


def softmax(x, axis=-1):
    shifted = ops.exp(x - np.max(x.data, axis=axis, keepdims=True))   # the shift is a constant
    return shifted / ops.sum(shifted, axis=axis, keepdims=True)


def _reduce(per_sample, reduction: str):
    if reduction == "mean":
        return ops.mean(per_sample)
    return ops.sum(per_sample) if reduction == "sum" else per_sample


def cross_entropy(logits, targets, label_smoothing=0.0, reduction="mean"):
    labels = class_labels(targets, logits.shape, "cross_entropy")
    log_probs = ops.log(softmax(logits, axis=1))
    picked = ops.getitem(log_probs, (np.arange(logits.shape[0]), labels))
    per_sample = -picked * (1 - label_smoothing) - ops.mean(log_probs, axis=1) * label_smoothing
    return _reduce(per_sample, reduction)


def nll_loss(log_probs, targets, reduction="mean"):
    labels = class_labels(targets, log_probs.shape, "nll_loss")
    return _reduce(-ops.getitem(log_probs, (np.arange(log_probs.shape[0]), labels)), reduction)


def mse_loss(prediction, target, reduction="mean"):
    difference = prediction - target
    return _reduce(difference * difference, reduction)


def multiclass_hinge_loss(scores, targets, margin=1.0, reduction="mean"):
    labels = class_labels(targets, scores.shape, "multiclass_hinge_loss")
    rows = np.arange(scores.shape[0])
    correct = ops.reshape(ops.getitem(scores, (rows, labels)), (-1, 1))
    others = np.ones(scores.shape)
    others[rows, labels] = 0                                          # the j ≠ y_i mask, a constant
    margins = ops.maximum(scores - correct + margin, 0.0) * others
    return _reduce(ops.sum(margins, axis=1), reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    per_element = ops.maximum(logits, 0.0) - logits * target + ops.log(1 + ops.exp(-ops.abs(logits)))
    return _reduce(per_element, reduction)


def prelu(x, weight):
    slope = _per_channel(weight, x.ndim) if weight.shape[0] > 1 else weight
    return ops.where(x.data > 0, x, x * slope)


def selu(x):
    negative = SELU_SCALE * SELU_ALPHA * (ops.exp(ops.minimum(x, 0.0)) - 1)
    return ops.where(x.data > 0, SELU_SCALE * x, negative)


def gelu_tanh(x):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1 + ops.tanh(inner))


def maxout(x, pieces=2, axis=1):
    shape = x.shape
    grouped = ops.reshape(x, shape[:axis] + (shape[axis] // pieces, pieces) + shape[axis + 1:])
    return ops.max(grouped, axis=axis + 1)
