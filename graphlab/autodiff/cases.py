"""Test cases that an op declares next to its code: one form for every check.

An op lists its cases on the class::

    class LeakyRelu(Function):
        cases = (
            Case([(2, 3)], "nonzero", params=dict(negative_slope=0.2),
                 numpy=lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
                 torch=lambda x, negative_slope: F.leaky_relu(x, negative_slope)),
            Case([(3, 2)], "kinks", variant="kinks", params=dict(negative_slope=0.2), gradcheck=False),
        )

and one generic test (``tests/ops/test_cases.py``) runs every check from that line: values
against the ``numpy`` reference in float32 and float64, float64 finite differences
(``gl.gradcheck``), values and gradients against PyTorch (``torch``, when it is installed),
the exact Jacobian of the SymPy twin (``gl.verify.op``), and ``backward == upstream × local``.
``graphlab verify`` reads the same cases.

Values come from :data:`DOMAINS`, one set for every check. They are small multiples of 1/4 or
1/8, so float64 holds them exactly and SymPy gets the very numbers the engine saw.
"""
from __future__ import annotations

import dataclasses
import importlib
import zlib
from fractions import Fraction
from typing import Any, Callable, Optional

import numpy as np


class _LazyModule:
    """A module imported on first attribute access: case tables name ``th.relu`` or
    ``F.conv2d`` without importing torch (``import graphlab`` never does)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("__"):   # introspection (pytest, copy) must not import torch
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)


th = _LazyModule("torch")
F = _LazyModule("torch.nn.functional")


@dataclasses.dataclass(frozen=True)
class Case:
    """One check of an op: inputs of ``shapes`` drawn from ``domain``, and ``params``.

    ``call`` is how a user spells it (an operator, a method, a public function) when that
    is what the case is about; by default the case runs ``Op.apply(*inputs, **params)``.
    ``numpy(*arrays, **params)`` and ``torch(*tensors, **params)`` are references written
    independently of graphlab. ``gradcheck=False`` marks a case that sits on a kink or a tie
    on purpose (no finite difference exists there; PyTorch's convention is the oracle).
    """
    shapes: tuple
    domain: Any = "real"             # a DOMAINS key for every input, or a tuple with one per input
    params: dict = dataclasses.field(default_factory=dict)
    variant: str = ""
    call: Optional[Callable] = None
    numpy: Optional[Callable] = None
    torch: Optional[Callable] = None
    gradcheck: bool = True
    symbolic: Optional[bool] = None  # checked with SymPy; None: when the case calls the op itself
    out_dtype: Any = None            # None: the inputs' dtype
    atol32: float = 1e-5
    atol64: float = 1e-12
    gradcheck_kw: dict = dataclasses.field(default_factory=dict)
    op: Any = None                   # the Function class, filled in when the class is defined

    def __post_init__(self):
        object.__setattr__(self, "shapes", tuple(tuple(shape) for shape in self.shapes))
        domains = self.domains()
        if len(domains) != len(self.shapes):
            raise ValueError(f"Case: {len(domains)} domains for {len(self.shapes)} input shapes")
        for domain in domains:
            if domain not in DOMAINS:
                raise ValueError(f"Case: unknown domain {domain!r}; use one of {sorted(DOMAINS)}")

    @property
    def label(self) -> str:
        """``"<op>.<variant>"`` (the op's public name alone for its default case)."""
        name = self.op.name if self.op is not None else "?"
        return f"{name}.{self.variant}" if self.variant else name

    @property
    def checks_symbolic(self) -> bool:
        return self.call is None if self.symbolic is None else self.symbolic

    def domains(self) -> tuple:
        return self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)

    def inputs(self, seed: Optional[int] = None) -> list:
        """Float64 (or bool) input arrays, the same on every run (seeded by the label)."""
        return make_inputs(self.domains(), self.shapes, zlib.crc32(self.label.encode()) if seed is None else seed)

    def run(self, *tensors):
        """The case's output for these inputs: ``call`` or the op itself."""
        if self.call is not None:
            return self.call(*tensors, **self.params)
        return self.op.apply(*tensors, **self.params)

    def bind(self, op_class) -> "Case":
        return dataclasses.replace(self, op=op_class)


def _multiples(rng, shape, low: float, high: float, step: float, exclude_zero: bool = False):
    """Multiples of ``step`` in [low, high]: exact in binary floating point."""
    choices = np.arange(round(low / step), round(high / step) + 1)
    if exclude_zero:
        choices = choices[choices != 0]
    return rng.choice(choices, size=shape) * step


def _odd_eighths(rng, shape, limit: int = 6):
    """Odd multiples of 1/8 in (-limit/4, limit/4): never on a multiple of 1/4 (the clip bounds)."""
    return (2 * rng.integers(-limit, limit, size=shape) + 1) / 8


#: domain name -> function(rng, shape) giving a float64 (or bool) array of exact values
DOMAINS = {
    "real": lambda rng, shape: _multiples(rng, shape, -2, 2, 0.25),
    # |x| >= 1/4: away from 0, the kink of abs/relu/leaky_relu/elu and the pole of 1/x
    "nonzero": lambda rng, shape: _multiples(rng, shape, -2, 2, 0.25, exclude_zero=True),
    "positive": lambda rng, shape: _multiples(rng, shape, 0.5, 2.5, 0.25),     # log, sqrt, pow bases
    "exponent": lambda rng, shape: _multiples(rng, shape, -1.5, 1.5, 0.25),
    "clip_safe": _odd_eighths,                                                  # 1/8 from the bounds ±1/2
    # exactly on the kinks: 0 and the clip bounds ±1/2 (where the engine's conventions live)
    "kinks": lambda rng, shape: rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], size=shape),
    "ties": lambda rng, shape: rng.choice([-1.0, 0.0, 1.0], size=shape),       # ties on purpose
    "wide": lambda rng, shape: _multiples(rng, shape, -40, 40, 0.25),          # far tails of sigmoid
    "huge": lambda rng, shape: _multiples(rng, shape, -800, 800, 0.25),        # exp overflows without a shift
    "bool": lambda rng, shape: rng.random(size=shape) < 0.5,
    # drawn for all of a case's "distinct" inputs at once: no two values tie (max, maximum, pooling)
    "distinct": None,
}


