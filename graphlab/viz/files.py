"""Where a diagram is written: formats, output paths, PNG resolution, and the errors that say
what went wrong (no graphviz import here: ``dot.py`` runs Graphviz)."""
from __future__ import annotations

import os
from pathlib import Path

from graphlab.errors import GraphlabError

FORMATS = ("svg", "png", "pdf", "dot")
#: PNGs are drawn at this many dots per inch, twice Graphviz's 96 (which makes the lecture graph
#: 501x216 pixels: too small to read on today's screens or slides); SVG and PDF are vectors
PNG_DPI = 192
#: a PNG's longer side is kept under this many pixels (Graphviz's ``size`` shrinks bigger ones)
MAX_PNG_PIXELS = 16_000

INSTALL_HINT = ("Install Graphviz: Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
                "conda: conda install -c conda-forge graphviz. Until then gl.viz.text(root) prints a text "
                "diagram.")


class RenderError(GraphlabError, ValueError):
    """A diagram could not be written (bad path, unknown format, Graphviz failed)."""


class GraphvizNotFoundError(RenderError, RuntimeError):
    """Graphviz's ``dot`` program is missing: the message says how to install it."""


def output_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "gv":
        suffix = "dot"
    if suffix not in FORMATS:
        shown = f"'.{suffix}'" if suffix else "no extension"
        raise RenderError(f"render: {path.name} has {shown}; name the file .svg, .png, .pdf or .dot "
                          f"(the format follows the extension)")
    return suffix


def check_output_path(path: Path) -> None:
    if path.is_dir():
        raise RenderError(f"render: {path} is a folder; give a file name such as {path / 'graph.svg'}")
    parent = path.parent
    if not parent.exists():
        raise RenderError(f"render: the folder {parent} does not exist; create it first "
                          f"(mkdir -p {parent}) or choose another path")
    if not parent.is_dir():
        raise RenderError(f"render: {parent} is a file, not a folder; choose another path for {path.name}")
    if not os.access(parent, os.W_OK):
        raise RenderError(f"render: cannot write into {parent} (permission denied); choose another folder")


def png_attributes(dpi) -> dict:
    """Graph attributes for a PNG at ``dpi`` (None: PNG_DPI): the resolution, and a size limit
    so a huge diagram shrinks to MAX_PNG_PIXELS instead of making a gigapixel file."""
    if dpi is None:
        dpi = PNG_DPI
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 36 <= dpi <= 600:
        raise RenderError(f"render: dpi={dpi!r} must be a number from 36 to 600 (dots per inch of a PNG; "
                          f"the default {PNG_DPI} reads well on screens and slides)")
    inches = MAX_PNG_PIXELS / dpi
    return {"dpi": f"{dpi:g}", "size": f"{inches:.2f},{inches:.2f}"}
