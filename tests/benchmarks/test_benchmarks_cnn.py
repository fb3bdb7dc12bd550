"""The CNN benchmarks run end to end (``--quick``) and print their report; timings are never asserted."""
import os
import re
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "benchmarks")
NUMBER = r"[0-9]+\.[0-9]+"


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _run(script: str, options: list) -> str:
    path = os.path.join(BENCHMARKS, script)
    if not os.path.exists(path):
        pytest.skip("benchmarks/ is not in this checkout")
    completed = subprocess.run([sys.executable, path, "--quick"] + options, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed.stdout


def _check_report(out: str, memory: bool) -> None:
    """One network's report: environment, equal first losses, the timing table, the ratio, memory."""
    assert "== environment ==" in out and "numpy BLAS:" in out or "threadpoolctl not installed" in out
    assert re.search(r"OpenBLAS overrides (unset for this run|kept)|no OpenBLAS overrides", out)
    losses = re.search(r"first-step loss \(same weights, same batch\): (.*)", out).group(1)
    values = {float(value) for value in re.findall(NUMBER, losses)}
    assert max(values) - min(values) < 1e-3, losses            # every side starts from the same weights
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.split()[:1] and line.split()[0] in ("graphlab", "graphlab-1t", "pytorch")}
    assert "graphlab" in rows
    for cells in rows.values():
        forward, backward, update, total = (float(cell) for cell in cells)
        assert min(forward, backward, update, total) > 0
    if _has_torch():
        assert "pytorch" in rows
        assert re.search(rf"ratio graphlab / pytorch: total {NUMBER} \(median of per-block ratios {NUMBER}\)", out)
    assert re.search(rf"graphlab: {NUMBER} MB of numpy allocations at the peak of one step", out)
    if memory:
        assert re.search(rf"graphlab: resident set grows -?{NUMBER} MB|graphlab: resident-set growth unavailable", out)
        if _has_torch():
            assert re.search(rf"pytorch: resident set grows -?{NUMBER} MB", out)


@pytest.mark.parametrize("script,options", [("cnn_step.py", ["--no-memory"]),
                                            ("dense_block.py", ["--no-memory", "--no-single-thread"])])
def test_cnn_benchmark_quick_runs(script, options):
    # the fresh-process memory measurement (seconds) runs in test_cifar_benchmark_measures_memory_...,
    # the same harness (benchmarks/_training_step.py)
    _check_report(_run(script, options), memory=False)


@pytest.mark.parametrize("script,titles", [
    ("resnet_cifar.py", ["ResNet-20 (CIFAR)", "ResNet-56 (CIFAR)"]),
    ("densenet_cifar.py", ["DenseNet-BC 40/12 (CIFAR)", "DenseNet-BC 100/12 (CIFAR)"]),
])
def test_cifar_benchmark_runs_tiny(script, titles):
    """Both networks of the script, on a batch of 2 8x8 images (the same layers as on CIFAR)."""
    out = _run(script, ["--batch", "2", "--image-size", "8", "--no-single-thread", "--no-memory"])
    reports = out.split("== environment ==")[1:]
    assert len(reports) == len(titles), out
    for report, title in zip(reports, titles):
        assert f"== {title}: one Adam training step (batch 2, 3x8x8, float32) ==" in report, report
        _check_report("== environment ==" + report, memory=False)


def test_cifar_benchmark_measures_memory_of_the_chosen_network():
    """--model picks one network, and the fresh processes measuring memory build that one."""
    out = _run("resnet_cifar.py", ["--model", "resnet20", "--batch", "2", "--image-size", "8", "--no-single-thread"])
    assert out.count("== environment ==") == 1 and "ResNet-56" not in out
    _check_report(out, memory=True)


def test_gemm_floor_records_every_convolution_and_times_the_floors():
    """ResNet-20 has 21 convolutions (19 in the blocks and stem, 2 projections), 17 of them 3x3
    stride 1, and all but the stem (whose input is the images) need an input gradient; the floors
    and both steps get a time, and a ratio to PyTorch's step where it runs."""
    out = _run("gemm_floor.py", ["--model", "resnet20", "--batch", "2", "--image-size", "8"])
    assert "== ResNet-20 (CIFAR), batch 2 of 3x8x8: 21 convolutions, 17 of them 3x3 stride 1, " \
           "20 with an input gradient ==" in out, out
    for entry in ("im2col GEMMs alone", "im2col GEMMs + passes", "Winograd GEMMs alone",
                  "Winograd + transforms + passes", "graphlab step"):
        row = next(line for line in out.splitlines() if line.startswith(entry))
        cells = row[len(entry):].split()
        assert float(cells[0]) > 0, row
        if _has_torch():
            assert re.fullmatch(NUMBER, cells[-1]), row
    # the first stage's 3x3 convolutions to 16 channels: the stem (from 3) and 3 blocks of 2 (from 16)
    assert re.search(r"^\s+3-16\s+16 3x3\s+1\s+8x8\s+7\s", out, re.MULTILINE), out
    for flags, message in ((["--blocks", "0"], "--blocks must be at least 1"),
                           (["--model", "vgg"], "invalid choice")):
        completed = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "gemm_floor.py"), *flags],
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2 and message in completed.stderr, completed.stderr


def test_winograd_benchmark_matches_a_float64_convolution():
    out = _run("winograd.py", [])
    errors = re.findall(r"max error against float64: winograd ([0-9.e+-]+), shifted GEMMs ([0-9.e+-]+)", out)
    assert len(errors) == 3, out                                   # one per ResNet stage
    for winograd, shifted in errors:
        assert float(winograd) < 1e-4 and float(shifted) < 1e-4


@pytest.mark.parametrize("script,flags,message", [
    ("resnet_cifar.py", ["--blocks", "0"], "--blocks must be at least 1, got 0"),
    ("cnn_step.py", ["--warmup", "-1"], "--warmup must be at least 0, got -1"),
    ("winograd.py", ["--repeats", "0"], "--repeats must be at least 1, got 0"),
])
def test_cnn_benchmarks_check_their_counts_before_timing(script, flags, message):
    completed = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), *flags], capture_output=True,
                               text=True, timeout=60)
    assert completed.returncode == 2 and message in completed.stderr, completed.stderr
