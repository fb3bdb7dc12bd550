"""Ops' parameters: a clear ParameterError naming the op and the argument, at the op level."""
import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.errors import ParameterError
from graphlab.ops.activation import Maxout
from graphlab.ops.dropout import Dropout

m = gl.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))

BAD = [
    ("leaky_relu", "negative_slope", lambda: gl.leaky_relu(m, "a")),
    ("leaky_relu", "negative_slope", lambda: gl.leaky_relu(m, float("nan"))),
    ("elu", "alpha", lambda: gl.elu(m, None)),
    ("sum", "axis", lambda: m.sum(axis=1.5)),
    ("sum", "axis", lambda: m.sum(axis=True)),
    ("sum", "axis", lambda: m.sum(axis=5)),
    ("sum", "axis", lambda: m.sum(axis=(0, 0))),
    ("sum", "keepdims", lambda: m.sum(keepdims="yes")),
    ("mean", "axis", lambda: m.mean(axis=10 ** 12)),
    ("var", "ddof", lambda: m.var(ddof="a")),
    ("var", "ddof", lambda: m.var(ddof=-1)),
    ("var", "ddof", lambda: m.var(ddof=10 ** 12)),
    ("softmax", "axis", lambda: m.softmax(axis=[1])),
    ("reshape", "shape", lambda: m.reshape("a")),
    ("reshape", "shape", lambda: m.reshape(2.0, 3)),
    ("reshape", "shape", lambda: m.reshape(-1, -1)),
    ("transpose", "axes", lambda: m.permute(0, 0)),
    ("transpose", "dims", lambda: m.transpose(0, 1, 0)),
    ("broadcast_to", "shape", lambda: m.broadcast_to(("a", 3))),
    ("concat", "axis", lambda: gl.concat([m, m], axis=1.5)),
    ("stack", "axis", lambda: gl.stack([m, m], axis=9)),
    ("pad", "pad_width", lambda: gl.pad(m, 1.5)),
    ("clip", "low", lambda: m.clip("a")),
    ("maxout", "pieces", lambda: Maxout.apply(m, pieces=0)),
    ("maxout", "pieces", lambda: Maxout.apply(m, pieces=1.5)),
    ("maxout", "axis", lambda: Maxout.apply(m, axis=7)),
    ("dropout", "p", lambda: Dropout.apply(m, p=2.0)),
    ("squeeze", "axis", lambda: m.squeeze(1.5)),
    ("multiclass_hinge_loss", "margin",
     lambda: F.multiclass_hinge_loss(m, gl.tensor([0, 1], dtype="int64"), margin="a")),
    ("layer_norm", "eps", lambda: F.layer_norm(m, (3,), eps=-1.0)),
]


@pytest.mark.parametrize("op, argument, call", BAD, ids=[f"{op}-{argument}-{i}" for i, (op, argument, _) in enumerate(BAD)])
def test_bad_parameter_names_op_and_argument(op, argument, call):
    with pytest.raises((ParameterError, gl.errors.ShapeError)) as error:
        call()
    assert op in str(error.value) and argument in str(error.value)


def test_parameter_error_is_both_value_and_type_error():
    with pytest.raises(TypeError):
        m.sum(axis=1.5)
    with pytest.raises(ValueError):
        m.sum(axis=1.5)


def test_good_parameters_still_work():
    assert m.sum(axis=np.int64(1)).shape == (2,)
    assert m.sum(axis=(0, 1)).shape == ()
    assert m.var(ddof=1).item() == pytest.approx(np.var(m.data, ddof=1))
    assert gl.pad(m, ((0, 0), (1, 1)), value=-np.inf).shape == (2, 5)
    assert Maxout.apply(gl.tensor(np.ones((2, 4))), pieces=2).shape == (2, 2)


def test_numpy_integer_axis_backpropagates():
    x = gl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x.max(axis=np.int64(1)).sum().backward()
    assert x.grad.tolist() == [[0, 0, 1], [0, 0, 1]]


def test_empty_inputs_give_nan_without_warnings():
    import warnings
    x = gl.tensor(np.zeros((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.mse_loss(x, gl.tensor(np.zeros((0, 3))))
        loss.backward()
        x.var(axis=0).sum().backward()
    assert np.isnan(loss.item()) and x.grad.shape == (0, 3)


def test_ops_front_functions_name_themselves_for_non_tensor_data():
    for function in (gl.flatten, gl.squeeze, lambda d: gl.unsqueeze(d, 0), lambda d: gl.permute(d, 0)):
        with pytest.raises(gl.DtypeError):
            function(b"bytes")
