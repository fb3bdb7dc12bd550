"""Gradient-flow diagrams as Graphviz graphs: ``gl.draw`` and ``gl.render``.

The only module of graphlab that imports ``graphviz`` (and only when a diagram is made, so
``import graphlab`` stays light). What a diagram says comes from ``labels.py`` (text) and
``graph.py`` (nodes, gradients, boxes); this module arranges it:

* scalar graphs in the lecture's style: op gates as small circles with their symbol, leaves by
  name, every edge carrying its forward value (green, above) and its gradient (red, below),
  '?' before backward; a fan-out goes through a copy gate whose branches show what each
  reader sent back (the gate adds them up);
* tensor graphs: one box per node with name, op, shape, dtype, values (or mean/std/min/max)
  and the gradient (its norm when big);
* ``focus=``: upstream on the node's output edge, local (blue) and downstream (red) on each
  input edge, and the chain rule with the numbers as a caption;
* ``collapse=`` / ``max_nodes=``: scopes (nn modules) or runs of nodes become one box each;
* ``wrap=``: a diagram too wide for one row goes on in rows (``layout.py``).

>>> import graphlab as gl
>>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
>>> q = (x + y).named("q")
>>> f = (q * z).named("f")
>>> _ = f.backward()
>>> graph = gl.draw(f, focus=q)
>>> "downstream = upstream × local: -4 × 1 = -4" in graph.source
True
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from graphlab.autodiff import rules
from graphlab.autodiff.function import Function
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.trace import Trace
from graphlab.viz import labels, layout
from graphlab.viz.files import (  # noqa: F401  (output_format, check_output_path: dot's API before files.py)
    FORMATS, INSTALL_HINT, GraphvizNotFoundError, RenderError, check_output_path, output_format, png_attributes,
)
from graphlab.viz.graph import GraphView, Grouping, LiveGradients, TraceGradients, VizError, plan
from graphlab.viz.inline import InlineDiagram, RenderedFile

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

SHOW_OPTIONS = ("both", "values", "grads", "none")
RANKDIRS = ("LR", "RL", "TB", "BT")
FONT = "Helvetica,Arial,sans-serif"


def plain(text) -> str:
    """A user's string as a DOT label showing exactly it: no escString backslashes, no HTML-like ``<...>``."""
    import graphviz
    return graphviz.escape(str(text))


# -- what to draw: a plain description first, a graphviz object last -------------------------------
class Spec:
    """A diagram as plain data: nodes ``(key, attrs, cluster)`` (cluster: the scope tuple drawn
    around the node; ``(scope, row)`` pairs once wrapped into rows), edges ``(tail, head, attrs)``,
    graph attributes, the caption.
    ``walk.py`` pins positions onto it before drawing."""

    def __init__(self):
        self.graph_attr = {}
        self.node_attr = {}
        self.edge_attr = {}
        self.nodes = []
        self.edges = []
        self.caption = []       # pieces of the caption (HTML-like fragments)
        self.cluster_boxes = {} # cluster name -> {"bb": ..., "lp": ...} when positions are pinned

    def node(self, key: str, cluster: tuple = (), **attrs) -> None:
        self.nodes.append((key, attrs, tuple(cluster)))

    def edge(self, tail: str, head: str, **attrs) -> None:
        self.edges.append((tail, head, attrs))


