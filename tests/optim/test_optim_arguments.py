"""Issue 13: every optimizer and schedule constructor names a bad argument (before: silently accepted
or a raw TypeError from a comparison)."""
import pytest

import graphlab as gl
from graphlab.optim import schedules


def _parameters():
    return [gl.tensor([1.0, 2.0], requires_grad=True)]


def _optimizer():
    return gl.optim.SGD(_parameters(), lr=0.1)


@pytest.mark.parametrize("make, argument", [
    (lambda: gl.optim.SGD(_parameters(), lr=-0.1), "lr=-0.1 must be >= 0"),
    (lambda: gl.optim.SGD(_parameters(), lr="a"), "lr must be a number"),
    (lambda: gl.optim.SGD(_parameters(), lr=float("inf")), "lr=inf must be a finite number"),
    (lambda: gl.optim.SGD(_parameters(), lr=0.1, momentum=1.0), r"momentum=1.0 must be in \[0, 1\)"),
    (lambda: gl.optim.SGD(_parameters(), lr=0.1, momentum=-0.5), "momentum=-0.5"),
    (lambda: gl.optim.SGD(_parameters(), lr=0.1, dampening=2), "dampening=2"),
    (lambda: gl.optim.SGD(_parameters(), lr=0.1, nesterov="yes"), "nesterov must be True or False"),
    (lambda: gl.optim.SGD(3, lr=0.1), "params must be an iterable of tensors"),
    (lambda: gl.optim.Adam(_parameters(), betas=(0.9, -0.1)), "betas"),
    (lambda: gl.optim.Adam(_parameters(), betas=0.9), "betas"),
    (lambda: gl.optim.Adam(_parameters(), eps=-1e-8), "eps=-1e-08 must be >= 0"),
    (lambda: gl.optim.Adam(_parameters(), weight_decay=-1), "weight_decay=-1"),
    (lambda: gl.optim.RMSProp(_parameters(), alpha=float("nan")), "alpha=nan"),
    (lambda: gl.optim.RMSProp(_parameters(), momentum=1.5), "momentum=1.5"),
    (lambda: gl.optim.AdaGrad(_parameters(), lr_decay=-1), "lr_decay=-1"),
    (lambda: schedules.ExponentialLR(_optimizer(), gamma=-1), "gamma=-1 must be > 0"),
    (lambda: schedules.ExponentialLR(_optimizer(), gamma=0), "gamma=0"),
    (lambda: schedules.StepLR(_optimizer(), step_size=0), "step_size=0"),
    (lambda: schedules.StepLR(_optimizer(), step_size=2.5), "step_size must be an int"),
    (lambda: schedules.StepLR(_optimizer(), step_size=3, gamma="a"), "gamma must be a number"),
    (lambda: schedules.MultiStepLR(_optimizer(), milestones=[5, -1]), "milestones=-1"),
    (lambda: schedules.MultiStepLR(_optimizer(), milestones=5), "milestones must be a list"),
    (lambda: schedules.CosineAnnealing(_optimizer(), T=0), "T=0"),
    (lambda: schedules.CosineAnnealing(_optimizer(), T=10, eta_min=-1), "eta_min=-1"),
    (lambda: schedules.LinearDecay(_optimizer(), T=10, end_factor=2), "end_factor=2"),
    (lambda: schedules.LinearWarmup(_optimizer(), warmup=0), "warmup=0"),
    (lambda: schedules.LinearWarmup(_optimizer(), inner="cosine"), "inner must be a schedule"),
    (lambda: schedules.ReduceLROnPlateau(_optimizer(), patience=-1), "patience=-1"),
    (lambda: schedules.ReduceLROnPlateau(_optimizer(), factor=1.0), "factor=1.0"),
    (lambda: schedules.ReduceLROnPlateau(_optimizer()).step("low"), "metric must be a number"),
    (lambda: schedules.Constant(_optimizer(), base_lr=-1), "base_lr=-1"),
    (lambda: schedules.get(3, _optimizer()), "name must be a schedule name"),
])
def test_constructors_name_the_bad_argument(make, argument):
    with pytest.raises(gl.GraphlabError, match=argument):
        make()


def test_setting_a_bad_lr_is_refused():
    optimizer = _optimizer()
    with pytest.raises(gl.GraphlabError, match="lr=-1"):
        optimizer.lr = -1
    assert optimizer.lr == 0.1