def make_inputs(domains: tuple, shapes: tuple, seed: int) -> list:
    """Exact input arrays for one case (float64, or bool for masks)."""
    rng = np.random.default_rng(seed)
    distinct_count = sum(int(np.prod(shape, dtype=np.int64)) for shape, domain in zip(shapes, domains)
                         if domain == "distinct")
    # odd multiples of 1/8, all different and 1/4 apart: a finite difference never crosses a tie
    pool = list(rng.permutation(np.arange(-distinct_count, distinct_count))[:distinct_count])
    arrays = []
    for shape, domain in zip(shapes, domains):
        if domain == "distinct":
            size = int(np.prod(shape, dtype=np.int64))
            taken, pool = pool[:size], pool[size:]
            arrays.append(((2 * np.asarray(taken, dtype=np.float64) + 1) / 8).reshape(shape))
        else:
            arrays.append(np.asarray(DOMAINS[domain](rng, shape)))
    return arrays


def exact(array) -> np.ndarray:
    """An input array as exact numbers for SymPy: an object array of Fractions (bools stay bools)."""
    array = np.asarray(array)
    if array.dtype == bool:
        return array
    return np.vectorize(lambda value: Fraction(float(value)), otypes=[object])(array)


def unary_cases(domain: str, numpy: Callable, torch: Callable, method: Optional[Callable] = None) -> tuple:
    """The cases every unary elementwise op is checked on: a (2, 3) matrix, a 0-d scalar, and,
    when the op has a Tensor method (``x.exp()``), that spelling on a (3, 1, 2) tensor."""
    spellings = [Case([(2, 3)], domain, numpy=numpy, torch=torch),
                 Case([()], domain, variant="scalar", numpy=numpy, torch=torch)]
    if method is not None:
        spellings.append(Case([(3, 1, 2)], domain, variant="method", call=method, numpy=numpy, torch=torch))
    return tuple(spellings)