class Builder:
    """Turns a GraphView (+ gradients, grouping, focus) into a Spec."""

    def __init__(self, view: GraphView, gradients, *, show: str, rankdir: str, patterns: bool,
                 precision: int, grouping: Optional[Grouping] = None, focus: Optional[Tensor] = None,
                 current: Optional[Tensor] = None, pending: tuple = (), reserve_focus: bool = False,
                 legend: bool = True, hide_local: bool = False):
        self.view = view
        self.gradients = gradients
        self.show = show
        self.rankdir = rankdir
        self.patterns = patterns
        self.precision = precision
        self.grouping = grouping
        self.focus = focus if focus is not None else current
        self.current = current
        self.pending_ids = {tensor.id for tensor in pending}
        self.reserve_focus = reserve_focus   # every gate labelled as if focused (walk layout pass)
        self.hide_local = hide_local         # a quiz question: the student works the local out
        self.legend = legend
        self.spec = Spec()
        self.copy_gates = view.scalar_style and grouping is None

    # -- helpers --------------------------------------------------------------------------
    @property
    def values_on(self) -> bool:
        return self.show in ("both", "values")

    @property
    def grads_on(self) -> bool:
        return self.show in ("both", "grads")

    def item(self, tensor: Tensor) -> str:
        """The drawn thing a tensor belongs to: its own node or its box."""
        number = self.view.number[tensor.id]
        if self.grouping is not None and number in self.grouping.group_of:
            return f"g{self.grouping.group_of[number].index}"
        return f"n{number}"

    def is_focused(self, tensor: Tensor) -> bool:
        return self.reserve_focus or (self.focus is not None and tensor is self.focus)

    def value_text(self, tensor: Tensor) -> str:
        """An edge's value; a named gate's output says whose it is (``q = 3``)."""
        text = labels.values(tensor.data, self.precision)
        if tensor.given_name is not None and tensor.creator is not None:
            text = f"{tensor.given_name} = {text}"
        return text

    # -- the whole diagram -------------------------------------------------------------------
    def build(self) -> Spec:
        spec = self.spec
        spec.graph_attr.update(rankdir=self.rankdir, fontname=FONT, nodesep="0.3", ranksep="0.45")
        spec.node_attr.update(fontname=FONT, fontsize="12")
        spec.edge_attr.update(fontname=FONT, fontsize="11", arrowsize="0.7")
        if self.view.scalar_style:
            self._scalar_nodes()
        else:
            self._tensor_nodes()
        self._groups()
        self._edges()
        self._caption()
        return spec

    # -- nodes -------------------------------------------------------------------------------------
    def _cluster(self, tensor: Tensor) -> tuple:
        return tuple(tensor.scope)

    def _scalar_nodes(self) -> None:
        view = self.view
        for tensor in view.nodes:
            number = view.number[tensor.id]
            if self.grouping is not None and number in self.grouping.group_of:
                continue
            key = f"n{number}"
            if tensor.creator is None:
                text = tensor.label if tensor.given_name is not None or tensor.requires_grad else \
                    labels.values(tensor.data, self.precision)
                attrs = dict(label=plain(text), shape="plaintext", fontsize="14")
                if not tensor.requires_grad:
                    attrs["fontcolor"] = labels.NOTE_COLOR
            else:
                attrs = self._gate(view.symbol(tensor), tensor.creator.pattern, fontsize="14", margin="0.04")
            self._style(tensor, attrs)
            self.spec.node(key, self._cluster(tensor), **attrs)
            if self.copy_gates and view.is_fan_out(tensor):
                copy_attrs = self._gate("copy", "adder", fontsize="9", margin="0.02")
                self.spec.node(f"{key}_copy", self._cluster(tensor), **copy_attrs)
        self.spec.node("out", (), label=plain(view.name(view.root)), shape="plaintext", fontsize="14")

    def _gate(self, symbol: str, pattern: Optional[str], **attrs) -> dict:
        """A scalar gate: a small circle with its symbol. With ``patterns``, the pattern words go
        inside the node, under the symbol (an oval), where no edge or edge label can cover them
        (an ``xlabel`` is placed after the edges and often lands on one)."""
        words = labels.pattern_words(pattern) if self.patterns else None
        if not words:
            return dict(label=plain(symbol), shape="circle", width="0.4", **attrs)
        size = attrs.pop("fontsize")
        rows = [labels.colored(symbol, size=int(size)), labels.colored(words, labels.NOTE_COLOR, 9, italic=True)]
        return dict(label=labels.lines_html(rows), shape="ellipse", width="0.4", fontsize=size,
                    margin="0.03,0.01")

    def _tensor_nodes(self) -> None:
        view = self.view
        for tensor in view.nodes:
            number = view.number[tensor.id]
            if self.grouping is not None and number in self.grouping.group_of:
                continue
            key = f"n{number}"
            rows = [self._title(tensor),
                    labels.colored(f"{labels.shape(tensor.shape)} {tensor.dtype}", labels.NOTE_COLOR, 10)]
            if self.values_on:
                rows.extend(labels.colored(line, labels.VALUE_COLOR, 10)
                            for line in labels.value_lines(tensor.data, self.precision))
            if self.grads_on:
                grad = labels.grad_norm(self.gradients.node(tensor), tensor.requires_grad, self.precision)
                if grad is not None:
                    if self.is_focused(tensor) and tensor.creator is not None:
                        grad = f"upstream {grad}"
                    rows.append(labels.colored(grad, labels.GRAD_COLOR, 10))
            if self.patterns:
                pattern = tensor.creator.pattern if tensor.creator is not None else None
                words = labels.pattern_words(pattern)
                if view.is_fan_out(tensor):
                    fan = f"fan-out ×{len(view.slots[number])}: {labels.pattern_words('adder')}"
                    words = fan if words is None else f"{words}; {fan}"
                if words:
                    rows.append(labels.colored(words, labels.NOTE_COLOR, 10, italic=True))
            attrs = dict(label=labels.table_html(rows), shape="box", style="rounded", margin="0.05")
            if tensor is view.root:
                attrs["penwidth"] = "2"
            if tensor.creator is None:
                attrs["style"] = "rounded,filled"
                attrs["fillcolor"] = labels.DONE_FILL
            self._style(tensor, attrs)
            self.spec.node(key, self._cluster(tensor), **attrs)

    def _title(self, tensor: Tensor) -> str:
        view = self.view
        if tensor.creator is None:
            if tensor.given_name is not None:
                return labels.colored(tensor.given_name, bold=True)
            kind = "parameter" if tensor.requires_grad else "constant"
            return labels.colored(kind) + "&#160;" + labels.colored(view.name(tensor), labels.NOTE_COLOR, 10)
        symbol = view.symbol(tensor)
        if tensor.given_name is not None:
            return labels.colored(tensor.given_name, bold=True) + "&#160;" + labels.escape(f"= {symbol}")
        return labels.colored(symbol, bold=True) + "&#160;" + labels.colored(view.name(tensor), labels.NOTE_COLOR, 10)

    def _style(self, tensor: Tensor, attrs: dict) -> None:
        """Highlight the focused / current node and the walk's pending queue."""
        highlighted = tensor is self.current or (self.current is None and tensor is self.focus)
        pending = tensor.id in self.pending_ids
        if not (highlighted or pending):
            return
        if attrs.get("shape") == "plaintext":
            attrs.update(shape="box", margin="0.04,0.02", width="0.3", height="0.3")
        style = "rounded,filled" if attrs.get("shape") == "box" else "filled"
        if highlighted:
            attrs.update(style=style + ",bold", fillcolor=labels.CURRENT_FILL if self.current is not None
                         else labels.FOCUS_FILL, color=labels.LOCAL_COLOR if self.current is None else "black",
                         penwidth="2")
        else:
            attrs.update(style=style + ",dashed", fillcolor="white", color=labels.PENDING_COLOR, penwidth="2")

    def _groups(self) -> None:
        if self.grouping is None:
            return
        for group in self.grouping.groups:
            ops = ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in group.op_counts.most_common(3))
            more = len(group.op_counts) - 3
            op_total = sum(group.op_counts.values())
            rows = [labels.colored(group.title, bold=True),
                    labels.colored(f"{labels.count(op_total)} op{'s' if op_total != 1 else ''}: {ops}" + (f", +{more} kinds" if more > 0 else ""),
                                   labels.NOTE_COLOR, 10),
                    labels.colored(f"in {labels.shapes([t.shape for t in group.inputs])} -> "
                                   f"out {labels.shapes([t.shape for t in group.outputs])}", size=10)]
            if group.parameters:
                rows.append(labels.colored(f"params {labels.count(group.parameters)}", size=10))
            attrs = dict(label=labels.table_html(rows), shape="box3d", style="filled", fillcolor="#eef4fb",
                         margin="0.08")
            self.spec.node(f"g{group.index}", group.scope, **attrs)

    # -- edges ---------------------------------------------------------------------------------------
    def _edges(self) -> None:
        view = self.view
        if self.grouping is not None:
            self._group_edges()
        else:
            for tensor in view.nodes:
                key = f"n{view.number[tensor.id]}"
                for position, parent in view.inputs(tensor):
                    source = f"n{view.number[parent.id]}"
                    if self.copy_gates and view.is_fan_out(parent):
                        source += "_copy"
                    self._edge(source, key, parent, [(tensor, position)])
                if self.copy_gates and view.is_fan_out(tensor):
                    self._edge(key, f"{key}_copy", tensor, None)
        if view.scalar_style:
            self._edge(self.item(view.root), "out", view.root, None)

    def _group_edges(self) -> None:
        view = self.view
        merged = {}
        for tensor in view.nodes:
            head = self.item(tensor)
            for position, parent in view.inputs(tensor):
                tail = self.item(parent)
                if tail == head:
                    continue
                merged.setdefault((tail, head, parent.id), (parent, []))[1].append((tensor, position))
        for (tail, head, _), (parent, slots) in merged.items():
            self._edge(tail, head, parent, slots, boxed=True)

    def _edge(self, tail: str, head: str, tensor: Tensor, slots: Optional[list], boxed: bool = False) -> None:
        """An edge carrying ``tensor``: its value, and the gradient sent back along it (the
        consumers' contributions for ``slots``; the node's whole gradient when slots is None)."""
        attrs = {}
        if self.view.scalar_style or boxed:
            lines = self._edge_lines(tensor, slots, boxed)
            if lines:
                attrs["label"] = labels.lines_html(lines)
        else:
            lines = self._focus_lines(tensor, slots)
            if lines:
                attrs["label"] = labels.lines_html(lines)
        self.spec.edge(tail, head, **attrs)

    def _edge_gradient(self, tensor: Tensor, slots: Optional[list]):
        if slots is None:
            return self.gradients.node(tensor)
        total = None
        for consumer, position in slots:
            part = self.gradients.edge(tensor, consumer, position)
            if part is None:
                return None
            total = part if total is None else total + part
        return total

    def _edge_lines(self, tensor: Tensor, slots: Optional[list], boxed: bool) -> list:
        lines = []
        if boxed and not self.view.scalar_style:
            return [labels.colored(labels.shape(tensor.shape), labels.NOTE_COLOR, 10)]
        focused_input = slots is not None and len(slots) == 1 and self.is_focused(slots[0][0]) and not boxed
        focused_output = self.is_focused(tensor) and tensor.creator is not None
        if self.values_on:
            lines.append(labels.colored(self.value_text(tensor), labels.VALUE_COLOR))
        if focused_input and self.grads_on:
            consumer, position = slots[0]
            local = self._local(consumer, position)
            if local is not None:
                lines.append(labels.colored(f"local {labels.values(local, self.precision)}", labels.LOCAL_COLOR))
        if self.grads_on:
            grad = labels.gradient(self._edge_gradient(tensor, slots), tensor.requires_grad, self.precision)
            if grad is not None:
                if focused_input:
                    grad = f"downstream {grad}"
                elif focused_output:
                    grad = f"upstream {grad}"
                lines.append(labels.colored(grad, labels.GRAD_COLOR))
        return lines

    def _focus_lines(self, tensor: Tensor, slots: Optional[list]) -> list:
        """Tensor graphs: only the focused gate's input edges are labelled (local, downstream)."""
        if not self.grads_on or slots is None or len(slots) != 1 or not self.is_focused(slots[0][0]):
            return []
        if not tensor.requires_grad:
            return []
        consumer, position = slots[0]
        lines = []
        # matmul's local (Wᵀ) is no elementwise factor: its rule, in the caption, says how it is used
        local = self._local(consumer, position) if type(consumer.creator).chain is Function.chain else None
        if local is not None:
            lines.append(labels.colored(f"local {labels.summary(local, self.precision)}", labels.LOCAL_COLOR, 10))
        gradient = self._edge_gradient(tensor, slots)
        lines.append(labels.colored("downstream " + ("?" if gradient is None else labels.summary(gradient, self.precision)),
                                    labels.GRAD_COLOR, 10))
        return lines

    def _local(self, consumer: Tensor, position: int):
        if self.hide_local:
            return None
        locals_ = consumer.creator.local_gradients() if consumer.creator is not None else None
        return None if locals_ is None else locals_[position]

    # -- caption: focus, notes, legend -------------------------------------------------------------
    def _caption(self) -> None:
        rows = []
        if self.focus is not None and self.current is None:
            rows.extend(labels.colored(line, labels.LOCAL_COLOR if index else None, bold=not index)
                        for index, line in enumerate(focus_caption(self.view, self.gradients, self.focus,
                                                                   self.precision)))
        if self.grouping is not None and self.grouping.note:
            rows.append(labels.colored(self.grouping.note, labels.NOTE_COLOR, 10))
        if self.legend and self.show != "none":
            rows.extend(labels.legend_rows(self.show, focus=self.focus is not None,
                                           on_edges=self.view.scalar_style))
        self.spec.caption = rows


