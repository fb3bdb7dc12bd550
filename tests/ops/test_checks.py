"""The runner of the generic checks (graphlab/verify/checks.py) on ops defined here: a right
one passes every check, a wrong backward fails the checks that can see it."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
from graphlab.autodiff.cases import Case, th
from graphlab.autodiff.function import Function
from graphlab.verify import checks


def _cases():
    return (Case([(2, 3)], numpy=lambda x: x ** 3, torch=lambda x: x ** 3),
            Case([()], variant="scalar", numpy=lambda x: x ** 3, torch=lambda x: x ** 3),
            Case([(2, 3)], variant="operator", call=lambda x: x * x * x, numpy=lambda x: x ** 3))


class CheckedCube(Function):
    """x³ with local 3x²: the default backward (upstream × local)."""
    elementwise = True
    cases = _cases()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2

    @staticmethod
    def symbolic(x):
        return x ** 3


class WrongCube(CheckedCube):
    """The same local, but a backward of its own that forgets the factor 3."""
    cases = _cases()[:1]

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        return (upstream * x ** 2,)


class Below(Function):
    """x < y: not differentiable, checked for values only."""
    differentiable = False
    cases = (Case([(2, 3), (2, 3)], "ties", out_dtype="bool", gradcheck=False, numpy=np.less,
                  torch=lambda x, y: th.lt(x, y)),)

    @staticmethod
    def forward(ctx, x, y):
        return x < y


@pytest.fixture(autouse=True, scope="module")
def _forget_the_test_ops():
    yield
    for name in ("checked_cube", "wrong_cube", "below"):
        Function.registry.pop(name, None)


def test_a_right_op_passes_every_check():
    reports = checks.check_op(CheckedCube)
    assert [report.label for report in reports] == ["checked_cube", "checked_cube.scalar", "checked_cube.operator"]
    for report in reports:
        assert report.passed, str(report)
    statuses = {result.check: result.status for result in reports[0].results}
    assert statuses["numpy"] == statuses["gradcheck"] == statuses["sympy"] == statuses["local"] == "pass"
    # the operator case spells x * x * x: no SymPy check, and its output is made by mul
    operator = {result.check: result for result in reports[2].results}
    assert operator["sympy"].status == "skip" and operator["local"].status == "skip"


def test_a_wrong_backward_fails_the_checks_that_see_it():
    (report,) = checks.check_op(WrongCube, torch=False)
    assert not report.passed
    failed = {result.check for result in report.failures}
    assert failed == {"gradcheck", "sympy", "local"}, str(report)
    assert "upstream × local" in str(report) and "torch" in str(report)


def test_a_comparison_is_checked_for_values_only():
    (report,) = checks.check_op(Below)
    statuses = {result.check: result.status for result in report.results}
    assert statuses["numpy"] == "pass" and statuses["gradcheck"] == "skip" and statuses["sympy"] == "skip"
    assert report.passed, str(report)
