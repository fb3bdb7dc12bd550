"""Every op from one table, checked three ways.

``CASES`` is the single table. Each ``OpCase`` names an op variant (``"<op>.<variant>"``), how to
call it in graphlab, numpy and PyTorch, the shapes of its inputs and the domain they are
drawn from. Three parametrized tests read the same table:

1. ``test_values_match_numpy``: float32 and float64 inputs; the value matches numpy, the
   output keeps the input's dtype (float32 in -> float32 out), and the gradient keeps it too;
2. ``test_gradients_match_finite_differences``: ``gl.gradcheck`` in float64, inputs in the op's
   domain (positive for log/sqrt, away from the kinks of relu/abs/clip/max, ...);
3. ``test_matches_torch``: values and gradients against PyTorch in float64 (skipped when
   torch is not installed). Cases marked ``gradcheck=False`` sit exactly on a kink or a tie:
   there no finite difference exists, and PyTorch's convention is the oracle.

Comparisons (lt le gt ge eq ne) are in the table too; they are checked for values only, and
their results must not require grad.
"""
from __future__ import annotations

import importlib
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pytest

import graphlab as gl
import graphlab.ops


class _Lazy:
    """A module imported on first attribute access, so torch is never imported at collection."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("_"):   # pytest's collection probes objects for markers: never import
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)


th = _Lazy("torch")
F = _Lazy("torch.nn.functional")


# -- the table ----------------------------------------------------------------------------------
@dataclass
class OpCase:
    name: str                      # "<op>.<variant>"; the part before the dot is the op covered
    graphlab_fn: Callable          # Tensors -> Tensor
    numpy_fn: Callable             # float64 arrays -> array (the reference)
    torch_fn: Callable             # float64 torch tensors -> torch tensor
    input_shapes: tuple            # one shape per input
    domain: object = "real"        # one domain for all inputs, or a tuple with one per input
    out_dtype: Optional[object] = None   # None: the input's dtype; "bool" for comparisons
    differentiable: bool = True    # False for comparisons: values only, output needs no grad
    gradcheck: bool = True         # False for cases that sit on a kink/tie on purpose
    gradcheck_kw: dict = field(default_factory=dict)
    atol32: float = 1e-5           # float32 tolerances against the float64 reference
    atol64: float = 1e-12

    @property
    def op(self) -> str:
        return self.name.split(".")[0]

    def make_inputs(self) -> list:
        """Deterministic float64 inputs in the case's domain (seeded by the case name)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        domains = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.input_shapes)
        assert len(domains) == len(self.input_shapes), self.name
        return [DOMAINS[domain](rng, shape) for domain, shape in zip(domains, self.input_shapes)]


def _distinct(rng, shape):
    """All values different, at least 0.37 apart: no ties for max/min."""
    size = int(np.prod(shape, dtype=np.int64))
    return ((rng.permutation(size) - size / 2) * 0.37).reshape(shape)


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


DOMAINS = {
    "real": lambda rng, shape: rng.standard_normal(shape),
    "positive": lambda rng, shape: rng.uniform(0.5, 2.5, shape),
    # |x| >= 0.3: away from 0, the kink of abs/relu/leaky_relu/elu and the pole of 1/x
    "nonzero": lambda rng, shape: _signs(rng, shape) * rng.uniform(0.3, 2.0, shape),
    "exponent": lambda rng, shape: rng.uniform(-1.5, 1.5, shape),
    "distinct": _distinct,
    # two interleaved grids 0.25 apart: maximum/minimum/where(a > b) never meet a tie
    "grid_a": lambda rng, shape: rng.integers(-4, 5, shape) * 0.5 + 0.1,
    "grid_b": lambda rng, shape: rng.integers(-4, 5, shape) * 0.5 + 0.35,
    # odd multiples of 0.125: at least 0.125 away from the clip bounds (multiples of 0.25)
    "clip_safe": lambda rng, shape: rng.integers(-6, 6, shape) * 0.25 + 0.125,
    # small integers: ties on purpose (comparisons, router ties)
    "small_int": lambda rng, shape: rng.integers(-1, 2, shape).astype(np.float64),
    # exactly on the kinks: 0 and the clip bounds ±0.5
    "kinks": lambda rng, shape: rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], shape),
    "wide": lambda rng, shape: rng.uniform(-40.0, 40.0, shape),
    "huge": lambda rng, shape: rng.uniform(-800.0, 800.0, shape),
}


# numpy references written out independently of graphlab's implementation
def _np_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _np_logsumexp(x, axis=None, keepdims=False):
    shift = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


def _np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x, axis=-1):
    return x - _np_logsumexp(x, axis=axis, keepdims=True)


def _np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _torch_dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_pad(x, pad_width, value=0.0):
    widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    flat = [int(w) for pair in widths[::-1] for w in pair]   # torch: last dimension first
    return F.pad(x, flat, value=value)


MASK_23 = np.array([[True, False, True], [False, False, True]])
MASK_34 = np.array([[True, False, False, True], [False, False, False, False], [True, True, False, True]])

CASES: list = []


def case(*args, **kwargs):
    CASES.append(OpCase(*args, **kwargs))