def focus_caption(view: GraphView, gradients, node: Tensor, precision: int = 4) -> list:
    """The chain rule at ``node`` in words and numbers, one line per input:

    ``q = x + y (add gate: gradient distributor)`` then
    ``x: downstream = upstream × local: -4 × 1 = -4`` ...
    """
    upstream = gradients.node(node)
    if node.creator is None:
        text = f"{view.describe(node)} (leaf): gradient {labels.gradient(upstream, node.requires_grad, precision) or 'none'}"
        if view.is_fan_out(node) and gradients.known(node):
            parts = [gradients.edge(node, consumer, position) for consumer, position in
                     view.slots[view.number[node.id]]]
            if all(part is not None for part in parts):
                text += " = " + " + ".join(labels.summary(part, precision) for part in parts) + \
                        " (fan-out: the copy gate adds)"
        return [text]
    pairs = [(position, parent) for position, parent in enumerate(node.creator.inputs)]
    names = view.input_names(node, precision)
    title = view.title(node)
    pattern = labels.pattern_title(node.creator.pattern, node.op)
    if pattern:
        title += f"  ({pattern})"
    downstream = gradients.downstream(node) or ()
    if rules.is_tensor_step(node.creator, node.shape):     # the vectorized rule with shapes
        return [title, *rules.rule_lines(node.creator, node.shape, names, downstream or None, precision)]
    locals_ = node.creator.local_gradients()
    tracked = [index for index, (_, parent) in enumerate(pairs) if parent.requires_grad]
    lines = labels.chain_rule_lines(
        node.op, [names[index] for index in tracked], upstream,
        None if locals_ is None else tuple(locals_[index] for index in tracked),
        [downstream[index] if index < len(downstream) else None for index in tracked], precision)
    return [title, *lines]


