"""The differentiable ops as functions: ``gl.exp(x)``, ``gl.concat([a, b], axis=0)``, ...

Each function is a thin front for one Function class (``graphlab/ops/<family>.py``);
Tensor's operators and methods call these.

Both spellings of an axis work: numpy's ``axis=``/``keepdims=`` and PyTorch's ``dim=``/``keepdim=``
(giving both of a pair is an error). Where the two libraries disagree, the spelling chooses:
``max(x, dim=1)`` and ``min`` return PyTorch's ``(values, indices)`` pair, and ``var``/``std``
spelled with ``dim=``/``keepdim=`` take PyTorch's default ``correction=1`` (numpy's ``ddof=0``
otherwise). ``transpose(x, dim0, dim1)`` swaps two dims as in PyTorch; ``permute`` reorders all.

>>> import graphlab as gl
>>> x = gl.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
>>> x.sum(dim=1, keepdim=True).tolist()
[[9.0], [12.0]]
>>> values, indices = x.max(dim=1)
>>> values.tolist(), indices.tolist()
([5.0, 6.0], [1, 2])
>>> x.transpose(0, 1).shape, gl.zeros(2, 3, 4).transpose(0, 2).shape
((3, 2), (4, 3, 2))
"""
from __future__ import annotations

from collections import namedtuple as _namedtuple

import numpy as np

