"""gl.train: fit (loss falls, accuracy bar), schedules inside fit, early stopping restores the best
weights, checkpoints survive Ctrl-C, the health monitor's warnings, History and its plot, recipes."""
import os

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab import checkpoint
from graphlab.train import EarlyStopping, HealthMonitor, LambdaCallback, TrainingWarning


def _digits_mlp(seed=0):
    gl.manual_seed(seed)
    return gl.nn.Sequential(gl.nn.Flatten(), gl.nn.Linear(64, 64), gl.nn.ReLU(), gl.nn.Linear(64, 10))


def _loaders(batch_size=64):
    return (gl.data.DataLoader(gl.data.digits("train"), batch_size, shuffle=True, seed=0),
            gl.data.DataLoader(gl.data.digits("test"), 256))


def test_fit_learns_digits_with_a_schedule():
    model = _digits_mlp()
    optimizer = gl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = gl.optim.schedules.CosineAnnealing(optimizer, T=6)
    train, test = _loaders()
    history = gl.train.fit(model, F.cross_entropy, optimizer, train, test, epochs=6, scheduler=schedule,
                           progress=False)
    assert len(history) == 6 and history["epoch"] == [1, 2, 3, 4, 5, 6]
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history.last["val_accuracy"] > 0.9 and history.last["accuracy"] > 0.9
    assert history["lr"] == pytest.approx([schedule.lr_at(epoch) for epoch in range(6)])
    assert gl.train.evaluate(model, F.cross_entropy, test) == pytest.approx(
        {"loss": history.last["val_loss"], "accuracy": history.last["val_accuracy"]})
    assert gl.train.predict(model, gl.data.digits("test").inputs).shape == (359, 10)
    assert model.training                                     # evaluate restored the mode


def test_step_interval_warmup_and_plateau_schedules_in_fit():
    model = _digits_mlp()
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    warmup = gl.optim.schedules.LinearWarmup(optimizer, warmup=30, interval="step")
    seen = []
    train, test = _loaders()
    gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=2, scheduler=warmup, progress=False,
                 callbacks=[LambdaCallback(on_batch_begin=lambda trainer: seen.append(trainer.optimizer.lr))])
    assert seen[:3] == pytest.approx([0, 1e-2 / 30, 2e-2 / 30]) and seen[-1] == 1e-2 and len(seen) == 46
    plateau = gl.optim.schedules.ReduceLROnPlateau(optimizer, patience=0, factor=0.5, threshold=10.0,
                                                   threshold_mode="abs")
    history = gl.train.fit(model, F.cross_entropy, optimizer, train, test, epochs=2, scheduler=plateau, progress=False)
    assert history["lr"] == [1e-2, 1e-2] and optimizer.lr == pytest.approx(5e-3)     # val loss not 10 lower: halved


def test_early_stopping_restores_the_best_epoch():
    model = _digits_mlp()
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    scores = [0.5, 0.7, 0.6, 0.65, 0.9, 0.9]                  # best at epoch 2, then 2 epochs without progress
    states = {}

    def score(trainer, record):
        record["score"] = scores[record["epoch"] - 1]
        states[record["epoch"]] = trainer.model.state_dict()
    train, _ = _loaders()
    history = gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=6, progress=False,
                           callbacks=[LambdaCallback(on_epoch_end=score)],
                           early_stopping=EarlyStopping(monitor="score", mode="max", patience=2))
    assert len(history) == 4 and history.restored_epoch == 2 and "early stopping at epoch 4" in history.stopped
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, states[2][name], err_msg=name)
    assert not np.array_equal(states[2]["1.weight"], states[4]["1.weight"])
    with pytest.raises(KeyError, match="no 'val_loss' to watch"):
        gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=1, progress=False,
                     early_stopping=EarlyStopping())


