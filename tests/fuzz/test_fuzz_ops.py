"""Fuzz: every built-in op and every public op function with random and hostile inputs.

Each input goes through :func:`outcomes.outcome`: a graphlab error naming the op or the
argument, or the right answer (the op's own ``numpy`` reference from its cases, and gradients
of the input's shape with no numpy RuntimeWarning). Special values (NaN, ±inf, 0, huge),
empty and 0-d arrays, integer/bool/float16/object/complex/str data, and hostile parameters.
"""
import inspect
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphlab as gl
import graphlab.functional as functional
from graphlab import ops
from graphlab.autodiff.cases import make_inputs
from graphlab.ops.registry import builtin_ops
from outcomes import outcome

FUZZ = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
OPS = builtin_ops()
#: every op's first case: its inputs' shapes, domains, parameters and numpy reference
FIRST_CASES = {name: op.cases[0] for name, op in sorted(OPS.items()) if op.cases}
SPECIAL = [0.0, -0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, 1e300, -1e300, 5e-324, 88.8, -745.2]


def _run(case, arrays, backward: bool):
    """The case on float64 leaves made from ``arrays``; backward through it when asked."""
    leaves = [gl.tensor(array, dtype=array.dtype if array.dtype == bool else "float64",
                        requires_grad=array.dtype != bool and backward) for array in arrays]
    output = case.run(*leaves)
    if backward and output.requires_grad:
        output.backward(np.ones(output.shape))
        for leaf in leaves:
            assert leaf.grad is None or leaf.grad.shape == leaf.shape, (leaf.grad, leaf.shape)
    return output


def _reference(case, arrays):
    with np.errstate(all="ignore"):
        return np.asarray(case.numpy(*arrays, **case.params))


@pytest.mark.parametrize("name", sorted(FIRST_CASES))
@given(seed=st.integers(0, 2 ** 32 - 1))
@settings(FUZZ)
def test_op_matches_its_reference_on_random_inputs(name, seed):
    """Random values from the op's own domain: the value is numpy's, gradients have the right shape."""
    case = FIRST_CASES[name]
    arrays = make_inputs(case.domains(), case.shapes, seed)
    expected = _reference(case, arrays)
    outcome(lambda: _run(case, arrays, backward=True), argument=name,
            check=lambda output: np.allclose(output.data, expected, rtol=1e-9, atol=1e-9, equal_nan=True))


@pytest.mark.parametrize("name", sorted(FIRST_CASES))
@given(data=st.data())
@settings(FUZZ)
def test_op_on_special_values(name, data):
    """NaN, ±inf, huge and tiny values: a result of the reference's shape, no warning leaks."""
    case = FIRST_CASES[name]
    arrays = []
    for shape, domain in zip(case.shapes, case.domains()):
        if domain == "bool":
            arrays.append(data.draw(hnp.arrays(bool, shape)))
        else:
            arrays.append(data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from(SPECIAL))))
    expected = _reference(case, arrays)
    outcome(lambda: _run(case, arrays, backward=True), argument=name,
            check=lambda output: output.shape == expected.shape)


BAD_DTYPES = [np.int64, np.int8, np.bool_, np.float16, object, np.complex128, np.str_]


@pytest.mark.parametrize("name", sorted(FIRST_CASES))
@given(dtype=st.sampled_from(BAD_DTYPES), which=st.integers(0, 3))
@settings(FUZZ)
def test_op_on_other_dtypes(name, dtype, which):
    """Integer, bool, float16, object, complex or str data: a clear error or a result."""
    case = FIRST_CASES[name]
    arrays = make_inputs(case.domains(), case.shapes, which)
    index = which % len(arrays)

    def call():
        inputs = [gl.tensor(array) if array.dtype != bool else gl.tensor(array, dtype=bool) for array in arrays]
        if dtype in (object, np.complex128, np.str_):
            inputs[index] = np.asarray(arrays[index]).astype(dtype)        # raw arrays of a bad kind
        else:
            inputs[index] = gl.tensor(arrays[index].astype(dtype))
        return case.run(*inputs)

    outcome(call, argument=(name, "dtype", "complex", "string", "str", "object", "float", "integer", "bool"),
            check=lambda output: isinstance(output, gl.Tensor))


