"""Composed twins of the fused CNN ops, built only from primitive ops.

Each function here computes what one fused node computes (``gl.functional.conv2d``,
``batch_norm``, ``cross_entropy``, ...), but as a graph of many small nodes (pad, getitem,
stack, matmul, mean, exp, ...), so every intermediate shows in a Trace. The CNN ones
(``conv2d``, ``max_pool2d``, ``avg_pool2d``, ``global_avg_pool2d``, ``batch_norm``,
``layer_norm``) are the definitions that open ``ops/conv.py``, ``ops/pool.py`` and
``ops/norm.py``; they are imported here so that ``gl.functional.composed`` has them all.
They are slow on purpose and exist for two reasons: lessons can open a fused node up, and
the tests hold fused == composed, values and gradients.

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
# the CNN definitions live at the top of their op's file, next to the fused node
from graphlab.ops.conv import conv2d  # noqa: F401
from graphlab.ops.loss import class_labels
from graphlab.ops.norm import batch_norm, layer_norm, per_channel  # noqa: F401
from graphlab.ops.pool import avg_pool2d, global_avg_pool2d, max_pool2d  # noqa: F401


def linear(x, weight, bias=None):
    output = x @ ops.transpose(weight)
    return output if bias is None else output + bias


def softmax(x, axis=-1):
    shifted = ops.exp(x - np.max(x.data, axis=axis, keepdims=True))   # the shift is a constant
    return shifted / ops.sum(shifted, axis=axis, keepdims=True)


def _reduce(per_sample, reduction: str):
    if reduction == "mean":
        return ops.mean(per_sample)
    return ops.sum(per_sample) if reduction == "sum" else per_sample


def cross_entropy(logits, targets, label_smoothing=0.0, reduction="mean"):
    """Class indices (N,) pick one log-probability per sample; class probabilities q (N, K)
    weight them all: −Σ_k q_k log p_k, with q mixed with the uniform by label_smoothing."""
    log_probs = ops.log(softmax(logits, axis=1))
    targets = np.asarray(getattr(targets, "data", targets))
    if targets.ndim == 2:
        target = targets.astype(logits.dtype) * (1 - label_smoothing) + label_smoothing / logits.shape[1]
        return _reduce(-ops.sum(log_probs * target, axis=1), reduction)    # the target is a constant
    labels = class_labels(targets, logits.shape, "cross_entropy")
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
    slope = per_channel(weight, x.ndim) if weight.shape[0] > 1 else weight
    return ops.where(x.data > 0, x, x * slope)


def selu(x):
    negative = SELU_SCALE * SELU_ALPHA * (ops.exp(ops.minimum(x, 0.0)) - 1)
    return ops.where(x.data > 0, SELU_SCALE * x, negative)


def gelu(x):
    """x·Φ(x), Φ the standard normal CDF written with erf."""
    return 0.5 * x * (1 + ops.erf(x * math.sqrt(0.5)))


def gelu_tanh(x):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1 + ops.tanh(inner))


def maxout(x, pieces=2, axis=1):
    shape = x.shape
    grouped = ops.reshape(x, shape[:axis] + (shape[axis] // pieces, pieces) + shape[axis + 1:])
    return ops.max(grouped, axis=axis + 1)
