"""Text diagrams: the same values and gradients as ``gl.draw``, for terminals and machines
without Graphviz.

>>> import graphlab as gl
>>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
>>> q = (x + y).named("q")
>>> f = (q * z).named("f")
>>> gl.viz.text(f)
f = q * z      value -12  grad ?
├── q = x + y  value 3    grad ?
│   ├── x      value -2   grad ?
│   └── y      value 5    grad ?
└── z          value -4   grad ?
>>> _ = f.backward()
>>> gl.viz.text(f)
f = q * z      value -12  grad 1
├── q = x + y  value 3    grad -4
│   ├── x      value -2   grad -4
│   └── y      value 5    grad -4
└── z          value -4   grad 3
"""
from __future__ import annotations

import sys
from graphlab.viz import labels
from graphlab.viz.graph import VizError

#: deeper graphs are listed as a table (a tree would indent off the screen)
MAX_TREE_DEPTH = 30
#: a terminal's width: wider diagrams summarize tensors by shape and mean, then put each
#: node's cells on a line of their own
WIDTH = 80


def text(root, *, style: str = "auto", precision: int = 4, file=None) -> None:
    """Print ``root``'s graph as an indented tree (``style="tree"``) or a table of nodes in
    topological order (``style="table"``); ``"auto"`` picks the tree unless the graph is deep.
    ``root`` may be a Tensor or a Trace (gradients from its Steps)."""
    print(diagram(root, style=style, precision=precision), file=file or sys.stdout)


def diagram(root, *, style: str = "auto", precision: int = 4) -> str:
    """The text ``text`` prints."""
    from graphlab.viz.dot import resolve

    if style not in ("auto", "tree", "table"):
        raise VizError(f"text: style={style!r} is not an option; use 'auto', 'tree' or 'table'")
    view, gradients = resolve(root)
    if style == "auto":
        style = "tree" if _depth(view) <= MAX_TREE_DEPTH else "table"
    make_rows = _tree_rows if style == "tree" else _table_rows
    text = _align(make_rows(view, gradients, precision))
    if _widest(text) <= WIDTH:
        return text
    text = _align(make_rows(view, gradients, precision, compact=True))
    if _widest(text) <= WIDTH:
        return text
    return _stacked(_table_rows(view, gradients, precision, compact=True)[1:])


def _widest(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


def _expression(view, tensor) -> str:
    """``q = x + y``: a node and its inputs by name (the tree shows the inputs below it); a
    leaf by its name, except a one-number constant, which reads as its value (``2``)."""
    if tensor.creator is None:
        plain_number = tensor.data.size == 1 and not tensor.requires_grad and tensor.given_name is None
        return labels.values(tensor.data) if plain_number else view.name(tensor)
    return f"{view.name(tensor)} = {view.formula(tensor, depth=1)}"


def _cells(view, gradients, tensor, precision: int, compact: bool = False) -> list:
    """value, grad and (for an array) shape and dtype; ``compact``: an array's value and grad
    by shape and mean (``(2x4) mean 0.12``, the Trace's wording) when it is not short."""
    grad = labels.gradient(gradients.node(tensor), tensor.requires_grad, precision)
    if compact and tensor.data.ndim:
        from graphlab.autodiff.rules import shaped
        upstream = gradients.node(tensor)
        grad_text = None if grad is None else (shaped(upstream, precision, room=16) if upstream is not None else grad)
        return [f"value {shaped(tensor.data, precision, room=16)}", "" if grad_text is None else f"grad {grad_text}"]
    cells = [f"value {labels.values(tensor.data, precision)}"]
    cells.append("" if grad is None else f"grad {grad}")
    if tensor.data.ndim:
        cells.append(f"{labels.shape(tensor.shape)} {tensor.dtype}")
    return cells


def _depth(view) -> int:
    depth = {}
    for tensor in view.nodes:   # topological order: inputs first
        inputs = [parent for _, parent in view.inputs(tensor)]
        depth[tensor.id] = 1 + max((depth[parent.id] for parent in inputs), default=0)
    return depth[view.root.id]


def _tree_rows(view, gradients, precision: int, compact: bool = False) -> list:
    """Depth-first from the root with an explicit stack; a node seen before is not expanded
    again (its line says so), so fan-out shows where gradients add up."""
    rows = []
    shown = set()
    stack = [(view.root, "", "", True)]
    while stack:
        tensor, prefix, branch, is_root = stack.pop()
        label = branch + _expression(view, tensor)
        if tensor.id in shown:
            rows.append([prefix + label + "  (see above)"])
            continue
        shown.add(tensor.id)
        note = "  (fan-out)" if view.is_fan_out(tensor) else ""
        rows.append([prefix + label + note, *_cells(view, gradients, tensor, precision, compact)])
        children = [parent for _, parent in view.inputs(tensor)]
        child_prefix = prefix + ("" if is_root else ("    " if branch.startswith("└") else "│   "))
        for index in range(len(children) - 1, -1, -1):
            last = index == len(children) - 1
            stack.append((children[index], child_prefix, "└── " if last else "├── ", False))
    return rows


def _table_rows(view, gradients, precision: int, compact: bool = False) -> list:
    rows = [["node", "computed as", "value", "grad"]]
    for tensor in view.nodes:
        cells = _cells(view, gradients, tensor, precision, compact)
        rows.append([view.name(tensor), _expression(view, tensor), *cells])
    return rows


def _align(rows: list) -> str:
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    widths = [max(len(row[column]) for row in rows) for column in range(width)]
    return "\n".join("  ".join(cell.ljust(size) for cell, size in zip(row, widths)).rstrip() for row in rows)


def _stacked(rows: list) -> str:
    """Rows too wide for one line each (a CNN's tensors): every node in topological order,
    its expression on one line (cut at WIDTH) and its cells indented below it."""
    lines = []
    for name, expression, *cells in rows:
        line = expression if expression.startswith(name) else f"{name} = {expression}"
        lines.append(line if len(line) <= WIDTH else line[:WIDTH - 1] + "…")
        cells = [cell for cell in cells if cell]
        together = "    " + "  ".join(cells)
        lines.extend([together] if len(together) <= WIDTH else ["    " + cell[:WIDTH - 4] for cell in cells])
    return "\n".join(line.rstrip() for line in lines)
