"""The CNN benchmarks run end to end (``--quick``) and print their report; timings are never asserted."""
import os
import re
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "benchmarks")
NUMBER = r"[0-9]+\.[0-9]+"


@pytest.mark.parametrize("script,options", [("cnn_step.py", []), ("dense_block.py", ["--no-memory"])])
def test_cnn_benchmark_quick_runs(script, options):
    path = os.path.join(BENCHMARKS, script)
    if not os.path.exists(path):
        pytest.skip("benchmarks/ is not in this checkout")
    completed = subprocess.run([sys.executable, path, "--quick"] + options, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    out = completed.stdout
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
    try:
        import torch  # noqa: F401
        has_torch = True
    except ImportError:
        has_torch = False
    if has_torch:
        assert "pytorch" in rows
        assert re.search(rf"ratio graphlab / pytorch: total {NUMBER} \(median of per-block ratios {NUMBER}\)", out)
    assert re.search(rf"graphlab: {NUMBER} MB of numpy allocations at the peak of one step", out)
    if not options:           # the fresh-process measurement (one script is enough: it takes seconds)
        assert re.search(rf"graphlab: resident set grows -?{NUMBER} MB|graphlab: resident-set growth unavailable", out)
        if has_torch:
            assert re.search(rf"pytorch: resident set grows -?{NUMBER} MB", out)
