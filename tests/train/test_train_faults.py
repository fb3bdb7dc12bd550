"""Issue 13: a NaN mid-run stops fit and never reaches a checkpoint; the health monitor says each
thing once and never contradicts itself; callbacks check their arguments."""
import math
import warnings

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.train import Checkpoint, EarlyStopping, HealthMonitor, LambdaCallback, TrainingWarning


def _model(seed=0):
    gl.manual_seed(seed)
    return gl.nn.Sequential(gl.nn.Flatten(), gl.nn.Linear(64, 32), gl.nn.ReLU(), gl.nn.Linear(32, 10))


def _train_loader():
    return gl.data.DataLoader(gl.data.digits("train"), 128, shuffle=True, seed=0)


def _nan_from(step_number):
    """cross entropy, NaN from the given call on (a run that breaks mid-way)."""
    calls = {"n": 0}

    def loss(outputs, targets):
        calls["n"] += 1
        value = F.cross_entropy(outputs, targets)
        return value * float("nan") if calls["n"] >= step_number else value
    return loss


def _run(tmp_path, **options):
    """Three good epochs (the file holds epoch 3), then NaN in epoch 4."""
    model, train = _model(), _train_loader()
    snapshots = {}
    keep = LambdaCallback(on_epoch_end=lambda trainer, record: snapshots.__setitem__(record["epoch"],
                                                                                     trainer.model.state_dict()))
    path = tmp_path / "checkpoint.npz"
    history = gl.train.fit(model, _nan_from(3 * len(train) + 2), gl.optim.SGD(model.parameters(), lr=0.1), train,
                           epochs=6, progress=False, checkpoint=path, callbacks=[keep], **options)
    return model, history, path, snapshots


def test_nan_mid_run_stops_fit_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    model, history, path, snapshots = _run(tmp_path)
    assert len(history) == 4 and math.isnan(history["loss"][-1])
    assert history.stopped.startswith("stopped at epoch 4, step 38: the loss is nan")
    assert "stop_on_nonfinite=False" in history.stopped and history.stopped in capsys.readouterr().err
    for name, value in model.state_dict().items():          # no update from the NaN step
        assert np.isfinite(value).all(), name
    saved = gl.load(path)
    assert saved["epoch"] == 3
    fresh = _model(seed=5)
    gl.load(path, into={"model": fresh})
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[3][name])


def test_training_on_through_nan_never_checkpoints_nan_weights(tmp_path, capsys):
    model, history, path, _ = _run(tmp_path, stop_on_nonfinite=False)
    assert len(history) == 6 and not np.isfinite(model.state_dict()["1.weight"]).all()
    assert gl.load(path)["epoch"] == 3
    assert "checkpoint: epoch 4 not saved, its loss is nan" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::graphlab.train.TrainingWarning")
def test_health_monitor_stop_does_not_let_the_checkpoint_write_nan(tmp_path):
    model, history, path, _ = _run(tmp_path, stop_on_nonfinite=False, health=HealthMonitor(every=5))
    assert len(history) == 4 and history.stopped.startswith("stopped at epoch 4")
    assert gl.load(path)["epoch"] == 3


def test_checkpoint_refuses_non_finite_weights_whatever_the_loss(tmp_path):
    model, train = _model(), _train_loader()
    poison = LambdaCallback(on_epoch_end=lambda trainer, record: record["epoch"] == 2 and
                            trainer.model[1].bias.data.__setitem__(0, np.inf))
    path = tmp_path / "c.npz"
    gl.train.fit(model, F.cross_entropy, gl.optim.SGD(model.parameters(), lr=0.05), train, epochs=2,
                 progress=False, callbacks=[poison, Checkpoint(path)])
    assert gl.load(path)["epoch"] == 1


def test_health_monitor_diagnosis_is_coherent_and_said_once(capsys):
    model, train = _model(), gl.data.DataLoader(gl.data.digits("train"), 64, shuffle=True, seed=0)
    monitor = HealthMonitor(every=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gl.train.fit(model, F.cross_entropy, gl.optim.SGD(model.parameters(), lr=10.0), train, epochs=2,
                     progress=False, health=monitor)
    said = " ".join(monitor.warnings)
    assert "is too high" in said and "too low" not in said           # lr 10: too high, never "too low" after
    assert len(monitor.warnings) == len(set(monitor.warnings)) == len(caught)
    assert sum("far above the healthy" in message for message in monitor.warnings) == 1   # layers listed together
    err = capsys.readouterr().err
    for message in monitor.warnings:
        assert err.count(message) == 1


def test_training_warnings_stay_catchable():
    # shown once by the monitor itself (see test_train_flags.py::test_health_warnings_are_printed_once),
    # and still issued as TrainingWarnings for pytest.warns and warnings filters
    model = _model()
    with pytest.warns(TrainingWarning):
        gl.train.fit(_model(), F.cross_entropy, gl.optim.SGD(model.parameters(), lr=10.0), _train_loader(),
                     epochs=1, progress=False, health=HealthMonitor(every=1))


@pytest.mark.parametrize("make, argument", [
    (lambda: Checkpoint("c.npz", every=0), "every=0"),
    (lambda: Checkpoint("c.npz", every=1.5), "every must be an int"),
    (lambda: Checkpoint(3), "path must be a file path"),
    (lambda: Checkpoint(".", every=1), "is a directory"),
    (lambda: Checkpoint("c.npz", monitor="val_loss", mode="up"), "mode must be one of"),
    (lambda: EarlyStopping(patience=-1), "patience=-1"),
    (lambda: EarlyStopping(min_delta=-0.1), "min_delta=-0.1"),
    (lambda: EarlyStopping(monitor=3), "monitor must be the name of a metric"),
    (lambda: HealthMonitor(every=0), "every=0"),
    (lambda: HealthMonitor(ratio_range=(1e-1, 1e-5)), "low < high"),
    (lambda: HealthMonitor(dead_limit=2), "dead_limit=2"),
    (lambda: HealthMonitor(explode_factor=0.5), "explode_factor=0.5"),
    (lambda: LambdaCallback(on_epoch_end=3), "on_epoch_end must be a function"),
])
def test_callback_constructors_name_the_bad_argument(make, argument):
    with pytest.raises(gl.GraphlabError, match=argument):
        make()


def test_fit_checks_epochs_and_the_nonfinite_switch():
    model = _model()
    optimizer = gl.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(gl.GraphlabError, match="fit: epochs=0 must be a positive int"):
        gl.train.fit(model, F.cross_entropy, optimizer, _train_loader(), epochs=0, progress=False)
    with pytest.raises(gl.GraphlabError, match="stop_on_nonfinite must be True or False"):
        gl.train.fit(model, F.cross_entropy, optimizer, _train_loader(), epochs=1, stop_on_nonfinite="no")