# -- Spec -> graphviz ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _diagram_class() -> type:
    """graphviz.Digraph that shows itself inline in Jupyter (``inline.py``), made on first use."""
    import graphviz
    return type("Diagram", (InlineDiagram, graphviz.Digraph), {"__module__": __name__})


def to_digraph(spec: Spec, engine: str = "dot") -> "graphviz.Digraph":
    graph = _diagram_class()("graphlab", engine=engine, graph_attr=dict(spec.graph_attr),
                             node_attr=dict(spec.node_attr), edge_attr=dict(spec.edge_attr))
    if spec.caption:
        graph.attr(label=labels.table_html(spec.caption, align="LEFT"), labelloc="b", labeljust="l")
    # nested clusters for scopes: the tree of scope prefixes, in order of first appearance
    tree = {}
    for key, attrs, cluster in spec.nodes:
        tree.setdefault(cluster, []).append((key, attrs))
    prefixes = []
    for cluster in tree:
        for length in range(1, len(cluster) + 1):
            if cluster[:length] not in prefixes:
                prefixes.append(cluster[:length])
    numbering = {prefix: index for index, prefix in enumerate(prefixes)}

    def emit(target, prefix: tuple) -> None:
        for key, attrs in tree.get(prefix, ()):
            target.node(key, **attrs)
        for child in prefixes:
            if len(child) == len(prefix) + 1 and child[:len(prefix)] == prefix:
                name = f"cluster_s{numbering[child]}"
                with target.subgraph(name=name) as sub:
                    sub.attr(label=plain(layout.cluster_label(child[-1])), style="rounded,dashed",
                             color=labels.NOTE_COLOR, fontcolor=labels.NOTE_COLOR, fontsize="11",
                             **spec.cluster_boxes.get(name, {}))
                    emit(sub, child)

    emit(graph, ())
    for tail, head, attrs in spec.edges:
        graph.edge(tail, head, **attrs)
    return graph


