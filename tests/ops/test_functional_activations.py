"""Activations (E32-E36) and dropout (E67-E69): PyTorch oracle, finite differences, the lecture's
numbers, fused == composed, and dropout's mask statistics and eval identity."""
from __future__ import annotations

import math

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.ops.activation import erf

RNG = np.random.default_rng(9)
X = np.concatenate([np.linspace(-6, 6, 23), RNG.standard_normal(13) * 3])
X = X[np.abs(X) > 1e-3]                                   # away from the kinks at 0

ACTIVATIONS = {
    "relu": (F.relu, lambda t, x: t.relu(x)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda t, x: t.nn.functional.leaky_relu(x, 0.1)),
    "elu": (lambda x: F.elu(x, 1.3), lambda t, x: t.nn.functional.elu(x, 1.3)),
    "selu": (F.selu, lambda t, x: t.nn.functional.selu(x)),
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x)),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda t, x: t.nn.functional.gelu(x, approximate="tanh")),
    "sigmoid": (F.sigmoid, lambda t, x: t.sigmoid(x)),
    "tanh": (F.tanh, lambda t, x: t.tanh(x)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_pytorch_and_finite_differences(name):
    torch = pytest.importorskip("torch")
    ours, theirs = ACTIVATIONS[name]
    for dtype, tolerance in ((np.float64, 1e-10), (np.float32, 1e-5)):
        x = gl.tensor(X.astype(dtype), requires_grad=True)
        y = ours(x)
        y.backward(np.ones_like(X, dtype=dtype))
        reference = torch.tensor(X.astype(dtype), requires_grad=True)
        expected = theirs(torch, reference)
        expected.sum().backward()
        assert y.dtype == dtype and x.grad.dtype == dtype
        assert np.abs(y.data - expected.detach().numpy()).max() <= tolerance * 10
        assert np.abs(x.grad - reference.grad.numpy()).max() <= tolerance * 10
    assert gl.gradcheck(ours, [gl.tensor(X[:12], dtype="float64")])


def test_prelu_per_channel_and_shared():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 2, 2))
    for slopes in (np.array([0.25]), np.array([0.1, -0.2, 0.3, 0.5])):
        ours = [gl.tensor(a, requires_grad=True, dtype="float64") for a in (x, slopes)]
        y = F.prelu(*ours)
        upstream = RNG.standard_normal(x.shape)
        y.backward(upstream)
        theirs = [torch.tensor(a, requires_grad=True) for a in (x, slopes)]
        expected = torch.nn.functional.prelu(*theirs)
        expected.backward(torch.tensor(upstream))
        assert np.abs(y.data - expected.detach().numpy()).max() < 1e-12
        for o, t in zip(ours, theirs):
            assert np.abs(o.grad - t.grad.numpy()).max() < 1e-12
        assert gl.gradcheck(F.prelu, [gl.tensor(x[:1], dtype="float64"), gl.tensor(slopes, dtype="float64")])
        composed = F.composed.prelu(*[gl.tensor(a, dtype="float64") for a in (x, slopes)])
        assert np.abs(composed.data - y.data).max() < 1e-12
    with pytest.raises(gl.ShapeError, match=r"prelu: weight of shape \(3,\) must be \(1,\) or \(channels,\) = \(4,\)"):
        F.prelu(gl.ones(2, 4), gl.ones(3))


def test_lecture_activation_numbers():
    """E32 sigmoid saturation, E34 tanh = 2σ(2x) - 1, E35 ReLU's local gradient, E36 values."""
    x = gl.tensor([-10.0, 0.0, 10.0], requires_grad=True, dtype="float64")
    y = F.sigmoid(x)
    y.backward(np.ones(3))
    assert y.data.tolist() == pytest.approx([4.5398e-5, 0.5, 0.9999546], rel=1e-4)
    assert x.grad.tolist() == pytest.approx([4.5396e-5, 0.25, 4.5396e-5], rel=1e-4)
    assert F.tanh(gl.tensor(0.7, dtype="float64")).item() == pytest.approx(2 * F.sigmoid(gl.tensor(1.4, dtype="float64")).item() - 1)
    assert gl.jacobian(F.relu, gl.tensor([-10.0, 10.0], dtype="float64")).diagonal().tolist() == [0.0, 1.0]
    assert F.leaky_relu(gl.tensor(-10.0), 0.01).item() == pytest.approx(-0.1)
    assert F.elu(gl.tensor(-1.0, dtype="float64")).item() == pytest.approx(-0.6321206, abs=1e-7)
    gelu = F.gelu(gl.tensor(np.linspace(-3, 0, 31), dtype="float64")).data
    assert np.any(np.diff(gelu) < 0)                        # GELU is not monotonic


