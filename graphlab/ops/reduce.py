"""Reductions with numpy's ``axis``/``keepdims``: sum, mean, max, min, var, logsumexp,
argmax and argmin (where the max/min is: integer indices, no gradient), and the softmax
family (reductions in disguise: each output depends on a whole axis)."""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, th
from graphlab.autodiff import rules
from graphlab.autodiff.function import Function
from graphlab.errors import ParameterError
from graphlab.ops import params
from graphlab.ops import dual


def _count(shape: tuple, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


# -- references for the cases, written independently of the ops below ------------------------
def _dims(x, axis) -> tuple:
    """numpy's ``axis`` as torch's ``dim`` (None: every dimension)."""
    if axis is None:
        return tuple(range(x.ndim))
    return tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)


def _numpy_logsumexp(x, axis=None, keepdims=False):
    shift = np.max(x, axis=axis, keepdims=True)
    output = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return output if keepdims else np.squeeze(output, axis=axis)


def _numpy_softmax(x, axis=-1):
    powers = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return powers / powers.sum(axis=axis, keepdims=True)


def _numpy_log_softmax(x, axis=-1):
    return x - _numpy_logsumexp(x, axis=axis, keepdims=True)


def _axis_label(axis, keepdims: bool) -> str:
    text = "None" if axis is None else str(axis).replace(" ", "")
    return f"axis={text}{'_keepdims' if keepdims else ''}"


def _over_axes(domain: str, numpy, torch, **extra) -> tuple:
    """Every axis/keepdims combination on a (2, 3, 4) input: all, first, last, a tuple."""
    return tuple(Case([(2, 3, 4)], domain, params=dict(axis=axis, keepdims=keepdims),
                      variant=_axis_label(axis, keepdims), numpy=numpy, torch=torch, **extra)
                 for axis in (None, 0, -1, (0, 2)) for keepdims in (False, True))


