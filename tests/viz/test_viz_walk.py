"""gl.walk: one frame per Step in processing order, pinned layout, the HTML stepper in Chromium.

Lecture ids refer to docs/catalogue.md (E01 (x+y)z, E03 sigmoid neuron, E05 copy gate).
"""
import re
import time
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import graphlab as gl
from graphlab.viz import labels
from graphlab.viz.graph import VizError

from browser import Browser, chromium_path
from viz_graphs import SVG, E03_GRADIENTS, e01, e03, fan_out, mlp, needs_dot, scoped_mlp, svg_strings

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="Chromium is not installed (bash .ci/setup installs it)")

pytestmark = needs_dot


def test_frames_are_in_processing_order_and_the_queue_matches_the_engine(tmp_path):
    f, nodes = e03()
    result = gl.walk(f, tmp_path / "walk")
    engine_walk = gl.backward_steps(f)       # the engine's own walk of the same graph
    from graphlab.viz.graph import GraphView
    view = GraphView(engine_walk.order[0])
    assert len(result) == len(engine_walk) == 13
    for frame in result.frames:
        step = next(engine_walk)
        assert frame.index == step.index
        assert frame.node == view.name(step.node)
        assert frame.pending == [view.name(node) for node in engine_walk.pending]
        assert frame.path.name == f"step_{frame.index:03d}.svg"
    plus_one = f.creator.inputs[1]                    # f = 1 / (1 + exp(-s)): the +1 gate, unnamed
    assert [frame.node for frame in result.frames][:2] == ["f", plus_one.label]     # output first, then +1
    assert result.frames[-1].pending == []


def test_the_last_frame_gradients_equal_backward(tmp_path):
    """E03: the walk leaves .grad alone; its last frame holds exactly what backward() computes."""
    f, nodes = e03()
    result = gl.walk(f, tmp_path / "walk")
    assert all(tensor.grad is None for tensor in nodes.values())           # the walk stored nothing
    f.backward()
    last = result.frames[-1].gradients
    for name, tensor in nodes.items():
        assert last[name] == tensor.grad, name
    for name, value in E03_GRADIENTS.items():
        assert last[name] == pytest.approx(value, abs=1e-7)
    red = svg_strings(result.frames[-1].path.read_text(), labels.GRAD_COLOR)
    for name, value in E03_GRADIENTS.items():
        assert labels.number(value) in red, name
    first_red = svg_strings(result.frames[0].path.read_text(), labels.GRAD_COLOR)
    assert "?" in first_red and labels.number(E03_GRADIENTS["w0"]) not in first_red


def test_gradients_fill_in_frame_by_frame(tmp_path):
    """E01: after Step 1 (f) q's edge knows -4 and z's 3; x and y only after Step 2 (q)."""
    f, nodes = e01()
    result = gl.walk(f, tmp_path / "walk")
    assert [frame.node for frame in result.frames] == ["f", "q", "z", "y", "x"]
    counts = [svg_strings(frame.path.read_text(), labels.GRAD_COLOR).count("?") for frame in result.frames]
    assert counts == [2, 0, 0, 0, 0]
    assert result.frames[0].caption[:3] == [
        "Step 1 of 5: f = q * z  (mul gate: swap multiplier), the output: its upstream is the seed 1",
        "q: downstream = upstream × local: 1 × -4 = -4",
        "z: downstream = upstream × local: 1 × 3 = 3"]
    assert result.frames[1].caption[1] == "x: downstream = upstream × local: -4 × 1 = -4"
    assert result.frames[0].pending == ["q", "z"] and result.frames[1].pending == ["z", "y", "x"]


def test_fan_out_frame_shows_the_adder(tmp_path):
    f, nodes = fan_out()
    result = gl.walk(f, tmp_path / "walk", patterns=True)
    last = result.frames[-1]
    assert last.node == "x" and last.caption[0] == "Step 4 of 4: x (leaf): gradient 5 = 3 + 2 (fan-out: the copy gate adds)"
    assert "gradient adder" in svg_strings(last.path.read_text())


def _positions(svg: str) -> dict:
    """Where each node is drawn: its <title> -> the numbers of its first shape."""
    root = ElementTree.fromstring(svg.encode())
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title").text
        shape = next(child for child in group if child.tag != f"{SVG}title")
        found[title] = tuple(shape.get(key) for key in ("cx", "cy", "points", "d", "x", "y"))
    return found, root.get("viewBox")


