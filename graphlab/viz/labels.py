"""Text for diagrams: numbers, op symbols, pattern names, chain-rule captions, HTML-like labels.

Pure functions of Tensors, arrays and strings: no graphviz here, so everything a diagram says
is unit-tested as text (``viz/dot.py`` only arranges these strings into a graph).

>>> from graphlab.viz import labels
>>> labels.number(-0.19661193, 4)
'-0.1966'
>>> labels.chain_rule("-4", "1", "-4")
'downstream = upstream × local: -4 × 1 = -4'
"""
from __future__ import annotations

import html
from typing import Iterable, Optional, Sequence

import numpy as np

from graphlab.autodiff.trace import PATTERN_NAMES, format_value

# Colours of the lecture's figures: forward values green, gradients red; local gradients blue.
VALUE_COLOR = "#1a7f37"
GRAD_COLOR = "#cf222e"
LOCAL_COLOR = "#0550ae"
NOTE_COLOR = "#57606a"
FOCUS_FILL = "#ddf4ff"
CURRENT_FILL = "#fff8c5"
PENDING_COLOR = "#bc4c00"
DONE_FILL = "#f6f8fa"

#: an array with at most this many elements is shown whole; bigger ones as mean/std/min/max
MAX_SHOWN = 8

#: the pattern words of lecture 4 ("add gate: gradient distributor", ...)
PATTERN_WORDS = {
    "distributor": "gradient distributor",
    "swap": "swap multiplier",
    "router": "gradient router",
    "adder": "gradient adder",
}


# -- numbers ----------------------------------------------------------------------------------
def number(value, precision: int = 4) -> str:
    """One number, ``precision`` significant digits; -0 reads 0."""
    return format_value(np.asarray(value).reshape(()), precision)


def values(array, precision: int = 4) -> str:
    """A small array whole (``[1, 2, 3]``), a big one as ``mean m std s min a max b``."""
    return " ".join(value_lines(array, precision))


def value_lines(array, precision: int = 4) -> list:
    """``values`` as lines: one for a small array, two (mean/std, min/max) for a big one."""
    array = np.asarray(getattr(array, "data", array))
    if array.ndim == 0:
        return [number(array, precision)]
    if array.size <= MAX_SHOWN:
        text = np.array2string(array, precision=precision, separator=", ", suppress_small=False,
                               formatter={"all": lambda item: number(item, precision)})
        return [" ".join(text.split())]
    as_float = array.astype(np.float64)
    return [f"mean {number(as_float.mean(), precision)} std {number(as_float.std(), precision)}",
            f"min {number(as_float.min(), precision)} max {number(as_float.max(), precision)}"]


def summary(array, precision: int = 4) -> str:
    """Like ``values`` but short: big arrays by their shape and norm (captions, queues)."""
    array = np.asarray(getattr(array, "data", array))
    if array.size <= MAX_SHOWN:
        return values(array, precision)
    return f"<{'x'.join(map(str, array.shape))}, norm {number(np.linalg.norm(array.astype(np.float64)), precision)}>"


def gradient(grad, tracked: bool, precision: int = 4) -> Optional[str]:
    """A gradient's text: '?' before backward (never a misleading 0); None when the node has none
    to have (a constant, or data that does not require grad)."""
    if not tracked:
        return None
    if grad is None:
        return "?"
    return values(grad, precision)


def grad_norm(grad, tracked: bool, precision: int = 4) -> Optional[str]:
    if not tracked:
        return None
    if grad is None:
        return "grad ?"
    array = np.asarray(grad)
    if array.size <= MAX_SHOWN:
        return f"grad {values(array, precision)}"
    return f"grad norm {number(np.linalg.norm(array.astype(np.float64)), precision)}"


def shape(shape_: tuple) -> str:
    return "scalar" if shape_ == () else str(tuple(shape_))


def shapes(shape_list: Sequence[tuple], limit: int = 3) -> str:
    """Distinct shapes, at most ``limit`` of them: ``(4, 3), (3,)`` or ``2 scalars``."""
    if not shape_list:
        return "-"
    if all(item == () for item in shape_list):
        count = len(shape_list)
        return "1 scalar" if count == 1 else f"{count} scalars"
    distinct = list(dict.fromkeys(shape_list))
    text = ", ".join(shape(item) for item in distinct[:limit])
    return text + (f" +{len(distinct) - limit} more" if len(distinct) > limit else "")


def count(value: int) -> str:
    return f"{value:,}"


