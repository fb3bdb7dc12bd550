"""Issue 15: rich display in Jupyter (``_repr_html_`` and friends) for Tensor, Step, Trace, Module,
summary, History, verify reports and diagrams: real HTML, escaped, with the text views' numbers."""
from html.parser import HTMLParser

import re
import numpy as np
import pytest

import graphlab as gl
from graphlab import display


class Tables(HTMLParser):
    """The text of every table cell, table by table and row by row; and every class seen."""

    def __init__(self, page: str):
        super().__init__()
        self.tables, self.classes, self.text = [], set(), []
        self._row, self._cell = None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.classes.update((dict(attrs).get("class") or "").split())
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def lecture_graph():
    """E01: f = (x + y) z at x = -2, y = 5, z = -4."""
    x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    q = (x + y).named("q")
    f = (q * z).named("f")
    return x, y, z, q, f


def rows_by_node(table: list) -> dict:
    header = table[0]
    return {row[header.index("node")]: dict(zip(header, row)) for row in table[1:]}


# -- the shared helpers ----------------------------------------------------------------------------
def test_helpers_escape_every_cell_and_keep_raw_html():
    page = display.block(display.title("a<b", "x & y"),
                         display.table(["name", "n"], [["<i>&", display.Raw("<b>7</b>")]], numeric={1}))
    assert "a&lt;b" in page and "x &amp; y" in page and "&lt;i&gt;&amp;" in page and "<b>7</b>" in page
    parsed = Tables(page)
    assert parsed.tables == [[["name", "n"], ["<i>&", "7"]]]
    assert {"graphlab", "gl-num", "gl-title"} <= parsed.classes


def test_status_header_says_pass_or_fail():
    assert "gl-pass" in display.status(True, "ok") and ">pass<" in display.status(True, "ok")
    assert "gl-fail" in display.status(False, "no") and ">FAIL<" in display.status(False, "no")


# -- Tensor ------------------------------------------------------------------------------------------
def test_tensor_html_has_name_op_shape_dtype_values_and_grad():
    x, y, z, q, f = lecture_graph()
    before = Tables(q._repr_html_()).tables[0]
    assert dict(before)["grad"] == "no grad yet"
    f.backward()
    fields = dict(Tables(x._repr_html_()).tables[0])
    assert fields["name"] == "x" and fields["op"] == "leaf" and fields["shape"] == "()"
    assert fields["dtype"] == "float32" and fields["requires_grad"] == "True"
    assert fields["values"] == "-2." and fields["grad"] == "-4."
    assert dict(Tables(q._repr_html_()).tables[0])["op"] == "add"


def test_tensor_html_shows_the_reprs_numbers_and_truncates_big_tensors():
    big = gl.tensor(np.arange(1000, dtype=np.float32).reshape(10, 100), requires_grad=True, name="big")
    big.sum().backward()
    fields = dict(Tables(big._repr_html_()).tables[0])
    assert "..." in fields["values"] and "999." in fields["values"] and "500." not in fields["values"]
    assert fields["values"] in repr(big)                      # the very text of the repr
    assert "..." in fields["grad"] and fields["shape"] == "(10, 100)"
    assert len(big._repr_html_()) < 5000


def test_tensor_repr_is_unchanged():
    x = gl.scalar(-2, name="x")
    assert repr(x) == "Tensor(-2., name='x', requires_grad=True)"


def test_names_are_escaped_everywhere():
    a = gl.scalar(2.0, requires_grad=True, name="a<b")
    f = (a * a).named("f&g")
    trace = f.backward()
    for page in (a._repr_html_(), trace._repr_html_(), trace[0]._repr_html_()):
        assert "a<b" not in page and "f&g" not in page
        parsed = Tables(page)
        assert any("a<b" in cell or "f&g" in cell for table in parsed.tables for row in table for cell in row)


