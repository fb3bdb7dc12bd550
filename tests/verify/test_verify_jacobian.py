"""gl.verify.jacobian (hand-written Jacobians, E08) and gl.verify.structure (E09, E10)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

import graphlab as gl

E08 = ["x**4 + 3*y**2*x", "5*y**2 - 2*x*y + 1"]


def test_E08_jacobian_at_1_2_is_exactly_16_12_minus4_18():
    report = gl.verify.jacobian(E08, ["x", "y"], at=(1, 2))
    assert report.exact == sympy.Matrix([[16, 12], [-4, 18]])
    assert report.exact.tolist() == [[16, 12], [-4, 18]]
    assert all(isinstance(entry, sympy.Integer) for entry in report.exact)        # exact, not floats
    x, y = sympy.symbols("x y", real=True)
    # the notes' formulas: df1/dx = 4x³ + 3y², df1/dy = 6yx, df2/dx = -2y, df2/dy = 10y - 2x
    assert report.symbolic == sympy.Matrix([[4 * x ** 3 + 3 * y ** 2, 6 * x * y], [-2 * y, 10 * y - 2 * x]])
    # the engine's gl.jacobian of the same function agrees
    assert report.matches and report.max_error == 0
    np.testing.assert_array_equal(report.engine, [[16, 12], [-4, 18]])
    text = str(report)
    assert "matches" in text and "⎡16  12⎤" in text


def test_E08_with_a_python_function_and_sympy_symbols():
    def f(x, y):                       # one function for SymPy symbols and for Tensors
        return [x ** 4 + 3 * y ** 2 * x, 5 * y ** 2 - 2 * x * y + 1]

    report = gl.verify.jacobian(f, "x, y", at={"x": 1, "y": 2})
    assert report.exact.tolist() == [[16, 12], [-4, 18]] and report.matches
    x, y = sympy.symbols("x y")        # the user's own symbols (no assumptions) work too
    report = gl.verify.jacobian([x ** 4 + 3 * y ** 2 * x, 5 * y ** 2 - 2 * x * y + 1], [x, y], at=[1, 2])
    assert report.exact.tolist() == [[16, 12], [-4, 18]] and report.matches


def test_jacobian_with_functions_the_engine_has_and_exact_irrational_values():
    report = gl.verify.jacobian(["exp(x) * sqrt(y)", "log(y) - tanh(x)", "Max(x, y)"], "x y", at=(0, 4))
    x, y = sympy.symbols("x y", real=True)
    assert report.exact == sympy.Matrix([[2, sympy.Rational(1, 4)], [-1, sympy.Rational(1, 4)], [0, 1]])
    assert report.matches
    report = gl.verify.jacobian(["sqrt(x*y)"], "x y", at=(0.5, 2))
    assert report.exact.tolist() == [[1, sympy.Rational(1, 4)]] and report.matches


def test_a_function_the_engine_cannot_build_is_still_derived_exactly():
    report = gl.verify.jacobian(["sin(x) * y"], "x y", at=(0, 3))
    assert report.exact.tolist() == [[3, 0]]
    assert report.engine is None and not report.matches
    assert "cannot build" in str(report)


def test_a_point_that_does_not_fit_the_variables_is_an_error():
    with pytest.raises(gl.verify.VerifyError, match="one value for each"):
        gl.verify.jacobian(E08, "x y", at=(1,))


# -- structure ------------------------------------------------------------------------------------
def test_E10_relu_jacobian_is_diagonal_and_at_1_m2_3_m1_it_is_diag_1_0_1_0():
    report = gl.verify.structure("relu", 4, at=[1, -2, 3, -1])
    assert report.kind == "diagonal" and (report.rows, report.cols, report.nonzeros) == (4, 4, 4)
    assert report.exact == sympy.diag(1, 0, 1, 0)
    assert report.check.passed                     # and the engine's backward gives the same matrix
    np.testing.assert_array_equal(report.check.engine, np.diag([1.0, 0, 1, 0]))
    # upstream (4, -1, 5, 9) -> downstream (4, 0, 5, 0): the diagonal times the upstream
    assert list(report.exact.T @ sympy.Matrix([4, -1, 5, 9])) == [4, 0, 5, 0]
    assert report.pattern_text() == "■ · · ·\n· ■ · ·\n· · ■ ·\n· · · ■"


def test_E09_relu_on_4096_has_a_4096_by_4096_diagonal_jacobian_that_is_never_built():
    report = gl.verify.structure("relu", 4096)
    assert report.kind == "diagonal"
    assert (report.rows, report.cols, report.entries, report.nonzeros) == (4096, 4096, 16_777_216, 4096)
    assert report.dense_bytes == 64 * 2 ** 20                   # 64 MiB in float32, for 4096 useful numbers
    assert "16,777,216 entries (64.0 MiB in float32)" in report.memory()
    assert "never builds it" in report.memory()


def test_E09_batch_of_100_is_409600_squared_not_the_notes_4096000():
    # The notes say "4096000 x 4096000" for a batch of 100: one zero too many (100 x 4096 = 409,600).
    report = gl.verify.structure("relu", (100, 4096))
    assert report.kind == "diagonal"
    assert report.rows == report.cols == 409_600 != 4_096_000
    assert report.entries == 409_600 ** 2 == 167_772_160_000
    assert report.nonzeros == 409_600
    assert report.pattern_shapes == ((4, 4),)                    # SymPy's work stayed on 16 elements
    assert "409,600 × 409,600 = 167,772,160,000 entries" in str(report)


@pytest.mark.parametrize("op, shape, params, kind, detail", [
    ("sigmoid", (2, 3), {}, "diagonal", "same place"),
    ("add", (3,), {}, "diagonal", "same place"),
    ("softmax", (2, 3), {"axis": -1}, "block-diagonal", "2 blocks of 3×3"),
    ("softmax", (2, 3), {"axis": 0}, "block-diagonal", "3 blocks of 2×2, after reordering"),
    ("sum", (2, 3), {"axis": 1}, "block-diagonal", "2 blocks of 1×3"),
    ("sum", (2, 3), {"axis": None}, "dense", "every output"),
    ("transpose", (2, 3), {}, "sparse", "a permutation"),
    ("getitem", (4, 3), {}, "sparse", "4 of 48"),
    ("pad", (2, 3), {}, "sparse", "6 of 90"),
    ("matmul", [(2, 3), (3, 2)], {}, "block-diagonal", "2 blocks of 2×3"),
    ("logsumexp", (4,), {"axis": None}, "dense", "every output"),
])
def test_structure_kinds(op, shape, params, kind, detail):
    report = gl.verify.structure(op, shape, params=params)
    assert report.blocks[0].kind == kind and detail in report.blocks[0].detail, str(report)


def test_banded_and_zero_patterns_are_recognised():
    from graphlab.verify.symbolic import classify
    band = np.eye(6, dtype=bool) | np.eye(6, k=1, dtype=bool) | np.eye(6, k=-1, dtype=bool)
    assert classify(band) == ("banded", "non-zeros within 1 of the diagonal")
    assert classify(np.zeros((2, 3), dtype=bool))[0] == "zero"
    assert classify(np.ones((3, 3), dtype=bool))[0] == "dense"


def test_structure_of_large_non_elementwise_ops_is_refused():
    with pytest.raises(gl.verify.VerifyError, match="smaller one"):
        gl.verify.structure("softmax", (100, 4096))


def test_structure_report_prints_and_renders_latex():
    report = gl.verify.structure("softmax", 3)
    text = str(report)
    assert "softmax on (3,) -> (3,): dense" in text and "exact Jacobian at" in text
    assert report._repr_latex_().startswith("$")


def test_heatmap_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = gl.verify.structure("softmax", (2, 3)).heatmap(tmp_path / "softmax.png")
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = gl.verify.structure("relu", (100, 4096)).heatmap(tmp_path / "relu.png")   # the probe's pattern
    assert path.exists()
