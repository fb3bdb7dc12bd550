"""gl.quiz and the walk page's quiz: the questions (the engine's own downstream gradients, the
feedback naming upstream, local, the rule and the gate pattern), the inline display, the errors,
and the page driven in headless Chromium (wrong answer, explanation, right answer, score).

Lecture ids refer to docs/catalogue.md (E01 (x+y)z, E03 sigmoid neuron, E05 copy gate).
"""
import contextlib
import html
import json
import re

import numpy as np
import pytest

import graphlab as gl
from graphlab.viz.graph import GraphView, VizError
from graphlab.viz.questions import step_questions

from browser import Browser, chromium_path
from viz_graphs import E03_GRADIENTS, e01, e03, mlp, needs_dot

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="Chromium is not installed (bash .ci/setup installs it)")


def fan_out_twice():
    """x = 3, u = 2x read three times (u * 3 + u * u): u's upstream is 6 + 6 + 3 = 15, x's 30."""
    x = gl.scalar(3.0, name="x")
    u = (x * 2).named("u")
    f = (u * 3 + u * u).named("f")
    return f, dict(x=x, u=u, f=f)


def matrix_vector():
    """loss = sum(W v) with W = [[1, 2], [3, 4]], v = [1, -1]: dL/dW = [[1, -1], [1, -1]], dL/dv = [4, 6]."""
    W = gl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W", dtype=np.float64)
    v = gl.tensor([1.0, -1.0], requires_grad=True, name="v", dtype=np.float64)
    h = (W @ v).named("h")
    return h.sum().named("loss"), dict(W=W, v=v, h=h)


def asked(root):
    """(step index, question) for every question of root's walk, from the engine's Trace."""
    trace = root.backward()
    view = GraphView(root)
    return trace, [(step.index, question) for step in trace for question in step_questions(view, step)]


# -- the questions: plain data, no Graphviz ----------------------------------------------------------------
def test_e01_asks_each_input_its_downstream_and_explains_with_upstream_and_local():
    f, _ = e01()
    trace, questions = asked(f)
    assert [(index, question["name"], question["expected"]) for index, question in questions] == [
        (0, "q", [-4.0]), (0, "z", [3.0]), (1, "x", [-4.0]), (1, "y", [-4.0])]
    x_question = questions[2][1]
    assert x_question["gradient"] == "dL/dx" and x_question["format"] == "a number"
    assert x_question["explain"] == ["x receives upstream -4 × local 1 = ?",
                                     "q = x + y: add gate: gradient distributor (every input gets the upstream unchanged)"]
    assert x_question["answer"] == "x: downstream = upstream × local: -4 × 1 = -4"
    assert questions[0][1]["explain"][1] == ("f = q * z: mul gate: swap multiplier (each input gets the upstream "
                                             "times the other input's value)")
    assert all(not step_questions(GraphView(f), step) for step in trace[2:])     # leaves: nothing to ask


def test_e03_answers_are_the_engines_gradients():
    f, nodes = e03()
    trace, questions = asked(f)
    by_name = {question["name"]: question for _, question in questions}
    for name in ("w0", "x0", "w1", "x1", "w2"):
        assert by_name[name]["expected"] == [pytest.approx(E03_GRADIENTS[name], abs=1e-7)]
        assert by_name[name]["expected"] == [float(nodes[name].grad)]
    assert by_name["w0"]["explain"][0] == "w0 receives upstream 0.1966 × local -1 = ?"
    assert by_name["x1"]["answer"] == "x1: downstream = upstream × local: 0.1966 × -3 = -0.5898"
    # the exp gate has no lecture pattern: no pattern line
    exp_step = next(index for index, step in enumerate(trace) if step.op == "exp")
    assert [len(question["explain"]) for index, question in questions if index == exp_step] == [1]


