"""The SymPy vocabulary of the ops' ``symbolic`` twins.

An op's twin (``graphlab/ops/*.py``) imports this module inside its body, so ``import graphlab``
never loads SymPy and SymPy is imported only here and in the verify tools. Twins work on

* sympy scalars, for ops marked ``elementwise = True`` (one element at a time), and
* numpy arrays of ``dtype=object`` holding sympy expressions, for every other op: numpy's own
  indexing, broadcasting, reshape, transpose, ``matmul`` and ``sum`` run unchanged on them,
  so a twin states the math and borrows numpy's shape rules.

>>> from graphlab.verify import sym
>>> x = sym.symbols("x", (2, 2))
>>> x
array([[x[0,0], x[0,1]],
       [x[1,0], x[1,1]]], dtype=object)
>>> sym.reduce(x, axis=1, keepdims=False, combine=sym.Max)
array([Max(x[0,0], x[0,1]), Max(x[1,0], x[1,1])], dtype=object)
>>> sym.number(0.1), sym.number(2.0), sym.number(True)
(1/10, 2, True)
"""
from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np
import sympy
from sympy import (  # noqa: F401
    Abs, Add, Heaviside, Integer, Piecewise, Rational, cos, erf, exp, log, oo, pi, sin, sqrt, tanh,
)

from graphlab.errors import GraphlabError


class VerifyError(GraphlabError, ValueError):
    """A verification that cannot run: no twin, unknown op, shapes too large for SymPy, an op
    whose output is not a function of its inputs alone (a random mask)."""


def Max(*args):
    """SymPy's Max, built pairwise and left unevaluated: Max(Max(a, b), c).

    Same value and derivative (d Max(a, b)/da = Heaviside(a - b), with Heaviside(0) = 1/2 for a
    tie), but SymPy then differentiates in milliseconds: an n-argument Max, or one SymPy
    simplifies on construction, compares every pair of its (large) arguments symbolically.
    """
    result = args[0]
    for arg in args[1:]:
        result = sympy.Max(result, arg, evaluate=False)
    return result


def Min(*args):
    """SymPy's Min, pairwise and unevaluated (see ``Max``)."""
    result = args[0]
    for arg in args[1:]:
        result = sympy.Min(result, arg, evaluate=False)
    return result


def number(value):
    """An exact sympy number for a Python or numpy number: ``0.1 -> 1/10`` (the shortest decimal
    that rounds to the float in its own dtype, so the number a user typed), ints stay ints,
    Fractions and strings ("1/3") become Rationals, bools become ``sympy.true``/``false``,
    None stays None, sympy values pass through."""
    if value is None or isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (bool, np.bool_)):
        return sympy.true if value else sympy.false
    if isinstance(value, Fraction):
        return Rational(value.numerator, value.denominator)
    if isinstance(value, str):
        return Rational(value)                      # "1/3", "0.25"
    if isinstance(value, numbers.Integral):
        return Integer(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise ValueError(f"sym.number: {value} is not a finite number; SymPy checks need finite values")
        text = np.format_float_positional(value, unique=True, trim="-")   # shortest repr of its own dtype
        return Rational(text)
    raise TypeError(f"sym.number: cannot turn {type(value).__name__} {value!r} into an exact number")


def numbers_array(values) -> np.ndarray:
    """An object array of exact sympy numbers with the shape of ``values``."""
    array = np.asarray(values)
    result = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        result[index] = number(array[index])    # numpy scalars keep their dtype: float32(0.1) -> 1/10
    return result


def element_name(name: str, index: tuple) -> str:
    """``x`` for a 0-d tensor, ``x[0,1]`` for an element of an array."""
    return name if not index else f"{name}[{','.join(str(i) for i in index)}]"


def symbols(name: str, shape: tuple) -> np.ndarray:
    """An object array of real sympy symbols named like the elements: ``x[0,1]``."""
    result = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        result[index] = sympy.Symbol(element_name(name, index), real=True)
    return result


def as_array(value) -> np.ndarray:
    """An object array from a twin's result (an array, nested lists, a sympy scalar or Matrix)."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return value
    if isinstance(value, sympy.MatrixBase):
        return np.array(value.tolist(), dtype=object).reshape(value.shape)
    if isinstance(value, sympy.NDimArray):
        return np.array(value.tolist(), dtype=object).reshape(value.shape)
    array = np.empty((), dtype=object)
    if isinstance(value, (sympy.Basic, numbers.Number)):
        array[()] = value
        return array
    return np.array(value, dtype=object)


def elementwise(twin, arrays, params: dict) -> np.ndarray:
    """Apply a per-element twin to broadcast object arrays: the symbolic side of an elementwise op."""
    broadcast = np.broadcast_arrays(*[np.asarray(array, dtype=object) for array in arrays])
    shape = broadcast[0].shape if broadcast else ()
    result = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        result[index] = twin(*[array[index] for array in broadcast], **params)
    return result


def reduce(x, axis, keepdims: bool, combine) -> np.ndarray:
    """Reduce object array ``x`` over ``axis`` (None, an int or a tuple, as numpy's) with
    ``combine(*elements)``: ``sympy.Add`` for sum, ``sympy.Max`` for max, ..."""
    x = np.asarray(x, dtype=object)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, numbers.Integral) else axis)))
    kept = [a for a in range(x.ndim) if a not in axes]
    rows = x.transpose(kept + list(axes)).reshape([x.shape[a] for a in kept] + [-1])
    result = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(result.shape):
        result[index] = combine(*rows[index])
    if keepdims:
        result = result.reshape([1 if a in axes else size for a, size in enumerate(x.shape)])
    return result


def mean(*elements):
    """The mean of sympy expressions, exactly (``(a + b) / 2``)."""
    return Add(*elements) / len(elements)


def logsumexp(*elements):
    return log(Add(*[exp(element) for element in elements]))


def reduce_loss(per_element, reduction: str) -> np.ndarray:
    """A loss's ``reduction``: "mean" and "sum" over every element, "none" keeps them."""
    if reduction == "none":
        return per_element
    return reduce(per_element, None, False, mean if reduction == "mean" else Add)


def one_hot(labels, classes: int) -> np.ndarray:
    """Rows of exact 0s and 1s for integer class labels (N,) -> (N, classes)."""
    return numbers_array(np.eye(classes, dtype=np.int64)[np.asarray(getattr(labels, "data", labels), dtype=np.int64)])
