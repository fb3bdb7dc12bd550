"""One Config object for the whole library, changed through context managers.

>>> import graphlab as gl
>>> x = gl.scalar(3.0)
>>> with gl.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Config:
    grad_enabled: bool = True
    anomaly: bool = False
    default_dtype: np.dtype = np.dtype(np.float32)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    #: names of the enclosing scopes (nn modules) recorded on every node created inside them
    scope: tuple = ()


config = Config()


@contextlib.contextmanager
def _setting(attribute: str, value):
    previous = getattr(config, attribute)
    setattr(config, attribute, value)
    try:
        yield
    finally:
        setattr(config, attribute, previous)


def no_grad():
    """Context manager: ops record no graph (inference, optimizer updates)."""
    return _setting("grad_enabled", False)


def enable_grad():
    """Context manager: turn recording back on inside a ``no_grad`` block."""
    return _setting("grad_enabled", True)


def is_grad_enabled() -> bool:
    return config.grad_enabled


def detect_anomaly():
    """Context manager: the first NaN/inf in a forward or backward raises ``AnomalyError``."""
    return _setting("anomaly", True)


_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _float_dtype(dtype) -> np.dtype:
    resolved = np.dtype(dtype)
    if resolved not in _FLOAT_DTYPES:
        from graphlab.errors import DtypeError
        raise DtypeError(f"set_default_dtype: {resolved} is not a float dtype; use float32 or float64")
    return resolved


def set_default_dtype(dtype) -> None:
    """Set the dtype new float tensors get (float32 unless changed)."""
    config.default_dtype = _float_dtype(dtype)


def get_default_dtype() -> np.dtype:
    return config.default_dtype


def default_dtype(dtype):
    """Context manager form of ``set_default_dtype``."""
    return _setting("default_dtype", _float_dtype(dtype))


def scope(name: str):
    """Context manager: nodes created inside carry ``name`` in their ``.scope`` (innermost last).

    >>> import graphlab as gl
    >>> with gl.scope("block1"), gl.scope("conv"):
    ...     y = gl.scalar(2.0) * 3
    >>> y.scope
    ('block1', 'conv')
    """
    return _setting("scope", config.scope + (name,))


def manual_seed(seed: int) -> None:
    """Seed graphlab's random generator (``gl.randn``, init, dropout, shuffling)."""
    config.rng = np.random.default_rng(seed)