def _check_options(show: str, rankdir: str, precision) -> None:
    if show not in SHOW_OPTIONS:
        raise VizError(f"draw: show={show!r} is not an option; use one of {', '.join(map(repr, SHOW_OPTIONS))}")
    if rankdir not in RANKDIRS:
        raise VizError(f"draw: rankdir={rankdir!r} is not an option; use one of {', '.join(RANKDIRS)}")
    if not isinstance(precision, int) or isinstance(precision, bool) or not 1 <= precision <= 17:
        raise VizError(f"draw: precision={precision!r} must be an int from 1 to 17 (significant digits)")


def resolve(root_or_trace) -> tuple:
    """(view, gradients) for a Tensor (gradients read from the tensors) or a Trace (from its Steps)."""
    if isinstance(root_or_trace, Trace):
        if not len(root_or_trace):
            raise VizError("draw: the Trace is empty; pass the output tensor instead")
        view = GraphView(root_or_trace[0].node)
        return view, TraceGradients(root_or_trace)
    view = GraphView(root_or_trace)
    return view, LiveGradients(view)


def _check_wrap(wrap) -> None:
    if not (isinstance(wrap, bool) or isinstance(wrap, int) and wrap >= 2):
        raise VizError(f"draw: wrap={wrap!r} is not an option; use True (rows when the diagram is too wide), "
                       f"False (one row) or an int >= 2 (columns per row)")


