"""Double backward through the fused CNN ops: under ``create_graph=True`` each fused op
(conv, pooling, batch/layer norm, the losses, GELU/SELU/PReLU) is differentiated through its
composed twin, so second derivatives exist and equal PyTorch's and finite differences of the
first gradient; the first-order path keeps the fused backward and its numbers.

Every case is a scalar objective L = Σ c ⊙ tanh(op(inputs)) (c a fixed random array), so the
Hessian-vector product exercises both terms of the second-order chain rule: the op's Jacobian
around tanh's curvature, and the op's own second derivative weighted by the upstream.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.ops.conv import Conv2d

RNG_SEED = 1234


@dataclass
class Case:
    name: str
    shapes: list                       # the shapes of the differentiated inputs
    graphlab: Callable                 # (*Tensors) -> Tensor
    torch: Callable                    # (torch_functional, *torch tensors) -> torch tensor
    values: Callable = None            # rng, shape -> array (default: standard normal)
    finite_differences: bool = True    # False where the op has a kink at the point (ties)


def _away_from_zero(rng, shape):
    """Normal values pushed away from 0, where SELU and PReLU have their kink."""
    values = rng.standard_normal(shape)
    return values + np.sign(values) * 0.2


def _ties(rng, shape):
    """Small integers: max-pooling windows with several equal maxima."""
    return rng.integers(0, 3, size=shape).astype(np.float64)


def _first_max(grouped, dim):
    """torch's max along ``dim`` with the gradient routed to the first maximum (amax splits ties)."""
    winner = grouped.argmax(dim=dim, keepdim=True)            # argmax returns the first maximum
    return grouped.gather(dim, winner).squeeze(dim)


def _hinge(scores, labels):
    """CS231n's loss in torch ops (multi_margin_loss has no double backward in torch)."""
    import torch
    rows = range(len(labels))
    margins = (scores - scores[rows, labels].unsqueeze(1) + 1).clamp(min=0)
    others = 1 - torch.nn.functional.one_hot(labels, scores.shape[1])
    return (margins * others).sum(dim=1)


