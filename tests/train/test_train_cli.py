"""graphlab train: the recipes from the command line, and benchmarks/train_digits.py --quick."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import graphlab as gl

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = ROOT / "benchmarks" / "train_digits.py"


def graphlab(*arguments, cwd=None):
    return subprocess.run([sys.executable, "-m", "graphlab", *arguments], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def test_train_a_recipe_writes_checkpoint_plot_and_history(tmp_path):
    result = graphlab("train", "spiral-mlp", "--epochs", "200", "--optimizer", "momentum", "--lr", "0.3",
                      "--schedule", "cosine", "--out", str(tmp_path / "run"), "--health")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "spiral-mlp: 200 epochs in" in out and "train accuracy" in out and "goal train accuracy >= 95%" in out
    assert "epoch 200/200" in result.stderr                         # the progress bar (tqdm, on stderr)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    records = history["records"]
    assert len(records) == 200 and records[-1]["loss"] < 0.5 * records[0]["loss"]
    assert records[0]["lr"] == pytest.approx(0.3) and records[-1]["lr"] < 1e-3          # cosine to ~0
    assert (tmp_path / "run" / "history.png").read_bytes()[:4] == b"\x89PNG"
    assert "update/|W|" in (tmp_path / "run" / "health.txt").read_text()
    saved = gl.load(tmp_path / "run" / "checkpoint.npz")
    assert saved["epoch"] == 200 and saved["optimizer"].saved_class == "SGD"
    assert saved["optimizer"]["param_groups"][0]["momentum"] == 0.9


def test_train_lists_recipes_and_explains_mistakes(tmp_path):
    listing = graphlab("train")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()] == ["digits-mlp", "digits-cnn", "spiral-mlp",
                                                                        "shapes-densenet"]
    unknown = graphlab("train", "imagenet", "--out", str(tmp_path))
    assert unknown.returncode == 2 and "no recipe 'imagenet'; choose from digits-mlp" in unknown.stderr
    bad = graphlab("train", "digits-mlp", "--optimizer", "adam", "--momentum", "0.9", "--out", str(tmp_path))
    assert bad.returncode == 2 and "Adam does not take momentum" in bad.stderr
    assert "usage: graphlab train" in graphlab("train", "--help").stdout


@pytest.mark.skipif(not BENCHMARK.exists(), reason="benchmarks/ is not in this checkout")
def test_train_digits_benchmark_quick_runs():
    pytest.importorskip("torch")
    completed = subprocess.run([sys.executable, str(BENCHMARK), "--quick"], capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = completed.stdout
    overrides = [name for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if name in os.environ]
    if overrides:                       # the benchmark drops them for its own process and says so
        assert f"unset for this run only: {overrides[0]}={os.environ[overrides[0]]}" in out
    else:
        assert "OpenBLAS environment: nothing to unset" in out
    assert "numpy BLAS (threadpoolctl):" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.startswith(("graphlab[", "pytorch["))}
    assert set(rows) == {"graphlab[2", "graphlab[1", "pytorch[2", "pytorch[1"}
    assert all(float(row[1]) > 0 for row in rows.values())              # median epoch seconds
    assert "ratio graphlab[1 thread] / pytorch[1 thread]:" in out
    ratio_line = next(line for line in out.splitlines() if line.startswith("ratio graphlab / pytorch"))
    float(ratio_line.split("ratios): ")[1].split()[0])


def test_ctrl_c_during_training_leaves_a_loadable_checkpoint(tmp_path):
    import signal
    import time
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "graphlab", "train", "digits-mlp", "--epochs", "100000",
                                "--no-progress", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    checkpoint = out / "checkpoint.npz"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)                                       # a few more epochs: Ctrl-C lands anywhere, even mid-write
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr[-2000:]
    assert f"interrupted; the last checkpoint is intact: {checkpoint}" in stderr
    saved = gl.load(checkpoint)                           # complete and consistent
    assert saved["epoch"] >= 1 and len(saved["history"]["records"]) == saved["epoch"]
    assert sorted(path.name for path in out.iterdir()) == ["checkpoint.npz", "run.json"]   # no temporary file left
    assert gl.train.load_run(out).epoch == saved["epoch"]                # an interrupted run reloads too


def test_train_piped_to_a_file_writes_a_few_lines_not_a_thousand_bars(tmp_path):
    result = graphlab("train", "spiral-mlp", "--out", "run", cwd=tmp_path)       # stdout, stderr: pipes
    assert result.returncode == 0, result.stderr
    progress = result.stderr.splitlines()
    assert len(progress) == 10 and progress[0] == "epoch 100/1000: 1/1 batches, loss 0.4275, acc 82.0%"
    assert progress[-1].startswith("epoch 1000/1000: 1/1 batches, loss ")
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.split() and line.split()[0].isdigit()]
    assert [int(row.split()[0]) for row in rows] == [1] + list(range(50, 1001, 50))
    history = tmp_path / "run" / "history.json"
    assert "(21 of 1000 epochs shown: the first, every 50th, the last;" in lines
    assert " every epoch: run/history.json)" in lines and len(json.loads(history.read_text())["records"]) == 1000
    assert len(result.stdout) + len(result.stderr) < 4000 and max(map(len, lines + progress)) <= 80


def test_train_names_the_held_out_split_test_everywhere_and_says_which_loss_is_which(tmp_path):
    result = graphlab("train", "digits-mlp", "--epochs", "3", "--limit", "300", "--test-limit", "120",
                      "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0].split() == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy"]
    assert "val_" not in out and "validation" not in out
    assert "loss, accuracy: the mean over each epoch's batches while training (train mode," in out
    assert "test_loss, test_accuracy: the test split (120 samples, never trained on)," in out
    assert "final model, re-evaluated in eval mode on each whole split:" in out
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    final_test = next(line for line in out.splitlines() if line.startswith("  test loss "))
    assert final_test.endswith("(120 samples)") and history["held_out"] == "test"
    last_row = next(line for line in out.splitlines() if line.startswith("3 "))
    test_loss = f"{history['records'][-1]['val_loss']:.4f}"
    assert test_loss in last_row and final_test.startswith(f"  test loss {test_loss},")   # same model, same split
