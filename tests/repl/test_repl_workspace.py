"""Every REPL command, driven through the pure-Python Workspace (no terminal needed)."""
import numpy as np
import pytest

from graphlab.repl import Workspace
from graphlab.repl.commands import COMMANDS
from graphlab.repl.workspace import iter_blocks


def run(workspace, *lines):
    outputs = [workspace.execute(line) for line in lines]
    return outputs[-1] if len(outputs) == 1 else outputs


@pytest.fixture
def lecture():
    """E01 typed the way a student would."""
    workspace = Workspace()
    for line in ["x = gl.scalar(-2)", "y = gl.scalar(5)", "z = gl.scalar(-4)", "q = x + y", "f = q * z"]:
        assert workspace.execute(line).ok
    return workspace


def test_assigned_tensors_take_their_names_and_the_last_output_is_the_root(lecture):
    assert lecture.namespace["q"].label == "q" and lecture.root_name == "f"
    assert lecture.execute("f").text == "Tensor(-12., name='f', op=mul)"


def test_backward_prints_the_trace_with_the_lecture_numbers(lecture):
    text = lecture.execute(":backward").text
    assert "f     mul   1         (-4, 3)  (-4, 3)     swap" in text
    assert "q     add   -4        (1, 1)   (-4, -4)    distributor" in text
    assert lecture.namespace["x"].grad == -4 and lecture.namespace["z"].grad == 3


def test_step_walks_one_node_at_a_time_and_back(lecture):
    first = lecture.execute(":step").text
    assert first.startswith("step 1 of 5: f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)")
    assert "pending: q = -4, z = 3" in first
    assert lecture.namespace["q"].grad == -4                # received at step 1: shown at once
    second = lecture.execute(":step").text
    assert "q = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)" in second
    assert lecture.namespace["x"].grad == -4             # x is pending, its gradient already shows
    back = lecture.execute(":step back").text
    assert back.startswith("step 1 of 5: f = mul")
    assert lecture.namespace["q"].grad == -4 and lecture.namespace["x"].grad is None
    for _ in range(4):
        last = lecture.execute(":step")
    assert "done: every gradient is final" in last.text
    assert (lecture.namespace["x"].grad, lecture.namespace["y"].grad, lecture.namespace["z"].grad) == (-4, -4, 3)
    assert not lecture.execute(":step").ok                # past the end: a clear message
    assert "cleared 5 gradients" in lecture.execute(":reset").text
    assert lecture.execute(":step").text.startswith("step 1 of 5")


def test_step_shows_the_fan_out_sum():
    workspace = Workspace()
    run(workspace, "a = gl.scalar(2.0)", "g = a * a + a")
    texts = [workspace.execute(":step").text for _ in range(3)]
    assert "fan-out: 1 from g + 2 from " in texts[2] and "= 5" in texts[2]


def test_focus_spells_the_chain_rule(lecture):
    assert not lecture.execute(":focus q").ok           # no gradients yet
    lecture.execute(":backward")
    text = lecture.execute(":focus q").text
    assert "df/dx = upstream × local = -4 × 1 = -4" in text and "df/dy = upstream × local = -4 × 1 = -4" in text


def test_nodes_show_vars_and_patterns(lecture):
    lecture.execute(":backward")
    nodes = lecture.execute(":nodes").text
    assert nodes.startswith("5 nodes of f:") and "q        = add(x, y)" in nodes
    show = lecture.execute(":show q").text
    assert "made by add(x, y)" in show and "local dq/dx = 1" in show and "grad  -4" in show
    assert "value -12" in lecture.execute(":vars").text
    patterns = lecture.execute(":patterns").text
    assert "gradient distributor" in patterns and "f: swap, q: distributor" in patterns


def test_zero_grad_clears_everything(lecture):
    lecture.execute(":backward")
    assert lecture.execute(":zero_grad").text == "cleared 5 gradients"
    assert lecture.namespace["x"].grad is None


def test_jacobian_of_the_lecture_example_E08():
    workspace = Workspace()
    run(workspace, "x = gl.scalar(1.0)", "y = gl.scalar(2.0)")
    text = workspace.execute(":jacobian [x**4 + 3*y**2*x, 5*y**2 - 2*x*y + 1] wrt x, y").text
    assert "[[16. 12.]\n   [-4. 18.]]" in text and text.count("[[16. 12.]") == 1   # the engine's, once


def test_lesson_loads_a_lecture_graph():
    workspace = Workspace(preload="sigmoid")
    assert workspace.root_name == "f" and round(workspace.namespace["f"].item(), 2) == 0.73
    workspace.execute(":backward")
    assert round(float(workspace.namespace["w0"].grad), 2) == -0.20
    failed = workspace.execute(":lesson nope")
    assert not failed.ok and "scalar" in failed.text


