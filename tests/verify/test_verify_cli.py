"""graphlab verify: the table of every op, and one op's full report."""
from __future__ import annotations

import subprocess
import sys

from graphlab import cli
from graphlab.verify import op_table, symbolic


def test_graphlab_verify_table_covers_every_op_and_exits_by_the_result(capsys, monkeypatch, whole_table):
    # the table itself is computed once per session (conftest.py); this checks what the command makes of it
    monkeypatch.setattr(op_table, "verify_all", lambda only=None: whole_table)
    status = cli.main(["verify"])
    output = capsys.readouterr().out
    header = output.splitlines()[0].split()
    assert header[:5] == ["op", "input", "shapes", "max", "error"] and "status" in header and "time" in header
    listed = {line.split()[0].split(".")[0] for line in output.splitlines()[2:] if line.strip() and
              not line[0].isdigit()}
    assert set(symbolic.builtin_ops()) <= listed                      # 100% of the built-in ops
    failing = [line for line in output.splitlines() if " FAIL " in f" {line} "]
    assert status == (1 if failing else 0)
    for name in op_table.EXEMPT:
        assert any(line.startswith(name + " ") and "exempt" in line for line in output.splitlines())
    assert "checks pass" in output


def test_graphlab_verify_one_op_prints_its_full_report(capsys):
    assert cli.main(["verify", "log_softmax"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("verify.op log_softmax (2, 3): pass")
    assert "symbolic twin" in output and "exact at the inputs" in output and "engine matches SymPy" in output


def test_graphlab_verify_with_shapes_and_errors(capsys):
    assert cli.main(["verify", "matmul", "--shapes", "2", "2,3"]) == 0
    assert "verify.op matmul (2,), (2, 3): pass" in capsys.readouterr().out
    assert cli.main(["verify", "no_such_op"]) == 2
    assert "no op named 'no_such_op'" in capsys.readouterr().err


def test_graphlab_verify_runs_as_a_command():
    result = subprocess.run([sys.executable, "-m", "graphlab", "verify", "relu"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "verify.op relu (2, 3): pass" in result.stdout


# -- issue 14: inputs are called by forward's own argument names ---------------------------------------
import re  # noqa: E402

import pytest  # noqa: E402


@pytest.mark.parametrize("op, names", [
    ("conv2d", ["x", "weight", "bias"]),
    ("linear", ["x", "weight", "bias"]),
    ("batch_norm", ["x", "gamma", "beta"]),
    ("layer_norm", ["x", "gamma", "beta"]),
    ("matmul", ["a", "b"]),
    ("stack", ["x0", "x1"]),
])
def test_graphlab_verify_names_inputs_as_the_op_does(op, names, capsys):
    assert cli.main(["verify", op]) == 0
    output = capsys.readouterr().out
    printed = re.findall(r"^input (\w+) \(", output, flags=re.MULTILINE)
    assert printed == names
    assert "bias0" not in output and "affine0" not in output
    # the symbolic twin is written in the same names: x[0,0]⋅weight[...] (or gamma's scale)
    assert f"{names[1]}[" in output or names[1] in output.split("symbolic twin", 1)[1]


def test_the_input_names_of_every_verify_tool_agree():
    from graphlab.verify.twins import input_names, resolve
    assert input_names(resolve("conv2d"), 2) == ["x", "weight"]          # conv2d without its bias
    assert input_names(resolve("batch_norm"), 1) == ["x"]
    assert input_names(resolve("batch_norm"), 3) == ["x", "gamma", "beta"]
    assert input_names(resolve("concat"), 3) == ["x0", "x1", "x2"]
