"""gl.verify.op: every built-in op's backward against SymPy's exact Jacobian.

The cases are the ops' own (``cases`` on each op class: small shapes, exact inputs); the
coverage test fails when an op under ``graphlab/ops`` has no ``symbolic`` twin or no case,
unless it is exempt with a written reason.
"""
from __future__ import annotations

import gc

import numpy as np
import pytest
import sympy

import graphlab as gl
from graphlab.autodiff.function import Function
from graphlab.verify import op_table, symbolic

CASES = symbolic.all_cases()          # every built-in op's symbolic cases


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_op_backward_equals_the_exact_jacobian(case):
    report = symbolic.run_case(case)
    assert report.passed, str(report)
    assert report.max_error <= 1e-9 and report.value_error <= 1e-9
    # there was something to compare: one row per output element, one column per input element
    inputs = sum(int(np.prod(shape)) for _, shape, _, differentiable in report.inputs if differentiable)
    assert report.exact.shape == (int(np.prod(report.output_shape)), inputs) == report.engine.shape
    assert inputs > 0
    NONZERO[case.op.name] = NONZERO.get(case.op.name, False) or bool(np.any(report.engine != 0))
    # SymPy's work stays bounded: small shapes (speed itself belongs to benchmarks, not tests)
    assert report.exact.rows * report.exact.cols <= 1000


NONZERO: dict = {}   # op -> whether one of its cases had a non-zero Jacobian (filled by the test above)


def test_every_op_is_checked_on_a_non_zero_jacobian():
    """An all-zero Jacobian compares little: every op has a case where the gradient flows."""
    for case in CASES:
        if case.op.name not in NONZERO:
            test_op_backward_equals_the_exact_jacobian(case)
    assert [op for op, flows in NONZERO.items() if not flows] == []


# -- coverage ---------------------------------------------------------------------------------
def test_every_builtin_op_has_a_twin_and_a_case_or_a_written_exemption():
    result = symbolic.coverage()
    builtin = symbolic.builtin_ops()
    assert {"add", "matmul", "getitem", "log_softmax", "where", "scatter_add"} <= set(builtin)   # the scan works
    assert result["import_failures"] == {}, f"op modules that do not import: {result['import_failures']}"
    assert result["missing_twin"] == [], f"built-in ops without a symbolic twin: {result['missing_twin']}"
    assert result["missing_case"] == [], f"ops without a symbolic case: {result['missing_case']}"
    assert set(result["verified"]) | set(result["exempt"]) == set(builtin)
    for name, reason in op_table.EXEMPT.items():
        assert name in builtin, f"stale exemption {name!r}"
        assert not builtin[name].differentiable and len(reason) > 40
    assert {case.op.name for case in CASES} <= set(builtin), "a case names an op that does not exist"


def test_the_table_covers_every_builtin_op_and_all_pass(whole_table):
    rows = whole_table                                   # symbolic.verify_all(), computed once (conftest.py)
    assert {row.op for row in rows} == set(symbolic.builtin_ops())
    assert [row for row in rows if row.status == "FAIL"] == []
    assert {row.op for row in rows if row.status == "exempt"} == set(op_table.EXEMPT)


def test_coverage_considers_only_builtin_ops_and_catches_a_new_op_without_twin():
    class UserOp(gl.Function):            # a user's op lands in Function.registry, not in the table
        @staticmethod
        def forward(ctx, x):
            return x

    assert "user_op" in Function.registry and "user_op" not in symbolic.builtin_ops()
    # an op defined under graphlab.ops without a twin is caught (simulated, then removed again)
    fake = type("Fake", (Function,), {"__module__": "graphlab.ops.fake_family", "name": "fake_op",
                                      "forward": staticmethod(lambda ctx, x: x)})
    try:
        assert "fake_op" in symbolic.coverage()["missing_twin"]
        (row,) = symbolic.verify_all(only=lambda name: name == "fake_op")
        assert row.status == "FAIL" and "no symbolic twin" in row.note
    finally:
        del Function.registry["fake_op"], Function.registry["user_op"]
        del fake, UserOp
        gc.collect()
    assert "fake_op" not in symbolic.builtin_ops()


def test_a_user_op_named_like_a_builtin_does_not_hide_the_builtin():
    original = Function.registry["add"]
    try:
        class Add(gl.Function):            # noqa: F811  (overwrites the registry entry "add")
            @staticmethod
            def forward(ctx, x, y):
                return x + y
        assert Function.registry["add"] is Add
        assert symbolic.builtin_ops()["add"] is original
    finally:
        Function.registry["add"] = original


# -- a wrong backward is caught -------------------------------------------------------------------
class BadCube(gl.Function):
    """x³ with a deliberately wrong backward: 2x² instead of 3x²."""
    elementwise = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        return upstream * 2 * x ** 2

    @staticmethod
    def symbolic(x):
        return x ** 3


class Cube(BadCube):
    """The same op, right."""

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        return upstream * 3 * x ** 2


def test_verify_op_reports_a_wrong_backward_naming_the_op_and_the_worst_element():
    report = gl.verify.op(BadCube, values=[[1, -2, 0.5]])
    assert not report.passed and report.status == "FAIL"
    assert report.op == "bad_cube"
    worst = report.worst
    # the largest |x| is the worst: exact 3·4 = 12, engine 2·4 = 8
    assert (worst.output, worst.out_index, worst.input, worst.in_index) == ("out", (1,), "x", (1,))
    assert worst.exact == 12 and worst.engine == 8 and worst.error == 4
    assert report.max_error == 4 and report.value_error == 0       # the forward agrees with the twin
    text = str(report)
    assert "bad_cube" in text and "FAIL" in text and "d out[1] / d x[1]: exact 12, engine 8" in text
    assert "DOES NOT MATCH" in text
    assert gl.verify.op(Cube, values=[[1, -2, 0.5]]).passed