# -- Step and Trace ----------------------------------------------------------------------------------
def test_trace_html_has_the_lecture_numbers_of_the_text_table():
    x, y, z, q, f = lecture_graph()
    trace = f.backward()
    table = Tables(trace._repr_html_()).tables[0]
    assert table[0] == ["#", "node", "op", "upstream", "local", "downstream", "pattern", "rule"]
    rows = rows_by_node(table)
    assert (rows["q"]["upstream"], rows["q"]["local"], rows["q"]["downstream"]) == ("-4", "(1, 1)", "(-4, -4)")
    assert (rows["f"]["upstream"], rows["f"]["local"], rows["f"]["downstream"]) == ("1", "(-4, 3)", "(-4, 3)")
    assert rows["q"]["pattern"] == "distributor" and rows["f"]["pattern"] == "swap"
    assert rows["q"]["rule"] == "dL/dx = upstream × local = -4 × 1 = -4\ndL/dy = upstream × local = -4 × 1 = -4"
    assert rows["x"]["op"] == "leaf" and rows["x"]["upstream"] == "-4"
    text_row = next(line for line in str(trace).splitlines() if line.split()[1:2] == ["q"])
    assert text_row.split()[3:6] == ["-4", "(1,", "1)"]           # the text table says the same


def test_step_html_is_one_row_with_the_rule():
    x, y, z, q, f = lecture_graph()
    trace = f.backward()
    table = Tables(trace.step_for(q)._repr_html_()).tables[0]
    assert len(table) == 2 and table[1][1:6] == ["q", "add", "-4", "(1, 1)", "(-4, -4)"]
    assert table[1][7].splitlines() == trace.step_for(q).rule_lines()


def test_tensor_trace_html_states_the_vectorized_rule():
    W = gl.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, name="W")
    v = gl.tensor([0.2, 0.4], requires_grad=True, name="v")
    h = (W @ v).named("h")
    trace = gl.sigmoid(h).sum().named("L").backward()
    rows = rows_by_node(Tables(trace._repr_html_()).tables[0])
    step = trace.step_for(h)
    assert rows["h"]["rule"].splitlines() == step.rule_lines(values=False, width=100) == [
        "dL/dW (2x2) = upstream (2x1) · vᵀ (1x2)", "dL/dv (2) = Wᵀ (2x2) · upstream (2)"]
    assert rows["h"]["upstream"] == "(2) [0.247, 0.2458]" and rows["h"]["upstream"] in str(trace)
    assert rows["h"]["downstream"].splitlines() == ["W: (2x2) mean 0.07392", "v: (2) [-0.04905, 0.3202]"]
    assert rows["W"]["upstream"] == "(2x2) mean 0.07392"
    assert re.search(r"^\d\s+W\s+leaf\s+\(2x2\) mean 0.07392", str(trace), re.M)   # unnamed nodes set the width
    np.testing.assert_allclose(W.grad, [[0.0494, 0.0988], [0.04916, 0.09833]], rtol=1e-3)


