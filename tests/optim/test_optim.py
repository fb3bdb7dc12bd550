"""gl.optim: every optimizer's 30-step trajectory equals torch.optim's (float64, 1e-6), the seed
notes' worked numbers (E48, E52, E54, E55, E56, E58), parameter groups and state dicts."""
import math

import numpy as np
import pytest

import graphlab as gl
from graphlab.optim import OptimizerError

STEPS = 30

# (id, graphlab factory, torch factory); the same hyper-parameters on both sides
CASES = [
    ("sgd", lambda p: gl.optim.SGD(p, lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    ("momentum", lambda p: gl.optim.SGD(p, lr=0.05, momentum=0.9), lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9)),
    ("momentum-dampening", lambda p: gl.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3)),
    ("nesterov", lambda p: gl.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    ("sgd-weight-decay", lambda p: gl.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("nesterov-weight-decay", lambda p: gl.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("adagrad", lambda p: gl.optim.AdaGrad(p, lr=0.1), lambda t, p: t.optim.Adagrad(p, lr=0.1)),
    ("adagrad-options", lambda p: gl.optim.AdaGrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.05,
                                                   initial_accumulator_value=0.1, eps=1e-6),
     lambda t, p: t.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-6)),
    ("rmsprop", lambda p: gl.optim.RMSProp(p, lr=0.01), lambda t, p: t.optim.RMSprop(p, lr=0.01)),
    ("rmsprop-momentum", lambda p: gl.optim.RMSProp(p, lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.01),
     lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.01)),
    ("rmsprop-centered", lambda p: gl.optim.RMSProp(p, lr=0.01, centered=True, momentum=0.3),
     lambda t, p: t.optim.RMSprop(p, lr=0.01, centered=True, momentum=0.3)),
    ("adam", lambda p: gl.optim.Adam(p, lr=0.05), lambda t, p: t.optim.Adam(p, lr=0.05)),
    ("adam-options", lambda p: gl.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     lambda t, p: t.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("amsgrad", lambda p: gl.optim.Adam(p, lr=0.05, amsgrad=True), lambda t, p: t.optim.Adam(p, lr=0.05, amsgrad=True)),
    ("adamw", lambda p: gl.optim.AdamW(p, lr=0.05, weight_decay=0.2), lambda t, p: t.optim.AdamW(p, lr=0.05, weight_decay=0.2)),
    ("adamw-amsgrad", lambda p: gl.optim.AdamW(p, lr=0.05, amsgrad=True),
     lambda t, p: t.optim.AdamW(p, lr=0.05, amsgrad=True)),
    ("groups", lambda p: gl.optim.Adam([{"params": [p[0]], "lr": 0.02}, {"params": [p[1]], "weight_decay": 0.1}], lr=0.05),
     lambda t, p: t.optim.Adam([{"params": [p[0]], "lr": 0.02}, {"params": [p[1]], "weight_decay": 0.1}], lr=0.05)),
]


def _problem():
    rng = np.random.default_rng(7)
    return (rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), rng.normal(size=(3, 2)) * 0.5, rng.normal(size=2) * 0.5)


def _graphlab_trajectory(make, steps=STEPS, split=None):
    x, target, w0, b0 = _problem()
    w = gl.tensor(w0, requires_grad=True, dtype="float64")
    b = gl.tensor(b0, requires_grad=True, dtype="float64")
    optimizer = make([w, b])
    trajectory = []
    for step in range(steps):
        if split is not None and step == split:          # resume from a state dict mid-way
            state = optimizer.state_dict()
            optimizer = make([w, b])
            optimizer.load_state_dict(state)
        optimizer.zero_grad()
        loss = (((gl.tensor(x, dtype="float64") @ w + b).tanh() - gl.tensor(target, dtype="float64")) ** 2).sum()
        loss.backward()
        optimizer.step()
        trajectory.append(np.concatenate([w.data.ravel(), b.data.ravel()]))
    return np.array(trajectory)


