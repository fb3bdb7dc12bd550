"""Elementwise ops: arithmetic, exp/log, activations, clip, maximum/minimum, where, astype.

Each op's ``local`` is d out / d input elementwise, the number the lecture writes on the
gate; ``backward`` is upstream × local, and the engine sums it back over broadcast axes.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.ops import dual


class Add(Function):
    """z = x + y. Gate pattern: distributor (both inputs get the upstream gradient)."""
    pattern = "distributor"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def local(ctx):
        x, y = ctx.inputs
        return np.ones_like(x.data), np.ones_like(y.data)

    @staticmethod
    def backward(ctx, upstream):
        return upstream, upstream

    @staticmethod
    def symbolic(x, y):
        return x + y


class Sub(Function):
    """z = x - y: dz/dx = 1, dz/dy = -1."""
    pattern = "distributor"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def local(ctx):
        x, y = ctx.inputs
        return np.ones_like(x.data), -np.ones_like(y.data)

    @staticmethod
    def backward(ctx, upstream):
        return upstream, -upstream

    @staticmethod
    def symbolic(x, y):
        return x - y


class Mul(Function):
    """z = x * y. Gate pattern: swap multiplier (each input gets upstream × the other input)."""
    pattern = "swap"
    higher_order = True
    elementwise = True

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
        x, y = ctx.saved_tensors
        return upstream * y, upstream * x

    @staticmethod
    def symbolic(x, y):
        return x * y


class Div(Function):
    """z = x / y: dz/dx = 1/y, dz/dy = -x/y²."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def local(ctx):
        x, y = ctx.saved_tensors
        return 1 / y, -x / (y * y)

    @staticmethod
    def backward(ctx, upstream):
        x, y = ctx.saved_tensors
        return upstream / y, -upstream * x / (y * y)

    @staticmethod
    def symbolic(x, y):
        return x / y


class PowScalar(Function):
    """z = x ** p for a constant p: dz/dx = p x^(p-1)."""
    name = "pow"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, exponent: float):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x ** exponent

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return ctx.exponent * x ** (ctx.exponent - 1)

    @staticmethod
    def backward(ctx, upstream):
        return upstream * PowScalar.local(ctx)

    @staticmethod
    def symbolic(x, exponent: float):
        from graphlab.verify import sym
        return x ** sym.number(exponent)


class Pow(Function):
    """z = x ** y for a tensor exponent: dz/dx = y x^(y-1), dz/dy = z ln x (x > 0)."""
    name = "pow_tensor"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x ** y

    @staticmethod
    def local(ctx):
        x, y = ctx.saved_tensors
        # ln x only where it is defined: an exponent that needs no gradient must not make NaNs
        exponent_local = None
        if ctx.inputs[1].requires_grad:
            # at x = 0 (y >= 0) the slope is 0 ** y · ln 0 -> 0, as in PyTorch: take ln 1 there, not 0 · -inf
            zero_base = (ctx.inputs[0].data == 0) & (ctx.inputs[1].data >= 0)
            log_base = dual.log(dual.where(zero_base, 1, x) if zero_base.any() else x)
            exponent_local = x ** y * log_base
        return y * x ** (y - 1), exponent_local

    @staticmethod
    def backward(ctx, upstream):
        local_x, local_y = Pow.local(ctx)
        return upstream * local_x, None if local_y is None else upstream * local_y

    @staticmethod
    def symbolic(x, y):
        return x ** y


class Neg(Function):
    higher_order = True
    elementwise = True

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
    def symbolic(x):
        return -x


class Exp(Function):
    """z = e^x: the local gradient is the output itself."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        output = np.exp(x)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def local(ctx):
        (output,) = ctx.saved_tensors
        return output

    @staticmethod
    def backward(ctx, upstream):
        (output,) = ctx.saved_tensors
        return upstream * output

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.exp(x)


class Log(Function):
    """z = ln x: dz/dx = 1/x."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return 1 / x

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        return upstream / x

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.log(x)


