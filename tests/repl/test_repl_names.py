"""One name per node in every REPL command and view, accepted by every command; rebinding a
variable moves its name (issue 14, "One node, several names")."""
import re
import subprocess
import sys

import numpy as np
import pytest

import graphlab as gl
from graphlab.repl import Workspace


def run(workspace, line: str) -> str:
    output = workspace.execute(line)
    assert output.ok, f"{line}: {output.text}"
    return output.text


@pytest.fixture
def unnamed_sum():
    """f = (x + y) * z with the sum left unnamed, as a student types it."""
    workspace = Workspace()
    for line in ["x = gl.scalar(-2)", "y = gl.scalar(5)", "z = gl.scalar(-4)", "f = (x + y) * z"]:
        run(workspace, line)
    return workspace, workspace.namespace["f"].creator.inputs[0]


def test_every_command_shows_and_accepts_the_same_name(unnamed_sum):
    workspace, total = unnamed_sum
    name = total.label
    assert re.fullmatch(r"t\d+", name)
    graph = run(workspace, ":graph").splitlines()
    assert graph[:2] == [f"f = {name} * z      value -12  grad ?", f"├── {name} = x + y  value 3    grad ?"]
    nodes = run(workspace, ":nodes")
    assert re.search(rf"^  {name} +\s= add\(x, y\) +value 3 ", nodes, re.M)
    assert f"mul({name}, z)" in nodes
    backward = run(workspace, ":backward")
    assert re.search(rf"^1\s+{name}\s+add\s+-4\s", backward, re.M)
    show = run(workspace, f":show {name}")
    assert show.splitlines()[0] == f"{name}: shape (), dtype float32" and "grad  -4" in show
    focus = run(workspace, f":focus {name}")
    assert focus.splitlines()[0] == f"{name} = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)"
    step = run(workspace, ":step").splitlines()
    assert step[0].startswith("(the walk restarts from cleared gradients")   # after a finished :backward
    assert step[1].startswith(f"step 1 of 5: f = mul({name}, z)")
    assert run(workspace, f":nodes {name}").splitlines()[0] == f"3 nodes of {name}:"
    assert run(workspace, f":graph {name}").splitlines()[0].startswith(f"{name} = x + y")


def test_commands_taking_a_variable_accept_a_node_name(unnamed_sum, tmp_path):
    workspace, total = unnamed_sum
    name = total.label
    target = tmp_path / "sum.dot"
    assert run(workspace, f":render {name} {target}") == f"wrote {target}"
    assert f"label={name}" in target.read_text()                  # the drawn root is the sum
    assert run(workspace, f":verify {name}").startswith(f"verify.graph {name}: pass")


def test_diagram_and_walk_use_the_repl_names(unnamed_sum, tmp_path):
    workspace, total = unnamed_sum
    run(workspace, ":backward")
    f = workspace.namespace["f"]
    source = gl.draw(f, focus=total.label).source
    assert f"x + y [{total.label}]  (add gate: gradient distributor)" in source
    from graphlab.viz.graph import GraphView
    from graphlab.viz.walk import frame_texts
    trace = gl.backward_steps(f).run()
    lines, pending, _ = frame_texts(GraphView(f), trace, 1, 4)
    assert lines[0].startswith(f"Step 2 of 5: x + y [{total.label}]")


def test_rebinding_in_a_loop_moves_the_name_to_the_new_output():
    workspace = Workspace()
    run(workspace, "h = gl.scalar(1.0, requires_grad=True)")
    leaf = workspace.namespace["h"]
    run(workspace, "for _ in range(3): h = h * 0.999 + 0.001")
    first = workspace.namespace["h"]
    assert first.label == "h" and leaf.label == "h@0" and workspace.root_name == "h"
    run(workspace, "h = h * 0.5")                        # a plain rebinding: the same rule
    assert workspace.namespace["h"].label == "h" and first.label == "h@1" and leaf.label == "h@0"
    nodes = run(workspace, ":nodes").splitlines()
    assert nodes[1].split()[0] == "h@0" and nodes[-1].split()[0] == "h"
    assert [line.split()[0] for line in nodes[1:]].count("h") == 1          # one node is h
    assert run(workspace, ":show h@0").splitlines()[0] == "h@0: shape (), dtype float32"
    assert run(workspace, ":graph").splitlines()[-1].split()[1] == "h@0"
    run(workspace, ":backward")
    assert run(workspace, ":focus h@0") == f"h@0 (leaf): gradient {gl.autodiff.trace.format_value(leaf.grad)}"
    assert np.isclose(leaf.grad, 0.5 * 0.999 ** 3)


def test_a_tensor_still_held_by_another_variable_takes_that_name():
    workspace = Workspace()
    run(workspace, "h = gl.scalar(2.0, requires_grad=True)")
    run(workspace, "h0 = h")                             # an alias: the node keeps the name h
    leaf = workspace.namespace["h"]
    assert leaf.label == "h"
    run(workspace, "h = h * 3")
    assert leaf.label == "h0" and workspace.namespace["h"].label == "h"
    run(workspace, "for _ in [h * 2]: pass")              # _ is a throwaway name, never a node's
    assert re.fullmatch(r"t\d+", workspace.namespace["_"].label)
    run(workspace, "a = gl.scalar(1.0, name='alpha')")   # a name the user chose is kept
    run(workspace, "a = a + 1")
    assert workspace.namespace["a"].label == "a"
    assert workspace.namespace["a"].creator.inputs[0].label == "alpha"


def test_piped_session_shows_one_name_per_node():
    session = "\n".join([
        "h = gl.scalar(1.0, requires_grad=True)",
        "for _ in range(2): h = h * 0.5",
        "",
        ":nodes",
        ":backward",
        ":focus h@0",
    ]) + "\n"
    result = subprocess.run([sys.executable, "-m", "graphlab", "repl"], input=session, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "h@0 (leaf): gradient 0.25" in result.stdout
    assert re.search(r"^  h +\s= mul\(t\d+, t\d+\)", result.stdout, re.M)