LABELS = np.array([0, 2, 1])
PROBABILITIES = np.array([[0.2, 0.5, 0.3], [0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])
RUNNING_MEAN, RUNNING_VAR = np.array([0.1, -0.3, 0.2]), np.array([0.8, 1.5, 0.6])


def _conv(**params):
    return (lambda x, w, b: F.conv2d(x, w, b, **params),
            lambda tf, x, w, b: tf.conv2d(x, w, b, **params))


def _th(array):
    import torch
    return torch.tensor(array)


CASES = [
    Case("conv2d", [(2, 3, 5, 5), (4, 3, 3, 3), (4,)], *_conv()),
    Case("conv2d_stride2_padding1", [(2, 2, 5, 5), (3, 2, 3, 3), (3,)], *_conv(stride=2, padding=1)),
    Case("conv2d_dilation2", [(1, 2, 6, 6), (2, 2, 2, 2), (2,)], *_conv(dilation=2)),
    Case("conv2d_groups2", [(2, 4, 4, 4), (6, 2, 3, 3), (6,)], *_conv(groups=2, padding=1)),
    # many input channels, one output channel, stride 1: the fused node takes implicit GEMM
    Case("conv2d_implicit_gemm", [(1, 8, 4, 4), (1, 8, 3, 3), (1,)], *_conv(padding=1)),
    Case("max_pool2d", [(2, 3, 4, 4)], lambda x: F.max_pool2d(x, 2), lambda tf, x: tf.max_pool2d(x, 2)),
    Case("max_pool2d_overlapping_padded", [(1, 2, 5, 5)], lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
         lambda tf, x: tf.max_pool2d(x, 3, stride=2, padding=1)),
    # ties: the first maximum of a window takes the gradient, in both passes, as in PyTorch
    Case("max_pool2d_ties", [(2, 2, 4, 4)], lambda x: F.max_pool2d(x, 2, stride=1),
         lambda tf, x: tf.max_pool2d(x, 2, stride=1), values=_ties, finite_differences=False),
    Case("avg_pool2d", [(2, 3, 4, 4)], lambda x: F.avg_pool2d(x, 2), lambda tf, x: tf.avg_pool2d(x, 2)),
    Case("avg_pool2d_overlapping_padded", [(1, 2, 5, 5)], lambda x: F.avg_pool2d(x, 3, stride=1, padding=1),
         lambda tf, x: tf.avg_pool2d(x, 3, stride=1, padding=1)),
    Case("global_avg_pool2d", [(2, 3, 3, 4)], lambda x: F.global_avg_pool2d(x),
         lambda tf, x: x.mean(dim=(2, 3))),
    Case("batch_norm_train_images", [(3, 3, 2, 2), (3,), (3,)],
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda tf, x, w, b: tf.batch_norm(x, None, None, w, b, training=True)),
    Case("batch_norm_train_features", [(4, 3)],
         lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3),
         lambda tf, x: tf.batch_norm(x, None, None, training=True, eps=1e-3)),
    Case("batch_norm_eval", [(3, 3, 2, 2), (3,), (3,)],
         lambda x, w, b: F.batch_norm(x, RUNNING_MEAN, RUNNING_VAR, w, b, training=False),
         lambda tf, x, w, b: tf.batch_norm(x, _th(RUNNING_MEAN), _th(RUNNING_VAR), w, b, training=False)),
    Case("layer_norm", [(3, 4), (4,), (4,)], lambda x, w, b: F.layer_norm(x, 4, w, b),
         lambda tf, x, w, b: tf.layer_norm(x, (4,), w, b)),
    Case("layer_norm_two_axes", [(2, 2, 3)], lambda x: F.layer_norm(x, (2, 3)),
         lambda tf, x: tf.layer_norm(x, (2, 3))),
    Case("cross_entropy", [(3, 3)], lambda s: F.cross_entropy(s, LABELS),
         lambda tf, s: tf.cross_entropy(s, _th(LABELS))),
    Case("cross_entropy_smoothing_sum", [(3, 3)],
         lambda s: F.cross_entropy(s, LABELS, label_smoothing=0.2, reduction="sum"),
         lambda tf, s: tf.cross_entropy(s, _th(LABELS), label_smoothing=0.2, reduction="sum")),
    Case("cross_entropy_probabilities_none", [(3, 3)],
         lambda s: F.cross_entropy(s, PROBABILITIES, reduction="none"),
         lambda tf, s: tf.cross_entropy(s, _th(PROBABILITIES), reduction="none")),
    Case("nll_loss", [(3, 3)], lambda s: F.nll_loss(s.log_softmax(axis=1), LABELS),
         lambda tf, s: tf.nll_loss(s.log_softmax(dim=1), _th(LABELS))),
    Case("binary_cross_entropy_with_logits", [(2, 3), (2, 3)],
         lambda s, t: F.binary_cross_entropy_with_logits(s, t),
         lambda tf, s, t: tf.binary_cross_entropy_with_logits(s, t)),
    # small scores keep every margin near Δ = 1, and the per-sample losses where tanh still bends
    Case("multiclass_hinge_loss", [(3, 4)], lambda s: F.multiclass_hinge_loss(s, LABELS, reduction="none") * 0.3,
         lambda tf, s: _hinge(s, _th(LABELS)) * 0.3, values=lambda rng, shape: 0.3 * rng.standard_normal(shape)),
    Case("maxout", [(2, 6)], lambda x: F.maxout(x, 3), lambda tf, x: x.unflatten(1, (-1, 3)).amax(dim=2)),
    Case("maxout_last_axis_ties", [(2, 2, 4)], lambda x: F.maxout(x, 2, axis=-1),
         lambda tf, x: _first_max(x.unflatten(-1, (-1, 2)), -1), values=_ties, finite_differences=False),
    Case("gelu", [(2, 5)], lambda x: F.gelu(x), lambda tf, x: tf.gelu(x)),
    Case("gelu_tanh", [(2, 5)], lambda x: F.gelu(x, approximate="tanh"),
         lambda tf, x: tf.gelu(x, approximate="tanh")),
    Case("selu", [(2, 5)], lambda x: F.selu(x), lambda tf, x: tf.selu(x), values=_away_from_zero),
    Case("prelu", [(2, 3, 2), (3,)], lambda x, a: F.prelu(x, a), lambda tf, x, a: tf.prelu(x, a),
         values=_away_from_zero),
]
BY_NAME = {case.name: case for case in CASES}


