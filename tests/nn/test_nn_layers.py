"""Each gl.nn layer against the PyTorch layer of the same name (weights copied through the state
dict, float64 values and gradients), plus shape inference and the batch norm options."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
from graphlab import nn

RNG = np.random.default_rng(4)

# (graphlab layer, torch layer factory, input shape)
LAYERS = [
    (lambda: nn.Linear(5, 3), lambda t: t.nn.Linear(5, 3), (4, 5)),
    (lambda: nn.Linear(5, 3, bias=False), lambda t: t.nn.Linear(5, 3, bias=False), (2, 4, 5)),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), lambda t: t.nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 6)),
    (lambda: nn.Conv2d(4, 4, (3, 1), dilation=2, groups=2, bias=False),
     lambda t: t.nn.Conv2d(4, 4, (3, 1), dilation=2, groups=2, bias=False), (2, 4, 7, 5)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1), lambda t: t.nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    (lambda: nn.AvgPool2d(2), lambda t: t.nn.AvgPool2d(2), (2, 3, 6, 7)),
    (lambda: nn.AdaptiveAvgPool2d(1), lambda t: t.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    (lambda: nn.AdaptiveAvgPool2d((3, 2)), lambda t: t.nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), lambda t: t.nn.MaxPool2d(3, stride=2, ceil_mode=True),
     (2, 3, 8, 7)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda t: t.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 7)),
    (lambda: nn.BatchNorm1d(3), lambda t: t.nn.BatchNorm1d(3), (6, 3)),
    (lambda: nn.BatchNorm1d(3, momentum=None), lambda t: t.nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    (lambda: nn.BatchNorm2d(3, affine=False), lambda t: t.nn.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
    (lambda: nn.BatchNorm2d(3, track_running_stats=False), lambda t: t.nn.BatchNorm2d(3, track_running_stats=False),
     (2, 3, 4, 4)),
    (lambda: nn.LayerNorm((3, 4)), lambda t: t.nn.LayerNorm((3, 4)), (2, 3, 4)),
    (lambda: nn.PReLU(3), lambda t: t.nn.PReLU(3), (2, 3, 4)),
    (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2), (3, 4)),
    (lambda: nn.ELU(0.7), lambda t: t.nn.ELU(0.7), (3, 4)),
    (lambda: nn.SELU(), lambda t: t.nn.SELU(), (3, 4)),
    (lambda: nn.GELU(), lambda t: t.nn.GELU(), (3, 4)),
    (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid(), (3, 4)),
    (lambda: nn.Tanh(), lambda t: t.nn.Tanh(), (3, 4)),
    (lambda: nn.ReLU(), lambda t: t.nn.ReLU(), (3, 4)),
    (lambda: nn.Softmax(axis=1), lambda t: t.nn.Softmax(dim=1), (3, 4)),
    (lambda: nn.Flatten(), lambda t: t.nn.Flatten(), (2, 3, 4)),
    (lambda: nn.Identity(), lambda t: t.nn.Identity(), (2, 3)),
]


@pytest.mark.parametrize("index", range(len(LAYERS)), ids=[f"{i}" for i in range(len(LAYERS))])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_layer_matches_pytorch(index, training):
    torch = pytest.importorskip("torch")
    make_ours, make_theirs, shape = LAYERS[index]
    theirs = make_theirs(torch).double()
    ours = make_ours().double()
    ours.load_state_dict(theirs.state_dict())
    ours.train(training), theirs.train(training)
    x = RNG.standard_normal(shape)
    for _ in range(2):                      # twice: running statistics carry over
        mine = gl.tensor(x, requires_grad=True)
        reference = torch.tensor(x, requires_grad=True)
        y, expected = ours(mine), theirs(reference)
        upstream = RNG.standard_normal(y.shape)
        y.backward(upstream)
        expected.backward(torch.tensor(upstream))
        assert y.shape == tuple(expected.shape) == ours.infer_shape(shape)
        assert np.abs(y.data - expected.detach().numpy()).max() < 1e-10
        assert np.abs(mine.grad - reference.grad.numpy()).max() < 1e-10
        grads = dict(theirs.named_parameters())
        for name, parameter in ours.named_parameters():
            assert np.abs(parameter.grad - grads[name].grad.numpy()).max() < 1e-10, name
        ours.zero_grad(), theirs.zero_grad()
        for name, value in theirs.state_dict().items():
            assert np.abs(ours.state_dict()[name] - value.numpy()).max() < 1e-12, name
        x = RNG.standard_normal(shape) * 2 + 0.5


def test_maxout_layer_and_dropout_modes():
    layer = nn.Maxout(4, 3, pieces=2)
    assert layer(gl.randn(5, 4)).shape == (5, 3) == layer.infer_shape((5, 4))
    dropout = nn.Dropout(0.5)
    x = gl.ones(100, 100)
    gl.manual_seed(3)
    assert np.any(dropout(x).data == 0)
    assert dropout.eval()(x) is x
    assert nn.Dropout2d(0.5).eval()(x) is x


def test_global_avg_pool_layer_and_flatten_shapes():
    assert nn.GlobalAvgPool2d()(gl.randn(2, 5, 3, 3)).shape == (2, 5) == nn.GlobalAvgPool2d().infer_shape((2, 5, 3, 3))
    assert nn.Flatten(0).infer_shape((2, 3, 4)) == (24,)
    assert nn.Flatten(1, 2).infer_shape((2, 3, 4, 5)) == (2, 12, 5)


def test_conv_layer_validation():
    with pytest.raises(gl.ShapeError, match="divisible by groups 3"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(gl.ShapeError, match="kernel_size"):
        nn.Conv2d(1, 1, (3, 3, 3))
    layer = nn.Conv2d(3, 8, 5)
    with pytest.raises(gl.ShapeError, match=r"in layer Conv2d: conv2d: kernel 5x5 is larger than the padded input 4x4"):
        layer.infer_shape((1, 3, 4, 4))
    assert "Conv2d(3, 8, kernel_size=(5, 5))" == layer._own_line()


def test_load_state_dict_after_forward_makes_the_old_graph_refuse_backward():
    """load_state_dict writes into the weights in place: the loss computed before it saved the
    old weights, so its backward is refused rather than mixing old and new values."""
    layer = gl.nn.Linear(2, 1)
    loss = layer(gl.tensor([[1.0, 2.0]])).sum()
    layer.load_state_dict({name: np.zeros_like(value) for name, value in layer.state_dict().items()})
    with pytest.raises(gl.errors.GraphlabError, match="modified|in place|changed"):
        loss.backward()
