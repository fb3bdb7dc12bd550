"""Weight initialization (lecture 6, E38-E42), in place on a Tensor; each returns the tensor.

Fan-in and fan-out of a weight: a Linear weight (out, in) has fan_in = in, fan_out = out; a
conv weight (C_out, C_in, kh, kw) has fan_in = C_in·kh·kw and fan_out = C_out·kh·kw.

* ``xavier_uniform`` / ``xavier_normal`` keep the variance of activations through linear layers.
  ``mode="fan_in"`` is the lecture's derivation (E41): Var(w) = 1/fan_in, so
  Var(y) = fan_in · Var(x) · Var(w) = Var(x). ``mode="avg"`` (the default, Glorot & Bengio and
  PyTorch) balances forward and backward: Var(w) = 2 / (fan_in + fan_out).
* ``kaiming_uniform`` / ``kaiming_normal`` (He et al., E42): ReLU zeroes half the units, so
  Var(w) = gain² / fan with gain √2 for ReLU: Var(w) = 2 / fan_in by default.
* The layers' own defaults are PyTorch's: weights ``kaiming_uniform(a=√5)``, i.e. uniform on
  ±1/√fan_in, and biases uniform on ±1/√fan_in.

All draws come from graphlab's generator (``gl.manual_seed``). Shape-only parameters
(``gl.nn.shape_only``) are left alone.

>>> import graphlab as gl
>>> w = gl.zeros(4096, 4096)
>>> _ = kaiming_normal(w)                              # E42: std = sqrt(2 / 4096)
>>> round(float(w.data.std()), 4), round((2 / 4096) ** 0.5, 4)
(0.0221, 0.0221)
>>> _ = xavier_normal(w, mode="fan_in")                # E41: std = 1 / sqrt(4096)
>>> round(float(w.data.std()), 4)
0.0156
"""
from __future__ import annotations

import math

import numpy as np

from graphlab.autodiff.tensor import Tensor
from graphlab.config import config
from graphlab.errors import ShapeError

GAINS = {"linear": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
         "selu": 3.0 / 4}


def calculate_gain(nonlinearity: str = "leaky_relu", param: float = None) -> float:
    """The factor that keeps activations' variance through a nonlinearity (PyTorch's table)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; one of "
                         f"{sorted(GAINS) + ['leaky_relu']}")
    return GAINS[nonlinearity]


def fans(tensor) -> tuple:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ShapeError(f"init: fan_in and fan_out need a weight with >= 2 dimensions, got shape {shape}; "
                         f"initialize biases with uniform/normal/zeros")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _placeholder(tensor: Tensor) -> bool:
    from graphlab.nn.module import is_placeholder
    return is_placeholder(tensor)


def _fill(tensor: Tensor, values) -> Tensor:
    if _placeholder(tensor):
        return tensor
    tensor.data[...] = values
    return tensor


def _float(tensor) -> np.dtype:
    return np.float64 if tensor.dtype == np.float64 else np.float32


def zeros(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def constant(tensor: Tensor, value: float) -> Tensor:
    return _fill(tensor, value)


def uniform(tensor: Tensor, low: float = 0.0, high: float = 1.0) -> Tensor:
    if _placeholder(tensor):
        return tensor
    return _fill(tensor, config.rng.uniform(low, high, tensor.shape).astype(_float(tensor)))


def normal(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """N(mean, std²); std=0.01 is the lecture's "small random numbers" (E39)."""
    if _placeholder(tensor):
        return tensor
    return _fill(tensor, (mean + std * config.rng.standard_normal(tensor.shape)).astype(_float(tensor)))


def _xavier_std(tensor, gain: float, mode: str) -> float:
    fan_in, fan_out = fans(tensor)
    if mode == "fan_in":
        return gain * math.sqrt(1.0 / fan_in)
    if mode == "avg":
        return gain * math.sqrt(2.0 / (fan_in + fan_out))
    raise ValueError(f"xavier: mode must be 'avg' (2 / (fan_in + fan_out)) or 'fan_in' (1 / fan_in), got {mode!r}")


def xavier_uniform(tensor: Tensor, gain: float = 1.0, mode: str = "avg") -> Tensor:
    """Uniform with Var(w) = gain² · 2/(fan_in + fan_out) (or gain²/fan_in with mode="fan_in")."""
    bound = math.sqrt(3.0) * _xavier_std(tensor, gain, mode)
    return uniform(tensor, -bound, bound)


def xavier_normal(tensor: Tensor, gain: float = 1.0, mode: str = "avg") -> Tensor:
    return normal(tensor, 0.0, _xavier_std(tensor, gain, mode))


def _kaiming_std(tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = fans(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu") -> Tensor:
    """He init, uniform: Var(w) = gain² / fan, gain = √2 for ReLU (E42)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform(tensor, -bound, bound)


def kaiming_normal(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu") -> Tensor:
    """He init, normal: std = √2 / √fan_in for ReLU (E42)."""
    return normal(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def default_layer_init(weight: Tensor, bias=None) -> None:
    """PyTorch's Linear/Conv2d default: weight kaiming_uniform(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in)."""
    kaiming_uniform(weight, a=math.sqrt(5), nonlinearity="leaky_relu")
    if bias is not None:
        bound = 1 / math.sqrt(fans(weight)[0]) if fans(weight)[0] > 0 else 0
        uniform(bias, -bound, bound)
