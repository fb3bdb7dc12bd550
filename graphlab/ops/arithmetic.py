"""Arithmetic gates: add, sub, mul, div, pow, neg.

Each op's ``local`` is d out / d input elementwise, the number the lecture writes on the gate;
``Function.backward`` turns it into upstream × local, and the engine sums that back over
broadcast axes. Cases run through the operators too (``a + b``, ``2.5 + x``, ``x ** 2``).
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, th, unary_cases
from graphlab.autodiff import rules
from graphlab.autodiff.function import Function
from graphlab.ops import dual

#: input shapes of the binary gates' broadcasting cases
BROADCASTS = {
    "": ((2, 3), (2, 3)),
    "col_row": ((3, 1), (4,)),          # -> (3, 4)
    "scalar_left": ((), (2, 3)),
    "scalar_right": ((2, 3), ()),
    "batch": ((2, 1, 3), (4, 1)),       # -> (2, 4, 3)
}


def broadcast_cases(numpy, torch, domain="real") -> tuple:
    """One case per BROADCASTS entry: the op itself on inputs of those shapes."""
    return tuple(Case(shapes, domain, variant=variant, numpy=numpy, torch=torch)
                 for variant, shapes in BROADCASTS.items())


class Add(Function):
    """z = x + y. Gate pattern: distributor (both inputs get the upstream gradient)."""
    pattern = "distributor"
    symbol = "+"
    reads_inputs = False   # backward needs no input values: editing them later is harmless
    quiet_numpy = False    # the scalar hot path: see Function.quiet_numpy
    higher_order = True
    elementwise = True
    cases = broadcast_cases(np.add, lambda a, b: th.add(a, b)) + (
        Case([(3, 1), (4,)], variant="operator", call=lambda a, b: a + b, numpy=np.add, torch=lambda a, b: a + b),
        Case([(2, 3)], variant="radd_const", call=lambda x: 2.5 + x, numpy=lambda x: 2.5 + x,
             torch=lambda x: 2.5 + x),
        Case([(2, 3)], variant="ndarray_float64_const", call=lambda x: x + np.array([0.5, -1.0, 2.0]),
             numpy=lambda x: x + np.array([0.5, -1.0, 2.0]),
             torch=lambda x: x + th.tensor([0.5, -1.0, 2.0], dtype=th.float64)),
    )

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def local(ctx):
        x, y = ctx.inputs
        return np.ones_like(x.data), np.ones_like(y.data)

    @staticmethod
    def backward(ctx, upstream):
        # upstream × 1 without multiplying (measured: see Mul.backward); nothing to skip for an
        # input that needs no gradient, and the engine drops what it would get
        return upstream, upstream

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The distributor passes upstream on; a broadcast input (a bias) sums it back."""
        return f"{terms.up}{terms.summed(index)}"

    @staticmethod
    def symbolic(x, y):
        return x + y


class Sub(Function):
    """z = x - y: dz/dx = 1, dz/dy = -1."""
    pattern = "distributor"
    symbol = "-"
    reads_inputs = False   # backward needs no input values: editing them later is harmless
    quiet_numpy = False    # the scalar hot path: see Function.quiet_numpy
    higher_order = True
    elementwise = True
    cases = broadcast_cases(np.subtract, lambda a, b: th.sub(a, b)) + (
        Case([(3, 1), (4,)], variant="operator", call=lambda a, b: a - b, numpy=np.subtract,
             torch=lambda a, b: a - b),
        Case([(2, 3)], variant="rsub_const", call=lambda x: 1.5 - x, numpy=lambda x: 1.5 - x,
             torch=lambda x: 1.5 - x),
        Case([(2, 3)], variant="const", call=lambda x: x - 0.5, numpy=lambda x: x - 0.5, torch=lambda x: x - 0.5),
    )

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def local(ctx):
        x, y = ctx.inputs
        return np.ones_like(x.data), -np.ones_like(y.data)

    @staticmethod
    def backward(ctx, upstream):
        return upstream, (-upstream if ctx.needs_input_grad[1] else None)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"{'-' if index else ''}{terms.up}{terms.summed(index)}"

    @staticmethod
    def symbolic(x, y):
        return x - y


