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

from graphlab import memory, ops
from graphlab.autodiff.creation import ones_like, zeros_like
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ShapeError
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
    """2-D convolution of (N, C, H, W) by (C_out, C / groups, kh, kw); see ``ops/conv.py``."""
    memory.keep_freed_memory()
    return Conv2d.apply(x, weight, *_optional(bias), stride=stride, padding=padding, dilation=dilation,
                        groups=groups)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over kh x kw windows (stride defaults to the kernel size, as in PyTorch)."""
    memory.keep_freed_memory()
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over kh x kw windows; zero padding counts in the mean (count_include_pad)."""
    memory.keep_freed_memory()
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def global_avg_pool2d(x):
    """Mean over H and W: (N, C, H, W) -> (N, C), the classifier head of ResNet and DenseNet."""
    memory.keep_freed_memory()
    return GlobalAvgPool2d.apply(x)


def adaptive_avg_pool2d(x, output_size=1):
    """PyTorch's adaptive average pooling, for the 1x1 output used in practice: (N, C, 1, 1)."""
    memory.keep_freed_memory()
    if pair(output_size, "output_size", "adaptive_avg_pool2d", 1) != (1, 1):
        raise ShapeError(f"adaptive_avg_pool2d: only output_size=1 (global pooling) is supported, got "
                         f"{output_size!r}; use avg_pool2d with a kernel for other sizes")
    return GlobalAvgPool2d.apply(x, keepdims=True)


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
def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def cross_entropy(logits, targets, label_smoothing=0.0, reduction="mean"):
    """Softmax cross-entropy of logits (N, K) and class indices (N,) or probabilities (N, K)."""
    _choice(reduction, REDUCTIONS, "reduction", "cross_entropy")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing={label_smoothing} must be in [0, 1]")
    return CrossEntropy.apply(logits, targets=_array(targets), label_smoothing=label_smoothing, reduction=reduction)


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
