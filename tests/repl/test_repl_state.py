"""Issue 14, "REPL state and output": one model of the current backward shared by every view,
and output that reads at 80 columns. Driven through the Workspace (no terminal needed)."""
import re

import numpy as np
import pytest

from graphlab.repl import Workspace
from graphlab.repl.app import HINT
from graphlab.repl.commands import COMMANDS


def run(workspace, *lines):
    outputs = [workspace.execute(line) for line in lines]
    for line, output in zip(lines, outputs):
        assert output.ok, f"{line!r} failed:\n{output.text}"
    return outputs[-1]


@pytest.fixture
def lecture():
    workspace = Workspace()
    run(workspace, "x = gl.scalar(-2)", "y = gl.scalar(5)", "z = gl.scalar(-4)", "q = x + y", "f = q * z")
    return workspace


def grads(workspace, *names):
    return tuple(None if workspace.namespace[name].grad is None else float(workspace.namespace[name].grad)
                 for name in names)


def flat(text):
    """The text with its 80-column line breaks undone, to look for a sentence in it."""
    return " ".join(text.split())


def fits(text, width=80):
    return all(len(line) <= width for line in text.splitlines())


# -- the graph gets lost ----------------------------------------------------------------------------
def test_the_root_keeps_the_users_name_when_underscore_or_an_alias_holds_it_too():
    workspace = Workspace()
    run(workspace, "a = gl.scalar(2.0)", "a * 3", "b = a * 3", "1 + 1", "b", ":backward")
    assert workspace.root_name == "b" and " root: b " in workspace.toolbar()
    run(workspace, "1 + 1", ":backward")                  # `_` moved on; the root did not
    assert float(workspace.namespace["a"].grad) == 3
    focus = run(workspace, ":focus b").text
    assert "db/da = upstream × local = 1 × 3 = 3" in focus and "d_/" not in focus
    run(workspace, "g = b", ":backward g")               # an alias: the tensor keeps its name b
    assert workspace.root_name == "b"


# -- stepping erases and lies -----------------------------------------------------------------------
def test_step_after_backward_says_it_restarts_and_received_gradients_show_at_once(lecture):
    run(lecture, ":backward")
    assert lecture.toolbar().endswith("backward: done  |  :help")
    first = run(lecture, ":step").text.splitlines()
    assert first[0] == "(the walk restarts from cleared gradients; :backward gives them back at once)"
    assert first[1] == "step 1 of 5: f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)"
    assert first[2] == "  pending: q = -4, z = 3"
    assert grads(lecture, "q", "z", "x") == (-4, 3, None)   # what step 1 sent is on the nodes
    assert "backward: step 1 of 5" in lecture.toolbar()
    assert "grad  -4" in run(lecture, ":show q").text
    assert "restarts" not in run(lecture, ":step").text   # said once, when the walk replaces a backward


def test_reset_clears_what_it_says(lecture):
    run(lecture, ":backward")
    assert run(lecture, ":reset").text.startswith("cleared 5 gradients of f's graph")
    assert grads(lecture, "f", "q", "x", "y", "z") == (None,) * 5
    assert "backward: not yet" in lecture.toolbar()
    assert not lecture.execute(":focus q").ok              # no gradients, no chain rule to show


def test_a_second_backward_shows_the_same_numbers_in_every_view(lecture):
    run(lecture, ":backward")
    second = run(lecture, ":backward").text
    assert "each :backward starts from cleared gradients" in second and "x     leaf  -4" in second
    assert grads(lecture, "x", "y", "z", "q") == (-4, -4, 3, -4)
    assert run(lecture, ":focus x").text == "x (leaf): gradient -4"
    assert "grad  -4" in run(lecture, ":show x").text
    assert "x      value -2   grad -4" in run(lecture, ":graph").text
    run(lecture, "trace = f.backward()")                  # Python's backward accumulates, and the REPL says so
    assert "note: x.grad is -8, not -4" in run(lecture, ":focus x").text
    assert "note: x.grad is -8, not -4" in run(lecture, ":show x").text


