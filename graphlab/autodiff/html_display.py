"""How a Tensor, a Step and a Trace show themselves in Jupyter (``_repr_html_``).

The numbers are the text views' own: a tensor's values and gradient go through the same
``np.array2string`` as its repr, a step's upstream, local and downstream through the Trace
table's formatting, and its rule is ``Step.rule_lines`` (``autodiff/rules.py``), so a notebook
and a terminal say the same thing.

>>> import graphlab as gl
>>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
>>> q = (x + y).named("q")
>>> trace = (q * z).named("f").backward()
>>> cells(trace[1])
['1', 'q', 'add', '-4', '(1, 1)', '(-4, -4)', 'distributor', ['dL/dx = upstream × local = -4 × 1 = -4', \
'dL/dy = upstream × local = -4 × 1 = -4']]
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from graphlab import display
from graphlab.autodiff import rules
from graphlab.autodiff.trace import MAX_ROWS, _pattern_text, format_value

COLUMNS = ("#", "node", "op", "upstream", "local", "downstream", "pattern", "rule")
#: characters an array may take before it is shown by its shape and mean (the text table's room)
VALUE_ROOM = 24
#: a rule longer than this breaks after a comma (a table cell is wider than a terminal)
RULE_WIDTH = 100


def array_text(array) -> str:
    """An array as ``Tensor.__repr__`` prints it: numpy's summary (``...``) past 20 values."""
    return np.array2string(np.asarray(array), precision=4, separator=", ", threshold=20)


def tensor_html(tensor) -> str:
    """Name, op, shape, dtype, requires_grad, the values and the gradient, as a small table."""
    grad = "no grad yet" if tensor.grad is None else display.code(array_text(getattr(tensor.grad, "data",
                                                                                     tensor.grad)))
    rows = [("name", tensor.label), ("op", tensor.op or "leaf"), ("shape", str(tensor.shape)),
            ("dtype", str(tensor.dtype)), ("requires_grad", str(tensor.requires_grad)),
            ("values", display.code(array_text(tensor.data))), ("grad", grad)]
    body = "".join(f"<tr><th>{display.escape(key)}</th><td>{display.escape(value)}</td></tr>"
                   for key, value in rows)
    return display.block(display.title(f"{type(tensor).__name__} {tensor.label}"),
                         display.Raw(f"<table><tbody>{body}</tbody></table>"), kind="tensor")


# -- Steps and Traces --------------------------------------------------------------------------
def cells(step, precision: int = 4) -> list:
    """One table row for a step: index, node, op, upstream, local, downstream, pattern, and the
    rule lines (a list; at a fan-out, first the sum the copy gate made). A scalar step reads
    like the text table; a tensor step gives each value by its shape (``(2) [0.25, 0.25]``,
    ``(2x4) mean 0.12``) as the tensor table does, one input per line."""
    if step.is_tensor:
        value = lambda item: rules.shaped(item, precision, room=VALUE_ROOM)   # noqa: E731
        pattern = _pattern_text(step)
    else:
        value = lambda item: format_value(item, precision)                    # noqa: E731
        pattern = step.pattern or ""
    names = [tensor.label for tensor in step.inputs]
    local = step.local
    local_text = "" if local is None else _each(local, value, names, step.is_tensor)
    downstream = "" if step.is_leaf else _each(step.downstream, value, names, step.is_tensor)
    rule = step.rule_lines(precision=precision, width=RULE_WIDTH, values=not step.is_tensor)
    if step.is_fan_out:            # the copy gate's sum, as print(step) says it
        rule = ["fan-out adds " + " + ".join(value(grad) for _, grad in step.contributions)] + rule
    return [str(step.index), step.node.label, step.op or "leaf", value(step.upstream), local_text, downstream,
            pattern, rule]


def _each(values, value, names: list, one_per_line: bool) -> str:
    """Per-input values as the text table writes them, ``(1, 1)`` (None as ``?``); arrays one
    per line, after their input's name (``W: (2x2) mean 0.07``)."""
    shown = ["?" if item is None else value(item) for item in values]
    if one_per_line:
        return "\n".join(f"{name}: {text}" for name, text in zip(names, shown))
    return "(" + ", ".join(shown) + ")"


def _row(step, precision: int) -> list:
    row = cells(step, precision)
    row[-1] = display.lines(row[-1]) if row[-1] else ""
    row[3:6] = [display.code(text) if text else "" for text in row[3:6]]
    return row


def step_html(step, precision: int = 4) -> str:
    """A Step as a one-row table with its rule (and, at a fan-out, what the copy gate added)."""
    return display.block(display.title(f"step {step.index}: {step.node.label}", step.op or "leaf"),
                         display.table(COLUMNS, [_row(step, precision)], numeric={0}), kind="step")


def trace_html(trace, precision: int = 4, max_rows: Optional[int] = MAX_ROWS) -> str:
    """Every Step of the walk as one table (at most ``max_rows``, then a note, as ``print``)."""
    shown = trace if max_rows is None else trace[:max_rows]
    parts = [display.title(f"Trace of {len(trace)} steps", "backward walk, output first: "
                                                             "downstream = upstream × local"),
             display.table(COLUMNS, [_row(step, precision) for step in shown], numeric={0})]
    if len(shown) < len(trace):
        parts.append(display.note(f"... {len(trace) - len(shown):,} more steps not shown; "
                                  f"trace.table(max_rows=None) shows all"))
    if any(step.is_tensor for step in shown):
        parts.append(display.note("values: whole when short, else (shape) mean; trace[k].upstream and "
                                  ".downstream are the arrays"))
    return display.block(*parts, kind="trace")