class Sqrt(Function):
    """z = √x: dz/dx = 1 / (2√x)."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        output = np.sqrt(x)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def local(ctx):
        (output,) = ctx.saved_tensors
        return 0.5 / output

    @staticmethod
    def backward(ctx, upstream):
        (output,) = ctx.saved_tensors
        return upstream * 0.5 / output

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.sqrt(x)


class Abs(Function):
    """z = |x|: dz/dx = sign(x) (0 at 0, as in PyTorch)."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    @staticmethod
    def local(ctx):
        (sign,) = ctx.saved_tensors
        return sign

    @staticmethod
    def backward(ctx, upstream):
        (sign,) = ctx.saved_tensors
        return upstream * sign

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.Abs(x)       # d|x|/dx = sign(x), and SymPy's sign(0) = 0 too


class Tanh(Function):
    """z = tanh x: dz/dx = 1 - z²."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        output = np.tanh(x)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def local(ctx):
        (output,) = ctx.saved_tensors
        return 1 - output * output

    @staticmethod
    def backward(ctx, upstream):
        return upstream * Tanh.local(ctx)

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.tanh(x)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^-x), fused: dσ/dx = (1 - σ) σ (lecture 4's sigmoid gate)."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        # e^-|x| never overflows, and e^x / (1 + e^x) for x < 0 keeps the far left tail exact
        # (0.5 (1 + tanh(x/2)) would round sigmoid(-20) to 0 in float32)
        decay = np.exp(-np.abs(x))
        output = np.where(x >= 0, 1, decay) / (1 + decay)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def local(ctx):
        (output,) = ctx.saved_tensors
        return (1 - output) * output

    @staticmethod
    def backward(ctx, upstream):
        return upstream * Sigmoid.local(ctx)

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return 1 / (1 + sym.exp(-x))   # the composed formula the fused gate must equal


class Relu(Function):
    """max(0, x): local gradient 1 where x > 0, else 0 (a diagonal Jacobian, never built)."""
    pattern = "router"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward((x > 0).astype(x.dtype))
        return np.maximum(x, 0)

    @staticmethod
    def local(ctx):
        (mask,) = ctx.saved_tensors
        return mask

    @staticmethod
    def backward(ctx, upstream):
        (mask,) = ctx.saved_tensors
        return upstream * mask

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.Piecewise((x, x > 0), (0, True))


class LeakyRelu(Function):
    """x if x > 0 else slope·x."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, negative_slope: float = 0.01):
        ctx.negative_slope = negative_slope     # parameters stay on ctx: verify.graph reads them
        ctx.save_for_backward(np.where(x > 0, 1, negative_slope).astype(x.dtype))
        return np.where(x > 0, x, negative_slope * x)

    @staticmethod
    def local(ctx):
        (slope,) = ctx.saved_tensors
        return slope

    @staticmethod
    def backward(ctx, upstream):
        (slope,) = ctx.saved_tensors
        return upstream * slope

    @staticmethod
    def symbolic(x, negative_slope: float = 0.01):
        from graphlab.verify import sym
        return sym.Piecewise((x, x > 0), (sym.number(negative_slope) * x, True))


