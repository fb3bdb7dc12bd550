"""Diagrams inline in Jupyter: what ``gl.draw`` and ``gl.render`` return shows itself as a picture.

``gl.draw`` returns a ``graphviz.Digraph`` that also mixes in ``InlineDiagram`` (``dot.py``
makes that class, being the one module that imports graphviz): Jupyter asks it for SVG, and
without Graphviz's ``dot`` program it gets a short note saying how to install it and the DOT
source, instead of a traceback. ``gl.render`` returns a ``RenderedFile``, the path it wrote,
which shows the SVG or PNG it points to.
"""
from __future__ import annotations

from pathlib import Path

from graphlab import display
from graphlab.viz.files import GraphvizNotFoundError, RenderError

SVG = "image/svg+xml"
PNG = "image/png"


class InlineDiagram:
    """Jupyter's view of a diagram: SVG (or PNG when asked for), or a note when Graphviz cannot draw."""

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict:
        from graphlab.viz.dot import pipe
        wanted = [kind for kind in (SVG, PNG) if kind in (include or (SVG,)) and kind not in (exclude or ())]
        try:
            return {kind: _drawn(pipe(self, "svg" if kind == SVG else "png", where="draw"), kind)
                    for kind in wanted}
        except (GraphvizNotFoundError, RenderError) as error:
            return {"text/plain": str(error), "text/html": cannot_draw_html(str(error), self.source)}


def _drawn(data: bytes, kind: str):
    return data.decode("utf-8") if kind == SVG else data


def cannot_draw_html(message: str, source: str) -> str:
    """Why there is no picture, and the DOT source folded beneath it (to paste into any Graphviz)."""
    return display.block(display.status(False, "diagram not drawn"), display.note(message),
                         display.details("DOT source", display.code(source)), kind="diagram")


class RenderedFile(type(Path())):
    """The path ``gl.render`` wrote; in Jupyter it shows the picture (SVG or PNG) it holds."""

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict:
        suffix = self.suffix.lower()
        if not self.is_file() or suffix not in (".svg", ".png"):
            return {}                    # a .dot or .pdf file: its path (the plain repr) is what to show
        if suffix == ".svg":
            return {SVG: self.read_text(encoding="utf-8")}
        return {PNG: self.read_bytes()}
