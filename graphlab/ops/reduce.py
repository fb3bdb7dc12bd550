"""Reductions with numpy's ``axis``/``keepdims``: sum, mean, max, min, var, logsumexp,
and the softmax family (reductions in disguise: each output depends on a whole axis)."""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.ops import dual


def _count(shape: tuple, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


class Sum(Function):
    """Sum over ``axis``: every input element gets the upstream gradient (a distributor)."""
    pattern = "distributor"
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, upstream):
        shape = ctx.inputs[0].shape
        return dual.broadcast_to(dual.expand_reduced(upstream, shape, ctx.axis, ctx.keepdims), shape)

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.Add)


class Mean(Function):
    """Mean over ``axis``: every element gets upstream / n."""
    pattern = "distributor"
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, upstream):
        shape = ctx.inputs[0].shape
        spread = dual.broadcast_to(dual.expand_reduced(upstream, shape, ctx.axis, ctx.keepdims), shape)
        return spread / _count(shape, ctx.axis)

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.mean)


class Max(Function):
    """Max over ``axis``. Gate pattern: router (ties share the gradient evenly, like torch.amax)."""
    pattern = "router"
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        output = np.max(x, axis=axis, keepdims=keepdims)
        Max._save_winners(ctx, x, output, axis, keepdims)
        return output

    @staticmethod
    def _save_winners(ctx, x, output, axis, keepdims):
        ctx.axis, ctx.keepdims = axis, keepdims
        winners = (x == dual.expand_reduced(output, x.shape, axis, keepdims)).astype(x.dtype)
        ctx.save_for_backward(winners / winners.sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(ctx, upstream):
        (share,) = ctx.saved_tensors
        shape = ctx.inputs[0].shape
        return dual.expand_reduced(upstream, shape, ctx.axis, ctx.keepdims) * share

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.Max)


class Min(Function):
    """Min over ``axis``. Gate pattern: router."""
    pattern = "router"
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        output = np.min(x, axis=axis, keepdims=keepdims)
        Max._save_winners(ctx, x, output, axis, keepdims)
        return output

    backward = Max.backward

    @staticmethod
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.Min)


class Var(Function):
    """Variance over ``axis`` (numpy's ddof=0 by default): d/dx = 2 (x - mean) / (n - ddof)."""
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, ddof=0):
        ctx.axis, ctx.keepdims, ctx.ddof = axis, keepdims, ddof
        ctx.save_for_backward(x)
        return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(axis=ctx.axis, keepdims=True)
        scale = 2.0 / (_count(x.shape, ctx.axis) - ctx.ddof)
        return dual.expand_reduced(upstream, x.shape, ctx.axis, ctx.keepdims) * centered * scale

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

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims = axis, keepdims
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
    def symbolic(x, axis=None, keepdims=False):
        from graphlab.verify import sym
        return sym.reduce(x, axis, keepdims, sym.logsumexp)   # log Σ e^x, no shift: it is exact


class Softmax(Function):
    """softmax along ``axis``: d/dx = s ⊙ (upstream - Σ upstream ⊙ s)."""
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=-1):
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
        output = shifted / np.sum(shifted, axis=axis, keepdims=True)
        ctx.axis = axis
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, upstream):
        (output,) = ctx.saved_tensors
        return output * (upstream - (upstream * output).sum(axis=ctx.axis, keepdims=True))

    @staticmethod
    def symbolic(x, axis=-1):
        from graphlab.verify import sym
        powers = sym.elementwise(sym.exp, [x], {})
        return powers / sym.reduce(powers, axis, True, sym.Add)   # e^x_i / Σ_j e^x_j


class LogSoftmax(Function):
    """x - logsumexp(x) along ``axis``: d/dx = upstream - softmax ⊙ Σ upstream."""
    higher_order = True

    @staticmethod
    def forward(ctx, x, axis=-1):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        output = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.axis = axis
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, upstream):
        (output,) = ctx.saved_tensors
        return upstream - dual.exp(output) * upstream.sum(axis=ctx.axis, keepdims=True)

    @staticmethod
    def symbolic(x, axis=-1):
        from graphlab.verify import sym
        return x - sym.reduce(x, axis, True, sym.logsumexp)
