"""The lessons helpers in a Jupyter kernel: a heading as Markdown, a diagram as SVG, a plot once it is written
(at the next narrative call or when the cell ends), a walk displayed; and outside a kernel, exactly the old
behaviour (IPython is never imported). A real kernel runs them in test_notebooks.py; here a stand-in shell
records what would be displayed."""
import subprocess
import sys
from pathlib import Path

import pytest

import graphlab as gl
from graphlab import lessons


class _Events:
    def __init__(self):
        self.registered = []

    def register(self, event, callback):
        self.registered.append((event, callback))


class _Shell:
    kernel = object()                              # what tells a Jupyter kernel from a terminal IPython

    def __init__(self):
        self.events = _Events()

    def end_cell(self, success=True):
        for event, callback in self.events.registered:
            if event == "post_run_cell":
                callback(type("Result", (), {"success": success})())


@pytest.fixture
def kernel(monkeypatch):
    """A stand-in kernel: ``shown`` lists (kind, what) for every display."""
    shell, shown = _Shell(), []

    def display(value, raw=True):
        if isinstance(value, dict):
            shown.append(("bundle", value))
        else:
            shown.append((type(value).__name__, value))

    monkeypatch.setattr(lessons, "_kernel", lambda: shell)
    monkeypatch.setattr(lessons, "_display", display)
    monkeypatch.setattr(lessons, "_waiting", [])
    monkeypatch.setattr(lessons, "_hooked", set())
    shell.shown = shown
    return shell


def _scalar_graph():
    nodes = gl.examples.build("scalar")
    nodes["f"].backward()
    return nodes["f"]


def test_outside_a_kernel_the_helpers_print_as_before_and_import_no_ipython(tmp_path):
    code = ("import sys\nfrom pathlib import Path\nimport graphlab as gl\nfrom graphlab import lessons\n"
            "f = gl.examples.build('scalar')['f']\nlessons.heading('Pictures')\n"
            f"lessons.diagram(f, Path({str(tmp_path)!r}) / 'f.svg')\nlessons.say('done')\n"
            "print('IPython' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"\nPictures\n--------\n  wrote {tmp_path / 'f.svg'}\ndone\nFalse\n"


def test_a_heading_is_markdown_with_the_printed_text_as_its_plain_form(kernel, capsys):
    lessons.heading("By hand (E01)")
    assert kernel.shown == [("bundle", {"text/markdown": "## By hand (E01)",
                                        "text/plain": "\nBy hand (E01)\n-------------"})]
    assert capsys.readouterr().out == ""


def test_a_diagram_shows_as_svg_right_away(kernel, tmp_path, capsys):
    pytest.importorskip("IPython")
    written = lessons.diagram(_scalar_graph(), tmp_path / "f.svg")
    assert capsys.readouterr().out == f"  wrote {tmp_path / 'f.svg'}\n"
    [(kind, svg)] = kernel.shown
    assert kind == "SVG" and svg.data == lessons_svg(written)


def lessons_svg(path: Path) -> str:
    from IPython.display import SVG
    return SVG(filename=str(path)).data


def test_a_plot_shows_once_written_at_the_next_narrative_call(kernel, tmp_path):
    pytest.importorskip("IPython")
    path = tmp_path / "plot.png"
    assert lessons.wrote(path) == path and kernel.shown == []     # savefig(wrote(path)) writes it afterwards
    path.write_bytes(_PNG)
    lessons.say("next")
    [(kind, image)] = kernel.shown
    assert kind == "Image" and image.data == _PNG
    lessons.say("again")
    assert len(kernel.shown) == 1                                 # shown once


def test_a_plot_written_last_in_a_cell_shows_when_the_cell_ends(kernel, tmp_path):
    pytest.importorskip("IPython")
    path = tmp_path / "plot.png"
    lessons.wrote(path)
    path.write_bytes(_PNG)
    kernel.end_cell()
    assert [kind for kind, _ in kernel.shown] == ["Image"]
    assert [event for event, _ in kernel.events.registered] == ["post_run_cell"]   # hooked once
    lessons.wrote(tmp_path / "other.pdf")                          # not a picture a notebook shows
    kernel.end_cell()
    assert len(kernel.shown) == 1 and len(kernel.events.registered) == 1


def test_after_a_failed_cell_an_older_file_of_the_same_name_is_not_shown(kernel, tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(_PNG)                                         # left by an earlier run
    lessons.wrote(path)                                            # ... then savefig raised
    kernel.end_cell(success=False)
    assert kernel.shown == []


def test_a_backward_walk_is_displayed(kernel, tmp_path, capsys):
    if not lessons_can_draw():
        pytest.skip("needs Graphviz's dot")
    lessons.backward_walk(_scalar_graph(), tmp_path / "walk")
    assert capsys.readouterr().out == f"  wrote {tmp_path / 'walk' / 'index.html'}\n"
    [(kind, walk)] = kernel.shown
    assert kind == "Walk" and len(walk.frames) == 5


def lessons_can_draw() -> bool:
    import shutil
    return shutil.which("dot") is not None


#: a 1x1 PNG
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                     "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