def _torch_trajectory(torch, make):
    x, target, w0, b0 = _problem()
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    optimizer = make(torch, [w, b])
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = ((torch.tanh(torch.tensor(x) @ w + b) - torch.tensor(target)) ** 2).sum()
        loss.backward()
        optimizer.step()
        trajectory.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return np.array(trajectory)


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[case[0] for case in CASES])
def test_trajectory_matches_torch_optim(name, ours, theirs):
    torch = pytest.importorskip("torch")
    expected = _torch_trajectory(torch, theirs)
    got = _graphlab_trajectory(ours)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-2          # the parameters really moved
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name, ours", [(case[0], case[1]) for case in CASES if case[0] in
                                        ("momentum", "nesterov", "adagrad", "rmsprop-centered", "amsgrad", "groups")])
def test_state_dict_resumes_the_same_trajectory(name, ours):
    np.testing.assert_array_equal(_graphlab_trajectory(ours, split=13), _graphlab_trajectory(ours))


def _steps(optimizer, w, gradients):
    steps = []
    for gradient in gradients:
        before = float(w.data[0])
        w.grad = np.array([gradient], dtype=w.dtype)
        optimizer.step()
        steps.append(float(w.data[0]) - before)
    return steps


def test_e52_momentum_worked_example():
    """E52: lr 0.1, momentum 0.9, gradients 5 then 3: momentum steps -0.5, -0.75; SGD -0.5, -0.3."""
    w = gl.tensor([0.0], requires_grad=True, dtype="float64")
    assert _steps(gl.optim.SGD([w], lr=0.1, momentum=0.9), w, [5, 3]) == pytest.approx([-0.5, -0.75], abs=1e-12)
    w = gl.tensor([0.0], requires_grad=True, dtype="float64")
    assert _steps(gl.optim.SGD([w], lr=0.1), w, [5, 3]) == pytest.approx([-0.5, -0.3], abs=1e-12)
    # the velocity of the slide form (v = ρv + g): 5, then 7.5
    w = gl.tensor([0.0], requires_grad=True, dtype="float64")
    optimizer = gl.optim.get("momentum", [w], lr=0.1)
    velocities = []
    for gradient in (5, 3):
        w.grad = np.array([gradient], dtype=np.float64)
        optimizer.step()
        velocities.append(float(optimizer.state[id(w)]["momentum_buffer"][0]))
    assert velocities == pytest.approx([5.0, 7.5])


def _descend(optimizer, w, steps):
    """f(w) = w² from w₀ = 1 (the 1-D tests of E54-E56)."""
    values = []
    for _ in range(steps):
        w.grad = 2 * w.data
        optimizer.step()
        values.append(float(w.data[0]))
    return values


def _one(value=1.0):
    return gl.tensor([value], requires_grad=True, dtype="float64")


def test_e54_sgd_momentum_and_nesterov_on_w_squared():
    w = _one()
    assert _descend(gl.optim.SGD([w], lr=0.1), w, 2) == pytest.approx([0.8, 0.64])
    w = _one()
    assert _descend(gl.optim.SGD([w], lr=0.1, momentum=0.9), w, 2) == pytest.approx([0.8, 0.46])
    # PyTorch's Nesterov keeps the look-ahead point w~ = w + ρv; the notes' w is w~ - ρv, v = -lr·buffer
    w = _one()
    optimizer = gl.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    notes_w, notes_v = [], []
    for _ in range(2):
        w.grad = 2 * w.data
        optimizer.step()
        v = -0.1 * float(optimizer.state[id(w)]["momentum_buffer"][0])
        notes_v.append(v)
        notes_w.append(float(w.data[0]) - 0.9 * v)
    assert notes_v == pytest.approx([-0.2, -0.304])
    assert notes_w == pytest.approx([0.8, 0.496])


