"""The backward walk as pictures: one frame per Step and an HTML page to step through them.

``gl.walk(f, "walk/")`` writes ``walk/frames/step_000.svg`` ... (the node being processed
highlighted, the queue of nodes waiting for more gradient outlined, every gradient known so
far written on its edge) and ``walk/index.html``: the frames inline, previous/next buttons,
the arrow keys and a slider. Nothing jumps between frames: the graph is laid out once with
``dot`` (with the widest labels it will ever carry) and every frame is drawn with those
positions pinned (``neato -n2``).
"""
from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from graphlab.autodiff.engine import BackwardWalk
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.trace import Step, Trace
from graphlab.viz import labels
from graphlab.viz.dot import (
    RenderError, Spec, Builder, _check_options, focus_caption, pipe, pipe_sources, to_digraph,
)
from graphlab.viz.graph import GraphView, TraceGradients, VizError

POINTS_PER_INCH = 72.0
CAPTION_FONT = 12
CAPTION_LINE = 16.0      # points per caption line
CHAR_WIDTH = 7.0         # generous points per character at CAPTION_FONT (Helvetica averages ~6)
#: "fit to window" shrinks a frame at most to this scale (12-point text stays about 9 points)
MIN_FIT_SCALE = 0.75
MIN_CAPTION_WIDTH = 520.0


@dataclass
class Frame:
    """One Step of the walk as drawn: ``gradients`` maps node names to the final gradients
    known after this Step; ``pending`` names the nodes still waiting, in processing order."""
    index: int
    step: Step
    node: str
    caption: list
    pending: list
    gradients: dict
    path: Optional[Path] = None


@dataclass
class Walk:
    """What ``gl.walk`` wrote: ``index`` (the HTML page), ``frames`` (in processing order)."""
    out_dir: Path
    index: Path
    frames: list
    seconds: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Walk of {len(self.frames)} frames: {self.index}>"


def _trace_of(root_or_trace) -> Trace:
    """A Trace of the whole walk. From a Tensor, the walk runs with ``store_grads=False``: no
    ``.grad`` changes (so leaves do not accumulate twice when backward already ran)."""
    if isinstance(root_or_trace, Trace):
        if not len(root_or_trace):
            raise VizError("walk: the Trace is empty; pass the output tensor instead")
        return root_or_trace
    if not isinstance(root_or_trace, Tensor):
        raise VizError(f"walk: expected a Tensor or a Trace, got {type(root_or_trace).__name__}")
    root = root_or_trace
    if root.data.size != 1:
        raise VizError(f"walk: {root.label} has shape {root.shape}; the walk starts from one number "
                       f"(reduce it first, e.g. {root.label}.sum())")
    seed = np.ones(root.shape, dtype=root.dtype)
    return BackwardWalk([root], [seed], store_grads=False).run()


def frame_texts(view: GraphView, trace: Trace, index: int, precision: int) -> tuple:
    """(caption lines, pending nodes, gradients known) after Step ``index``."""
    gradients = TraceGradients(trace, upto=index)
    step = trace[index]
    node = step.node
    lines = focus_caption(view, gradients, node, precision)
    lines[0] = f"Step {index + 1} of {len(trace)}: {lines[0]}"
    if index == 0 and node.creator is not None:
        lines[0] += ", the output: its upstream is the seed 1"
    if step.is_fan_out and node.creator is not None:
        parts = " + ".join(labels.summary(gradient, precision) for _, gradient in step.contributions)
        lines.append(f"fan-out: upstream {labels.summary(step.upstream, precision)} = {parts} (the copy gate adds)")
    pending = gradients.pending()
    queue = ", ".join(view.describe(tensor) for tensor in pending)
    lines.append(f"pending: {queue}" if pending else "pending: none (the walk is done)" if index == len(trace) - 1
                 else "pending: none")
    known = {view.name(step_.node): step_.upstream for step_ in trace[:index + 1]}
    return lines, pending, known


