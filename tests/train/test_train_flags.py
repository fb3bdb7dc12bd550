"""Issue 13: graphlab train / lesson check every flag before any work, never overwrite an earlier
run or fail late on an --out file; --limit trims the training split only."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import graphlab as gl
from graphlab import cli, lessons
from graphlab.train import RECIPES

ROOT = Path(__file__).resolve().parents[2]


def _parse_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("flag, value, says", [
    ("--epochs", "0", "argument --epochs: must be a whole number >= 1, got '0'"),
    ("--epochs", "-1", "argument --epochs: must be a whole number >= 1, got '-1'"),
    ("--epochs", "2.5", "argument --epochs: must be a whole number"),
    ("--batch-size", "0", "argument --batch-size: must be a whole number >= 1"),
    ("--limit", "-3", "argument --limit: must be a whole number >= 1, got '-3'"),
    ("--limit", "0", "argument --limit: must be a whole number >= 1"),
    ("--test-limit", "0", "argument --test-limit: must be a whole number >= 1"),
    ("--warmup", "-1", "argument --warmup: must be a whole number >= 0"),
    ("--seed", "-1", "argument --seed: must be a whole number >= 0"),
    ("--lr", "0", "argument --lr: must be > 0"),
    ("--lr", "nan", "argument --lr: must be a finite number"),
    ("--lr", "fast", "argument --lr: must be a number, got 'fast'"),
    ("--weight-decay", "-1e-4", "argument --weight-decay: must be >= 0"),
    ("--momentum", "1", "argument --momentum: must be in [0, 1)"),
    ("--optimizer", "lbfgs", "argument --optimizer: no optimizer 'lbfgs'; choose from"),
    ("--schedule", "cyclic", "argument --schedule: no schedule 'cyclic'; choose from"),
])
def test_train_flags_are_checked_at_parse_time(flag, value, says, capsys):
    assert says in _parse_error(["train", "spiral-mlp", f"{flag}={value}"], capsys)


def test_unknown_recipe_is_a_parse_error(capsys):
    assert "argument RECIPE: no recipe 'imagenet'; choose from digits-mlp" in _parse_error(["train", "imagenet"],
                                                                                          capsys)


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    for argv in (["train", "spiral-mlp", "--out", str(existing)], ["lesson", "1", "--out", str(existing)]):
        assert f"argument --out: {str(existing)!r} is a file, not a folder" in _parse_error(argv, capsys)
    with pytest.raises(SystemExit):
        lessons.arguments(["--out", str(existing)], "01_scalar_backprop.py", "a lesson")
    assert existing.read_text() == "mine"


def test_an_earlier_run_in_out_is_refused_unless_force(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.npz").write_bytes(b"earlier run")
    quick = ["train", "digits-mlp", "--epochs", "1", "--limit", "64", "--test-limit", "32", "--no-progress"]
    assert cli.main(quick + ["--out", str(out)]) == 2
    assert "holds an earlier run" in capsys.readouterr().err
    assert (out / "checkpoint.npz").read_bytes() == b"earlier run"
    assert cli.main(quick + ["--out", str(out), "--force"]) == 0
    assert gl.load(out / "checkpoint.npz")["epoch"] == 1


def test_the_default_folder_moves_on_to_a_fresh_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    earlier = tmp_path / "runs" / "digits-mlp"
    earlier.mkdir(parents=True)
    (earlier / "history.json").write_text("earlier")
    assert cli.main(["train", "digits-mlp", "--epochs", "1", "--limit", "64", "--test-limit", "32",
                     "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert f"this run writes to {os.path.join('runs', 'digits-mlp-2')}" in captured.err
    assert (earlier / "history.json").read_text() == "earlier"
    assert gl.load(tmp_path / "runs" / "digits-mlp-2" / "checkpoint.npz")["epoch"] == 1


def test_limit_trims_the_training_split_only():
    train, test = RECIPES["digits-mlp"].data(0, 10, None)
    assert len(train) == 10 and len(test) == len(gl.data.digits("test"))
    train, test = RECIPES["digits-mlp"].data(0, 10, 20)
    assert len(test) == 20
    for limit in (1, 5, 7):
        assert len(RECIPES["spiral-mlp"].data(0, limit, None)[0]) == limit


@pytest.mark.parametrize("override, argument", [
    ({"epochs": 0}, "epochs=0"), ({"batch_size": 0}, "batch_size=0"), ({"limit": -3}, "limit=-3"),
    ({"lr": -1.0}, "lr=-1.0"), ({"seed": -1}, "seed=-1"), ({"epochs": 2.5}, "epochs must be an int"),
])
def test_run_recipe_names_a_bad_override(override, argument):
    with pytest.raises(gl.GraphlabError, match=argument):
        gl.train.run_recipe("spiral-mlp", progress=False, **override)


def test_health_warnings_are_printed_once(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "graphlab", "train", "spiral-mlp", "--epochs", "30", "--lr",
                                "50", "--health", "--no-progress", "--out", str(tmp_path / "run")],
                               capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stderr.count("the loss exploded") == 1, completed.stderr
    assert "TrainingWarning" not in completed.stderr and "too low" not in completed.stderr


@pytest.mark.parametrize("argv, says", [
    (["trian", "spiral-mlp"], "argument COMMAND: no command 'trian' (did you mean 'train'?); choose from demo,"),
    (["lessonn", "1"], "no command 'lessonn' (did you mean 'lesson'?)"),
    (["train", "digit-cnn"], "argument RECIPE: no recipe 'digit-cnn' (did you mean 'digits-cnn'?); choose from"),
    (["train", "spiral-mlp", "--optimizer", "adma"], "no optimizer 'adma' (did you mean 'adam'?); choose from"),
    (["train", "spiral-mlp", "--schedule", "cosin"], "no schedule 'cosin' (did you mean 'cosine'?); choose from"),
])
def test_a_mistyped_command_recipe_optimizer_or_schedule_gets_a_did_you_mean(argv, says, capsys):
    error = _parse_error(argv, capsys)
    assert says in error and len(error.strip().splitlines()) == 1
