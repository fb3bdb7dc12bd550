"""Step and Trace: the backward walk kept as plain data.

A Step is one node of the walk: the gradient that arrived (``upstream``), the op's own
derivative (``local``, computed only when looked at) and what it sent to each input
(``downstream``). Diagrams, the REPL and lessons read Steps; nothing here draws or
differentiates.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from graphlab.autodiff import rules
from graphlab.tables import format_table

#: lecture names of the gate patterns (CS231n lecture 4)
PATTERN_NAMES = {
    "distributor": "add gate: gradient distributor",
    "swap": "mul gate: swap multiplier",
    "router": "max gate: gradient router",
    "adder": "copy (fan-out): gradient adder",
}

_MAX_SHOWN = 6

#: steps a Trace table shows before it says how many it left out
MAX_ROWS = 50
#: a Trace table over arrays fits a terminal this wide
TABLE_WIDTH = 80
RULE_INDENT = "      "
VALUES_NOTE = ("values: whole when short, else (shape) mean; print(trace[k]) shows step k\n"
               "with its numbers, trace[k].upstream and .downstream the arrays")


def format_value(value: Any, precision: int = 4) -> str:
    """Short text for a number, a small array or a big array's summary."""
    if value is None:
        return "?"
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(item, precision) for item in value) + ")"
    data = getattr(value, "data", value)  # Tensor -> its array
    array = np.asarray(data)
    if array.ndim == 0:
        number = array.item()
        if isinstance(number, bool):
            return str(number)
        text = f"{number:.{precision}g}"
        return "0" if text == "-0" else text
    if array.size <= _MAX_SHOWN:
        flat = [format_value(item, precision) for item in array.reshape(-1)]
        if array.ndim == 1:
            return "[" + ", ".join(flat) + "]"
        return f"[{', '.join(flat)}] shape {array.shape}"
    as_float = array.astype(np.float64)
    return f"<{array.shape} mean {as_float.mean():.{precision}g} norm {np.linalg.norm(as_float):.{precision}g}>"


class Step:
    """One node of a backward walk: ``downstream[i] = upstream × local[i]`` (for elementwise ops).

    ``node`` is the Tensor whose gradient is final at this step, ``upstream`` that gradient (the
    sum of ``contributions``, the (consumer, gradient) pairs at a fan-out), ``downstream`` what
    went to each input (None where an input needs no gradient).
    """

    __slots__ = ("index", "node", "upstream", "downstream", "contributions", "_creator", "_local")

    def __init__(self, index: int, node, upstream, downstream: tuple = (), contributions: tuple = (),
                 creator=None):
        self.index = index
        self.node = node
        self.upstream = upstream
        self.downstream = downstream
        self.contributions = contributions
        self._creator = creator
        self._local = None

    def __repr__(self) -> str:
        return f"<Step {self.index}: {self}>"

    def _repr_html_(self) -> str:
        """Jupyter's view: the step as a one-row table with its rule (``html_display.py``)."""
        from graphlab.autodiff.html_display import step_html
        return step_html(self)

    @property
    def op(self) -> Optional[str]:
        return None if self._creator is None else self._creator.name

    @property
    def inputs(self) -> tuple:
        return () if self._creator is None else self._creator.inputs

    @property
    def pattern(self) -> Optional[str]:
        """The gate pattern: the op's own (distributor, swap, router), or 'adder' at a fan-out."""
        if self._creator is not None and self._creator.pattern:
            return self._creator.pattern
        return "adder" if self.is_fan_out else None

    @property
    def is_fan_out(self) -> bool:
        return len(self.contributions) > 1

    @property
    def is_leaf(self) -> bool:
        return self._creator is None

    @property
    def local(self) -> Optional[tuple]:
        """d node / d input for each input, or None when the op defines no ``local``."""
        if self._local is None and self._creator is not None:
            self._local = self._creator.local_gradients()
        return self._local

    @property
    def is_tensor(self) -> bool:
        """True when the node or an input is an array: the step states its vectorized rule
        (``graphlab/autodiff/rules.py``) instead of the scalar upstream × local."""
        return rules.is_tensor_step(self._creator, self.node.shape)

    def rule_lines(self, names=None, values: bool = True, precision: int = 4,
                   width: int = rules.LINE_WIDTH) -> list:
        """``dL/dW (2x4) = upstream (2x1) · vᵀ (1x4) = ...``, one per input that got a gradient
        (with what it received when ``values``); [] for a leaf. The REPL, the Trace and the
        walk captions all print these lines."""
        if self._creator is None:
            return []
        if not self.is_tensor:
            return self._scalar_lines(names)
        downstream = tuple(self.downstream) if values else None
        return rules.rule_lines(self._creator, self.node.shape, names, downstream, precision, width)

    def _scalar_lines(self, names=None) -> list:
        """The scalar story per input, numbers included: ``dL/dq = upstream × local = 1 × 3 = 3``."""
        names = [tensor.label for tensor in self.inputs] if names is None else names
        local, lines = self.local, []
        for index, tensor in enumerate(self.inputs):
            if not tensor.requires_grad:
                continue
            factor = "?" if local is None else format_value(local[index])
            down = self.downstream[index] if index < len(self.downstream) else None
            lines.append(f"dL/d{names[index]} = upstream × local = {format_value(self.upstream)} × {factor} "
                         f"= {format_value(down)}")
        return lines

    def __str__(self) -> str:
        if self.is_tensor:
            return self._tensor_text()
        label = self.node.label
        fan_in = ""
        if self.is_fan_out:
            parts = " + ".join(format_value(grad) for _, grad in self.contributions)
            fan_in = f" [fan-out adds {parts}]"
        if self.is_leaf:
            return f"{label} (leaf): gradient {format_value(self.upstream)}{fan_in}"
        names = ", ".join(tensor.label for tensor in self.inputs)
        text = f"{label} = {self.op}({names}): upstream {format_value(self.upstream)}"
        local = self.local
        if local is not None:
            text += f" × local {format_value(tuple(local))}"
        return text + f" = downstream {format_value(tuple(self.downstream))}{fan_in}"

    def _tensor_text(self) -> str:
        """The head line with the upstream by its shape, then one rule line per input (short
        enough for the REPL's "step 12 of 40: " in front at 80 columns)."""
        label = self.node.label
        if self.is_leaf:
            head = f"{label} (leaf): gradient {rules.shaped(self.upstream, room=36)}"
        else:
            names = ", ".join(tensor.label for tensor in self.inputs)
            head = f"{label} = {self.op}({names}): upstream {rules.shaped(self.upstream, room=24)}"
        lines = [head]
        if self.is_fan_out:
            parts = " + ".join(rules.shaped(grad, room=16) for _, grad in self.contributions)
            lines += ["  " + line for line in rules.wrap(f"fan-out adds {parts}", rules.LINE_WIDTH - 2)]
        lines += ["  " + line for line in self.rule_lines(width=rules.LINE_WIDTH - 2)]
        return "\n".join(lines)


