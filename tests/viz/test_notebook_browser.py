"""A real notebook in a real browser: a notebook that displays a Trace, a diagram (gl.draw), an
inline walk (gl.walk) and a quiz (gl.quiz) is executed with nbclient, exported to HTML with
nbconvert, opened in headless Chromium, and driven: "next" in the walk changes the frame and
its caption; in the quiz a wrong answer is explained with upstream and local, the right one
raises the score. The walk and the quiz work without a kernel (the exported page has none).

E01 is the lecture's f = (x + y) z with x = -2, y = 5, z = -4 (docs/catalogue.md).
"""
import importlib.util
import shutil
from pathlib import Path

import pytest

from browser import Browser, chromium_path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_MODULES = ("nbformat", "nbclient", "nbconvert", "ipykernel")


def _missing() -> list:
    missing = [name for name in NOTEBOOK_MODULES if importlib.util.find_spec(name) is None]
    if chromium_path() is None:
        missing.append("Chromium")
    if shutil.which("dot") is None:
        missing.append("Graphviz's dot")
    return missing


pytestmark = pytest.mark.skipif(bool(_missing()), reason=f"needs {', '.join(_missing())}: bash .ci/setup "
                                                          f"installs them (the notebook extra, Chromium, Graphviz)")

CELLS = [
    f"import sys\nsys.path.insert(0, {str(ROOT)!r})     # this checkout's graphlab\nimport graphlab as gl",
    "x, y, z = gl.scalar(-2, name='x'), gl.scalar(5, name='y'), gl.scalar(-4, name='z')\n"
    "q = (x + y).named('q')\nf = (q * z).named('f')\ntrace = f.backward()\ntrace",
    "gl.draw(f)",
    "gl.walk(f)",
    "gl.quiz(f)",
]


def _executed_notebook(folder: Path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def _exported(notebook, folder: Path) -> Path:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    path = folder / "notebook.html"
    path.write_text(body, encoding="utf-8")
    return path


def _in_frame(frame: str, expression: str) -> str:
    return f"(function (doc) {{ return {expression}; }})(document.querySelector('{frame}').contentDocument)"


def test_notebook_exported_to_html_shows_the_diagram_and_drives_the_walk_and_the_quiz(tmp_path):
    notebook = _executed_notebook(tmp_path)
    outputs = [cell.outputs[0] for cell in notebook.cells[1:]]
    assert [output.output_type for output in outputs] == ["execute_result"] * 4
    assert "image/svg+xml" in outputs[1].data                                  # gl.draw: the diagram
    for output, kind in zip(outputs[2:], ("walk", "quiz")):
        assert output.data["text/html"].startswith(f'<iframe id="graphlab-{kind}-')
    page = _exported(notebook, tmp_path)

    walk, quiz = "iframe.graphlab-walk", "iframe.graphlab-quiz"

    def in_walk(expression):
        return browser.evaluate(_in_frame(walk, expression))

    def in_quiz(expression):
        return browser.evaluate(_in_frame(quiz, expression))
    visible = ("Array.from(doc.querySelectorAll('figure')).filter(function (f) { return !f.hidden; })"
               ".map(function (f) { return f.id; })")

    with Browser(1200, 900) as browser:
        browser.open(page.resolve().as_uri())
        # the diagram (nbconvert embeds SVG as a data: image): drawn by the browser, E01's numbers in it
        diagram = "document.querySelector('img[src^=\"data:image/svg+xml\"]')"
        assert browser.evaluate(f"{diagram}.complete && {diagram}.naturalWidth") > 300
        drawn = browser.evaluate(f"atob({diagram}.src.split(',')[1])")
        for label in (">q = 3<", ">f = &#45;12<", ">&#45;4<"):
            assert label in drawn
        # the walk: "next" changes the frame and its caption
        assert in_walk("doc.getElementById('counter').textContent") == "Step 1 of 5"
        assert in_walk(visible) == ["frame-1"]
        first_caption = in_walk("doc.getElementById('status').textContent")
        assert first_caption.startswith("Step 1 of 5: f = q * z")
        browser.click("#next", frame=walk)
        assert in_walk("doc.getElementById('counter').textContent") == "Step 2 of 5"
        assert in_walk(visible) == ["frame-2"]
        assert in_walk("doc.getElementById('status').textContent") == \
            "Step 2 of 5: q = x + y  (add gate: gradient distributor)"
        assert "downstream -4" in in_walk("doc.querySelector('#frame-2 svg').textContent")
        # the quiz: a wrong answer is explained with upstream and local, the right one scores
        assert in_quiz("doc.getElementById('question').textContent") == \
            "Step 1 of 5: what does q receive? dL/dq = ?"
        browser.click("#answer", frame=quiz)
        browser.type("4")
        browser.press("Enter")
        feedback = in_quiz("doc.getElementById('feedback').textContent")
        assert feedback.startswith("Not quite (try 1 of 3): q receives upstream 1 × local -4 = ?")
        assert in_quiz("doc.getElementById('score').textContent") == "score 0/0"
        browser.type("-4")
        browser.click("#check", frame=quiz)
        assert in_quiz("doc.getElementById('score').textContent") == "score 1/1"
        assert in_quiz("doc.getElementById('feedback').textContent") == \
            "Right! q: downstream = upstream × local: 1 × -4 = -4"
        # the walk kept its own state: the two frames do not share ids or keys
        assert in_walk("doc.getElementById('counter').textContent") == "Step 2 of 5"