@needs_dot
def test_a_practice_level_and_seed_give_the_repls_graph_and_the_engines_answers():
    from graphlab.practice import levels
    first, again = gl.quiz(level="fanout", seed=11), gl.quiz(level=3, seed=11)
    assert [question["expected"] for _, question in first.questions] == \
        [question["expected"] for _, question in again.questions]
    graph = levels.generate(levels.resolve_level("fanout"), 11)
    trace = graph.root.backward()
    engine = {(index, name): np.ravel(gradient).tolist() for index, step in enumerate(trace)
              for name, gradient in zip([t.label for t in step.inputs], step.downstream) if gradient is not None}
    asked = {(index, question["name"]): question["expected"] for index, question in first.questions}
    assert asked and set(asked) <= set(engine)
    assert all(engine[key] == pytest.approx(expected) for key, expected in asked.items())
    other = gl.quiz(level="fanout", seed=12)
    assert [q["expected"] for _, q in other.questions] != [q["expected"] for _, q in first.questions]
    with pytest.raises(VizError, match=r"gl.quiz: no level 'gatez'; did you mean gates\?"):
        gl.quiz(level="gatez")
    with pytest.raises(VizError, match=r"gl.quiz: seed=-1 is out of range"):
        gl.quiz(level=1, seed=-1)
    with pytest.raises(VizError, match=r"gl.quiz: give either a graph .* got neither"):
        gl.quiz()
    with pytest.raises(VizError, match=r"seed= chooses a practice level's graph"):
        gl.quiz(first.walk.frames[0].node, seed=3)


def test_fan_out_names_the_sum_and_repeated_inputs_are_told_apart():
    f, nodes = fan_out_twice()
    trace, questions = asked(f)
    names = [question["name"] for _, question in questions]
    assert "u (input 1)" in names and "u (input 2)" in names
    x_question = next(question for _, question in questions if question["name"] == "x")
    assert x_question["expected"] == [30.0] == [float(nodes["x"].grad)]
    assert x_question["explain"][0] == "x receives upstream 15 × local 2 = ?"
    assert x_question["explain"][-1] == ("the upstream is the sum 6 + 6 + 3 of the 3 gradients it received "
                                         "(copy gate: gradient adder)")


def test_tensor_steps_state_the_vectorized_rule_and_ask_for_every_element():
    loss, nodes = matrix_vector()
    trace, questions = asked(loss)
    by_name = {question["name"]: question for _, question in questions}
    W_question, v_question = by_name["W"], by_name["v"]
    assert W_question["shape"] == [2, 2] and W_question["size"] == 4
    assert W_question["expected"] == [1.0, -1.0, 1.0, -1.0] == nodes["W"].grad.reshape(-1).tolist()
    assert v_question["expected"] == [4.0, 6.0] == nodes["v"].grad.tolist()
    assert W_question["explain"] == ["dL/dW (2x2) = upstream (2x1) · vᵀ (1x2)", "upstream (2) [1, 1]"]
    assert v_question["answer"] == "dL/dv (2) = Wᵀ (2x2) · upstream (2) = (2) [4, 6]"
    assert W_question["format"].startswith("4 numbers, shape (2x2), row by row")
    # an elementwise tensor step also shows its local; a constant input (X) is never asked about
    loss, nodes = mlp()
    _, questions = asked(loss)
    assert "X" not in [question["name"] for _, question in questions]
    relu = next(question for _, question in questions if question["explain"][0].startswith("dL/d(X @ W1 + b1"))
    assert relu["explain"][1].endswith("local (2x4) [[0, 0, 1, 0], [1, 0, 0, 1]]")
    assert relu["expected"] == [0.0, 0.0, 0.6375, 0.0, 3.8, 0.0, 0.0, 7.6]


# -- gl.quiz ---------------------------------------------------------------------------------------------------
@needs_dot
def test_quiz_from_a_tensor_leaves_grad_alone_and_from_a_trace_asks_the_same(tmp_path):
    f, nodes = e01()
    practice = gl.quiz(f)
    assert all(tensor.grad is None for tensor in nodes.values())          # nothing stored
    assert len(practice) == 4 and len(practice.walk) == 5
    assert [question["expected"] for _, question in practice.questions] == [[-4.0], [3.0], [-4.0], [-4.0]]
    again = gl.quiz(f.backward())
    assert [question["expected"] for _, question in again.questions] == \
        [question["expected"] for _, question in practice.questions]
    assert nodes["x"].grad == -4                                            # one backward, not two
    assert repr(practice) == ("<Quiz on f: 4 questions in 5 steps. Show it as the last line of a notebook cell, "
                              "or quiz.save('quiz.html') and open the file in a browser>")


