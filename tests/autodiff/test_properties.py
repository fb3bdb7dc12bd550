"""Property tests (hypothesis) for the ops that move numbers around.

Shapes are small (at most 4 dimensions, each of size at most 4) and every test runs 40
examples, so the file stays fast. The expected gradients are written with plain numpy,
independently of graphlab's backward code:

* broadcasting add/sub/mul/div: the gradient of each input has that input's shape and is the
  upstream gradient (times the local derivative) summed over the broadcast axes;
* reshape/transpose/permute/flatten/broadcast_to: the gradient of sum(w * op(x)) is the
  inverse op applied to w;
* concat/stack: the gradient is w split back into the pieces;
* getitem: the gradient is w scattered with ``np.add.at`` (repeated indices add up).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphlab as gl

FAST = settings(max_examples=40, deadline=None)
MAX_DIMS, MAX_SIDE = 4, 4

values = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
away_from_zero = st.one_of(st.floats(-3.0, -0.5), st.floats(0.5, 3.0))


def arrays(shape, elements=values):
    return hnp.arrays(np.float64, shape, elements=elements)


def shapes(min_dims=0, max_dims=MAX_DIMS):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE)


def leaf(array):
    return gl.tensor(array, requires_grad=True)


def backward_with(output, data):
    """Run sum(w * output).backward() for a random w of the output's shape; return w."""
    w = data.draw(arrays(output.shape), label="w")
    (gl.tensor(w) * output).sum().backward()
    return w


def np_sum_to(gradient: np.ndarray, shape: tuple) -> np.ndarray:
    """numpy broadcasting undone by hand: sum away the leading axes, then the stretched size-1 axes."""
    while gradient.ndim > len(shape):
        gradient = gradient.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and gradient.shape[axis] != 1:
            gradient = gradient.sum(axis=axis, keepdims=True)
    return gradient


# -- broadcasting binary ops -------------------------------------------------------------------
BINARY = {
    # op, numpy, (d/da, d/db) as functions of the broadcast a, b and the upstream g
    "add": (gl.add, np.add, lambda a, b, g: (g, g)),
    "sub": (gl.sub, np.subtract, lambda a, b, g: (g, -g)),
    "mul": (gl.mul, np.multiply, lambda a, b, g: (g * b, g * a)),
    "div": (gl.div, np.divide, lambda a, b, g: (g / b, -g * a / (b * b))),
}


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(data=st.data())
def test_broadcasting_binary_ops(name, data):
    op, numpy_op, downstream = BINARY[name]
    (shape_a, shape_b), result_shape = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=MAX_DIMS, max_side=MAX_SIDE), label="shapes")
    a_np = data.draw(arrays(shape_a), label="a")
    b_np = data.draw(arrays(shape_b, away_from_zero if name == "div" else values), label="b")
    a, b = leaf(a_np), leaf(b_np)

    out = op(a, b)
    assert out.shape == result_shape
    np.testing.assert_allclose(out.data, numpy_op(a_np, b_np), rtol=1e-12, atol=1e-12)

    g = data.draw(arrays(result_shape), label="upstream")
    out.backward(g)
    expected_a, expected_b = downstream(np.broadcast_to(a_np, result_shape), np.broadcast_to(b_np, result_shape), g)
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_allclose(a.grad, np_sum_to(expected_a, shape_a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, np_sum_to(expected_b, shape_b), rtol=1e-10, atol=1e-12)


@FAST
@given(data=st.data())
def test_broadcast_to_gradient_sums_the_copies(data):
    (shape, target), _ = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=MAX_DIMS,
                                                                     max_side=MAX_SIDE), label="shapes")
    target = np.broadcast_shapes(shape, target)
    x_np = data.draw(arrays(shape), label="x")
    x = leaf(x_np)
    out = gl.broadcast_to(x, target)
    np.testing.assert_array_equal(out.data, np.broadcast_to(x_np, target))
    w = backward_with(out, data)
    np.testing.assert_allclose(x.grad, np_sum_to(w, shape), rtol=1e-12, atol=1e-12)


# -- shape round trips: the gradient is the inverse op applied to w ------------------------------
def _prime_factors(n: int) -> list:
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@st.composite
def reshapes(draw):
    """A shape and another shape with the same number of elements (maybe with one -1)."""
    shape = draw(shapes(), label="shape")
    size = int(np.prod(shape, dtype=np.int64))
    factors = draw(st.permutations(_prime_factors(size)))
    target = [1] * draw(st.integers(1 if size > 1 else 0, 4), label="target ndim")
    for factor in factors:
        target[draw(st.integers(0, len(target) - 1))] *= factor
    written = list(target)
    if written and draw(st.booleans()):
        written[draw(st.integers(0, len(written) - 1))] = -1
    return shape, tuple(target), tuple(written)


@FAST
@given(case=reshapes(), data=st.data())
def test_reshape_round_trip(case, data):
    shape, target, written = case
    x_np = data.draw(arrays(shape), label="x")
    x = leaf(x_np)
    out = x.reshape(written) if data.draw(st.booleans(), label="method") else gl.reshape(x, *written)
    assert out.shape == target
    np.testing.assert_array_equal(out.data, x_np.reshape(target))
    np.testing.assert_array_equal(out.reshape(shape).data, x_np)
    w = backward_with(out, data)
    np.testing.assert_array_equal(x.grad, w.reshape(shape))