def test_a_backward_that_raises_is_a_failure_with_the_reason():
    class WrongShape(gl.Function):
        elementwise = True

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, upstream):
            return np.ones(7)

        @staticmethod
        def symbolic(x):
            return 2 * x

    report = gl.verify.op(WrongShape, shapes=[(2, 3)])
    assert not report.passed
    assert "wrong_shape" in report.summary() and "ShapeError" in report.message


def test_a_twin_that_disagrees_with_forward_is_reported():
    class Twice(gl.Function):
        elementwise = True

        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, upstream):
            return 2 * upstream

        @staticmethod
        def symbolic(x):
            return 3 * x                 # wrong twin: the forward is checked too

    report = gl.verify.op(Twice, values=[[1.0, 2.0]])
    assert not report.passed and report.value_error == 2
    assert "forward differs from the twin" in report.summary()


# -- conventions at the kinks: the engine's are SymPy's ------------------------------------------
@pytest.mark.parametrize("name, values, params, expected", [
    ("relu", [[0]], {}, [[0]]),                                                # relu'(0) = 0
    ("abs", [[0]], {}, [[0]]),                                                 # sign(0) = 0
    ("leaky_relu", [[0]], {"negative_slope": 0.01}, [[sympy.Rational(1, 100)]]),   # the slope at 0
    ("elu", [[0]], {"alpha": 0.5}, [[sympy.Rational(1, 2)]]),                  # alpha at 0
    ("clip", [[-0.5, 0.5]], {"low": -0.5, "high": 0.5}, [[1, 0], [0, 1]]),     # bounds count as inside
    ("maximum", [[1], [1]], {}, [[sympy.Rational(1, 2), sympy.Rational(1, 2)]]),   # a tie splits: Heaviside(0)
    ("max", [[2, 2, 1]], {"axis": None}, [[sympy.Rational(1, 2), sympy.Rational(1, 2), 0]]),   # two-way tie
])
def test_kink_conventions(name, values, params, expected):
    report = gl.verify.op(name, values=values, params=params)
    assert report.passed, str(report)
    assert report.exact == sympy.Matrix(expected)


# -- the API --------------------------------------------------------------------------------------
def test_ops_are_found_by_name_alias_class_or_apply():
    assert symbolic.resolve("leaky_relu") is symbolic.resolve("LeakyRelu") is symbolic.resolve("leaky_relu")
    assert symbolic.resolve(gl.relu).name == "relu"
    assert symbolic.resolve("log_softmax").name == "log_softmax"
    with pytest.raises(gl.verify.VerifyError, match="no op named 'nope'"):
        gl.verify.op("nope")
    with pytest.raises(gl.verify.VerifyError, match="no gradient to verify: a comparison"):
        gl.verify.op("lt")


def test_shapes_seed_and_params_can_be_chosen():
    report = gl.verify.op("sum", shapes=[(3, 2)], params={"axis": 0})
    assert report.passed and report.output_shape == (2,) and report.shapes == ((3, 2),)
    other = gl.verify.op("sum", shapes=[(3, 2)], params={"axis": 0}, seed=1)
    assert not np.array_equal(report.inputs[0][2], other.inputs[0][2])
    assert gl.verify.op("matmul", shapes=[(3,), (3,)]).output_shape == ()
    assert gl.verify.op("log", shapes=(4,), domain="positive").passed


def test_the_wrong_number_of_inputs_is_a_clear_error():
    with pytest.raises(gl.verify.VerifyError, match=r"mul takes 2 input\(s\) \(x, y\) but got 1"):
        gl.verify.op("mul", shapes=[(2,)])


def test_large_shapes_are_refused_instead_of_running_sympy_for_minutes():
    with pytest.raises(gl.verify.VerifyError, match="smaller shapes"):
        gl.verify.op("matmul", shapes=[(30, 30), (30, 30)])


def test_report_prints_with_sympy_pretty_and_latex():
    report = gl.verify.op("mul", values=[[1, 2], [3, -1]])
    text = str(report)
    assert "x[0]⋅y[0]" in text                     # sympy.pretty's unicode product
    assert "⎡" in text and "engine matches SymPy" in text
    latex = report._repr_latex_()
    assert latex.startswith("$") and latex.endswith("$") and r"x_{0}" in latex and r"\begin{matrix}" in latex
    assert sympy.sympify(report.expression[0]) == sympy.Symbol("x[0]", real=True) * sympy.Symbol("y[0]", real=True)


def test_import_graphlab_does_not_load_sympy():
    import subprocess
    import sys
    code = "import sys, graphlab; assert 'sympy' not in sys.modules; graphlab.verify.op; assert 'sympy' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_old_op_spellings_resolve_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="'leakyrelu' is now 'leaky_relu'"):
        assert symbolic.resolve("leakyrelu") is symbolic.resolve("leaky_relu")


def test_verify_and_completion_read_the_one_registry_of_builtin_ops():
    from graphlab.ops.registry import builtin_ops, op_names
    assert symbolic.builtin_ops() == builtin_ops() == gl.verify.builtin_ops()
    assert {row.op for row in symbolic.verify_all(only=lambda name: name in ("lt", "relu"))} == {"lt", "relu"}
    assert op_names() == sorted(builtin_ops()) and "conv2d" in op_names()
