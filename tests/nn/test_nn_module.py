"""gl.nn.Module: registration, traversal, modes, state dicts (and their errors), repr, scopes,
shape-only construction, init (E38-E42), and summary."""
from __future__ import annotations

import math

import numpy as np
import pytest

import graphlab as gl
from graphlab import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.act(self.bn(self.fc1(x))))


def test_registration_and_traversal():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"]
    assert [name for name, _ in model.named_children()] == ["fc1", "bn", "act", "fc2"]
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "bn", "act", "fc2"]
    assert [name for name, _ in model.named_buffers()] == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert model.num_parameters() == 4 * 8 + 8 + 16 + 8 * 3 + 3
    assert all(p.requires_grad for p in model.parameters())
    shared = nn.Sequential(model.fc1, model.fc1)               # a shared layer counts once
    assert shared.num_parameters() == 40
    model.fc2 = nn.Linear(8, 5)                                 # reassigning replaces the child
    assert model(gl.randn(6, 4)).shape == (6, 5)


def test_super_init_is_required_with_a_clear_message():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Forgetful()


def test_train_eval_and_zero_grad():
    model = TwoLayer()
    assert model.training and model.bn.training
    assert model.eval() is model and not model.bn.training
    model.train()
    out = model(gl.randn(6, 4))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_and_errors():
    gl.manual_seed(0)
    source, target = TwoLayer(), TwoLayer()
    source(gl.randn(6, 4))                                   # moves the running statistics
    state = source.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                           "bn.num_batches_tracked", "fc2.weight", "fc2.bias"]
    state["fc1.weight"][0, 0] = 123.0                        # a copy: the model is untouched
    assert source.fc1.weight.data[0, 0] != 123.0
    weight = target.fc1.weight
    target.load_state_dict(source.state_dict())
    assert target.fc1.weight is weight                       # loaded in place
    x = gl.randn(3, 4)
    source.eval(), target.eval()
    assert np.array_equal(source(x).data, target(x).data)
    broken = source.state_dict()
    del broken["bn.bias"]
    broken["fc3.weight"] = np.zeros(2)
    with pytest.raises(KeyError, match=r"missing keys \['bn.bias'\]; unexpected keys \['fc3.weight'\]"):
        target.load_state_dict(broken)
    target.load_state_dict(broken, strict=False)
    wrong = source.state_dict()
    wrong["fc2.weight"] = np.zeros((3, 9))
    with pytest.raises(gl.ShapeError, match=r"fc2.weight has shape \(3, 9\) in the state dict but \(3, 8\) in the model"):
        target.load_state_dict(wrong)


def test_state_dict_keys_and_values_match_pytorch():
    torch = pytest.importorskip("torch")
    reference = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                    torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 2))
    ours = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 2))
    assert list(ours.state_dict()) == list(reference.state_dict())
    ours.load_state_dict(reference.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    assert np.abs(ours(gl.tensor(x)).data - reference(torch.tensor(x)).detach().numpy()).max() < 1e-5


def test_scope_is_recorded_on_every_node():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 3 * 3, 2))
    block = nn.DenseBlock(2, 2, 2)
    out = model(gl.randn(1, 1, 5, 5, requires_grad=True))
    scopes = set()
    stack = [out]
    while stack:
        node = stack.pop()
        if node.creator is not None:
            scopes.add(node.scope)
            stack.extend(node.creator.inputs)
    assert scopes == {("Sequential", "0:Conv2d"), ("Sequential", "1:ReLU"), ("Sequential", "2:Flatten"),
                      ("Sequential", "3:Linear")}
    inner = block(gl.randn(2, 2, 4, 4, requires_grad=True))
    conv_nodes = [step.node for step in inner.sum().backward() if step.op == "conv2d"]
    assert {node.scope for node in conv_nodes} == {("DenseBlock", "denselayer1:DenseLayer", "conv1:Conv2d"),
                                                   ("DenseBlock", "denselayer2:DenseLayer", "conv1:Conv2d")}
    assert gl.scalar(1.0).scope == ()                       # nothing leaks out of a module call


def test_repr_tree_shows_output_shapes_and_parameter_counts():
    model = TwoLayer()
    text = repr(model)
    assert "(fc1): Linear(4, 8)  # 40 params" in text and "out" not in text
    model(gl.randn(6, 4))
    text = repr(model)
    assert text.splitlines()[0] == "TwoLayer(  # out (6, 3), 83 params"
    assert "(fc1): Linear(4, 8)  # out (6, 8), 40 params" in text
    assert "(act): ReLU()  # out (6, 8)" in text


