"""The fully connected layer as one node: y = x Wᵀ + b (PyTorch's weight layout (out, in)).

Backward (lecture 4's vectorized rule): dx = dy W, dW = dyᵀ x, db = Σ dy over the batch.
Written with operators Tensors share, so it is differentiable again (``create_graph=True``).

>>> import graphlab as gl
>>> x = gl.ones(2, 3)
>>> w = gl.ones(4, 3)                        # 3 -> 4 features
>>> gl.functional.linear(x, w, gl.zeros(4)).shape
(2, 4)
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, F
from graphlab.autodiff.function import Function
from graphlab.autodiff.rules import shape_text
from graphlab.errors import ShapeError


def _numpy_linear(x, weight, *bias):
    output = x @ weight.T
    return output + bias[0] if bias else output


def _torch_linear(x, weight, *bias):
    return F.linear(x, weight, *bias)


class Linear(Function):
    name = "linear"
    higher_order = True
    cases = (
        Case([(2, 3), (4, 3), (4,)], numpy=_numpy_linear, torch=_torch_linear),
        Case([(3,), (2, 3)], variant="no_bias", numpy=_numpy_linear, torch=_torch_linear),
        Case([(2, 2, 3), (4, 3), (4,)], variant="batched", numpy=_numpy_linear, torch=_torch_linear),
    )

    @staticmethod
    def forward(ctx, x, weight, *bias):
        if weight.ndim != 2:
            raise ShapeError(f"linear: weight of shape {weight.shape} must be 2-D (out_features, in_features)")
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            hint = (f"; flatten images first (x.flatten(1) gives {x.shape[0]} x "
                    f"{int(np.prod(x.shape[1:]))})" if x.ndim > 2 else "")
            raise ShapeError(f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features but the "
                             f"weight {weight.shape} expects in_features={weight.shape[1]}; make the layer's "
                             f"in_features {x.shape[-1] if x.ndim else 0} or fix the layer before it{hint}")
        if bias and bias[0].shape != (weight.shape[0],):
            raise ShapeError(f"linear: bias of shape {bias[0].shape} must be ({weight.shape[0]},) = (out_features,)")
        ctx.save_for_backward(x, weight)
        output = x @ weight.T
        if bias:
            output += bias[0]
        return output

    @staticmethod
    def backward(ctx, upstream):
        x, weight = ctx.saved_tensors
        out_features, in_features = weight.shape
        needs_x, needs_weight, *needs_bias = ctx.needs_input_grad
        upstream_rows = upstream.reshape((-1, out_features))     # one row per sample
        downstream_x = upstream @ weight if needs_x else None
        # frozen weights (and lesson-style probes on fixed layers) skip their GEMM
        downstream_weight = upstream_rows.T @ x.reshape((-1, in_features)) if needs_weight else None
        if not needs_bias:
            return downstream_x, downstream_weight
        return downstream_x, downstream_weight, upstream_rows.sum(axis=0) if needs_bias[0] else None

    @staticmethod
    def rule(ctx, index: int, terms) -> str:
        """dL/dx = upstream · W, dL/dW = upstreamᵀ · x (one row per sample), dL/db = upstream
        summed over the batch: lecture 4's rules for y = x Wᵀ + b."""
        x_shape, (out_features, in_features) = terms.shapes[0], terms.shapes[1]
        if index == 0:
            return f"{terms.up} · {terms.term(1)}"
        if index == 2:
            return f"{terms.up}{terms.summed(2)}"
        if len(x_shape) == 1:                             # one sample: an outer product
            return f"upstream {shape_text((out_features, 1))} · {terms.transposed(0)}"
        samples = int(np.prod(x_shape[:-1]))
        return f"upstreamᵀ {shape_text((out_features, samples))} · {terms.term(0, (samples, in_features))}"

    @staticmethod
    def symbolic(x, weight, *bias):
        output = np.matmul(x, weight.T)                 # y = x Wᵀ + b
        return output + bias[0] if bias else output
