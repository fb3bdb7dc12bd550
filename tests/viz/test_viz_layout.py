"""Issue 14, diagrams: readable PNGs (dpi), long rows wrapped, gate patterns inside the gates,
the walk's "fit to window" never shrinking text below a readable scale."""
import re
import struct

import numpy as np
import pytest

import graphlab as gl
from graphlab.viz import dot, layout
from graphlab.viz.dot import RenderError
from graphlab.viz.graph import VizError

from browser import Browser, chromium_path
from viz_graphs import e01, e03, fan_out, needs_dot

needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="no Chromium on PATH")

#: the lecture graph's PNG before issue 14 (Graphviz's own 96 dpi)
OLD_LECTURE_PNG = (501, 216)


def png_size(path) -> tuple:
    """(width, height) from the PNG's IHDR chunk: bytes 16-24 of the file."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def small_cnn_loss():
    model = gl.nn.models.SmallCNN()
    images = gl.tensor(np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32), name="images")
    loss = gl.functional.cross_entropy(model(images), np.array([1, 2]))
    loss.backward()
    return loss


def long_chain(steps: int = 150):
    """The REPL's h = h * 0.999 + 0.001 loop: 301 nodes, collapsed automatically into boxes."""
    h = gl.scalar(1.0, name="h0")
    for _ in range(steps):
        h = h * 0.999 + 0.001
    return h


# -- PNG resolution ------------------------------------------------------------------------------------------
@needs_dot
def test_the_lecture_graph_png_is_drawn_at_twice_the_old_resolution(tmp_path):
    f, _ = e01()
    width, height = png_size(gl.render(f, tmp_path / "lecture.png"))
    assert width >= 2 * OLD_LECTURE_PNG[0] and height >= 2 * OLD_LECTURE_PNG[1]
    assert (width, height) == (1002, 432)                      # 192 dpi: exactly twice Graphviz's 96
    assert png_size(gl.render(f, tmp_path / "small.png", dpi=96)) == OLD_LECTURE_PNG


@needs_dot
def test_dpi_applies_to_pngs_only_and_leaves_a_given_digraph_alone(tmp_path):
    f, _ = e01()
    graph = gl.draw(f)
    gl.render(graph, tmp_path / "a.png")
    assert "dpi" not in graph.source                           # the caller's Digraph is not changed
    assert 'dpi' not in gl.render(f, tmp_path / "a.dot").read_text()
    for wrong in (0, 5000, "high", True):
        with pytest.raises(RenderError, match=r"render: dpi=.* must be a number from 36 to 600"):
            gl.render(f, tmp_path / "b.png", dpi=wrong)


# -- wrapping long rows ----------------------------------------------------------------------------------------
@needs_dot
@pytest.mark.parametrize("make, options", [
    (small_cnn_loss, dict(collapse="modules")),
    (long_chain, {}),
    (small_cnn_loss, dict(max_nodes=None)),
], ids=["SmallCNN modules", "301-node chain", "SmallCNN every node"])
def test_deep_diagrams_wrap_into_rows_with_a_readable_aspect_ratio(make, options, tmp_path):
    root = make()
    width, height = png_size(gl.render(root, tmp_path / "deep.png", dpi=72, **options))
    assert width / height < 8, (width, height)                 # before: 5577x261 and 12913x161
    one_row = png_size(gl.render(root, tmp_path / "row.png", dpi=72, wrap=False, **options))
    assert one_row[0] > width                                  # wrapping is what made it narrower


def test_a_chain_wraps_with_lettered_stubs_that_pair_up():
    spec = dot.build_spec(long_chain())
    stub_out = {attrs["label"] for key, attrs, _ in spec.nodes if key.endswith("_out") and key.startswith("wrap")}
    stub_in = {attrs["label"] for key, attrs, _ in spec.nodes if key.endswith("_in") and key.startswith("wrap")}
    assert stub_out and {label[0] for label in stub_out} == {label[-1] for label in stub_in}
    assert sorted(label[0] for label in stub_out)[:2] == ["A", "B"]
    # every box is still drawn once, and each stub pair stands for one edge of the chain
    boxes = [key for key, _, _ in spec.nodes if key.startswith("g")]
    unwrapped = dot.build_spec(long_chain(), wrap=False)
    assert len(boxes) == len([key for key, _, _ in unwrapped.nodes if key.startswith("g")]) == 38
    assert len(spec.edges) == len(unwrapped.edges) + len(stub_out)


