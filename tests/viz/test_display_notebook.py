"""Issue 15: in a real Jupyter kernel, a Tensor, a Trace, a summary and a History display as HTML
(executed with nbclient; skipped with the reason when the ``notebook`` extra is missing)."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook extra is missing: pip install 'graphlab[notebook]'")
nbclient = pytest.importorskip("nbclient", reason="the notebook extra is missing: pip install 'graphlab[notebook]'")
pytest.importorskip("ipykernel", reason="the notebook extra is missing: pip install 'graphlab[notebook]'")

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    f"import sys; sys.path.insert(0, {str(ROOT)!r})\nimport graphlab as gl",
    "x, y, z = gl.scalar(-2, name='x'), gl.scalar(5, name='y'), gl.scalar(-4, name='z')\n"
    "q = (x + y).named('q')\nf = (q * z).named('f')\ntrace = f.backward()\nx",
    "trace",
    "gl.nn.summary(gl.nn.models.SmallCNN(), (64, 1, 28, 28))",
    "import sys\nsys.modules['matplotlib.figure'] = None   # as if matplotlib were not installed\n"
    "gl.train.History([{'epoch': 1, 'loss': 1.2}, {'epoch': 2, 'loss': 0.7}])",
]


def test_a_notebook_shows_tensor_trace_and_summary_as_html(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    shown = [cell.outputs[-1]["data"] for cell in notebook.cells[1:]]
    for data in shown:
        assert "text/html" in data and "text/plain" in data
    tensor, trace, summary, history = (data["text/html"] for data in shown)
    assert "<th>grad</th><td><pre>-4.</pre></td>" in tensor and shown[0]["text/plain"] == \
        "Tensor(-2., grad=-4., name='x', requires_grad=True)"
    assert "<td>q</td><td>add</td><td><pre>-4</pre></td><td><pre>(1, 1)</pre></td><td><pre>(-4, -4)</pre></td>" \
        in trace
    assert '<td class="gl-num">9,146</td>' in summary
    assert "<td>2</td><td class=\"gl-num\">0.7000</td>" in history
    nbconvert = pytest.importorskip("nbconvert", reason="nbconvert (the notebook extra) exports the HTML")
    exported, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    for page in (tensor, trace, summary):                # the exported page carries the same tables
        assert page[page.index("<table>"):page.index("</table>")] in exported