def test_long_traces_are_truncated_with_a_note():
    x = gl.scalar(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(80):
        y = y * 1.01
    trace = y.backward()
    page = trace._repr_html_()
    assert len(Tables(page).tables[0]) == 1 + 50
    assert "31 more steps not shown; trace.table(max_rows=None) shows all" in page
    assert "31 more steps not shown" in str(trace)


# -- Module and summary ------------------------------------------------------------------------------
def test_module_html_is_the_repr_tree_with_parameter_counts():
    model = gl.nn.models.SmallCNN()
    gl.nn.summary(model, (64, 1, 28, 28))                 # records each layer's output shape
    page = model._repr_html_()
    parsed = Tables(page)
    text = "".join(parsed.text)
    assert "9,146 parameters" in text
    for line in repr(model).splitlines()[1:]:
        if "#" in line:                                  # every layer's line and its notes
            head, notes = (part.strip() for part in line.split("#"))
            assert head.rstrip("(") in text and notes in text
    assert page.count("<details open>") == 3 and page.count("<li>") == 13   # 3 folders, 10 layers


def test_summary_html_has_shapes_params_and_totals():
    summary = gl.nn.summary(gl.nn.models.SmallCNN(), (64, 1, 28, 28))
    table = Tables(summary._repr_html_()).tables[0]
    assert table[0] == ["layer", "output shape", "params"]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["SmallCNN"] == ["(64, 10)", "9,146"]
    assert rows["4 (Conv2d)"] == ["(64, 16, 14, 14)", "1,168"]
    assert rows["total parameters"][1] == "9,146"
    assert rows["activations per sample"] == ["input 784", "21,962 values"]
    assert "total parameters: 9,146" in str(summary)


# -- History -----------------------------------------------------------------------------------------
def small_history():
    history = gl.train.History()
    history.append({"epoch": 1, "loss": 1.2, "accuracy": 0.5, "val_loss": 1.3, "val_accuracy": 0.45})
    history.append({"epoch": 2, "loss": 0.7, "accuracy": 0.8, "val_loss": 0.9, "val_accuracy": 0.7})
    return history


def test_history_displays_its_plot_as_png():
    pytest.importorskip("matplotlib")
    bundle = small_history()._repr_mimebundle_()
    assert list(bundle) == ["image/png"] and bundle["image/png"].startswith(b"\x89PNG\r\n\x1a\n")


def test_history_without_matplotlib_is_an_html_table(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # import matplotlib... raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    bundle = small_history()._repr_mimebundle_()
    assert list(bundle) == ["text/html"]
    table = Tables(bundle["text/html"]).tables[0]
    assert table == [["epoch", "loss", "accuracy", "val_loss", "val_accuracy"],
                     ["1", "1.2000", "50.00%", "1.3000", "45.00%"], ["2", "0.7000", "80.00%", "0.9000", "70.00%"]]


def test_long_history_table_is_thinned_with_the_text_tables_note(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    history = gl.train.History([{"epoch": epoch, "loss": 1 / epoch} for epoch in range(1, 101)])
    page = history._repr_mimebundle_()["text/html"]
    rows = Tables(page).tables[0][1:]
    assert len(rows) == 21 and rows[-1] == ["100", "0.0100"] and rows[1] == ["5", "0.2000"]
    assert "21 of 100 epochs shown: the first, every 5th, the last" in page
    assert "21 of 100 epochs shown: the first, every 5th, the last" in history.table(max_rows=30)


def test_empty_history_says_so():
    assert "no epochs recorded yet" in gl.train.History()._repr_mimebundle_()["text/html"]


# -- verify reports ------------------------------------------------------------------------------------
def test_verify_reports_open_their_latex_with_a_pass_header():
    pytest.importorskip("sympy")
    x, y, z, q, f = lecture_graph()
    graph = gl.verify.graph(f)
    latex = graph._repr_latex_()
    assert latex.startswith(r"$\textbf{verify.graph f: pass}\quad f = z \left(x + y\right)")
    assert r"\frac{\partial f}{\partial x} = -4" in latex and r"\frac{\partial f}{\partial z} = 3" in latex
    op = gl.verify.op("leaky_relu", values=[[1.5, -2.0]])
    assert op._repr_latex_().startswith(r"$\textbf{verify.op leaky}\_\textbf{relu: pass}\quad")
    assert r"J = \left[\begin{matrix}1 & 0\\0 & \frac{1}{100}\end{matrix}\right]" in op._repr_latex_()
    jacobian = gl.verify.jacobian(["x*y", "x+y"], "x y", at=[1, 2])._repr_latex_()
    assert jacobian.startswith(r"$\textbf{verify.jacobian: pass}\quad J = ")
    assert r"J(1, 2) = \left[\begin{matrix}2 & 1\\1 & 1\end{matrix}\right]$" in jacobian
    structure = gl.verify.structure("relu", (300,))
    assert structure.passed and structure._repr_latex_() == (
        r"$\textbf{verify.structure relu: diagonal}\quad \frac{\partial\,\mathrm{out}}{\partial x} = "
        r"\text{diagonal}\quad(300\times300)$")


def test_a_failing_graph_report_says_fail(monkeypatch):
    pytest.importorskip("sympy")
    from graphlab.verify import graph_check
    x, y, z, q, f = lecture_graph()
    report = gl.verify.graph(f)
    monkeypatch.setattr(graph_check.GraphReport, "passed", property(lambda self: False))
    assert report._repr_latex_().startswith(r"$\textbf{verify.graph f: FAIL}\quad")


def test_coverage_and_the_verify_table_show_a_pass_fail_header():
    pytest.importorskip("sympy")
    coverage = gl.verify.coverage()
    assert isinstance(coverage, dict) and coverage.passed
    parsed = Tables(coverage._repr_html_())
    assert "gl-pass" in parsed.classes
    rows = {row[0]: row[1:] for row in parsed.tables[0][1:]}
    assert rows["missing twin"] == ["0", ""] and rows["verified"][0] == f"{len(coverage['verified']):,}"
    assert "lt" in rows["exempt"][1]
    table = gl.verify.verify_all(only=lambda name: name in ("mul", "lt"))
    parsed = Tables(table._repr_html_())
    assert "gl-pass" in parsed.classes and parsed.tables[0][0][:4] == ["op", "input shapes", "max error", "status"]
    assert {row[0].split(".")[0] for row in parsed.tables[0][1:]} == {"mul", "lt"}
    table[0].status = "FAIL"
    assert table.passed is False and ">FAIL<" in table._repr_html_()


# -- diagrams ------------------------------------------------------------------------------------------
needs_dot = pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz's dot is not installed")


@needs_dot
def test_draw_shows_itself_as_svg_with_the_lecture_numbers():
    x, y, z, q, f = lecture_graph()
    f.backward()
    graph = gl.draw(f, focus=q)
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "-12" in bundle["image/svg+xml"] and "downstream = upstream × local: -4 × 1 = -4" in graph.source
    assert list(graph._repr_mimebundle_(include=["image/png"])) == ["image/png"]
    assert isinstance(graph, __import__("graphviz").Digraph) and type(graph.copy()) is type(graph)


def test_draw_without_dot_shows_a_note_and_the_source_not_a_traceback(monkeypatch, tmp_path):
    pytest.importorskip("graphviz")
    x, y, z, q, f = lecture_graph()
    graph = gl.draw(f)
    monkeypatch.setenv("PATH", str(tmp_path))               # no `dot` on PATH
    bundle = graph._repr_mimebundle_()
    assert "Graphviz's `dot` program was not found on PATH" in bundle["text/plain"]
    assert "apt-get install graphviz" in bundle["text/plain"]
    parsed = Tables(bundle["text/html"])
    assert "gl-fail" in parsed.classes and "diagram not drawn" in "".join(parsed.text)
    assert graph.source in "".join(parsed.text)              # the DOT source, unescaped back


@needs_dot
def test_render_returns_the_path_which_shows_its_picture(tmp_path):
    x, y, z, q, f = lecture_graph()
    f.backward()
    svg = gl.render(f, tmp_path / "flow.svg")
    assert svg == tmp_path / "flow.svg" and svg.read_text().startswith("<?xml")
    assert svg._repr_mimebundle_() == {"image/svg+xml": svg.read_text()}
    png = gl.render(f, tmp_path / "flow.png")
    assert png._repr_mimebundle_()["image/png"].startswith(b"\x89PNG")
    assert gl.render(f, tmp_path / "flow.dot")._repr_mimebundle_() == {}    # its path is what to show


def test_a_fan_out_step_says_what_the_copy_gate_added():
    x = gl.scalar(3.0, requires_grad=True, name="x")
    f = ((x * 2).named("a") + (x * 5).named("b")).named("f")
    trace = f.backward()
    row = rows_by_node(Tables(trace._repr_html_()).tables[0])["x"]
    assert row["upstream"] == "7" and row["pattern"] == "adder" and row["rule"] == "fan-out adds 5 + 2"
    assert "[fan-out adds 5 + 2]" in str(trace.step_for(x))
    assert Tables(trace.step_for(x)._repr_html_()).tables[0][1][7] == "fan-out adds 5 + 2"


def test_the_displays_need_no_ipython_and_no_matplotlib_to_be_imported():
    import subprocess
    import sys
    code = ("import sys, graphlab as gl\n"
            "x = gl.scalar(2.0, requires_grad=True, name='x'); trace = (x * x).backward()\n"
            "model = gl.nn.Sequential(gl.nn.Linear(2, 3))\n"
            "pages = [x._repr_html_(), trace._repr_html_(), trace[0]._repr_html_(), model._repr_html_(),\n"
            "         gl.nn.summary(model, (1, 2))._repr_html_()]\n"
            "assert all(page.startswith('<div class=\"graphlab') for page in pages)\n"
            "print(sorted(name for name in ('IPython', 'matplotlib', 'graphviz', 'sympy') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
