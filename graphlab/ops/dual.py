"""Helpers that take a numpy array *or* a Tensor.

Backward formulas are written once with these (and with operators and the ``sum``,
``reshape``, ``transpose`` methods both types share). With arrays they compute a gradient;
with Tensors (``create_graph=True``) they build the graph of the gradient, which is how
graphlab gets gradients of gradients.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.tensor import Tensor


def exp(value):
    return value.exp() if isinstance(value, Tensor) else np.exp(value)


def log(value):
    return value.log() if isinstance(value, Tensor) else np.log(value)


def where(condition, a, b):
    """numpy's where; a Tensor branch makes it the differentiable ``gl.where``."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from graphlab.ops import where as tensor_where
        return tensor_where(condition, a, b)
    return np.where(condition, a, b)


def broadcast_to(value, shape: tuple):
    return value.broadcast_to(shape) if isinstance(value, Tensor) else np.broadcast_to(value, shape)


def swap_last_axes(value):
    """Matrix transpose of the last two axes (batched ``.mT``)."""
    axes = tuple(range(value.ndim - 2)) + (value.ndim - 1, value.ndim - 2)
    return value.transpose(axes)


def expand_reduced(upstream, input_shape: tuple, axis, keepdims: bool):
    """Put back the axes a reduction removed, so ``upstream`` broadcasts against its input."""
    if keepdims:
        return upstream
    if axis is None or not input_shape:      # a 0-d input reduced over axis 0 or -1 (as PyTorch allows)
        return upstream.reshape((1,) * len(input_shape))
    reduced = {a % len(input_shape) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
    return upstream.reshape(tuple(1 if index in reduced else size for index, size in enumerate(input_shape)))
