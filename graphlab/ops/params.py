"""Checks of ops' keyword parameters, declared on each op class (``param_checks``).

``Function.apply`` runs them before ``forward``, so every way of calling an op (``gl.sum``,
``x.sum``, ``Sum.apply``) gets the same clear :class:`~graphlab.errors.ParameterError` naming
the op, the argument and what it accepts, instead of numpy's error from deep inside.
Each checker is called as ``check(op_name, argument, value, inputs)`` and returns nothing.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from graphlab.errors import ParameterError


def is_int(value) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _ndim(inputs) -> int:
    return inputs[0].data.ndim if inputs else 0


def number(low=None, high=None, low_open=False, allow_none=False, finite=True):
    """A real number in [low, high] (``low_open``: low itself excluded; ``finite``: no NaN/inf)."""
    def check(op, argument, value, inputs):
        if value is None and allow_none:
            return
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
            raise ParameterError(f"{op}: {argument} must be a number, got {type(value).__name__} {value!r:.40}")
        if math.isnan(float(value)) or (finite and math.isinf(float(value))):
            raise ParameterError(f"{op}: {argument}={value!r} must be a finite number")
        below = value <= low if low_open else value < low if low is not None else False
        if below or (high is not None and value > high):
            where = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}]"
            raise ParameterError(f"{op}: {argument}={value!r} is out of range; it must be in {where}")
    return check


def integer(low=None):
    """A Python or numpy integer (not bool, not float) >= low."""
    def check(op, argument, value, inputs):
        if not is_int(value):
            raise ParameterError(f"{op}: {argument} must be an integer, got {type(value).__name__} {value!r:.40}")
        if low is not None and value < low:
            raise ParameterError(f"{op}: {argument}={value} must be at least {low}")
    return check


def _one_axis(op, argument, value, ndim):
    if not is_int(value):
        raise ParameterError(f"{op}: {argument} must be an integer axis (or a tuple of them), got "
                             f"{type(value).__name__} {value!r:.40}")
    if not -max(ndim, 1) <= value < max(ndim, 1):
        raise ParameterError(f"{op}: {argument}={value} is out of range for a tensor with {ndim} "
                             f"dimensions; use -{max(ndim, 1)}..{max(ndim, 1) - 1}")


def axis(allow_none=True, allow_tuple=True, extra=0):
    """An axis of the first input (``extra``: one past the end allowed, as for stack)."""
    def check(op, argument, value, inputs):
        ndim = _ndim(inputs) + extra
        if value is None and allow_none:
            return
        if allow_tuple and isinstance(value, tuple):
            for item in value:
                _one_axis(op, argument, item, ndim)
            if len({item % max(ndim, 1) for item in value}) != len(value):
                raise ParameterError(f"{op}: {argument}={tuple(value)} names an axis twice")
            return
        if isinstance(value, (tuple, list)):      # an op that reduces one axis at a time (argmax)
            raise ParameterError(f"{op}: {argument} must be one integer axis{' or None' if allow_none else ''}, "
                                 f"got {value!r:.40}")
        _one_axis(op, argument, value, ndim)
    return check


def shape(allow_minus_one=False):
    """A tuple of non-negative integer sizes (one -1 allowed when ``allow_minus_one``)."""
    def check(op, argument, value, inputs):
        if not isinstance(value, (tuple, list)) or not all(is_int(size) for size in value):
            raise ParameterError(f"{op}: {argument} must be integer sizes, e.g. (2, 3), got {value!r:.60}")
        lowest = -1 if allow_minus_one else 0
        if any(size < lowest for size in value) or list(value).count(-1) > 1:
            raise ParameterError(f"{op}: {argument}={tuple(value)} has a negative size"
                                 f"{' (only one -1, meaning inferred, is allowed)' if allow_minus_one else ''}")
    return check


def flag(op, argument, value, inputs):
    """A bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{op}: {argument} must be True or False, got {type(value).__name__} {value!r:.40}")


def permutation(op, argument, value, inputs):
    """None, or every axis of the input once."""
    if value is None:
        return
    ndim = _ndim(inputs)
    if not isinstance(value, (tuple, list)) or not all(is_int(item) for item in value) \
            or sorted(item % max(ndim, 1) for item in value) != list(range(ndim)):
        raise ParameterError(f"{op}: {argument}={value!r:.60} must name each of the {ndim} axes once "
                             f"(e.g. {tuple(range(ndim))[::-1]})")


def array_or_none(op, argument, value, inputs):
    """None or a numpy array (running statistics kept by a layer)."""
    if value is not None and not isinstance(value, np.ndarray):
        raise ParameterError(f"{op}: {argument} must be a numpy array (or None), got {type(value).__name__} "
                             f"{value!r:.40}")
