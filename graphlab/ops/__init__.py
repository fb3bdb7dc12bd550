"""The differentiable ops as functions: ``gl.exp(x)``, ``gl.concat([a, b], axis=0)``, ...

Each function is a thin front for one Function class (``graphlab/ops/<family>.py``);
Tensor's operators and methods call these.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ShapeError
from graphlab.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from graphlab.ops.compare import Eq, Ge, Gt, Le, Lt, Ne
from graphlab.ops.elementwise import (
    Abs, Astype, Clip, Elu, Exp, LeakyRelu, Log, Maximum, Minimum, Relu, Sigmoid, Sqrt, Tanh, Where,
)
from graphlab.ops import params as _params
from graphlab.ops.linalg import MatMul
from graphlab.ops.reduce import ArgMax, ArgMin, LogSoftmax, LogSumExp, Max, Mean, Min, Softmax, Sum, Var
from graphlab.ops.shape import BroadcastTo, Concat, GetItem, Pad, Reshape, Stack, Transpose
from graphlab.ops.shape import normalize_axis as _normalize_axis

# -- elementwise ------------------------------------------------------------------------------
add = Add.apply
sub = Sub.apply
mul = Mul.apply
div = Div.apply
neg = Neg.apply
exp = Exp.apply
log = Log.apply
sqrt = Sqrt.apply
abs = Abs.apply
tanh = Tanh.apply
sigmoid = Sigmoid.apply
relu = Relu.apply
maximum = Maximum.apply
minimum = Minimum.apply
matmul = MatMul.apply
lt, le, gt, ge, eq, ne = Lt.apply, Le.apply, Gt.apply, Ge.apply, Eq.apply, Ne.apply


def pow(base, exponent):
    """base ** exponent; a number exponent is a constant input that needs no gradient."""
    return Pow.apply(base, exponent)


def leaky_relu(x, negative_slope: float = 0.01):
    return LeakyRelu.apply(x, negative_slope=negative_slope)


def elu(x, alpha: float = 1.0):
    return Elu.apply(x, alpha=alpha)


def clip(x, min=None, max=None):
    """Clamp into [min, max] (either bound may be None)."""
    return Clip.apply(x, low=min, high=max)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``; the gradient is routed the same way."""
    return Where.apply(condition, a, b)


def astype(x, dtype):
    from graphlab.autodiff.tensor import check_dtype
    return Astype.apply(x, dtype=check_dtype(dtype, "astype"))


# -- reductions -------------------------------------------------------------------------------
def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x, axis=None, keepdims=False):
    return Sum.apply(x, axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return Mean.apply(x, axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return Max.apply(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return Min.apply(x, axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Where the max is along ``axis`` (None: the index into the flattened tensor), as numpy; also
    PyTorch's spelling ``dim=``/``keepdim=``. An int64 tensor, no gradient."""
    return ArgMax.apply(x, **_index_axis("argmax", axis, keepdims, dim, keepdim))


def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Where the min is along ``axis``; as ``argmax``."""
    return ArgMin.apply(x, **_index_axis("argmin", axis, keepdims, dim, keepdim))


def _index_axis(op: str, axis, keepdims, dim, keepdim) -> dict:
    """numpy's axis/keepdims or PyTorch's dim/keepdim (one of each pair) as ``axis``/``keepdims``."""
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: give axis= (numpy) or dim= (PyTorch), not both")
    if keepdim is not None and keepdims is not False:
        raise TypeError(f"{op}: give keepdims= (numpy) or keepdim= (PyTorch), not both")
    return dict(axis=axis if dim is None else dim, keepdims=keepdims if keepdim is None else keepdim)


def var(x, axis=None, keepdims=False, ddof=0):
    return Var.apply(x, axis=_axis(axis), keepdims=keepdims, ddof=ddof)


def logsumexp(x, axis=None, keepdims=False):
    return LogSumExp.apply(x, axis=_axis(axis), keepdims=keepdims)


def softmax(x, axis=-1):
    return Softmax.apply(x, axis=axis)


def log_softmax(x, axis=-1):
    return LogSoftmax.apply(x, axis=axis)


# -- shapes -----------------------------------------------------------------------------------
def _shape_arg(shape: tuple) -> tuple:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    return Reshape.apply(x, shape=_shape_arg(shape))


def transpose(x, *axes):
    """numpy's transpose: reverse the axes, or permute them as given."""
    axes = _shape_arg(axes)
    return Transpose.apply(x, axes=axes or None)


def permute(x, *dims):
    """PyTorch's permute: every dimension named once."""
    dims = _shape_arg(dims)
    x = _tensor(x, "permute")
    ndim = x.ndim
    if len(dims) != ndim:
        raise ShapeError(f"permute: got {len(dims)} dims {dims} for a tensor with {ndim} dimensions; "
                         f"name every dimension once")
    return Transpose.apply(x, axes=dims)


def _tensor(x, op_name: str) -> Tensor:
    """``x`` as a Tensor; data that is no tensor (strings, ragged lists) is a DtypeError naming the op."""
    return x if isinstance(x, Tensor) else Tensor._constant(x, None, op_name)


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """PyTorch's flatten: merge dimensions start_dim..end_dim into one."""
    x = _tensor(x, "flatten")
    shape = x.shape
    if len(shape) == 0:
        return reshape(x, (1,))
    start = _normalize_axis(start_dim, len(shape), "flatten")
    end = _normalize_axis(end_dim, len(shape), "flatten")
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {shape}")
    merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


def squeeze(x, axis=None):
    x = _tensor(x, "squeeze")
    shape = x.shape
    if axis is None:
        return reshape(x, tuple(size for size in shape if size != 1))
    axes = {_normalize_axis(a, len(shape), "squeeze") for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
    for a in axes:
        if shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of shape {shape} has size {shape[a]}, not 1")
    return reshape(x, tuple(size for index, size in enumerate(shape) if index not in axes))


def unsqueeze(x, axis: int):
    x = _tensor(x, "unsqueeze")
    shape = list(x.shape)
    position = _normalize_axis(axis, len(shape) + 1, "unsqueeze")
    shape.insert(position, 1)
    return reshape(x, tuple(shape))


def broadcast_to(x, *shape):
    x = _tensor(x, "broadcast_to")
    shape = _shape_arg(shape)
    _params.shape()("broadcast_to", "shape", shape, (x,))
    try:
        np.broadcast_shapes(tuple(x.shape), shape)
        if len(shape) < len(x.shape):
            raise ValueError
    except ValueError:
        raise ShapeError(f"broadcast_to: shape {tuple(x.shape)} cannot broadcast to {shape}; sizes must match "
                         f"or be 1, aligned from the right") from None
    return BroadcastTo.apply(x, shape=shape)


def _plain_index(index):
    """Tensors inside an index become their arrays (indices are never differentiated)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x, index):
    return GetItem.apply(x, index=_plain_index(index))


def concat(tensors, axis: int = 0):
    if not tensors:
        raise ShapeError("concat: needs at least one tensor")
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0):
    if not tensors:
        raise ShapeError("stack: needs at least one tensor")
    return Stack.apply(*tensors, axis=axis)


def pad(x, pad_width, value: float = 0.0):
    """numpy-style constant padding: ``pad(x, ((0, 0), (1, 1)))`` or ``pad(x, 1)``."""
    return Pad.apply(x, pad_width=pad_width, value=value)




#: the public op functions (``import graphlab`` re-exports them): every public callable defined
#: or bound above, so a new op's export line here is the only line it needs outside its own file
__all__ = sorted(name for name, value in dict(globals()).items()
                 if callable(value) and not name.startswith("_") and not isinstance(value, type))