# -- binary arithmetic, with broadcasting -----------------------------------------------------
BROADCASTS = {
    "same": ((2, 3), (2, 3)),
    "col_row": ((3, 1), (4,)),          # -> (3, 4)
    "scalar_left": ((), (2, 3)),
    "scalar_right": ((2, 3), ()),
    "batch": ((2, 1, 3), (4, 1)),       # -> (2, 4, 3)
}
for variant, shapes in BROADCASTS.items():
    case(f"add.{variant}", gl.add, np.add, lambda a, b: th.add(a, b), shapes)
    case(f"sub.{variant}", gl.sub, np.subtract, lambda a, b: th.sub(a, b), shapes)
    case(f"mul.{variant}", gl.mul, np.multiply, lambda a, b: th.mul(a, b), shapes)
    case(f"div.{variant}", gl.div, np.divide, lambda a, b: th.div(a, b), shapes, ("real", "nonzero"))
    case(f"maximum.{variant}", gl.maximum, np.maximum, lambda a, b: th.maximum(a, b), shapes, ("grid_a", "grid_b"))
    case(f"minimum.{variant}", gl.minimum, np.minimum, lambda a, b: th.minimum(a, b), shapes, ("grid_a", "grid_b"))

# the operators and methods, and Python/numpy constants on either side
case("add.operator", lambda a, b: a + b, np.add, lambda a, b: a + b, ((3, 1), (4,)))
case("sub.operator", lambda a, b: a - b, np.subtract, lambda a, b: a - b, ((3, 1), (4,)))
case("mul.operator", lambda a, b: a * b, np.multiply, lambda a, b: a * b, ((3, 1), (4,)))
case("div.operator", lambda a, b: a / b, np.divide, lambda a, b: a / b, ((3, 1), (4,)), ("real", "nonzero"))
case("add.radd_const", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda x: 2.5 + x, ((2, 3),))
case("add.ndarray_float64_const", lambda x: x + np.array([0.5, -1.0, 2.0]), lambda x: x + np.array([0.5, -1.0, 2.0]),
     lambda x: x + th.tensor([0.5, -1.0, 2.0], dtype=th.float64), ((2, 3),))
case("sub.rsub_const", lambda x: 1.5 - x, lambda x: 1.5 - x, lambda x: 1.5 - x, ((2, 3),))
case("sub.const", lambda x: x - 0.5, lambda x: x - 0.5, lambda x: x - 0.5, ((2, 3),))
case("mul.rmul_const", lambda x: 3.0 * x, lambda x: 3.0 * x, lambda x: 3.0 * x, ((2, 3),))
case("mul.rmul_ndarray", lambda x: np.arange(1.0, 4.0) * x, lambda x: np.arange(1.0, 4.0) * x,
     lambda x: th.arange(1.0, 4.0, dtype=th.float64) * x, ((2, 3),))
case("div.rdiv_const", lambda x: 2.0 / x, lambda x: 2.0 / x, lambda x: 2.0 / x, ((2, 3),), "nonzero")
case("div.const", lambda x: x / 4.0, lambda x: x / 4.0, lambda x: x / 4.0, ((2, 3),))
case("maximum.method_const", lambda x: x.maximum(0.25), lambda x: np.maximum(x, 0.25),
     lambda x: th.clamp(x, min=0.25), ((2, 3),), "clip_safe")
case("minimum.method", lambda a, b: a.minimum(b), np.minimum, lambda a, b: th.minimum(a, b), ((3, 1), (4,)),
     ("grid_a", "grid_b"))
# ties: graphlab splits the gradient evenly, as PyTorch does (oracle only: no derivative there)
case("maximum.ties", gl.maximum, np.maximum, lambda a, b: th.maximum(a, b), ((3, 4), (3, 4)), "small_int",
     gradcheck=False)
case("minimum.ties", gl.minimum, np.minimum, lambda a, b: th.minimum(a, b), ((3, 4), (4,)), "small_int",
     gradcheck=False)

# -- pow ---------------------------------------------------------------------------------------
case("pow.scalar_2", lambda x: x ** 2, lambda x: x ** 2, lambda x: x ** 2, ((2, 3),))
case("pow.scalar_3_function", lambda x: gl.pow(x, 3), lambda x: x ** 3, lambda x: th.pow(x, 3), ((2, 3),))
case("pow.scalar_half", lambda x: x ** 0.5, np.sqrt, lambda x: x ** 0.5, ((2, 3),), "positive")
case("pow.scalar_negative", lambda x: x ** -1.5, lambda x: x ** -1.5, lambda x: x ** -1.5, ((2, 3),), "positive")
case("pow.scalar_0", lambda x: x ** 0, lambda x: x ** 0, lambda x: x ** 0, ((2, 3),), "nonzero")
case("pow.numpy_float64_exponent", lambda x: x ** np.float64(2.5), lambda x: x ** 2.5, lambda x: x ** 2.5,
     ((2, 3),), "positive")
case("pow.tensor", lambda a, b: a ** b, np.power, lambda a, b: a ** b, ((2, 3), (2, 3)), ("positive", "exponent"))
case("pow.tensor_broadcast", gl.pow, np.power, lambda a, b: th.pow(a, b), ((3, 1), (4,)), ("positive", "exponent"))
case("pow.tensor_scalar_exponent", gl.pow, np.power, lambda a, b: th.pow(a, b), ((2, 3), ()),
     ("positive", "exponent"))
case("pow.rpow_2", lambda x: 2 ** x, lambda x: 2.0 ** x, lambda x: 2 ** x, ((2, 3),))
case("pow.rpow_half", lambda x: 0.5 ** x, lambda x: 0.5 ** x, lambda x: 0.5 ** x, ((2, 3),))
# a constant array exponent needs no gradient: a negative base must not produce NaNs
case("pow.constant_array_exponent", lambda x: x ** np.array([1.0, 2.0, 3.0]), lambda x: x ** np.array([1.0, 2.0, 3.0]),
     lambda x: x ** th.tensor([1.0, 2.0, 3.0], dtype=th.float64), ((2, 3),), "nonzero")