def test_selu_self_normalizes():
    """E36: SELU keeps mean 0 and std 1 through a deep stack of LeCun-initialized layers, without BN."""
    rng = np.random.default_rng(0)
    h = gl.tensor(rng.standard_normal((1000, 256)), dtype="float64")
    for _ in range(10):
        h = F.selu(F.linear(h, gl.tensor(rng.standard_normal((256, 256)) / 16, dtype="float64")))
    assert abs(h.data.mean()) < 0.1 and abs(h.data.std() - 1) < 0.1


def test_maxout_generalizes_relu_and_doubles_parameters():
    """E36: max(w1ᵀx + b1, w2ᵀx + b2) with w2 = b2 = 0 is ReLU(w1ᵀx + b1)."""
    x = RNG.standard_normal((5, 3))
    w = RNG.standard_normal((2, 3))
    pieces = np.stack([w, np.zeros_like(w)], axis=1).reshape(4, 3)       # (out, piece) interleaved
    y = F.maxout(F.linear(gl.tensor(x, dtype="float64"), gl.tensor(pieces, dtype="float64")), pieces=2, axis=1)
    assert np.allclose(y.data, np.maximum(x @ w.T, 0))
    assert gl.nn.Maxout(3, 2).num_parameters() == 2 * gl.nn.Linear(3, 2).num_parameters()
    grouped = RNG.permutation(24).reshape(2, 6, 2) * 0.1
    assert gl.gradcheck(lambda t: F.maxout(t, 3, axis=1), [gl.tensor(grouped, dtype="float64")])
    composed = F.composed.maxout(gl.tensor(grouped, dtype="float64"), 3, axis=1)
    assert np.array_equal(composed.data, F.maxout(gl.tensor(grouped, dtype="float64"), 3).data)
    with pytest.raises(gl.ShapeError, match="divisible by pieces=4"):
        F.maxout(gl.ones(2, 6), 4)


def test_fused_selu_and_gelu_tanh_equal_their_composed_twins():
    for fused, composed in ((F.selu, F.composed.selu), (lambda x: F.gelu(x, "tanh"), F.composed.gelu_tanh)):
        results = []
        for function in (fused, composed):
            leaf = gl.tensor(X, requires_grad=True, dtype="float64")
            (function(leaf) ** 2).sum().backward()
            results.append((function(leaf).data, leaf.grad))
        assert np.abs(results[0][0] - results[1][0]).max() < 1e-12
        assert np.abs(results[0][1] - results[1][1]).max() < 1e-12


def test_erf_is_double_precision():
    points = np.concatenate([np.linspace(-7, 7, 1401), [-30.0, -9.0, 9.0, 40.0, 0.0, 1e-8]])
    assert np.abs(erf(points) - np.array([math.erf(p) for p in points])).max() < 5e-16


# -- dropout ----------------------------------------------------------------------------------------
def test_dropout_mask_statistics_and_scaling():
    gl.manual_seed(1)
    x = gl.ones(200, 500, requires_grad=True)
    y = F.dropout(x, p=0.3, training=True)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01                  # each unit kept with probability 1 - p
    assert np.allclose(y.data[kept], 1 / 0.7)             # survivors scaled: inverted dropout (E69)
    assert abs(y.data.mean() - 1.0) < 0.02                # the expectation equals the input
    y.sum().backward()
    assert np.array_equal(x.grad, y.data)                 # the same mask routes the gradient
    assert abs(np.corrcoef(kept[:, :-1].ravel(), kept[:, 1:].ravel())[0, 1]) < 0.02    # independent units


def test_dropout_eval_identity_and_extremes():
    x = gl.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert gl.nn.Dropout(0.5).eval()(x) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match=r"p=1.5 is a probability"):
        F.dropout(x, 1.5)


def test_dropout_expectation_example():
    """E68/E69: a = w1 x + w2 y with w = (1, 2), (x, y) = (3, 4): four masks give 11, 3, 8, 0 (mean 5.5);
    inverted dropout scales by 1/0.5, so the mean is the test output 11."""
    w, inputs = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    masks = [np.array(m) for m in ((1, 1), (1, 0), (0, 1), (0, 0))]
    outputs = [float(w @ (inputs * m)) for m in masks]
    assert sorted(outputs) == [0, 3, 8, 11] and np.mean(outputs) == 5.5
    gl.manual_seed(0)
    draws = [float((F.dropout(gl.tensor(inputs, dtype="float64"), 0.5).data * w).sum()) for _ in range(4000)]
    assert set(draws) <= {0.0, 6.0, 16.0, 22.0}
    assert abs(np.mean(draws) - 11.0) < 0.4


def test_dropout2d_drops_whole_channels():
    gl.manual_seed(2)
    y = F.dropout2d(gl.ones(50, 40, 3, 3), p=0.5)
    per_map = y.data.reshape(50, 40, 9)
    assert np.all((per_map == 0).all(axis=2) | (per_map == 2).all(axis=2))
    assert abs((per_map[:, :, 0] == 0).mean() - 0.5) < 0.05