def _sum_numpy(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_torch(x, axis=None, keepdims=False):
    return th.sum(x, dim=_dims(x, axis), keepdim=keepdims)


def _mean_numpy(x, axis=None, keepdims=False):
    return np.mean(x, axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)


def _mean_torch(x, axis=None, keepdims=False):
    return th.mean(x, dim=_dims(x, axis), keepdim=keepdims)


def _max_numpy(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _max_torch(x, axis=None, keepdims=False):
    return th.amax(x, dim=_dims(x, axis), keepdim=keepdims)   # amax splits ties evenly, as graphlab


def _min_numpy(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _min_torch(x, axis=None, keepdims=False):
    return th.amin(x, dim=_dims(x, axis), keepdim=keepdims)


def _var_numpy(x, axis=None, keepdims=False, ddof=0):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _var_torch(x, axis=None, keepdims=False, ddof=0):
    return th.var(x, dim=_dims(x, axis), keepdim=keepdims, correction=ddof)


def _argmax_torch(x, axis=None, keepdims=False):
    return _torch_index(th.argmax, x, axis, keepdims)


def _argmin_torch(x, axis=None, keepdims=False):
    return _torch_index(th.argmin, x, axis, keepdims)


def _torch_index(function, x, axis, keepdims):
    """torch.argmax/argmin; over every axis with keepdims, reshaped to numpy's (1, ..., 1)."""
    if axis is None:
        index = function(x)
        return index.reshape((1,) * x.ndim) if keepdims else index
    return function(x, dim=axis, keepdim=keepdims)


def _index_cases(numpy, torch, method) -> tuple:
    """Values only (integer indices, no gradient), on distinct inputs (a tie has two answers)."""
    common = dict(out_dtype=np.int64, gradcheck=False, symbolic=False, numpy=numpy, torch=torch)
    return (
        Case([(3, 4)], "distinct", params=dict(axis=1), **common),
        *(Case([(2, 3, 4)], "distinct", params=dict(axis=axis, keepdims=keepdims),
               variant=_axis_label(axis, keepdims), **common)
          for axis in (None, 0, -1) for keepdims in (False, True)),
        Case([(5,)], "distinct", variant="vector", **common),
        Case([(3, 4)], "distinct", params=dict(axis=0), variant="method", call=method, **common),
    )


def _logsumexp_torch(x, axis=None, keepdims=False):
    return th.logsumexp(x, dim=_dims(x, axis), keepdim=keepdims)


class Sum(Function):
    """Sum over ``axis``: every input element gets the upstream gradient (a distributor)."""
    pattern = "distributor"
    higher_order = True
    axis, keepdims = None, False    # forward's defaults: ctx.axis when a call leaves it out
    param_checks = dict(axis=params.axis(), keepdims=params.flag)
    cases = (
        Case([(2, 3)], params=dict(axis=None), numpy=_sum_numpy, torch=_sum_torch),
        Case([(2, 3)], params=dict(axis=1, keepdims=True), variant="axis1_keepdims",
             numpy=_sum_numpy, torch=_sum_torch),
        Case([(2, 2, 3)], params=dict(axis=(0, 2)), variant="axes02", numpy=_sum_numpy, torch=_sum_torch),
        *_over_axes("real", _sum_numpy, _sum_torch),
        Case([()], params=dict(axis=None), variant="axis=None_0d", numpy=_sum_numpy, torch=_sum_torch),
        Case([(2, 3, 4)], params=dict(axis=(-1, 1), keepdims=True), variant="axis=(-1,1)_keepdims_negative_tuple",
             numpy=_sum_numpy, torch=_sum_torch),
        Case([(3, 4)], params=dict(axis=1), variant="method", call=lambda x, axis: x.sum(axis=axis),
             numpy=_sum_numpy, torch=_sum_torch),
    )

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, upstream):
        shape = ctx.inputs[0].shape
        return dual.broadcast_to(dual.expand_reduced(upstream, shape, ctx.axis, ctx.keepdims), shape)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The distributor: every summed element gets the upstream gradient of its sum."""
        return rules.copied_back(terms, ctx.axis)

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.Add)


class Mean(Function):
    """Mean over ``axis``: every element gets upstream / n."""
    pattern = "distributor"
    higher_order = True
    axis, keepdims = None, False
    param_checks = dict(axis=params.axis(), keepdims=params.flag)
    cases = (
        Case([(2, 3)], params=dict(axis=None), numpy=_mean_numpy, torch=_mean_torch),
        Case([(2, 3)], params=dict(axis=0), variant="axis0", numpy=_mean_numpy, torch=_mean_torch),
        *_over_axes("real", _mean_numpy, _mean_torch),
        # a list of axes is spelled through gl.mean, which makes it a tuple
        Case([(2, 3, 4)], params=dict(axis=[0, 1]), variant="axis=[0,1]_list",
             call=lambda x, axis: x.mean(axis=axis), numpy=_mean_numpy, torch=_mean_torch),
        Case([(3, 4)], variant="method", call=lambda x: x.mean(), numpy=_mean_numpy, torch=_mean_torch),
    )

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, upstream):
        shape = ctx.inputs[0].shape
        spread = dual.broadcast_to(dual.expand_reduced(upstream, shape, ctx.axis, ctx.keepdims), shape)
        return spread / _count(shape, ctx.axis)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return rules.copied_back(terms, ctx.axis, f" / {_count(terms.shapes[0], ctx.axis)}")

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.mean)


class Max(Function):
    """Max over ``axis``. Gate pattern: router (ties share the gradient evenly, like torch.amax)."""
    pattern = "router"
    higher_order = True
    axis, keepdims = None, False
    param_checks = dict(axis=params.axis(), keepdims=params.flag)
    cases = (
        Case([(2, 3)], "distinct", params=dict(axis=1), numpy=_max_numpy, torch=_max_torch),
        Case([(2, 3)], "distinct", params=dict(axis=None), variant="all", numpy=_max_numpy, torch=_max_torch),
        *_over_axes("distinct", _max_numpy, _max_torch),
        # ties: the gradient is split evenly (torch.amax's convention; no derivative exists there,
        # and SymPy's nested Max halves a tie at every level, so torch is the oracle)
        Case([(3, 4)], "ties", params=dict(axis=1), variant="axis=1_ties", numpy=_max_numpy,
             torch=_max_torch, gradcheck=False, symbolic=False),
        Case([(3, 4)], "ties", params=dict(axis=None), variant="axis=None_ties", numpy=_max_numpy,
             torch=_max_torch, gradcheck=False, symbolic=False),
        Case([(3, 4)], "distinct", params=dict(axis=0, keepdims=True), variant="method",
             call=lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims), numpy=_max_numpy,
             torch=_max_torch),
    )

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        output = np.max(x, axis=axis, keepdims=keepdims)
        Max._save_winners(ctx, x, output, axis, keepdims)
        return output

    @staticmethod
    def _save_winners(ctx, x, output, axis, keepdims):
        winners = (x == dual.expand_reduced(output, x.shape, axis, keepdims)).astype(x.dtype)
        ctx.save_for_backward(winners / winners.sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(ctx, upstream):
        (share,) = ctx.saved_tensors
        shape = ctx.inputs[0].shape
        return dual.expand_reduced(upstream, shape, ctx.axis, ctx.keepdims) * share

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The router: the largest (smallest) element of each reduction gets it all."""
        which = "max" if ctx.name == "max" else "min"
        return f"{terms.up} routed to the {which} {rules.along(ctx.axis, len(terms.shapes[0]))} (ties share it)"

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.Max)


class ArgMax(Function):
    """Where the max is along ``axis`` (numpy's argmax: the flat index when ``axis`` is None, the
    first one on a tie). An integer tensor with no gradient: an index is piecewise constant."""
    name = "argmax"
    differentiable = False
    axis, keepdims = None, False
    param_checks = dict(axis=params.axis(allow_tuple=False), keepdims=params.flag)
    cases = _index_cases(np.argmax, _argmax_torch, lambda x, axis: x.argmax(dim=axis))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int64)


