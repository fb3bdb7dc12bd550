"""Matrix multiply, batched and with numpy's 1-D rules.

For y = a @ b (lecture 4's vectorized backprop): dL/da = dL/dy @ bᵀ and dL/db = aᵀ @ dL/dy,
the only arrangement of the shapes that fits. So the local gradients are bᵀ and aᵀ, and the
"×" of upstream × local is the matrix product (``MatMul.chain``); the default backward then
does one GEMM per input that needs a gradient (none for constants and frozen weights), and
the engine sums broadcast batch axes away.
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, th
from graphlab.autodiff.function import Function
from graphlab.autodiff.rules import shape_text
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


def _shapes_case(variant: str, shapes: list, **extra) -> Case:
    return Case(shapes, variant=variant, numpy=np.matmul, torch=lambda a, b: th.matmul(a, b), **extra)


class MatMul(Function):
    symbol = "@"
    name = "matmul"
    higher_order = True
    cases = (
        _shapes_case("", [(2, 3), (3, 4)]),
        _shapes_case("vector_matrix", [(3,), (3, 4)]),
        _shapes_case("matrix_vector", [(2, 3), (3,)]),
        _shapes_case("1d_1d", [(3,), (3,)]),
        _shapes_case("batched", [(2, 2, 3), (3, 4)]),
        _shapes_case("2d_3d", [(2, 3), (2, 3, 4)]),
        _shapes_case("batched_3d_3d", [(2, 2, 3), (2, 3, 4)]),
        # SymPy's Jacobian grows as (output size) x (input size): the exact check takes the
        # small batch broadcast, numpy/torch/finite differences the larger one
        _shapes_case("batch_broadcast", [(2, 1, 2, 2), (3, 2, 2)]),
        _shapes_case("batch_broadcast_wide", [(2, 1, 2, 3), (3, 3, 4)], symbolic=False),
        _shapes_case("3d_1d", [(2, 2, 3), (3,)]),
        _shapes_case("1d_3d", [(3,), (2, 3, 4)]),
        _shapes_case("operator", [(2, 3), (3, 4)], call=lambda a, b: a @ b),
        _shapes_case("method", [(4, 3), (3,)], call=lambda a, b: a.matmul(b)),
        Case([(3, 2)], variant="rmatmul_ndarray", call=lambda b: np.arange(6.0).reshape(2, 3) @ b,
             numpy=lambda b: np.arange(6.0).reshape(2, 3) @ b,
             torch=lambda b: th.arange(6.0, dtype=b.dtype).reshape(2, 3) @ b),
    )

    @staticmethod
    def forward(ctx, a, b):
        _check_shapes(a, b)
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def local(ctx):
        """(bᵀ, aᵀ): what upstream is multiplied with; a vector side is its own transpose."""
        a, b = ctx.saved_tensors
        return (b if b.ndim == 1 else dual.swap_last_axes(b),
                a if a.ndim == 1 else dual.swap_last_axes(a))

    @staticmethod
    def chain(upstream, local_gradient, index: int):
        """dL/da = upstream @ bᵀ (index 0), dL/db = aᵀ @ upstream (index 1).

        numpy drops the axis of a vector operand from the output, so upstream lacks it: a
        vector b leaves an outer product for a (and a vector a one for b), and a vector on
        the other side gets its axis back for the product and removed after it.
        """
        if index == 0:
            if local_gradient.ndim == 1:                  # b was a vector: upstream ⊗ b
                return upstream[..., None] * local_gradient
            if upstream.ndim < local_gradient.ndim:       # a was a vector: no row axis
                return (upstream[..., None, :] @ local_gradient)[..., 0, :]
            return upstream @ local_gradient
        if local_gradient.ndim == 1:                      # a was a vector: a ⊗ upstream
            if upstream.ndim == 0:                        # and b too (a dot product)
                return local_gradient * upstream
            return local_gradient[:, None] * upstream[..., None, :]
        if upstream.ndim < local_gradient.ndim:           # b was a vector: no column axis
            return (local_gradient @ upstream[..., None])[..., 0]
        return local_gradient @ upstream

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """dL/da = upstream · bᵀ, dL/db = aᵀ · upstream, with the real shapes; a vector is a
        column, so W @ v's dL/dW is the outer product upstream (m x 1) · vᵀ (1 x n), and
        broadcast batch axes are summed away."""
        a, b = terms.shapes
        out = terms.output
        if len(a) == 1 and len(b) == 1:                   # a dot product: a scalar upstream
            return f"{terms.up} · {terms.term(1 - index)}"
        if index == 0:
            if len(b) == 1:                               # upstream ⊗ b: an outer product
                return f"upstream {shape_text(out + (1,))} · {terms.transposed(1)}"
            return f"{terms.up} · {terms.transposed(1)}{terms.summed(0, out[:-1] + (b[-2],))}"
        if len(a) == 1:                                   # a ⊗ upstream: an outer product
            row = out[:-1] + (1, out[-1])
            return f"{terms.term(0, (a[0], 1))} · upstream {shape_text(row)}" + \
                terms.summed(1, out[:-1] + (a[0], out[-1]))
        product = out[:-1] + (a[-1],) if len(b) == 1 else out[:-2] + (a[-1], out[-1])
        return f"{terms.transposed(0)} · {terms.up}{terms.summed(1, product)}"

    @staticmethod
    def symbolic(a, b):
        return np.matmul(a, b)   # Σ_k a[..., i, k] b[..., k, j], numpy's 1-D and batch rules