def test_wrap_options_and_what_stays_in_one_row():
    f, _ = e03()
    assert not any(key.startswith("wrap") for key, _, _ in dot.build_spec(f).nodes)       # the lecture: one row
    assert dot.build_spec(f).edges == dot.build_spec(f, wrap=False).edges
    rows = dot.build_spec(f, wrap=3)
    stubs = [key for key, _, _ in rows.nodes if key.startswith("wrap")]
    assert stubs and len(stubs) % 2 == 0
    assert not any(key.startswith("wrap") for key, _, _ in dot.build_spec(f, wrap=3, rankdir="TB").nodes)
    for wrong in (1, "rows", 2.5):
        with pytest.raises(VizError, match=r"draw: wrap=.* is not an option"):
            gl.draw(f, wrap=wrong)


def test_a_scope_cut_by_a_row_break_is_one_box_per_row():
    spec = dot.build_spec(small_cnn_loss(), collapse="modules")
    source = dot.to_digraph(spec).source
    labels = re.findall(r"label=\"?([\w:]+)\"?\s", source)
    assert labels.count("SmallCNN") >= 2                       # the outer scope, once in every row
    assert "('SmallCNN'" not in source                          # labels show the scope name only


def test_levels_put_inputs_beside_their_first_reader():
    edges = [("a", "b", {}), ("b", "c", {}), ("c", "d", {}), ("w", "d", {})]
    assert layout.levels(["a", "b", "c", "d", "w"], edges) == {"a": 0, "b": 1, "c": 2, "d": 3, "w": 2}
    # collapsed boxes can read each other both ways (a block's box and a ReLU module used twice):
    # the cycle is broken where the walk enters it, and the output stays last
    cyclic = [("in", "conv", {}), ("conv", "relu", {}), ("relu", "conv2", {}), ("conv2", "add", {}),
              ("add", "relu", {}), ("relu", "fc", {}), ("fc", "out", {})]
    keys = ["in", "out", "conv", "relu", "conv2", "add", "fc"]
    assert layout.levels(keys, cyclic) == {"in": 0, "conv": 1, "relu": 2, "conv2": 3, "add": 4, "fc": 3, "out": 4}
    assert layout.columns_per_row([5.0] * 12, 16.0) == 4       # at least MIN_COLUMNS, spread evenly
    assert layout.columns_per_row([1.0] * 20, 16.0) == 10      # 16 fit, so two rows of 10
    assert layout.stub_letter(0) == "A" and layout.stub_letter(27) == "B2"


# -- gate patterns ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [e03, fan_out])
def test_gate_patterns_sit_inside_the_gates_never_on_edges(make):
    f, _ = make()
    f.backward()
    source = gl.draw(f, patterns=True).source
    assert "xlabel" not in source
    edge_lines = [line for line in source.splitlines() if "->" in line]
    node_lines = [line for line in source.splitlines() if "->" not in line]
    for words in ("swap multiplier", "gradient distributor"):
        assert not any(words in line for line in edge_lines)
        assert any(words in line for line in node_lines)
    if make is fan_out:
        copy = next(line for line in node_lines if line.strip().startswith("n0_copy"))
        assert "gradient adder" in copy and "copy" in copy
    # the numbers on the edges are those of the diagram without patterns
    plain_edges = [line for line in gl.draw(f).source.splitlines() if "->" in line]
    assert edge_lines == plain_edges


# -- the walk's fit to window ---------------------------------------------------------------------------------
@needs_dot
def test_walk_page_says_the_minimum_fit_scale(tmp_path):
    f, _ = e03()
    page = gl.walk(f, tmp_path / "walk").index.read_text()
    assert 'data-min-scale="0.75"' in page
    assert "style.minWidth" in page and "max-width: 100%" in page


@needs_dot
@needs_chromium
def test_fit_to_window_stops_at_a_readable_scale_and_scrolls(tmp_path):
    f, _ = e03()
    url = gl.walk(f, tmp_path / "walk").index.resolve().as_uri()
    measure = ("(function () { var svg = document.querySelector('#frame-1 svg');"
               " var box = document.getElementById('frames');"
               " return [svg.getBoundingClientRect().width, svg.width.baseVal.value,"
               " box.scrollWidth, box.clientWidth]; })()")
    with Browser(500, 700) as browser:                         # a narrow window: fit would shrink to ~35%
        browser.open(url)
        shown, natural, scroll_width, visible_width = browser.evaluate(measure)
        assert natural > 1000 and visible_width < 500
        assert shown >= 0.75 * natural - 1                     # never below the readable scale
        assert scroll_width > visible_width                    # the rest is reached by scrolling
    with Browser(2400, 700) as browser:                        # a wide window: natural size, no scrolling
        browser.open(url)
        shown, natural, scroll_width, visible_width = browser.evaluate(measure)
        assert abs(shown - natural) < 1 and scroll_width <= visible_width
