"""Matrix multiply, batched and with numpy's 1-D rules.

For y = x @ w (lecture 4's vectorized backprop): dL/dx = dL/dy @ wᵀ and dL/dw = xᵀ @ dL/dy,
the only arrangement of the shapes that fits.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.function import Function
from graphlab.errors import ShapeError
from graphlab.ops import dual


def _check_shapes(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape}: 0-d tensors cannot be matrix-multiplied; "
                         f"use * for scaling")
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        b_axis = "-2" if b.ndim > 1 else "0"
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not align: x.shape[-1]={inner_a} != "
                         f"w.shape[{b_axis}]={inner_b}; transpose one side or fix the layer sizes")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast") from None


class MatMul(Function):
    name = "matmul"
    higher_order = True

    @staticmethod
    def forward(ctx, a, b):
        _check_shapes(a, b)
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def _as_matrices(ctx):
        """The inputs with numpy's 1-D promotion made explicit: a (n,) -> (1, n), b (n,) -> (n, 1)."""
        a, b = ctx.saved_tensors
        a_matrix = a if a.ndim > 1 else a.reshape((1, a.shape[0]))
        b_matrix = b if b.ndim > 1 else b.reshape((b.shape[0], 1))
        return a, b, a_matrix, b_matrix

    @staticmethod
    def local(ctx):
        _, _, a_matrix, b_matrix = MatMul._as_matrices(ctx)
        return dual.swap_last_axes(b_matrix), dual.swap_last_axes(a_matrix)

    @staticmethod
    def backward(ctx, upstream):
        from graphlab.autodiff.engine import sum_to
        a, b, a_matrix, b_matrix = MatMul._as_matrices(ctx)
        batch = np.broadcast_shapes(a_matrix.shape[:-2], b_matrix.shape[:-2])
        upstream = upstream.reshape(batch + (a_matrix.shape[-2], b_matrix.shape[-1]))
        needs_a, needs_b = (tensor.requires_grad for tensor in ctx.inputs)
        # an input that needs no gradient (a constant, a frozen weight) skips its GEMM
        downstream_a = sum_to(upstream @ dual.swap_last_axes(b_matrix), a_matrix.shape).reshape(a.shape) \
            if needs_a else None                                        # (..., m, n)
        downstream_b = sum_to(dual.swap_last_axes(a_matrix) @ upstream, b_matrix.shape).reshape(b.shape) \
            if needs_b else None                                        # (..., n, p)
        return downstream_a, downstream_b

    @staticmethod
    def symbolic(a, b):
        return np.matmul(a, b)   # Σ_k a[..., i, k] b[..., k, j], numpy's 1-D and batch rules
