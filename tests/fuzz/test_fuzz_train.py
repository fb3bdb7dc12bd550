"""Fuzz training: optimizer, schedule and callback constructors with hostile arguments; every
``graphlab train`` flag through the parser only (no training); and a couple of tiny real runs."""
import argparse
import contextlib
import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outcomes import COUNTS, outcome

import graphlab as gl
import graphlab.functional as F
from graphlab import cli
from graphlab.optim import schedules
from graphlab.train import Checkpoint, EarlyStopping, HealthMonitor

MANY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE = st.one_of(
    st.integers(min_value=-3, max_value=6),
    st.sampled_from([10 ** 12, -10 ** 12, 2 ** 70, np.int64(3), np.float32(0.5), np.bool_(False)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.text(max_size=4), st.binary(max_size=3),
    st.sampled_from([[], (0.9,), (0.9, 0.999), (1.5, 0.5), [5, 10], "min", "max", "epoch", "step", object()]),
)


def _parameters():
    return [gl.tensor([1.0, -2.0], requires_grad=True)]


def _optimizer():
    return gl.optim.SGD(_parameters(), lr=0.1)


#: every constructor with valid keyword arguments
CONSTRUCTORS = {
    "SGD": (lambda **kw: gl.optim.SGD(_parameters(), **kw), dict(lr=0.1, momentum=0.0, dampening=0.0,
                                                                 nesterov=False, weight_decay=0.0)),
    "Adam": (lambda **kw: gl.optim.Adam(_parameters(), **kw), dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                                                   weight_decay=0.0, amsgrad=False,
                                                                   bias_correction=True)),
    "AdamW": (lambda **kw: gl.optim.AdamW(_parameters(), **kw), dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                                                     weight_decay=1e-2)),
    "RMSProp": (lambda **kw: gl.optim.RMSProp(_parameters(), **kw), dict(lr=1e-2, alpha=0.99, eps=1e-8,
                                                                         weight_decay=0.0, momentum=0.0,
                                                                         centered=False)),
    "AdaGrad": (lambda **kw: gl.optim.AdaGrad(_parameters(), **kw), dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                                                                         initial_accumulator_value=0.0, eps=1e-10)),
    "Constant": (lambda **kw: schedules.Constant(_optimizer(), **kw), dict(base_lr=None, interval=None)),
    "StepLR": (lambda **kw: schedules.StepLR(_optimizer(), **kw), dict(step_size=3, gamma=0.1)),
    "MultiStepLR": (lambda **kw: schedules.MultiStepLR(_optimizer(), **kw), dict(milestones=[2, 4], gamma=0.1)),
    "ExponentialLR": (lambda **kw: schedules.ExponentialLR(_optimizer(), **kw), dict(gamma=0.95)),
    "CosineAnnealing": (lambda **kw: schedules.CosineAnnealing(_optimizer(), **kw),
                        dict(T=10, eta_min=0.0, restarts=False, mult=1)),
    "LinearDecay": (lambda **kw: schedules.LinearDecay(_optimizer(), **kw), dict(T=10, end_factor=0.0)),
    "LinearWarmup": (lambda **kw: schedules.LinearWarmup(_optimizer(), **kw), dict(warmup=5, start_factor=0.0)),
    "ReduceLROnPlateau": (lambda **kw: schedules.ReduceLROnPlateau(_optimizer(), **kw),
                          dict(mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                               cooldown=0, min_lr=0.0, eps=1e-8)),
    "Checkpoint": (Checkpoint, dict(path="never-written.npz", every=1, monitor=None, mode=None)),
    "EarlyStopping": (EarlyStopping, dict(monitor="val_loss", patience=5, min_delta=0.0, mode=None,
                                          restore_best=True)),
    "HealthMonitor": (HealthMonitor, dict(every=50, ratio_range=(1e-5, 1e-1), dead_limit=0.5, explode_factor=3.0,
                                          stop_on_nan=True)),
}
ARGUMENTS = [(name, argument) for name, (_, defaults) in CONSTRUCTORS.items() for argument in defaults]


def _valid(built) -> bool:
    """A built optimizer's lr, a schedule's curve and a callback's settings are finite numbers."""
    if isinstance(built, gl.optim.Optimizer):
        return all(math.isfinite(group["lr"]) and group["lr"] >= 0 for group in built.param_groups)
    if isinstance(built, schedules.Schedule):
        try:
            return all(math.isfinite(lr) for lr in built.curve(5))
        except gl.optim.OptimizerError as error:   # a growing lr (gamma > 1) that leaves the floats
            return "gamma" in str(error)
    return True