def test_e55_adagrad_and_rmsprop_on_w_squared():
    w = _one()
    optimizer = gl.optim.AdaGrad([w], lr=0.1, eps=1e-7)
    assert _descend(optimizer, w, 2) == pytest.approx([0.9, 0.833104], abs=1e-6)
    assert float(optimizer.state[id(w)]["sum"][0]) == pytest.approx(7.24)
    w = _one()
    optimizer = gl.optim.RMSProp([w], lr=0.1, alpha=0.9, eps=1e-7)
    assert _descend(optimizer, w, 1) == pytest.approx([0.683772], abs=1e-6)
    assert float(optimizer.state[id(w)]["square_avg"][0]) == pytest.approx(0.4)
    assert _descend(optimizer, w, 1) == pytest.approx([0.498871], abs=1e-6)
    assert float(optimizer.state[id(w)]["square_avg"][0]) == pytest.approx(0.547018, abs=1e-6)


def test_e56_adam_bias_correction():
    w = _one()
    optimizer = gl.optim.Adam([w], lr=0.1)
    assert _descend(optimizer, w, 1) == pytest.approx([0.9])
    state = optimizer.state[id(w)]
    assert float(state["exp_avg"][0]) == pytest.approx(0.2) and float(state["exp_avg_sq"][0]) == pytest.approx(0.004)
    assert _descend(optimizer, w, 1) == pytest.approx([0.800412], abs=1e-6)
    assert float(state["exp_avg_sq"][0]) == pytest.approx(0.007236)
    # without the correction the first step is lr (1 - β1) / sqrt(1 - β2) = 3.1623 lr, whatever g
    for gradient in (1e-3, 2.0, 500.0):
        w = _one(0.0)
        (step,) = _steps(gl.optim.Adam([w], lr=0.01, bias_correction=False, eps=0), w, [gradient])
        assert step == pytest.approx(-0.01 * 0.1 / math.sqrt(0.001)) and -step / 0.01 == pytest.approx(3.1623, abs=1e-4)
        w = _one(0.0)
        (step,) = _steps(gl.optim.Adam([w], lr=0.01, eps=0), w, [gradient])
        assert step == pytest.approx(-0.01)                  # corrected: exactly lr · sign(g)
    w = _one()
    assert _descend(gl.optim.Adam([w], lr=0.1, bias_correction=False), w, 1) == pytest.approx([0.683772], abs=1e-6)


def test_e48_taco_shell_zigzag():
    """E48: L = W1²/64 + W2², plain GD with lr 0.9 from (-10, 1): W2 zig-zags, W1 crawls."""
    w = gl.tensor([-10.0, 1.0], requires_grad=True, dtype="float64")
    optimizer = gl.optim.SGD([w], lr=0.9)
    path = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = (w[0] ** 2) / 64 + w[1] ** 2
        loss.backward()
        optimizer.step()
        path.append(w.data.copy())
    expected = [(-9.71875, -0.8), (-9.44541, 0.64), (-9.17976, -0.512), (-8.92158, 0.4096), (-8.67066, -0.32768)]
    np.testing.assert_allclose(path, expected, atol=1e-5)


def test_e58_capability_table():
    table = gl.optim.capabilities().splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in table[2:]}
    assert rows["Adam"] == ["yes"] * 4
    assert rows["AdaGrad"] == ["no", "yes", "no", "no"] and rows["RMSProp"] == ["no", "yes", "yes", "no"]
    assert rows["SGD+Momentum"] == rows["Nesterov"] == ["yes", "no", "no", "no"]


def test_get_by_name_and_register():
    w = _one()
    assert isinstance(gl.optim.get("Adam", [w]), gl.optim.Adam)
    nesterov = gl.optim.get("nesterov", [w], lr=0.1)
    assert nesterov.param_groups[0]["nesterov"] and nesterov.param_groups[0]["momentum"] == 0.9
    with pytest.raises(OptimizerError, match="no optimizer 'lbfgs'; choose from adagrad, adam"):
        gl.optim.get("lbfgs", [w])

    class SignSGD(gl.optim.Optimizer):
        defaults = {"lr": 0.01}

        def update(self, data, grad, state, group):
            data -= group["lr"] * np.sign(grad)

    gl.optim.register("signsgd", SignSGD)
    try:
        optimizer = gl.optim.get("signsgd", [w], lr=0.5)
        assert _steps(optimizer, w, [-3.0]) == [0.5]
    finally:
        del gl.optim.OPTIMIZERS["signsgd"]


