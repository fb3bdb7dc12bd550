"""Pooling: E25's worked example, the router/distributor gradients, PyTorch oracle (ties too),
finite differences, fused == composed, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F

RNG = np.random.default_rng(11)
E25 = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]

# (shape, kernel, stride, padding)
CASES = [((2, 3, 8, 8), 2, None, 0), ((2, 3, 7, 8), 3, 2, 1), ((1, 2, 7, 7), 3, 1, 1),
         ((2, 2, 7, 9), (2, 3), (1, 2), (1, 1)), ((1, 1, 5, 5), 2, 3, 0)]
IDS = [f"{'x'.join(map(str, c[0]))}-k{c[1]}-s{c[2]}-p{c[3]}" for c in CASES]


def test_e25_max_pool_and_its_router_gradient():
    x = gl.tensor([[E25]], requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert y.data[0, 0].tolist() == [[6, 8], [3, 4]]
    y.sum().backward()
    # only each window's maximum gets the gradient: the router gate
    assert x.grad[0, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]]
    assert y.creator.pattern == "router"


def test_avg_pool_distributes_and_pooling_keeps_channels():
    x = gl.tensor([[E25, E25]], requires_grad=True)
    y = F.avg_pool2d(x, 2)
    assert y.shape == (1, 2, 2, 2)                        # E25: channel count kept
    assert y.data[0, 1].tolist() == [[3.25, 5.25], [2.0, 2.0]]
    y.sum().backward()
    assert np.all(x.grad == 0.25)
    assert gl.nn.MaxPool2d(2).num_parameters() == 0       # E25: no parameters
    assert gl.nn.MaxPool2d(3, stride=2).infer_shape((1, 96, 55, 55)) == (1, 96, 27, 27)    # E26: pool1


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_pytorch(case, kind):
    torch = pytest.importorskip("torch")
    shape, kernel, stride, padding = case
    ours, theirs = (F.max_pool2d, torch.nn.functional.max_pool2d) if kind == "max" else \
        (F.avg_pool2d, torch.nn.functional.avg_pool2d)
    for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-6)):
        x = RNG.standard_normal(shape).astype(dtype)
        tensor = gl.tensor(x, requires_grad=True)
        y = ours(tensor, kernel, stride, padding)
        upstream = RNG.standard_normal(y.shape).astype(dtype)
        y.backward(upstream)
        reference = torch.tensor(x, requires_grad=True)
        expected = theirs(reference, kernel, stride, padding)
        expected.backward(torch.tensor(upstream))
        assert y.dtype == dtype and tensor.grad.dtype == dtype
        assert np.abs(y.data - expected.detach().numpy()).max() <= tolerance * 10
        assert np.abs(tensor.grad - reference.grad.numpy()).max() <= tolerance * 10


def test_max_pool_ties_go_to_the_first_maximum_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 2, 4, 4))                        # all ties, as after a ReLU
    x[0, 1, 1, 1] = x[0, 1, 0, 0] = 3.0
    tensor = gl.tensor(x, requires_grad=True, dtype="float64")
    F.max_pool2d(tensor, 2).sum().backward()
    reference = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(reference, 2).sum().backward()
    assert np.array_equal(tensor.grad, reference.grad.numpy())


@pytest.mark.parametrize("case", CASES[1:4], ids=IDS[1:4])
def test_pooling_gradcheck_and_composed_twin(case):
    shape, kernel, stride, padding = case
    distinct = (RNG.permutation(int(np.prod(shape))) * 0.1).reshape(shape)    # no ties: max is smooth
    x = gl.tensor(distinct, dtype="float64")
    for fused, composed in ((F.max_pool2d, F.composed.max_pool2d), (F.avg_pool2d, F.composed.avg_pool2d)):
        assert gl.gradcheck(lambda t: fused(t, kernel, stride, padding), [x])
        results = []
        for pool in (fused, composed):
            leaf = gl.tensor(distinct, requires_grad=True, dtype="float64")
            y = pool(leaf, kernel, stride, padding)
            (y * y).sum().backward()
            results.append((y.data, leaf.grad))
        assert np.abs(results[0][0] - results[1][0]).max() < 1e-12
        assert np.abs(results[0][1] - results[1][1]).max() < 1e-12


def test_global_and_adaptive_average_pooling():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 5, 7))
    tensor = gl.tensor(x, requires_grad=True, dtype="float64")
    y = F.global_avg_pool2d(tensor)
    assert y.shape == (3, 4)
    assert F.adaptive_avg_pool2d(tensor, 1).shape == (3, 4, 1, 1)
    upstream = RNG.standard_normal((3, 4))
    y.backward(upstream)
    reference = torch.tensor(x, requires_grad=True)
    torch.nn.functional.adaptive_avg_pool2d(reference, 1).reshape(3, 4).backward(torch.tensor(upstream))
    assert np.abs(tensor.grad - reference.grad.numpy()).max() < 1e-12
    assert gl.gradcheck(F.global_avg_pool2d, [gl.tensor(x[:1, :2], dtype="float64")])
    assert np.abs(F.composed.global_avg_pool2d(tensor).data - y.data).max() < 1e-12


def test_pooling_errors():
    with pytest.raises(gl.ShapeError, match=r"max_pool2d: input of shape \(4, 4\) is 2-D.*pooling needs 4-D"):
        F.max_pool2d(gl.ones(4, 4), 2)
    with pytest.raises(gl.ShapeError, match="kernel 5x5 is larger than the padded input 4x4"):
        F.avg_pool2d(gl.ones(1, 1, 4, 4), 5)
    with pytest.raises(gl.ShapeError, match="padding 2 must be at most half the kernel"):
        F.max_pool2d(gl.ones(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(gl.ShapeError, match="adaptive_avg_pool2d: output_size 0 must be >= 1"):
        F.adaptive_avg_pool2d(gl.ones(1, 1, 8, 8), 0)
    with pytest.raises(gl.ShapeError, match=r"adaptive_avg_pool2d: input of shape \(8, 8\) is 2-D"):
        F.adaptive_avg_pool2d(gl.ones(8, 8), 2)