@FAST
@given(data=st.data())
def test_transpose_and_permute_round_trip(data):
    shape = data.draw(shapes(), label="shape")
    axes = tuple(data.draw(st.permutations(range(len(shape))), label="axes"))
    form = data.draw(st.sampled_from(["transpose", "permute", "method", "T"]), label="form")
    x_np = data.draw(arrays(shape), label="x")
    x = leaf(x_np)
    if form == "T":
        axes = tuple(reversed(range(len(shape))))
        out = x.T
    elif form == "transpose":
        out = gl.transpose(x, axes)
    elif form == "permute":
        out = gl.permute(x, *axes)
    else:
        out = x.permute(*axes)
    np.testing.assert_array_equal(out.data, x_np.transpose(axes))
    inverse = tuple(np.argsort(axes))
    np.testing.assert_array_equal(out.permute(inverse).data, x_np)
    w = backward_with(out, data)
    np.testing.assert_array_equal(x.grad, w.transpose(inverse))


@FAST
@given(data=st.data())
def test_flatten_round_trip(data):
    shape = data.draw(shapes(), label="shape")
    x_np = data.draw(arrays(shape), label="x")
    x = leaf(x_np)
    if shape:
        ndim = len(shape)
        start = data.draw(st.integers(0, ndim - 1), label="start")
        end = data.draw(st.integers(start, ndim - 1), label="end")
        # each may be written from the front or from the back
        start_written = start - ndim if data.draw(st.booleans()) else start
        end_written = end - ndim if data.draw(st.booleans()) else end
        out = x.flatten(start_written, end_written)
        expected_shape = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
    else:
        out, expected_shape = gl.flatten(x), (1,)
    assert out.shape == expected_shape
    np.testing.assert_array_equal(out.data, x_np.reshape(expected_shape))
    w = backward_with(out, data)
    np.testing.assert_array_equal(x.grad, w.reshape(shape))


# -- concat / stack: the gradient is split back into the pieces -----------------------------------
@FAST
@given(data=st.data())
def test_concat_splits_the_gradient_back(data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, MAX_SIDE), min_size=1, max_size=3), label="sizes")
    pieces_np = [data.draw(arrays(shape[:axis % ndim] + (size,) + shape[axis % ndim + 1:]), label="piece")
                 for size in sizes]
    pieces = [leaf(p) for p in pieces_np]
    out = gl.concat(pieces, axis=axis)
    np.testing.assert_array_equal(out.data, np.concatenate(pieces_np, axis=axis))
    w = backward_with(out, data)
    for piece, expected in zip(pieces, np.split(w, np.cumsum(sizes)[:-1], axis=axis)):
        assert piece.grad.shape == piece.shape
        np.testing.assert_array_equal(piece.grad, expected)


@FAST
@given(data=st.data())
def test_stack_splits_the_gradient_back(data):
    shape = data.draw(shapes(max_dims=MAX_DIMS - 1), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    count = data.draw(st.integers(1, 3), label="count")
    pieces_np = [data.draw(arrays(shape), label="piece") for _ in range(count)]
    pieces = [leaf(p) for p in pieces_np]
    out = gl.stack(pieces, axis=axis)
    np.testing.assert_array_equal(out.data, np.stack(pieces_np, axis=axis))
    w = backward_with(out, data)
    for position, piece in enumerate(pieces):
        np.testing.assert_array_equal(piece.grad, np.take(w, position, axis=axis))


# -- getitem: the gradient is np.add.at's scatter ------------------------------------------------
@st.composite
def shapes_and_indices(draw):
    shape = draw(shapes(min_dims=1), label="shape")
    kind = draw(st.sampled_from(["basic", "int_arrays", "repeated_rows", "bool_mask", "slice_then_array"]),
                label="kind")
    if kind == "basic":   # ints, slices (negative steps too), None, Ellipsis
        index = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "int_arrays":   # one index array per axis, broadcast together, repeats allowed
        index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2,
                                                                                      max_side=5)))
    elif kind == "repeated_rows":
        rows = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
        index = np.array(rows)
    elif kind == "bool_mask":
        index = draw(hnp.arrays(np.bool_, shape))
    else:
        start = draw(st.integers(0, shape[0] - 1))
        columns = draw(st.lists(st.integers(0, shape[-1] - 1), min_size=1, max_size=5))
        index = (slice(start, None),) + (Ellipsis,) + (np.array(columns),) if len(shape) > 1 \
            else (slice(start, None),)
    return shape, index


@FAST
@given(case=shapes_and_indices(), data=st.data())
def test_getitem_gradient_is_a_scatter_add(case, data):
    shape, index = case
    x_np = data.draw(arrays(shape), label="x")
    x = leaf(x_np)
    out = x[index]
    np.testing.assert_array_equal(out.data, x_np[index])
    w = backward_with(out, data)
    expected = np.zeros(shape)
    np.add.at(expected, index, w)
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-12)