def _inputs(case):
    rng = np.random.default_rng(RNG_SEED)
    make = case.values or (lambda generator, shape: generator.standard_normal(shape))
    values = [make(rng, shape) for shape in case.shapes]
    directions = [rng.standard_normal(shape) for shape in case.shapes]
    return values, directions


def _weights(case, values):
    """The fixed c of L = Σ c ⊙ tanh(op(inputs)), shaped like the op's output."""
    output = case.graphlab(*[gl.tensor(value) for value in values])
    return np.random.default_rng(RNG_SEED + 1).standard_normal(output.shape)


def _objective(case, weights):
    return lambda *tensors: (case.graphlab(*tensors).tanh() * weights).sum()


def _graphlab_gradient_and_hvp(case, values, directions, weights):
    leaves = [gl.tensor(value, requires_grad=True) for value in values]
    gradients = gl.grad(_objective(case, weights)(*leaves), leaves, create_graph=True)
    along = sum(((gradient * direction).sum() for gradient, direction in zip(gradients, directions)))
    products = gl.grad(along, leaves, allow_unused=True)
    return ([gradient.data for gradient in gradients],
            [np.zeros(leaf.shape) if product is None else product.data for leaf, product in zip(leaves, products)])


def _first_gradient(case, values, weights):
    leaves = [gl.tensor(value, requires_grad=True) for value in values]
    return [gradient.data for gradient in gl.grad(_objective(case, weights)(*leaves), leaves)]


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_hessian_vector_product_equals_pytorch(name):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as tf
    case = BY_NAME[name]
    values, directions = _inputs(case)
    weights = _weights(case, values)
    gradients, products = _graphlab_gradient_and_hvp(case, values, directions, weights)
    leaves = [torch.tensor(value, requires_grad=True) for value in values]
    loss = (torch.tanh(case.torch(tf, *leaves)) * torch.tensor(weights)).sum()
    expected = torch.autograd.grad(loss, leaves, create_graph=True)
    along = sum((gradient * torch.tensor(direction)).sum() for gradient, direction in zip(expected, directions))
    expected_products = torch.autograd.grad(along, leaves, allow_unused=True)
    for ours, theirs in zip(gradients, expected):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs, leaf in zip(products, expected_products, leaves):
        theirs = np.zeros(leaf.shape) if theirs is None else theirs.numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)
    assert any(np.abs(product).max() > 1e-3 for product in products)      # a real second derivative


