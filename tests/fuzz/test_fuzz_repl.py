"""Fuzz: every REPL colon command (from the command registry) and random Python lines, with
random and hostile argument strings. The Workspace must always return text and go on: a
graphlab error message, never an exception escaping ``execute``."""
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphlab.repl import Output, Workspace
from graphlab.repl.commands import COMMANDS
from outcomes import outcome

#: commands that would open a viewer, write into the working folder or leave: run in a temp folder
HOSTILE_WORDS = ["", " ", "x", "f", "q", "nosuch", "wrt", "wrt x", "x wrt x", "--force", "back", "1e999", "nan",
                 "-inf", "10**10**10", "9" * 400, "((((", "))", "[[", "'", '"', "\\", "\x00", "é∂σ", "🙂", "\n",
                 ":help", "x, y", "1/0", "relu", "matmul", "scalar", "__import__('os')", "0" * 50, "-1", "True", "b'x'", "   x   "]


def _fresh_workspace():
    workspace = Workspace()
    workspace.execute("x = gl.scalar(-2.0); y = gl.scalar(5.0); z = gl.scalar(-4.0)")
    workspace.execute("q = x + y")
    workspace.execute("f = q * z")
    return workspace


def _survives(workspace):
    def check(output):
        assert isinstance(output, Output) and isinstance(output.text, str)
        if not output.ok:    # a failure is reported in words, never as a raw traceback with internal paths
            assert output.text.strip() and "Traceback (most recent" not in output.text, output.text
            assert "site-packages" not in output.text and "graphlab/" not in output.text, output.text
        if workspace.quiz is not None:     # :quiz LEVEL started a quiz: plain lines are answers until :quiz stop
            assert "score 0/0" in workspace.execute(":quiz stop").text
        after = workspace.execute("print('alive')")
        assert after.text.endswith("alive"), after.text
        return True
    return check


argument_text = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=40),
    st.lists(st.sampled_from(HOSTILE_WORDS), min_size=1, max_size=4).map(" ".join),
)

# :quit leaves (the session ends on purpose); :render/:walk/:save write files: they run in tmp_path
SAFE_COMMANDS = sorted(COMMANDS)


@pytest.mark.parametrize("name", SAFE_COMMANDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argument=argument_text)
def test_every_command_survives_hostile_arguments(name, argument, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)          # :render must not open a viewer
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    workspace = _fresh_workspace()
    line = f":{name} {argument}"
    output = outcome(lambda: workspace.execute(line), check=_survives(workspace))
    assert output == "right answer"


@settings(max_examples=60, deadline=None)
@given(line=st.one_of(
    st.text(max_size=60),
    st.text(alphabet="xyzq+-*/()[]{}.,:=1234567890 \n'\"\\#@!%^&|<>~", max_size=60),
    st.sampled_from(["f = " + " + ".join(["x"] * 50_000), "(" * 500, "1" * 5000, "raise SystemExit",
                     "raise KeyboardInterrupt", "class A:\n    def __repr__(self): raise ValueError\nA()",
                     "import sys; sys.setrecursionlimit(10**6)" * 0 + "x ** 10**10", "gl.scalar(float('nan'))",
                     "del gl", "x.grad = 'text'", ":" * 3, ":jacobian", "\x00", "\udcff"]),
))
def test_random_python_lines_never_end_the_session(line):
    workspace = _fresh_workspace()
    result = outcome(lambda: workspace.execute(line), check=_survives(workspace))
    assert result == "right answer"