def walk(root_or_trace, out_dir, *, show: str = "both", rankdir: str = "LR", patterns: bool = False,
         precision: int = 4, max_nodes: int = 150) -> Walk:
    """Write the backward walk of ``root_or_trace`` (an output Tensor, or a Trace) into ``out_dir``:
    one SVG per Step in ``frames/`` and a self-contained ``index.html`` that steps through them
    (buttons, arrow keys, slider; ``index.html#frame=3`` opens the third frame).
    Returns a Walk with the frames (node, caption, pending queue, gradients known so far)."""
    _check_options(show, rankdir, precision)
    timings = {}
    started = time.perf_counter()
    trace = _trace_of(root_or_trace)
    view = GraphView(trace[0].node)
    if max_nodes is not None and len(view) > max_nodes:
        raise VizError(f"walk: the graph has {len(view):,} nodes, more than max_nodes={max_nodes}: one frame per "
                       f"Step would be unreadable. Walk a smaller graph (gl.draw(root) collapses big ones), "
                       f"or pass max_nodes=None")
    out_dir = Path(out_dir)
    frames_dir = _empty_frames_folder(out_dir)

    options = dict(show=show, rankdir=rankdir, patterns=patterns, precision=precision)
    layout = _layout(view, trace, options)
    timings["layout"] = time.perf_counter() - started
    frames, sources = _pinned_frames(view, trace, layout, options)
    timings["frames"] = time.perf_counter() - started - timings["layout"]

    svgs = _render_pinned(sources)
    for frame, svg in zip(frames, svgs):
        frame.path = frames_dir / f"step_{frame.index:03d}.svg"
        frame.path.write_text(svg, encoding="utf-8")
    index_path = out_dir / "index.html"
    index_path.write_text(page(view, frames, svgs), encoding="utf-8")
    timings["total"] = time.perf_counter() - started
    return Walk(out_dir, index_path, frames, timings)


