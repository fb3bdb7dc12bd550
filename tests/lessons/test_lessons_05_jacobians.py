"""Lesson 5, Jacobians: E07 (derivative, gradient, Jacobian by their shapes), E08 (SymPy's Jacobian at (1, 2)),
E10 (ReLU's diagonal Jacobian) and E09 (the sizes that make building it impossible, the notes' extra zero
corrected)."""

import numpy as np
import pytest
import sympy

from graphlab import lessons

LESSON = lessons.find(5).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(5)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E07_derivative_gradient_jacobian_shapes():
    assert LESSON.derivative_shapes(inputs=4, outputs=3) == {
        "scalar -> scalar": (), "vector -> scalar": (4,), "vector -> vector": (3, 4), "upstream · Jacobian": (4,)}


def test_E08_sympy_jacobian_by_hand_and_at_the_point():
    report = LESSON.jacobian_by_sympy()
    x, y = report.variables
    assert sympy.simplify(report.symbolic - sympy.Matrix([[4 * x ** 3 + 3 * y ** 2, 6 * x * y],
                                                          [-2 * y, 10 * y - 2 * x]])) == sympy.zeros(2, 2)
    assert report.exact == sympy.Matrix([[16, 12], [-4, 18]])
    assert report.matches and report.max_error == 0


def test_E08_value_and_each_row_from_one_backward_walk():
    result = LESSON.value_and_rows()
    assert result["f"] == (13, 17)
    assert result["rows"] == [(16, 12), (-4, 18)]


def test_E10_relu_diagonal_jacobian():
    relu = LESSON.relu_jacobian()
    np.testing.assert_array_equal(relu["y"], [1, 0, 3, 0])
    np.testing.assert_array_equal(relu["jacobian"], np.diag([1, 0, 1, 0]))
    assert relu["exact"] == sympy.diag(1, 0, 1, 0)
    np.testing.assert_array_equal(relu["local"], [1, 0, 1, 0])
    np.testing.assert_array_equal(relu["downstream"], [4, 0, 5, 0])
    np.testing.assert_array_equal(relu["J @ upstream"], [4, 0, 5, 0])


def test_E09_jacobian_sizes_with_the_notes_extra_zero_corrected():
    single = LESSON.relu_structure(batch=1)
    assert (single.kind, single.rows, single.cols, single.nonzeros) == ("diagonal", 4096, 4096, 4096)
    assert single.entries == 16_777_216 and single.dense_bytes == 64 * 2 ** 20
    batch = LESSON.relu_structure(batch=100)
    assert batch.rows == batch.cols == 409_600 != 4_096_000            # the notes' "4096000 x 4096000"
    assert batch.entries == 167_772_160_000 and batch.dense_bytes == 625 * 2 ** 30
    assert LESSON.relu_backward_at_scale(batch=3) == {"elements": 3 * 4096, "matches mask": True}


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["f(1, 2) = (13, 17)",
                 "backward from f1 alone (upstream = e1) gives row 1: (16, 12)",
                 "x = (1, -2, 3, -1)  ->  y = max(0, x) = (1, 0, 3, 0)",
                 "upstream (4, -1, 5, 9) × local = downstream (4, 0, 5, 0)",
                 "409,600 × 409,600 = 167,772,160,000 entries (625.0 GiB in float32)"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e10_relu_jacobian.png", "e11_matmul_jacobian.png"}