class Mul(Function):
    """z = x * y. Gate pattern: swap multiplier (each input gets upstream × the other input)."""
    pattern = "swap"
    symbol = "*"
    quiet_numpy = False    # the scalar hot path: see Function.quiet_numpy
    higher_order = True
    elementwise = True
    cases = broadcast_cases(np.multiply, lambda a, b: th.mul(a, b)) + (
        Case([(3, 1), (4,)], variant="operator", call=lambda a, b: a * b, numpy=np.multiply,
             torch=lambda a, b: a * b),
        Case([(2, 3)], variant="rmul_const", call=lambda x: 3.0 * x, numpy=lambda x: 3.0 * x,
             torch=lambda x: 3.0 * x),
        Case([(2, 3)], variant="rmul_ndarray", call=lambda x: np.arange(1.0, 4.0) * x,
             numpy=lambda x: np.arange(1.0, 4.0) * x, torch=lambda x: th.arange(1.0, 4.0, dtype=th.float64) * x),
    )

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def local(ctx):
        x, y = ctx.saved_tensors
        return y, x

    @staticmethod
    def backward(ctx, upstream):
        # upstream × local written out: the generic path (local's tuple, then chain per input)
        # made benchmarks/scalar_graph.py's backward 9-11% slower (total 3-6%) at N = 20,000,
        # medians of 21 interleaved runs; Add's override saves 45% of the chain's backward
        # (ctx.needs_input_grad, read straight off the inputs: the property costs 2% of a scalar walk)
        x, y = ctx.saved_tensors
        x_input, y_input = ctx.inputs
        return upstream * y if x_input.requires_grad else None, upstream * x if y_input.requires_grad else None

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The swap multiplier, elementwise: each input gets upstream ⊙ the other input."""
        other = terms.names[1 - index] if terms.shapes[1 - index] == terms.output else terms.term(1 - index)
        return rules.elementwise(terms, index, other)

    @staticmethod
    def symbolic(x, y):
        return x * y


class Div(Function):
    """z = x / y: dz/dx = 1/y, dz/dy = -x/y²."""
    symbol = "/"
    higher_order = True
    elementwise = True
    cases = broadcast_cases(np.divide, lambda a, b: th.div(a, b), ("real", "nonzero")) + (
        Case([(3, 1), (4,)], ("real", "nonzero"), variant="operator", call=lambda a, b: a / b,
             numpy=np.divide, torch=lambda a, b: a / b),
        Case([(2, 3)], "nonzero", variant="rdiv_const", call=lambda x: 2.0 / x, numpy=lambda x: 2.0 / x,
             torch=lambda x: 2.0 / x),
        Case([(2, 3)], variant="const", call=lambda x: x / 4.0, numpy=lambda x: x / 4.0, torch=lambda x: x / 4.0),
    )

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def local(ctx):
        x, y = ctx.saved_tensors
        return 1 / y, -x / (y * y)

    @staticmethod
    def symbolic(x, y):
        return x / y


def _power(base, exponent):
    """numpy's and PyTorch's base ** exponent alike (the reference for both)."""
    return base ** exponent


def _ops():
    """graphlab.ops, for cases spelled with a public function (imported late: it imports this file)."""
    import graphlab.ops
    return graphlab.ops


class Pow(Function):
    """z = base ** exponent: dz/dbase = exponent · base^(exponent-1), dz/dexponent = z ln base.

    A number exponent (``x ** 2``) is a constant input that needs no gradient, so the ln term is
    never computed for it (a negative base makes no NaN). ``Pow.apply(x, exponent=3)``, the
    exponent as a parameter, is how ``gl.verify.op`` and the cases pass a constant exponent.
    """
    symbol = "**"
    higher_order = True
    elementwise = True
    cases = (
        # first, so verify.op("pow") takes two inputs: verify.op merges the first case's params into every call
        Case([(2, 3), (2, 3)], ("positive", "exponent"), numpy=np.power, torch=lambda a, b: a ** b),
        Case([(2, 3)], variant="cube", params=dict(exponent=3), numpy=_power, torch=_power),
        Case([(2, 3)], "positive", variant="half", params=dict(exponent=0.5), numpy=_power, torch=_power),
        Case([(2, 3)], "positive", variant="negative", params=dict(exponent=-1.5), numpy=_power, torch=_power),
        Case([(2, 3)], variant="scalar_2", call=lambda x: x ** 2, numpy=lambda x: x ** 2, torch=lambda x: x ** 2),
        Case([(2, 3)], variant="scalar_3_function", call=lambda x: _ops().pow(x, 3), numpy=lambda x: x ** 3,
             torch=lambda x: th.pow(x, 3)),
        Case([(2, 3)], "positive", variant="scalar_half", call=lambda x: x ** 0.5, numpy=np.sqrt,
             torch=lambda x: x ** 0.5),
        Case([(2, 3)], "positive", variant="scalar_negative", call=lambda x: x ** -1.5, numpy=lambda x: x ** -1.5,
             torch=lambda x: x ** -1.5),
        Case([(2, 3)], "nonzero", variant="scalar_0", call=lambda x: x ** 0, numpy=lambda x: x ** 0,
             torch=lambda x: x ** 0),
        Case([(2, 3)], "positive", variant="numpy_float64_exponent", call=lambda x: x ** np.float64(2.5),
             numpy=lambda x: x ** 2.5, torch=lambda x: x ** 2.5),
        Case([(2, 3), (2, 3)], ("positive", "exponent"), variant="operator", call=lambda a, b: a ** b,
             numpy=np.power, torch=lambda a, b: a ** b),
        Case([(3, 1), (4,)], ("positive", "exponent"), variant="tensor_broadcast", numpy=np.power,
             torch=lambda a, b: th.pow(a, b)),
        Case([(2, 3), ()], ("positive", "exponent"), variant="tensor_scalar_exponent", numpy=np.power,
             torch=lambda a, b: th.pow(a, b)),
        Case([(2, 3)], variant="rpow_2", call=lambda x: 2 ** x, numpy=lambda x: 2.0 ** x, torch=lambda x: 2 ** x),
        Case([(2, 3)], variant="rpow_half", call=lambda x: 0.5 ** x, numpy=lambda x: 0.5 ** x,
             torch=lambda x: 0.5 ** x),
        # a constant array exponent needs no gradient: a negative base must not produce NaNs
        Case([(2, 3)], "nonzero", variant="constant_array_exponent", call=lambda x: x ** np.array([1.0, 2.0, 3.0]),
             numpy=lambda x: x ** np.array([1.0, 2.0, 3.0]),
             torch=lambda x: x ** th.tensor([1.0, 2.0, 3.0], dtype=th.float64)),
    )

    @staticmethod
    def forward(ctx, base, exponent):
        ctx.save_for_backward(base, exponent)
        return base ** exponent

    @staticmethod
    def local(ctx):
        base, exponent = ctx.saved_tensors
        # where the exponent is 0 the slope is 0 (x ** 0 is constant), as in PyTorch, not 0 · 0^-1 = NaN:
        # the base is replaced by 1 there, so no inf is ever formed (nor in a second derivative)
        exponent_values = exponent.data if hasattr(exponent, "creator") else np.asarray(exponent)
        zero_exponent = exponent_values == 0
        if zero_exponent.any():
            base = dual.where(zero_exponent, 1, base)
        base_local = exponent * base ** (exponent - 1)
        if len(ctx.inputs) == 1:                  # Pow.apply(x, exponent=3): a parameter, not an input
            return base_local
        if not ctx.needs_input_grad[1]:           # x ** 2: ln x is not needed (nor defined for x < 0)
            return base_local, None
        # at base 0 (exponent >= 0) the slope 0 ** y · ln 0 is taken as 0, as in PyTorch: ln 1 there,
        # not 0 · -inf
        base, exponent = ctx.saved_tensors
        base_input, exponent_input = ctx.inputs
        zero_base = (base_input.data == 0) & (exponent_input.data >= 0)
        log_base = dual.log(dual.where(zero_base, 1, base) if zero_base.any() else base)
        return base_local, base ** exponent * log_base

    @staticmethod
    def symbolic(base, exponent):
        from graphlab.verify import sym
        return base ** sym.number(exponent)     # a parameter exponent (0.5) as the exact number typed


class Neg(Function):
    """z = -x: dz/dx = -1."""
    symbol = "*-1"
    reads_inputs = False   # backward needs no input values: editing them later is harmless
    quiet_numpy = False    # the scalar hot path: see Function.quiet_numpy
    higher_order = True
    elementwise = True
    cases = unary_cases("real", np.negative, lambda x: -x, method=lambda x: -x)

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def local(ctx):
        return -np.ones_like(ctx.inputs[0].data)

    @staticmethod
    def backward(ctx, upstream):
        return -upstream

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"-{terms.up}"

    @staticmethod
    def symbolic(x):
        return -x