def test_errors_keep_the_session_going_with_hints(lecture):
    name_error = lecture.execute("q + w")
    assert not name_error.ok and "NameError" in name_error.text and "hint" in name_error.text
    typo = lecture.execute("x.grd")
    assert "did you mean grad?" in typo.text
    syntax = lecture.execute("f = (x +")
    assert not syntax.ok and "SyntaxError" in syntax.text
    unknown = lecture.execute(":stpe")
    assert not unknown.ok and "did you mean :step?" in unknown.text
    shape = lecture.execute("gl.ones(2, 3) @ gl.ones(4, 5)")
    assert "ShapeError: matmul: shapes (2, 3) and (4, 5) do not align" in shape.text
    assert lecture.execute("f").ok and lecture.failures == 5


def test_help_covers_every_command():
    workspace = Workspace()
    text = workspace.execute(":help").text
    for name in COMMANDS:
        assert f":{name}" in text
    assert workspace.execute(":help step").text.startswith(":step [back]")


def test_save_never_overwrites_and_load_replays(lecture, tmp_path):
    lecture.execute(":backward")
    path = tmp_path / "session.txt"
    assert "saved 6 inputs" in lecture.execute(f":save {path}").text
    path_text = path.read_text()
    assert "f = q * z\n:backward\n" in path_text
    refused = lecture.execute(f":save {path}")
    assert not refused.ok and "exists; nothing was written" in refused.text
    assert path.read_text() == path_text                   # untouched
    assert lecture.execute(f":save {path} --force").ok
    fresh = Workspace()
    replay = fresh.execute(f":load {path}")
    assert replay.ok and "replayed" in replay.text
    assert fresh.namespace["x"].grad == -4


def test_history_and_quit(lecture):
    assert "   5  f = q * z" in lecture.execute(":history").text
    assert lecture.execute(":quit").quit


def test_blocks_are_grouped_like_the_python_prompt():
    lines = ["x = 1", "for i in range(2):", "    x += i", "", ":vars", "y = (1,", "     2)", "# a comment"]
    assert list(iter_blocks(lines)) == ["x = 1", "for i in range(2):\n    x += i", ":vars", "y = (1,\n     2)"]


def test_toolbar_reports_root_nodes_and_walk(lecture):
    assert lecture.toolbar().startswith(" root: f  |  nodes: 5  |  backward: not yet")
    lecture.execute(":step")
    assert "step 1 of 5" in lecture.toolbar()
    lecture.execute(":backward")
    assert "backward: done" in lecture.toolbar()


def test_vector_graph_through_the_repl():
    workspace = Workspace(preload="vector")
    workspace.execute(":backward")
    np.testing.assert_allclose(workspace.namespace["W"].grad, [[0.088, 0.176], [0.104, 0.208]], rtol=1e-5)


def test_graph_prints_the_text_diagram(lecture):
    lecture.execute(":backward")
    text = lecture.execute(":graph").text
    assert text.splitlines()[0].split() == ["f", "=", "q", "*", "z", "value", "-12", "grad", "1"]
    assert "x      value -2   grad -4" in text


def test_verify_checks_the_graph_and_ops_exactly(lecture):
    graph = lecture.execute(":verify").text
    assert graph.startswith("verify.graph f: pass") and "df/dz =" in graph
    op = lecture.execute(":verify relu")
    assert op.ok and op.text.startswith("verify.op relu") and ": pass" in op.text.splitlines()[0]
    assert not lecture.execute(":verify no_such_op").ok


def test_jacobian_shows_the_exact_sympy_matrix():
    workspace = Workspace()
    run(workspace, "x = gl.scalar(1.0)", "y = gl.scalar(2.0)")
    text = workspace.execute(":jacobian [x**4 + 3*y**2*x, 5*y**2 - 2*x*y + 1] wrt x, y").text
    assert "matches (max error 0)" in text


def test_render_and_walk_write_files(lecture, tmp_path):
    lecture.execute(":backward")
    svg = tmp_path / "flow.svg"
    assert lecture.execute(f":render f {svg}").text.startswith(f"wrote {svg}")
    assert "-12" in svg.read_text()
    walk_dir = tmp_path / "walk"
    assert lecture.execute(f":walk {walk_dir}").ok
    assert (walk_dir / "index.html").is_file()
    bad = lecture.execute(f":render f {tmp_path}/flow.xyz")
    assert not bad.ok and "xyz" in bad.text
    extra = lecture.execute(":walk f one two")
    assert not extra.ok and "usage: :walk [var] [dir]" in extra.text
