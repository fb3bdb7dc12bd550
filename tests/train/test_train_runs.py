"""A finished run, reloaded: gl.train.load_run and `graphlab evaluate`; spiral-mlp's decision boundary."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphlab as gl

ROOT = Path(__file__).resolve().parents[2]


def graphlab(*arguments, cwd=None):
    return subprocess.run([sys.executable, "-m", "graphlab", *arguments], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "digits"
    result = gl.train.run_recipe("digits-mlp", epochs=2, limit=300, test_limit=120, progress=False, out=folder)
    return folder, result


def test_load_run_gives_the_model_the_summary_measured(digits_run):
    folder, result = digits_run
    settings = json.loads((folder / "run.json").read_text())
    assert settings["recipe"] == "digits-mlp" and (settings["limit"], settings["test_limit"]) == (300, 120)
    run = gl.train.load_run(folder)
    assert run.recipe.name == "digits-mlp" and run.epoch == 2 and len(run.history) == 2
    assert not run.model.training and run.splits == ["train", "test"]
    test, train = run.evaluate("test"), run.evaluate("train")
    assert test["samples"] == 120 and train["samples"] == 300
    assert test["loss"] == result.final["test_loss"] and test["accuracy"] == result.final["test_accuracy"]
    assert train["loss"] == result.final["train_loss"]
    for name, parameter in run.model.named_parameters():
        saved = gl.load(folder / "checkpoint.npz")["model"][name]
        np.testing.assert_array_equal(parameter.data, saved)


def test_graphlab_evaluate_prints_the_runs_numbers(digits_run):
    folder, result = digits_run
    completed = graphlab("evaluate", str(folder))
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == f"digits-mlp run in {folder}: the weights of epoch 2 of 2, eval mode"
    assert lines[1] == (f"  train loss {result.final['train_loss']:.4f}, train accuracy "
                        f"{100 * result.final['train_accuracy']:.2f}% (300 samples)")
    assert lines[2] == (f"  test loss {result.final['test_loss']:.4f}, test accuracy "
                        f"{100 * result.final['test_accuracy']:.2f}% (120 samples)")
    only_test = graphlab("evaluate", str(folder), "--split", "test")
    assert only_test.stdout.splitlines()[1:] == lines[2:]


def test_load_run_explains_a_folder_it_cannot_read(tmp_path, digits_run):
    with pytest.raises(gl.train.RunError, match="no checkpoint.npz in .*; give the folder a `graphlab train` run"):
        gl.train.load_run(tmp_path)
    folder, _ = digits_run
    with pytest.raises(gl.train.RunError, match="is a digits-mlp run, not digits-cnn"):
        gl.train.load_run(folder, recipe="digits-cnn")
    old = tmp_path / "old"
    old.mkdir()
    (old / "checkpoint.npz").write_bytes((folder / "checkpoint.npz").read_bytes())
    with pytest.raises(gl.train.RunError, match=r"has no run.json .*load_run\(folder, recipe='digits-cnn'\)"):
        gl.train.load_run(old)
    assert gl.train.load_run(old, recipe="digits-mlp").epoch == 2
    with pytest.raises(gl.GraphlabError, match="does not fit the model"):
        gl.train.load_run(old, recipe="spiral-mlp")
    completed = graphlab("evaluate", str(tmp_path / "nothing"))
    assert completed.returncode == 2 and "no checkpoint.npz" in completed.stderr and "Traceback" not in completed.stderr


def test_spiral_mlp_draws_its_decision_boundary_and_checkpoints_its_last_epoch(tmp_path):
    completed = graphlab("train", "spiral-mlp", "--epochs", "150", "--out", "run", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    picture = tmp_path / "run" / "decision_boundary.png"
    assert picture.read_bytes()[:4] == b"\x89PNG" and f"boundary: run/decision_boundary.png" in completed.stdout
    run = gl.train.load_run(tmp_path / "run")
    assert run.epoch == 150 and run.splits == ["train"]            # every 100 epochs, and the last one
    accuracy = next(line for line in completed.stdout.splitlines() if "train accuracy" in line)
    assert f"train accuracy {100 * run.evaluate('train')['accuracy']:.2f}%" in accuracy
    with pytest.raises(gl.train.RunError, match="spiral-mlp has no test split"):
        run.evaluate("test")


def test_decision_boundary_colours_the_plane_with_the_models_classes():
    pytest.importorskip("matplotlib")
    from graphlab.train.plots import decision_boundary

    class Quadrant:                      # class 1 right of x = 0, class 0 left of it: a known picture
        training = False

        def eval(self):
            return self

        def train(self, mode=True):
            return self

        def __call__(self, points):
            x = np.asarray(points)[:, :1]
            return gl.tensor(np.concatenate([-x, x], axis=1))

    points = np.array([[-1.0, 0.0], [1.0, 0.5], [0.5, -1.0]], dtype=np.float32)
    figure = decision_boundary(Quadrant(), points, np.array([0, 1, 0]), resolution=50)
    ax = figure.axes[0]
    assert ax.get_title() == "decision regions, accuracy 66.7%"
    assert ax.get_xlim()[0] == pytest.approx(-1.2) and ax.get_ylim()[1] == pytest.approx(0.65)
    with pytest.raises(gl.GraphlabError, match=r"inputs must be \(N, 2\) points, got shape \(3,\)"):
        decision_boundary(Quadrant(), np.zeros(3), np.zeros(3, dtype=int))