def build_spec(root_or_trace, *, show: str = "both", rankdir: str = "LR", patterns: bool = False,
               collapse=None, max_nodes: Optional[int] = 150, focus=None, precision: int = 4,
               wrap=True) -> Spec:
    """Everything ``draw`` does except making the graphviz object."""
    _check_options(show, rankdir, precision)
    _check_wrap(wrap)
    view, gradients = resolve(root_or_trace)
    grouping = plan(view, collapse, max_nodes)
    focus_node = None if focus is None else view.find(focus)
    if focus_node is not None and grouping is not None and view.number[focus_node.id] in grouping.group_of:
        raise VizError(f"draw: the focus {view.describe(focus_node)} is inside a collapsed box; draw without "
                       f"collapse (max_nodes=None) or focus on a node outside the boxes")
    spec = Builder(view, gradients, show=show, rankdir=rankdir, patterns=patterns, precision=precision,
                   grouping=grouping, focus=focus_node).build()
    layout.wrap_rows(spec, wrap)
    return spec


def draw(root, *, show: str = "both", rankdir: str = "LR", patterns: bool = False, collapse=None,
         max_nodes: Optional[int] = 150, focus=None, precision: int = 4, wrap=True) -> "graphviz.Digraph":
    """The gradient-flow diagram of ``root``'s graph, as a ``graphviz.Digraph``.

    ``root`` is the output Tensor (gradients are read from the tensors: '?' before backward),
    or a Trace (gradients from its Steps). The Digraph shows itself in Jupyter; ``.source`` is
    its DOT text; ``gl.render(root, "flow.svg")`` (or ``.render()``) writes a file.

    * ``show``: "both" (values and gradients), "values", "grads" or "none".
    * ``rankdir``: "LR" (the lecture's left-to-right), "TB", "RL", "BT".
    * ``patterns``: label gates with their lecture pattern (add: distributor, mul: swap
      multiplier, max/relu: router, fan-out: adder).
    * ``collapse``: "modules" (one box per scope, see ``gl.scope``) or a depth (scopes cut to
      that many names); a graph above ``max_nodes`` nodes is collapsed automatically, with a
      note saying so (``max_nodes=None`` draws every node).
    * ``focus``: a node (or its name): upstream, local and downstream gradients on its edges
      and the chain rule with the numbers in the caption.
    * ``precision``: significant digits of every number.
    * ``wrap``: a left-to-right diagram wider than about 30 inches (a deep chain, a network's
      layers) is cut into rows of about 16, like text; an edge going on in the next row ends
      in a lettered stub (``A ↵``) and starts again at the same letter (``↳ A``). False keeps
      one row; an int sets the columns per row.
    """
    return to_digraph(build_spec(root, show=show, rankdir=rankdir, patterns=patterns, collapse=collapse,
                                 max_nodes=max_nodes, focus=focus, precision=precision, wrap=wrap))


