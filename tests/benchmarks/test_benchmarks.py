"""The scalar-graph benchmark runs end to end (``--quick``); timings are never asserted."""
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "benchmarks", "scalar_graph.py")


def _tables(out: str) -> dict:
    """{table title: [rows]} for the per-(shape, N) tables."""
    tables, title = {}, None
    for line in out.splitlines():
        if line.startswith("== chain, N=") or line.startswith("== tree, N="):
            title = line
            tables[title] = []
        elif title is not None and not line.strip():
            title = None
        elif title is not None:
            tables[title].append(line)
    return tables


@pytest.mark.skipif(not os.path.exists(SCRIPT), reason="benchmarks/ is not in this checkout")
def test_scalar_graph_benchmark_quick_runs():
    completed = subprocess.run([sys.executable, SCRIPT, "--quick"], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    out = completed.stdout
    assert "== environment ==" in out and "numpy" in out
    tables = _tables(out)
    assert {title.split(",")[0] for title in tables} == {"== chain", "== tree"}, out
    for title, rows in tables.items():
        graphlab = [row for row in rows if row.split()[:1] == ["graphlab"]]
        assert len(graphlab) == 1, (title, rows)
        build, backward, free, total = graphlab[0].split()[1:5]
        for cell in (build, backward, free, total):
            float(cell.replace(",", ""))       # numbers, whatever their size
    assert "== ratios graphlab / other" in out
    assert "no super-linear growth" in out
    assert "graphlab runs in the main thread" in out


def test_instruction_count_benchmark_checks_its_flags_before_running_valgrind(tmp_path):
    script = os.path.join(os.path.dirname(SCRIPT), "instructions.py")
    for flags, message in ((["--nodes", "0"], "--nodes and --repeats must be at least 1"),
                           (["--against", str(tmp_path)], "no graphlab/__init__.py there")):
        completed = subprocess.run([sys.executable, script, *flags], capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2 and message in completed.stderr, completed.stderr


def test_contention_benchmark_runs_two_lessons_side_by_side_and_reports_both_figures():
    script = os.path.join(os.path.dirname(SCRIPT), "contention.py")
    completed = subprocess.run([sys.executable, script, "--quick"], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    out = completed.stdout
    for configuration in ("lesson 1 alone, policy on", "lesson 2 alone, policy off", "both at once, policy on",
                          "both at once, 1 BLAS thread each", "both at once, policy off"):
        row = next(line for line in out.splitlines() if line.startswith(configuration))
        assert float(row[len(configuration):].split()[0]) > 0, row
    assert "together, policy on / 1 BLAS thread each:" in out and "alone, policy on / policy off:" in out
    for flags, message in ((["--rounds", "0"], "--rounds must be at least 1"),
                           (["--lessons", "0", "3"], "--lessons takes lesson numbers")):
        completed = subprocess.run([sys.executable, script, *flags], capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2 and message in completed.stderr, completed.stderr