# -- unary elementwise ---------------------------------------------------------------------------
UNARY = [
    # name, graphlab function, method (or None), numpy, torch, domain
    ("neg", gl.neg, lambda x: -x, np.negative, lambda x: -x, "real"),
    ("exp", gl.exp, lambda x: x.exp(), np.exp, lambda x: th.exp(x), "real"),
    ("log", gl.log, lambda x: x.log(), np.log, lambda x: th.log(x), "positive"),
    ("sqrt", gl.sqrt, lambda x: x.sqrt(), np.sqrt, lambda x: th.sqrt(x), "positive"),
    ("abs", gl.abs, lambda x: abs(x), np.abs, lambda x: th.abs(x), "nonzero"),
    ("tanh", gl.tanh, lambda x: x.tanh(), np.tanh, lambda x: th.tanh(x), "real"),
    ("sigmoid", gl.sigmoid, lambda x: x.sigmoid(), _np_sigmoid, lambda x: th.sigmoid(x), "real"),
    ("relu", gl.relu, lambda x: x.relu(), lambda x: np.maximum(x, 0), lambda x: th.relu(x), "nonzero"),
    ("leaky_relu", gl.leaky_relu, None, lambda x: np.where(x > 0, x, 0.01 * x), lambda x: F.leaky_relu(x), "nonzero"),
    ("elu", gl.elu, None, _np_elu, lambda x: F.elu(x), "nonzero"),
]
for name, function, method, numpy_fn, torch_fn, domain in UNARY:
    case(f"{name}.function", function, numpy_fn, torch_fn, ((2, 3),), domain)
    if method is not None:
        case(f"{name}.method", method, numpy_fn, torch_fn, ((3, 1, 2),), domain)
    case(f"{name}.scalar", function, numpy_fn, torch_fn, ((),), domain)

case("leaky_relu.slope", lambda x: gl.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
     lambda x: F.leaky_relu(x, 0.2), ((2, 3),), "nonzero")
case("elu.alpha", lambda x: gl.elu(x, alpha=0.5), lambda x: _np_elu(x, 0.5), lambda x: F.elu(x, alpha=0.5),
     ((2, 3),), "nonzero")
# far tails: sigmoid(-40) = 4.2e-18 is a normal float64 (and sigmoid(-20) = 2.1e-9 a normal
# float32): it must come out with full *relative* precision, or log(sigmoid(x)) becomes -inf
case("sigmoid.tails", gl.sigmoid, _np_sigmoid, lambda x: th.sigmoid(x), ((3, 4),), "wide", atol32=0.0, atol64=0.0)
case("log.of_sigmoid_tails", lambda x: gl.log(gl.sigmoid(x)), lambda x: np.log(_np_sigmoid(x)),
     lambda x: th.log(th.sigmoid(x)), ((3, 4),), "wide")
case("clip.both", lambda x: gl.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     lambda x: th.clamp(x, -0.5, 0.5), ((3, 4),), "clip_safe")
case("clip.min_only", lambda x: gl.clip(x, min=-0.5), lambda x: np.maximum(x, -0.5),
     lambda x: th.clamp(x, min=-0.5), ((3, 4),), "clip_safe")
case("clip.max_only", lambda x: x.clip(max=0.5), lambda x: np.minimum(x, 0.5),
     lambda x: th.clamp(x, max=0.5), ((3, 4),), "clip_safe")
# exactly on the kinks: PyTorch's conventions (relu'(0) = 0, |x|'(0) = 0, clamp' = 1 on a bound,
# leaky_relu'(0) = slope, elu'(0) = alpha)
case("relu.kinks", gl.relu, lambda x: np.maximum(x, 0), lambda x: th.relu(x), ((3, 4),), "kinks", gradcheck=False)
case("abs.kinks", gl.abs, np.abs, lambda x: th.abs(x), ((3, 4),), "kinks", gradcheck=False)
case("leaky_relu.kinks", lambda x: gl.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
     lambda x: F.leaky_relu(x, 0.2), ((3, 4),), "kinks", gradcheck=False)
case("elu.kinks", lambda x: gl.elu(x, 0.5), lambda x: _np_elu(x, 0.5), lambda x: F.elu(x, 0.5), ((3, 4),), "kinks",
     gradcheck=False)
case("clip.kinks", lambda x: gl.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     lambda x: th.clamp(x, -0.5, 0.5), ((3, 4),), "kinks", gradcheck=False)

# -- where, astype -------------------------------------------------------------------------------
case("where.mask", lambda a, b: gl.where(MASK_23, a, b), lambda a, b: np.where(MASK_23, a, b),
     lambda a, b: th.where(th.tensor(MASK_23), a, b), ((2, 3), (2, 3)))
case("where.broadcast", lambda a, b: gl.where(MASK_23, a, b), lambda a, b: np.where(MASK_23, a, b),
     lambda a, b: th.where(th.tensor(MASK_23), a, b), ((3,), ()))
case("where.scalar_branch", lambda x: gl.where(MASK_23, x, 0.0), lambda x: np.where(MASK_23, x, 0.0),
     lambda x: th.where(th.tensor(MASK_23), x, 0.0), ((2, 3),))
case("where.comparison_condition", lambda a, b: gl.where(a > b, a, b), lambda a, b: np.where(a > b, a, b),
     lambda a, b: th.where(a > b, a, b), ((3, 1), (4,)), ("grid_a", "grid_b"))
case("astype.float64", lambda x: gl.astype(x, np.float64), lambda x: x.astype(np.float64),
     lambda x: x.to(th.float64), ((2, 3),), out_dtype=np.float64)
case("astype.float32", lambda x: x.astype("float32"), lambda x: x.astype(np.float32),
     lambda x: x.to(th.float32), ((2, 3),), out_dtype=np.float32, gradcheck_kw=dict(eps=1e-3))
