"""The vectorized backward rules in words, with the step's real shapes (lecture 4, lesson 4).

A scalar step tells the lecture's scalar story: upstream × local = downstream, three numbers.
On tensors that story hides the matrix products, the outer products and the sums over the
batch, so a tensor step states its rule instead, one line per input, every gradient the shape
of its variable::

    dL/dW (2x4) = upstream (2x1) · vᵀ (1x4)
    dL/dv (4) = Wᵀ (4x2) · upstream (2)
    dL/db (4) = upstream (3x4) summed over axis 0 (batch)

Each op class says its own rule (``Function.rule(ctx, index, terms)``, next to its forward;
elementwise ops inherit "upstream ⊙ local (elementwise)"); this module fills in names and
shapes and is the one place the Trace, the REPL (``:show``, ``:step``, ``:focus``), the
diagrams' focus captions and the walk captions get that text from, so they all say the same.

>>> import graphlab as gl
>>> W = gl.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, name="W")
>>> v = gl.tensor([0.2, 0.4], requires_grad=True, name="v")
>>> h = (W @ v).named("h")
>>> for line in rule_lines(h.creator, h.shape):
...     print(line)
dL/dW (2x2) = upstream (2x1) · vᵀ (1x2)
dL/dv (2) = Wᵀ (2x2) · upstream (2)
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

#: rule lines are broken to this width (80 columns with the REPL's and the Step's indent)
LINE_WIDTH = 78


# -- shapes as the lecture writes them ----------------------------------------------------------
def shape_text(shape: Sequence[int]) -> str:
    """``(2, 4)`` -> ``(2x4)``, ``(4,)`` -> ``(4)``, ``()`` -> ``(scalar)``."""
    return "(" + "x".join(str(size) for size in shape) + ")" if len(shape) else "(scalar)"


def summed_axes(from_shape: Sequence[int], to_shape: Sequence[int]) -> tuple:
    """The axes numpy broadcasting added or stretched, which backward sums away (engine.sum_to)."""
    extra = len(from_shape) - len(to_shape)
    if extra < 0:
        return ()
    stretched = tuple(extra + axis for axis, size in enumerate(to_shape)
                      if size == 1 and from_shape[extra + axis] != 1)
    return tuple(range(extra)) + stretched


def axes_text(axes: Sequence[int], ndim: int) -> str:
    """``(0,)`` -> ``axis 0 (batch)``; ``(0, 2, 3)`` of an image batch -> ``axes 0, 2, 3 (batch, pixels)``."""
    axes = tuple(axes)
    words = ""
    if axes == (0,) and ndim >= 2:
        words = " (batch)"
    elif axes == (0, 2, 3) and ndim == 4:
        words = " (batch, pixels)"
    elif axes == (0, 2) and ndim == 3:
        words = " (batch, positions)"
    label = "axis" if len(axes) == 1 else "axes"
    return f"{label} {', '.join(str(axis) for axis in axes)}{words}"


class RuleTerms:
    """What an op's ``rule`` reads: input names and shapes, the output's (upstream's) shape.

    Helpers spell the terms the lecture's way: ``terms.up`` is ``upstream (2x1)``,
    ``terms.term(1)`` is ``v (4)``, ``terms.transposed(0)`` is ``Wᵀ (4x2)`` (a vector becomes
    a row: ``vᵀ (1x4)``).
    """

    def __init__(self, names: Sequence[str], input_shapes: Sequence[tuple], output_shape: tuple):
        self.names = list(names)
        self.shapes = [tuple(shape) for shape in input_shapes]
        self.output = tuple(output_shape)

    @property
    def up(self) -> str:
        return f"upstream {shape_text(self.output)}"

    def shape(self, index: int) -> str:
        return shape_text(self.shapes[index])

    def term(self, index: int, shape: Optional[tuple] = None) -> str:
        return f"{self.names[index]} {shape_text(self.shapes[index] if shape is None else shape)}"

    def transposed(self, index: int) -> str:
        """``Wᵀ (4x2)``: the last two axes swapped; a vector is written as a row, ``vᵀ (1x4)``."""
        shape = self.shapes[index]
        flipped = (1, shape[0]) if len(shape) == 1 else shape[:-2] + (shape[-1], shape[-2])
        return f"{self.names[index]}ᵀ {shape_text(flipped)}"

    def summed(self, index: int, from_shape: Optional[tuple] = None) -> str:
        """``summed over axis 0 (batch)`` when broadcasting stretched input ``index`` (else "")."""
        from_shape = self.output if from_shape is None else tuple(from_shape)
        axes = summed_axes(from_shape, self.shapes[index])
        return f" summed over {axes_text(axes, len(from_shape))}" if axes else ""


# -- which story a step tells ---------------------------------------------------------------------
def is_tensor_step(creator, output_shape: tuple) -> bool:
    """True when the node or any input is an array (not 0-d): the vectorized rule is shown."""
    if creator is None:
        return len(output_shape) > 0
    return len(output_shape) > 0 or any(tensor.ndim > 0 for tensor in creator.inputs)


def terms_for(creator, output_shape: tuple, names: Optional[Sequence[str]] = None) -> RuleTerms:
    names = [tensor.label for tensor in creator.inputs] if names is None else names
    return RuleTerms(names, [tensor.shape for tensor in creator.inputs], output_shape)


def rule(creator, index: int, output_shape: tuple, names: Optional[Sequence[str]] = None) -> str:
    """``dL/dW (2x4) = upstream (2x1) · vᵀ (1x4)``: what input ``index`` receives, in words."""
    terms = terms_for(creator, output_shape, names)
    if not type(creator).differentiable:
        text = f"none: {creator.name} has no gradient"
    else:
        text = type(creator).rule(creator, index, terms)
    if text is None:       # an op that states no rule still names its backward and the shapes
        text = f"{creator.name}'s backward of {terms.up}"
    name = terms.names[index]
    if " " in name and not name.endswith(")"):     # an expression label: dL/d(q ** 2)
        name = f"({name})"
    return f"dL/d{name} {terms.shape(index)} = {text}"


def rule_lines(creator, output_shape: tuple, names: Optional[Sequence[str]] = None,
               downstream: Optional[Sequence] = None, precision: int = 4, width: int = LINE_WIDTH) -> list:
    """One rule per input that gets a gradient, broken after a comma when longer than
    ``width``; with ``downstream``, its value after ``=`` (on its own line when long)."""
    lines = []
    for index, tensor in enumerate(creator.inputs):
        if not tensor.requires_grad:
            continue
        pieces = wrap(rule(creator, index, output_shape, names), width)
        if downstream is not None:
            value = downstream[index] if index < len(downstream) else None
            pieces = _with_value(pieces, value, precision, width)
        lines += pieces
    return lines


def wrap(text: str, width: int = LINE_WIDTH) -> list:
    """``text`` as lines of at most ``width`` characters where it can be broken; continuation
    lines are indented four spaces."""
    lines = []
    while len(text) > width:
        cut = _break_at(text, width)
        if cut < 0:
            break
        lines.append(text[:cut])
        text = "    " + text[cut + 1:]
    return lines + [text]


def _break_at(text: str, width: int) -> int:
    """The space to break ``text`` at: after a comma between clauses (outside brackets, not
    inside a list of axes), else outside brackets and not between a term and its shape, else
    any; -1 when there is none."""
    depth, clause, outside, anywhere = 0, -1, -1, -1
    for position, character in enumerate(text[:width + 1]):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        elif character == " " and position > 4:
            anywhere = position
            before, after = text[position - 1], text[position + 1:position + 2]
            term_and_shape = after == "(" and (before.isalnum() or before == "ᵀ")   # "upstream (2x3)"
            list_of_axes = before == "," and after.isdigit()                      # "axes 0, 2, 3"
            if depth == 0 and not term_and_shape and not list_of_axes:
                outside = position
                clause = position if before == "," else clause
    return next((cut for cut in (clause, outside, anywhere) if cut > 0), -1)


def _with_value(pieces: list, value, precision: int, width: int) -> list:
    """The value after the rule's ``=``; whole values too long for that line get their own."""
    last, shown = pieces[-1], summary(value, precision, room=width - 6)
    if len(last) + 3 + len(shown) <= width:
        return pieces[:-1] + [f"{last} = {shown}"]
    return pieces + [f"    = {shown}"]


# -- values -----------------------------------------------------------------------------------------
def summary(value, precision: int = 4, room: int = 40) -> str:
    """A tensor value in at most about ``room`` characters: whole when it fits
    (``[0.44, 0.52]``), else by its shape and mean (``(2x4) mean 0.12``)."""
    if value is None:
        return "?"
    array = np.asarray(getattr(value, "data", value))
    if array.ndim == 0:
        return _number(array.item(), precision)
    if array.size <= 16:
        whole = _nested(array.tolist(), precision)
        if len(whole) <= room:
            return whole
    as_float = array.astype(np.float64)
    mean = as_float.mean() if array.size else float("nan")
    if array.size and abs(mean) <= 1e-9 * np.abs(as_float).max():
        mean = 0.0           # rounding noise of a sum that cancels (softmax − one-hot rows)
    return f"{shape_text(array.shape)} mean {_number(mean, precision)}"


def shaped(value, precision: int = 4, room: int = 40) -> str:
    """``summary`` that always names the shape: ``(2) [0.44, 0.52]``, ``(2x4) mean 0.12``;
    a 0-d value is just its number."""
    text = summary(value, precision, room)
    array = np.asarray(getattr(value, "data", value)) if value is not None else None
    if array is None or array.ndim == 0 or not text.startswith("["):
        return text
    return f"{shape_text(array.shape)} {text}"


def _number(number, precision: int) -> str:
    if isinstance(number, bool):
        return str(number)
    text = f"{number:.{precision}g}"
    return "0" if text == "-0" else text


def _nested(values, precision: int) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(item, precision) for item in values) + "]"
    return _number(values, precision)


