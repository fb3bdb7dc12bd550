"""The activations of lecture 6 beyond ReLU (E36): PReLU, SELU, GELU, Maxout.

(ReLU, leaky ReLU, ELU, sigmoid and tanh live in ``elementwise.py``.)

>>> import graphlab as gl
>>> x = gl.tensor([-1.0, 0.0, 2.0], dtype="float64")
>>> gl.functional.selu(x).data.round(6)
array([-1.111331,  0.      ,  2.101402])
>>> gl.functional.gelu(x).data.round(6)
array([-0.158655,  0.      ,  1.9545  ])
"""
from __future__ import annotations

import math

import numpy as np

from graphlab.autodiff.cases import Case, F, th, unary_cases
from graphlab.autodiff.function import Function
from graphlab.ops import dual, params
from graphlab.errors import ShapeError

# -- erf: numpy has none, so the Cephes rational approximations (double precision) ---------------
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _polynomial(coefficients: tuple, x: np.ndarray) -> np.ndarray:
    """Horner's rule, highest power first."""
    result = np.full_like(x, coefficients[0])
    for coefficient in coefficients[1:]:
        result = result * x + coefficient
    return result


def erf(x) -> np.ndarray:
    """The error function elementwise, to double precision (float64 result).

    >>> bool(abs(erf(np.array([0.5]))[0] - math.erf(0.5)) < 1e-15)
    True
    """
    x = np.asarray(x, dtype=np.float64)
    magnitude = np.abs(x)
    small = magnitude < 1.0
    squared = x * x
    inner = x * _polynomial(_ERF_T, squared) / _polynomial(_ERF_U, squared)
    clipped = np.clip(magnitude, 1.0, 30.0)          # erfc underflows to 0 long before 30
    decay = np.exp(-clipped * clipped)
    near = decay * _polynomial(_ERFC_P, clipped) / _polynomial(_ERFC_Q, clipped)
    far = decay * _polynomial(_ERFC_R, clipped) / _polynomial(_ERFC_S, clipped)
    complement = np.where(clipped < 8.0, near, far)
    outer = np.sign(x) * (1.0 - complement)
    return np.where(small, inner, outer)


class Erf(Function):
    """erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, elementwise; d/dx = 2/√π · e^(−x²).

    The exact GELU is x·Φ(x) with Φ(x) = (1 + erf(x/√2)) / 2, so its composed twin needs erf
    as a node; the local is written with ``dual.exp``, so erf can be differentiated again.
    """
    higher_order = True
    elementwise = True
    cases = unary_cases("real", np.vectorize(math.erf, otypes=[float]), lambda x: th.erf(x))

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x).astype(x.dtype)

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return (2 / math.sqrt(math.pi)) * dual.exp(-(x * x))

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        return sym.erf(x)


def _channel_shape(x: np.ndarray, count: int) -> tuple:
    """How a per-channel vector (axis 1) broadcasts against x."""
    if count == 1 or x.ndim < 2:
        return (1,) * max(x.ndim, 1) if x.ndim else ()
    return (1, count) + (1,) * (x.ndim - 2)


def _numpy_prelu(x, weight):
    slope = weight.reshape((1, -1) + (1,) * (x.ndim - 2)) if x.ndim >= 2 else weight
    return np.where(x > 0, x, slope * x)