@pytest.mark.parametrize("name", sorted(name for name, case in BY_NAME.items() if case.finite_differences))
def test_hessian_vector_product_equals_finite_differences_of_the_gradient(name):
    case = BY_NAME[name]
    values, directions = _inputs(case)
    weights = _weights(case, values)
    _, products = _graphlab_gradient_and_hvp(case, values, directions, weights)
    step = 1e-6
    ahead = _first_gradient(case, [v + step * d for v, d in zip(values, directions)], weights)
    behind = _first_gradient(case, [v - step * d for v, d in zip(values, directions)], weights)
    for product, forward, backward in zip(products, ahead, behind):
        np.testing.assert_allclose(product, (forward - backward) / (2 * step), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_first_gradient_under_create_graph_equals_the_fused_backward(name):
    case = BY_NAME[name]
    values, directions = _inputs(case)
    weights = _weights(case, values)
    through_twin, _ = _graphlab_gradient_and_hvp(case, values, directions, weights)
    for twin, fused in zip(through_twin, _first_gradient(case, values, weights)):
        np.testing.assert_allclose(twin, fused, rtol=1e-10, atol=1e-13)


def test_first_order_backward_never_builds_the_twin(monkeypatch):
    """create_graph=False keeps the fused numpy backward: the twin is not even called, and
    the gradients are the same numbers as before the fallback existed (a known value)."""
    calls = []
    original = Conv2d.composed

    def counted(ctx, *inputs):
        calls.append(ctx.name)
        return original(ctx, *inputs)

    monkeypatch.setattr(Conv2d, "composed", staticmethod(counted))
    x = gl.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    w = gl.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert calls == []
    # each pixel's gradient counts the 2x2 windows that read it (corners 1, edges 2, inside 4)
    assert x.grad[0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    assert w.grad[0, 0].tolist() == [[45, 54], [81, 90]]
    gl.grad(F.conv2d(x, w).sum(), x, create_graph=True)
    assert calls == ["conv2d"]


def test_second_derivative_of_a_known_case():
    """d²/dx² gelu(x) = φ(x)(2 − x²); at x = 1: 0.24197072451914337."""
    x = gl.tensor([1.0], dtype=np.float64, requires_grad=True)
    (first,) = gl.grad(F.gelu(x).sum(), x, create_graph=True)
    (second,) = gl.grad(first.sum(), x)
    assert second.data[0] == pytest.approx(np.exp(-0.5) / np.sqrt(2 * np.pi), rel=1e-12)


def test_hvp_of_a_cross_entropy_loss_of_a_small_conv_net():
    """The issue's case: gl.hvp of a cross-entropy loss through conv, batch norm, GELU, max
    pooling and global average pooling, equal to finite differences of the gradient."""
    rng = np.random.default_rng(7)
    images, weight = rng.standard_normal((2, 2, 6, 6)), gl.tensor(rng.standard_normal((3, 2, 3, 3)))

    def loss(x):
        hidden = F.gelu(F.batch_norm(F.conv2d(x, weight, padding=1), None, None, training=True))
        return F.cross_entropy(F.global_avg_pool2d(F.max_pool2d(hidden, 2)), [0, 2])

    direction = rng.standard_normal(images.shape)
    product = gl.hvp(loss, gl.tensor(images), direction)
    step = 1e-6
    gradient_at = lambda at: gl.grad(loss(leaf := gl.tensor(at, requires_grad=True)), leaf)[0].data
    numeric = (gradient_at(images + step * direction) - gradient_at(images - step * direction)) / (2 * step)
    np.testing.assert_allclose(product, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(product).max() > 1e-3


def test_the_twin_of_training_batch_norm_leaves_the_running_statistics_alone():
    """forward updated them once; differentiating twice must not update them again."""
    x = gl.tensor(np.random.default_rng(5).standard_normal((4, 2)), requires_grad=True)
    running_mean, running_var = np.zeros(2), np.ones(2)
    y = F.batch_norm(x, running_mean, running_var, training=True)
    after_forward = running_mean.copy(), running_var.copy()
    (first,) = gl.grad((y.tanh() * np.arange(8.0).reshape(4, 2)).sum(), x, create_graph=True)
    gl.grad(first.sum(), x)
    np.testing.assert_array_equal(running_mean, after_forward[0])
    np.testing.assert_array_equal(running_var, after_forward[1])
    np.testing.assert_allclose(running_mean, 0.1 * x.data.mean(axis=0), rtol=1e-12)


def test_an_input_given_twice_gets_its_gradient_once():
    x = gl.tensor(np.random.default_rng(3).standard_normal((1, 1, 3, 3)), requires_grad=True)
    (first,) = gl.grad(F.conv2d(x, x).sum(), x, create_graph=True)       # y = Σ x², dy/dx = 2x
    np.testing.assert_allclose(first.data, 2 * x.data, rtol=1e-12)
    (second,) = gl.grad(first.sum(), x)
    np.testing.assert_allclose(second.data, np.full(x.shape, 2.0), rtol=1e-12)


def test_every_built_in_op_can_be_differentiated_twice():
    """Each differentiable built-in op either has a differentiable backward or a composed twin,
    and every twin is exercised by a case above."""
    from graphlab.ops.registry import builtin_ops
    twins = {name for name, op in builtin_ops().items() if op.differentiable and not op.higher_order}
    assert [name for name in sorted(twins) if builtin_ops()[name].composed is None] == []
    covered = {name for name in twins if any(case.name.startswith(name) for case in CASES)}
    assert covered == twins


def test_a_twin_that_does_not_reproduce_the_op_is_an_error_not_a_wrong_number(monkeypatch):
    """A setting the twin does not mirror (here: the twin forgets the padding) is caught by
    comparing the twin's output with the fused node's."""
    from graphlab.ops.conv import conv2d
    monkeypatch.setattr(Conv2d, "composed", staticmethod(lambda ctx, x, w: conv2d(x, w)))
    x = gl.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    w = gl.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    with pytest.raises(gl.BackwardError, match=r"conv2d: its composed twin does not reproduce .*padding=1"):
        gl.grad(F.conv2d(x, w, padding=1).sum(), x, create_graph=True)
