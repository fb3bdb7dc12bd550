"""Lesson 6, gradient checking: the finite-difference error trade-off on E04's σ'(1), gl.gradcheck passing the
E03 neuron, catching the notes' E06 and E12 bugs (and missing E06 where the sigmoid saturates), and the kink."""

import numpy as np
import pytest

import graphlab as gl
from graphlab import lessons

LESSON = lessons.find(6).load()
STEPS = [10.0 ** -k for k in range(1, 13)]


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(6)            # shared with test_lessons.py (conftest.py)
    return text, out


@pytest.fixture(scope="module")
def errors():
    return {dtype.__name__: LESSON.sigmoid_derivative_errors(STEPS, dtype) for dtype in (np.float64, np.float32)}


def test_E04_exact_derivative(errors):
    assert errors["float64"]["exact"] == pytest.approx(0.1966119, abs=1e-7)


def test_truncation_error_falls_like_h_and_h_squared(errors):
    f64 = errors["float64"]
    sigma = 1 / (1 + np.exp(-1.0))
    second = 0.1966119 * (1 - 2 * sigma)                               # σ'' = σ'(1 - 2σ)
    third = 0.1966119 * ((1 - 2 * sigma) ** 2 - 2 * 0.1966119)         # σ''' = σ'((1 - 2σ)² - 2σ')
    assert f64["one-sided"][3] == pytest.approx(abs(second) * 1e-4 / 2, rel=1e-3)       # h = 1e-4: h |σ''| / 2
    assert f64["central"][2] == pytest.approx(abs(third) * 1e-6 / 6, rel=1e-2)          # h = 1e-3: h² |σ'''| / 6
    assert min(f64["central"]) < 1e-11


def test_float32_cannot_check_gradients_at_gradchecks_step(errors):
    assert errors["float64"]["central"][5] < 1e-9                     # h = 1e-6
    assert errors["float32"]["central"][5] > 1e-3
    assert errors["float32"]["central"][-1] == pytest.approx(0.1966119, abs=1e-7)   # 1 + 1e-12 == 1 in float32


def test_E03_neuron_passes_gradcheck():
    w, x = gl.tensor([2.0, -3.0, -3.0]), gl.tensor([-1.0, -2.0])
    assert LESSON.check(LESSON.neuron_as_function, [w, x]) == "pass"


def test_E06_printed_flat_code_passes_where_saturated_and_fails_elsewhere():
    assert LESSON.check_printed_flat_code(LESSON.E03_INPUTS) == "pass"             # σ'(36) hides the bug
    quarter = {name: value / 4 for name, value in LESSON.E03_INPUTS.items()}
    report = LESSON.check_printed_flat_code(quarter)
    assert report.startswith("gradcheck: 5 Jacobian entries differ from central differences")


def test_E12_dropped_factor_two_is_caught():
    leaves = LESSON.e12_leaves()
    with pytest.raises(gl.GradcheckError, match="2 Jacobian entries differ"):
        gl.gradcheck(LESSON.NormOfProductAsSummarized.apply, leaves)
    analytic = gl.jacobian(LESSON.NormOfProductAsSummarized.apply, leaves)[1]
    numeric = gl.numeric_jacobian(LESSON.NormOfProductAsSummarized.apply, leaves)[1]
    np.testing.assert_allclose(analytic, [-0.056, 0.318], rtol=1e-12)
    np.testing.assert_allclose(numeric, [-0.112, 0.636], rtol=1e-8)
    worst = gl.verify.op(LESSON.NormOfProductAsSummarized, values=[leaf.data.tolist() for leaf in leaves]).worst
    assert str(worst) == "d out / d x[1]: exact 159/250 ≈ 0.636, engine 0.318 (error 0.318)"


def test_a_kink_fools_finite_differences():
    x = gl.tensor([0.0, 1.0], name="x")
    assert gl.numeric_jacobian(gl.relu, x)[0, 0] == pytest.approx(0.5)
    assert gl.jacobian(gl.relu, x)[0, 0] == 0
    assert "1 Jacobian entries differ" in LESSON.check(gl.relu, [x])


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["exact σ'(1) = (1 - σ(1)) σ(1) = 0.1966119  (E04)",
                 "gl.gradcheck(neuron, [w, x]): pass",
                 "At the notes' inputs (w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3):\n  pass",
                 "SymPy names the entry exactly (gl.verify.op): d out / d x[1]: exact 159/250"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert [path.name for path in out.iterdir()] == ["finite_difference_error.png"]