case("astype.double_method", lambda x: x.double(), lambda x: x.astype(np.float64),
     lambda x: x.double(), ((4,),), out_dtype=np.float64)
case("astype.float_method", lambda x: x.float(), lambda x: x.astype(np.float32),
     lambda x: x.float(), ((4,),), out_dtype=np.float32, gradcheck_kw=dict(eps=1e-3))

# -- reductions ------------------------------------------------------------------------------------
REDUCTIONS = [
    ("sum", gl.sum, np.sum, lambda x, d, k: th.sum(x, dim=d, keepdim=k), "real"),
    ("mean", gl.mean, np.mean, lambda x, d, k: th.mean(x, dim=d, keepdim=k), "real"),
    ("max", gl.max, np.max, lambda x, d, k: th.amax(x, dim=d, keepdim=k), "distinct"),
    ("min", gl.min, np.min, lambda x, d, k: th.amin(x, dim=d, keepdim=k), "distinct"),
    ("var", gl.var, np.var, lambda x, d, k: th.var(x, dim=d, keepdim=k, correction=0), "real"),
    ("logsumexp", gl.logsumexp, _np_logsumexp, lambda x, d, k: th.logsumexp(x, dim=d, keepdim=k), "real"),
]


def _reduction(name, gl_fn, np_fn, torch_fn, domain, axis, keepdims, shape=(2, 3, 4), **extra):
    label = "None" if axis is None else str(axis).replace(" ", "")
    case(f"{name}.axis={label}{'_keepdims' if keepdims else ''}{extra.pop('suffix', '')}",
         lambda x: gl_fn(x, axis=axis, keepdims=keepdims),
         lambda x: np_fn(x, axis=axis if not isinstance(axis, list) else tuple(axis), keepdims=keepdims),
         lambda x: torch_fn(x, _torch_dims(x, axis), keepdims),
         (shape,), domain, **extra)


for name, gl_fn, np_fn, torch_fn, domain in REDUCTIONS:
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            _reduction(name, gl_fn, np_fn, torch_fn, domain, axis, keepdims)

_reduction("mean", gl.mean, np.mean, lambda x, d, k: th.mean(x, dim=d, keepdim=k), "real", [0, 1], False,
           suffix="_list")
_reduction("sum", gl.sum, np.sum, lambda x, d, k: th.sum(x, dim=d, keepdim=k), "real", None, False, shape=(),
           suffix="_0d")
_reduction("sum", gl.sum, np.sum, lambda x, d, k: th.sum(x, dim=d, keepdim=k), "real", (-1, 1), True,
           suffix="_negative_tuple")
_reduction("max", gl.max, np.max, lambda x, d, k: th.amax(x, dim=d, keepdim=k), "small_int", 1, False,
           shape=(3, 4), suffix="_ties", gradcheck=False)
_reduction("max", gl.max, np.max, lambda x, d, k: th.amax(x, dim=d, keepdim=k), "small_int", None, False,
           shape=(3, 4), suffix="_ties", gradcheck=False)
_reduction("min", gl.min, np.min, lambda x, d, k: th.amin(x, dim=d, keepdim=k), "small_int", (0, 1), True,
           shape=(3, 4), suffix="_ties", gradcheck=False)
_reduction("logsumexp", gl.logsumexp, _np_logsumexp, lambda x, d, k: th.logsumexp(x, dim=d, keepdim=k),
           "huge", 1, False, shape=(3, 4), suffix="_huge")
for ddof_axis in (None, 1, (0, 2)):
    _reduction("var", lambda x, axis, keepdims: gl.var(x, axis=axis, keepdims=keepdims, ddof=1),
               lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
               lambda x, d, k: th.var(x, dim=d, keepdim=k, correction=1), "real", ddof_axis, False, suffix="_ddof1")
case("sum.method", lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), lambda x: x.sum(dim=1), ((3, 4),))
case("mean.method", lambda x: x.mean(), np.mean, lambda x: x.mean(), ((3, 4),))
case("max.method", lambda x: x.max(axis=0, keepdims=True), lambda x: x.max(axis=0, keepdims=True),
     lambda x: x.amax(dim=0, keepdim=True), ((3, 4),), "distinct")
case("min.method", lambda x: x.min(), np.min, lambda x: x.amin(), ((3, 4),), "distinct")
case("var.method", lambda x: x.var(axis=-1, ddof=1), lambda x: x.var(axis=-1, ddof=1),
     lambda x: x.var(dim=-1, correction=1), ((3, 4),))
case("logsumexp.method", lambda x: x.logsumexp(axis=0), lambda x: _np_logsumexp(x, axis=0),
     lambda x: x.logsumexp(dim=0), ((3, 4),))

for axis in (-1, 0, 1):
    case(f"softmax.axis={axis}", lambda x, axis=axis: gl.softmax(x, axis=axis),
         lambda x, axis=axis: _np_softmax(x, axis), lambda x, axis=axis: th.softmax(x, dim=axis), ((2, 3, 4),))
    case(f"log_softmax.axis={axis}", lambda x, axis=axis: gl.log_softmax(x, axis=axis),
         lambda x, axis=axis: _np_log_softmax(x, axis), lambda x, axis=axis: th.log_softmax(x, dim=axis),
         ((2, 3, 4),))
case("softmax.method_huge", lambda x: x.softmax(), _np_softmax, lambda x: th.softmax(x, dim=-1), ((3, 4),), "huge")
case("log_softmax.method_huge", lambda x: x.log_softmax(), _np_log_softmax, lambda x: th.log_softmax(x, dim=-1),
     ((3, 4),), "huge")
