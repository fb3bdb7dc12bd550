"""The verification table: for every built-in op, small input shapes, the domain their values
come from, and the op's parameters. ``gl.verify.op``, ``graphlab verify`` and the tests read it.

Shapes stay small on purpose: SymPy differentiates every output element with respect to every
input element, so the work grows with (output size) × (input size). An op that normally runs on
large tensors (conv, pooling) is verified here on a few elements; its code is the same.

A new op gets a ``symbolic`` twin next to its forward and a line in ``CASES`` below, or a
``verify_cases`` attribute on its class (a list of ``dict(shapes=..., params=..., domain=...,
variant=...)``) for op families that keep everything in their own file;
``tests/verify/test_verify_ops.py`` fails until it has both (or a written reason in ``EXEMPT``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class Case:
    """One verification of an op: ``op.apply(*inputs, **params)`` on inputs of ``shapes``."""
    op: str                          # the op's registry name (``Function.name``)
    shapes: tuple                    # one shape per input
    domain: object = "real"          # a DOMAINS key for all inputs, or a tuple with one per input
    params: dict = field(default_factory=dict)
    variant: str = ""                # what this case adds ("broadcast", "kinks", ...)

    @property
    def label(self) -> str:
        return f"{self.op}.{self.variant}" if self.variant else self.op

    def domains(self) -> tuple:
        return self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)


def _quarters(rng, shape, low, high, exclude_zero=False):
    """Multiples of 1/4 in [low, high]: exact in binary floating point, so float64 holds them exactly."""
    choices = [k for k in range(int(low * 4), int(high * 4) + 1) if not (exclude_zero and k == 0)]
    return np.vectorize(lambda k: Fraction(int(k), 4), otypes=[object])(rng.choice(choices, size=shape))


def _from(values):
    return lambda rng, shape: np.vectorize(Fraction, otypes=[object])(rng.choice(values, size=shape))


#: domain name -> function(rng, shape) giving an object array of Fractions (or bools)
DOMAINS = {
    "real": lambda rng, shape: _quarters(rng, shape, -2, 2),
    "nonzero": lambda rng, shape: _quarters(rng, shape, -2, 2, exclude_zero=True),   # away from kinks and poles
    "positive": lambda rng, shape: _quarters(rng, shape, 0.25, 2.5),                 # log, sqrt, pow bases
    "exponent": lambda rng, shape: _quarters(rng, shape, -1.5, 1.5),
    # odd multiples of 1/8: never on the clip bounds (multiples of 1/4)
    "clip_safe": lambda rng, shape: np.vectorize(lambda k: Fraction(2 * int(k) + 1, 8), otypes=[object])(
        rng.integers(-6, 6, size=shape)),
    # exactly on the kinks: 0 and the clip bounds ±1/2 (where the engine's conventions live)
    "kinks": _from([-1, Fraction(-1, 2), 0, Fraction(1, 2), 1]),
    "ties": _from([-1, 0, 1]),
    "bool": lambda rng, shape: rng.random(size=shape) < 0.5,
}
#: "distinct" is drawn for all of a case's inputs at once, so no two values tie (max, min, maximum)
DISTINCT = "distinct"


def make_values(case_domains: tuple, shapes: tuple, seed: int) -> list:
    """Exact input values (object arrays of Fractions, or bool arrays) for a case."""
    rng = np.random.default_rng(seed)
    distinct_count = sum(int(np.prod(shape, dtype=np.int64)) for shape, domain in zip(shapes, case_domains)
                         if domain == DISTINCT)
    pool = list(rng.permutation(np.arange(-distinct_count, distinct_count))[:distinct_count])
    values = []
    for shape, domain in zip(shapes, case_domains):
        if domain == DISTINCT:
            size = int(np.prod(shape, dtype=np.int64))
            taken, pool = pool[:size], pool[size:]
            values.append(np.array([Fraction(2 * int(k) + 1, 8) for k in taken], dtype=object).reshape(shape))
        elif domain in DOMAINS:
            values.append(DOMAINS[domain](rng, shape))
        else:
            raise KeyError(f"verify: unknown domain {domain!r}; use one of {sorted(DOMAINS) + [DISTINCT]}")
    return values


CASES: list = []


def case(op, shapes, domain="real", variant="", **params):
    CASES.append(Case(op, tuple(tuple(shape) for shape in shapes), domain, params, variant))


# -- elementwise --------------------------------------------------------------------------------
case("add", [(2, 3), (2, 3)])
case("add", [(2, 1), (3,)], variant="broadcast")
case("sub", [(2, 3), (2, 3)])
case("sub", [(), (3,)], variant="broadcast_scalar")
case("mul", [(2, 3), (2, 3)])
case("mul", [(3, 1), (1, 2)], variant="broadcast")
case("div", [(2, 3), (2, 3)], ("real", "nonzero"))
case("div", [(2, 3), ()], ("real", "nonzero"), variant="broadcast_scalar")
case("pow", [(2, 3)], exponent=3)
case("pow", [(2, 3)], "positive", variant="half", exponent=0.5)
case("pow", [(2, 3)], "positive", variant="negative", exponent=-1.5)
case("pow_tensor", [(2, 3), (2, 3)], ("positive", "exponent"))
case("pow_tensor", [(3, 1), (2,)], ("positive", "exponent"), variant="broadcast")
case("neg", [(2, 3)])
case("exp", [(2, 3)])
case("log", [(2, 3)], "positive")
case("sqrt", [(2, 3)], "positive")
case("abs", [(2, 3)], "nonzero")
case("abs", [(3, 2)], "kinks", variant="kinks")
case("tanh", [(2, 3)])
case("sigmoid", [(2, 3)])
case("relu", [(2, 3)], "nonzero")
case("relu", [(3, 2)], "kinks", variant="kinks")
case("leaky_relu", [(2, 3)], "nonzero", negative_slope=0.2)
case("leaky_relu", [(3, 2)], "kinks", variant="kinks", negative_slope=0.2)
case("elu", [(2, 3)], "nonzero", alpha=0.5)
case("elu", [(3, 2)], "kinks", variant="kinks", alpha=0.5)
case("clip", [(2, 3)], "clip_safe", low=-0.5, high=0.5)
case("clip", [(2, 3)], "clip_safe", variant="low_only", low=-0.5)
case("clip", [(3, 2)], "kinks", variant="kinks", low=-0.5, high=0.5)
case("maximum", [(2, 3), (2, 3)], DISTINCT)
case("maximum", [(3, 1), (2,)], DISTINCT, variant="broadcast")
case("maximum", [(2, 3), (2, 3)], "ties", variant="ties")      # a tie splits: Heaviside(0) = 1/2
case("minimum", [(2, 3), (2, 3)], DISTINCT)
case("minimum", [(2, 3), (2, 3)], "ties", variant="ties")
case("where", [(2, 3), (2, 3), (2, 3)], ("bool", "real", "real"))
case("where", [(2, 3), (3,), ()], ("bool", "real", "real"), variant="broadcast")
case("astype", [(2, 3)], dtype=np.float64)

# -- reductions ---------------------------------------------------------------------------------
case("sum", [(2, 3)])
case("sum", [(2, 3)], variant="axis1_keepdims", axis=1, keepdims=True)
case("sum", [(2, 2, 3)], variant="axes02", axis=(0, 2))
case("mean", [(2, 3)])
case("mean", [(2, 3)], variant="axis0", axis=0)
case("max", [(2, 3)], DISTINCT, axis=1)
case("max", [(2, 3)], DISTINCT, variant="all")
case("min", [(2, 3)], DISTINCT, axis=0)
case("min", [(2, 3)], DISTINCT, variant="all_keepdims", keepdims=True)
case("var", [(2, 3)], axis=1)
case("var", [(2, 3)], variant="all_ddof1", ddof=1)
case("logsumexp", [(2, 3)], axis=1)
case("logsumexp", [(2, 3)], variant="all")
case("softmax", [(2, 3)], axis=-1)
case("softmax", [(2, 3)], variant="axis0", axis=0)
case("log_softmax", [(2, 3)], axis=-1)
case("log_softmax", [(2, 3)], variant="axis0", axis=0)

# -- shapes -------------------------------------------------------------------------------------
case("reshape", [(2, 3)], shape=(3, 2))
case("reshape", [(2, 3)], variant="flat", shape=(-1,))
case("transpose", [(2, 3)], axes=None)
case("transpose", [(2, 3, 2)], variant="axes", axes=(1, 0, 2))
case("broadcast_to", [(3, 1)], shape=(2, 3, 2))
case("broadcast_to", [()], variant="scalar", shape=(2, 2))
case("getitem", [(4, 3)], index=(slice(1, 3), np.array([0, 2])))
case("getitem", [(4, 3)], variant="repeated", index=np.array([0, 2, 0]))
case("getitem", [(2, 3)], variant="mask", index=np.array([[True, False, True], [False, True, True]]))
case("getitem", [(4,)], variant="negative_step", index=slice(None, None, -2))
case("scatter_add", [(3,)], index=np.array([0, 2, 0]), shape=(4,))
case("concat", [(2, 3), (1, 3)], axis=0)
case("concat", [(2, 1), (2, 2)], variant="axis1", axis=1)
case("stack", [(3,), (3,)], axis=0)
case("stack", [(2, 2), (2, 2)], variant="axis2", axis=2)
case("pad", [(2, 3)], pad_width=((1, 0), (0, 2)), value=0.5)
case("matmul", [(2, 3), (3, 2)])
case("matmul", [(3,), (3, 2)], variant="vector_matrix")
case("matmul", [(2, 3), (3,)], variant="matrix_vector")
case("matmul", [(2, 2, 3), (3, 2)], variant="batched")
case("matmul", [(2, 1, 2, 2), (3, 2, 2)], variant="batch_broadcast")

#: built-in ops that need no symbolic twin, each with the reason
EXEMPT = {
    name: "a comparison: piecewise constant, so its derivative is 0 wherever it exists; "
          "graphlab records it (differentiable = False) and passes no gradient through it"
    for name in ("lt", "le", "gt", "ge", "eq", "ne")
}


def cases_for(op_name: str) -> list:
    """The cases of one op, default first."""
    return [c for c in CASES if c.op == op_name]
