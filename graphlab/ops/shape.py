"""Shape ops: reshape, transpose/permute, getitem, concat, stack, pad, broadcast_to.

They move numbers without changing them, so each backward moves the upstream gradient
back to where the numbers came from.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, F, th
from graphlab.autodiff.function import Function
from graphlab.ops import params
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ParameterError, ShapeError
from graphlab.ops.kernels.layout import concatenate


def normalize_axis(axis: int, ndim: int, op_name: str) -> int:
    """``axis`` in [-ndim, ndim) as an index from 0; anything else is an error, never wrapped around."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise ParameterError(f"{op_name}: axis must be an integer, got {type(axis).__name__} {axis!r:.40}")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op_name}: axis {axis} is out of range for {ndim} dimensions "
                         f"(valid: {-ndim}..{ndim - 1})")
    return axis % ndim


def _functions():
    """``graphlab.ops`` (gl.flatten, gl.concat, ...) for the cases' spellings; imported late
    because it imports this module."""
    import graphlab.ops
    return graphlab.ops


def _spelled(variant: str, shape: tuple, call, numpy, torch) -> Case:
    """A case about how a user spells a shape change (``x.flatten(1)``, ``x.T``)."""
    return Case([shape], variant=variant, call=call, numpy=numpy, torch=torch)


MASK_23 = np.array([[True, False, True], [False, True, True]])
MASK_34 = np.array([[True, False, False, True], [False, False, False, False], [True, True, False, True]])


class Reshape(Function):
    higher_order = True
    param_checks = dict(shape=params.shape(allow_minus_one=True))
    cases = (
        Case([(2, 3)], params=dict(shape=(3, 2)), numpy=lambda x, shape: x.reshape(shape),
             torch=lambda x, shape: x.reshape(shape)),
        Case([(2, 3, 4)], params=dict(shape=(-1,)), variant="flat", numpy=lambda x, shape: x.reshape(shape),
             torch=lambda x, shape: x.reshape(shape)),
        Case([(2, 3, 4)], params=dict(shape=(4, 6)), variant="matrix", symbolic=True,
             call=lambda x, shape: _functions().reshape(x, shape),
             numpy=lambda x, shape: x.reshape(shape), torch=lambda x, shape: x.reshape(shape)),
        _spelled("method_varargs_inferred", (2, 3, 4), lambda x: x.reshape(2, -1, 2), lambda x: x.reshape(2, -1, 2),
                 lambda x: x.reshape(2, -1, 2)),
        _spelled("method_flat", (2, 3, 4), lambda x: x.reshape(-1), lambda x: x.reshape(-1), lambda x: x.reshape(-1)),
        _spelled("to_0d", (1, 1), lambda x: x.reshape(()), lambda x: x.reshape(()), lambda x: x.reshape(())),
        # flatten, squeeze and unsqueeze record a reshape node
        _spelled("flatten_all", (2, 3, 4), lambda x: _functions().flatten(x), lambda x: x.reshape(-1),
                 lambda x: th.flatten(x)),
        _spelled("flatten_start_1", (2, 3, 4), lambda x: x.flatten(1), lambda x: x.reshape(2, -1),
                 lambda x: x.flatten(1)),
        _spelled("flatten_range_0_1", (2, 3, 4), lambda x: _functions().flatten(x, 0, 1), lambda x: x.reshape(6, 4),
                 lambda x: x.flatten(0, 1)),
        _spelled("flatten_negative_dims", (2, 3, 4, 5), lambda x: x.flatten(-3, -2), lambda x: x.reshape(2, 12, 5),
                 lambda x: x.flatten(-3, -2)),
        _spelled("flatten_0d", (), lambda x: _functions().flatten(x), lambda x: x.reshape(1), lambda x: th.flatten(x)),
        _spelled("squeeze_all", (1, 3, 1, 2), lambda x: _functions().squeeze(x), np.squeeze, lambda x: th.squeeze(x)),
        _spelled("squeeze_axis", (1, 3, 1, 2), lambda x: _functions().squeeze(x, 0), lambda x: np.squeeze(x, 0),
                 lambda x: th.squeeze(x, 0)),
        _spelled("squeeze_axes", (1, 3, 1, 2), lambda x: x.squeeze((0, 2)), lambda x: np.squeeze(x, (0, 2)),
                 lambda x: th.squeeze(x, (0, 2))),
        _spelled("squeeze_negative", (1, 3, 1, 2), lambda x: x.squeeze(-2), lambda x: np.squeeze(x, -2),
                 lambda x: th.squeeze(x, -2)),
        _spelled("unsqueeze_front", (2, 3), lambda x: _functions().unsqueeze(x, 0), lambda x: x[None],
                 lambda x: x.unsqueeze(0)),
        _spelled("unsqueeze_middle", (2, 3), lambda x: x.unsqueeze(1), lambda x: x[:, None], lambda x: x.unsqueeze(1)),
        _spelled("unsqueeze_end_negative", (2, 3), lambda x: x.unsqueeze(-1), lambda x: x[..., None],
                 lambda x: x.unsqueeze(-1)),
        _spelled("unsqueeze_negative_2", (2, 3), lambda x: x.unsqueeze(-2), lambda x: x[:, None],
                 lambda x: x.unsqueeze(-2)),
    )

    @staticmethod
    def forward(ctx, x, shape=()):
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape {x.shape} ({x.size} elements) to {shape}; "
                             f"the element counts must match (use -1 for one inferred axis)") from None

    @staticmethod
    def backward(ctx, upstream):
        return upstream.reshape(ctx.inputs[0].shape)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"{terms.up} reshaped back to {terms.shape(0)}"

    @staticmethod
    def symbolic(x, shape=()):
        return x.reshape(shape)