class Elu(Function):
    """x if x > 0 else α(e^x - 1); local 1 or (output + α)."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, alpha: float = 1.0):
        positive = (x > 0).astype(x.dtype)
        output = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        ctx.save_for_backward(positive, output)
        ctx.alpha = alpha
        return output

    @staticmethod
    def local(ctx):
        positive, output = ctx.saved_tensors
        return positive + (1 - positive) * (output + ctx.alpha)

    @staticmethod
    def backward(ctx, upstream):
        return upstream * Elu.local(ctx)

    @staticmethod
    def symbolic(x, alpha: float = 1.0):
        from graphlab.verify import sym
        return sym.Piecewise((x, x > 0), (sym.number(alpha) * (sym.exp(x) - 1), True))


class Clip(Function):
    """Clamp to [low, high]; local 1 inside (bounds included, as PyTorch's clamp), 0 outside."""
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.low, ctx.high = low, high
        inside = np.ones_like(x)
        if low is not None:
            inside = inside * (x >= low)
        if high is not None:
            inside = inside * (x <= high)
        ctx.save_for_backward(inside)
        return np.clip(x, low, high)

    @staticmethod
    def local(ctx):
        (inside,) = ctx.saved_tensors
        return inside

    @staticmethod
    def backward(ctx, upstream):
        (inside,) = ctx.saved_tensors
        return upstream * inside

    @staticmethod
    def symbolic(x, low=None, high=None):
        from graphlab.verify import sym
        low, high = sym.number(low), sym.number(high)
        pieces = ([(low, x < low)] if low is not None else []) + ([(high, x > high)] if high is not None else [])
        return sym.Piecewise(*pieces, (x, True))


def _route(first_wins, ties):
    """Masks of the max/min gate: the winner gets the gradient, a tie splits it evenly."""
    share_first = first_wins + 0.5 * ties
    return share_first, 1 - share_first


class Maximum(Function):
    """Elementwise max(x, y). Gate pattern: router (the larger input gets all the gradient)."""
    pattern = "router"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, y):
        output = np.maximum(x, y)
        dtype = output.dtype
        ctx.save_for_backward(*_route((x > y).astype(dtype), (x == y).astype(dtype)))
        return output

    @staticmethod
    def local(ctx):
        return ctx.saved_tensors

    @staticmethod
    def backward(ctx, upstream):
        to_x, to_y = ctx.saved_tensors
        return upstream * to_x, upstream * to_y

    @staticmethod
    def symbolic(x, y):
        from graphlab.verify import sym
        return sym.Max(x, y)    # d/dx = Heaviside(x - y), and SymPy's Heaviside(0) = 1/2: a tie splits too


class Minimum(Function):
    """Elementwise min(x, y). Gate pattern: router (the smaller input gets all the gradient)."""
    pattern = "router"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, x, y):
        output = np.minimum(x, y)
        dtype = output.dtype
        ctx.save_for_backward(*_route((x < y).astype(dtype), (x == y).astype(dtype)))
        return output

    local = Maximum.local
    backward = Maximum.backward

    @staticmethod
    def symbolic(x, y):
        from graphlab.verify import sym
        return sym.Min(x, y)


class Where(Function):
    """where(condition, a, b): a router driven by a boolean mask (not differentiated)."""
    pattern = "router"
    higher_order = True
    elementwise = True

    @staticmethod
    def forward(ctx, condition, a, b):
        if condition.dtype.kind != "b":
            condition = condition != 0
        chosen = condition.astype(np.result_type(a, b))
        ctx.save_for_backward(chosen)
        return np.where(condition, a, b)

    @staticmethod
    def local(ctx):
        (chosen,) = ctx.saved_tensors
        return None, chosen, 1 - chosen

    @staticmethod
    def backward(ctx, upstream):
        (chosen,) = ctx.saved_tensors
        return None, upstream * chosen, upstream * (1 - chosen)

    @staticmethod
    def symbolic(condition, a, b):
        from graphlab.verify import sym
        return sym.Piecewise((a, condition), (b, True))


class Astype(Function):
    """Cast to another dtype; the gradient is cast back to the input's dtype by the engine."""
    higher_order = True
    elementwise = True
    keeps_dtype = False

    @staticmethod
    def forward(ctx, x, dtype=np.float32):
        ctx.dtype = dtype
        return x.astype(dtype)

    @staticmethod
    def local(ctx):
        return np.ones_like(ctx.inputs[0].data)

    @staticmethod
    def backward(ctx, upstream):
        return upstream

    @staticmethod
    def symbolic(x, dtype=np.float32):
        return x                # a cast changes the precision, not the number


# -- comparisons: piecewise constant, so they have no gradient (differentiable = False) -------
class Lt(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return x < y


class Le(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return x <= y


class Gt(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return x > y


class Ge(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return x >= y


class Eq(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return x == y


class Ne(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return x != y
