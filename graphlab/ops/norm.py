"""Batch norm and layer norm: the formula, then one fused node with the derived backward.

Batch norm (E43-E45) normalizes each channel over its M values (the batch, and H, W for
images), then scales and shifts it::

    x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β

μ and σ² depend on every x of the channel, so the chain rule runs through them too; collected,
the backward is (per channel, sums over its M values)::

    dL/dx̂ = dy · γ
    dx = 1 / (M √(σ² + ε)) · (M · dL/dx̂ − Σ dL/dx̂ − x̂ · Σ (dL/dx̂ ⊙ x̂))
    dγ = Σ dy ⊙ x̂,   dβ = Σ dy

In training the batch statistics are used and the running ones updated in place,
``running = (1 − momentum) · running + momentum · batch`` with the unbiased batch variance
(PyTorch's convention); in eval the running statistics are used, so BN is a fixed per-channel
affine map (E44) and dx = γ / √(σ² + ε) · dy. Layer norm is the same formula over the trailing
axes of each sample. The numpy that makes the fused nodes fast (one-pass statistics, sums over
x̂ without building x̂) is in ``ops/kernels/moments.py``.

>>> import graphlab as gl
>>> x = gl.tensor([[1.], [2.], [3.], [4.]], dtype="float64")       # E43: N = 4, D = 1
>>> y = gl.functional.batch_norm(x, None, None, training=True)
>>> y.data.ravel().round(5)
array([-1.34164, -0.44721,  0.44721,  1.34164])
"""
from __future__ import annotations

import numpy as np

from graphlab import ops
from graphlab.autodiff.cases import Case, F, th
from graphlab.autodiff import rules
from graphlab.autodiff.function import Function
from graphlab.ops import params
from graphlab.errors import ShapeError
from graphlab.ops.kernels.layout import channel_rows, from_channel_rows, row_dots, row_sums
from graphlab.ops.kernels.moments import add_centered, is_ill_conditioned, row_moments, sums_with_normalized


# -- the definitions, written with primitive ops (a graph of many small nodes) -----------------------
def per_channel(vector, ndim: int):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast over axis 1 of an ndim-D input."""
    return ops.reshape(vector, (1, -1) + (1,) * (ndim - 2))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, eps=1e-5):
    """(x − μ) / √(σ² + ε) · γ + β with μ, σ² from the batch (training) or the running statistics."""
    axes = (0,) + tuple(range(2, x.ndim))
    if training or running_mean is None:
        mean = ops.mean(x, axis=axes, keepdims=True)
        normalized = (x - mean) / ops.sqrt(ops.var(x, axis=axes, keepdims=True) + eps)
    else:                                     # fixed statistics: numpy constants
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = np.asarray(running_mean, dtype=x.dtype).reshape(shape)
        normalized = (x - mean) / np.sqrt(np.asarray(running_var, dtype=x.dtype).reshape(shape) + eps)
    if weight is not None:
        normalized = normalized * per_channel(weight, x.ndim) + per_channel(bias, x.ndim)
    return normalized


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x − μ) / √(σ² + ε) · γ + β with μ, σ² over the trailing ``normalized_shape`` axes."""
    axes = tuple(range(x.ndim - len(tuple(normalized_shape)), x.ndim))
    normalized = (x - ops.mean(x, axis=axes, keepdims=True)) / ops.sqrt(ops.var(x, axis=axes, keepdims=True) + eps)
    return normalized if weight is None else normalized * weight + bias


