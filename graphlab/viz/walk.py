"""The backward walk as pictures: one frame per Step and an HTML page to step through them.

``gl.walk(f, "walk/")`` writes ``walk/frames/step_000.svg`` ... (the node being processed
highlighted, the queue of nodes waiting for more gradient outlined, every gradient known so
far written on its edge) and ``walk/index.html``: the frames inline, previous/next buttons,
the arrow keys, a slider and a quiz toggle (``walk_page.py``). Nothing jumps between frames:
the graph is laid out once with ``dot`` (with the widest labels it will ever carry) and every
frame is drawn with those positions pinned (``neato -n2``). For the quiz, each Step that sends
gradient also gets a question frame: the same picture before it sends (its inputs' edges '?').

In a notebook the Walk displays itself: the same page inline (``Walk._repr_html_``);
``gl.walk(f)`` without a folder writes nothing and only displays.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from graphlab.autodiff.engine import BackwardWalk
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.trace import Step, Trace
from graphlab.viz import labels, walk_page
from graphlab.viz.dot import (
    RenderError, Spec, Builder, _check_options, focus_caption, pipe, pipe_sources, to_digraph,
)
from graphlab.viz.graph import GraphView, QuestionGradients, TraceGradients, VizError
from graphlab.viz.questions import quiz_data

POINTS_PER_INCH = 72.0
CAPTION_FONT = 12
CAPTION_LINE = 16.0      # points per caption line
CHAR_WIDTH = 7.0         # generous points per character at CAPTION_FONT (Helvetica averages ~6)
MIN_FIT_SCALE = walk_page.MIN_FIT_SCALE
MIN_CAPTION_WIDTH = 520.0


@dataclass
class Frame:
    """One Step of the walk as drawn: ``gradients`` maps node names to the final gradients
    known after this Step; ``pending`` names the nodes still waiting, in processing order.
    ``svg`` is the picture; where the quiz asks something, ``question_svg`` and
    ``question_caption`` show the Step before it sends anything to its inputs."""
    index: int
    step: Step
    node: str
    caption: list
    pending: list
    gradients: dict
    path: Optional[Path] = None
    svg: str = field(default="", repr=False)
    question_svg: Optional[str] = field(default=None, repr=False)
    question_caption: list = field(default_factory=list, repr=False)


@dataclass
class Walk:
    """The drawn walk: ``frames`` (in processing order), ``quiz`` (the questions,
    ``questions.quiz_data``), and where ``gl.walk`` wrote it: ``index`` (the HTML page) in
    ``out_dir`` (both None when no folder was given). Displays itself in a notebook."""
    out_dir: Optional[Path]
    index: Optional[Path]
    frames: list
    seconds: dict = field(default_factory=dict)
    title: str = ""
    quiz: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        where = self.index if self.index is not None else "not written (gl.walk(root, folder) writes it)"
        return f"<Walk of {len(self.frames)} frames: {where}>"

    def page(self, quiz_on: bool = False) -> str:
        """The self-contained HTML stepper (what ``index.html`` holds), the quiz on when ``quiz_on``."""
        return walk_page.page(self.title, self.frames, self.quiz, quiz_on)

    def _repr_html_(self) -> str:
        """The stepper inline (Jupyter, VS Code, Colab, nbconvert's HTML): an iframe, no kernel needed."""
        return walk_page.iframe(self.page(), "walk")


def trace_of(root_or_trace, who: str = "walk") -> Trace:
    """A Trace of the whole walk. From a Tensor, the walk runs with ``store_grads=False``: no
    ``.grad`` changes (so leaves do not accumulate twice when backward already ran). ``who``
    names the caller in errors."""
    if isinstance(root_or_trace, Trace):
        if not len(root_or_trace):
            raise VizError(f"{who}: the Trace is empty; pass the output tensor instead")
        return root_or_trace
    if not isinstance(root_or_trace, Tensor):
        raise VizError(f"{who}: expected a Tensor or a Trace, got {type(root_or_trace).__name__}")
    root = root_or_trace
    if root.data.size != 1:
        raise VizError(f"{who}: {root.label} has shape {root.shape}; the walk starts from one number "
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


def question_texts(view: GraphView, trace: Trace, index: int, precision: int) -> tuple:
    """(caption lines, pending nodes) of Step ``index``'s quiz question: its upstream, whom it
    asks about, and no local, rule or pattern (those are what the student works out)."""
    gradients = QuestionGradients(trace, index)
    step = trace[index]
    lines = [f"Step {index + 1} of {len(trace)}: {view.title(step.node)}"]
    upstream = labels.summary(step.upstream, precision)
    if index == 0:
        lines[0] += ", the output: its upstream is the seed 1"
    elif step.is_fan_out:
        parts = " + ".join(labels.summary(gradient, precision) for _, gradient in step.contributions)
        lines.append(f"upstream {upstream} = {parts} (the copy gate adds)")
    else:
        lines.append(f"upstream {upstream}")
    asked = [name for name, tensor in zip(view.input_names(step.node, precision), step.inputs) if tensor.requires_grad]
    lines.append(f"quiz: what does {', '.join(asked)} receive? (local gradients hidden until answered)")
    pending = gradients.pending()
    queue = ", ".join(view.describe(tensor) for tensor in pending)
    lines.append(f"pending: {queue or 'none'}")
    return lines, pending


def walk(root_or_trace, out_dir=None, *, show: str = "both", rankdir: str = "LR", patterns: bool = False,
         precision: int = 4, max_nodes: int = 150) -> Walk:
    """The backward walk of ``root_or_trace`` (an output Tensor, or a Trace), one frame per Step;
    into ``out_dir`` (when given) one SVG per Step in ``frames/`` and a self-contained
    ``index.html`` that steps through them (buttons, arrow keys, slider, a quiz toggle;
    ``index.html#frame=3`` opens the third frame). Returns a Walk with the frames (node,
    caption, pending queue, gradients known so far); in a notebook it shows the stepper inline."""
    _check_options(show, rankdir, precision)
    started = time.perf_counter()
    trace = trace_of(root_or_trace)
    _check_size(GraphView(trace[0].node), max_nodes, "walk")      # before the folder is emptied
    frames_dir = None if out_dir is None else _empty_frames_folder(Path(out_dir))
    result = draw_walk(trace, dict(show=show, rankdir=rankdir, patterns=patterns, precision=precision), max_nodes)
    if frames_dir is not None:
        for frame in result.frames:
            frame.path = frames_dir / f"step_{frame.index:03d}.svg"
            frame.path.write_text(frame.svg, encoding="utf-8")
        result.out_dir, result.index = Path(out_dir), Path(out_dir) / "index.html"
        result.index.write_text(result.page(), encoding="utf-8")
    result.seconds["total"] = time.perf_counter() - started
    return result


def draw_walk(trace: Trace, options: dict, max_nodes: Optional[int] = 150, who: str = "walk") -> Walk:
    """Every frame of ``trace``'s walk (and the quiz's question frames) as SVG, nothing written:
    what ``gl.walk`` and ``gl.quiz`` display. ``options``: show, rankdir, patterns, precision."""
    started = time.perf_counter()
    view = GraphView(trace[0].node)
    _check_size(view, max_nodes, who)
    layout = _layout(view, trace, options)
    seconds = {"layout": time.perf_counter() - started}
    quiz = quiz_data(view, trace, options["precision"])
    asking = [index for index, step in enumerate(quiz["steps"]) if step["questions"]]
    frames, sources = _pinned_frames(view, trace, layout, options, asking)
    seconds["frames"] = time.perf_counter() - started - seconds["layout"]
    svgs = _render_pinned(sources)
    for frame, svg in zip(frames, svgs):
        frame.svg = svg
    for index, svg in zip(asking, svgs[len(frames):]):
        frames[index].question_svg = svg
    return Walk(None, None, frames, seconds, f"Backward walk of {view.name(view.root)}", quiz)


def _check_size(view: GraphView, max_nodes: Optional[int], who: str) -> None:
    if max_nodes is not None and len(view) > max_nodes:
        raise VizError(f"{who}: the graph has {len(view):,} nodes, more than max_nodes={max_nodes}: one frame per "
                       f"Step would be unreadable. Walk a smaller graph (gl.draw(root) collapses big ones), "
                       f"or pass max_nodes=None")


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


def _pinned_frames(view: GraphView, trace: Trace, layout: "Layout", options: dict, asking: list) -> tuple:
    """(the Frames, the DOT sources: one per Step, then one per question frame of the Steps in
    ``asking``), all pinned to the one layout with captions of one width and number of rows."""
    precision = options["precision"]
    texts = [frame_texts(view, trace, index, precision) for index in range(len(trace))]
    asked = [question_texts(view, trace, index, precision) for index in asking]
    caption_width = max(layout.width, MIN_CAPTION_WIDTH)
    caption_rows = max(len(_wrap(text[0], caption_width)) for text in texts + asked)

    def source(index: int, gradients, lines: list, pending: list) -> str:
        builder = Builder(view, gradients, current=trace[index].node, pending=tuple(pending), legend=False,
                          hide_local=isinstance(gradients, QuestionGradients), **options)
        spec = builder.build()
        spec.caption = []
        layout.pin(spec, _wrap(lines, caption_width), caption_rows, caption_width)
        return to_digraph(spec, engine="neato").source

    frames, sources = [], []
    for index, step in enumerate(trace):
        lines, pending, known = texts[index]
        sources.append(source(index, TraceGradients(trace, upto=index), lines, pending))
        frames.append(Frame(index, step, view.name(step.node), lines, [view.name(t) for t in pending], known))
    for index, (lines, pending) in zip(asking, asked):
        sources.append(source(index, QuestionGradients(trace, index), lines, pending))
        frames[index].question_caption = lines
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
