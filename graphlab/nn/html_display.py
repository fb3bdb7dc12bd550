"""How a Module and ``gl.nn.summary`` show themselves in Jupyter (``_repr_html_``).

A Module is its repr tree as nested, foldable lists (no JavaScript: ``<details>``), each line
with the layer's output shape (once it has run) and parameter count; a Summary is its text
table as an HTML table, totals included. The numbers are the text views' own.

>>> import graphlab as gl
>>> model = gl.nn.Sequential(gl.nn.Linear(4, 3), gl.nn.ReLU())
>>> module_line(model[0], "0")
'(0): Linear(4, 3)'
"""
from __future__ import annotations

import math

from graphlab import display


def module_line(module, name: str = "") -> str:
    """``(0): Linear(in_features=4, out_features=3)``: the repr's own line for a module."""
    label = f"({name}): " if name else ""
    return f"{label}{type(module).__name__}({module.extra_repr()})"


def _item(module, name: str = "") -> str:
    """One module as a list item; a container folds open onto its children."""
    notes = module._repr_notes()
    head = f"<code>{display.escape(module_line(module, name))}</code>"
    if notes:
        head += f' <span class="gl-note">{display.escape(notes)}</span>'
    children = list(module.named_children())
    if not children:
        return f"<li>{head}</li>"
    inner = "".join(_item(child, child_name) for child_name, child in children)
    return f'<li><details open><summary>{head}</summary><ul class="gl-tree">{inner}</ul></details></li>'


def module_html(module) -> str:
    """The repr tree as nested lists, with the total parameter count on top."""
    count = module.num_parameters()
    heading = display.title(type(module).__name__, f"{count:,} parameters")
    return display.block(heading, display.Raw(f'<ul class="gl-tree" style="padding-left: 0">{_item(module)}</ul>'),
                         kind="module")


def summary_html(summary) -> str:
    """``gl.nn.summary``'s table (layer, output shape, params) in HTML, with its totals."""
    rows = []
    for row in summary.rows:
        label = f"{row.name} ({row.kind})" if row.name else row.kind
        indent = f'<span style="padding-left: {1.5 * row.depth:g}em"></span>' if row.depth else ""
        shape = str(tuple(row.output_shape)) if row.output_shape is not None else "?"
        rows.append([display.Raw(indent + display.escape(label)), shape, f"{row.params:,}"])
    inputs = math.prod(summary.input_shape[1:])
    totals = [["total parameters", "", f"{summary.total_params:,}"],
              ["activations per sample", f"input {inputs:,}", f"{summary.activations_per_sample:,} values"]]
    kinds = [""] * len(rows) + ["gl-total"] * len(totals)
    return display.block(display.title("summary", f"input shape {tuple(summary.input_shape)}"),
                         display.table(["layer", "output shape", "params"], rows + totals, numeric={2},
                                       row_classes=kinds),
                         kind="summary")