def test_to_double_for_gradcheck():
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(3 * 2 * 2, 2)).double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4))
    assert gl.gradcheck(lambda t: (model(t) ** 2).sum(), [gl.tensor(x)])
    assert gl.gradcheck(lambda w: _with_weight(model, w, x), [gl.tensor(model[0].weight.data)])


def _with_weight(model, weight, x):
    """The model's loss as a function of its first conv weight (gradcheck perturbs that leaf)."""
    saved = model[0].weight
    object.__getattribute__(model[0], "_parameters")["weight"] = weight
    try:
        return (model(gl.tensor(x)) ** 2).sum()
    finally:
        object.__getattribute__(model[0], "_parameters")["weight"] = saved


def test_shape_only_builds_without_memory_and_loads_real_arrays():
    with nn.shape_only():
        layer = nn.Linear(7 * 7 * 512, 4096)
    assert layer.weight.size == 102_760_448 and layer.weight.data.nbytes // layer.weight.size == 4
    assert layer.weight.data.strides == (0, 0)               # no memory behind it
    small = nn.Linear(3, 2)
    with nn.shape_only():
        twin = nn.Linear(3, 2)
    twin.load_state_dict(small.state_dict())
    assert np.array_equal(twin.weight.data, small.weight.data) and twin.weight.data.flags.writeable


# -- init -----------------------------------------------------------------------------------------
def test_init_variances_of_the_lecture():
    gl.manual_seed(0)
    w = gl.zeros(1024, 4096)
    assert nn.init.fans(w) == (4096, 1024)
    nn.init.xavier_normal(w, mode="fan_in")                            # E41: Var = 1 / fan_in
    assert w.data.std() == pytest.approx(1 / 64, rel=0.01)
    nn.init.xavier_uniform(w)                                         # Glorot: Var = 2 / (fan_in + fan_out)
    assert w.data.var() == pytest.approx(2 / (4096 + 1024), rel=0.01)
    assert np.abs(w.data).max() <= math.sqrt(6 / (4096 + 1024))
    nn.init.kaiming_normal(w)                                         # E42: Var = 2 / fan_in
    assert w.data.std() == pytest.approx(math.sqrt(2 / 4096), rel=0.01)
    nn.init.kaiming_uniform(w, mode="fan_out")
    assert w.data.var() == pytest.approx(2 / 1024, rel=0.01)
    nn.init.normal(w, std=0.01)                                      # E39's small random numbers
    assert w.data.std() == pytest.approx(0.01, rel=0.01)
    conv = gl.zeros(16, 8, 3, 3)
    assert nn.init.fans(conv) == (72, 144)
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(gl.ShapeError, match="fan_in and fan_out need a weight"):
        nn.init.xavier_normal(gl.zeros(5))


def test_default_layer_init_is_pytorch_uniform_one_over_sqrt_fan_in():
    gl.manual_seed(0)
    layer = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    for tensor in (layer.weight, layer.bias):
        assert np.abs(tensor.data).max() <= bound
        assert np.abs(tensor.data).max() > 0.9 * bound
    assert layer.weight.data.var() == pytest.approx(bound ** 2 / 3, rel=0.05)


def test_constant_init_never_breaks_symmetry():
    """E38: with every weight equal, all hidden units get equal gradients and stay identical."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for parameter in model.parameters():
        nn.init.constant(parameter, 0.3)
    x = gl.randn(5, 3)
    gl.functional.cross_entropy(model(x), [0, 1, 1, 0, 1]).backward()
    rows = model[0].weight.grad
    assert np.allclose(rows, rows[0])


def test_summary_runs_custom_modules_once():
    class Custom(nn.Module):              # no output_shape: summary runs it on zeros
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)
            self.bn = nn.BatchNorm1d(4)

        def forward(self, x):
            return self.fc(self.bn(x))

    model = Custom()
    result = nn.summary(model, (1, 4))                  # batch of 1: BN runs in eval for the summary
    assert [(row.name, row.kind, row.output_shape) for row in result.rows] == \
        [("", "Custom", (1, 2)), ("bn", "BatchNorm1d", (1, 4)), ("fc", "Linear", (1, 2))]
    assert result.total_params == 18 and model.training
    assert "total parameters: 18" in str(result)