def _empty_frames_folder(out_dir: Path) -> Path:
    """``out_dir/frames``, created if needed, without the frames of an earlier walk."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RenderError(f"walk: {out_dir} is a file; give a folder for the frames and index.html")
    if not out_dir.parent.exists():
        raise RenderError(f"walk: the folder {out_dir.parent} does not exist; create it first or choose another path")
    frames_dir = out_dir / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    for old in frames_dir.glob("step_*.svg"):
        old.unlink()
    return frames_dir


def _pinned_frames(view: GraphView, trace: Trace, layout: "Layout", options: dict) -> tuple:
    """(the Frames, the DOT source of each) after every Step, each pinned to the one layout with
    its caption wrapped to the same width and the same number of rows."""
    frames, sources = [], []
    precision = options["precision"]
    texts = [frame_texts(view, trace, index, precision) for index in range(len(trace))]
    caption_width = max(layout.width, MIN_CAPTION_WIDTH)
    wrapped = [_wrap(lines, caption_width) for lines, _, _ in texts]
    caption_rows = max(len(rows) for rows in wrapped)
    for index, step in enumerate(trace):
        lines, pending, known = texts[index]
        builder = Builder(view, TraceGradients(trace, upto=index), current=step.node, pending=tuple(pending),
                          legend=False, **options)
        spec = builder.build()
        spec.caption = []
        layout.pin(spec, wrapped[index], caption_rows, caption_width)
        sources.append(to_digraph(spec, engine="neato").source)
        frames.append(Frame(index, step, view.name(step.node), lines, [view.name(t) for t in pending], known))
    return frames, sources


# -- lay out once, pin every frame --------------------------------------------------------------------
class Layout:
    """Positions from one ``dot`` run: nodes (pos, size, xlabel position), edges (spline, label
    position), clusters (box) and the bounding box."""

    def __init__(self, data: dict):
        x0, y0, x1, y1 = (float(value) for value in data["bb"].split(","))
        self.box = (x0, y0, x1, y1)
        self.nodes, self.clusters = {}, {}
        names = {}
        for item in data.get("objects", []):
            names[item["_gvid"]] = item["name"]
            if item["name"].startswith("cluster_"):
                self.clusters[item["name"]] = {key: item[key] for key in ("bb", "lp") if key in item}
            elif "pos" in item:
                self.nodes[item["name"]] = {key: item[key] for key in ("pos", "width", "height", "xlp") if key in item}
        self.edges = {}
        for item in sorted(data.get("edges", []), key=lambda edge: edge["_gvid"]):
            pair = (names[item["tail"]], names[item["head"]])
            self.edges.setdefault(pair, []).append({key: item[key] for key in ("pos", "lp") if key in item})

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    def pin(self, spec: Spec, caption: list, caption_rows: int, caption_width: float) -> None:
        """Give every node and edge of ``spec`` its laid-out position; add the caption below
        and two invisible corner points so every frame has the same size."""
        for key, attrs, _ in spec.nodes:
            placed = self.nodes[key]
            attrs.update(pos=placed["pos"], width=placed["width"], height=placed["height"], fixedsize="true")
            if "xlp" in placed:
                attrs["xlp"] = placed["xlp"]
        used = {}
        for tail, head, attrs in spec.edges:
            occurrence = used.get((tail, head), 0)
            used[(tail, head)] = occurrence + 1
            attrs.update(self.edges[(tail, head)][occurrence])
        spec.cluster_boxes = self.clusters
        x0, y0, x1, y1 = self.box
        height = caption_rows * CAPTION_LINE + 6
        middle = x0 + caption_width / 2        # left-aligned under the graph
        top = y0 - 10
        rows = caption + [""] * (caption_rows - len(caption))
        spec.node("caption", (), shape="plaintext", fixedsize="true", pos=f"{middle:.2f},{top - height / 2:.2f}",
                  width=f"{caption_width / POINTS_PER_INCH:.3f}", height=f"{height / POINTS_PER_INCH:.3f}",
                  label=labels.table_html([labels.colored(row or " ", size=CAPTION_FONT) for row in rows],
                                          align="LEFT", width=int(caption_width) - 4))
        left = min(x0, middle - caption_width / 2)
        right = max(x1, middle + caption_width / 2)
        for name, (x, y) in (("corner_low", (left, top - height)), ("corner_high", (right, y1))):
            spec.node(name, (), shape="point", style="invis", width="0.01", height="0.01", fixedsize="true",
                      pos=f"{x:.2f},{y:.2f}")


def _wrap(lines: list, width: float) -> list:
    """Caption lines wrapped to fit ``width`` points (at CHAR_WIDTH points per character)."""
    per_line = max(20, int(width / CHAR_WIDTH))
    rows = []
    for line in lines:
        while len(line) > per_line:
            cut = line.rfind(" ", 0, per_line)
            cut = cut if cut > per_line // 2 else per_line
            rows.append(line[:cut])
            line = "    " + line[cut:].lstrip()
        rows.append(line)
    return rows


def _layout(view: GraphView, trace: Trace, options: dict) -> Layout:
    """Lay the graph out once, with every label as wide as it will ever be: final gradients,
    and every gate's input edges carrying local and downstream as when it is the current Step."""
    builder = Builder(view, TraceGradients(trace), reserve_focus=True, legend=False, **options)
    spec = builder.build()
    spec.caption = []
    data = json.loads(pipe(to_digraph(spec), "json", where="walk").decode("utf-8"))
    return Layout(data)


def _render_pinned(sources: list) -> list:
    """All frames through one ``neato -n2`` run: positions as given, nothing laid out again."""
    return pipe_sources(sources, "neato", "svg", "walk", neato_no_op=2)


