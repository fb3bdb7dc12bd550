"""Batch norm and layer norm with fused forward and backward.

Batch norm (E43-E45) normalizes each channel over the batch (and over H, W for images):
``x̂ = (x - μ) / √(σ² + ε)``, ``y = γ x̂ + β``. The fused backward is the closed form

    dx = γ / √(σ² + ε) · (dy - mean(dy) - x̂ · mean(dy ⊙ x̂))      (per channel)
    dγ = Σ dy ⊙ x̂,   dβ = Σ dy

In training the batch statistics are used and the running ones updated in place,
``running = (1 - momentum) · running + momentum · batch`` with the unbiased batch variance
(PyTorch's convention); in eval the running statistics are used, so BN is a fixed per-channel
affine map (E44). The composed twin in ``ops/composed.py`` builds the same numbers from
primitives; the tests hold them equal.

>>> import graphlab as gl
>>> x = gl.tensor([[1.], [2.], [3.], [4.]], dtype="float64")       # E43: N = 4, D = 1
>>> y = gl.functional.batch_norm(x, None, None, training=True)
>>> y.data.ravel().round(5)
array([-1.34164, -0.44721,  0.44721,  1.34164])
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.errors import ShapeError
from graphlab.ops.layout import channel_rows, from_channel_rows, row_dots, row_sums


def _column(vector: np.ndarray) -> np.ndarray:
    return vector.reshape(-1, 1)


#: batch norm computes the variance as E[x²] - μ² (one pass, no temporary) while μ² <= this many
#: times σ²; beyond that the two terms cancel too much in float32 and it centres first
_WELL_CONDITIONED = 16.0


class BatchNorm(Function):
    """Batch normalization over axis 1 of (N, C), (N, C, L) or (N, C, H, W) inputs."""
    name = "batch_norm"
    verify_cases = [dict(shapes=[(4, 2), (2,), (2,)]), dict(shapes=[(2, 2, 2, 1)], variant="images_no_affine"),
                    dict(shapes=[(3, 2), (2,), (2,)], variant="eval", params={"running_mean": np.array([0.5, -0.25]),
                         "running_var": np.array([1.5, 0.75]), "training": False})]

    @staticmethod
    def forward(ctx, x, *affine, running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5):
        ctx.training, ctx.momentum, ctx.eps = training, momentum, eps      # verify.graph reads them
        ctx.running_mean = None if running_mean is None else np.array(running_mean)   # before the update
        ctx.running_var = None if running_var is None else np.array(running_var)
        BatchNorm._check(x, affine, running_mean, running_var, training)
        rows = channel_rows(x)                                    # (C, M), one row per channel
        count = rows.shape[1]
        use_batch = training or running_mean is None
        if use_batch:
            mean = row_sums(rows) / count
            variance = row_dots(rows, rows) / count - mean * mean  # E[x²] - μ²: two reads, no temporary
            ill_conditioned = bool(np.any(mean * mean > _WELL_CONDITIONED * variance))
            if ill_conditioned:                                   # |μ| >> σ: E[x²] - μ² would cancel
                centered = rows - _column(mean)
                variance = row_dots(centered, centered) / count
            if training and running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * variance * (count / (count - 1))
        else:
            mean = running_mean.astype(x.dtype)
            variance = running_var.astype(x.dtype)
            ill_conditioned = bool(np.any(mean * mean > _WELL_CONDITIONED * variance))
        inv_std = (1.0 / np.sqrt(variance + eps)).astype(x.dtype)
        weight = affine[0] if affine else None
        scale = inv_std * weight if affine else inv_std
        shift = affine[1] - mean * scale if affine else -mean * scale
        # y = γ (x - μ)/σ + β computed as x·scale + shift: x̂ is never stored (backward rebuilds
        # what it needs from x, which the graph keeps anyway)
        output = rows * _column(scale.astype(x.dtype))
        output += _column(shift.astype(x.dtype))
        ctx.use_batch, ctx.count = use_batch, count
        ctx.mean, ctx.inv_std, ctx.scale = mean.astype(x.dtype), inv_std, scale.astype(x.dtype)
        ctx.centered = ill_conditioned
        ctx.save_for_backward(rows)
        return from_channel_rows(output, x.shape)

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
        per_channel = x.size // channels if channels else 0
        if training and per_channel <= 1:
            raise ShapeError(
                f"batch_norm: training mode needs more than 1 value per channel to estimate a variance, but "
                f"the input of shape {x.shape} has {per_channel} per channel; use a batch of at least 2, "
                f"or switch the layer to eval mode (model.eval()) to use the running statistics")

    @staticmethod
    def backward(ctx, upstream):
        (rows,) = ctx.saved_tensors
        has_affine = len(ctx.inputs) == 3
        d_rows = channel_rows(upstream)                          # (C, M)
        mean, inv_std, scale, count = ctx.mean, ctx.inv_std, ctx.scale, ctx.count
        d_bias = row_sums(d_rows)                                # Σ dy
        if ctx.centered:                                         # Σ dy ⊙ x̂, from x̂ itself when |μ| >> σ
            normalized = (rows - _column(mean)) * _column(inv_std)
            d_weight = row_dots(d_rows, normalized)
        else:                                                    # Σ dy ⊙ (x - μ)/σ without building x̂
            normalized = None
            d_weight = (row_dots(d_rows, rows) - mean * d_bias) * inv_std
        d_x = None
        if ctx.inputs[0].requires_grad:
            d_rows_scaled = d_rows * _column(scale)
            if ctx.use_batch:
                # γ/σ · (dy - mean(dy) - x̂ · mean(dy ⊙ x̂)) = scale·dy + slope·(x - μ) + offset, per channel
                slope = -scale * inv_std * d_weight / count
                offset = -scale * d_bias / count
                if normalized is None:
                    d_rows_scaled += rows * _column(slope)
                    d_rows_scaled += _column(offset - slope * mean)
                else:
                    d_rows_scaled += normalized * _column(slope / inv_std)
                    d_rows_scaled += _column(offset)
            d_x = from_channel_rows(d_rows_scaled, upstream.shape)
        if not has_affine:
            return d_x
        return d_x, d_weight.astype(upstream.dtype), d_bias

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
    verify_cases = [dict(shapes=[(2, 3), (3,), (3,)], params={"normalized_shape": (3,)}),
                    dict(shapes=[(2, 2, 2)], variant="two_axes_no_affine", params={"normalized_shape": (2, 2)})]

    @staticmethod
    def forward(ctx, x, *affine, normalized_shape=(), eps=1e-5):
        ctx.normalized_shape, ctx.eps = normalized_shape, eps
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
        mean = row_sums(rows) / size
        centered = rows - _column(mean)
        inv_std = 1.0 / np.sqrt(row_dots(centered, centered) / size + eps)
        normalized = centered
        normalized *= _column(inv_std)
        ctx.inv_std, ctx.size = inv_std, size
        output = normalized
        if affine:
            weight, bias = (array.reshape(-1) for array in affine)
            output = normalized * weight
            output += bias
        ctx.save_for_backward(normalized, *affine[:1])
        return output.reshape(x.shape)

    @staticmethod
    def backward(ctx, upstream):
        normalized, *weight = ctx.saved_tensors
        size = ctx.size
        d_rows = upstream.reshape(-1, size)
        d_normalized = d_rows * weight[0].reshape(-1) if weight else d_rows
        mean_d = row_sums(d_normalized) / size
        mean_d_x = row_dots(d_normalized, normalized) / size
        d_x = d_normalized - _column(mean_d)
        d_x -= normalized * _column(mean_d_x)
        d_x *= _column(ctx.inv_std)
        d_x = d_x.reshape(upstream.shape)
        if not weight:
            return d_x
        shape = weight[0].shape
        d_weight = (d_rows * normalized).sum(axis=0).reshape(shape)
        d_bias = d_rows.sum(axis=0).reshape(shape)
        return d_x, d_weight, d_bias

    @staticmethod
    def symbolic(x, *affine, normalized_shape=(), eps=1e-5):
        from graphlab.verify import sym
        axes = tuple(range(x.ndim - len(tuple(normalized_shape)), x.ndim))
        mean = sym.reduce(x, axes, True, sym.mean)
        variance = sym.reduce((x - mean) ** 2, axes, True, sym.mean)
        normalized = (x - mean) / sym.elementwise(sym.sqrt, [variance + sym.number(eps)], {})
        return normalized * affine[0] + affine[1] if affine else normalized