@pytest.mark.parametrize("graph", [e03, mlp, scoped_mlp], ids=["E03", "mlp", "scoped_mlp"])
def test_layout_is_pinned_nothing_moves_between_frames(tmp_path, graph):
    root, _ = graph()
    result = gl.walk(root, tmp_path / "walk")
    first_positions, first_box = _positions(result.frames[0].path.read_text())
    for frame in result.frames[1:]:
        positions, box = _positions(frame.path.read_text())
        assert box == first_box
        for title, where in first_positions.items():
            if title in ("caption",):
                continue
            # a node's outline may change (current/pending), its place may not
            assert positions[title][0:2] == where[0:2] or positions[title][2:] == where[2:] or \
                _same_center(positions[title], where), (frame.index, title)
        edges_first = re.findall(r'<g id="edge\d+" class="edge">\s*<title>(.*?)</title>\s*<path[^>]* d="([^"]+)"',
                                 result.frames[0].path.read_text())
        edges_now = re.findall(r'<g id="edge\d+" class="edge">\s*<title>(.*?)</title>\s*<path[^>]* d="([^"]+)"',
                               frame.path.read_text())
        assert edges_now == edges_first


def test_question_frames_are_pinned_and_hide_what_the_step_sends():
    """E01, the quiz's question before Step 2 (q = x + y): the same picture as the answer frame,
    in the same place, but x's and y's edges read '?' and no local gradient is drawn."""
    f, _ = e01()
    result = gl.walk(f)                                    # no folder: drawn, nothing written
    asked = [frame for frame in result.frames if frame.question_svg is not None]
    assert [frame.node for frame in asked] == ["f", "q"]   # the leaves send nothing: no question
    positions, box = _positions(result.frames[0].svg)
    for frame in asked:
        question_positions, question_box = _positions(frame.question_svg)
        assert question_box == box
        for title, where in positions.items():
            if title != "caption":    # a node pending in one frame only is outlined there: same centre
                (x0, y0), (x1, y1) = _center(question_positions[title]), _center(where)
                assert abs(x0 - x1) < 0.5 and abs(y0 - y1) < 5, (frame.node, title)
    step_two = asked[1]
    assert svg_strings(step_two.svg, labels.GRAD_COLOR) == ["downstream -4", "downstream -4", "3", "upstream -4", "1"]
    assert svg_strings(step_two.question_svg, labels.GRAD_COLOR) == ["downstream ?", "downstream ?", "3",
                                                                     "upstream -4", "1"]
    assert svg_strings(step_two.svg, labels.LOCAL_COLOR) == ["local 1", "local 1"]
    assert svg_strings(step_two.question_svg, labels.LOCAL_COLOR) == []
    assert step_two.question_caption == [
        "Step 2 of 5: q = x + y", "upstream -4",
        "quiz: what does x, y receive? (local gradients hidden until answered)", "pending: z"]


def _center(where) -> tuple:
    """The middle of a node's first shape (ellipse, polygon, path) or, for a bare label, its text."""
    cx, cy, points, d, x, y = where
    if cx is not None:
        return float(cx), float(cy)
    if points is None and d is None:
        return float(x), float(y)
    numbers = [float(value) for value in re.findall(r"-?\d+\.?\d*", points or d)]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _same_center(a, b) -> bool:
    """Two outlines (polygon points or ellipse) around the same centre."""
    def center(where):
        cx, cy, points, d, x, y = where
        if cx is not None:
            return round(float(cx), 1), round(float(cy), 1)
        numbers = [float(value) for value in re.findall(r"-?\d+\.?\d*", points or d or "")]
        xs, ys = numbers[0::2], numbers[1::2]
        return round((min(xs) + max(xs)) / 2, 1), round((min(ys) + max(ys)) / 2, 1)
    return center(a) == center(b)


def test_walk_from_a_trace_and_its_html(tmp_path):
    f, nodes = e01()
    trace = f.backward()
    result = gl.walk(trace, tmp_path / "walk")
    assert [frame.node for frame in result.frames] == [step.node.label for step in trace]
    page = result.index.read_text()
    figures = re.findall(r'<figure class="(frame|question)" id="[a-z]+-(\d+)"[^>]*?( hidden)?>', page)
    # every Step's frame, the first one shown; a question frame for the two Steps that send gradient
    assert figures == [("frame", "1", ""), ("question", "1", " hidden"), ("frame", "2", " hidden"),
                       ("question", "2", " hidden"), ("frame", "3", " hidden"), ("frame", "4", " hidden"),
                       ("frame", "5", " hidden")]
    assert "<script>" in page and "src=" not in page and "href=" not in page   # self-contained
    assert 'data-caption="Step 2 of 5: q = x + y' in page