# -- references for the tests: numpy, independent of both -------------------------------------------
def _numpy_batch_norm(x, *affine, running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5):
    axes, shape = (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
    if training or running_mean is None:
        mean, variance = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, variance = np.reshape(running_mean, shape), np.reshape(running_var, shape)
    normalized = (x - mean) / np.sqrt(variance + eps)
    return normalized * affine[0].reshape(shape) + affine[1].reshape(shape) if affine else normalized


def _torch_batch_norm(x, *affine, running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5):
    running = [None if stat is None else th.tensor(stat, dtype=x.dtype) for stat in (running_mean, running_var)]
    return F.batch_norm(x, *running, *affine, training=training, momentum=momentum, eps=eps)


def _numpy_layer_norm(x, *affine, normalized_shape=(), eps=1e-5):
    axes = tuple(range(x.ndim - len(tuple(normalized_shape)), x.ndim))
    normalized = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return normalized * affine[0] + affine[1] if affine else normalized


def _column(vector: np.ndarray) -> np.ndarray:
    return vector.reshape(-1, 1)


# -- the fused nodes -------------------------------------------------------------------------------
class BatchNorm(Function):
    """Batch normalization over axis 1 of (N, C), (N, C, L) or (N, C, H, W) inputs."""
    name = "batch_norm"
    param_checks = dict(eps=params.number(0), momentum=params.number(0, 1, allow_none=True), training=params.flag,
                        running_mean=params.array_or_none, running_var=params.array_or_none)
    cases = (
        Case([(4, 2), (2,), (2,)], numpy=_numpy_batch_norm, torch=_torch_batch_norm),
        Case([(3, 2, 3), (2,), (2,)], variant="sequence", numpy=_numpy_batch_norm, torch=_torch_batch_norm),
        Case([(2, 2, 2, 1)], variant="images_no_affine", numpy=_numpy_batch_norm, torch=_torch_batch_norm),
        Case([(3, 2), (2,), (2,)], variant="eval",
             params=dict(running_mean=np.array([0.5, -0.25]), running_var=np.array([1.5, 0.75]), training=False),
             numpy=_numpy_batch_norm, torch=_torch_batch_norm),
    )

    @staticmethod
    def forward(ctx, x, *affine, running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5):
        BatchNorm._check(x, affine, running_mean, running_var, training)
        rows = channel_rows(x)                                    # (C, M), one row per channel
        ctx.use_batch = training or running_mean is None
        if ctx.use_batch:
            mean, variance, ctx.centered = row_moments(rows)
            if training and running_mean is not None:
                BatchNorm._update_running(running_mean, running_var, mean, variance, momentum, rows.shape[1])
        else:
            mean, variance = running_mean.astype(x.dtype), running_var.astype(x.dtype)
            ctx.variance = variance                               # copies, for the composed twin
            ctx.centered = is_ill_conditioned(mean, variance)
        inv_std = (1.0 / np.sqrt(variance + eps)).astype(x.dtype)
        ctx.gamma = affine[0] if affine else None
        scale = inv_std * affine[0] if affine else inv_std
        shift = affine[1] - mean * scale if affine else -mean * scale
        # y = γ (x − μ)/σ + β computed as x·scale + shift: x̂ is never stored (backward rebuilds
        # what it needs from x, which the graph keeps anyway)
        output = rows * _column(scale.astype(x.dtype))
        output += _column(shift.astype(x.dtype))
        ctx.mean, ctx.inv_std, ctx.scale = mean.astype(x.dtype), inv_std, scale.astype(x.dtype)
        ctx.save_for_backward(rows)
        return from_channel_rows(output, x.shape)

    @staticmethod
    def _update_running(running_mean, running_var, mean, variance, momentum, count):
        """running = (1 − momentum)·running + momentum·batch, in place, with the unbiased variance."""
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * variance * (count / (count - 1))

    @staticmethod
    def _check(x, affine, running_mean, running_var, training):
        if x.ndim not in (2, 3, 4):
            raise ShapeError(f"batch_norm: input of shape {x.shape} must be (N, C), (N, C, L) or (N, C, H, W); "
                             f"flatten extra axes or use layer_norm for other layouts")
        channels = x.shape[1]
        for label, array in (("weight", affine[0] if affine else None), ("bias", affine[1] if affine else None),
                             ("running_mean", running_mean), ("running_var", running_var)):
            if array is not None and array.shape != (channels,):
                raise ShapeError(f"batch_norm: {label} has shape {array.shape} but the input {x.shape} has "
                                 f"{channels} channels (axis 1); build the layer with num_features={channels}")
        if (running_mean is None) != (running_var is None):
            raise ShapeError("batch_norm: pass both running_mean and running_var, or neither")
        per_channel_count = x.size // channels if channels else 0
        if training and per_channel_count <= 1:
            raise ShapeError(
                f"batch_norm: training mode needs more than 1 value per channel to estimate a variance, but "
                f"the input of shape {x.shape} has {per_channel_count} per channel; use a batch of at least 2, "
                f"or switch the layer to eval mode (model.eval()) to use the running statistics")

    @staticmethod
    def backward(ctx, upstream):
        """dβ = Σ dy and dγ = Σ dy ⊙ x̂ per channel, and dx by the module docstring's formula."""
        (rows,) = ctx.saved_tensors
        needs_x, *needs_affine = ctx.needs_input_grad
        d_rows = channel_rows(upstream)                          # (C, M)
        d_bias = d_weight = normalized = None
        if ctx.use_batch or any(needs_affine):                   # eval's dx needs neither sum
            d_bias, d_weight, normalized = sums_with_normalized(d_rows, rows, ctx.mean, ctx.inv_std, ctx.centered)
        d_x = BatchNorm._input_gradient(ctx, d_rows, rows, d_bias, d_weight, normalized) if needs_x else None
        if not needs_affine:
            return d_x
        return (d_x, d_weight.astype(upstream.dtype) if needs_affine[0] else None,
                d_bias if needs_affine[1] else None)

    @staticmethod
    def composed(ctx, x, *affine):
        """``batch_norm`` above on the same inputs, with the statistics this node used (the
        batch's, or copies of the running ones): create_graph=True differentiates this twin."""
        eps = ctx.params.get("eps", 1e-5)
        if ctx.use_batch:
            return batch_norm(x, None, None, *affine, training=True, eps=eps)
        return batch_norm(x, ctx.mean, ctx.variance, *affine, training=False, eps=eps)

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """Per channel: dβ = Σ upstream, dγ = Σ upstream ⊙ x̂ over the batch (and pixels), and
        dx through the batch's mean and variance (the module docstring's closed form)."""
        ndim = len(terms.shapes[0])
        over = rules.axes_text((0,) + tuple(range(2, ndim)), ndim)
        if index == 1:
            return f"{terms.up} ⊙ x̂ summed over {over}, x̂ = (x − μ)/σ"
        if index == 2:
            return f"{terms.up} summed over {over}"
        gamma = "γ/σ" if len(terms.shapes) > 1 else "1/σ"
        if not ctx.use_batch:                                    # eval: μ and σ are constants
            return f"{terms.up} ⊙ {gamma} (running statistics, constants)"
        return f"{gamma} ⊙ (upstream − mean(upstream) − x̂ ⊙ mean(upstream ⊙ x̂)), " \
               f"means over {over}, x̂ = (x − μ)/σ"

    @staticmethod
    def _input_gradient(ctx, d_rows, rows, d_bias, d_weight, normalized):
        """dx = inv_std/M · (M·dL/dx̂ − Σ dL/dx̂ − x̂ · Σ(dL/dx̂ ⊙ x̂)), per channel, in (C, M) rows."""
        inv_std, count = ctx.inv_std, rows.shape[1]
        d_x = d_rows * _column(ctx.scale)                        # inv_std · dL/dx̂, with dL/dx̂ = dy·γ
        if not ctx.use_batch:                                    # eval: μ and σ² are constants
            return from_channel_rows(d_x, ctx.inputs[0].shape)
        gamma = 1.0 if ctx.gamma is None else ctx.gamma
        sum_d_normalized = gamma * d_bias                        # Σ dL/dx̂ = γ · Σ dy
        sum_d_normalized_x_hat = gamma * d_weight                # Σ dL/dx̂ ⊙ x̂ = γ · Σ dy ⊙ x̂
        # the two sums' terms, with x̂ = (x − μ)·inv_std: slope·(x − μ) + offset
        offset = -inv_std * sum_d_normalized / count
        slope = -inv_std * inv_std * sum_d_normalized_x_hat / count
        add_centered(d_x, rows, ctx.mean, inv_std, slope, offset, normalized)
        return from_channel_rows(d_x, ctx.inputs[0].shape)

    @staticmethod
    def symbolic(x, *affine, running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5):
        from graphlab.verify import sym
        axes, shape = (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
        if training or running_mean is None:            # batch statistics (the biased variance)
            mean = sym.reduce(x, axes, True, sym.mean)
            variance = sym.reduce((x - mean) ** 2, axes, True, sym.mean)
        else:                                            # eval: the running ones, constants
            mean, variance = (sym.numbers_array(stat).reshape(shape) for stat in (running_mean, running_var))
        normalized = (x - mean) / sym.elementwise(sym.sqrt, [variance + sym.number(eps)], {})
        return normalized * affine[0].reshape(shape) + affine[1].reshape(shape) if affine else normalized


class LayerNorm(Function):
    """Normalize over the trailing ``len(normalized_shape)`` axes of each sample."""
    name = "layer_norm"
    param_checks = dict(eps=params.number(0), normalized_shape=params.shape())
    cases = (
        Case([(2, 3), (3,), (3,)], params=dict(normalized_shape=(3,)), numpy=_numpy_layer_norm,
             torch=lambda x, *affine, normalized_shape, eps=1e-5: F.layer_norm(x, normalized_shape, *affine, eps=eps)),
        Case([(2, 2, 2)], variant="two_axes_no_affine", params=dict(normalized_shape=(2, 2)), numpy=_numpy_layer_norm,
             torch=lambda x, normalized_shape, eps=1e-5: F.layer_norm(x, normalized_shape, eps=eps)),
    )

    @staticmethod
    def forward(ctx, x, *affine, normalized_shape=(), eps=1e-5):
        normalized_shape = tuple(normalized_shape)
        width = len(normalized_shape)
        if width == 0 or tuple(x.shape[x.ndim - width:]) != normalized_shape or x.ndim < width:
            raise ShapeError(f"layer_norm: normalized_shape {normalized_shape} must match the last axes of the "
                             f"input {x.shape}; e.g. LayerNorm({x.shape[-1] if x.ndim else 1}) for the last axis")
        for label, array in zip(("weight", "bias"), affine):
            if array.shape != normalized_shape:
                raise ShapeError(f"layer_norm: {label} has shape {array.shape}, expected {normalized_shape}")
        size = int(np.prod(normalized_shape))
        rows = x.reshape(-1, size)                                # (R, D), one row per sample
        centered = rows - _column(row_sums(rows) / size)
        inv_std = 1.0 / np.sqrt(row_dots(centered, centered) / size + eps)
        normalized = centered
        normalized *= _column(inv_std)                            # x̂, in place of x − μ
        ctx.inv_std = inv_std
        output = normalized
        if affine:
            weight, bias = (array.reshape(-1) for array in affine)
            output = normalized * weight
            output += bias
        ctx.save_for_backward(normalized, *affine[:1])
        return output.reshape(x.shape)

    @staticmethod
    def backward(ctx, upstream):
        """Batch norm's backward (module docstring) per sample over its D normalized values:
        dx = inv_std · (dL/dx̂ − mean(dL/dx̂) − x̂ · mean(dL/dx̂ ⊙ x̂)), dγ = Σ dy ⊙ x̂, dβ = Σ dy."""
        normalized, *weight = ctx.saved_tensors
        needs_x, *needs_affine = ctx.needs_input_grad
        d_rows = upstream.reshape(normalized.shape)              # (R, D)
        d_x = None
        if needs_x:
            d_normalized = d_rows * weight[0].reshape(-1) if weight else d_rows        # dL/dx̂ = dy · γ
            mean_d_normalized = row_sums(d_normalized) / normalized.shape[1]
            mean_d_normalized_x_hat = row_dots(d_normalized, normalized) / normalized.shape[1]
            d_x = d_normalized - _column(mean_d_normalized)
            d_x -= normalized * _column(mean_d_normalized_x_hat)
            d_x *= _column(ctx.inv_std)
            d_x = d_x.reshape(upstream.shape)
        if not weight:
            return d_x
        shape = weight[0].shape
        d_weight = (d_rows * normalized).sum(axis=0).reshape(shape) if needs_affine[0] else None
        d_bias = d_rows.sum(axis=0).reshape(shape) if needs_affine[1] else None
        return d_x, d_weight, d_bias

    @staticmethod
    def composed(ctx, x, *affine):
        """``layer_norm`` above on the same inputs: create_graph=True differentiates this twin."""
        return layer_norm(x, ctx.params["normalized_shape"], *affine, eps=ctx.params.get("eps", 1e-5))

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """Batch norm's rule turned around: the means run over each sample's normalized axes,
        and γ, β sum over the samples."""
        ndim, normalized = len(terms.shapes[0]), len(tuple(np.atleast_1d(ctx.normalized_shape)))
        samples = rules.axes_text(tuple(range(ndim - normalized)), ndim)
        if index == 1:
            return f"{terms.up} ⊙ x̂ summed over {samples}, x̂ = (x − μ)/σ"
        if index == 2:
            return f"{terms.up} summed over {samples}"
        features = rules.axes_text(tuple(range(ndim - normalized, ndim)), ndim)
        dy = "γ ⊙ upstream" if len(terms.shapes) > 1 else "upstream"
        return f"1/σ ⊙ (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)), dx̂ = {dy}, means over {features}"

    @staticmethod
    def symbolic(x, *affine, normalized_shape=(), eps=1e-5):
        from graphlab.verify import sym
        axes = tuple(range(x.ndim - len(tuple(normalized_shape)), x.ndim))
        mean = sym.reduce(x, axes, True, sym.mean)
        variance = sym.reduce((x - mean) ** 2, axes, True, sym.mean)
        normalized = (x - mean) / sym.elementwise(sym.sqrt, [variance + sym.number(eps)], {})
        return normalized * affine[0] + affine[1] if affine else normalized