def _pattern_text(step: Step) -> str:
    """The gate pattern; at a fan-out, how many gradients the copy gate added."""
    if step.is_fan_out:
        return f"adder ({len(step.contributions)} added)"
    return step.pattern or ""


class Trace(list):
    """The Steps of one backward walk, in processing order (output first)."""

    def step_for(self, node) -> Step:
        for step in self:
            if step.node is node:
                return step
        raise KeyError(f"Trace: {getattr(node, 'label', node)} is not in this backward walk")

    def table(self, precision: int = 4, max_rows: Optional[int] = MAX_ROWS) -> str:
        """All steps as an aligned text table (also what ``print(trace)`` shows), at most
        ``max_rows`` steps (None: all) with a note saying how many were left out.

        A scalar walk shows upstream, local and downstream as numbers; a walk over arrays
        shows values by their shape and, per input, the vectorized rule (80 columns)."""
        shown = self if max_rows is None else self[:max_rows]
        if any(step.is_tensor for step in shown):
            text = self._tensor_table(shown, precision)
        else:
            text = self._scalar_table(shown, precision)
        if len(shown) < len(self):
            text += (f"\n... {len(self) - len(shown):,} more steps not shown; "
                     f"trace.table(max_rows=None) shows all")
        return text

    @staticmethod
    def _scalar_table(steps, precision: int) -> str:
        rows = [("#", "node", "op", "upstream", "local", "downstream", "pattern")]
        for step in steps:
            local = step.local
            rows.append((
                str(step.index),
                step.node.label,
                step.op or "leaf",
                format_value(step.upstream, precision),
                "" if local is None else format_value(tuple(local), precision),
                "" if step.is_leaf else format_value(tuple(step.downstream), precision),
                step.pattern or "",
            ))
        return format_table(rows)

    @staticmethod
    def _tensor_table(steps, precision: int) -> str:
        """One row per step (the upstream by its shape), its rules indented beneath it."""
        header = ("#", "node", "op", "upstream", "pattern")
        rows = [(str(step.index), step.node.label, step.op or "leaf",
                 rules.shaped(step.upstream, precision, room=24), _pattern_text(step)) for step in steps]
        lines = format_table([header, *rows]).split("\n")
        text = lines[:2]
        for step, line in zip(steps, lines[2:]):
            text.append(line)
            text += [RULE_INDENT + rule for rule in
                     step.rule_lines(values=False, precision=precision, width=TABLE_WIDTH - len(RULE_INDENT))]
        return "\n".join(text + [VALUES_NOTE])

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"Trace of {len(self)} steps\n{self.table()}"

    def _repr_html_(self) -> str:
        """Jupyter's view: the table of ``print(trace)`` in HTML, each step's rule beside it."""
        from graphlab.autodiff.html_display import trace_html
        return trace_html(self)