class PRelu(Function):
    """PReLU: x if x > 0 else a·x, with the slope a learned (one per channel, or one shared)."""
    name = "prelu"
    cases = (
        Case([(2, 3), (3,)], ("nonzero", "real"), numpy=_numpy_prelu, torch=lambda x, weight: F.prelu(x, weight)),
        # on the kink x = 0 the slope a applies (PyTorch's convention)
        Case([(2, 3), (1,)], ("kinks", "real"), variant="shared_kinks", numpy=_numpy_prelu,
             torch=lambda x, weight: F.prelu(x, weight), gradcheck=False),
        Case([(2, 3, 2, 2), (3,)], ("nonzero", "real"), variant="images", numpy=_numpy_prelu,
             torch=lambda x, weight: F.prelu(x, weight)),
    )

    @staticmethod
    def forward(ctx, x, weight):
        count = weight.size
        if weight.ndim != 1 or (count != 1 and (x.ndim < 2 or x.shape[1] != count)):
            channels = x.shape[1] if x.ndim >= 2 else 1
            raise ShapeError(f"prelu: weight of shape {weight.shape} must be (1,) or (channels,) = ({channels},) "
                             f"for input {x.shape}; build PReLU(num_parameters={channels}) or PReLU()")
        positive = x > 0
        slope_shape = _channel_shape(x, count)
        # slope where x <= 0 is a, else 1: blended arithmetically (numpy's where is slow on random masks)
        slope = weight.reshape(slope_shape) + positive * (1 - weight.reshape(slope_shape))
        ctx.save_for_backward(x, slope)
        ctx.positive = positive
        return x * slope

    @staticmethod
    def local(ctx):
        """d out / d x = the slope (1 or a); d out / d a = x where x <= 0, else 0."""
        x, slope = ctx.saved_tensors
        return slope, x * ~ctx.positive

    @staticmethod
    def chain(upstream, local_gradient, index: int):
        """upstream × local; for the slopes, summed over every axis but the channel axis 1 (one
        slope serves a whole channel, so its gradient collects the channel's elements; the engine
        sums the channels too when the slope is shared)."""
        downstream = upstream * local_gradient
        if index == 1 and downstream.ndim >= 2:
            return downstream.sum(axis=(0,) + tuple(range(2, downstream.ndim)))
        return downstream

    @staticmethod
    def composed(ctx, x, weight):
        """x where x > 0, else x·a, as a ``where`` node: create_graph=True differentiates it."""
        from graphlab.ops import composed
        return composed.prelu(x, weight)

    @staticmethod
    def symbolic(x, weight):
        from graphlab.verify import sym
        slope = weight.reshape(_channel_shape(x, weight.size))
        return sym.elementwise(lambda value, a: sym.Piecewise((value, value > 0), (a * value, True)), [x, slope], {})


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _numpy_selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


class Selu(Function):
    """SELU: λ·x for x > 0, λ·α·(e^x - 1) otherwise; the constants make activations self-normalizing."""
    name = "selu"
    elementwise = True
    cases = (
        Case([(2, 3)], "nonzero", numpy=_numpy_selu, torch=lambda x: F.selu(x)),
        Case([(3, 2)], "kinks", variant="kinks", numpy=_numpy_selu, torch=lambda x: F.selu(x), gradcheck=False),
    )

    @staticmethod
    def forward(ctx, x):
        positive = ~(x <= 0)          # slope λ at NaN, as PyTorch (only x <= 0 takes λαe^x)
        negative = SELU_SCALE * SELU_ALPHA * np.expm1(np.minimum(x, 0))
        output = np.where(positive, SELU_SCALE * x, negative)
        ctx.save_for_backward(positive, output)
        return output

    @staticmethod
    def local(ctx):
        positive, output = ctx.saved_tensors
        return np.where(positive, SELU_SCALE, output + SELU_SCALE * SELU_ALPHA)   # λαe^x = out + λα

    @staticmethod
    def composed(ctx, x):
        """λ·x, or λ·α·(e^x − 1), chosen by a ``where``: create_graph=True differentiates it."""
        from graphlab.ops import composed
        return composed.selu(x)

    @staticmethod
    def symbolic(x):
        from graphlab.verify import sym
        scale, alpha = sym.number(SELU_SCALE), sym.number(SELU_ALPHA)
        return sym.Piecewise((scale * x, x > 0), (scale * alpha * (sym.exp(x) - 1), True))


def _numpy_gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


class Gelu(Function):
    """GELU: x·Φ(x), Φ the standard normal CDF (exact, with erf), or the tanh approximation."""
    name = "gelu"
    elementwise = True
    approximate = "none"       # forward's default: ctx.approximate when a call leaves it out
    cases = (
        Case([(2, 3)], numpy=_numpy_gelu, torch=lambda x: F.gelu(x)),
        Case([(2, 3)], params=dict(approximate="tanh"), variant="tanh", numpy=_numpy_gelu,
             torch=lambda x, approximate: F.gelu(x, approximate=approximate)),
    )

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.save_for_backward(x)
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1 + np.tanh(inner))
        return (0.5 * x * (1 + erf(x * math.sqrt(0.5)))).astype(x.dtype)

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            tanh = np.tanh(k * (x + 0.044715 * x ** 3))
            return 0.5 * (1 + tanh) + 0.5 * x * (1 - tanh * tanh) * k * (1 + 3 * 0.044715 * x * x)
        cdf = 0.5 * (1 + erf(x * math.sqrt(0.5)))
        density = np.exp(-0.5 * x.astype(np.float64) ** 2) / math.sqrt(2 * math.pi)
        return (cdf + x * density).astype(x.dtype)

    @staticmethod
    def composed(ctx, x):
        """x·Φ(x) with ``erf`` (or the tanh form) as primitive ops: create_graph=True
        differentiates this twin."""
        from graphlab.ops import composed
        return composed.gelu_tanh(x) if ctx.approximate == "tanh" else composed.gelu(x)

    @staticmethod
    def symbolic(x, approximate="none"):
        from graphlab.verify import sym
        if approximate == "tanh":
            return x / 2 * (1 + sym.tanh(sym.sqrt(2 / sym.pi) * (x + sym.number(0.044715) * x ** 3)))
        return x / 2 * (1 + sym.erf(x / sym.sqrt(2)))          # x Φ(x)