case("softmax.vector", gl.softmax, _np_softmax, lambda x: th.softmax(x, dim=-1), ((5,),))

# -- shapes ------------------------------------------------------------------------------------------
case("reshape.matrix", lambda x: gl.reshape(x, (4, 6)), lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6),
     ((2, 3, 4),))
case("reshape.method_varargs_inferred", lambda x: x.reshape(2, -1, 2), lambda x: x.reshape(2, -1, 2),
     lambda x: x.reshape(2, -1, 2), ((2, 3, 4),))
case("reshape.flat", lambda x: x.reshape(-1), lambda x: x.reshape(-1), lambda x: x.reshape(-1), ((2, 3, 4),))
case("reshape.to_0d", lambda x: x.reshape(()), lambda x: x.reshape(()), lambda x: x.reshape(()), ((1, 1),))
case("transpose.no_axes", gl.transpose, np.transpose, lambda x: x.permute(2, 1, 0), ((2, 3, 4),))
case("transpose.axes", lambda x: gl.transpose(x, (1, 0, 2)), lambda x: x.transpose(1, 0, 2),
     lambda x: x.permute(1, 0, 2), ((2, 3, 4),))
case("transpose.method_negative_axes", lambda x: x.transpose(-1, 0, 1), lambda x: x.transpose(-1, 0, 1),
     lambda x: x.permute(-1, 0, 1), ((2, 3, 4),))
case("transpose.T_matrix", lambda x: x.T, lambda x: x.T, lambda x: x.T, ((2, 3),))
case("transpose.T_3d", lambda x: x.T, lambda x: x.T, lambda x: x.permute(2, 1, 0), ((2, 3, 4),))
case("permute.function", lambda x: gl.permute(x, 2, 0, 1), lambda x: x.transpose(2, 0, 1),
     lambda x: x.permute(2, 0, 1), ((2, 3, 4),))
case("permute.method_tuple", lambda x: x.permute((1, 2, 0)), lambda x: x.transpose(1, 2, 0),
     lambda x: x.permute(1, 2, 0), ((2, 3, 4),))
case("flatten.all", gl.flatten, lambda x: x.reshape(-1), lambda x: th.flatten(x), ((2, 3, 4),))
case("flatten.start_1", lambda x: x.flatten(1), lambda x: x.reshape(2, -1), lambda x: x.flatten(1), ((2, 3, 4),))
case("flatten.range_0_1", lambda x: gl.flatten(x, 0, 1), lambda x: x.reshape(6, 4), lambda x: x.flatten(0, 1),
     ((2, 3, 4),))
case("flatten.negative_dims", lambda x: x.flatten(-3, -2), lambda x: x.reshape(2, 12, 5),
     lambda x: x.flatten(-3, -2), ((2, 3, 4, 5),))
case("flatten.0d", gl.flatten, lambda x: x.reshape(1), lambda x: th.flatten(x), ((),))
case("squeeze.all", gl.squeeze, np.squeeze, lambda x: th.squeeze(x), ((1, 3, 1, 2),))
case("squeeze.axis", lambda x: gl.squeeze(x, 0), lambda x: np.squeeze(x, 0), lambda x: th.squeeze(x, 0),
     ((1, 3, 1, 2),))
case("squeeze.axes", lambda x: x.squeeze((0, 2)), lambda x: np.squeeze(x, (0, 2)), lambda x: th.squeeze(x, (0, 2)),
     ((1, 3, 1, 2),))
case("squeeze.negative", lambda x: x.squeeze(-2), lambda x: np.squeeze(x, -2), lambda x: th.squeeze(x, -2),
     ((1, 3, 1, 2),))
case("unsqueeze.front", lambda x: gl.unsqueeze(x, 0), lambda x: x[None], lambda x: x.unsqueeze(0), ((2, 3),))
case("unsqueeze.middle", lambda x: x.unsqueeze(1), lambda x: x[:, None], lambda x: x.unsqueeze(1), ((2, 3),))
case("unsqueeze.end_negative", lambda x: x.unsqueeze(-1), lambda x: x[..., None], lambda x: x.unsqueeze(-1),
     ((2, 3),))
case("unsqueeze.negative_2", lambda x: x.unsqueeze(-2), lambda x: x[:, None], lambda x: x.unsqueeze(-2), ((2, 3),))

GETITEMS = {
    # variant: (index for graphlab/numpy, index or function for torch, shape)
    "int": (1, 1, (4, 3)),
    "negative_int": (-1, -1, (4, 3)),
    "int_pair": ((2, 1), (2, 1), (4, 3)),
    "slice": (slice(1, 3), slice(1, 3), (4, 3)),
    "slice_step_2d": ((slice(None), slice(0, 3, 2)), (slice(None), slice(0, 3, 2)), (4, 3)),
    # torch has no negative-step slices: flip, then slice with the positive step
    "negative_step": (slice(None, None, -1), lambda x: x.flip(0), (4, 3)),
    "negative_step_2": ((slice(None), slice(None, None, -2)), lambda x: x.flip(1)[:, ::2], (4, 5)),
    "index_array_repeated": (np.array([0, 2, 0, 0, 3]), None, (4, 3)),
    "index_list_repeated": ([1, 1, 3], None, (4, 3)),
    "index_arrays_2d": ((np.array([0, 1, 0, 0]), np.array([2, 2, 2, 1])), None, (4, 3)),
    "slice_and_array": ((slice(1, None), np.array([0, 0, 2])), None, (4, 3)),
    "bool_mask": (MASK_34, None, (3, 4)),
    "bool_mask_rows": (np.array([True, False, True, True]), None, (4, 3)),
    "none_ellipsis": ((None, Ellipsis, 1), None, (2, 3, 4)),
    "ellipsis_none": ((Ellipsis, None), None, (2, 3)),
    "int_ellipsis_slice": ((1, Ellipsis, slice(1, None)), None, (2, 3, 4)),
}


