"""Special values (0, ±inf, NaN) against PyTorch: the expected numbers are written out, and
checked against torch too when it is installed."""
import math
import warnings

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as GF
from graphlab.errors import AnomalyError, BackwardError

INF, NAN = math.inf, math.nan
SELU_SCALE = 1.0507009873554805

#: (op, input, PyTorch's value, PyTorch's gradient)
SPECIAL = [
    ("sigmoid", INF, 1.0, 0.0), ("sigmoid", -INF, 0.0, 0.0), ("sigmoid", 0.0, 0.5, 0.25),
    ("tanh", INF, 1.0, 0.0), ("tanh", -INF, -1.0, 0.0), ("tanh", 0.0, 0.0, 1.0),
    ("exp", INF, INF, INF), ("exp", -INF, 0.0, 0.0), ("exp", 0.0, 1.0, 1.0),
    ("log", INF, INF, 0.0), ("log", 0.0, -INF, INF), ("log", -1.0, NAN, -1.0),
    ("relu", NAN, NAN, 1.0), ("relu", INF, INF, 1.0), ("relu", 0.0, 0.0, 0.0),
    ("abs", NAN, NAN, 0.0), ("abs", INF, INF, 1.0), ("abs", 0.0, 0.0, 0.0),
    ("elu", INF, INF, 1.0), ("elu", NAN, NAN, 1.0), ("elu", -INF, -1.0, 0.0), ("elu", 0.0, 0.0, 1.0),
    ("selu", NAN, NAN, SELU_SCALE), ("selu", INF, INF, SELU_SCALE),
]


def _graphlab(name, value):
    x = gl.tensor(value, dtype="float64", requires_grad=True)
    function = getattr(gl, name, None) or getattr(GF, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # no numpy RuntimeWarning may leak
        y = function(x)
        y.backward()
    return y.item(), x.grad.item()


@pytest.mark.parametrize("name, value, expected, slope", SPECIAL)
def test_special_value_matches_pytorch(name, value, expected, slope):
    assert np.allclose(_graphlab(name, value), (expected, slope), equal_nan=True)
    torch = pytest.importorskip("torch")
    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    function = getattr(torch.nn.functional, name, None) or getattr(torch, name)
    out = function(t)
    out.backward()
    assert np.allclose((out.item(), t.grad.item()), (expected, slope), equal_nan=True)


@pytest.mark.parametrize("exponent_as_tensor", [False, True])
def test_zero_power_at_zero_has_zero_gradient(exponent_as_tensor):
    x = gl.tensor([0.0, 2.0], dtype="float64", requires_grad=True)
    exponent = gl.tensor([0.0, 0.0], dtype="float64", requires_grad=True) if exponent_as_tensor else 0
    (x ** exponent).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    if exponent_as_tensor:
        assert np.allclose(exponent.grad, [0.0, math.log(2.0)])   # PyTorch: 0^0 · ln 0 taken as 0


def test_polynomial_at_zero_has_finite_gradient():
    coefficients = [1.5, -2.0, 3.0, 0.5]
    x = gl.scalar(0.0, dtype="float64")
    sum(c * x ** k for k, c in enumerate(coefficients)).backward()
    assert x.grad.item() == -2.0
    torch = pytest.importorskip("torch")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    sum(c * t ** k for k, c in enumerate(coefficients)).backward()
    assert t.grad.item() == -2.0


def test_second_derivative_of_zero_power_is_finite():
    hessian = gl.hessian(lambda v: (v ** 0).sum() + (v ** 2).sum(), gl.tensor([0.0, 1.0], dtype="float64"))
    assert np.array_equal(hessian, 2 * np.eye(2))


def test_no_numpy_warning_under_detect_anomaly_names_the_op():
    x = gl.tensor([-1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with gl.detect_anomaly(), pytest.raises(AnomalyError, match="log"):
            x.log()
        assert np.isnan(x.log().data[0])                # outside detect_anomaly: NaN, no warning
