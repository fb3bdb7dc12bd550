"""gl.draw / gl.render / gl.viz.text: golden DOT text, SVG numbers, focus, patterns, collapse, errors.

Lecture ids (E01, E03, E05) refer to docs/catalogue.md. Golden files live in
tests/viz/golden/viz; after an intended change, rewrite them with GRAPHLAB_UPDATE_GOLDEN=1.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import graphlab as gl
from graphlab.viz import labels
from graphlab.viz.dot import GraphvizNotFoundError, RenderError
from graphlab.viz.graph import GraphView, VizError

from viz_graphs import E03_GRADIENTS, GRAPHS, e01, e03, fan_out, mlp, needs_dot, renumbered, scoped_mlp, svg_strings

GOLDEN = Path(__file__).parent / "golden" / "viz"
GREEN, RED, BLUE = labels.VALUE_COLOR, labels.GRAD_COLOR, labels.LOCAL_COLOR


def edge_labels(source: str) -> list:
    """The text of every edge label of a DOT source, each as [(colour, text), ...] lines."""
    found = []
    for match in re.finditer(r"-> \w+ \[label=<(.*?)>\]?\n", source):
        found.append(re.findall(r'<FONT COLOR="(#\w+)"[^>]*>([^<]*)</FONT>', match.group(1)))
    return found


def fonts(fragment: str, color: str) -> list:
    return re.findall(rf'<FONT COLOR="{color}"[^>]*>(?:<[BI]>)?([^<]*)', fragment)


def colored_texts(source: str, color: str) -> list:
    """Texts in ``color`` on the edges (the caption and legend left out)."""
    return fonts("\n".join(line for line in source.splitlines() if " -> " in line), color)


# -- golden DOT text --------------------------------------------------------------------------------
@pytest.mark.parametrize("moment", ["before", "after"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_golden_dot(name, moment):
    """E01 (x+y)z, E03 sigmoid neuron, E05 fan-out, a small MLP: exact DOT text, stable ids
    (unnamed nodes' names renumbered by ``renumbered``)."""
    root, _ = GRAPHS[name]()
    if moment == "after":
        root.backward()
    source = renumbered(gl.draw(root).source)
    path = GOLDEN / f"{name}_{moment}.dot"
    if os.environ.get("GRAPHLAB_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert source == path.read_text(encoding="utf-8")


def test_node_ids_do_not_depend_on_tensors_made_before():
    first, _ = e01()
    _ = [gl.scalar(float(value)) * 2 for value in range(50)]   # moves the global id counter
    second, _ = e01()
    assert first.id != second.id
    assert gl.draw(first).source == gl.draw(second).source
    view = GraphView(second)
    assert [view.key(tensor) for tensor in view.nodes] == [f"n{index}" for index in range(len(view))]


def test_nodes_are_numbered_in_topological_order():
    f, nodes = e03()
    view = GraphView(f)
    position = {tensor.id: index for index, tensor in enumerate(view.nodes)}
    for tensor in view.nodes:
        for _, parent in view.inputs(tensor):
            assert position[parent.id] < position[tensor.id]
    assert view.nodes[-1] is f


# -- the lecture's numbers on the edges -------------------------------------------------------------------
def test_E01_values_green_above_gradients_red_below():
    f, _ = e01()
    before = gl.draw(f).source
    assert colored_texts(before, RED) == ["?"] * 5          # never a misleading 0 before backward
    f.backward()
    after = gl.draw(f).source
    pairs = {tuple(text for _, text in label) for label in edge_labels(after)}
    assert pairs == {("-2", "-4"), ("5", "-4"), ("q = 3", "-4"), ("-4", "3"), ("f = -12", "1")}
    for label in edge_labels(after):
        assert [color for color, _ in label] == [GREEN, RED]   # value first (above), gradient below
    assert "green (above): forward value" in after and "red (below): gradient" in after


def test_E03_sigmoid_gates_drawn_as_the_lecture_draws_them():
    f, nodes = e03()
    source = gl.draw(f).source
    gates = [match[1] for match in re.findall(r'\[label=("?)([^" ]+)\1 [^\]]*shape=circle', source)]
    assert gates == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    f.backward()
    red = colored_texts(gl.draw(f).source, RED)
    for name, value in E03_GRADIENTS.items():
        assert labels.number(value) in red, name
    assert "-0.5344" in red and "-0.1966" in red       # after 1/x and after exp (E03 table)


def test_fan_out_draws_a_copy_gate_whose_branches_add_up():
    """E05's copy gate: x = 4 read by *3 and *2; the branches carry 3 and 2, x's edge 5."""
    f, nodes = fan_out()
    f.backward()
    source = gl.draw(f, patterns=True).source
    assert re.search(r'n0_copy \[label=<.*>copy<.*gradient adder', source)   # the pattern inside the gate
    labels_by_edge = {m.group(1): m.group(2) for m in re.finditer(r"(n0(?:_copy)? -> \w+) \[label=<(.*?)>\]", source)}
    into_copy = fonts(labels_by_edge["n0 -> n0_copy"], RED)
    branches = sorted(fonts(label, RED)[0] for key, label in labels_by_edge.items() if key.startswith("n0_copy"))
    assert into_copy == ["5"] and branches == ["2", "3"]
    assert "gradient adder" in source
    assert nodes["x"].grad == 5


def test_drawing_a_trace_shows_the_same_numbers_as_drawing_the_tensor():
    f, _ = fan_out()
    trace = f.backward()
    assert gl.draw(trace).source == gl.draw(f).source
    f2, nodes = e03()
    trace = f2.backward()
    assert gl.draw(trace, focus="s").source == gl.draw(f2, focus="s").source


def test_show_options():
    f, _ = e01()
    f.backward()
    values_only = gl.draw(f, show="values").source
    assert colored_texts(values_only, RED) == [] and "q = 3" in values_only
    grads_only = gl.draw(f, show="grads").source
    assert colored_texts(grads_only, GREEN) == [] and colored_texts(grads_only, RED).count("-4") == 3
    bare = gl.draw(f, show="none").source
    assert "label=<" not in bare


def test_precision():
    f, _ = e03()
    f.backward()
    red = colored_texts(gl.draw(f, precision=2).source, RED)
    assert "-0.2" in red and "0.39" in red and "-0.59" in red


def test_rankdir():
    f, _ = e01()
    assert "rankdir=TB" in gl.draw(f, rankdir="TB").source


# -- focus ---------------------------------------------------------------------------------------------------------
def test_E01_focus_on_q_spells_the_chain_rule_with_the_lecture_numbers():
    f, nodes = e01()
    f.backward()
    source = gl.draw(f, focus=nodes["q"]).source
    assert "q = x + y  (add gate: gradient distributor)" in source
    assert "x: downstream = upstream × local: -4 × 1 = -4" in source
    assert "y: downstream = upstream × local: -4 × 1 = -4" in source
    assert colored_texts(source, BLUE).count("local 1") == 2
    assert colored_texts(source, RED).count("downstream -4") == 2
    assert "upstream -4" in colored_texts(source, RED)           # q's output edge
    assert gl.draw(f, focus="q").source == source                # by name


def test_focus_on_the_mul_gate_and_before_backward():
    f, nodes = e01()
    before = gl.draw(f, focus=f).source
    assert "q: downstream = upstream × local: ? × -4 = ?" in before
    f.backward()
    after = gl.draw(f, focus=f).source
    assert "q: downstream = upstream × local: 1 × -4 = -4" in after
    assert "z: downstream = upstream × local: 1 × 3 = 3" in after


def test_focus_on_a_leaf_and_on_tensor_nodes():
    f, nodes = fan_out()
    f.backward()
    assert "x (leaf): gradient 5 = 3 + 2 (fan-out: the copy gate adds)" in gl.draw(f, focus="x").source
    loss, tensors = mlp()
    loss.backward()
    h = tensors["h"]
    source = gl.draw(loss, focus=h).source
    (pre_activation,) = h.creator.inputs
    (mask,) = h.creator.local_gradients()
    assert mask.shape == (2, 4)                                  # 8 elements: shown whole
    # a tensor gate states its vectorized rule with shapes, then what the input received
    expected = f"dL/d(X @ W1 + b1 [{pre_activation.label}]) (2x4) = upstream ⊙ local (elementwise)"
    assert "h = relu(X @ W1 + b1)  (gradient router)" in source and expected in source
    assert f"= {labels.values(pre_activation.grad)}" in source
    assert np.array_equal(pre_activation.grad, h.grad * mask)
    assert f"local {labels.values(mask)}" in colored_texts(source, BLUE)
    big = gl.draw(loss, focus=pre_activation.creator.inputs[0]).source      # X @ W1: W1 has 12 elements
    assert f"downstream &lt;3x4, norm {labels.number(np.linalg.norm(tensors['W1'].grad))}&gt;" in big
    matmul = gl.draw(loss, focus=tensors["out"].creator.inputs[0]).source
    assert "dL/dh (2x4) = upstream (2x1) · W2ᵀ (1x4)" in matmul and "dL/dW2 (4x1) = hᵀ (4x2) · upstream (2x1)" in matmul
    assert colored_texts(matmul, BLUE) == []               # no flattened Wᵀ posing as a "local" on the edges


# -- patterns (E05) --------------------------------------------------------------------------------------------------
def _gate(op, upstream, *values):
    inputs = [gl.scalar(value, name=name) for value, name in zip(values, "ab")]
    output = op(*inputs).named("g")
    f = (output * upstream).named("f")
    f.backward()
    return f, inputs


@pytest.mark.parametrize("op, upstream, values, words, expected", [
    (gl.add, 2, (3, 2), "gradient distributor", (2, 2)),          # E05 add: 3 + 2, upstream 2 -> (2, 2)
    (gl.mul, 5, (2, 3), "swap multiplier", (15, 10)),             # E05 mul: 2 x 3, upstream 5 -> (15, 10)
    (gl.maximum, 9, (4, 5), "gradient router", (0, 9)),           # E05 max: max(4, 5), upstream 9 -> (0, 9)
], ids=["add", "mul", "max"])
def test_E05_gate_patterns_match_the_lecture(op, upstream, values, words, expected):
    f, inputs = _gate(op, upstream, *values)
    source = gl.draw(f, patterns=True).source
    assert words in source
    assert tuple(float(tensor.grad) for tensor in inputs) == expected
    red = colored_texts(source, RED)
    for value in expected:
        assert labels.number(value) in red
    assert words not in gl.draw(f).source                          # only with patterns=True


def test_relu_is_a_router_and_patterns_on_tensor_nodes():
    loss, _ = mlp()
    loss.backward()
    source = gl.draw(loss, patterns=True).source
    assert "gradient router" in source and "gradient distributor" in source and "swap multiplier" not in source


# -- tensor graphs ----------------------------------------------------------------------------------------------------
def test_tensor_nodes_show_name_op_shape_dtype_values_and_grad():
    loss, tensors = mlp()
    before = gl.draw(loss).source
    assert "<B>h</B>&#160;= relu" in before and "(2, 4) float64" in before
    assert "<B>out</B>&#160;= +" in before
    w1 = tensors["W1"].data
    assert f"mean {labels.number(w1.mean())} std {labels.number(w1.std())}" in before     # 12 > 8 elements
    assert f"min {labels.number(w1.min())} max {labels.number(w1.max())}" in before
    assert "[0.1, -0.1, 0.2, 0]" in before                                                  # b1: 4 <= 8 elements
    assert "grad ?" in before
    loss.backward()
    after = gl.draw(loss).source
    norm = np.linalg.norm(tensors["W1"].grad)
    assert f"grad norm {labels.number(norm)}" in after
    assert f"grad {labels.values(tensors['b1'].grad)}" in after
    assert "X" in after and "grad ?" not in after


# -- collapse ---------------------------------------------------------------------------------------------------------
def test_collapse_modules_makes_one_box_per_scope_with_shapes_and_parameters():
    loss, tensors = scoped_mlp()
    loss.backward()
    source = gl.draw(loss, collapse="modules").source
    boxes = re.findall(r"(g\d+) \[label=<.*?<B>([^<]+)</B>.*?shape=box3d", source)
    assert [title for _, title in boxes] == ["mlp/fc1", "mlp/act", "mlp/fc2"]
    assert "in (2, 3) -&gt; out (2, 4)" in source and "params 16" in source    # fc1: W1 12 + b1 4
    assert "params 4" in source                                                 # fc2: W2
    assert "subgraph cluster_s0" in source and "label=mlp" in source
    one_box = gl.draw(loss, collapse=1).source
    assert re.findall(r"<B>([^<]+)</B>.*?shape=box3d", one_box) == ["mlp"]
    assert "params 20" in one_box and "4 ops: matmul ×2, add, relu" in one_box


def test_every_node_drawn_inside_its_scope_cluster_without_collapse():
    loss, _ = scoped_mlp()
    source = gl.draw(loss).source
    assert source.count("subgraph cluster_") == 4        # mlp, and fc1 / act / fc2 inside it
    assert "shape=box3d" not in source


def _long_chain(blocks: int, per_block: int, scoped: bool):
    x = gl.scalar(0.5, name="x")
    y = x
    for block in range(blocks):
        if scoped:
            with gl.scope(f"block{block}"):
                for _ in range(per_block):
                    y = y * 0.99 + 0.01
        else:
            for _ in range(per_block):
                y = y * 0.99 + 0.01
    return y.named("y")


@needs_dot
@pytest.mark.parametrize("scoped", [True, False], ids=["scopes", "no_scopes"])
def test_10000_node_graph_draws_collapsed(scoped):
    y = _long_chain(100, 50, scoped)               # 100 x 50 x (mul, add) = 10,000 op nodes
    y.backward()
    assert len(GraphView(y)) == 10_001
    started = time.perf_counter()
    graph = gl.draw(y)
    svg = gl.viz.dot.pipe(graph, "svg")
    seconds = time.perf_counter() - started
    # the time is reported, not asserted (speed is for benchmarks; a loaded machine must not fail this)
    print(f"\n10,000-node graph ({'scopes' if scoped else 'no scopes'}): drawn and rendered collapsed in {seconds:.2f} s")
    assert "10,001 nodes, more than max_nodes=150: collapsed automatically" in graph.source
    boxes = graph.source.count("shape=box3d")
    assert boxes == (100 if scoped else 40)
    assert b"collapsed automatically" in svg


def test_auto_collapse_respects_max_nodes_and_can_be_turned_off():
    y = _long_chain(3, 10, scoped=True)         # 61 nodes
    assert "box3d" not in gl.draw(y).source
    collapsed = gl.draw(y, max_nodes=20).source
    assert collapsed.count("shape=box3d") == 3 and "more than max_nodes=20" in collapsed
    assert "box3d" not in gl.draw(y, max_nodes=None).source
    runs = gl.draw(_long_chain(1, 30, scoped=False), max_nodes=10).source
    assert "boxes of consecutive nodes" in runs and runs.count("shape=box3d") == 5


# -- text fallback ---------------------------------------------------------------------------------------------------
def test_text_tree_has_the_same_numbers(capsys):
    f, _ = e03()
    f.backward()
    gl.viz.text(f)
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith(f"f = 1 / {f.creator.inputs[1].label} ")    # the unnamed 1 + exp(-s)
    for name, value in E03_GRADIENTS.items():
        assert re.search(rf"\b{name}\s+value \S+\s+grad {re.escape(labels.number(value))}", printed), name


def test_text_shows_fan_out_once_and_deep_graphs_as_a_table():
    f, _ = fan_out()
    f.backward()
    tree = gl.viz.diagram(f)
    assert "x  (fan-out)" in tree and "(see above)" in tree and "grad 5" in tree
    deep = gl.viz.diagram(_long_chain(1, 40, scoped=False))
    assert deep.splitlines()[0].split() == ["node", "computed", "as", "value", "grad"]
    assert len(deep.splitlines()) == 82


def test_text_works_without_graphviz(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    f, _ = e01()
    assert "value -12" in gl.viz.diagram(f)


# -- SVG (needs dot) ----------------------------------------------------------------------------------------------------
@needs_dot
def test_E01_svg_has_the_numbers(tmp_path):
    f, _ = e01()
    f.backward()
    path = gl.render(f, tmp_path / "flow.svg")
    svg = path.read_text()
    assert sorted(svg_strings(svg, GREEN)) == sorted(["-2", "5", "q = 3", "-4", "f = -12"] +
                                                     ["green (above): forward value"])
    assert sorted(svg_strings(svg, RED)) == sorted(["-4", "-4", "-4", "3", "1",
                                                    "red (below): gradient d output / d node, ? = not computed yet"])
    assert {"x", "y", "z", "+", "*", "f"} <= set(svg_strings(svg))


@needs_dot
def test_E03_svg_after_backward_and_focus_caption(tmp_path):
    f, nodes = e03()
    f.backward()
    svg = gl.render(f, tmp_path / "neuron.svg", patterns=True).read_text()
    red = svg_strings(svg, RED)
    for value in E03_GRADIENTS.values():
        assert labels.number(value) in red
    assert "0.7311" in " ".join(svg_strings(svg, GREEN))
    assert {"gradient distributor", "swap multiplier"} <= set(svg_strings(svg))
    q_focus = gl.render(e01()[0], tmp_path / "focus.svg", focus="f").read_text()
    assert "q: downstream = upstream × local: ? × -4 = ?" in svg_strings(q_focus, BLUE)


@needs_dot
def test_render_formats_by_extension(tmp_path):
    f, _ = e01()
    f.backward()
    assert gl.render(f, tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    assert gl.render(f, tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert gl.render(f, tmp_path / "a.pdf").read_bytes()[:5] == b"%PDF-"
    assert gl.render(f, tmp_path / "a.dot").read_text() == gl.draw(f).source
    digraph = gl.draw(f, focus="q")
    assert "upstream" in gl.render(digraph, tmp_path / "b.svg").read_text()


def test_render_errors_are_clear(tmp_path):
    f, _ = e01()
    with pytest.raises(RenderError, match=r"a\.gif has '\.gif'; name the file \.svg, \.png, \.pdf or \.dot"):
        gl.render(f, tmp_path / "a.gif")
    with pytest.raises(RenderError, match="has no extension"):
        gl.render(f, tmp_path / "flow")
    with pytest.raises(RenderError, match=r"the folder .*missing does not exist; create it first"):
        gl.render(f, tmp_path / "missing" / "a.svg")
    (tmp_path / "dir.svg").mkdir()
    with pytest.raises(RenderError, match="is a folder"):
        gl.render(f, tmp_path / "dir.svg")
    with pytest.raises(RenderError, match="apply to tensors"):
        gl.render(gl.draw(f), tmp_path / "x.svg", focus="q")


def test_render_without_dot_names_the_install_commands_and_writes_the_source(monkeypatch, tmp_path):
    f, _ = e01()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError) as caught:
        gl.render(f, tmp_path / "flow.svg")
    message = str(caught.value)
    for command in ("sudo apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz"):
        assert command in message
    assert str(tmp_path / "flow.dot") in message
    assert (tmp_path / "flow.dot").read_text() == gl.draw(f).source
    assert not (tmp_path / "flow.svg").exists()


# -- options and imports ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("options, message", [
    (dict(show="everything"), "show='everything' is not an option"),
    (dict(rankdir="up"), "rankdir='up' is not an option"),
    (dict(collapse="layers"), "collapse='layers' is not an option"),
    (dict(collapse=0), "collapse=0 is not an option"),
    (dict(max_nodes=0), "max_nodes=0 must be a positive int"),
    (dict(precision=0), "precision=0 must be an int from 1 to 17"),
    (dict(focus="nope"), "'nope' names no node of this graph; named nodes: f, q, x, y, z"),
])
def test_bad_options_are_clear_errors(options, message):
    f, _ = e01()
    with pytest.raises(VizError, match=re.escape(message)):
        gl.draw(f, **options)


def test_focus_must_be_in_the_graph_and_outside_collapsed_boxes():
    f, _ = e01()
    other = gl.scalar(1.0, name="other")
    with pytest.raises(VizError, match="other is not in the graph of f"):
        gl.draw(f, focus=other)
    loss, _ = scoped_mlp()
    with pytest.raises(VizError, match="inside a collapsed box"):
        gl.draw(loss, collapse="modules", focus=loss.creator.inputs[0].creator.inputs[0])
    with pytest.raises(VizError, match="expected a graphlab Tensor"):
        gl.draw(np.ones(3))


def test_importing_graphlab_does_not_import_graphviz_and_only_dot_py_does():
    code = "import sys, graphlab; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    package = Path(gl.__file__).parent
    importers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                       if re.search(r"^\s*(import graphviz|from graphviz)", path.read_text(), re.M))
    assert importers == ["viz/dot.py"]


def test_text_diagram_of_a_cnn_fits_80_columns_with_names_shapes_and_means():
    """A CNN's text view at 80 columns: parameters by their module path, tensors by shape and
    mean (the Trace's wording), each node's numbers under it; a small graph keeps its tree."""
    gl.manual_seed(0)           # the weights (and so the printed means) do not depend on the tests before
    model = gl.nn.models.SmallCNN()
    images = gl.tensor(np.random.default_rng(0).random((2, 1, 28, 28)), dtype=np.float32)
    loss = gl.functional.cross_entropy(model(images), np.array([1, 2]))
    loss.backward()
    text = gl.viz.diagram(loss)
    assert max(len(line) for line in text.splitlines()) <= 80
    lines = text.splitlines()
    weight = lines.index("head.1.weight")
    mean = float(model.head[1].weight.grad.mean())
    assert lines[weight + 1].startswith("    value (10x784) mean ") and "grad (10x784) mean" in lines[weight + 1]
    assert f"{mean:.4g}" in lines[weight + 1] or f"{mean:.3e}"[:5] in lines[weight + 1]
    assert lines[-2].startswith(f"{loss.label} = cross_entropy(")
    assert lines[-1] == f"    value {float(loss.data):.4g}  grad 1"