class ArgMin(Function):
    """Where the min is along ``axis``; as ArgMax."""
    name = "argmin"
    differentiable = False
    axis, keepdims = None, False
    param_checks = dict(axis=params.axis(allow_tuple=False), keepdims=params.flag)
    cases = _index_cases(np.argmin, _argmin_torch, lambda x, axis: x.argmin(axis))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return np.argmin(x, axis=axis, keepdims=keepdims).astype(np.int64)


class Min(Function):
    """Min over ``axis``. Gate pattern: router."""
    pattern = "router"
    higher_order = True
    axis, keepdims = None, False
    param_checks = dict(axis=params.axis(), keepdims=params.flag)
    cases = (
        Case([(2, 3)], "distinct", params=dict(axis=0), numpy=_min_numpy, torch=_min_torch),
        Case([(2, 3)], "distinct", params=dict(axis=None, keepdims=True), variant="all_keepdims",
             numpy=_min_numpy, torch=_min_torch),
        *_over_axes("distinct", _min_numpy, _min_torch),
        Case([(3, 4)], "ties", params=dict(axis=(0, 1), keepdims=True), variant="axis=(0,1)_keepdims_ties",
             numpy=_min_numpy, torch=_min_torch, gradcheck=False, symbolic=False),
        Case([(3, 4)], "distinct", variant="method", call=lambda x: x.min(), numpy=_min_numpy, torch=_min_torch),
    )

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        output = np.min(x, axis=axis, keepdims=keepdims)
        Max._save_winners(ctx, x, output, axis, keepdims)
        return output

    backward = Max.backward
    rule = Max.rule

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.Min)