def test_a_fan_out_shows_its_partial_sum_with_the_count():
    workspace = Workspace()
    run(workspace, "a = gl.scalar(2.0)", "g = a * a + a")
    first = run(workspace, ":step").text
    assert "a = 1 (partial: 1 of 3 contributions)" in first
    assert float(workspace.namespace["a"].grad) == 1
    assert "grad  1 (partial: 1 of 3 contributions)" in run(workspace, ":show a").text
    second = run(workspace, ":step").text
    assert "pending: a = 5" in second and "partial" not in second
    last = run(workspace, ":step").text
    assert "fan-out: 1 from g + 2 from " in last and float(workspace.namespace["a"].grad) == 5


# -- :focus on a node the walk has not reached ------------------------------------------------------
def test_focus_on_an_unreached_node_says_so_and_step_back_to_zero_forgets_the_steps(lecture):
    run(lecture, ":step")
    unreached = run(lecture, ":focus q").text
    assert unreached.startswith("q is not reached yet: the walk is at step 1 of 5; it has received -4 so far")
    assert "KeyError" not in unreached and "Trace:" not in unreached
    assert run(lecture, ":focus f").text.startswith("f = mul(q, z): upstream 1")
    assert run(lecture, ":step back").text.startswith("at the start of the walk (0 of 5)")
    assert run(lecture, ":focus f").text.startswith("f is not reached yet: the walk is at step 0 of 5")
    run(lecture, "c = gl.tensor(3.0)")
    assert "not in f's backward walk" in run(lecture, ":focus c").text


# -- reading at 80 columns --------------------------------------------------------------------------
def test_the_banner_and_help_fit_80_columns_and_help_command_explains_with_an_example():
    workspace = Workspace()
    assert fits(HINT) and fits(workspace.execute(":help").text)
    for name in COMMANDS:
        text = workspace.execute(f":help {name}").text
        assert fits(text) and "  example:  :" in text, name
    step = workspace.execute(":help step").text
    assert "partial: 1 of 2" in step and "example:  :step    :step back" in step


def test_step_lines_of_the_sigmoid_neuron_wrap_between_words():
    workspace = Workspace(preload="sigmoid")
    for _ in range(13):
        text = run(workspace, ":step").text
        assert fits(text)
        # wrapped lines continue indented, and rejoined they give the one-line text back
        joined = re.sub(r"\n {4,}", " ", text)
        assert joined.splitlines()[0].startswith("step ") and " = downstream (" in joined or "(leaf)" in joined


def test_python_errors_show_the_source_line_and_a_hint_that_fits():
    workspace = Workspace()
    division = workspace.execute("1 / 0").text.splitlines()
    assert division[0] == "  line 1: 1 / 0"
    assert division[1] == "ZeroDivisionError: division by zero"
    assert "division by zero" in division[2] and ":help" not in "\n".join(division)
    run(workspace, "def inverse(t):\n    return 1 / t")
    nested = workspace.execute("inverse(0)").text.splitlines()
    assert nested[:2] == ["  line 1: inverse(0)", "  line 2, in inverse: return 1 / t"]


def test_a_long_trace_is_cut_with_a_note_on_how_to_see_all():
    workspace = Workspace()
    run(workspace, "h = gl.scalar(1.0)\nfor i in range(100):\n    h = h * 0.5")
    text = run(workspace, ":backward h").text.splitlines()
    assert len(text) == 2 + 40 + 1
    assert text[-1] == "... 61 more rows not shown (:backward h --all shows every row)"
    rows = [line for line in run(workspace, ":backward h --all").text.splitlines() if line[:1].isdigit()]
    assert len(rows) == 101 and rows[-1].startswith("100 ")
    assert run(workspace, ":nodes h").text.splitlines()[-1].startswith("... 161 more rows not shown (:nodes h --all")


