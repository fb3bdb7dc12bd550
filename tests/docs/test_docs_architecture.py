"""docs/architecture.md's structure diagram is drawn from the source by docs/make_architecture.py, and the
committed picture has exactly the package dependencies the imports have today."""
import html
import importlib.util
import re
from pathlib import Path

from viz_graphs import needs_dot

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _maker():
    spec = importlib.util.spec_from_file_location("make_architecture", DOCS / "make_architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def edges_in(svg: str) -> set:
    """The drawn edges of a Graphviz SVG, from their titles ("a->b"; invisible edges are not written)."""
    groups = re.findall(r'<g id="edge\d+" class="edge">\s*<title>(.*?)</title>', svg)
    return {tuple(html.unescape(title).split("->")) for title in groups}


def test_committed_diagram_matches_the_imports():
    maker = _maker()
    expected = set(maker.dependencies())
    drawn = edges_in((DOCS / "pictures" / "architecture.svg").read_text(encoding="utf-8"))
    assert drawn == expected, ("docs/pictures/architecture.svg is stale: run .venv/bin/python docs/make_architecture.py; "
                               f"missing {sorted(expected - drawn)}, extra {sorted(drawn - expected)}")


def test_the_structure_follows_the_design():
    edges = _maker().dependencies()
    assert ("ops", "autodiff") in edges and ("nn", "functional") in edges and ("train", "optim") in edges
    assert not any(target in ("viz", "verify", "repl", "cli", "lessons") for source, target in edges
                   if source == "autodiff")                      # the engine imports no view
    assert edges[("cli", "repl")] and edges[("train", "nn")]   # lazy: imported inside the functions that need them
    assert not edges[("nn", "functional")]                       # module-level


def test_architecture_page_shows_the_diagram():
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    assert "![" in page and "pictures/architecture.svg" in page and "make_architecture.py" in page


@needs_dot
def test_the_script_draws_every_package(tmp_path):
    maker = _maker()
    assert maker.main([str(tmp_path)]) == 0
    svg = (tmp_path / "architecture.svg").read_text(encoding="utf-8")
    for name in maker.components():
        assert f">{name}</text>" in svg
    assert edges_in(svg) == set(maker.dependencies())