@MANY
@given(target=st.sampled_from(ARGUMENTS), value=HOSTILE)
def test_optimizer_schedule_and_callback_arguments(target, value):
    name, argument = target
    make, defaults = CONSTRUCTORS[name]
    names = (argument, "ratio_range") if name == "HealthMonitor" else argument
    outcome(lambda: make(**{**defaults, argument: value}), argument=names, check=_valid)


#: every value-taking flag of ``graphlab train`` and a valid value for it
FLAGS = {"--optimizer": "adam", "--lr": "0.01", "--epochs": "3", "--schedule": "cosine", "--warmup": "1",
         "--batch-size": "16", "--weight-decay": "0", "--momentum": "0.9", "--seed": "0", "--limit": "10",
         "--test-limit": "10", "--out": "runs/fuzz"}
FLAG_TEXT = st.one_of(
    st.text(max_size=6), st.integers(-10 ** 6, 10 ** 6).map(str), st.floats().map(str),
    st.sampled_from(["0", "-1", "1e309", "nan", "inf", "-0", "1.5", "０", "٣", "sgd", "none", "", " ", "/etc/passwd"]),
)


def parse_outcome(argv, flag: str) -> str:
    """Parse only (the handler, which would train, is never called) and classify like ``outcome``:
    a clear error is argparse's exit 2 whose last stderr line names ``flag`` (the message comes
    from graphlab's type= check), a right answer a Namespace; anything else is a crash."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            arguments = cli.build_parser().parse_args(argv)
    except SystemExit as exit_status:
        lines = stderr.getvalue().strip().splitlines()
        clear = exit_status.code == 2 and lines and f"error: argument {flag}:" in lines[-1] and \
            "Traceback" not in stderr.getvalue()
        COUNTS["clear error" if clear else "crash"] += 1
        assert clear, stderr.getvalue()
        return "clear error"
    except Exception:
        COUNTS["crash"] += 1
        raise
    COUNTS["right answer"] += 1
    assert isinstance(arguments, argparse.Namespace)
    return "right answer"


@MANY
@given(flag=st.sampled_from(sorted(FLAGS)), text=FLAG_TEXT)
def test_train_flags_through_the_parser(flag, text):
    parse_outcome(["train", "spiral-mlp", f"{flag}={text}"], flag)


@MANY
@given(recipe=st.one_of(st.text(max_size=8), st.sampled_from(["digits-mlp", "spiral-mlp", "DIGITS-MLP", "", "-"])))
def test_train_recipe_name_through_the_parser(recipe):
    parse_outcome(["train", "--", recipe], "RECIPE")


def test_tiny_real_runs_train_and_stop_on_nan(tmp_path):
    gl.manual_seed(0)
    result = outcome(lambda: gl.train.run_recipe("digits-mlp", epochs=1, limit=32, test_limit=32, progress=False,
                                                  out=tmp_path / "run", seed=1),
                     check=lambda result: result.history.last["epoch"] == 1 and
                     gl.load(result.files["checkpoint"])["epoch"] == 1)
    assert result == "right answer"
    model = gl.nn.Sequential(gl.nn.Flatten(), gl.nn.Linear(64, 10))
    loader = gl.data.DataLoader(gl.data.digits("train"), 256)
    history = gl.train.fit(model, lambda out, target: F.cross_entropy(out, target) * float("nan"),
                           gl.optim.SGD(model.parameters(), lr=0.1), loader, epochs=3, progress=False,
                           checkpoint=tmp_path / "nan.npz")
    assert len(history) == 1 and history.stopped and not (tmp_path / "nan.npz").exists()
    COUNTS["right answer"] += 1


@pytest.mark.parametrize("argv, flag", [(["train", "spiral-mlp", "--epochs", "0"], "--epochs"),
                                        (["train", "nosuch"], "RECIPE"), (["lesson", "1", "--out", __file__], "--out"),
                                        (["train", "spiral-mlp", "--out", __file__], "--out")])
def test_cli_refuses_in_one_line(argv, flag):
    assert parse_outcome(argv, flag) == "clear error"
