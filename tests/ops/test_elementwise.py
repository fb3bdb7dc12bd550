"""Elementwise ops beyond their cases: conventions, accuracy in the tails, the one pow op,
and how their gates are drawn (each op class declares its symbol).

The cases themselves (values, gradients, PyTorch, SymPy) live on the op classes
(``graphlab/ops/arithmetic.py``, ``elementwise.py``, ``compare.py``) and run in test_cases.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
from graphlab.ops.arithmetic import Pow
from graphlab.viz import labels
from graphlab.viz.graph import GraphView

COMPARISONS = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal, "eq": np.equal,
               "ne": np.not_equal}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparison_is_a_mask_without_gradient(name):
    x = gl.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    mask = getattr(gl, name)(x, 0.0)
    assert mask.dtype == np.bool_ and not mask.requires_grad
    # the mask still routes a gradient through where()
    gl.where(mask, x * 2, x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, np.where(COMPARISONS[name](x.data, 0.0), 2.0, 3.0))


def test_sigmoid_is_accurate_in_both_tails():
    """sigmoid(x) must not collapse to 0 where the true value is still a normal float."""
    for dtype, x, expected in [(np.float32, -20.0, 2.0611537e-09), (np.float64, -40.0, 4.248354255291589e-18),
                               (np.float64, -700.0, np.exp(-700.0))]:
        value = gl.sigmoid(gl.tensor(np.array([x, -x], dtype=dtype))).data
        assert value.dtype == dtype
        np.testing.assert_allclose(value, [expected, 1.0], rtol=1e-6)
    x = gl.tensor(np.array([-1000.0, 1000.0]), requires_grad=True)   # no overflow warnings, no NaN
    gl.sigmoid(x).sum().backward()
    assert np.isfinite(x.grad).all()


def test_pow_exponent_gradient_at_zero_base_is_zero():
    """d(0 ** y)/dy is 0 for y > 0 (PyTorch's convention), not 0 * log(0) = NaN."""
    base = gl.tensor(np.array([0.0, 2.0]), requires_grad=True)
    exponent = gl.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (base ** exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0)])
    np.testing.assert_allclose(base.grad, [0.0, 12.0])


def test_pow_is_one_op_and_a_number_exponent_is_a_constant_input():
    x = gl.tensor(np.array([-2.0, 0.5, 3.0]), requires_grad=True)
    square = x ** 2
    assert square.op == "pow" and (2 ** x).op == "pow" and gl.pow(x, x).op == "pow"
    base, exponent = square.creator.inputs
    assert base is x and not exponent.requires_grad and exponent.data == 2
    # the exponent needs no gradient, so its ln x (NaN for x < 0) is never computed
    assert square.creator.local_gradients()[1] is None
    square.sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 1.0, 6.0])


def test_pow_takes_a_constant_exponent_as_a_parameter_too():
    """Pow.apply(x, exponent=3) is how verify.op and the cases pass a constant exponent."""
    x = gl.tensor(np.array([1.0, -2.0]), requires_grad=True)
    cube = Pow.apply(x, exponent=3)
    cube.sum().backward()
    np.testing.assert_array_equal(cube.data, [1.0, -8.0])
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    assert gl.verify.op("pow", values=[[0.5, -1.5]], params=dict(exponent=3)).passed


def test_deprecated_pow_tensor_name_maps_to_pow():
    from graphlab.ops.registry import lookup
    with pytest.warns(DeprecationWarning, match="pow_tensor"):
        assert lookup("pow_tensor") is Pow


@pytest.mark.parametrize("build, symbol", [
    (lambda x, y: x + y, "+"), (lambda x, y: x - y, "-"), (lambda x, y: x * y, "*"), (lambda x, y: x / y, "/"),
    (lambda x, y: x ** y, "**"), (lambda x, y: -x, "*-1"), (lambda x, y: gl.sigmoid(x), "σ"),
    (lambda x, y: gl.maximum(x, y), "max"), (lambda x, y: gl.minimum(x, y), "min"), (lambda x, y: x.exp(), "exp"),
    (lambda x, y: gl.leaky_relu(x), "leaky_relu"), (lambda x, y: x.broadcast_to((2, 3)), "broadcast"),
], ids=["add", "sub", "mul", "div", "pow", "neg", "sigmoid", "maximum", "minimum", "exp", "leaky_relu",
        "broadcast_to"])
def test_gate_symbols(build, symbol):
    x = gl.tensor(np.array([0.5, 1.5, 2.0]), requires_grad=True)
    y = gl.tensor(np.array([1.0, 2.0, 0.25]), requires_grad=True)
    assert labels.op_symbol(build(x, y)) == symbol


@pytest.mark.parametrize("build, symbol, formula", [
    (lambda x: x ** 2, "**2", "x ** 2"),
    (lambda x: x ** -1.5, "**-1.5", "x ** -1.5"),
    (lambda x: 2 ** x, "2**x", "2 ** x"),
    (lambda x: (x + 1) ** 3, "**3", "(x + 1) ** 3"),
    (lambda x: (x ** 2) ** 3, "**3", "(x ** 2) ** 3"),
], ids=["square", "negative", "rpow", "sum_cubed", "nested"])
def test_pow_with_a_number_reads_as_the_lecture_writes_it(build, symbol, formula):
    x = gl.scalar(1.5, name="x")
    view = GraphView(build(x))
    assert view.symbol(view.root) == symbol
    assert view.formula(view.root) == formula