def _torch_index(index):
    """The same index for torch: arrays become tensors (torch accumulates repeated indices too)."""
    def convert(part):
        if isinstance(part, (np.ndarray, list)):
            return th.tensor(np.asarray(part))
        return part
    return tuple(convert(p) for p in index) if isinstance(index, tuple) else convert(index)


for variant, (index, torch_index, shape) in GETITEMS.items():
    if callable(torch_index):
        torch_fn = torch_index
    else:
        torch_fn = (lambda x, index=index: x[_torch_index(index)])
    gl_fn = (lambda x, index=index: x[index]) if variant != "index_array_repeated" \
        else (lambda x, index=index: gl.getitem(x, index))
    numpy_index = np.asarray(index) if isinstance(index, list) else index
    case(f"getitem.{variant}", gl_fn, lambda x, index=numpy_index: x[index], torch_fn, (shape,))

case("concat.axis0", lambda a, b: gl.concat([a, b], axis=0), lambda a, b: np.concatenate([a, b], 0),
     lambda a, b: th.cat([a, b], 0), ((2, 3), (1, 3)))
case("concat.axis1_three", lambda a, b, c: gl.concat([a, b, c], axis=1), lambda a, b, c: np.concatenate([a, b, c], 1),
     lambda a, b, c: th.cat([a, b, c], 1), ((2, 1), (2, 3), (2, 2)))
case("concat.axis_negative", lambda a, b: gl.concat((a, b), axis=-1), lambda a, b: np.concatenate([a, b], -1),
     lambda a, b: th.cat([a, b], -1), ((2, 2, 1), (2, 2, 3)))
case("concat.with_constant", lambda a: gl.concat([a, np.ones((1, 3))], axis=0),
     lambda a: np.concatenate([a, np.ones((1, 3))], 0),
     lambda a: th.cat([a, th.ones((1, 3), dtype=th.float64)], 0), ((2, 3),))
case("stack.axis0", lambda a, b: gl.stack([a, b]), lambda a, b: np.stack([a, b]), lambda a, b: th.stack([a, b]),
     ((2, 3), (2, 3)))
case("stack.axis1_three", lambda a, b, c: gl.stack([a, b, c], axis=1), lambda a, b, c: np.stack([a, b, c], 1),
     lambda a, b, c: th.stack([a, b, c], 1), ((2, 3),) * 3)
case("stack.axis_negative", lambda a, b: gl.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1),
     lambda a, b: th.stack([a, b], -1), ((2, 3), (2, 3)))
case("stack.scalars", lambda a, b: gl.stack([a, b]), lambda a, b: np.stack([a, b]), lambda a, b: th.stack([a, b]),
     ((), ()))
case("pad.pairs", lambda x: gl.pad(x, ((1, 2), (0, 1))), lambda x: np.pad(x, ((1, 2), (0, 1))),
     lambda x: _torch_pad(x, ((1, 2), (0, 1))), ((2, 3),))
case("pad.int_value", lambda x: gl.pad(x, 1, value=0.5), lambda x: np.pad(x, 1, constant_values=0.5),
     lambda x: _torch_pad(x, 1, value=0.5), ((2, 3, 2),))
case("pad.one_pair", lambda x: gl.pad(x, ((2, 0),)), lambda x: np.pad(x, ((2, 0),)),
     lambda x: _torch_pad(x, ((2, 0),)), ((2, 3),))
case("broadcast_to.column", lambda x: gl.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)),
     lambda x: x.broadcast_to((2, 3, 4)), ((3, 1),))
case("broadcast_to.method_row", lambda x: x.broadcast_to((3, 4)), lambda x: np.broadcast_to(x, (3, 4)),
     lambda x: x.expand(3, 4), ((4,),))
case("broadcast_to.scalar", lambda x: gl.broadcast_to(x, 2, 2), lambda x: np.broadcast_to(x, (2, 2)),
     lambda x: x.expand(2, 2), ((),))

# -- matmul ----------------------------------------------------------------------------------------
MATMULS = {
    "2d_2d": ((2, 3), (3, 4)),
    "1d_2d": ((3,), (3, 4)),
    "2d_1d": ((2, 3), (3,)),
    "1d_1d": ((3,), (3,)),
    "3d_2d": ((2, 2, 3), (3, 4)),
    "2d_3d": ((2, 3), (2, 3, 4)),
    "batched_3d_3d": ((2, 2, 3), (2, 3, 4)),
    "batched_broadcast": ((2, 1, 2, 3), (3, 3, 4)),
    "3d_1d": ((2, 2, 3), (3,)),
    "1d_3d": ((3,), (2, 3, 4)),
}
for variant, shapes in MATMULS.items():
    case(f"matmul.{variant}", gl.matmul, np.matmul, lambda a, b: th.matmul(a, b), shapes)
case("matmul.operator", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((2, 3), (3, 4)))
case("matmul.method", lambda a, b: a.matmul(b), np.matmul, lambda a, b: a.matmul(b), ((4, 3), (3,)))
case("matmul.rmatmul_ndarray", lambda b: np.arange(6.0).reshape(2, 3) @ b, lambda b: np.arange(6.0).reshape(2, 3) @ b,
     lambda b: th.arange(6.0, dtype=th.float64).reshape(2, 3) @ b, ((3, 2),))