def _numpy_transpose(x, axes=None):
    return np.transpose(x, axes)


def _torch_transpose(x, axes=None):
    return x.permute(tuple(reversed(range(x.ndim))) if axes is None else axes)


class Transpose(Function):
    """Permute axes (reversed order when no axes are given). One node for ``x.T``, ``permute``
    and PyTorch's ``transpose(dim0, dim1)``, which all record the permutation they make."""
    symbol = "T"
    higher_order = True
    param_checks = dict(axes=params.permutation)
    cases = (
        Case([(2, 3)], params=dict(axes=None), numpy=_numpy_transpose, torch=_torch_transpose),
        Case([(2, 3, 4)], params=dict(axes=(1, 0, 2)), variant="axes", numpy=_numpy_transpose,
             torch=_torch_transpose),
        Case([(2, 3, 4)], params=dict(axes=None), variant="no_axes", call=lambda x, axes: _functions().transpose(x),
             symbolic=True, numpy=_numpy_transpose, torch=_torch_transpose),
        # PyTorch's transpose(dim0, dim1) swaps two dims
        _spelled("method_swap", (2, 3, 4), lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2),
                 lambda x: x.transpose(0, 2)),
        _spelled("function_swap_negative", (2, 3, 4), lambda x: _functions().transpose(x, -1, 1),
                 lambda x: np.swapaxes(x, -1, 1), lambda x: x.transpose(-1, 1)),
        _spelled("method_permutation_tuple", (2, 3, 4), lambda x: x.transpose((2, 0, 1)),
                 lambda x: x.transpose(2, 0, 1), lambda x: x.permute(2, 0, 1)),
        _spelled("T_matrix", (2, 3), lambda x: x.T, lambda x: x.T, lambda x: x.T),
        _spelled("T_3d", (2, 3, 4), lambda x: x.T, lambda x: x.T, lambda x: x.permute(2, 1, 0)),
        # permute records a transpose node
        _spelled("permute_function", (2, 3, 4), lambda x: _functions().permute(x, 2, 0, 1),
                 lambda x: x.transpose(2, 0, 1), lambda x: x.permute(2, 0, 1)),
        _spelled("permute_method_tuple", (2, 3, 4), lambda x: x.permute((1, 2, 0)), lambda x: x.transpose(1, 2, 0),
                 lambda x: x.permute(1, 2, 0)),
    )

    @staticmethod
    def forward(ctx, x, axes=None):
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        if len(axes) != x.ndim or not all(-x.ndim <= a < x.ndim for a in axes) \
                or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes "
                             f"of shape {x.shape}; give each axis 0..{x.ndim - 1} once")
        ctx.permutation = tuple(a % x.ndim for a in axes)
        return x.transpose(ctx.permutation)

    @staticmethod
    def backward(ctx, upstream):
        return upstream.transpose(tuple(np.argsort(ctx.permutation)))   # the inverse permutation

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"{terms.up} transposed back (axes {tuple(int(a) for a in np.argsort(ctx.permutation))})"

    @staticmethod
    def symbolic(x, axes=None):
        return x.transpose(axes)