# -- rules shared by several ops -------------------------------------------------------------------
def elementwise(terms: RuleTerms, index: int, factor: str = "local") -> str:
    """``upstream ⊙ local (elementwise)``: every array the shape of the input (written on the
    left of the rule); where the input was broadcast, the shapes and the sum back to it."""
    if terms.shapes[index] == terms.output:
        return f"upstream ⊙ {factor} (elementwise)"
    return f"{terms.up} ⊙ {factor} (elementwise),{terms.summed(index)}"


def reduce_axes(axis, ndim: int) -> tuple:
    """numpy's ``axis`` argument (None, an int, a tuple, negatives) as sorted positive axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


def copied_back(terms: RuleTerms, axis, scale: str = "") -> str:
    """Sum and mean: ``upstream (2) / 3 copied along axis 1 to (2x3)``."""
    ndim = len(terms.shapes[0])
    axes = reduce_axes(axis, ndim)
    if len(axes) == ndim:
        return f"{terms.up}{scale} copied to every element"
    return f"{terms.up}{scale} copied along {axes_text(axes, ndim)} to {terms.shape(0)}"


def along(axis, ndim: int) -> str:
    """``along axis 1`` or, for a reduction over everything, ``over every element``."""
    axes = reduce_axes(axis, ndim)
    return "over every element" if len(axes) == ndim else f"along {axes_text(axes, ndim)}"