# -- comparisons: values only, no gradient ---------------------------------------------------------
COMPARISONS = [
    ("lt", gl.lt, lambda a, b: a < b, np.less, lambda a, b: th.lt(a, b)),
    ("le", gl.le, lambda a, b: a <= b, np.less_equal, lambda a, b: th.le(a, b)),
    ("gt", gl.gt, lambda a, b: a > b, np.greater, lambda a, b: th.gt(a, b)),
    ("ge", gl.ge, lambda a, b: a >= b, np.greater_equal, lambda a, b: th.ge(a, b)),
    ("eq", gl.eq, lambda a, b: a == b, np.equal, lambda a, b: th.eq(a, b)),
    ("ne", gl.ne, lambda a, b: a != b, np.not_equal, lambda a, b: th.ne(a, b)),
]
for name, function, operator, numpy_fn, torch_fn in COMPARISONS:
    kw = dict(out_dtype="bool", differentiable=False, gradcheck=False)
    case(f"{name}.same", function, numpy_fn, torch_fn, ((3, 4), (3, 4)), "small_int", **kw)
    case(f"{name}.broadcast", function, numpy_fn, torch_fn, ((3, 1), (4,)), "small_int", **kw)
    case(f"{name}.operator", operator, numpy_fn, torch_fn, ((2, 3), (2, 3)), "small_int", **kw)
    case(f"{name}.const", lambda x, op=operator: op(x, 0.0), lambda x, f=numpy_fn: f(x, 0.0),
         lambda x, op=operator: op(x, 0.0), ((2, 3),), "small_int", **kw)


assert len({c.name for c in CASES}) == len(CASES), "duplicate case names"
IDS = [c.name for c in CASES]
GRAD_CASES = [c for c in CASES if c.differentiable and c.gradcheck]


# -- the three tests -----------------------------------------------------------------------------
def _expected_dtype(case: OpCase, dtype) -> np.dtype:
    if case.out_dtype is None:
        return np.dtype(dtype)
    return np.dtype(bool) if case.out_dtype == "bool" else np.dtype(case.out_dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_numpy(case: OpCase, dtype):
    arrays = [a.astype(dtype) for a in case.make_inputs()]
    tensors = [gl.tensor(a, requires_grad=case.differentiable) for a in arrays]
    assert all(t.dtype == dtype for t in tensors)
    output = case.graphlab_fn(*tensors)
    # the reference: numpy on the same (rounded) numbers, in float64
    expected = np.asarray(case.numpy_fn(*[a.astype(np.float64) for a in arrays]))

    assert isinstance(output, gl.Tensor)
    assert output.dtype == _expected_dtype(case, dtype), f"{case.name}: {dtype.__name__} in, {output.dtype} out"
    assert output.shape == expected.shape
    if case.out_dtype == "bool":
        np.testing.assert_array_equal(output.data, expected)
        assert not output.requires_grad
        with pytest.raises(gl.BackwardError):
            output.backward(np.ones(output.shape))
        return
    low_precision = np.float32 in (np.dtype(dtype), output.dtype)
    rtol, atol = (1e-5, case.atol32) if low_precision else (1e-10, case.atol64)
    np.testing.assert_allclose(output.data.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol)

    # the gradient comes back in each input's own dtype and shape
    assert output.requires_grad
    upstream = np.random.default_rng(1).standard_normal(output.shape).astype(output.dtype)
    output.backward(upstream)
    for tensor in tensors:
        assert tensor.grad is not None
        assert tensor.grad.dtype == dtype and tensor.grad.shape == tensor.shape
        assert np.isfinite(tensor.grad).all()


def _at_least_1d(function):
    """gl.gradcheck cannot yet check a 0-d -> 0-d Jacobian (see test_gradcheck_of_a_scalar_function)."""
    def wrapped(*tensors):
        output = function(*tensors)
        return output.reshape(1) if output.ndim == 0 else output
    return wrapped


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.name for c in GRAD_CASES])
def test_gradients_match_finite_differences(case: OpCase):
    inputs = [gl.tensor(a, dtype=np.float64) for a in case.make_inputs()]
    assert gl.gradcheck(_at_least_1d(case.graphlab_fn), inputs, **case.gradcheck_kw)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case: OpCase):
    torch = pytest.importorskip("torch")
    arrays = case.make_inputs()
    tensors = [gl.tensor(a, dtype=np.float64, requires_grad=case.differentiable) for a in arrays]
    references = [torch.tensor(a, dtype=torch.float64, requires_grad=case.differentiable) for a in arrays]
    output = case.graphlab_fn(*tensors)
    reference = case.torch_fn(*references)

    assert output.shape == tuple(reference.shape)
    expected = reference.detach().numpy()
    if case.out_dtype == "bool":
        assert reference.dtype == torch.bool
        np.testing.assert_array_equal(output.data, expected)
        assert not output.requires_grad
        return
    float32_output = output.dtype == np.float32
    rtol, atol = (1e-6, 1e-6) if float32_output else (1e-10, 1e-12)
    np.testing.assert_allclose(output.data, expected, rtol=rtol, atol=atol)

    upstream = np.random.default_rng(2).standard_normal(output.shape).astype(output.dtype)
    output.backward(upstream)
    reference.backward(torch.from_numpy(upstream))
    for index, (tensor, leaf) in enumerate(zip(tensors, references)):
        assert leaf.grad is not None
        np.testing.assert_allclose(tensor.grad, leaf.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{case.name}: gradient of input {index}")


# -- about the table itself ------------------------------------------------------------------------
def _public_ops() -> set:
    return {name for name, value in vars(graphlab.ops).items()
            if callable(value) and not name.startswith("_") and not isinstance(value, type)
            and not hasattr(value, "__path__")}


def test_table_covers_every_op():
    ops = _public_ops()
    assert {"add", "matmul", "getitem", "where", "astype", "lt", "pad"} <= ops   # the scan itself works
    covered = {c.op for c in CASES}
    assert ops - covered == set(), f"ops without a case: {sorted(ops - covered)}"
    # the required variants exist
    names = set(IDS)
    for required in ["pow.tensor", "pow.rpow_2", "pow.scalar_2", "transpose.no_axes", "transpose.axes",
                     "transpose.T_matrix", "getitem.negative_step", "getitem.index_array_repeated",
                     "getitem.bool_mask", "getitem.none_ellipsis", "matmul.1d_1d", "matmul.batched_broadcast",
                     "add.col_row", "mul.scalar_left"]:
        assert required in names


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_comparison_is_a_mask_without_gradient(name):
    x = gl.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    mask = getattr(gl, name)(x, 0.0)
    assert mask.dtype == np.bool_ and not mask.requires_grad
    # the mask still routes a gradient through where()
    gl.where(mask, x * 2, x * 3).sum().backward()
    expected = np.where(getattr(np, {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                                     "eq": "equal", "ne": "not_equal"}[name])(x.data, 0.0), 2.0, 3.0)
    np.testing.assert_array_equal(x.grad, expected)


def test_sigmoid_is_accurate_in_both_tails():
    """sigmoid(x) must not collapse to 0 where the true value is still a normal float."""
    for dtype, x, expected in [(np.float32, -20.0, 2.0611537e-09), (np.float64, -40.0, 4.248354255291589e-18),
                               (np.float64, -700.0, np.exp(-700.0))]:
        value = gl.sigmoid(gl.tensor(np.array([x, -x], dtype=dtype))).data
        assert value.dtype == dtype
        np.testing.assert_allclose(value, [expected, 1.0], rtol=1e-6)
    x = gl.tensor(np.array([-1000.0, 1000.0]), requires_grad=True)   # no overflow warnings, no NaN
    gl.sigmoid(x).sum().backward()
    assert np.isfinite(x.grad).all()


def test_pow_exponent_gradient_at_zero_base_is_zero():
    """d(0 ** y)/dy is 0 for y > 0 (PyTorch's convention), not 0 * log(0) = NaN."""
    base = gl.tensor(np.array([0.0, 2.0]), requires_grad=True)
    exponent = gl.tensor(np.array([2.0, 3.0]), requires_grad=True)
    (base ** exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0)])
    np.testing.assert_allclose(base.grad, [0.0, 12.0])