from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ParameterError, ShapeError
from graphlab.ops.activation import Erf
from graphlab.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from graphlab.ops.compare import Eq, Ge, Gt, Le, Lt, Ne
from graphlab.ops.elementwise import (
    Abs, Astype, Clip, Clone, Cos, Elu, Exp, LeakyRelu, Log, Maximum, Minimum, Relu, Sigmoid, Sin, Sqrt, Tanh,
    Where,
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
sin = Sin.apply
cos = Cos.apply
erf = Erf.apply
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


def clamp(x, min=None, max=None):
    """PyTorch's name for ``clip``: the same op."""
    return Clip.apply(x, low=min, high=max)


def clone(x):
    """A copy of ``x``'s data that stays in the graph (the gradient passes through unchanged)."""
    return Clone.apply(x)


def masked_fill(x, mask, value):
    """``value`` where the bool ``mask`` holds, else ``x`` (PyTorch's masked_fill; a ``where``
    node, so the gradient reaches ``x`` only where the mask is False)."""
    mask_array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask_array.dtype != bool:
        raise ParameterError(f"masked_fill: mask must be a bool tensor (e.g. x > 0), got dtype {mask_array.dtype}; "
                             f"compare to make one, or .astype(bool)")
    x = _tensor(x, "masked_fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}; "
                         f"use gl.where(mask, values, x) for a tensor of values")
    return Where.apply(mask_array, value, x)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b``; the gradient is routed the same way."""
    return Where.apply(condition, a, b)


def astype(x, dtype):
    from graphlab.autodiff.tensor import check_dtype
    return Astype.apply(x, dtype=check_dtype(dtype, "astype"))


# -- reductions -------------------------------------------------------------------------------
def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return Sum.apply(x, **_reduced_axes("sum", axis, keepdims, dim, keepdim))


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return Mean.apply(x, **_reduced_axes("mean", axis, keepdims, dim, keepdim))


#: what ``max(x, dim=...)`` and ``min`` return, as PyTorch's ``torch.max(x, dim)``
ValuesIndices = _namedtuple("ValuesIndices", "values indices")


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The max over ``axis`` (numpy's spelling); with ``dim=`` PyTorch's (values, indices) pair."""
    values = Max.apply(x, **_reduced_axes("max", axis, keepdims, dim, keepdim))
    if dim is None:
        return values
    return ValuesIndices(values, ArgMax.apply(x, axis=dim, keepdims=values.ndim == x.ndim))


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The min over ``axis`` (numpy's spelling); with ``dim=`` PyTorch's (values, indices) pair."""
    values = Min.apply(x, **_reduced_axes("min", axis, keepdims, dim, keepdim))
    if dim is None:
        return values
    return ValuesIndices(values, ArgMin.apply(x, axis=dim, keepdims=values.ndim == x.ndim))


def _reduced_axes(op: str, axis, keepdims, dim, keepdim) -> dict:
    """``axis``/``keepdims`` for a reduction from either spelling (lists of axes as tuples)."""
    chosen = _index_axis(op, axis, keepdims, dim, keepdim)
    return dict(axis=_axis(chosen["axis"]), keepdims=chosen["keepdims"])


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


def var(x, axis=None, keepdims=False, ddof=None, *, dim=None, keepdim=None, correction=None):
    """Variance: numpy's ``ddof`` (default 0) or PyTorch's ``correction`` (default 1 when the call
    is spelled PyTorch's way, with ``dim=``/``keepdim=``/``correction=``)."""
    return Var.apply(x, **_variance_args("var", axis, keepdims, ddof, dim, keepdim, correction))


def std(x, axis=None, keepdims=False, ddof=None, *, dim=None, keepdim=None, correction=None):
    """Standard deviation, √var (two nodes: var, then sqrt); ``ddof``/``correction`` as ``var``."""
    return Sqrt.apply(Var.apply(x, **_variance_args("std", axis, keepdims, ddof, dim, keepdim, correction)))


def _variance_args(op: str, axis, keepdims, ddof, dim, keepdim, correction) -> dict:
    if ddof is not None and correction is not None:
        raise ParameterError(f"{op}: give ddof= (numpy) or correction= (PyTorch), not both")
    if ddof is None:
        torch_spelling = dim is not None or keepdim is not None
        ddof = correction if correction is not None else 1 if torch_spelling else 0
    return dict(_reduced_axes(op, axis, keepdims, dim, keepdim), ddof=ddof)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return LogSumExp.apply(x, **_reduced_axes("logsumexp", axis, keepdims, dim, keepdim))


def softmax(x, axis=None, *, dim=None):
    """softmax along ``axis`` or ``dim`` (the last one when neither is given)."""
    return Softmax.apply(x, axis=_one_dim("softmax", axis, dim, default=-1))


def log_softmax(x, axis=None, *, dim=None):
    """log softmax along ``axis`` or ``dim`` (the last one when neither is given)."""
    return LogSoftmax.apply(x, axis=_one_dim("log_softmax", axis, dim, default=-1))


def _one_dim(op: str, axis, dim, default: int):
    """The one axis an op works along, spelled ``axis=`` (numpy) or ``dim=`` (PyTorch)."""
    if axis is not None and dim is not None:
        raise ParameterError(f"{op}: give axis= (numpy) or dim= (PyTorch), not both")
    chosen = axis if dim is None else dim
    return default if chosen is None else chosen


# -- shapes -----------------------------------------------------------------------------------
def _shape_arg(shape: tuple) -> tuple:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    return Reshape.apply(x, shape=_shape_arg(shape))


def transpose(x, *dims):
    """PyTorch's ``transpose(x, dim0, dim1)``: swap two dims. With no dims every dim is reversed
    (numpy's ``transpose()``, ``.T``); one tuple is a full permutation (numpy's, which backward
    formulas share between arrays and Tensors). Any other order: ``permute``.

    A change from graphlab 0.1, where ``x.transpose(1, 0, 2)`` was numpy's permutation: three or
    more dims are now an error pointing at ``permute`` (see CHANGELOG.md)."""
    x = _tensor(x, "transpose")
    if not dims:
        return Transpose.apply(x, axes=None)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return Transpose.apply(x, axes=tuple(dims[0]))
    if len(dims) != 2:
        listed = ", ".join(map(str, dims))
        raise ParameterError(f"transpose: got {len(dims)} dims ({listed}); transpose swaps two dims as in "
                             f"PyTorch, e.g. x.transpose(0, 1); to reorder every dim use x.permute({listed})")
    order = list(range(x.ndim))
    first, second = (_normalize_axis(dim, x.ndim or 1, "transpose") for dim in dims)
    if x.ndim:
        order[first], order[second] = order[second], order[first]
    return Transpose.apply(x, axes=tuple(order))


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


def squeeze(x, axis=None, *, dim=None):
    """Drop size-1 axes: all of them, or ``axis`` (PyTorch's ``dim``), which must have size 1."""
    axis = _one_dim("squeeze", axis, dim, default=None)
    x = _tensor(x, "squeeze")
    shape = x.shape
    if axis is None:
        return reshape(x, tuple(size for size in shape if size != 1))
    axes = {_normalize_axis(a, len(shape), "squeeze") for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
    for a in axes:
        if shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of shape {shape} has size {shape[a]}, not 1")
    return reshape(x, tuple(size for index, size in enumerate(shape) if index not in axes))


def unsqueeze(x, axis=None, *, dim=None):
    """A new size-1 axis at position ``axis`` (PyTorch's ``dim``)."""
    axis = _one_dim("unsqueeze", axis, dim, default=None)
    if axis is None:
        raise ParameterError("unsqueeze: give the position of the new axis, e.g. x.unsqueeze(0) or dim=0")
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


def _check_sequence(op: str, tensors) -> None:
    if not isinstance(tensors, (list, tuple)):
        raise ShapeError(f"{op}: tensors must be a list or tuple of tensors, got {type(tensors).__name__}; "
                         f"write {op}([a, b], dim=0)")
    if not tensors:
        raise ShapeError(f"{op}: needs at least one tensor")


def concat(tensors, axis=None, *, dim=None):
    """Join along an existing ``axis`` (or ``dim``; 0 when neither is given)."""
    _check_sequence("concat", tensors)
    return Concat.apply(*tensors, axis=_one_dim("concat", axis, dim, default=0))


def cat(tensors, axis=None, *, dim=None):
    """PyTorch's name for ``concat``: the same op."""
    _check_sequence("cat", tensors)
    return Concat.apply(*tensors, axis=_one_dim("cat", axis, dim, default=0))


def stack(tensors, axis=None, *, dim=None):
    """Join along a new ``axis`` (or ``dim``; 0 when neither is given)."""
    _check_sequence("stack", tensors)
    return Stack.apply(*tensors, axis=_one_dim("stack", axis, dim, default=0))


def gather(x, dim, index):
    """PyTorch's gather: ``out[i][j] = x[index[i][j]][j]`` for dim=0 (and so on for any dim).
    ``index`` is an integer tensor with ``x``'s number of dims; one getitem node, whose backward
    adds each upstream value back at the position it was read from."""
    x = _tensor(x, "gather")
    index = np.asarray(_plain_index(index))
    if index.dtype.kind not in "iu":
        raise ParameterError(f"gather: index must be an integer tensor, got dtype {index.dtype}; "
                             f"use .astype('int64')")
    if index.ndim != x.ndim:
        raise ShapeError(f"gather: index has {index.ndim} dims and the input {x.ndim}; they must match "
                         f"(index shape {index.shape}, input shape {x.shape})")
    dim = _normalize_axis(dim, x.ndim or 1, "gather")
    if index.size and (index.min() < 0 or index.max() >= x.shape[dim]):
        raise ShapeError(f"gather: index values must be in 0..{x.shape[dim] - 1} along dim {dim} of shape "
                         f"{x.shape}, got {index.min()}..{index.max()}")
    if any(index.shape[d] > x.shape[d] for d in range(x.ndim) if d != dim):
        raise ShapeError(f"gather: index shape {index.shape} is larger than the input {x.shape} outside dim {dim}")
    position = list(np.indices(index.shape, sparse=True))
    position[dim] = index
    return getitem(x, tuple(position))


def pad(x, pad_width, value: float = 0.0):
    """numpy-style constant padding: ``pad(x, ((0, 0), (1, 1)))`` or ``pad(x, 1)``."""
    return Pad.apply(x, pad_width=pad_width, value=value)




#: the public op functions (``import graphlab`` re-exports them): every public callable defined
#: or bound above, so a new op's export line here is the only line it needs outside its own file
__all__ = sorted(name for name, value in dict(globals()).items()
                 if callable(value) and not name.startswith("_") and not isinstance(value, type))
