"""gl.optim.schedules: the values of torch.optim.lr_scheduler where PyTorch has the same schedule,
and the seed notes' tables (E61-E64) where it does not."""
import numpy as np
import pytest

import graphlab as gl
from graphlab.optim import OptimizerError
from graphlab.optim import schedules as S

EPOCHS = 60


def _optimizer(lr=0.1, groups=False):
    w, b = gl.tensor([1.0], requires_grad=True), gl.tensor([1.0], requires_grad=True)
    if groups:
        return gl.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.02}], lr=lr, momentum=0.9)
    return gl.optim.SGD([w, b], lr=lr, momentum=0.9)


def _ours(make, epochs=EPOCHS, groups=False, metrics=None):
    optimizer = _optimizer(groups=groups)
    schedule = make(optimizer)
    lrs = [[group["lr"] for group in optimizer.param_groups]]
    for epoch in range(epochs):
        schedule.step(*([metrics[epoch]] if metrics is not None else []))
        lrs.append([group["lr"] for group in optimizer.param_groups])
    return np.array(lrs)


def _theirs(torch, make, epochs=EPOCHS, groups=False, metrics=None):
    w, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    params = [{"params": [w]}, {"params": [b], "lr": 0.02}] if groups else [w, b]
    optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    schedule = make(torch.optim.lr_scheduler, optimizer)
    lrs = [[group["lr"] for group in optimizer.param_groups]]
    for epoch in range(epochs):
        optimizer.step()
        schedule.step(*([metrics[epoch]] if metrics is not None else []))
        lrs.append([group["lr"] for group in optimizer.param_groups])
    return np.array(lrs)


CASES = [
    ("step", lambda o: S.StepLR(o, step_size=7, gamma=0.5), lambda L, o: L.StepLR(o, step_size=7, gamma=0.5)),
    ("multistep", lambda o: S.MultiStepLR(o, milestones=[30, 45], gamma=0.1),
     lambda L, o: L.MultiStepLR(o, milestones=[30, 45], gamma=0.1)),
    ("exponential", lambda o: S.ExponentialLR(o, gamma=0.93), lambda L, o: L.ExponentialLR(o, gamma=0.93)),
    ("cosine", lambda o: S.CosineAnnealing(o, T=EPOCHS, eta_min=1e-3),
     lambda L, o: L.CosineAnnealingLR(o, T_max=EPOCHS, eta_min=1e-3)),
    ("cosine-restarts", lambda o: S.CosineAnnealing(o, T=10, restarts=True, eta_min=1e-4),
     lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10, eta_min=1e-4)),
    ("cosine-restarts-mult", lambda o: S.CosineAnnealing(o, T=5, restarts=True, mult=2),
     lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2)),
    ("linear", lambda o: S.LinearDecay(o, T=40, end_factor=0.05),
     lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=40)),
    ("constant", lambda o: S.Constant(o), lambda L, o: L.LambdaLR(o, lambda epoch: 1.0)),
    ("warmup-cosine", lambda o: S.LinearWarmup(o, S.CosineAnnealing(T=50), warmup=10, start_factor=0.1),
     lambda L, o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10),
                                     L.CosineAnnealingLR(o, T_max=50)], milestones=[10])),
    ("warmup-step", lambda o: S.LinearWarmup(o, S.StepLR(step_size=20, gamma=0.1), warmup=5, start_factor=0.2),
     lambda L, o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=5),
                                     L.StepLR(o, step_size=20, gamma=0.1)], milestones=[5])),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("groups", [False, True], ids=["one-group", "two-groups"])