@needs_dot
def test_quiz_on_a_non_scalar_root_starts_from_its_gradient():
    v = gl.tensor([1.0, 2.0], requires_grad=True, name="v", dtype=np.float64)
    out = (v * v).named("out")
    out.backward(np.array([1.0, -1.0]))
    practice = gl.quiz(out)
    assert [(question["name"], question["expected"]) for _, question in practice.questions] == [
        ("v (input 1)", [1.0, -2.0]), ("v (input 2)", [1.0, -2.0])]
    assert v.grad.tolist() == [2.0, -4.0]                                   # untouched by the quiz


@needs_dot
def test_quiz_page_save_and_inline_display(tmp_path):
    f, _ = e01()
    practice = gl.quiz(f)
    page = practice.save(tmp_path / "quiz.html").read_text()
    assert page == practice.html
    assert '<input id="quiz" type="checkbox" checked>' in page                # the quiz is on from the start
    assert "<h1>Practice the backward walk of f</h1>" in page
    assert "src=" not in page and "href=" not in page                       # self-contained
    shown = practice._repr_html_()
    assert shown.startswith('<iframe id="graphlab-quiz-') and "sandbox" not in shown
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(srcdoc) == page                                    # escaped, and only escaped
    other = practice._repr_html_()
    assert re.search(r'id="([^"]+)"', shown).group(1) != re.search(r'id="([^"]+)"', other).group(1)
    with pytest.raises(gl.viz.RenderError, match=r"gl.quiz: save writes an HTML page; give a path ending in .html"):
        practice.save(tmp_path / "quiz.png")
    with pytest.raises(gl.viz.RenderError, match="does not exist; create it first"):
        practice.save(tmp_path / "missing" / "quiz.html")


@needs_dot
def test_walk_displays_inline_and_without_a_folder_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f, _ = e01()
    result = gl.walk(f)
    assert list(tmp_path.iterdir()) == [] and result.index is None and result.frames[0].path is None
    assert repr(result) == "<Walk of 5 frames: not written (gl.walk(root, folder) writes it)>"
    page = result.page()
    assert '<input id="quiz" type="checkbox">' in page                      # a toggle, off
    srcdoc = re.search(r'srcdoc="([^"]*)"', result._repr_html_()).group(1)
    assert html.unescape(srcdoc) == page
    written = gl.walk(f, tmp_path / "walk")
    assert written.index.read_text() == page


def test_quiz_errors_name_the_call_the_argument_and_the_fix():
    x = gl.scalar(2.0, name="x")
    with pytest.raises(VizError, match=r"gl.quiz: x is a leaf \(no op made it\), so there is no step to practice; "
                                       r"pass a tensor computed from it, e.g. gl.quiz\(x \* 2\)"):
        gl.quiz(x)
    with pytest.raises(VizError, match=r"gl.quiz: expected the output Tensor \(gl.quiz\(f\)\) or the Trace of its "
                                       r"backward \(gl.quiz\(f.backward\(\)\)\), got list"):
        gl.quiz([x])
    M = gl.tensor(np.ones((2, 3)), requires_grad=True, name="M")
    out = (M * 2).named("out")
    with pytest.raises(VizError, match=r"gl.quiz: out has shape \(2, 3\) and no gradient to start from; reduce it "
                                       r"to one number first \(gl.quiz\(out.sum\(\)\)\) or run out.backward"):
        gl.quiz(out)
    with pytest.raises(VizError, match=r"gl.quiz: the Trace is empty"):
        gl.quiz(gl.Trace())
    constant = (gl.scalar(2.0, name="c", requires_grad=False) * 3).named("d")
    with pytest.raises(VizError, match=r"gl.quiz: d does not require grad .*; create the leaves with "
                                       r"requires_grad=True"):
        gl.quiz(constant)
    with pytest.raises(VizError, match="precision=0 must be an int from 1 to 17"):
        gl.quiz(x * 2, precision=0)


# -- a real browser ---------------------------------------------------------------------------------------------
def _in(document: str, expression: str) -> str:
    """``expression`` with ``doc`` bound to ``document`` (the page, or an iframe's document)."""
    return f"(function (doc) {{ return {expression}; }})({document})"