@pytest.mark.parametrize("name", sorted(FIRST_CASES))
@given(empty_axis=st.integers(0, 3), zero_d=st.booleans())
@settings(FUZZ)
def test_op_on_empty_and_zero_d_inputs(name, empty_axis, zero_d):
    """Inputs with a 0-sized axis, or 0-d inputs: a clear error or a result (never numpy's)."""
    case = FIRST_CASES[name]
    shapes = []
    for shape in case.shapes:
        if zero_d:
            shapes.append(())
        elif shape:
            shapes.append(tuple(0 if axis == empty_axis % len(shape) else size for axis, size in enumerate(shape)))
        else:
            shapes.append(shape)
    arrays = make_inputs(case.domains(), tuple(shapes), empty_axis)
    outcome(lambda: _run(case, arrays, backward=True), argument=(name, "shape", "axis", "empty", "dimension"),
            check=lambda output: isinstance(output, gl.Tensor))


HOSTILE_VALUES = st.one_of(
    st.sampled_from(["a", "", "é", "🙂", b"x", None, True, False, [], [1], (1, "a"), {}, 1.5, -1.5, math.nan,
                     math.inf, -math.inf, 0, -1, 1, 2, 10 ** 12, -10 ** 12, 2 ** 70, np.float64(1.0), np.int64(1),
                     (0, 0), (5,), (-1, -1), object()]),
    st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
)


def _keyword_params(op) -> set:
    """forward's parameters that have a default (settings such as axis=, stride=, p=)."""
    signature = inspect.signature(op.forward)
    return {parameter.name for parameter in signature.parameters.values()
            if parameter.default is not inspect.Parameter.empty}


def _checked_params():
    """Every op's settings: the checked ones (param_checks) and every other forward keyword."""
    return sorted((name, argument) for name, op in OPS.items() if op.cases
                  for argument in set(op.param_checks) | _keyword_params(op))


@pytest.mark.parametrize("name, argument", _checked_params())
@given(value=HOSTILE_VALUES)
@settings(FUZZ)
def test_op_parameter_hostile_values(name, argument, value):
    """Every checked parameter with hostile values: a ParameterError naming it, or a result."""
    case = FIRST_CASES[name]
    arrays = make_inputs(case.domains(), case.shapes, 0)
    params = dict(case.params, **{argument: value})

    def call():
        inputs = [gl.tensor(array, dtype=bool if array.dtype == bool else None) for array in arrays]
        return OPS[name].apply(*inputs, **params)

    outcome(call, argument=(argument, name), check=lambda output: isinstance(output, gl.Tensor))


PUBLIC = sorted({("ops", name) for name in ops.__all__} | {("functional", name) for name in functional.__all__})
HOSTILE_DATA = st.sampled_from(["a", b"x", None, {}, [["a"]], [1, [2]], object(), 1 + 2j, [1 + 2j],
                                np.array(["x"]), np.array([1 + 1j]), np.array([object()])])


@pytest.mark.parametrize("module, name", PUBLIC)
@given(data=HOSTILE_DATA)
@settings(FUZZ)
def test_public_function_with_hostile_data(module, name, data):
    """Strings, bytes, None, ragged or complex data where a tensor goes: an error naming the function."""
    function = getattr(ops if module == "ops" else functional, name)
    real = gl.tensor(np.ones((2, 3)))

    def call():
        if name in ("concat", "cat", "stack"):
            return function([real, data])
        if name == "gather":
            return function(data, 0, [[0]])
        if name == "masked_fill":
            return function(data, np.ones((2, 3), dtype=bool), 0.0)
        if name == "where":
            return function(real > 0, data, real)
        if name == "batch_norm":
            return function(data, np.zeros(3), np.ones(3))
        return function(data) if name in ("relu", "tanh", "sigmoid", "exp", "log", "sqrt", "abs", "neg", "selu",
                                          "gelu", "elu", "leaky_relu", "global_avg_pool2d", "softmax",
                                          "log_softmax", "flatten", "dropout", "dropout2d", "maxout", "squeeze", "transpose",
                                          "permute", "sin", "cos", "clone") else function(data, real)

    outcome(call, argument=(name, "tensor", "dtype", "complex", "string", "str"),
            errors=(Exception,), check=lambda output: isinstance(output, gl.Tensor))


@given(size=st.sampled_from([10 ** 12, 10 ** 15, 2 ** 62]))
@settings(FUZZ)
def test_huge_sizes_fail_fast(size):
    """A 10**12-element reshape or padding fails at once with a clear error, no MemoryError."""
    x = gl.tensor(np.ones((2, 3)))
    outcome(lambda: x.reshape(size, -1), argument=("reshape",))
    outcome(lambda: gl.pad(x, size), argument=("pad",))
