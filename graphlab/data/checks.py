"""Checking the arguments of datasets, transforms and the loader, with errors that name them.

A wrong type is a ``DataTypeError`` (a TypeError), a wrong value a ``DataError`` (a ValueError);
both name the function, the argument, what it got and what it takes. Floats are not silently
truncated where a count is needed (``batch_size=2.7`` is an error, not 2).
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np

from graphlab.data.dataset import DataError, DataTypeError

#: the most samples x features a generated dataset or a transform may allocate (about 800 MB of float64)
MAX_ELEMENTS = 10 ** 8


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(value, name: str, where: str, minimum: int = None, maximum: int = None) -> int:
    """``value`` as an int: a Python or numpy integer (not a bool, not a float) within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DataTypeError(f"{where}: {name} must be an integer, got {_shown(value)} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise DataError(f"{where}: {name}={value} must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise DataError(f"{where}: {name}={value} is too large (at most {maximum:,})")
    return value


def real(value, name: str, where: str, minimum: float = None, maximum: float = None,
         above: float = None) -> float:
    """``value`` as a finite float: a real number (not a bool, not a string), within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise DataTypeError(f"{where}: {name} must be a number, got {_shown(value)} ({type(value).__name__})")
    try:
        value = float(value)
    except OverflowError:
        raise DataError(f"{where}: {name}={_shown(value)} is too large") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: {name}={value} must be a finite number")
    if above is not None and value <= above:
        raise DataError(f"{where}: {name}={value} must be > {above}")
    if minimum is not None and value < minimum:
        raise DataError(f"{where}: {name}={value} must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise DataError(f"{where}: {name}={value} must be <= {maximum}")
    return value


def probability(value, name: str, where: str) -> float:
    return real(value, name, where, minimum=0.0, maximum=1.0)


def seed(value, where: str, name: str = "seed"):
    """A seed for ``np.random.default_rng``: a non-negative integer (or None where allowed)."""
    return integer(value, name, where, minimum=0)


def flag(value, name: str, where: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise DataTypeError(f"{where}: {name} must be True or False, got {_shown(value)} ({type(value).__name__})")
    return bool(value)


def generator(rng, where: str) -> np.random.Generator:
    """``rng`` (a numpy Generator) or a fresh one when None."""
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise DataTypeError(f"{where}: rng must be a numpy Generator (np.random.default_rng(seed)) or None, "
                            f"got {type(rng).__name__}")
    return rng


def folder(path, where: str) -> Path:
    """``path`` (a str or PathLike naming a folder) as a Path, ``~`` expanded."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise DataTypeError(f"{where}: path must be a folder name (a str or pathlib.Path), got "
                            f"{_shown(path)} ({type(path).__name__})")
    text = os.fspath(path)
    text = os.fsdecode(text) if isinstance(text, bytes) else text
    if not text or "\0" in text:
        raise DataError(f"{where}: path {text!r} is not a folder name")
    return Path(os.path.expanduser(text))


def is_file(path: Path) -> bool:
    """``path.is_file()``, False (not an OSError) for names the file system cannot even look up."""
    try:
        return path.is_file()
    except OSError:
        return False


def is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def numeric_array(value, name: str, where: str, kinds: str = "biuf") -> np.ndarray:
    """``value`` (an array, a Tensor, a nested list) as a numpy array of a numeric dtype."""
    try:
        array = np.asarray(getattr(value, "data", value))
    except (ValueError, TypeError) as error:
        raise DataError(f"{where}: {name} is not an array ({error})") from None
    if array.dtype.kind not in kinds:
        raise DataTypeError(f"{where}: {name} has dtype {array.dtype}; it must hold numbers")
    return array