class Var(Function):
    """Variance over ``axis`` (numpy's ddof=0 by default): d/dx = 2 (x - mean) / (n - ddof)."""
    higher_order = True
    axis, keepdims, ddof = None, False, 0
    param_checks = dict(axis=params.axis(), keepdims=params.flag, ddof=params.integer(low=0))
    cases = (
        Case([(2, 3)], params=dict(axis=1), numpy=_var_numpy, torch=_var_torch),
        Case([(2, 3)], params=dict(axis=None, ddof=1), variant="all_ddof1", numpy=_var_numpy, torch=_var_torch),
        *_over_axes("real", _var_numpy, _var_torch),
        *(Case([(2, 3, 4)], params=dict(axis=axis, ddof=1), variant=_axis_label(axis, False) + "_ddof1",
               numpy=_var_numpy, torch=_var_torch) for axis in (None, 1, (0, 2))),
        Case([(3, 4)], params=dict(axis=-1, ddof=1), variant="method",
             call=lambda x, axis, ddof: x.var(axis=axis, ddof=ddof), numpy=_var_numpy, torch=_var_torch),
    )

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, ddof=0):
        if x.size and ddof >= _count(x.shape, axis):
            raise ParameterError(f"var: ddof={ddof} leaves no degrees of freedom for {_count(x.shape, axis)} "
                                 f"values per result; use a ddof below that (0, or 1 for the sample variance)")
        ctx.save_for_backward(x)
        return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(axis=ctx.axis, keepdims=True)
        freedom = _count(x.shape, ctx.axis) - ctx.ddof
        scale = 2.0 / freedom if freedom > 0 else np.nan      # the variance of nothing is NaN, its slope too
        return dual.expand_reduced(upstream, x.shape, ctx.axis, ctx.keepdims) * centered * scale

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        freedom = _count(terms.shapes[0], ctx.axis) - ctx.ddof
        return f"{rules.copied_back(terms, ctx.axis)} ⊙ 2 (x − mean) / {freedom}"

    @staticmethod
    def symbolic(x, axis=None, keepdims=False, ddof=0):
        from graphlab.verify import sym

        def variance(*elements):   # Σ (x - mean)² / (n - ddof)
            centre = sym.mean(*elements)
            return sym.Add(*[(element - centre) ** 2 for element in elements]) / (len(elements) - ddof)
        return sym.reduce(x, axis, keepdims, variance)


class LogSumExp(Function):
    """log Σ e^x, shifted by the max so it never overflows; d/dx = softmax(x)."""
    name = "logsumexp"
    higher_order = True
    axis, keepdims = None, False
    param_checks = dict(axis=params.axis(), keepdims=params.flag)
    cases = (
        Case([(2, 3)], params=dict(axis=1), numpy=_numpy_logsumexp, torch=_logsumexp_torch),
        Case([(2, 3)], params=dict(axis=None), variant="all", numpy=_numpy_logsumexp, torch=_logsumexp_torch),
        *_over_axes("real", _numpy_logsumexp, _logsumexp_torch),
        # e^800 overflows: only the shift by the max keeps the value finite
        Case([(3, 4)], "huge", params=dict(axis=1), variant="axis=1_huge", numpy=_numpy_logsumexp,
             torch=_logsumexp_torch),
        Case([(3, 4)], params=dict(axis=0), variant="method", call=lambda x, axis: x.logsumexp(axis=axis),
             numpy=_numpy_logsumexp, torch=_logsumexp_torch),
    )

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        shift = np.max(x, axis=axis, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)
        output = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
        if not keepdims:
            output = np.squeeze(output, axis=axis)
        ctx.save_for_backward(x, output)   # the returned array itself, so create_graph can lift it
        return output

    @staticmethod
    def backward(ctx, upstream):
        x, output = ctx.saved_tensors
        softmax = dual.exp(x - dual.expand_reduced(output, x.shape, ctx.axis, ctx.keepdims))
        return dual.expand_reduced(upstream, x.shape, ctx.axis, ctx.keepdims) * softmax

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        return f"{rules.copied_back(terms, ctx.axis)} ⊙ softmax({terms.names[0]})"

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.logsumexp)   # log Σ e^x, no shift: it is exact