class Page:
    """The stepper's elements, in the page itself or inside an inline iframe."""

    def __init__(self, browser, frame: str = None):
        self.browser, self.frame = browser, frame
        self.document = "document" if frame is None else f"document.querySelector('{frame}').contentDocument"

    def text(self, element_id: str) -> str:
        return self.browser.evaluate(_in(self.document, f"doc.getElementById('{element_id}').textContent"))

    def value(self, expression: str):
        return self.browser.evaluate(_in(self.document, expression))

    def visible(self) -> list:
        return self.value("Array.from(doc.querySelectorAll('figure')).filter(function (f) { return !f.hidden; })"
                          ".map(function (f) { return f.id; })")

    def click(self, selector: str) -> None:
        self.browser.click(selector, frame=self.frame)

    def answer(self, text: str, enter: bool = True) -> None:
        self.click("#answer")
        self.browser.type(text)
        if enter:
            self.browser.press("Enter")
        else:
            self.click("#check")


@contextlib.contextmanager
def quiz_page(root, tmp_path, width: int = 1200, height: int = 800):
    """``gl.quiz(root)`` saved as a file and opened in headless Chromium, as a student opens it."""
    url = gl.quiz(root).save(tmp_path / "quiz.html").resolve().as_uri()
    with Browser(width, height) as browser:
        browser.open(url)
        yield Page(browser)


@needs_dot
@needs_chromium
def test_quiz_page_in_chromium_wrong_right_three_tries_and_score(tmp_path):
    f, _ = e01()
    with quiz_page(f, tmp_path) as page:
        browser = page.browser
        assert page.text("score") == "score 0/0"
        assert page.visible() == ["question-1"]                  # Step 1 before it sends: edges '?'
        assert page.text("question") == "Step 1 of 5: what does q receive? dL/dq = ?"
        drawn = page.value("doc.querySelector('#question-1 svg').textContent")
        assert "downstream ?" in drawn and "local -4" not in drawn and "local 3" not in drawn
        assert page.value("doc.getElementById('next').disabled") is True
        page.answer("1 2")                                       # two numbers for one: no try counted
        assert page.text("feedback") == "dL/dq: type a number (found 2)"
        page.answer("4")
        assert page.text("feedback").startswith("Not quite (try 1 of 3): q receives upstream 1 × local -4 = ?")
        assert "mul gate: swap multiplier" in page.text("feedback")
        assert page.text("score") == "score 0/0"
        page.answer("-4", enter=False)
        assert page.text("feedback") == "Right! q: downstream = upstream × local: 1 × -4 = -4"
        assert page.text("score") == "score 1/1"
        assert page.text("question") == "Step 1 of 5: what does z receive? dL/dz = ?"
        browser.press("ArrowRight")                              # typing, or not: no peeking ahead
        assert page.visible() == ["question-1"]
        for wrong in ("1", "2", "-3"):
            page.answer(wrong)
        assert page.text("feedback") == "The answer, after 3 tries: z: downstream = upstream × local: 1 × 3 = 3"
        assert page.text("score") == "score 1/2"
        assert page.visible() == ["frame-1"]                     # answered: the gradients are shown
        assert page.value("doc.getElementById('next').disabled") is False
        page.click("#next")
        assert page.visible() == ["question-2"] and page.text("counter") == "Step 2 of 5"
        assert page.text("status") == "Step 2 of 5: q = x + y"
        page.answer("-4.0001")                                   # within the relative tolerance 1e-3
        page.answer("-4")
        assert page.text("score") == "score 3/4" and page.visible() == ["frame-2"]
        assert page.text("question") == ("All 4 questions answered: score 3/4 (turn the quiz off and on to "
                                         "start again)")
        page.click("#next")
        assert page.visible() == ["frame-3"]
        browser.press("End")
        assert page.text("counter") == "Step 5 of 5" and page.text("score") == "score 3/4"