# -- files ------------------------------------------------------------------------------------------------
def pipe(graph: "graphviz.Digraph", fmt: str, where: str = "render", **options) -> bytes:
    """Run Graphviz on ``graph``; a missing ``dot`` becomes GraphvizNotFoundError."""
    return _graphviz(where, graph.engine, lambda: graph.pipe(format=fmt, **options))


def _graphviz(where: str, program: str, run):
    """``run()``, with graphviz's errors said in graphlab's words (and how to install it)."""
    import graphviz
    try:
        return run()
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(f"{where}: Graphviz's `{program}` program was not found on PATH. "
                                    f"{INSTALL_HINT}") from error
    except graphviz.CalledProcessError as error:
        stderr = (error.stderr or b"").decode(errors="replace").strip()
        raise RenderError(f"{where}: Graphviz failed ({stderr or error})") from error


def pipe_sources(sources: list, engine: str, fmt: str, where: str, **options) -> list:
    """Several DOT sources through one Graphviz run (it draws every graph of its input); one
    output document per source. ``options`` go to ``graphviz.pipe`` (e.g. ``neato_no_op=2``)."""
    import graphviz
    output = _graphviz(where, engine, lambda: graphviz.pipe(engine, fmt, "\n".join(sources).encode(), quiet=True, **options))
    if fmt != "svg":
        raise RenderError(f"{where}: several graphs in one run can only be split as SVG, not {fmt}")
    documents = [part for part in re.split(r"(?=<\?xml )", output.decode("utf-8")) if part.strip()]
    if len(documents) != len(sources):
        raise RenderError(f"{where}: Graphviz drew {len(documents)} graphs for {len(sources)} sources")
    return documents


def render(root, path, *, dpi=None, **draw_options) -> Path:
    """Draw ``root`` (a Tensor, a Trace, or a Digraph from ``gl.draw``) into ``path``.

    The format follows the extension: ``.svg``, ``.png``, ``.pdf``, or ``.dot`` (the source
    only, no Graphviz needed). ``draw_options`` are ``gl.draw``'s. ``dpi``: a PNG's dots per
    inch (default 192, so text stays sharp on screens and slides). Returns the path written.
    Without Graphviz's ``dot``, the ``.dot`` source is still written beside ``path`` and the
    error says how to install Graphviz.
    """
    path = RenderedFile(path)
    fmt = output_format(path)
    check_output_path(path)
    png = png_attributes(dpi)            # checked for every format: a wrong dpi is a mistake anyway
    graph = _drawn(root, draw_options)
    if fmt == "dot":
        path.write_text(graph.source, encoding="utf-8")
        return path
    if fmt == "png":
        graph = graph.copy()             # the caller's Digraph keeps its attributes
        graph.attr(**png)
    try:
        data = pipe(graph, fmt)
    except GraphvizNotFoundError as error:
        source = path.with_suffix(".dot")
        source.write_text(graph.source, encoding="utf-8")
        raise GraphvizNotFoundError(f"render: could not draw {path.name}: Graphviz's `dot` program was not "
                                    f"found on PATH. The DOT source is in {source}. {INSTALL_HINT}") from error.__cause__
    path.write_bytes(data)
    return path


def _drawn(root, draw_options: dict) -> "graphviz.Digraph":
    """``root`` drawn with ``draw_options``, or as it is when it already is a Digraph."""
    import graphviz

    if isinstance(root, graphviz.Digraph):
        if draw_options:
            raise RenderError(f"render: options {sorted(draw_options)} apply to tensors; a Digraph is already drawn")
        return root
    return draw(root, **draw_options)