def test_jacobian_prints_the_engine_matrix_once_and_walk_says_what_it_wrote(lecture, tmp_path):
    run(lecture, "a = gl.scalar(1.0)", "b = gl.scalar(2.0)")
    text = run(lecture, ":jacobian [a**4 + 3*b**2*a, 5*b**2 - 2*a*b + 1] wrt a, b").text
    assert text.count("16. 12.") == 1 and "matches (max error 0)" in text
    walk = run(lecture, f":walk f {tmp_path / 'walk'}").text
    assert flat(walk) == f"wrote 5 frames: {tmp_path / 'walk' / 'index.html'} (open it in a browser)"


# -- two meanings of "lesson" -----------------------------------------------------------------------
def test_lesson_takes_the_numbers_and_names_of_graphlab_lesson():
    workspace = Workspace()
    one = run(workspace, ":lesson 1").text
    assert one.startswith("lesson 1 (scalar_backprop):") and "loaded E01" in one
    assert workspace.root_name == "f" and float(workspace.namespace["f"].data) == -12
    run(workspace, ":lesson sigmoid_neuron")
    assert round(float(workspace.namespace["f"].data), 4) == 0.7311
    run(workspace, ":lesson gates")
    five = run(workspace, ":lesson 5").text
    assert five.startswith("lesson 5 (jacobians)") and "`lesson`" in five
    assert callable(workspace.namespace["lesson"].main)
    typo = workspace.execute(":lesson scalr")
    assert not typo.ok and "did you mean 1 (scalar_backprop)?" in typo.text and fits(typo.text)


# -- :render options -------------------------------------------------------------------------------
def test_render_takes_focus_and_patterns(lecture, tmp_path):
    import graphlab as gl
    run(lecture, ":backward")
    path = tmp_path / "graph.dot"
    assert run(lecture, f":render f {path} --focus q --patterns").text.startswith(f"wrote {path}")
    expected = gl.draw(lecture.namespace["f"], focus=lecture.namespace["q"], patterns=True).source
    assert path.read_text() == expected
    assert expected != gl.draw(lecture.namespace["f"]).source
    missing = lecture.execute(":render --focus")
    assert not missing.ok and "--focus needs a node name" in missing.text
    unknown = lecture.execute(":render --colour")
    assert not unknown.ok and "the options are --focus NODE and --patterns" in flat(unknown.text)
    np.testing.assert_allclose(lecture.namespace["x"].grad, -4)


def test_a_refused_backward_or_step_clears_nothing(lecture):
    run(lecture, ":backward", "v = gl.tensor([1.0, 2.0], requires_grad=True)", "w = v * 2")
    refused = lecture.execute(":backward w")
    assert not refused.ok and "has shape (2,)" in flat(refused.text)
    assert grads(lecture, "x", "q") == (-4, -4)        # f's gradients are still there
    assert not lecture.execute(":step").ok              # w is the root now; its walk is refused too
    assert grads(lecture, "x", "q") == (-4, -4)


def test_repl_lesson_flag_takes_lesson_numbers_too():
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "graphlab", "repl", "--lesson", "1"], input=":backward\nx.grad\n",
                            capture_output=True, text=True, cwd=root, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "array(-4., dtype=float32)" in result.stdout
    typo = subprocess.run([sys.executable, "-m", "graphlab", "repl", "--lesson", "scalr"], input="",
                          capture_output=True, text=True, cwd=root, timeout=120)
    assert typo.returncode == 2 and "did you mean 1 (scalar_backprop)?" in typo.stderr


def test_graph_marks_a_partial_sum_mid_walk_like_show():
    """:graph, :show and :nodes agree mid-walk: x (used twice) has 1 of its 2 contributions."""
    workspace = Workspace()
    run(workspace, "x = gl.scalar(3.0, requires_grad=True)")
    run(workspace, "y = x * 2")
    run(workspace, "f = y + x")
    run(workspace, ":step")
    graph = run(workspace, ":graph").text.splitlines()
    x_line = next(line for line in graph if "x  (fan-out)" in line)
    assert x_line.endswith("grad 1 (partial: 1 of 2 contributions)")
    assert "(partial: 1 of 2 contributions)" in run(workspace, ":show x").text
    run(workspace, ":step")
    run(workspace, ":step")
    graph = run(workspace, ":graph").text
    assert "partial" not in graph and "grad 3" in graph