@needs_dot
@needs_chromium
def test_tensor_quiz_in_chromium_checks_elementwise(tmp_path):
    loss, _ = matrix_vector()
    with quiz_page(loss, tmp_path) as page:
        assert page.text("question") == "Step 1 of 4: what does h receive? dL/dh = ?"
        page.answer("1")                                         # one number: every element
        assert page.text("score") == "score 1/1"
        assert page.text("question") == "Step 1 of 4: answered, press next"
        page.click("#next")
        page.answer("[[1, -1], [1, 1]]")                         # one element wrong
        assert page.text("feedback") == ("Not quite (try 1 of 3): dL/dW (2x2) = upstream (2x1) · vᵀ (1x2)\n"
                                         "upstream (2) [1, 1]")
        page.answer("1 2 3")
        assert page.text("feedback").startswith("dL/dW: type 4 numbers, shape (2x2), row by row")
        page.answer("[[1, -1], [1, -1]]")
        page.answer("[4, 6]")
        assert page.text("score") == "score 3/3"
        assert page.text("feedback") == "Right! dL/dv (2) = Wᵀ (2x2) · upstream (2) = (2) [4, 6]"


@needs_dot
@needs_chromium
def test_walk_page_quiz_toggle(tmp_path):
    f, _ = e03()
    result = gl.walk(f, tmp_path / "walk")
    with Browser(1400, 800) as browser:
        browser.open(result.index.resolve().as_uri() + "#frame=4")
        page = Page(browser)
        assert page.visible() == ["frame-4"]
        assert page.value("doc.getElementById('quiz-panel').hidden") is True
        page.click("#quiz")                                      # the quiz starts from Step 1
        assert page.visible() == ["question-1"] and page.text("score") == "score 0/0"
        page.answer("-0.5344")
        assert page.text("score") == "score 1/1" and page.visible() == ["frame-1"]
        page.click("#quiz")                                      # off: every frame again
        page.click("#next")
        assert page.visible() == ["frame-2"] and page.value("doc.getElementById('score').hidden") is True


@needs_dot
@needs_chromium
def test_two_inline_walks_on_one_page_do_not_interfere(tmp_path):
    f, _ = e01()
    neuron, _ = e03()
    notebook_like = ("<!DOCTYPE html><html><body><h2>two outputs</h2>\n" + gl.walk(f)._repr_html_() +
                     "\n<p>between</p>\n" + gl.quiz(neuron)._repr_html_() + "\n</body></html>")
    (tmp_path / "page.html").write_text(notebook_like, encoding="utf-8")
    with Browser(1200, 800) as browser:
        browser.open((tmp_path / "page.html").resolve().as_uri())
        walk, quiz = Page(browser, "iframe.graphlab-walk"), Page(browser, "iframe.graphlab-quiz")
        walk.click("#next")
        walk.click("#next")
        assert walk.text("counter") == "Step 3 of 5" and walk.visible() == ["frame-3"]
        assert quiz.text("counter") == "Step 1 of 13" and quiz.visible() == ["question-1"]
        quiz.answer("-0.5344")
        assert quiz.text("score") == "score 1/1" and walk.text("counter") == "Step 3 of 5"
        # each frame fits its page: no inner scrollbar, nothing cut off
        for frame in ("iframe.graphlab-walk", "iframe.graphlab-quiz"):
            outer, inner = browser.evaluate(
                f"(function () {{ var host = document.querySelector('{frame}'); return [host.clientHeight, "
                f"host.contentDocument.documentElement.scrollHeight]; }})()")
            assert outer >= inner > 300, frame


HTML_LIKE = '</script><b>"a"&amp;'


@needs_dot
def test_names_that_look_like_html_stay_text_in_the_page():
    a = gl.scalar(2.0, name=HTML_LIKE)
    practice = gl.quiz((a * 3).named("f"))
    page = practice.html
    assert "</script><b>" not in page                       # JSON, attributes and SVG all escape it
    data = re.search(r'<script type="application/json" id="quiz-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["steps"][0]["questions"][0]["name"] == HTML_LIKE


@needs_dot
@needs_chromium
def test_names_that_look_like_html_stay_text_in_chromium(tmp_path):
    a = gl.scalar(2.0, name=HTML_LIKE)
    with quiz_page((a * 3).named("f"), tmp_path, 1000, 700) as page:
        assert page.text("question") == f"Step 1 of 2: what does {HTML_LIKE} receive? dL/d{HTML_LIKE} = ?"
        assert page.value("doc.querySelectorAll('b').length") == 0
        page.answer("3")
        assert page.text("score") == "score 1/1"