class Softmax(Function):
    """softmax along ``axis``: d/dx = s ⊙ (upstream - Σ upstream ⊙ s)."""
    higher_order = True
    axis = -1
    param_checks = dict(axis=params.axis(allow_none=False, allow_tuple=False))
    cases = (
        Case([(2, 3)], params=dict(axis=-1), numpy=_numpy_softmax, torch=lambda x, axis: th.softmax(x, dim=axis)),
        Case([(2, 3)], params=dict(axis=0), variant="axis0", numpy=_numpy_softmax,
             torch=lambda x, axis: th.softmax(x, dim=axis)),
        *(Case([(2, 3, 4)], params=dict(axis=axis), variant=f"axis={axis}", numpy=_numpy_softmax,
               torch=lambda x, axis: th.softmax(x, dim=axis)) for axis in (-1, 0, 1)),
        Case([(3, 4)], "huge", variant="method_huge", call=lambda x: x.softmax(), numpy=_numpy_softmax,
             torch=lambda x: th.softmax(x, dim=-1)),
        Case([(5,)], variant="vector", numpy=_numpy_softmax, torch=lambda x: th.softmax(x, dim=-1)),
    )

    @staticmethod
    def forward(ctx, x, axis=-1):
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
        output = shifted / np.sum(shifted, axis=axis, keepdims=True)
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, upstream):
        (output,) = ctx.saved_tensors
        return output * (upstream - (upstream * output).sum(axis=ctx.axis, keepdims=True))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """The softmax Jacobian never built: s ⊙ (upstream − Σ upstream ⊙ s) per row."""
        along = rules.along(ctx.axis, len(terms.output))
        return f"s ⊙ ({terms.up} − Σ upstream ⊙ s {along}), s = softmax {rules.shape_text(terms.output)}"

    @staticmethod
    def symbolic(x, axis=-1):
        from graphlab.verify import sym
        powers = sym.elementwise(sym.exp, [x], {})
        return powers / sym.reduce(powers, axis, True, sym.Add)   # e^x_i / Σ_j e^x_j


class LogSoftmax(Function):
    """x - logsumexp(x) along ``axis``: d/dx = upstream - softmax ⊙ Σ upstream."""
    higher_order = True
    axis = -1
    param_checks = dict(axis=params.axis(allow_none=False, allow_tuple=False))
    cases = (
        Case([(2, 3)], params=dict(axis=-1), numpy=_numpy_log_softmax,
             torch=lambda x, axis: th.log_softmax(x, dim=axis)),
        Case([(2, 3)], params=dict(axis=0), variant="axis0", numpy=_numpy_log_softmax,
             torch=lambda x, axis: th.log_softmax(x, dim=axis)),
        *(Case([(2, 3, 4)], params=dict(axis=axis), variant=f"axis={axis}", numpy=_numpy_log_softmax,
               torch=lambda x, axis: th.log_softmax(x, dim=axis)) for axis in (-1, 0, 1)),
        Case([(3, 4)], "huge", variant="method_huge", call=lambda x: x.log_softmax(), numpy=_numpy_log_softmax,
             torch=lambda x: th.log_softmax(x, dim=-1)),
    )

    @staticmethod
    def forward(ctx, x, axis=-1):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        output = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, upstream):
        (output,) = ctx.saved_tensors
        return upstream - dual.exp(output) * upstream.sum(axis=ctx.axis, keepdims=True)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        along = rules.along(ctx.axis, len(terms.output))
        return f"{terms.up} − softmax({terms.names[0]}) ⊙ Σ upstream {along}"

    @staticmethod
    def symbolic(x, axis=-1):
        from graphlab.verify import sym
        return x - sym.reduce(x, axis, True, sym.logsumexp)
