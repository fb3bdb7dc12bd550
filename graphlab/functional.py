"""``gl.functional``: the neural-network ops as functions, PyTorch's ``F`` style.

Images are NCHW and conv weights ``(out_channels, in_channels / groups, kh, kw)`` as in
PyTorch. Each op is one fused node of the graph (forward and backward vectorized with
numpy), so a CNN's graph stays a few dozen nodes however big the batch; the same numbers
built from primitive ops live in ``gl.functional.composed`` (the tests hold them equal).

>>> import graphlab as gl
>>> import graphlab.functional as F
>>> gl.manual_seed(0)
>>> x = gl.randn(8, 3, 32, 32)                                        # E21's input, batch of 8
>>> w, b = gl.randn(10, 3, 5, 5, requires_grad=True), gl.zeros(10, requires_grad=True)
>>> y = F.conv2d(x, w, b, stride=1, padding=2)                        # ten 5x5 filters, pad 2
>>> y.shape                                                           # E21: 32 x 32 x 10
(8, 10, 32, 32)
>>> w.size + b.size                                                   # E22: 10 x (5*5*3 + 1)
760
>>> loss = F.cross_entropy(F.global_avg_pool2d(F.relu(y)), [0, 1, 2, 3, 4, 5, 6, 7])
>>> _ = loss.backward()
>>> w.grad.shape
(10, 3, 5, 5)
"""
from __future__ import annotations

import numpy as np

from graphlab import memory, ops
from graphlab.autodiff.creation import ones_like, zeros_like
from graphlab.autodiff.tensor import Tensor
from graphlab.argcheck import flag
from graphlab.errors import ParameterError, ShapeError
from graphlab.ops import composed  # noqa: F401  (gl.functional.composed: the primitive-op twins)
from graphlab.ops.activation import Gelu, Maxout, PRelu, Selu
from graphlab.ops.conv import Conv2d, pair
from graphlab.ops.dropout import Dropout
from graphlab.ops.linear import Linear
from graphlab.ops.loss import (
    REDUCTIONS, BinaryCrossEntropyWithLogits, CrossEntropy, MseLoss, MulticlassHinge, NllLoss,
)
from graphlab.ops.norm import BatchNorm, LayerNorm
from graphlab.ops.pool import AvgPool2d, GlobalAvgPool2d, MaxPool2d
from graphlab.ops import pool_matrices

__all__ = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "adaptive_avg_pool2d",
    "batch_norm", "layer_norm", "dropout", "dropout2d", "softmax", "log_softmax", "cross_entropy",
    "nll_loss", "mse_loss", "multiclass_hinge_loss", "binary_cross_entropy_with_logits", "relu",
    "leaky_relu", "prelu", "elu", "selu", "gelu", "sigmoid", "tanh", "maxout", "flatten",
]


def _optional(*tensors) -> tuple:
    """The inputs that are given (bias=None means no bias node input at all)."""
    return tuple(tensor for tensor in tensors if tensor is not None)