# -- the HTML page ---------------------------------------------------------------------------------------
def _inline(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def page(view: GraphView, frames: list, svgs: list) -> str:
    title = f"Backward walk of {view.name(view.root)}"
    figures = []
    for frame, svg in zip(frames, svgs):
        caption = " | ".join(frame.caption)
        figures.append(
            f'<figure class="frame" id="frame-{frame.index + 1}" data-node="{html.escape(frame.node)}" '
            f'data-pending="{html.escape(", ".join(frame.pending))}" data-caption="{html.escape(caption)}"'
            f'{"" if frame.index == 0 else " hidden"}>\n{_inline(svg)}</figure>')
    count = len(frames)
    return PAGE.format(title=html.escape(title), count=count, figures="\n".join(figures),
                       first=html.escape(frames[0].caption[0]), script=SCRIPT, min_scale=MIN_FIT_SCALE)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #1f2328; }}
  h1 {{ font-size: 18px; margin: 0 0 6px 0; }}
  p.help {{ margin: 0 0 10px 0; color: #57606a; font-size: 13px; }}
  #controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-bottom: 10px; }}
  #controls button {{ font-size: 14px; padding: 4px 12px; }}
  #controls button, #controls label, #counter {{ white-space: nowrap; }}
  #slider {{ width: 260px; }}
  #counter {{ font-weight: bold; }}
  #controls label {{ font-size: 13px; }}
  #status {{ color: #57606a; font-size: 13px; flex: 1 1 300px; }}
  #frames {{ overflow-x: auto; }}
  /* fit to window shrinks a wide frame, but never below MIN_FIT_SCALE of its size (the script
     sets each SVG's min-width): past that the text is unreadable, so the frame scrolls instead */
  #frames.fit svg {{ max-width: 100%; height: auto; }}
  figure.frame {{ margin: 0; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="help">One frame per Step of the backward walk: the yellow node is being processed
(upstream &times; local = downstream), dashed orange nodes wait in the queue, and every gradient
known so far is written in red. Keys: &larr; / &rarr;, Home, End.</p>
<div id="controls">
  <button id="prev" type="button">&#9664; previous</button>
  <input id="slider" type="range" min="1" max="{count}" value="1" aria-label="step">
  <button id="next" type="button">next &#9654;</button>
  <span id="counter">Step 1 of {count}</span>
  <label><input id="fit" type="checkbox" checked> fit to window</label>
  <span id="status">{first}</span>
</div>
<div id="frames" class="fit" data-min-scale="{min_scale}">
{figures}
</div>
<script>
{script}
</script>
</body>
</html>
"""

SCRIPT = """(function () {
  var frames = document.querySelectorAll("figure.frame");
  var slider = document.getElementById("slider");
  var counter = document.getElementById("counter");
  var status = document.getElementById("status");
  var previous = document.getElementById("prev");
  var next = document.getElementById("next");
  var current = 0;
  function show(index) {
    index = Math.max(0, Math.min(frames.length - 1, index));
    for (var k = 0; k < frames.length; k++) { frames[k].hidden = (k !== index); }
    current = index;
    slider.value = String(index + 1);
    counter.textContent = "Step " + (index + 1) + " of " + frames.length;
    status.textContent = frames[index].getAttribute("data-caption").split(" | ")[0];
    previous.disabled = index === 0;
    next.disabled = index === frames.length - 1;
    document.body.setAttribute("data-frame", String(index + 1));
    var hash = "#frame=" + (index + 1);
    if (location.hash !== hash) {
      try { history.replaceState(null, "", hash); } catch (error) { /* file: URLs in some browsers */ }
    }
  }
  function fromHash() {
    var match = /frame=(\\d+)/.exec(location.hash);
    show(match ? parseInt(match[1], 10) - 1 : current);
  }
  // "fit to window" may shrink a frame only down to the minimum readable scale
  var minimum = parseFloat(document.getElementById("frames").getAttribute("data-min-scale"));
  var drawings = document.querySelectorAll("figure.frame svg");
  for (var d = 0; d < drawings.length; d++) {
    var natural = drawings[d].width.baseVal.value;
    if (natural > 0) { drawings[d].style.minWidth = Math.round(natural * minimum) + "px"; }
  }
  var fit = document.getElementById("fit");
  fit.addEventListener("change", function () {
    document.getElementById("frames").className = fit.checked ? "fit" : "";
  });
  previous.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10) - 1); });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider && (event.key === "ArrowLeft" || event.key === "ArrowRight")) { return; }
    if (event.key === "ArrowRight" || event.key === "PageDown") { show(current + 1); }
    else if (event.key === "ArrowLeft" || event.key === "PageUp") { show(current - 1); }
    else if (event.key === "Home") { show(0); }
    else if (event.key === "End") { show(frames.length - 1); }
    else { return; }
    event.preventDefault();
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();"""
