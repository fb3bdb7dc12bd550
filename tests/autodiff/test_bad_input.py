"""Bad input to tensor creation and to grad/jacobian/hvp: clear errors naming the argument."""
import numpy as np
import pytest

import graphlab as gl
from graphlab.errors import DtypeError, ShapeError


@pytest.mark.parametrize("dtype", [object, str, complex, "complex64", "U3", "nosuch"])
@pytest.mark.parametrize("make", [
    lambda dtype: gl.tensor([1.0, 2.0], dtype=dtype), lambda dtype: gl.zeros(2, dtype=dtype),
    lambda dtype: gl.ones(2, dtype=dtype), lambda dtype: gl.randn(2, dtype=dtype),
    lambda dtype: gl.tensor([1.0]).astype(dtype),
])
def test_non_real_dtypes_are_refused(make, dtype):
    with pytest.raises(DtypeError, match="dtype"):
        make(dtype)


def test_complex_data_is_refused_not_truncated():
    with pytest.raises(DtypeError, match="complex"):
        gl.tensor([1 + 2j, 3.0])
    with pytest.raises(DtypeError, match="complex"):
        gl.tensor(np.array([1 + 2j]), dtype="float32")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", np.float16])
def test_real_dtypes_still_work(dtype):
    assert gl.tensor([1, 0], dtype=dtype).dtype == np.dtype(dtype)


def test_mixed_precision_error_suggests_creating_the_leaf_in_the_right_dtype():
    x = gl.tensor([1.0], requires_grad=True)
    weight = gl.tensor([2.0], dtype="float64", requires_grad=True, name="weight")
    with pytest.raises(DtypeError, match=r"create weight with dtype=np\.float32") as error:
        x * weight
    assert ".astype" not in str(error.value)


def test_grad_with_a_number_names_the_argument():
    x = gl.scalar(2.0)
    with pytest.raises(TypeError, match="grad: inputs"):
        gl.grad(x * x, 3.0)
    with pytest.raises(TypeError, match="grad: outputs"):
        gl.grad(3.0, x)


def test_hvp_with_a_wrong_vector_shape_blames_hvp():
    with pytest.raises(ShapeError, match=r"hvp: vector has shape \(3,\)"):
        gl.hvp(lambda v: (v ** 3).sum(), gl.tensor([1.0, 2.0]), [1.0, 2.0, 3.0])


def test_jacobian_of_a_constant_is_zero():
    assert np.array_equal(gl.jacobian(lambda v: gl.tensor([1.0, 2.0]), gl.tensor([1.0, 2.0, 3.0])), np.zeros((2, 3)))
    a, b = gl.jacobian(lambda u, v: u * 2, [gl.tensor([1.0]), gl.tensor([1.0, 2.0])])
    assert np.array_equal(a, [[2.0]]) and np.array_equal(b, np.zeros((1, 2)))
    assert np.array_equal(gl.hessian(lambda v: gl.tensor(3.0), gl.tensor([1.0, 2.0])), np.zeros((2, 2)))


# -- issue 14: a float64 weight in a float32 graph: create the leaf in float32, never .astype it ---------
def test_a_float64_weight_is_told_to_be_created_float32_not_cast():
    weight = gl.tensor(np.ones((2, 2)), requires_grad=True, name="W")        # numpy data: float64
    x = gl.tensor([[1.0, 2.0], [3.0, 4.0]], name="x")                         # Python data: float32
    for make in (lambda: weight @ x, lambda: x @ weight, lambda: x @ weight.T, lambda: x + weight * 2):
        with pytest.raises(gl.DtypeError) as error:
            make()
        message = str(error.value)
        assert "inputs mix float32 and float64" in message
        assert "create W with dtype=np.float32: gl.tensor(values, dtype=np.float32, requires_grad=True)" in message
        assert "W.astype" not in message and "cast the result" not in message


def test_a_result_cast_on_purpose_is_still_told_to_cast():
    x = gl.tensor([1.0, 2.0], requires_grad=True, name="x")
    wide = x.astype("float64").named("wide")      # float64 with only float32 leaves behind it
    with pytest.raises(gl.DtypeError, match=r"cast the result first: wide\.astype\('float32'\)"):
        _ = wide + x
