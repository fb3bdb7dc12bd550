"""Batch norm and layer norm: E43-E45 numbers, train/eval against PyTorch (running statistics
included), finite differences, fused == composed, and the single-value-per-channel error."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F

RNG = np.random.default_rng(5)
SHAPES = [(6, 3), (4, 3, 5), (3, 4, 5, 6)]


def test_e43_forward_transform():
    x = gl.tensor([[1.0], [2.0], [3.0], [4.0]], dtype="float64")
    y = F.batch_norm(x, None, None, training=True, eps=0.0)
    assert np.allclose(y.data.ravel(), [-1.34164079, -0.4472136, 0.4472136, 1.34164079], atol=1e-8)
    with_eps = F.batch_norm(x, None, None, training=True)             # eps changes the 6th decimal
    assert np.abs(with_eps.data - y.data).max() < 1e-5
    scaled = F.batch_norm(x, None, None, gl.tensor([2.0], dtype="float64"), gl.tensor([1.0], dtype="float64"),
                          training=True, eps=0.0)
    assert np.allclose(scaled.data, 2 * y.data + 1)


def test_e44_eval_batch_norm_folds_into_the_linear_layer():
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    x = gl.tensor(rng.standard_normal((5, 4)), dtype="float64")
    bn = F.batch_norm(F.linear(x, gl.tensor(W), gl.tensor(b)), mean, var, gl.tensor(gamma), gl.tensor(beta),
                      training=False)
    scale = gamma / np.sqrt(var + 1e-5)
    folded = F.linear(x, gl.tensor(W * scale[:, None]), gl.tensor(scale * (b - mean) + beta))
    assert np.abs(bn.data - folded.data).max() < 1e-12


def test_e45_statistics_per_channel_over_n_h_w():
    x = RNG.standard_normal((4, 3, 5, 5)) * np.array([1, 5, 10])[None, :, None, None] + np.array([0, 3, -7])[None, :, None, None]
    y = F.batch_norm(gl.tensor(x, dtype="float64"), None, None, training=True)
    assert np.allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(y.data.var(axis=(0, 2, 3)), 1, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_matches_pytorch(shape, training):
    torch = pytest.importorskip("torch")
    channels = shape[1]
    for dtype, tolerance in ((np.float64, 1e-10), (np.float32, 1e-4)):
        x = (RNG.standard_normal(shape) * 2 + 1).astype(dtype)
        weight, bias = RNG.standard_normal(channels).astype(dtype), RNG.standard_normal(channels).astype(dtype)
        mean, var = RNG.standard_normal(channels).astype(dtype), (RNG.random(channels) + 0.5).astype(dtype)
        ours = [gl.tensor(a, requires_grad=True) for a in (x, weight, bias)]
        running = [mean.copy(), var.copy()]
        y = F.batch_norm(ours[0], running[0], running[1], ours[1], ours[2], training=training, momentum=0.2)
        upstream = RNG.standard_normal(shape).astype(dtype)
        y.backward(upstream)
        theirs = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
        torch_running = [torch.tensor(mean), torch.tensor(var)]
        expected = torch.nn.functional.batch_norm(theirs[0], *torch_running, theirs[1], theirs[2],
                                                  training=training, momentum=0.2)
        expected.backward(torch.tensor(upstream))
        pairs = [(y.data, expected.detach().numpy())] + [(o.grad, t.grad.numpy()) for o, t in zip(ours, theirs)]
        pairs += [(r, t.numpy()) for r, t in zip(running, torch_running)]
        for actual, reference in pairs:
            assert actual.dtype == dtype
            assert np.abs(actual - reference).max() <= tolerance * max(1.0, np.abs(reference).max())


@pytest.mark.parametrize("shape", [(5, 2), (3, 2, 3), (2, 2, 3, 3)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_gradcheck_and_composed_twin(shape, training):
    channels = shape[1]
    x = RNG.standard_normal(shape) * 2 + 1
    weight, bias = RNG.standard_normal(channels), RNG.standard_normal(channels)
    mean, var = RNG.standard_normal(channels), RNG.random(channels) + 0.5
    inputs = [gl.tensor(a, dtype="float64") for a in (x, weight, bias)]
    assert gl.gradcheck(lambda *t: F.batch_norm(t[0], mean.copy(), var.copy(), t[1], t[2], training=training),
                        inputs)
    results = []
    for norm in (F.batch_norm, F.composed.batch_norm):
        leaves = [gl.tensor(a, requires_grad=True, dtype="float64") for a in (x, weight, bias)]
        y = norm(leaves[0], mean.copy(), var.copy(), leaves[1], leaves[2], training=training)
        (y * y * y).sum().backward()
        results.append([y.data] + [leaf.grad for leaf in leaves])
    for fused, composed in zip(*results):
        assert np.abs(fused - composed).max() < 1e-10


def test_batch_norm_float32_with_a_large_mean_stays_accurate():
    """|μ| >> σ: the one-pass variance E[x²] - μ² would cancel in float32; batch norm centres first."""
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((16, 3, 4, 4)) * np.array([1.0, 0.01, 5.0])[None, :, None, None]
         + np.array([1000.0, 3.0, -2.0])[None, :, None, None]).astype(np.float32)
    ours = gl.tensor(x, requires_grad=True)
    y = F.batch_norm(ours, None, None, gl.ones(3), gl.zeros(3), training=True)
    upstream = RNG.standard_normal(x.shape).astype(np.float32)
    y.backward(upstream)
    reference = torch.tensor(x.astype(np.float64), requires_grad=True)
    expected = torch.nn.functional.batch_norm(reference, None, None, training=True)
    expected.backward(torch.tensor(upstream.astype(np.float64)))
    assert np.abs(y.data - expected.detach().numpy()).max() < 5e-4          # the one-pass formula: 0.1
    assert np.abs(ours.grad - reference.grad.numpy()).max() < 1e-5 * np.abs(reference.grad.numpy()).max()


def test_batch_norm_without_affine_parameters():
    x = gl.tensor(RNG.standard_normal((4, 3)), dtype="float64")
    assert gl.gradcheck(lambda t: F.batch_norm(t, None, None, training=True), [x])
    y = F.batch_norm(x, None, None, training=True)
    assert np.allclose(y.data.mean(axis=0), 0, atol=1e-12)


def test_running_statistics_convention_and_eval_before_training():
    layer = gl.nn.BatchNorm2d(2)
    x = gl.tensor((RNG.standard_normal((4, 2, 3, 3)) * 3 + 2).astype(np.float32))
    layer.eval()
    before = layer(x)                    # eval before any training: the initial statistics (0, 1)
    assert np.allclose(before.data, x.data / np.sqrt(1 + 1e-5), atol=1e-6)
    layer.train()
    layer(x)
    values = x.data.transpose(1, 0, 2, 3).reshape(2, -1).astype(np.float64)
    assert np.allclose(layer.running_mean.data, 0.1 * values.mean(axis=1), atol=1e-6)
    assert np.allclose(layer.running_var.data, 0.9 + 0.1 * values.var(axis=1, ddof=1), atol=1e-5)   # unbiased
    assert int(layer.num_batches_tracked.data) == 1


def test_batch_norm_errors():
    with pytest.raises(gl.ShapeError, match=r"training mode needs more than 1 value per channel.*\(1, 8\).*eval"):
        F.batch_norm(gl.ones(1, 8), None, None, training=True)
    with pytest.raises(gl.ShapeError, match=r"in layer BatchNorm2d: batch_norm: training mode needs more than 1"):
        gl.nn.BatchNorm2d(3)(gl.ones(1, 3, 1, 1))
    F.batch_norm(gl.ones(1, 8), np.zeros(8), np.ones(8), training=False)        # fine in eval
    with pytest.raises(gl.ShapeError, match=r"weight has shape \(4,\) but the input \(2, 3\) has 3 channels"):
        F.batch_norm(gl.ones(2, 3), None, None, gl.ones(4), gl.zeros(4), training=True)
    with pytest.raises(gl.ShapeError, match="BatchNorm2d: input of shape .* use BatchNorm1d"):
        gl.nn.BatchNorm2d(3)(gl.ones(4, 3))
    with pytest.raises(gl.ShapeError, match=r"batch_norm: input of shape \(5,\)"):
        F.batch_norm(gl.ones(5), None, None, training=True)


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4), (3, 4)), ((2, 3, 2, 5), (5,))])
def test_layer_norm_matches_pytorch_gradcheck_and_composed(shape, normalized):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape) * 2 + 1
    weight, bias = RNG.standard_normal(normalized), RNG.standard_normal(normalized)
    ours = [gl.tensor(a, requires_grad=True, dtype="float64") for a in (x, weight, bias)]
    y = F.layer_norm(ours[0], normalized, ours[1], ours[2])
    upstream = RNG.standard_normal(shape)
    y.backward(upstream)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    expected = torch.nn.functional.layer_norm(theirs[0], normalized, theirs[1], theirs[2])
    expected.backward(torch.tensor(upstream))
    assert np.abs(y.data - expected.detach().numpy()).max() < 1e-10
    for o, t in zip(ours, theirs):
        assert np.abs(o.grad - t.grad.numpy()).max() < 1e-10
    small = [gl.tensor(a, dtype="float64") for a in (x[:2], weight, bias)]
    assert gl.gradcheck(lambda *t: F.layer_norm(t[0], normalized, t[1], t[2]), small)
    composed = F.composed.layer_norm(*[gl.tensor(a, dtype="float64") for a in (x, weight, bias)][:1], normalized,
                                     gl.tensor(weight), gl.tensor(bias))
    assert np.abs(composed.data - y.data).max() < 1e-10
    with pytest.raises(gl.ShapeError, match="normalized_shape"):
        F.layer_norm(gl.ones(*shape), (7,))
