"""In-place edits after forward: backward refuses stale saved values (PyTorch's version counter)."""
import numpy as np
import pytest

import graphlab as gl
from graphlab.errors import BackwardError


def _raw_write_then_mark(x):
    x.data[0] = 5.0                        # numpy cannot report this write: the documented way marks it
    x.mark_modified()


@pytest.mark.parametrize("edit", [
    lambda x: x.add_(1.0), lambda x: x.sub_(1.0), lambda x: x.mul_(2.0), lambda x: x.zero_(),
    lambda x: x.fill_(3.0), lambda x: x.copy_(np.ones(2, dtype=np.float32)),
    lambda x: setattr(x, "data", x.data + 1), lambda x: _raw_write_then_mark(x),
])
def test_backward_refuses_after_an_in_place_edit(edit):
    x = gl.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * x).sum()
    edit(x)
    with pytest.raises(BackwardError, match=r"x was modified in place.*mul"):
        y.backward()


def test_edit_under_no_grad_then_new_forward_is_fine():
    w = gl.tensor([1.0, 2.0], requires_grad=True, name="w")
    (w * w).sum().backward()
    with gl.no_grad():
        w.sub_(0.1 * w.grad)               # an SGD step through the Tensor API
    w.zero_grad()
    (w * w).sum().backward()
    assert np.allclose(w.grad, 2 * np.array([0.8, 1.6]))


def test_ops_that_do_not_read_their_inputs_do_not_refuse():
    x = gl.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x + 3.0).sum()
    x.add_(1.0)
    y.backward()                           # d(x + 3)/dx = 1 whatever x holds, as in PyTorch
    assert x.grad.tolist() == [1.0, 1.0]


def test_in_place_value_of_wrong_shape_is_a_clear_error():
    x = gl.tensor([1.0, 2.0])
    with pytest.raises(gl.errors.ShapeError, match="add_"):
        x.add_(np.ones(3))
