"""The README's screenshot of a lesson notebook: docs/pictures/notebook_lesson_01.png.

    .venv/bin/python docs/make_notebook_picture.py

Runs notebooks/01_scalar_backprop.ipynb in a Jupyter kernel (quick mode, in a temporary folder),
exports it to HTML with nbconvert, opens that page in headless Chromium (tests/browser.py) and
photographs the section "With graphlab": the narrative's text and the diagram drawn inline.
Needs the notebook extra (pip install 'graphlab[notebook]'), Graphviz and Chromium.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

TARGET = ROOT / "docs" / "pictures" / "notebook_lesson_01.png"
NOTEBOOK = ROOT / "notebooks" / "01_scalar_backprop.ipynb"
SECTION = "With graphlab"          # the heading the screenshot starts at
WIDTH, HEIGHT = 1000, 900


def executed_html(folder: Path) -> Path:
    """The notebook run in quick mode with ``folder`` as its working folder, exported to HTML there."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    os.environ["GRAPHLAB_QUICK"] = "1"                  # the kernel inherits the environment
    os.environ["PYTHONPATH"] = str(ROOT)                # ... and imports this source tree's graphlab
    book = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(book)
    path = folder / "01_scalar_backprop.html"
    path.write_text(page, encoding="utf-8")
    return path


def screenshot(page: Path, target: Path) -> None:
    """``page`` in headless Chromium, scrolled to the heading SECTION, photographed into ``target``."""
    from browser import Browser
    with Browser(width=WIDTH, height=HEIGHT) as browser:
        browser.open(page.as_uri())
        found = browser.evaluate(
            "(function () { var h = Array.from(document.querySelectorAll('h2'))"
            f".find(function (e) {{ return e.textContent.indexOf({SECTION!r}) === 0; }});"
            " if (!h) { return false; } window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 12);"
            " return true; })()")
        if not found:
            raise SystemExit(f"make_notebook_picture: no heading {SECTION!r} in the exported notebook")
        browser.screenshot(target)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="graphlab-notebook-") as scratch:
        page = executed_html(Path(scratch))
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
