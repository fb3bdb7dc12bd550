"""Fuzz: every CLI subcommand's parser with hostile flag values, run in-process through
``graphlab.cli.main`` (argparse's exit caught): a one-line error naming the flag and exit status 2,
or a run that works; never a traceback. A few real subprocess runs, each with a timeout."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphlab.cli import UsageError, build_parser, main
from outcomes import outcome

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

hostile = st.one_of(
    st.sampled_from(["", " ", "-1", "0", "-0", "1.5", "nan", "inf", "-inf", "1e999", "10" * 40, "0x10", "1_000",
                     "True", "None", "a,b", ",", "2,,3", "2;3", "é", "🙂", "\\", "'", "((", "[]", "[[1],[2,3]]",
                     "__import__('os')", "x=", "=1", "x=1,", "x=[1,2", "-", "１２"]),
    st.text(max_size=20).filter(lambda text: "\x00" not in text),
    st.integers(min_value=-10 ** 30, max_value=10 ** 30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _one_line_or_none(capsys):
    """stderr holds at most one line, and never a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
    return err


def _parse(argv):
    return build_parser().parse_args(argv)


@pytest.mark.parametrize("argv_of, flag", [
    (lambda value: ["verify", "relu", "--shapes", value], "--shapes"),
    (lambda value: ["verify", "relu", "--seed", value], "--seed"),
    (lambda value: ["repl", "--lesson", value], "--lesson"),
    (lambda value: ["render", "x", "--set", value], "--set"),
    (lambda value: ["render", "x", "--set", "x=1", "-o", value], "--output"),
    (lambda value: ["render", "x", "--set", "x=1", "--focus", value], "--focus"),
    (lambda value: ["train", "--lr", value], "--lr"),
    (lambda value: ["train", "--epochs", value], "--epochs"),
    (lambda value: ["train", "--batch-size", value], "--batch-size"),
    (lambda value: ["train", "--seed", value], "--seed"),
    (lambda value: ["bench", "--quick", "--no-such-flag", value], "--no-such-flag"),
    (lambda value: ["demo", "--bogus", value], "--bogus"),
    (lambda value: ["lesson", "--nope", value], "--nope"),
])
@FUZZ
@given(value=hostile)
def test_every_parser_rejects_bad_flag_values_in_one_line(argv_of, flag, value, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = argv_of(value)
    result = outcome(lambda: _parse(argv), argument=flag, errors=(SystemExit,), check=lambda namespace: True)
    err = _one_line_or_none(capsys)
    if result == "clear error":
        assert flag in err and err.startswith("graphlab")


@FUZZ
@given(expression=st.one_of(hostile, st.text(alphabet="xyz+-*/()@ .,0123456789e", max_size=25)),
       values=st.sampled_from(["x=1,y=2,z=3", "x=[1,2],y=[3,4],z=0.5", "x=-2", "x=[[1,2],[3,4]],y=[1,2],z=1"]))
def test_render_with_hostile_expressions(expression, values, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["render", expression, "--set", values, "-o", "graph.dot"]

    def run():
        return main(argv)

    result = outcome(run, argument=("EXPR_OR_SCRIPT", "--set"), errors=(SystemExit,),
                     check=lambda code: code in (0, 2))
    err = _one_line_or_none(capsys)
    if result == "right answer" and not err:
        assert (tmp_path / "graph.dot").exists()
    assert not list(tmp_path.glob("PWNED*"))


@FUZZ
@given(shapes=st.lists(st.sampled_from(["2", "3", "2,3", "3,2", "1", "scalar", "2,2", "4,5", "0", "x"]),
                       min_size=1, max_size=3),
       op=st.sampled_from(["relu", "matmul", "add", "sum", "exp", "nosuchop"]),
       seed=st.sampled_from(["0", "7", "-3", "4294967296"]))
def test_verify_with_random_shapes_and_seeds(shapes, op, seed, capsys):
    argv = ["verify", op, "--shapes", *shapes, "--seed", seed]
    outcome(lambda: main(argv), argument=("--shapes", "--seed"), errors=(SystemExit,),
            check=lambda code: code in (0, 1, 2))
    _one_line_or_none(capsys)


def _subprocess(*argv, stdin=b""):
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "graphlab", *argv], input=stdin, capture_output=True,
                          timeout=120, env=environment)


@pytest.mark.parametrize("argv, flag", [
    (["verify", "relu", "--shapes", "0|a,b|-1"], b"--shapes"),
    (["verify", "relu", "--seed", "-1"], b"--seed"),
    (["render", "__import__('os').system('touch PWNED')"], b"EXPR_OR_SCRIPT"),
    (["render", "x", "--set", "x=\u00e9"], b"--set"),
    (["repl", "--lesson", "nosuch"], b"--lesson"),
])
def test_real_runs_exit_2_with_one_line(argv, flag, tmp_path):
    result = _subprocess(*argv)
    assert result.returncode == 2 and flag in result.stderr and len(result.stderr.splitlines()) == 1
    assert b"Traceback" not in result.stderr


def test_usage_error_is_a_system_exit_with_status_2():
    with pytest.raises(UsageError) as error:
        _parse(["verify", "relu", "--seed", "x"])
    assert error.value.code == 2 and "--seed" in str(error.value)
