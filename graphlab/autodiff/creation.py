"""Ways to make leaf tensors: ``gl.tensor``, ``gl.scalar``, ``gl.zeros``, ``gl.randn``, ..."""
from __future__ import annotations

from typing import Optional

import numpy as np

from graphlab.autodiff.tensor import Tensor, check_dtype
from graphlab.config import config


def tensor(data, requires_grad: bool = False, name: Optional[str] = None, dtype=None) -> Tensor:
    """A leaf tensor holding a copy of ``data``. Python numbers become the default float dtype
    (float32); numpy arrays keep theirs.

    >>> import graphlab as gl
    >>> gl.tensor([[1, 2], [3, 4]]).dtype
    dtype('float32')
    """
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


def scalar(value, name: Optional[str] = None, requires_grad: bool = True, dtype=None) -> Tensor:
    """A 0-d leaf tensor that requires grad by default: the lecture's x, y, z.

    >>> import graphlab as gl
    >>> gl.scalar(-2, name="x")
    Tensor(-2., name='x', requires_grad=True)
    """
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.ndim != 0:
        raise ValueError(f"scalar: value of shape {array.shape} is not one number; use gl.tensor for arrays")
    return Tensor(array, requires_grad=requires_grad, name=name, dtype=dtype or config.default_dtype)


def _shape(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _dtype(dtype, where: str):
    """The dtype to create with: the default float dtype, or a checked real dtype."""
    return config.default_dtype if dtype is None else check_dtype(dtype, where)


def _leaf(array: np.ndarray, requires_grad: bool, name: Optional[str]) -> Tensor:
    leaf = Tensor._from_op(array, None, False).named(name)
    return leaf.requires_grad_() if requires_grad else leaf


def zeros(*shape, dtype=None, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    return _leaf(np.zeros(_shape(shape), dtype=_dtype(dtype, "zeros")), requires_grad, name)


def ones(*shape, dtype=None, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    return _leaf(np.ones(_shape(shape), dtype=_dtype(dtype, "ones")), requires_grad, name)


def full(shape, value, dtype=None, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    return _leaf(np.full(_shape((shape,)), value, dtype=_dtype(dtype, "full")), requires_grad, name)


def zeros_like(other, requires_grad: bool = False) -> Tensor:
    return zeros(other.shape, dtype=other.dtype, requires_grad=requires_grad)


def ones_like(other, requires_grad: bool = False) -> Tensor:
    return ones(other.shape, dtype=other.dtype, requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    """Standard normal samples from graphlab's generator (seed it with ``gl.manual_seed``)."""
    array = config.rng.standard_normal(_shape(shape)).astype(_dtype(dtype, "randn"))
    return _leaf(array, requires_grad, name)


def rand(*shape, dtype=None, requires_grad: bool = False, name: Optional[str] = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    array = config.rng.random(_shape(shape)).astype(_dtype(dtype, "rand"))
    return _leaf(array, requires_grad, name)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """numpy's arange, as the default float dtype unless ``dtype`` says otherwise."""
    array = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return _leaf(array.astype(_dtype(dtype, "arange")), requires_grad, None)