class _Interrupt(gl.train.Callback):
    """Ctrl-C at the fifth batch of epoch 3."""

    def __init__(self, batches_per_epoch):
        self.batches_per_epoch = batches_per_epoch

    def on_batch_end(self, trainer, loss):
        if trainer.epoch == 3 and trainer.step - 2 * self.batches_per_epoch == 5:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    model = _digits_mlp()
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    train, _ = _loaders()
    path = tmp_path / "run" / "checkpoint.npz"
    after = {}
    snapshot = LambdaCallback(on_epoch_end=lambda trainer, record: after.__setitem__(record["epoch"],
                                                                                     trainer.model.state_dict()))
    with pytest.raises(KeyboardInterrupt):
        gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=5, progress=False, checkpoint=path,
                     callbacks=[snapshot, _Interrupt(len(train))])
    fresh = _digits_mlp(seed=9)
    fresh_optimizer = gl.optim.Adam(fresh.parameters(), lr=1.0)
    saved = gl.load(path, into={"model": fresh, "optimizer": fresh_optimizer})
    assert saved["epoch"] == 2 and len(saved["history"]["records"]) == 2
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, after[2][name])
    assert fresh_optimizer.lr == 1e-2 and fresh_optimizer.state

    # Ctrl-C while the epoch-3 checkpoint is being written: epoch 2's file stays
    def interrupted_write(handle, arrays, payload):
        handle.write(b"PK\x03\x04")
        raise KeyboardInterrupt
    model = _digits_mlp()
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    path = tmp_path / "second.npz"
    arm = LambdaCallback(on_epoch_begin=lambda trainer: trainer.epoch == 3 and monkeypatch.setattr(
        checkpoint, "_write_npz", interrupted_write))
    with pytest.raises(KeyboardInterrupt):
        gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=5, progress=False, checkpoint=path,
                     callbacks=[arm])
    assert gl.load(path)["epoch"] == 2 and sorted(os.listdir(tmp_path)) == ["run", "second.npz"]


def test_health_monitor_reports_and_unwraps():
    model = _digits_mlp()
    relu = model[2]
    optimizer = gl.optim.SGD(model.parameters(), lr=0.05)
    monitor = HealthMonitor(every=10)
    train, _ = _loaders()
    gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=1, progress=False, health=monitor)
    assert [record["step"] for record in monitor.records] == [1, 11, 21]        # after steps 1, 11, 21
    layer = monitor.records[0]["layers"][0]
    assert layer["name"] == "1.weight" and 1e-5 < layer["update_ratio"] < 1e-1 and layer["grad_norm"] > 0
    activation = monitor.records[-1]["activations"][0]
    assert activation["name"] == "2" and activation["kind"] == "ReLU" and 0 <= activation["dead"] < 0.5
    assert activation["mean"] > 0 and activation["std"] > 0
    report = monitor.report()
    assert "update/|W|" in report and "1.weight" in report and "dead" in report
    assert "forward" not in relu.__dict__                       # the layers got their forward back
    assert not monitor.warnings


@pytest.mark.filterwarnings("ignore::graphlab.train.TrainingWarning")
def test_health_monitor_warns_in_plain_words():
    train, _ = _loaders()
    # lr far too high: huge update ratios, then an exploding / NaN loss
    model = _digits_mlp()
    with pytest.warns(TrainingWarning) as caught:
        history = gl.train.fit(model, F.cross_entropy, gl.optim.SGD(model.parameters(), lr=1e4), train, epochs=3,
                               progress=False, health=HealthMonitor(every=1))
    messages = " ".join(str(warning.message) for warning in caught)
    assert "far above the healthy ~1e-3 (E79): the learning rate (10000) is too high" in messages
    assert "the loss is nan" in messages or "the loss exploded" in messages
    if "the loss is nan" in messages:
        assert history.stopped.startswith("stopped at epoch") and len(history) <= 3
    # dead ReLUs: push every pre-activation below zero
    model = _digits_mlp()
    model[1].bias.data[:] = -100.0
    with pytest.warns(TrainingWarning, match="100% of the ReLUs in 2 are dead"):
        gl.train.fit(model, F.cross_entropy, gl.optim.SGD(model.parameters(), lr=1e-3), train, epochs=1,
                     progress=False, health=HealthMonitor(every=5))
    # a badly scaled last layer: the first loss is far from log(10) (E73)
    model = _digits_mlp()
    model[3].weight.data *= 300
    with pytest.warns(TrainingWarning, match=r"near log\(10\) = 2.303 \(E73\)"):
        gl.train.fit(model, F.cross_entropy, gl.optim.SGD(model.parameters(), lr=1e-4), train, epochs=1,
                     progress=False, health=HealthMonitor(every=100))


def test_mixup_as_a_batch_transform():
    model = _digits_mlp()
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    train, test = _loaders()

    def mix(images, labels, rng):
        return gl.data.mixup(images, labels, num_classes=10, alpha=0.2, rng=rng)
    history = gl.train.fit(model, F.cross_entropy, optimizer, train, test, epochs=3, batch_transform=mix,
                           progress=False)
    assert history.last["val_accuracy"] > 0.85 and history["loss"][-1] < history["loss"][0]