def test_walk_errors(tmp_path):
    matrix = gl.tensor(np.ones((2, 2)), requires_grad=True, name="M")
    with pytest.raises(VizError, match=r"has shape \(2, 2\); the walk starts from one number \(reduce it first"):
        gl.walk(matrix * 2, tmp_path / "w")
    x = gl.scalar(1.0, name="x")
    y = x
    for _ in range(100):
        y = y * 1.5 + 1
    with pytest.raises(VizError, match="201 nodes, more than max_nodes=150"):
        gl.walk(y, tmp_path / "w")
    (tmp_path / "file").write_text("")
    with pytest.raises(gl.viz.RenderError, match="is a file"):
        gl.walk(e01()[0], tmp_path / "file")


def test_walk_reports_its_timing(tmp_path):
    f, _ = e03()
    started = time.perf_counter()
    result = gl.walk(f, tmp_path / "walk")
    seconds = time.perf_counter() - started
    # reported, not asserted: speed is checked by benchmarks, never by a timed test
    print(f"\nwalk of the E03 sigmoid neuron ({len(result)} frames): {seconds:.2f} s "
          f"(layout {result.seconds['layout']:.2f} s)")
    assert len(result) == 13 and result.seconds["layout"] >= 0


# -- a real browser -----------------------------------------------------------------------------------------
@needs_chromium
def test_html_stepper_works_in_headless_chromium(tmp_path):
    """Buttons, arrow keys, Home/End, the slider and #frame=N, with JavaScript on; screenshots of
    the first and last frames (tests/docs/test_viz_docs.py keeps one in docs/)."""
    f, nodes = e03()
    result = gl.walk(f, tmp_path / "walk")
    url = result.index.resolve().as_uri()
    visible = ("Array.from(document.querySelectorAll('figure.frame'))"
               ".filter(function (f) { return !f.hidden; }).map(function (f) { return f.id; })")
    counter = "document.getElementById('counter').textContent"
    with Browser(1400, 700) as browser:
        browser.open(url)
        assert browser.evaluate(counter) == "Step 1 of 13"
        assert browser.evaluate(visible) == ["frame-1"]
        assert browser.evaluate("document.getElementById('prev').disabled") is True
        browser.screenshot(tmp_path / "first.png")
        browser.press("ArrowRight")
        browser.press("ArrowRight")
        assert browser.evaluate(counter) == "Step 3 of 13" and browser.evaluate(visible) == ["frame-3"]
        assert browser.evaluate("location.hash") == "#frame=3"
        browser.click("#next")
        assert browser.evaluate(visible) == ["frame-4"]
        browser.press("ArrowLeft")
        browser.click("#prev")
        assert browser.evaluate(visible) == ["frame-2"]
        browser.evaluate("var s = document.getElementById('slider'); s.value = '7';"
                         "s.dispatchEvent(new Event('input'))")
        assert browser.evaluate(visible) == ["frame-7"]
        assert browser.evaluate("document.querySelector('#frame-7').dataset.node") == result.frames[6].node
        browser.press("End")
        assert browser.evaluate(counter) == "Step 13 of 13"
        assert browser.evaluate("document.getElementById('next').disabled") is True
        last_caption = browser.evaluate("document.querySelector('#frame-13').dataset.caption")
        assert last_caption.startswith("Step 13 of 13: w0 (leaf): gradient -0.1966")
        browser.screenshot(tmp_path / "last.png")
        browser.press("Home")
        assert browser.evaluate(visible) == ["frame-1"]
        browser.open(url + "#frame=5")
        assert browser.evaluate(visible) == ["frame-5"] and browser.evaluate(counter) == "Step 5 of 13"
        # the visible frame's text as the browser lays it out: the final gradients are on screen
        browser.open(url + "#frame=13")
        shown = browser.evaluate("document.querySelector('#frame-13 svg').textContent")
        for value in E03_GRADIENTS.values():
            assert labels.number(value) in shown
    for name in ("first.png", "last.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