# -- ops and patterns ------------------------------------------------------------------------
def op_symbol(tensor, constants: Sequence[tuple] = ()) -> str:
    """The gate's label: ``+``, ``*``, ``exp``; a scalar constant folded in reads as the
    lecture writes it: ``+1``, ``*-1``, ``1/x``, ``**2``.

    ``constants`` are ``(position, constant_tensor)`` pairs folded into this gate.
    """
    op = tensor.op
    symbol = type(tensor.creator).symbol or op      # the op class says how its gate is drawn
    if not constants:
        return symbol
    position, constant = constants[0]
    value = number(constant.data)
    signed = value if not value.startswith("-") else f"({value})"
    if op == "add":
        return f"+{signed}"
    if op == "mul":
        return f"*{value}"
    if op == "sub":
        return f"-{signed}" if position == 1 else f"{value}-x"
    if op == "div":
        return f"/{signed}" if position == 1 else f"{value}/x"
    if op == "pow":       # x ** 2 reads **2, x ** -1.5 reads **-1.5 (no brackets: ** binds the number)
        return f"**{value}" if position == 1 else f"{value}**x"
    if op in ("maximum", "minimum"):
        return f"{symbol}({value}, x)"
    return f"{symbol} {value}"


def pattern_words(pattern: Optional[str]) -> Optional[str]:
    """'distributor' -> 'gradient distributor' (lecture 4's names for the gate patterns)."""
    return None if pattern is None else PATTERN_WORDS.get(pattern, pattern)


#: the gate the lecture names each pattern after
PATTERN_GATES = {"distributor": ("add",), "swap": ("mul",), "router": ("max", "maximum")}


def pattern_title(pattern: Optional[str], op: Optional[str] = None) -> Optional[str]:
    """'distributor' -> 'add gate: gradient distributor' (the Trace's names) for the lecture's own
    gate; other ops with that pattern (sum, relu, ...) just say 'gradient distributor'."""
    if pattern is None:
        return None
    if op is not None and op not in PATTERN_GATES.get(pattern, ()):
        return pattern_words(pattern)
    return PATTERN_NAMES.get(pattern, pattern)


# -- the chain rule in words and numbers -------------------------------------------------------
def chain_rule(upstream: str, local: str, downstream: str, formula: str = "upstream × local") -> str:
    """``downstream = upstream × local: -4 × 1 = -4`` (the numbers spelled out)."""
    numbers_ = formula.replace("upstream", upstream).replace("local", local)
    return f"downstream = {formula}: {numbers_} = {downstream}"


def chain_rule_lines(op: Optional[str], input_names: Sequence[str], upstream, locals_: Optional[tuple],
                     downstream: Sequence, precision: int = 4) -> list:
    """One caption line per input of a scalar gate: ``x: downstream = upstream × local: -4 × 1 = -4``
    (a tensor gate states its vectorized rule instead: ``graphlab/autodiff/rules.py``)."""
    upstream_text = "?" if upstream is None else summary(upstream, precision)
    lines = []
    for position, name in enumerate(input_names):
        local = None if locals_ is None else locals_[position]
        down = downstream[position] if position < len(downstream) else None
        down_text = "?" if down is None else summary(down, precision)
        if local is None:
            lines.append(f"{name}: downstream = backward(upstream): {upstream_text} -> {down_text}")
            continue
        lines.append(f"{name}: " + chain_rule(upstream_text, summary(local, precision), down_text))
    return lines


# -- HTML-like labels (Graphviz's <...> labels) -------------------------------------------------
def escape(text: str) -> str:
    text = html.escape(str(text), quote=True)
    # Graphviz's HTML-label lexer rejects a text made only of "]" (a tensor named "]"): a character reference reads the same
    return "&#93;" * len(text) if text and not text.strip("]") else text


def colored(text: str, color: Optional[str] = None, size: Optional[int] = None, bold: bool = False,
            italic: bool = False) -> str:
    body = escape(text)
    if bold:
        body = f"<B>{body}</B>"
    if italic:
        body = f"<I>{body}</I>"
    attributes = []
    if color:
        attributes.append(f'COLOR="{color}"')
    if size:
        attributes.append(f'POINT-SIZE="{size}"')
    return f"<FONT {' '.join(attributes)}>{body}</FONT>" if attributes else body


def lines_html(lines: Iterable[str]) -> str:
    """Already-formatted pieces, one per line, as one HTML-like label: ``<a<BR/>b>``."""
    return "<" + "<BR/>".join(lines) + ">"


def table_html(rows: Iterable[str], border: int = 0, align: str = "CENTER", width: Optional[int] = None) -> str:
    """Pieces stacked in a borderless table (one cell per row), ``width`` points wide if given."""
    cells = "".join(f'<TR><TD ALIGN="{align}">{row}</TD></TR>' for row in rows)
    sized = f' WIDTH="{width}"' if width else ""
    return f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"{sized}>{cells}</TABLE>>'


def legend_rows(show: str, focus: bool = False, on_edges: bool = True) -> list:
    """What each colour means, as pieces for ``table_html`` (``on_edges``: the scalar style,
    value above the gradient on every edge)."""
    rows = []
    if show in ("both", "values"):
        rows.append(colored("green (above): forward value" if on_edges else "green: forward value", VALUE_COLOR, 10))
    if show in ("both", "grads"):
        rows.append(colored(("red (below): " if on_edges else "red: ") +
                            "gradient d output / d node, ? = not computed yet", GRAD_COLOR, 10))
    if focus:
        rows.append(colored("blue: local gradient d gate / d input", LOCAL_COLOR, 10))
    return rows