class BroadcastTo(Function):
    """Repeat along new or size-1 axes; backward sums the copies (the copy gate's adder)."""
    symbol = "broadcast"
    pattern = "adder"
    higher_order = True
    param_checks = dict(shape=params.shape())
    cases = (
        Case([(3, 1)], params=dict(shape=(2, 3, 2)), numpy=lambda x, shape: np.broadcast_to(x, shape),
             torch=lambda x, shape: x.broadcast_to(shape)),
        Case([()], params=dict(shape=(2, 2)), variant="scalar", symbolic=True,
             call=lambda x, shape: _functions().broadcast_to(x, *shape),       # the varargs spelling
             numpy=lambda x, shape: np.broadcast_to(x, shape), torch=lambda x, shape: x.expand(*shape)),
        Case([(3, 1)], params=dict(shape=(2, 3, 4)), variant="column", symbolic=True,
             call=lambda x, shape: _functions().broadcast_to(x, shape),
             numpy=lambda x, shape: np.broadcast_to(x, shape), torch=lambda x, shape: x.broadcast_to(shape)),
        _spelled("method_row", (4,), lambda x: x.broadcast_to((3, 4)), lambda x: np.broadcast_to(x, (3, 4)),
                 lambda x: x.expand(3, 4)),
    )

    @staticmethod
    def forward(ctx, x, shape=()):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, upstream):
        from graphlab.autodiff.engine import sum_to
        return sum_to(upstream, ctx.inputs[0].shape)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The copies' gradients add up (the copy gate), back to the input's shape."""
        return f"{terms.up}{terms.summed(0)}"

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


def _torch_index(index):
    """The same index for torch: arrays become tensors (torch accumulates repeated indices too)."""
    def convert(part):
        return th.tensor(np.asarray(part)) if isinstance(part, (np.ndarray, list)) else part
    return tuple(convert(part) for part in index) if isinstance(index, tuple) else convert(index)


def _indexed(variant: str, shape: tuple, index, torch=None, call=None) -> Case:
    """``x[index]`` as users write it, checked against numpy, torch and the SymPy twin."""
    return Case([shape], params=dict(index=index), variant=variant, symbolic=True,
                call=call or (lambda x, index: x[index]),
                numpy=lambda x, index: x[np.asarray(index) if isinstance(index, list) else index],
                torch=torch or (lambda x, index: x[_torch_index(index)]))


class GetItem(Function):
    """x[index] with ints, slices, None, ..., index arrays or boolean masks."""
    symbol = "[ ]"
    name = "getitem"
    higher_order = True
    cases = (
        Case([(4, 3)], params=dict(index=(slice(1, 3), np.array([0, 2]))),
             numpy=lambda x, index: x[index], torch=lambda x, index: x[_torch_index(index)]),
        Case([(4, 3)], params=dict(index=np.array([0, 2, 0])), variant="repeated",
             numpy=lambda x, index: x[index], torch=lambda x, index: x[_torch_index(index)]),
        Case([(2, 3)], params=dict(index=MASK_23), variant="mask",
             numpy=lambda x, index: x[index], torch=lambda x, index: x[_torch_index(index)]),
        # torch has no negative-step slices: flip, then slice with the positive step
        Case([(4,)], params=dict(index=slice(None, None, -2)), variant="vector_negative_step",
             numpy=lambda x, index: x[index], torch=lambda x, index: x.flip(0)[::2]),
        _indexed("int", (4, 3), 1),
        _indexed("negative_int", (4, 3), -1),
        _indexed("int_pair", (4, 3), (2, 1)),
        _indexed("slice", (4, 3), slice(1, 3)),
        _indexed("slice_step_2d", (4, 3), (slice(None), slice(0, 3, 2))),
        _indexed("negative_step", (4, 3), slice(None, None, -1), torch=lambda x, index: x.flip(0)),
        _indexed("negative_step_2", (4, 5), (slice(None), slice(None, None, -2)),
                 torch=lambda x, index: x.flip(1)[:, ::2]),
        _indexed("index_array_repeated", (4, 3), np.array([0, 2, 0, 0, 3]),
                 call=lambda x, index: _functions().getitem(x, index)),
        _indexed("index_list_repeated", (4, 3), [1, 1, 3]),
        _indexed("index_arrays_2d", (4, 3), (np.array([0, 1, 0, 0]), np.array([2, 2, 2, 1]))),
        _indexed("slice_and_array", (4, 3), (slice(1, None), np.array([0, 0, 2]))),
        _indexed("bool_mask", (3, 4), MASK_34),
        _indexed("bool_mask_rows", (4, 3), np.array([True, False, True, True])),
        _indexed("none_ellipsis", (2, 3, 4), (None, Ellipsis, 1)),
        _indexed("ellipsis_none", (2, 3), (Ellipsis, None)),
        _indexed("int_ellipsis_slice", (2, 3, 4), (1, Ellipsis, slice(1, None))),
    )

    @staticmethod
    def forward(ctx, x, index=()):
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
    def rule(ctx, index: int, terms) -> str:
        return f"{terms.up} written into zeros {terms.shape(0)} at the indexed places (repeats add)"

    @staticmethod
    def symbolic(x, index=()):
        return x[index]


def _numpy_scatter_add(values, index, shape):
    result = np.zeros(shape)
    for value, position in zip(values, index):     # one by one: repeated positions add up
        result[position] += value
    return result


def _torch_scatter_add(values, index, shape):
    return th.zeros(shape, dtype=values.dtype).index_put((th.tensor(index),), values, accumulate=True)


class ScatterAdd(Function):
    """The backward of getitem as an op of its own, so second derivatives pass through it."""
    symbol = "scatter+"
    name = "scatter_add"
    higher_order = True
    param_checks = dict(shape=params.shape())
    cases = (
        Case([(3,)], params=dict(index=np.array([0, 2, 0]), shape=(4,)), numpy=_numpy_scatter_add,
             torch=_torch_scatter_add),
    )

    @staticmethod
    def forward(ctx, upstream, index=(), shape=()):
        return scatter_numpy(upstream, index, shape)

    @staticmethod
    def backward(ctx, upstream):
        return upstream[ctx.index]

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"{terms.up} read at the indexed places (a gather)"

    @staticmethod
    def symbolic(upstream, index=(), shape=()):
        return scatter_numpy(upstream, index, shape)   # zeros (0 objects) with the elements added in


def _joined(variant: str, shapes: list, axis: int, numpy, torch, **extra) -> Case:
    return Case(shapes, params=dict(axis=axis), variant=variant, numpy=numpy, torch=torch, **extra)


def _numpy_concat(*arrays, axis=0):
    return np.concatenate(arrays, axis=axis)


def _torch_concat(*tensors, axis=0):
    return th.cat(tensors, dim=axis)


class Concat(Function):
    """Join tensors along an existing axis; backward slices the gradient back apart."""
    higher_order = True
    param_checks = dict(axis=params.axis(allow_none=False, allow_tuple=False))
    cases = (
        _joined("", [(2, 3), (1, 3)], 0, _numpy_concat, _torch_concat),
        _joined("axis1", [(2, 1), (2, 2)], 1, _numpy_concat, _torch_concat),
        _joined("axis1_three", [(2, 1), (2, 3), (2, 2)], 1, _numpy_concat, _torch_concat, symbolic=True,
                call=lambda *tensors, axis: _functions().concat(list(tensors), axis=axis)),
        _joined("axis_negative", [(2, 2, 1), (2, 2, 3)], -1, _numpy_concat, _torch_concat, symbolic=True,
                call=lambda *tensors, axis: _functions().concat(tensors, axis=axis)),
        # a constant piece needs no gradient: backward skips its slice
        Case([(2, 3)], variant="with_constant", call=lambda a: _functions().concat([a, np.ones((1, 3))], axis=0),
             numpy=lambda a: np.concatenate([a, np.ones((1, 3))], 0),
             torch=lambda a: th.cat([a, th.ones((1, 3), dtype=a.dtype)], 0)),
    )

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ranks = {array.ndim for array in arrays}
        if len(ranks) != 1 or 0 in ranks:
            raise ShapeError(f"concat: inputs of shapes {[a.shape for a in arrays]} must all have the same "
                             f"number (>= 1) of dimensions; reshape or use stack for 0-d tensors")
        ndim = ranks.pop()
        joined = normalize_axis(axis, ndim, "concat")
        others = {a.shape[:joined] + a.shape[joined + 1:] for a in arrays}
        if len(others) != 1:
            raise ShapeError(f"concat: shapes {[a.shape for a in arrays]} differ outside axis {axis}; "
                             f"every axis but the joined one must match")
        ends = np.cumsum([array.shape[joined] for array in arrays])
        # where each input sits in the output: the index that cuts its gradient back out
        ctx.pieces = [(slice(None),) * joined + (slice(end - array.shape[joined], end),)
                      for array, end in zip(arrays, ends.tolist())]
        return concatenate(arrays, joined)        # keeps a CNN op's memory order (ops/kernels/layout.py)

    @staticmethod
    def backward(ctx, upstream):
        return tuple(upstream[piece] if needed else None
                     for piece, needed in zip(ctx.pieces, ctx.needs_input_grad))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        piece = ctx.pieces[index][-1]
        axis = len(ctx.pieces[index]) - 1
        return f"{terms.up}'s slice {piece.start}:{piece.stop} along axis {axis}"

    @staticmethod
    def symbolic(*arrays, axis=0):
        return np.concatenate(arrays, axis=axis)


def _numpy_stack(*arrays, axis=0):
    return np.stack(arrays, axis=axis)


def _torch_stack(*tensors, axis=0):
    return th.stack(tensors, dim=axis)


class Stack(Function):
    """Join same-shaped tensors along a new axis."""
    higher_order = True
    param_checks = dict(axis=params.axis(allow_none=False, allow_tuple=False, extra=1))
    cases = (
        _joined("", [(3,), (3,)], 0, _numpy_stack, _torch_stack),
        _joined("axis2", [(2, 2), (2, 2)], 2, _numpy_stack, _torch_stack),
        _joined("axis0", [(2, 3), (2, 3)], 0, _numpy_stack, _torch_stack, symbolic=True,
                call=lambda *tensors, axis: _functions().stack(list(tensors))),
        _joined("axis1_three", [(2, 3)] * 3, 1, _numpy_stack, _torch_stack, symbolic=True,
                call=lambda *tensors, axis: _functions().stack(list(tensors), axis=axis)),
        _joined("axis_negative", [(2, 3), (2, 3)], -1, _numpy_stack, _torch_stack, symbolic=True,
                call=lambda *tensors, axis: _functions().stack(list(tensors), axis=axis)),
        _joined("scalars", [(), ()], 0, _numpy_stack, _torch_stack, symbolic=True,
                call=lambda *tensors, axis: _functions().stack(list(tensors))),
    )

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        if len({array.shape for array in arrays}) != 1:
            raise ShapeError(f"stack: shapes {[a.shape for a in arrays]} differ; stack needs equal shapes "
                             f"(concat joins along an existing axis)")
        new_axis = normalize_axis(axis, arrays[0].ndim + 1, "stack")
        ctx.lead = (slice(None),) * new_axis        # the axes before the new one
        return np.stack(arrays, axis=new_axis)

    @staticmethod
    def backward(ctx, upstream):
        return tuple(upstream[ctx.lead + (position,)] if needed else None
                     for position, needed in enumerate(ctx.needs_input_grad))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"{terms.up}'s entry {index} along the new axis {len(ctx.lead)}"

    @staticmethod
    def symbolic(*arrays, axis=0):
        return np.stack(arrays, axis=axis)


def _numpy_pad(x, pad_width=0, value=0.0):
    return np.pad(x, pad_width, constant_values=value)


def _torch_pad(x, pad_width=0, value=0.0):
    widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    flat = [int(width) for pair in widths[::-1] for width in pair]   # torch: last dimension first
    return F.pad(x, flat, value=value)


class Pad(Function):
    """Constant padding with numpy's ``pad_width``; backward crops the gradient."""
    higher_order = True
    param_checks = dict(value=params.number(finite=False))   # -inf pads max pooling
    cases = (
        Case([(2, 3)], params=dict(pad_width=((1, 0), (0, 2)), value=0.5), numpy=_numpy_pad, torch=_torch_pad),
        Case([(2, 3)], params=dict(pad_width=((1, 2), (0, 1))), variant="pairs", symbolic=True,
             call=lambda x, pad_width: _functions().pad(x, pad_width), numpy=_numpy_pad, torch=_torch_pad),
        Case([(2, 3, 2)], params=dict(pad_width=1, value=0.5), variant="int_value", symbolic=True,
             call=lambda x, pad_width, value: _functions().pad(x, pad_width, value=value),
             numpy=_numpy_pad, torch=_torch_pad),
        Case([(2, 3)], params=dict(pad_width=((2, 0),)), variant="one_pair", symbolic=True,
             call=lambda x, pad_width: _functions().pad(x, pad_width), numpy=_numpy_pad, torch=_torch_pad),
    )

    @staticmethod
    def forward(ctx, x, pad_width=0, value=0.0):
        widths = np.asarray(pad_width, dtype=object)
        if widths.dtype == object and not all(params.is_int(width) for width in widths.flat):
            raise ParameterError(f"pad: pad_width must be integers (one int, or a (before, after) pair per "
                                 f"axis), got {pad_width!r:.60}")
        try:
            widths = np.broadcast_to(widths.astype(np.int64), (x.ndim, 2))
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
    def rule(ctx, index: int, terms) -> str:
        return f"{terms.up} with the padding cut off, back to {terms.shape(0)}"

    @staticmethod
    def symbolic(x, pad_width=0, value=0.0):
        from graphlab.verify import sym
        return np.pad(x, pad_width, mode="constant", constant_values=sym.number(value))
