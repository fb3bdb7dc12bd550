"""Elementwise ops: exp/log/sqrt/abs, sin/cos, clone, activations, clip, maximum/minimum, where, astype.

Each op's ``local`` is d out / d input elementwise, the number the lecture writes on the gate;
``Function.backward`` turns it into upstream × local, and the engine sums that back over
broadcast axes. Arithmetic (``+ - * / **``) lives in ``arithmetic.py``, comparisons in
``compare.py``; both are imported back here for older importers.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, F, th, unary_cases
from graphlab.autodiff.function import Function
from graphlab.autodiff.tensor import Tensor
from graphlab.ops import params
from graphlab.ops import dual
# the arithmetic and comparisons are imported back for older importers (``from graphlab.ops.elementwise import Add``)
from graphlab.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub, broadcast_cases  # noqa: F401
from graphlab.ops.compare import Eq, Ge, Gt, Le, Lt, Ne  # noqa: F401


# -- references for the cases, written independently of the ops below ---------------------------
def _np_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _np_leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, negative_slope * x)


def _np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _np_clip(x, low=None, high=None):
    return np.clip(x, low, high)


def _torch_clamp(x, low=None, high=None):
    return th.clamp(x, min=low, max=high)


def _np_where(condition, a, b):
    return np.where(np.asarray(condition, dtype=bool), a, b)


def _torch_where(condition, a, b):
    return th.where(condition.bool(), a, b)


def _np_astype(x, dtype):
    return x.astype(dtype)


def _torch_astype(x, dtype):
    return x.to(getattr(th, np.dtype(dtype).name))


def _ops():
    """graphlab.ops, for cases spelled with a public function (imported late: it imports this file)."""
    import graphlab.ops
    return graphlab.ops


class Exp(Function):
    """z = e^x: the local gradient is the output itself."""
    higher_order = True
    elementwise = True
    cases = unary_cases("real", np.exp, lambda x: th.exp(x), method=lambda x: x.exp())

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
    def symbolic(x):
        from graphlab.verify import sym
        return sym.exp(x)


class Log(Function):
    """z = ln x: dz/dx = 1/x."""
    higher_order = True
    elementwise = True
    cases = (
        *unary_cases("positive", np.log, lambda x: th.log(x), method=lambda x: x.log()),
        # log of sigmoid in its far tails: finite only if sigmoid keeps full relative precision there
        Case([(3, 4)], "wide", variant="of_sigmoid_tails", call=lambda x: Log.apply(Sigmoid.apply(x)),
             numpy=lambda x: np.log(_np_sigmoid(x)), torch=lambda x: th.log(th.sigmoid(x))),
    )

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return 1 / x

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.log(x)


class Sqrt(Function):
    """z = √x: dz/dx = 1 / (2√x)."""
    higher_order = True
    elementwise = True
    cases = unary_cases("positive", np.sqrt, lambda x: th.sqrt(x), method=lambda x: x.sqrt())

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
    def symbolic(x):
        from graphlab.verify import sym
        return sym.sqrt(x)


class Abs(Function):
    """z = |x|: dz/dx = sign(x) (0 at 0, as in PyTorch)."""
    higher_order = True
    elementwise = True
    cases = (
        *unary_cases("nonzero", np.abs, lambda x: th.abs(x), method=lambda x: abs(x)),
        # on the kink: |x|'(0) = 0, as PyTorch and SymPy's sign(0)
        Case([(3, 4)], "kinks", variant="kinks", numpy=np.abs, torch=lambda x: th.abs(x), gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.nan_to_num(np.sign(x), nan=0.0))   # |x|'(NaN) = 0, as PyTorch's sgn
        return np.abs(x)

    @staticmethod
    def local(ctx):
        (sign,) = ctx.saved_tensors
        return sign

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.Abs(x)       # d|x|/dx = sign(x), and SymPy's sign(0) = 0 too


class Tanh(Function):
    """z = tanh x: dz/dx = 1 - z²."""
    higher_order = True
    elementwise = True
    cases = unary_cases("real", np.tanh, lambda x: th.tanh(x), method=lambda x: x.tanh())

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
    def symbolic(x):
        from graphlab.verify import sym
        return sym.tanh(x)


def _sin(value):
    """sin of an array or (under create_graph) a Tensor, so local() works for both."""
    return value.sin() if isinstance(value, Tensor) else np.sin(value)


def _cos(value):
    return value.cos() if isinstance(value, Tensor) else np.cos(value)


class Sin(Function):
    """z = sin x: dz/dx = cos x."""
    higher_order = True
    elementwise = True
    cases = unary_cases("real", np.sin, lambda x: th.sin(x), method=lambda x: x.sin())

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return _cos(x)

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.sin(x)


class Cos(Function):
    """z = cos x: dz/dx = -sin x."""
    higher_order = True
    elementwise = True
    cases = unary_cases("real", np.cos, lambda x: th.cos(x), method=lambda x: x.cos())

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return -_sin(x)

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.cos(x)


class Clone(Function):
    """z = x, in a new array (PyTorch's clone): dz/dx = 1, the gradient passes unchanged."""
    symbol = "clone"
    reads_inputs = False   # backward needs no input values
    higher_order = True
    elementwise = True
    cases = (
        *unary_cases("real", np.copy, lambda x: x.clone(), method=lambda x: x.clone()),
        Case([(3, 4)], variant="function", call=lambda x: _ops().clone(x), numpy=np.copy,
             torch=lambda x: th.clone(x)),
    )

    @staticmethod
    def forward(ctx, x):
        return np.array(x, copy=True)

    @staticmethod
    def local(ctx):
        return np.ones_like(ctx.inputs[0].data)

    @staticmethod
    def backward(ctx, upstream):
        return upstream

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return terms.up

    @staticmethod
    def symbolic(x):
        return x


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^-x), fused: dσ/dx = (1 - σ) σ (lecture 4's sigmoid gate)."""
    higher_order = True
    elementwise = True
    symbol = "σ"
    cases = (
        *unary_cases("real", _np_sigmoid, lambda x: th.sigmoid(x), method=lambda x: x.sigmoid()),
        # far tails: sigmoid(-40) = 4.2e-18 is a normal float64 (and sigmoid(-20) = 2.1e-9 a normal
        # float32): it must come out with full *relative* precision, or log(sigmoid(x)) becomes -inf
        Case([(3, 4)], "wide", variant="tails", numpy=_np_sigmoid, torch=lambda x: th.sigmoid(x),
             atol32=0.0, atol64=0.0),
    )

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
    def symbolic(x):
        from graphlab.verify import sym
        return 1 / (1 + sym.exp(-x))   # the composed formula the fused gate must equal


class Relu(Function):
    """max(0, x): local gradient 1 where x > 0, else 0 (a diagonal Jacobian, never built)."""
    pattern = "router"
    higher_order = True
    elementwise = True
    cases = (
        *unary_cases("nonzero", lambda x: np.maximum(x, 0), lambda x: th.relu(x), method=lambda x: x.relu()),
        # on the kink: relu'(0) = 0, as PyTorch
        Case([(3, 4)], "kinks", variant="kinks", numpy=lambda x: np.maximum(x, 0), torch=lambda x: th.relu(x),
             gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x):
        output = np.maximum(x, 0)
        # the output, which the graph keeps anyway, rather than a mask as large as it: a CNN's
        # ReLUs then hold no extra copy of their activations until backward
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def local(ctx):
        # output > 0 exactly where x > 0, and NaN where x is NaN: 1 there too, as PyTorch (only
        # x <= 0 blocks). The plain array even under create_graph: the mask is piecewise constant.
        (output,) = ctx._saved
        return (~(output <= 0)).astype(output.dtype)

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.Piecewise((x, x > 0), (0, True))


class LeakyRelu(Function):
    """x if x > 0 else slope·x."""
    higher_order = True
    elementwise = True
    param_checks = dict(negative_slope=params.number())
    cases = (
        *unary_cases("nonzero", _np_leaky_relu, lambda x: F.leaky_relu(x)),
        Case([(2, 3)], "nonzero", variant="slope", params=dict(negative_slope=0.2), numpy=_np_leaky_relu,
             torch=lambda x, negative_slope: F.leaky_relu(x, negative_slope)),
        Case([(3, 2)], "nonzero", variant="function",
             call=lambda x, negative_slope: _ops().leaky_relu(x, negative_slope),
             params=dict(negative_slope=0.2), numpy=_np_leaky_relu,
             torch=lambda x, negative_slope: F.leaky_relu(x, negative_slope)),
        # on the kink: leaky_relu'(0) = slope, as PyTorch
        Case([(3, 4)], "kinks", variant="kinks", params=dict(negative_slope=0.2), numpy=_np_leaky_relu,
             torch=lambda x, negative_slope: F.leaky_relu(x, negative_slope), gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x, negative_slope: float = 0.01):
        ctx.save_for_backward(np.where(x > 0, 1, negative_slope).astype(x.dtype))
        return np.where(x > 0, x, negative_slope * x)

    @staticmethod
    def local(ctx):
        (slope,) = ctx.saved_tensors
        return slope

    @staticmethod
    def symbolic(x, negative_slope: float = 0.01):
        from graphlab.verify import sym
        return sym.Piecewise((x, x > 0), (sym.number(negative_slope) * x, True))


class Elu(Function):
    """x if x > 0 else α(e^x - 1); local 1 or (output + α)."""
    higher_order = True
    elementwise = True
    param_checks = dict(alpha=params.number())
    cases = (
        *unary_cases("nonzero", _np_elu, lambda x: F.elu(x)),
        Case([(2, 3)], "nonzero", variant="alpha", params=dict(alpha=0.5), numpy=_np_elu,
             torch=lambda x, alpha: F.elu(x, alpha=alpha)),
        Case([(3, 2)], "nonzero", variant="function", call=lambda x, alpha: _ops().elu(x, alpha=alpha),
             params=dict(alpha=0.5), numpy=_np_elu, torch=lambda x, alpha: F.elu(x, alpha=alpha)),
        # on the kink: elu'(0) = alpha, as PyTorch
        Case([(3, 4)], "kinks", variant="kinks", params=dict(alpha=0.5), numpy=_np_elu,
             torch=lambda x, alpha: F.elu(x, alpha=alpha), gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x, alpha: float = 1.0):
        ctx.positive = ~(x <= 0)      # slope 1 at NaN and +inf, as PyTorch (only x <= 0 takes α e^x)
        output = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def local(ctx):
        (output,) = ctx.saved_tensors
        alpha = ctx.params.get("alpha", 1.0)        # forward's default when apply got none
        # where, not positive + (1 - positive)(output + α): at x = inf that would be 0 · inf = NaN
        return dual.where(ctx.positive, np.ones_like(ctx.positive, dtype=ctx.inputs[0].dtype),
                          output + alpha)     # α e^x = output + α for x <= 0

    @staticmethod
    def symbolic(x, alpha: float = 1.0):
        from graphlab.verify import sym
        return sym.Piecewise((x, x > 0), (sym.number(alpha) * (sym.exp(x) - 1), True))


class Clip(Function):
    """Clamp to [low, high]; local 1 inside (bounds included, as PyTorch's clamp), 0 outside."""
    higher_order = True
    elementwise = True
    param_checks = dict(low=params.number(allow_none=True), high=params.number(allow_none=True))
    cases = (
        Case([(3, 4)], "clip_safe", params=dict(low=-0.5, high=0.5), numpy=_np_clip, torch=_torch_clamp),
        Case([(3, 4)], "clip_safe", variant="function", call=lambda x: _ops().clip(x, -0.5, 0.5),
             numpy=lambda x: np.clip(x, -0.5, 0.5), torch=lambda x: th.clamp(x, -0.5, 0.5)),
        Case([(3, 4)], "clip_safe", variant="min_only", params=dict(low=-0.5), numpy=_np_clip, torch=_torch_clamp),
        Case([(3, 4)], "clip_safe", variant="max_only", call=lambda x: x.clip(max=0.5),
             numpy=lambda x: np.minimum(x, 0.5), torch=lambda x: th.clamp(x, max=0.5)),
        # on the bounds: clamp' = 1 there, as PyTorch
        Case([(3, 4)], "kinks", variant="kinks", params=dict(low=-0.5, high=0.5), numpy=_np_clip,
             torch=_torch_clamp, gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x, low=None, high=None):
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
    symbol = "max"
    cases = (
        *broadcast_cases(np.maximum, lambda a, b: th.maximum(a, b), "distinct"),
        Case([(2, 3)], "clip_safe", variant="method_const", call=lambda x: x.maximum(0.25),
             numpy=lambda x: np.maximum(x, 0.25), torch=lambda x: th.clamp(x, min=0.25)),
        # ties: the gradient is split evenly, as PyTorch (and SymPy: Heaviside(0) = 1/2)
        Case([(3, 4), (3, 4)], "ties", variant="ties", numpy=np.maximum, torch=lambda a, b: th.maximum(a, b),
             gradcheck=False),
    )

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
    def symbolic(x, y):
        from graphlab.verify import sym
        return sym.Max(x, y)    # d/dx = Heaviside(x - y), and SymPy's Heaviside(0) = 1/2: a tie splits too


class Minimum(Function):
    """Elementwise min(x, y). Gate pattern: router (the smaller input gets all the gradient)."""
    pattern = "router"
    higher_order = True
    elementwise = True
    symbol = "min"
    cases = (
        *broadcast_cases(np.minimum, lambda a, b: th.minimum(a, b), "distinct"),
        Case([(3, 1), (4,)], "distinct", variant="method", call=lambda a, b: a.minimum(b), numpy=np.minimum,
             torch=lambda a, b: th.minimum(a, b)),
        Case([(3, 4), (4,)], "ties", variant="ties", numpy=np.minimum, torch=lambda a, b: th.minimum(a, b),
             gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x, y):
        output = np.minimum(x, y)
        dtype = output.dtype
        ctx.save_for_backward(*_route((x < y).astype(dtype), (x == y).astype(dtype)))
        return output

    local = Maximum.local

    @staticmethod
    def symbolic(x, y):
        from graphlab.verify import sym
        return sym.Min(x, y)


class Where(Function):
    """where(condition, a, b): a router driven by a boolean mask (not differentiated)."""
    pattern = "router"
    higher_order = True
    elementwise = True
    cases = (
        Case([(2, 3), (2, 3), (2, 3)], ("bool", "real", "real"), numpy=_np_where, torch=_torch_where),
        Case([(2, 3), (3,), ()], ("bool", "real", "real"), variant="broadcast", numpy=_np_where,
             torch=_torch_where),
        Case([(2, 3), (2, 3)], ("bool", "real"), variant="scalar_branch",
             call=lambda condition, x: _ops().where(condition, x, 0.0),
             numpy=lambda condition, x: _np_where(condition, x, 0.0),
             torch=lambda condition, x: _torch_where(condition, x, 0.0)),
        Case([(3, 1), (4,)], "distinct", variant="comparison_condition", call=lambda a, b: _ops().where(a > b, a, b),
             numpy=lambda a, b: np.where(a > b, a, b), torch=lambda a, b: th.where(a > b, a, b)),
    )

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
    def symbolic(condition, a, b):
        from graphlab.verify import sym
        return sym.Piecewise((a, condition), (b, True))


class Astype(Function):
    """Cast to another dtype; the gradient is cast back to the input's dtype by the engine."""
    higher_order = True
    elementwise = True
    cases = (
        Case([(2, 3)], params=dict(dtype=np.float64), out_dtype=np.float64, numpy=_np_astype, torch=_torch_astype),
        Case([(2, 3)], variant="float32", call=lambda x: x.astype("float32"), out_dtype=np.float32,
             numpy=lambda x: x.astype(np.float32), torch=lambda x: x.to(th.float32), gradcheck_kw=dict(eps=1e-3)),
        Case([(4,)], variant="double_method", call=lambda x: x.double(), out_dtype=np.float64,
             numpy=lambda x: x.astype(np.float64), torch=lambda x: x.double()),
        Case([(4,)], variant="float_method", call=lambda x: x.float(), out_dtype=np.float32,
             numpy=lambda x: x.astype(np.float32), torch=lambda x: x.float(), gradcheck_kw=dict(eps=1e-3)),
    )
    keeps_dtype = False

    @staticmethod
    def forward(ctx, x, dtype=np.float32):
        from graphlab.autodiff.tensor import check_dtype
        return x.astype(check_dtype(dtype, "astype"))

    @staticmethod
    def local(ctx):
        return np.ones_like(ctx.inputs[0].data)

    @staticmethod
    def symbolic(x, dtype=np.float32):
        return x                # a cast changes the precision, not the number


