"""What a student reaches for first: argmax/argmin (numpy's and PyTorch's spellings) and a repr
that shows the gradient, as micrograd's ``Value(data=..., grad=...)`` does."""
import numpy as np
import pytest

import graphlab as gl

SCORES = [[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]


def test_argmax_and_argmin_follow_numpy_axis_and_keepdims():
    x = gl.tensor(SCORES, requires_grad=True)
    assert x.argmax().item() == 3 and x.argmin().item() == 4               # flat indices, as numpy
    assert x.argmax(axis=1).tolist() == [1, 0] and gl.argmin(x, 1).tolist() == [0, 1]
    assert x.argmax(axis=0, keepdims=True).tolist() == [[1, 0, 1]]
    assert x.argmax(axis=-1).dtype == np.int64 and x.argmax(keepdims=True).shape == (1, 1)


def test_argmax_takes_the_pytorch_spelling_too():
    x = gl.tensor(SCORES)
    assert x.argmax(dim=1).tolist() == [1, 0] and x.argmin(dim=0, keepdim=True).tolist() == [[0, 1, 0]]
    assert gl.argmax(x, dim=1, keepdim=True).shape == (2, 1)
    with pytest.raises(TypeError, match="argmax: give axis= \\(numpy\\) or dim= \\(PyTorch\\), not both"):
        x.argmax(axis=1, dim=1)
    with pytest.raises(TypeError, match="argmin: give keepdims= \\(numpy\\) or keepdim= \\(PyTorch\\)"):
        x.argmin(1, keepdims=True, keepdim=True)


def test_argmax_has_no_gradient_and_backward_says_so():
    x = gl.tensor(SCORES, requires_grad=True, name="x")
    index = (x * 2).argmax(dim=1)
    assert not index.requires_grad and index.op == "argmax"
    with pytest.raises(gl.BackwardError):
        index.sum().backward()
    accuracy = (gl.tensor(SCORES).argmax(dim=1) == gl.tensor([1, 2])).astype("float32").mean()
    assert accuracy.item() == 0.5


def test_argmax_checks_its_axis():
    x = gl.tensor(SCORES)
    with pytest.raises(gl.GraphlabError, match="argmax: axis must be one integer axis or None, got \\(0, 1\\)"):
        x.argmax(axis=(0, 1))
    with pytest.raises(gl.GraphlabError, match="argmin: axis=2 is out of range for a tensor with 2 dimensions"):
        x.argmin(dim=2)


def test_repr_shows_the_gradient_once_backward_set_it():
    x, y = gl.scalar(-2.0, name="x"), gl.scalar(5.0, name="y")
    z = gl.scalar(-4.0, name="z")
    f = ((x + y) * z).named("f")
    assert repr(x) == "Tensor(-2., name='x', requires_grad=True)"
    f.backward()
    assert repr(x) == "Tensor(-2., grad=-4., name='x', requires_grad=True)"
    assert repr(z) == "Tensor(-4., grad=3., name='z', requires_grad=True)"
    assert repr(f) == "Tensor(-12., grad=1., name='f', op=mul)"
    v = gl.tensor([1.0, 2.0, 3.0], requires_grad=True, name="v")
    (v * v).sum().backward()
    assert repr(v) == "Tensor([1., 2., 3.], grad=[2., 4., 6.], name='v', shape=(3,), requires_grad=True)"


def test_repr_of_a_big_tensor_keeps_the_gradient_to_one_short_line():
    W = gl.tensor(np.arange(2000, dtype=np.float32).reshape(50, 40), requires_grad=True, name="W")
    (W * 3).sum().backward()
    lines = repr(W).splitlines()
    assert max(len(line) for line in lines) <= 80 and len(lines) == 9
    assert lines[-3].endswith("1.997e+03, 1.998e+03, 1.999e+03]],")
    assert lines[-2:] == [" grad=[3., 3., 3., ..., 3., 3., 3.] (flattened), name='W', shape=(50, 40),",
                          " requires_grad=True)"]