OUT_OF_RANGE = {
    "unsqueeze_3": lambda x: x.unsqueeze(3),
    "unsqueeze_-4": lambda x: x.unsqueeze(-4),
    "squeeze_2": lambda x: x.squeeze(2),
    "squeeze_-3": lambda x: x.squeeze(-3),
    "squeeze_0d": lambda x: gl.squeeze(x.reshape(()), 0),
    "flatten_start_2": lambda x: x.flatten(2),
    "flatten_end_-3": lambda x: x.flatten(0, -3),
    "flatten_start_after_end": lambda x: x.flatten(1, 0),
    "transpose_axis_2": lambda x: x.transpose(1, 2),          # 2 would wrap around to 0
    "transpose_axis_-3": lambda x: gl.transpose(x, (-3, 0)),  # -3 would wrap around to 1
    "permute_axis_2": lambda x: x.permute(1, 2),
    "concat_axis_2": lambda x: gl.concat([x, x], axis=2),
    "concat_axis_-3": lambda x: gl.concat([x, x], axis=-3),
    "stack_axis_3": lambda x: gl.stack([x, x], axis=3),
    "stack_axis_-4": lambda x: gl.stack([x, x], axis=-4),
}


@pytest.mark.parametrize("call", OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_out_of_range_axes_are_errors(call):
    """numpy and PyTorch reject these; wrapping the axis around would silently use another one."""
    with pytest.raises(gl.ShapeError, match="out of range|comes after|not a permutation"):
        call(gl.zeros(1, 1))


@pytest.mark.parametrize("call, shape", [
    (lambda x: x.unsqueeze(2), (1, 1, 1)), (lambda x: x.unsqueeze(-3), (1, 1, 1)), (lambda x: x.squeeze(-2), (1,)),
    (lambda x: x.flatten(-2, -1), (1,)), (lambda x: x.transpose(-1, -2), (1, 1)),
    (lambda x: gl.concat([x, x], axis=-2), (2, 1)), (lambda x: gl.stack([x, x], axis=2), (1, 1, 2)),
    (lambda x: gl.stack([x, x], axis=-3), (2, 1, 1)),
], ids=["unsqueeze_2", "unsqueeze_-3", "squeeze_-2", "flatten_-2_-1", "transpose_-1_-2", "concat_-2", "stack_2",
        "stack_-3"])
def test_axes_at_the_ends_of_the_range_are_fine(call, shape):
    assert call(gl.zeros(1, 1)).shape == shape


# -- constants and scalar functions ----------------------------------------------------------
@pytest.mark.parametrize("op, expected", [
    (lambda x: x + 0.1, -1.0 + 0.1), (lambda x: x * 0.1, -0.1), (lambda x: gl.maximum(x, 0.1), 0.1),
    (lambda x: gl.where(np.array([True]), 0.1, x), 0.1),
], ids=["add", "mul", "maximum", "where"])
def test_python_float_constant_keeps_float64_precision(op, expected):
    value = op(gl.tensor(np.array([-1.0]))).data
    assert value.dtype == np.float64 and value[0] == expected


def test_gradcheck_of_a_scalar_function():
    assert gl.gradcheck(lambda x: x.exp(), [gl.tensor(np.array(0.5))])
