"""Lesson 4, vectorized backprop: E12 (f = ||W x||², exactly), E11 (the matmul rules), E07 (every gradient
has its value's shape), E13 (the 3-layer net's 41 parameters) and E94 (the bias trick)."""

import numpy as np
import pytest
import sympy

from graphlab import lessons

LESSON = lessons.find(4).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(4)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E12_forward_and_backward():
    nodes = LESSON.norm_of_product()
    np.testing.assert_allclose(nodes["q"].data, [0.22, 0.26], rtol=1e-15)
    assert nodes["f"].item() == pytest.approx(0.116, rel=1e-15)
    np.testing.assert_allclose(nodes["q"].grad, [0.44, 0.52], rtol=1e-15)
    np.testing.assert_allclose(nodes["W"].grad, [[0.088, 0.176], [0.104, 0.208]], rtol=1e-15)
    np.testing.assert_allclose(nodes["x"].grad, [-0.112, 0.636], rtol=1e-14)
    for name in ("W", "x", "q"):                                                       # E07
        assert nodes[name].grad.shape == nodes[name].shape


def test_E12_exact_fractions_and_the_closed_forms():
    nodes = LESSON.norm_of_product()
    exact = LESSON.exact_gradients(nodes)
    fraction = sympy.Rational
    assert exact["passed"]
    assert exact["W"].tolist() == [[fraction(88, 1000), fraction(176, 1000)], [fraction(104, 1000), fraction(208, 1000)]]
    assert exact["x"].tolist() == [fraction(-112, 1000), fraction(636, 1000)]
    formulas = LESSON.by_the_formulas(nodes["W"].data, nodes["x"].data)
    np.testing.assert_allclose(formulas["df/dW"], nodes["W"].grad, rtol=1e-15)
    np.testing.assert_allclose(formulas["df/dx"], nodes["x"].grad, rtol=1e-15)
    np.testing.assert_allclose(formulas["slip Wᵀq"], [-0.056, 0.318], rtol=1e-14)       # the notes' E12 slip: half


@pytest.mark.parametrize("x_values, middle_row", [
    (((1, 2, 0), (-1, 1, 2)), (1, -2, 0, 1)),
    (((7, -3, 5), (2, 2, -9)), (-4, 6, 8, 0)),            # the unknowns change, the notes' entries do not
])
def test_E11_local_gradient_slices_and_entries(x_values, middle_row):
    example = LESSON.matmul_example(x_values, middle_row)
    np.testing.assert_array_equal(example["dy/dx11"], [[3, 2, 1, -1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(example["dy/dx23"], [[0, 0, 0, 0], [3, 2, 1, -2]])
    assert example["dL/dx11"] == 0                        # 3*2 + 2*3 + 1*(-3) + (-1)*9
    assert example["dL/dx23"] == -30                      # with the catalogue's recalled second row of dL/dy
    assert example["jacobian"].shape == (2, 4, 2, 3)


def test_E11_rules_dL_dx_and_dL_dw():
    example = LESSON.matmul_example()
    np.testing.assert_array_equal(example["x"].grad, example["dL/dy wᵀ"])
    np.testing.assert_array_equal(example["w"].grad, example["xᵀ dL/dy"])
    assert example["x"].grad.shape == (2, 3) and example["w"].grad.shape == (3, 4)      # E07
    assert LESSON.dot_text((3, 2, 1, -1), (2, 3, -3, 9)) == "3·2 + 2·3 + 1·(-3) + (-1)·9"


def test_E13_three_layer_net():
    net = LESSON.three_layer_net()
    assert net["count"] == 41
    assert [net[name].shape for name in ("x", "h1", "h2", "out")] == [(3, 1), (4, 1), (4, 1), (1, 1)]
    for param in net["params"].values():                                                  # E07
        assert param.grad.shape == param.shape and np.all(np.isfinite(param.grad))
    assert LESSON.linear_layers_collapse() < 1e-12


def test_E94_the_bias_trick_by_hand():
    trick = LESSON.bias_trick()
    np.testing.assert_array_equal(trick["Wx + b"], [8, 13])
    np.testing.assert_array_equal(trick["[W | b]"], [[1, 2, 5], [3, 4, 6]])
    np.testing.assert_array_equal(trick["[x; 1]"], [1, 1, 1])
    np.testing.assert_array_equal(trick["[W | b]·[x; 1]"], [8, 13])
    other = LESSON.bias_trick(W=((0.5, -1), (2, 0)), b=(-3, 0.25), x=(4, -2))          # any numbers, not just E94's
    np.testing.assert_allclose(other["[W | b]·[x; 1]"], other["Wx + b"])
    np.testing.assert_allclose(other["Wx + b"], [1, 8.25])


def test_E94_a_trained_linear_classifier_scores_and_backprops_the_same_in_both_forms():
    model = LESSON.linear_classifier(steps=60)
    forms = LESSON.both_forms(model)
    assert forms["accuracy"] > 0.9 and forms["shape"] == (10, 65)                   # trained, 64 pixels + the 1
    assert forms["scores"].shape == (359, 10) and np.abs(forms["scores"]).max() > 1   # real, non-trivial scores
    np.testing.assert_allclose(forms["trick scores"], forms["scores"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(forms["dL/d[W | b]"], forms["dL/dW | dL/db"], rtol=1e-12, atol=1e-15)
    assert np.abs(forms["dL/d[W | b]"][:, -1]).max() > 1e-4                         # the bias column is not zero


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["q = W x = [0.22, 0.26],  f = q·q = 0.116",
                 "df/dW = [[0.088, 0.176], [0.104, 0.208]]  (shape (2, 2), the shape of W)",
                 "df/dx = [-0.112, 0.636]  (shape (2,), the shape of x)",
                 "SymPy, exactly: df/dW = [[11/125, 22/125], [13/125, 26/125]], df/dx = [-14/125, 159/250]",
                 "Wᵀ q = [-0.056, 0.318], half the right answer",
                 "dL/dx[1,1] = w[1,:]·dL/dy[1,:] = 3·2 + 2·3 + 1·(-3) + (-1)·9 = 0",
                 "dL/dx[2,3] = w[3,:]·dL/dy[2,:] = 3·(-8) + 2·1 + 1·4 + (-2)·6 = -30",
                 "dL/dx = dL/dy wᵀ True, dL/dw = xᵀ dL/dy True",
                 "41 parameters; every gradient has its parameter's shape (E07).",
                 "W = [[1, 2], [3, 4]], b = [5, 6], x = [1, 1]: Wx + b = [8, 13]",
                 "[W | b] = [[1, 2, 5], [3, 4, 6]], [x; 1] = [1, 1, 1]: [W | b]·[x; 1] = [8, 13]",
                 "X Wᵀ + b and [X, 1]·[W | b]ᵀ (10 × 65) differ by at most"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e12_norm_of_product.svg", "e13_three_layer_net.svg"}


def test_the_narrative_states_the_vectorized_rules_as_the_trace_does(narrative):
    text, _ = narrative
    assert "  dL/dx (2x3) = upstream (2x4) · wᵀ (4x3)\n  dL/dw (3x4) = xᵀ (3x2) · upstream (2x4)\n" in text
    net = LESSON.three_layer_net()
    assert "dL/dW2 (4x4) = upstream (4x1) · h1ᵀ (1x4)" in text
    W2 = net["params"]["W2"]
    step = next(step for step in net["trace"] if step.op == "matmul" and step.inputs[0] is W2)
    np.testing.assert_allclose(W2.grad, step.upstream @ net["h1"].data.T)          # the rule's numbers