def _choice(value, allowed: tuple, what: str, op_name: str):
    if value not in allowed:
        raise ValueError(f"{op_name}: {what} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def _array(value):
    """The numpy array of a Tensor (running statistics are updated in place, off the graph)."""
    return value.data if isinstance(value, Tensor) else value


# -- layers ----------------------------------------------------------------------------------
# Each layer first makes sure freed activation memory stays mapped between training steps (once
# per process, on the first call: see memory.py), so importing graphlab changes nothing.
def linear(x, weight, bias=None):
    """y = x Wᵀ + b with W of shape (out_features, in_features)."""
    memory.keep_freed_memory()
    return Linear.apply(x, weight, *_optional(bias))


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of (N, C, H, W) by (C_out, C / groups, kh, kw); see ``ops/conv.py``.
    ``padding`` is an int, a pair, or PyTorch's ``"valid"`` (none) or ``"same"`` (the output
    keeps H and W; stride 1)."""
    memory.keep_freed_memory()
    if isinstance(padding, str):
        x, padding = _named_padding(x, weight, padding, stride, dilation)
    return Conv2d.apply(x, weight, *_optional(bias), stride=stride, padding=padding, dilation=dilation,
                        groups=groups)


def _named_padding(x, weight, padding: str, stride, dilation) -> tuple:
    """(input, padding) for padding="valid" or "same". "same" pads dilation·(k - 1) in all per
    axis; when that is odd the extra row or column goes at the bottom or right (PyTorch's rule),
    through an explicit pad node, since the convolution pads both sides alike."""
    _choice(padding, ("same", "valid"), "padding", "conv2d")
    if padding == "valid":
        return x, 0
    if pair(stride, "stride", "conv2d", 1) != (1, 1):
        raise ParameterError(f"conv2d: padding='same' needs stride=1 (got stride={stride!r}); give the "
                             f"padding as numbers for a strided convolution")
    if len(np.shape(weight)) != 4:
        raise ShapeError(f"conv2d: weight of shape {np.shape(weight)} must be 4-D (C_out, C / groups, kh, kw)")
    dilations = pair(dilation, "dilation", "conv2d", 1)
    totals = [d * (k - 1) for d, k in zip(dilations, np.shape(weight)[2:])]
    before = tuple(total // 2 for total in totals)
    extra = [total - 2 * half for total, half in zip(totals, before)]
    if any(extra):
        x = ops.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    return x, before


def max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Max over kh x kw windows (stride defaults to the kernel size, as in PyTorch).
    ``ceil_mode``: round the output size up, so the last partial windows count (PyTorch's)."""
    memory.keep_freed_memory()
    if flag(ceil_mode, "ceil_mode", "max_pool2d"):
        x = pool_matrices.ceil_mode_padding(pool_matrices.image(x, "max_pool2d"), kernel_size, stride, padding)
        padding = 0
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over kh x kw windows. By default zero padding counts in the mean (PyTorch's
    ``count_include_pad=True``) and the output size rounds down; ``count_include_pad=False``
    divides by the real inputs only, ``ceil_mode=True`` keeps the last partial windows. Those
    two options run as two matmul nodes (see ``ops/pool_matrices.py``), the default as one
    fused ``avg_pool2d`` node."""
    memory.keep_freed_memory()
    ceil_mode = flag(ceil_mode, "ceil_mode", "avg_pool2d")
    count_include_pad = flag(count_include_pad, "count_include_pad", "avg_pool2d")
    if ceil_mode or not count_include_pad:
        return pool_matrices.avg_pool2d_matrices(pool_matrices.image(x, "avg_pool2d"), kernel_size, stride,
                                                 padding, ceil_mode, count_include_pad)
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def global_avg_pool2d(x):
    """Mean over H and W: (N, C, H, W) -> (N, C), the classifier head of ResNet and DenseNet."""
    memory.keep_freed_memory()
    return GlobalAvgPool2d.apply(x)


def adaptive_avg_pool2d(x, output_size=1):
    """PyTorch's adaptive average pooling to (N, C, *output_size): output i of an axis of size S
    averages inputs floor(i·S/out) .. ceil((i+1)·S/out). 1x1 is one global-average node, an
    output that divides the input one average-pooling node, any other size two matmul nodes."""
    memory.keep_freed_memory()
    out_h, out_w = pair(output_size, "output_size", "adaptive_avg_pool2d", 1)
    x = pool_matrices.image(x, "adaptive_avg_pool2d")
    height, width = x.shape[2:]
    if (out_h, out_w) == (1, 1):
        return GlobalAvgPool2d.apply(x, keepdims=True)
    if height % out_h == 0 and width % out_w == 0:
        kernel = (height // out_h, width // out_w)
        return AvgPool2d.apply(x, kernel_size=kernel, stride=kernel, padding=0)
    return pool_matrices.pool_with(x, pool_matrices.adaptive_matrix(height, out_h),
                                   pool_matrices.adaptive_matrix(width, out_w))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch norm over axis 1 (see ``ops/norm.py``). In training the batch statistics are used and
    ``running_mean``/``running_var`` (arrays or Tensors, or None) are updated in place."""
    memory.keep_freed_memory()
    if weight is None and bias is not None:
        weight = ones_like(bias)
    elif bias is None and weight is not None:
        bias = zeros_like(weight)
    return BatchNorm.apply(x, *_optional(weight, bias), running_mean=_array(running_mean),
                           running_var=_array(running_var), training=bool(training), momentum=momentum, eps=eps)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over its last axes (``normalized_shape``), then scale and shift."""
    memory.keep_freed_memory()
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return LayerNorm.apply(x, *_optional(weight, bias), normalized_shape=shape, eps=eps)


def dropout(x, p=0.5, training=True):
    """Inverted dropout: zero with probability p, scale survivors by 1/(1-p); identity in eval."""
    memory.keep_freed_memory()
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p={p} is a probability and must be in [0, 1]")
    if not training or p == 0:
        return x
    return Dropout.apply(x, p=p)


def dropout2d(x, p=0.5, training=True):
    """Dropout of whole feature maps (N, C) of an (N, C, H, W) input ("per channel in CNNs", E67)."""
    memory.keep_freed_memory()
    if not 0 <= p <= 1:
        raise ValueError(f"dropout2d: p={p} is a probability and must be in [0, 1]")
    if not training or p == 0:
        return x
    return Dropout.apply(x, p=p, channelwise=True)


# -- losses ----------------------------------------------------------------------------------
def softmax(x, axis=None, *, dim=None):
    """softmax along ``axis`` or PyTorch's ``dim`` (the last axis when neither is given)."""
    return ops.softmax(x, axis, dim=dim)


def log_softmax(x, axis=None, *, dim=None):
    """log softmax along ``axis`` or PyTorch's ``dim`` (the last axis when neither is given)."""
    return ops.log_softmax(x, axis, dim=dim)


def cross_entropy(logits, targets, label_smoothing=0.0, reduction="mean", *, weight=None, ignore_index=-100):
    """Softmax cross-entropy of logits (N, K) and class indices (N,) or probabilities (N, K);
    also PyTorch's (N, K, H, W) logits with (N, H, W) indices (one loss per pixel).

    ``weight`` (K,): class weights; the mean divides by the total weight of the samples counted.
    ``ignore_index``: samples whose target is this class count for nothing (PyTorch's -100 by
    default). Without them the loss is one fused node; with them it is built from log_softmax,
    a getitem picking each target's log-probability, and the weighted sum."""
    _choice(reduction, REDUCTIONS, "reduction", "cross_entropy")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing={label_smoothing} must be in [0, 1]")
    logits, targets, per_pixel = _classes_last(logits, _array(targets))
    if weight is None and not (np.issubdtype(targets.dtype, np.integer) and np.any(targets == ignore_index)):
        loss = CrossEntropy.apply(logits, targets=targets, label_smoothing=label_smoothing, reduction=reduction)
    else:
        loss = _weighted_cross_entropy(logits, targets, weight, ignore_index, reduction, label_smoothing)
    return loss.reshape(per_pixel) if reduction == "none" and per_pixel else loss


def _classes_last(logits, targets) -> tuple:
    """(N, K, H, W) logits as (N·H·W, K) rows, targets to match; and the (N, H, W) shape of a
    per-pixel loss (None for (N, K) logits)."""
    logits = logits if isinstance(logits, Tensor) else Tensor._constant(logits, None, "cross_entropy")
    if logits.ndim <= 2:
        return logits, np.asarray(targets), None
    classes, per_pixel = logits.shape[1], (logits.shape[0],) + logits.shape[2:]
    order = (0,) + tuple(range(2, logits.ndim)) + (1,)
    rows = ops.permute(logits, *order).reshape(-1, classes)
    targets = np.asarray(targets)
    if targets.shape == logits.shape:                    # probabilities per pixel
        return rows, targets.transpose(order).reshape(-1, classes), per_pixel
    if targets.shape != per_pixel:
        raise ShapeError(f"cross_entropy: targets of shape {targets.shape} do not fit logits of shape "
                         f"{logits.shape}; give class indices of shape {per_pixel} or probabilities "
                         f"of shape {logits.shape}")
    return rows, targets.reshape(-1), per_pixel


def _weighted_cross_entropy(logits, targets, weight, ignore_index, reduction, label_smoothing):
    """-weight[y]·log softmax(logits)[y] per sample, 0 where y == ignore_index; the mean divides
    by the weights counted (PyTorch's rule)."""
    if not np.issubdtype(targets.dtype, np.integer) or targets.ndim != 1:
        raise ParameterError(f"cross_entropy: weight= and ignore_index= need class indices (an integer "
                             f"target per sample), got targets of dtype {targets.dtype} and shape {targets.shape}")
    if label_smoothing:
        raise ParameterError("cross_entropy: label_smoothing together with weight= or ignore_index= is not "
                             "supported; use one of them")
    classes = logits.shape[-1]
    class_weight = np.ones(classes) if weight is None else np.asarray(_array(weight), dtype=np.float64)
    if class_weight.shape != (classes,):
        raise ShapeError(f"cross_entropy: weight of shape {class_weight.shape} must have one entry per "
                         f"class, shape ({classes},)")
    counted = targets != ignore_index
    if np.any(counted & ((targets < 0) | (targets >= classes))):
        raise ShapeError(f"cross_entropy: targets must be class indices in 0..{classes - 1} (or "
                         f"ignore_index={ignore_index}), got {targets.min()}..{targets.max()}")
    picked_class = np.where(counted, targets, 0)
    sample_weight = np.where(counted, class_weight[picked_class], 0.0).astype(logits.dtype)
    picked = ops.log_softmax(logits, axis=1)[np.arange(len(targets)), picked_class]
    losses = -(picked * sample_weight)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / sample_weight.sum()


def nll_loss(log_probs, targets, reduction="mean"):
    _choice(reduction, REDUCTIONS, "reduction", "nll_loss")
    return NllLoss.apply(log_probs, targets=_array(targets), reduction=reduction)


def mse_loss(prediction, target, reduction="mean"):
    _choice(reduction, REDUCTIONS, "reduction", "mse_loss")
    return MseLoss.apply(prediction, target, reduction=reduction)


def multiclass_hinge_loss(scores, targets, margin=1.0, reduction="mean"):
    """CS231n's SVM loss Σ_{j≠y} max(0, s_j - s_y + margin) per sample (PyTorch's multi_margin_loss
    divides this by the number of classes)."""
    _choice(reduction, REDUCTIONS, "reduction", "multiclass_hinge_loss")
    return MulticlassHinge.apply(scores, targets=_array(targets), margin=margin, reduction=reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    _choice(reduction, REDUCTIONS, "reduction", "binary_cross_entropy_with_logits")
    return BinaryCrossEntropyWithLogits.apply(logits, target, reduction=reduction)


# -- activations -----------------------------------------------------------------------------
def relu(x):
    return ops.relu(x)


def leaky_relu(x, negative_slope=0.01):
    return ops.leaky_relu(x, negative_slope)


def prelu(x, weight):
    """max(0, x) + a·min(0, x) with a learned slope per channel (weight (C,)) or shared (weight (1,))."""
    return PRelu.apply(x, weight)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha)


def selu(x):
    return Selu.apply(x)


def gelu(x, approximate="none"):
    """x·Φ(x) (exact, with erf) or its tanh approximation (``approximate="tanh"``)."""
    return Gelu.apply(x, approximate=_choice(approximate, ("none", "tanh"), "approximate", "gelu"))


def sigmoid(x):
    return ops.sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def maxout(x, pieces=2, axis=1):
    """Max over groups of ``pieces`` features: max(w1ᵀx + b1, w2ᵀx + b2) after a linear layer
    with pieces x out_features outputs (E36)."""
    from graphlab.argcheck import integer, positive_int
    return Maxout.apply(x, pieces=positive_int(pieces, "pieces", "maxout"), axis=integer(axis, "axis", "maxout"))


def flatten(x, start_dim=1, end_dim=-1):
    """Merge axes start_dim..end_dim; from axis 1 by default, keeping the batch (nn.Flatten's rule)."""
    return ops.flatten(x, start_dim, end_dim)
