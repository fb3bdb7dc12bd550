"""Shape ops: reshape, transpose/permute, getitem, concat, stack, pad, broadcast_to.

They move numbers without changing them, so each backward moves the upstream gradient
back to where the numbers came from.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ShapeError
from graphlab.ops.layout import concatenate


def normalize_axis(axis: int, ndim: int, op_name: str) -> int:
    """``axis`` in [-ndim, ndim) as an index from 0; anything else is an error, never wrapped around."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op_name}: axis {axis} is out of range for {ndim} dimensions "
                         f"(valid: {-ndim}..{ndim - 1})")
    return axis % ndim


class Reshape(Function):
    higher_order = True

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.shape = shape                       # parameters stay on ctx: verify.graph reads them
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape {x.shape} ({x.size} elements) to {shape}; "
                             f"the element counts must match (use -1 for one inferred axis)") from None

    @staticmethod
    def backward(ctx, upstream):
        return upstream.reshape(ctx.inputs[0].shape)

    @staticmethod
    def symbolic(x, shape=()):
        return x.reshape(shape)


class Transpose(Function):
    """Permute axes (numpy's transpose; reversed order when no axes are given)."""
    higher_order = True

    @staticmethod
    def forward(ctx, x, axes=None):
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        if len(axes) != x.ndim or not all(-x.ndim <= a < x.ndim for a in axes) \
                or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes "
                             f"of shape {x.shape}; give each axis 0..{x.ndim - 1} once")
        ctx.axes = tuple(a % x.ndim for a in axes)
        return x.transpose(ctx.axes)

    @staticmethod
    def backward(ctx, upstream):
        return upstream.transpose(tuple(np.argsort(ctx.axes)))

    @staticmethod
    def symbolic(x, axes=None):
        return x.transpose(axes)


class BroadcastTo(Function):
    """Repeat along new or size-1 axes; backward sums the copies (the copy gate's adder)."""
    pattern = "adder"
    higher_order = True

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.shape = shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, upstream):
        from graphlab.autodiff.engine import sum_to
        return sum_to(upstream, ctx.inputs[0].shape)

    @staticmethod
    def symbolic(x, shape=()):
        return np.broadcast_to(x, shape)


def scatter_numpy(upstream: np.ndarray, index, shape: tuple) -> np.ndarray:
    """Zeros of ``shape`` with ``upstream`` added at ``index`` (repeated indices add up)."""
    result = np.zeros(shape, dtype=upstream.dtype)
    if _is_basic(index):
        result[index] = upstream       # slices and ints never repeat an element
    else:
        np.add.at(result, index, upstream)
    return result


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(part is None or part is Ellipsis or isinstance(part, (int, np.integer, slice)) for part in parts)


class GetItem(Function):
    """x[index] with ints, slices, None, ..., index arrays or boolean masks."""
    name = "getitem"
    higher_order = True

    @staticmethod
    def forward(ctx, x, index=()):
        ctx.index = index
        try:
            return x[index]
        except IndexError as error:
            raise ShapeError(f"getitem: index {index!r} does not fit shape {x.shape}: {error}") from None

    @staticmethod
    def backward(ctx, upstream):
        shape = ctx.inputs[0].shape
        if isinstance(upstream, Tensor):
            return ScatterAdd.apply(upstream, index=ctx.index, shape=shape)
        return scatter_numpy(upstream, ctx.index, shape)

    @staticmethod
    def symbolic(x, index=()):
        return x[index]


class ScatterAdd(Function):
    """The backward of getitem as an op of its own, so second derivatives pass through it."""
    name = "scatter_add"
    higher_order = True

    @staticmethod
    def forward(ctx, upstream, index=(), shape=()):
        ctx.index, ctx.shape = index, shape
        return scatter_numpy(upstream, index, shape)

    @staticmethod
    def backward(ctx, upstream):
        return upstream[ctx.index]

    @staticmethod
    def symbolic(upstream, index=(), shape=()):
        return scatter_numpy(upstream, index, shape)   # zeros (0 objects) with the elements added in


class Concat(Function):
    """Join tensors along an existing axis; backward slices the gradient back apart."""
    higher_order = True

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ranks = {array.ndim for array in arrays}
        if len(ranks) != 1 or 0 in ranks:
            raise ShapeError(f"concat: inputs of shapes {[a.shape for a in arrays]} must all have the same "
                             f"number (>= 1) of dimensions; reshape or use stack for 0-d tensors")
        ndim = ranks.pop()
        ctx.axis = normalize_axis(axis, ndim, "concat")
        others = {a.shape[:ctx.axis] + a.shape[ctx.axis + 1:] for a in arrays}
        if len(others) != 1:
            raise ShapeError(f"concat: shapes {[a.shape for a in arrays]} differ outside axis {axis}; "
                             f"every axis but the joined one must match")
        ctx.sizes = [array.shape[ctx.axis] for array in arrays]
        return concatenate(arrays, ctx.axis)        # keeps a CNN op's memory order (ops/layout.py)

    @staticmethod
    def backward(ctx, upstream):
        pieces, start = [], 0
        for size in ctx.sizes:
            index = (slice(None),) * ctx.axis + (slice(start, start + size),)
            pieces.append(upstream[index])
            start += size
        return tuple(pieces)

    @staticmethod
    def symbolic(*arrays, axis=0):
        return np.concatenate(arrays, axis=axis)


class Stack(Function):
    """Join same-shaped tensors along a new axis."""
    higher_order = True

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        if len({array.shape for array in arrays}) != 1:
            raise ShapeError(f"stack: shapes {[a.shape for a in arrays]} differ; stack needs equal shapes "
                             f"(concat joins along an existing axis)")
        ctx.axis = normalize_axis(axis, arrays[0].ndim + 1, "stack")
        return np.stack(arrays, axis=ctx.axis)

    @staticmethod
    def backward(ctx, upstream):
        lead = (slice(None),) * ctx.axis
        return tuple(upstream[lead + (position,)] for position in range(len(ctx.inputs)))

    @staticmethod
    def symbolic(*arrays, axis=0):
        return np.stack(arrays, axis=axis)


class Pad(Function):
    """Constant padding with numpy's ``pad_width``; backward crops the gradient."""
    higher_order = True

    @staticmethod
    def forward(ctx, x, pad_width=0, value=0.0):
        ctx.pad_width, ctx.value = pad_width, value
        try:
            widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
        except ValueError:
            raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {x.shape}; "
                             f"give one (before, after) pair per axis or a single int") from None
        if (widths < 0).any():
            raise ShapeError(f"pad: pad_width {pad_width!r} has negative widths; use getitem to crop")
        ctx.crop = tuple(slice(before, before + size) for (before, _), size in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, upstream):
        return upstream[ctx.crop]

    @staticmethod
    def symbolic(x, pad_width=0, value=0.0):
        from graphlab.verify import sym
        return np.pad(x, pad_width, mode="constant", constant_values=sym.number(value))