@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[case[0] for case in CASES])
def test_schedule_matches_torch(name, ours, theirs, groups):
    torch = pytest.importorskip("torch")
    expected = _theirs(torch, theirs, groups=groups)
    np.testing.assert_allclose(_ours(ours, groups=groups), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("settings", [dict(), dict(mode="max", factor=0.5, patience=2, cooldown=3, min_lr=0.004),
                                      dict(patience=1, threshold=0.1, threshold_mode="abs")])
def test_reduce_on_plateau_matches_torch(settings):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    metrics = list(np.concatenate([np.linspace(2, 1, 10), 1 + 0.05 * rng.random(50)]))
    expected = _theirs(torch, lambda L, o: L.ReduceLROnPlateau(o, **settings), metrics=metrics)
    got = _ours(lambda o: S.ReduceLROnPlateau(o, **settings), metrics=metrics)
    assert len(set(expected[:, 0])) >= 2                               # it did reduce
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_e61_step_decay_resnet():
    schedule = S.StepLR(step_size=30, gamma=0.1, base_lr=0.1)
    assert {schedule.lr_at(t) for t in range(30)} == {0.1}
    assert schedule.lr_at(30) == pytest.approx(0.01) and schedule.lr_at(59) == pytest.approx(0.01)
    assert schedule.lr_at(60) == pytest.approx(0.001) and schedule.lr_at(89) == pytest.approx(0.001)


@pytest.mark.parametrize("t, cosine, linear, inverse_sqrt", [
    (1, 0.099975, 0.099, 0.1), (25, 0.0853553, 0.075, 0.02), (50, 0.05, 0.05, 0.0141421),
    (75, 0.0146447, 0.025, 0.0115470), (100, 0, 0, 0.01)])
def test_e62_cosine_linear_inverse_sqrt_table(t, cosine, linear, inverse_sqrt):
    assert S.CosineAnnealing(T=100, base_lr=0.1).lr_at(t) == pytest.approx(cosine, abs=5e-7)     # the table rounds
    assert S.LinearDecay(T=100, base_lr=0.1).lr_at(t) == pytest.approx(linear, abs=1e-7)
    assert S.InverseSqrt(base_lr=0.1).lr_at(t) == pytest.approx(inverse_sqrt, abs=1e-7)
    assert S.Constant(base_lr=0.1).lr_at(t) == 0.1


def test_e63_linear_warmup_from_zero():
    schedule = S.LinearWarmup(warmup=5000, base_lr=0.4, interval="step")
    assert schedule.lr_at(0) == 0 and schedule.lr_at(2500) == pytest.approx(0.2)
    assert schedule.lr_at(5000) == schedule.lr_at(9000) == 0.4 and schedule.interval == "step"


def test_e64_densenet_divides_by_ten():
    schedule = S.MultiStepLR(milestones=[150, 225], gamma=0.1, base_lr=0.1)
    assert [schedule.lr_at(t) for t in (0, 149, 150, 224, 225, 299)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_state_dict_and_get_by_name():
    optimizer = _optimizer()
    schedule = S.get("cosine", optimizer, T=20, warmup=3)
    assert isinstance(schedule, S.LinearWarmup) and isinstance(schedule.inner, S.CosineAnnealing)
    for _ in range(7):
        schedule.step()
    other_optimizer = _optimizer()
    other = S.get("cosine", other_optimizer, T=20, warmup=3).load_state_dict(schedule.state_dict())
    assert other.t == 7 and other_optimizer.lr == optimizer.lr == pytest.approx(schedule.lr_at(7))
    with pytest.raises(OptimizerError, match="no schedule 'cyclic'; choose from constant, step"):
        S.get("cyclic", optimizer)
    with pytest.raises(OptimizerError, match="needs the metric"):
        S.ReduceLROnPlateau(optimizer).step()
    with pytest.raises(OptimizerError, match="cannot run inside a warm-up"):
        S.get("plateau", optimizer, warmup=3)
    with pytest.raises(OptimizerError, match="build the inner schedule without an optimizer"):
        S.LinearWarmup(optimizer, S.CosineAnnealing(optimizer, T=5))


def test_plot_draws_the_curve(tmp_path):
    pytest.importorskip("matplotlib")
    schedule = S.LinearWarmup(_optimizer(), S.CosineAnnealing(T=40), warmup=5)
    figure = schedule.plot(path=tmp_path / "cosine.png")
    (line,) = figure.axes[0].get_lines()
    x, y = line.get_data()
    assert len(x) == 46 and y[0] == 0 and max(y) == pytest.approx(0.1) and y[-1] == pytest.approx(0)
    assert (tmp_path / "cosine.png").read_bytes()[:4] == b"\x89PNG"


def test_growing_lr_that_overflows_names_gamma():
    """lr0*gamma**t past float64's range is a clear OptimizerError naming gamma, not Python's
    OverflowError from inside the schedule (found by the fuzz suite: gamma=1.16e77 at t=4)."""
    schedule = S.ExponentialLR(gl.optim.SGD([gl.tensor([1.0], requires_grad=True)], lr=0.1), gamma=1.16e77)
    assert schedule.lr_at(1) == pytest.approx(1.16e76)
    with pytest.raises(gl.optim.OptimizerError, match="gamma"):
        schedule.curve(5)
