"""Issue 13: every user string in a diagram is escaped (DOT quoting, HTML-like labels, the walk page)."""
import shutil

import pytest

import graphlab as gl

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

HOSTILE_NAMES = ["a\\", "</script><script>alert(1)</script>", "<b>bold</b>", 'say "hi"', "a\\l\\N\\G", "x\ny",
                 "&amp;", "{}", "σ → ∂", "-", "node", "]"]


def _graph(name, shape=()):
    x = gl.tensor(1.5 if shape == () else [1.5, -2.0], requires_grad=True, name=name)
    with gl.scope(name):
        f = (x * 2).named(name + "!")
    return x, (f if shape == () else f.sum())


@needs_dot
@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("shape", [(), (2,)])
def test_render_draws_any_name_as_text(name, shape, tmp_path):
    x, f = _graph(name, shape)
    f.backward()
    svg = gl.render(f, tmp_path / "g.svg", focus=x).read_text()
    assert "<script>" not in svg
    shown = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    if "\n" not in name:
        assert shown in svg or name in svg


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_dot_source_shows_names_literally(name):
    _, f = _graph(name)
    source = gl.draw(f).source
    assert "=<</script>" not in source and "label=<<b>" not in source    # never read as an HTML-like label
    if "\\" in name:
        assert name.replace("\\", "\\\\") in source     # escString backslashes doubled


@needs_dot
def test_walk_page_runs_no_script_from_a_name(tmp_path):
    evil = "</script><script>alert(1)</script>"
    x = gl.scalar(2.0, name=evil)
    f = (x * gl.scalar(3.0, name="y")).named(evil + "f")
    walk = gl.walk(f, tmp_path / "walk")
    page = walk.index.read_text()
    assert page.count("<script>") == 1 and "alert(1)</script>" not in page.split("<script>")[0]
    for frame in walk.frames:
        assert "<script>" not in frame.path.read_text()