def test_parameters_without_grad_are_skipped_and_zero_grad_clears():
    a, b = _one(), _one()
    optimizer = gl.optim.SGD([a, b], lr=0.1)
    a.grad = np.array([1.0])
    optimizer.step()
    assert float(a.data[0]) == pytest.approx(0.9) and float(b.data[0]) == 1.0
    optimizer.zero_grad()
    assert a.grad is None


def test_updates_are_in_place_and_keep_float32():
    model = gl.nn.Linear(4, 3)
    arrays = [parameter.data for parameter in model.parameters()]
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    loss = (model(gl.randn(5, 4)) ** 2).mean()
    loss.backward()
    optimizer.step()
    for array, parameter in zip(arrays, model.parameters()):
        assert parameter.data is array and parameter.data.dtype == np.float32


@pytest.mark.parametrize("make, message", [
    (lambda p: gl.optim.SGD(p, lr=-1), "lr=-1 must be >= 0"),
    (lambda p: gl.optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: gl.optim.Adam(p, betas=(0.9, 1.0)), r"betas=\(0.9, 1.0\) must be two numbers in \[0, 1\)"),
    (lambda p: gl.optim.RMSProp(p, alpha=1.5), "alpha=1.5 must be a decay rate"),
    (lambda p: gl.optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: gl.optim.SGD(p + p, lr=0.1), "appears in more than one place"),
    (lambda p: gl.optim.SGD([{"params": p, "betas": (0.9, 0.9)}], lr=0.1), "unknown hyper-parameter"),
    (lambda p: gl.optim.SGD([np.zeros(3)], lr=0.1), "expected Tensors"),
])
def test_bad_hyper_parameters_are_explained(make, message):
    with pytest.raises(OptimizerError, match=message):
        make([_one()])


def test_load_state_dict_checks_everything_before_changing_anything():
    w, b = _one(), gl.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    optimizer = gl.optim.Adam([w, b], lr=0.1)
    w.grad, b.grad = np.array([1.0]), np.array([1.0, 1.0])
    optimizer.step()
    before = optimizer.state_dict()
    other = gl.optim.Adam([gl.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype="float64"), _one()], lr=0.5)
    other_params = list(other.parameters())
    other_params[0].grad, other_params[1].grad = np.ones(3), np.ones(1)
    other.step()
    with pytest.raises(OptimizerError, match="state 'exp_avg' of parameter 0 has shape"):
        other.load_state_dict(before)
    assert other.lr == 0.5                                   # nothing half-loaded
    with pytest.raises(OptimizerError, match="1 parameter group"):
        gl.optim.Adam([{"params": [w]}, {"params": [b]}]).load_state_dict(before)
    with pytest.raises(OptimizerError, match="not take"):
        gl.optim.SGD([w, b], lr=0.1).load_state_dict(before)


def test_backward_through_a_graph_built_before_a_step_is_refused():
    """optimizer.step edits the weights in place: a graph that saved the old values must not
    mix them with the new ones (PyTorch's version counter gives the same refusal)."""
    weight = gl.tensor([2.0, -1.0], requires_grad=True)
    optimizer = gl.optim.SGD([weight], lr=0.1)
    loss = (weight * weight).sum()
    loss.backward()
    stale = (weight * weight).sum()          # saves weight's values before the step
    optimizer.step()
    with pytest.raises(gl.errors.GraphlabError, match="modified|in place|changed"):
        stale.backward()
    fresh = (weight * weight).sum()
    optimizer.zero_grad()
    fresh.backward()
    assert np.allclose(weight.grad, 2 * np.array([1.6, -0.8]))