def _numpy_maxout(x, pieces=2, axis=1):
    axis = axis % x.ndim
    return x.reshape(x.shape[:axis] + (-1, pieces) + x.shape[axis + 1:]).max(axis=axis + 1)


def _torch_maxout(x, pieces=2, axis=1):
    axis = axis % x.ndim
    return x.unflatten(axis, (-1, pieces)).amax(dim=axis + 1)


class Maxout(Function):
    """Maxout over groups of ``pieces`` consecutive features on ``axis``:
    (N, C·pieces, ...) -> (N, C, ...). Gate pattern: router (first maximum wins a tie)."""
    name = "maxout"
    pieces = 2                 # forward's default: ctx.pieces when a call leaves it out
    param_checks = dict(pieces=params.integer(low=1), axis=params.axis(allow_none=False, allow_tuple=False))
    cases = (
        Case([(2, 4)], "distinct", params=dict(pieces=2), numpy=_numpy_maxout, torch=_torch_maxout),
        Case([(1, 2, 3)], "distinct", params=dict(pieces=3, axis=-1), variant="axis_last", numpy=_numpy_maxout,
             torch=_torch_maxout),
    )
    pattern = "router"

    @staticmethod
    def forward(ctx, x, pieces=2, axis=1):
        axis = axis % x.ndim if x.ndim else 0
        if x.ndim == 0 or x.shape[axis] % pieces:
            raise ShapeError(f"maxout: axis {axis} of shape {x.shape} must be divisible by pieces={pieces}; "
                             f"the layer before must output pieces x features")
        grouped = x.reshape(x.shape[:axis] + (x.shape[axis] // pieces, pieces) + x.shape[axis + 1:])
        winner = np.argmax(grouped, axis=axis + 1)
        ctx.group_axis = axis
        ctx.save_for_backward(winner)
        return np.take_along_axis(grouped, np.expand_dims(winner, axis + 1), axis=axis + 1).squeeze(axis + 1)

    @staticmethod
    def backward(ctx, upstream):
        (winner,) = ctx.saved_tensors
        axis = ctx.group_axis
        positions = np.arange(ctx.pieces).reshape((1,) * (axis + 1) + (ctx.pieces,) + (1,) * (upstream.ndim - axis - 1))
        chosen = np.expand_dims(winner, axis + 1) == positions
        downstream = np.expand_dims(upstream, axis + 1) * chosen
        return downstream.reshape(ctx.inputs[0].shape)

    @staticmethod
    def composed(ctx, x):
        """Each group's winner picked out of the grouped input (``getitem``), the first maximum
        on a tie as this node routes it (``max`` would share a tie's gradient)."""
        from graphlab import ops
        (winner,) = ctx.saved_tensors
        axis, shape = ctx.group_axis, x.shape
        grouped = ops.reshape(x, shape[:axis] + (shape[axis] // ctx.pieces, ctx.pieces) + shape[axis + 1:])
        index = list(np.indices(winner.shape, sparse=True))
        index.insert(axis + 1, winner)                  # the piece that won, per output element
        return ops.getitem(grouped, tuple(index))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return (f"{terms.up} routed to the max of each group of {ctx.pieces} along axis {ctx.group_axis} "
                f"(0 elsewhere)")

    @staticmethod
    def symbolic(x, pieces=2, axis=1):
        from graphlab.verify import sym
        axis = axis % x.ndim
        grouped = x.reshape(x.shape[:axis] + (x.shape[axis] // pieces, pieces) + x.shape[axis + 1:])
        return sym.reduce(grouped, axis + 1, False, sym.Max)