def test_history_table_json_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    history = gl.train.History()
    for epoch, (loss, val) in enumerate([(2.0, 2.1), (1.0, 1.4), (0.5, 1.2)], start=1):
        history.append({"epoch": epoch, "loss": loss, "accuracy": 1 - loss / 4, "val_loss": val,
                        "val_accuracy": 1 - val / 4, "lr": 0.1 / epoch})
    history.restored_epoch = 3
    figure = history.plot(tmp_path / "history.png")
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy", "learning rate"]
    train_line, val_line = figure.axes[0].get_lines()[:2]
    assert list(val_line.get_ydata()) == [2.1, 1.4, 1.2] and list(train_line.get_xdata()) == [1, 2, 3]
    assert (tmp_path / "history.png").read_bytes()[:4] == b"\x89PNG"
    copy = gl.train.History.from_json(history.to_json(tmp_path / "h.json"))
    assert copy["val_loss"] == [2.1, 1.4, 1.2] and copy.restored_epoch == 3
    assert history.best("val_accuracy")["epoch"] == 3 and "70.00%" in history.table()
    with pytest.raises(KeyError, match="no metric 'f1'"):
        history["f1"]


def test_recipes_shortened(tmp_path):
    spiral = gl.train.run_recipe("spiral-mlp", epochs=300, progress=False, out=tmp_path / "spiral")
    assert spiral.history["loss"][-1] < 0.5 * spiral.history["loss"][0]
    assert spiral.final["train_accuracy"] > 0.85
    cnn = gl.train.run_recipe("digits-cnn", epochs=4, progress=False, out=tmp_path / "cnn")
    assert cnn.history["loss"][-1] < 0.3 * cnn.history["loss"][0]
    assert cnn.final["test_accuracy"] > 0.9 and "goal test accuracy >= 97%" in cnn.summary()
    dense = gl.train.run_recipe("shapes-densenet", epochs=2, limit=240, test_limit=60, batch_size=32, progress=False,
                                out=tmp_path / "dense")
    assert dense.history["loss"][-1] < dense.history["loss"][0] and len(dense.history) == 2
    for result in (spiral, cnn, dense):
        assert os.path.exists(result.files["checkpoint"]) and os.path.exists(result.files["history"])
    with pytest.raises(gl.GraphlabError, match="no recipe 'mnist-gan'"):
        gl.train.run_recipe("mnist-gan")


def test_best_only_checkpoints_patience_shorthand_and_plots(tmp_path):
    pytest.importorskip("matplotlib")
    model = _digits_mlp()
    optimizer = gl.optim.SGD(model.parameters(), lr=0.05)
    scores = iter([0.3, 0.8, 0.6, 0.7])
    inject = LambdaCallback(on_epoch_end=lambda trainer, record: record.__setitem__("val_accuracy", next(scores)))
    best = gl.train.Checkpoint(tmp_path / "best.npz", monitor="val_accuracy")
    monitor = HealthMonitor(every=7)
    train, test = _loaders()
    history = gl.train.fit(model, F.cross_entropy, optimizer, train, epochs=4, progress=False,
                           callbacks=[inject, best], health=monitor)
    assert best.saved_epoch == 2 and gl.load(tmp_path / "best.npz")["epoch"] == 2
    assert len(monitor.plot(tmp_path / "ratios.png").axes[0].get_lines()) == 3       # two weights + the 1e-3 line
    # early_stopping=N is EarlyStopping(patience=N) on val_loss (or loss without a val_loader)
    model = _digits_mlp()
    plateau = gl.optim.schedules.ReduceLROnPlateau(gl.optim.SGD(model.parameters(), lr=0.0), patience=0)
    history = gl.train.fit(model, F.cross_entropy, plateau.optimizer, train, test, epochs=10, progress=False,
                           early_stopping=1, scheduler=plateau)
    assert len(history) == 2 and history.stopped.startswith("early stopping at epoch 2: val_loss")   # lr 0: no progress
    assert len(plateau.plot(path=tmp_path / "plateau.png").axes[0].get_lines()[0].get_xdata()) == len(history) + 1


def test_history_table_thins_long_runs_and_names_the_held_out_split():
    history = gl.train.History([{"epoch": epoch, "loss": 1 / epoch, "val_loss": 2.0} for epoch in range(1, 101)])
    history.held_out = "test"
    lines = history.table(max_rows=12, every_epoch_in="run/history.json").splitlines()
    assert lines[0].split() == ["epoch", "loss", "test_loss"]
    assert [int(line.split()[0]) for line in lines[2:-2]] == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert lines[-2:] == ["(11 of 100 epochs shown: the first, every 10th, the last;", " every epoch: run/history.json)"]
    assert len(history.table(max_rows=100).splitlines()) == 102 and "val_loss" in str(gl.train.History(history.records))
    copy = gl.train.History().load_state_dict(history.state_dict())
    assert copy.held_out == "test" and copy.table() == history.table()
