"""docs/visualization.md's pictures come from docs/make_pictures.py, not from hand edits."""
import importlib.util
import re
from pathlib import Path

from graphlab.viz import labels

from viz_graphs import E03_GRADIENTS, needs_dot, renumbered, svg_strings

DOCS = Path(__file__).resolve().parents[2] / "docs"
IMAGES = DOCS / "images"


def _make_pictures():
    spec = importlib.util.spec_from_file_location("make_pictures", DOCS / "make_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_picture_the_page_shows_is_committed_and_small():
    shown = re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", (DOCS / "visualization.md").read_text())
    assert len(shown) >= 9
    for relative in shown:
        path = DOCS / relative
        assert path.is_file(), relative
        assert path.stat().st_size < 150_000, f"{relative} is {path.stat().st_size:,} bytes"
    assert "images/walk_e03_last.png" in shown        # the Chromium screenshot of the walk page


@needs_dot
def test_the_script_regenerates_the_committed_pictures(tmp_path):
    """Same files, and each SVG carries the same texts (labels and numbers) as the committed one;
    coordinates may differ between Graphviz versions, the content may not."""
    written = _make_pictures().pictures(tmp_path)
    names = {path.name for path in written}
    committed = {path.name for path in IMAGES.iterdir()}
    assert {name for name in names if name.endswith(".svg")} == {name for name in committed if name.endswith(".svg")}
    for path in written:
        if path.suffix == ".svg":
            # unnamed nodes are named t<id> from the global counter: compared renumbered (t#1, ...)
            assert sorted(renumbered(svg_strings(path.read_text()))) == \
                sorted(renumbered(svg_strings((IMAGES / path.name).read_text()))), path.name


def test_committed_pictures_show_the_lecture_numbers():
    backward = svg_strings((IMAGES / "e01_backward.svg").read_text(), labels.GRAD_COLOR)
    assert sorted(text for text in backward if len(text) < 5) == ["-4", "-4", "-4", "1", "3"]       # E01
    forward = svg_strings((IMAGES / "e01_forward.svg").read_text(), labels.GRAD_COLOR)
    assert [text for text in forward if len(text) < 5] == ["?"] * 5
    focus = svg_strings((IMAGES / "e01_focus_q.svg").read_text())
    assert "x: downstream = upstream × local: -4 × 1 = -4" in focus
    neuron = svg_strings((IMAGES / "e03_sigmoid.svg").read_text(), labels.GRAD_COLOR)
    for value in E03_GRADIENTS.values():                                                           # E03
        assert labels.number(value) in neuron
    patterns = svg_strings((IMAGES / "e05_patterns.svg").read_text())                              # E05
    for words in ("gradient distributor", "swap multiplier", "gradient router", "gradient adder"):
        assert words in patterns
    assert "collapsed automatically" in " ".join(svg_strings((IMAGES / "chain_2000_collapsed.svg").read_text()))
    png = (IMAGES / "walk_e03_last.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
