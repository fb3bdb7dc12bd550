"""Comparisons: lt, le, gt, ge, eq, ne.

Piecewise constant, so they have no gradient (``differentiable = False``): the output is a
bool mask that needs no grad; ``gl.where`` routes gradients by it. Their cases check values
only, on ties on purpose (equal inputs are where ``<`` and ``<=`` differ).
"""
from __future__ import annotations

import operator

import numpy as np

from graphlab.autodiff.cases import Case, th
from graphlab.autodiff.function import Function


def comparison_cases(numpy, spelled, torch_name: str) -> tuple:
    """The op itself (same shapes, broadcast), its operator, and a constant on the right:
    values only (``out_dtype`` bool), against numpy's ``numpy`` and PyTorch's ``th.<torch_name>``."""
    def torch(a, b):
        return getattr(th, torch_name)(a, b)
    common = dict(out_dtype=np.bool_, gradcheck=False, symbolic=False)
    return (
        Case([(3, 4), (3, 4)], "ties", numpy=numpy, torch=torch, **common),
        Case([(3, 1), (4,)], "ties", variant="broadcast", numpy=numpy, torch=torch, **common),
        Case([(2, 3), (2, 3)], "ties", variant="operator", call=spelled, numpy=numpy, torch=torch, **common),
        Case([(2, 3)], "ties", variant="const", call=lambda x: spelled(x, 0.0), numpy=lambda x: numpy(x, 0.0),
             torch=lambda x: spelled(x, 0.0), **common),
    )


class Lt(Function):
    differentiable = False
    cases = comparison_cases(np.less, operator.lt, "lt")

    @staticmethod
    def forward(ctx, x, y):
        return x < y


class Le(Function):
    differentiable = False
    cases = comparison_cases(np.less_equal, operator.le, "le")

    @staticmethod
    def forward(ctx, x, y):
        return x <= y


class Gt(Function):
    differentiable = False
    cases = comparison_cases(np.greater, operator.gt, "gt")

    @staticmethod
    def forward(ctx, x, y):
        return x > y


class Ge(Function):
    differentiable = False
    cases = comparison_cases(np.greater_equal, operator.ge, "ge")

    @staticmethod
    def forward(ctx, x, y):
        return x >= y


class Eq(Function):
    differentiable = False
    cases = comparison_cases(np.equal, operator.eq, "eq")

    @staticmethod
    def forward(ctx, x, y):
        return x == y


class Ne(Function):
    differentiable = False
    cases = comparison_cases(np.not_equal, operator.ne, "ne")

    @staticmethod
    def forward(ctx, x, y):
        return x != y
