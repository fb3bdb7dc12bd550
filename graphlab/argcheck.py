"""Checking constructor and function arguments: each check names the function, the argument and the fix.

Layers, optimizers, schedules and callbacks call these before they store anything, so a bad
value fails where it was written (``Linear(0, 3)``: "Linear: in_features=0 must be a positive
int ..."), not later inside numpy.

>>> positive_int(3, "in_features", "Linear")
3
>>> probability(0.5, "p", "Dropout")
0.5
"""
from __future__ import annotations

import math
import numbers
from typing import Optional

import numpy as np

from graphlab.errors import GraphlabError


class ArgumentError(GraphlabError, ValueError):
    """An argument of the right kind but out of range (a size of 0, a probability of 2, ...)."""


class ArgumentTypeError(GraphlabError, TypeError):
    """An argument of the wrong kind (a float where a size is needed, a string for a rate, ...)."""


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(value, argument: str, where: str, minimum: Optional[int] = None, error: type = ArgumentError,
            maximum: Optional[int] = None) -> int:
    """An int (bool is not one, nor 2.0) in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ArgumentTypeError(f"{where}: {argument} must be an int, got {type(value).__name__} "
                                f"{_shown(value)}")
    if minimum is not None and value < minimum:
        rule = "a positive int (>= 1)" if minimum == 1 else f">= {minimum}"
        raise error(f"{where}: {argument}={value} must be {rule}")
    if maximum is not None and value > maximum:
        raise error(f"{where}: {argument}={value} is more than graphlab builds ({maximum:,})")
    return int(value)


def positive_int(value, argument: str, where: str, error: type = ArgumentError, maximum: Optional[int] = None) -> int:
    """A size or a count: an int >= 1 (and <= ``maximum`` if given)."""
    return integer(value, argument, where, minimum=1, error=error, maximum=maximum)


def non_negative_int(value, argument: str, where: str, error: type = ArgumentError) -> int:
    return integer(value, argument, where, minimum=0, error=error)


def real(value, argument: str, where: str, low: Optional[float] = None, high: Optional[float] = None,
         low_open: bool = False, high_open: bool = False, rule: str = "", error: type = ArgumentError) -> float:
    """A finite real number (not a bool, not NaN or inf) in [low, high] (open ends if asked); returned as given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ArgumentTypeError(f"{where}: {argument} must be a number, got {type(value).__name__} "
                                f"{_shown(value)}")
    try:
        number = float(value)
    except OverflowError:                  # an int beyond float's range
        number = math.inf
    if not math.isfinite(number):
        raise error(f"{where}: {argument}={value} must be a finite number")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise error(f"{where}: {argument}={value} must be {rule or _interval(low, high, low_open, high_open)}")
    return value             # as given: a numpy float64 lr keeps its float64 arithmetic, as before the check


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def probability(value, argument: str, where: str, error: type = ArgumentError) -> float:
    """A probability: a number in [0, 1]."""
    return real(value, argument, where, 0.0, 1.0, rule="a probability in [0, 1]", error=error)


def flag(value, argument: str, where: str) -> bool:
    """A switch: True or False (not "no", which is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{where}: {argument} must be True or False, got {type(value).__name__} "
                                f"{_shown(value)}")
    return bool(value)


def choice(value, argument: str, where: str, allowed: tuple, error: type = ArgumentError):
    """One of ``allowed`` (strings such as "min"/"max")."""
    if not isinstance(value, str) or value not in allowed:
        raise error(f"{where}: {argument} must be one of {', '.join(map(repr, allowed))}, got "
                            f"{_shown(value)}")
    return value


def float_dtype(dtype, argument: str, where: str):
    """None (the default float dtype) or a floating numpy dtype such as "float32"."""
    if dtype is None:
        return None
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        resolved = None
    if resolved is None or resolved.kind != "f":
        raise ArgumentTypeError(f"{where}: {argument} must be a float dtype such as 'float32' or 'float64', "
                                f"got {_shown(dtype)}")
    return resolved
