"""Lesson 17, second-order methods: the taco shell's Hessian and conditioning and the gradient-descent zig-zag
(catalogue E48), Newton in one step and the Hessian's size (E57), L-BFGS in two."""
import math

import numpy as np
import pytest

import graphlab as gl
from graphlab import lessons

LESSON = lessons.find(17).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(17)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E48_hessian_and_condition_number():
    shape = LESSON.conditioning()
    np.testing.assert_array_equal(shape["hessian"], [[1 / 32, 0], [0, 2]])
    assert shape["condition number"] == 64


def test_E48_gradient_descent_zig_zags():
    path = LESSON.gradient_descent(LESSON.taco_shell, LESSON.START, lr=0.9, steps=5)
    np.testing.assert_allclose(path[1:], [(-9.71875, -0.8), (-9.44541, 0.64), (-9.17976, -0.512),
                                          (-8.92158, 0.4096), (-8.67066, -0.32768)], atol=5e-6)
    curvatures = LESSON.conditioning()["curvatures"]
    np.testing.assert_allclose(LESSON.step_multipliers(0.9, curvatures), [1 - 0.9 / 32, -0.8])
    assert LESSON.step_multipliers(0.5, curvatures)[1] == 0 and LESSON.step_multipliers(1.0, curvatures)[1] == -1
    assert math.ceil(math.log(0.1) / math.log(LESSON.step_multipliers(0.9, curvatures)[0])) == 81
    best = LESSON.best_fixed_step(curvatures)
    assert best["lr"] == pytest.approx(0.984615, abs=1e-6) and best["rate"] == pytest.approx(63 / 65)
    assert LESSON.steps_to_reach(LESSON.taco_shell, LESSON.START, best["lr"]) == 516


def test_E57_newton_lands_on_the_minimum_in_one_step_from_anywhere():
    for start in (LESSON.START, (3.7, -42.0), (1e3, 1e-3)):
        np.testing.assert_allclose(LESSON.newton(LESSON.taco_shell, start)[1], [0, 0], atol=1e-12)


def test_newton_converges_quadratically_on_a_non_quadratic_loss():
    path = LESSON.newton_1d()
    errors = [abs(w - math.log(2)) for w in path]
    assert path[:2] == [0.0, 1.0] and errors[-1] < 1e-12
    for before, after in zip(errors[2:4], errors[3:5]):
        assert after / before ** 2 == pytest.approx(0.5, abs=0.05)       # e_{k+1} ≈ e_k² L'''/(2L'') = e_k²/2
    assert LESSON.taylor_models(0.0) == {"at": 0.0, "L": 1.0, "L'": -1.0, "L''": 1.0, "newton": 1.0}


def test_lbfgs_needs_two_steps_on_the_two_dimensional_quadratic():
    path = LESSON.lbfgs(LESSON.taco_shell, LESSON.START)
    assert len(path) == 3
    assert np.abs(path[-1]).max() < 1e-12 and np.abs(path[1]).max() > 1


def test_hessian_vector_product_without_the_hessian():
    product = gl.hvp(LESSON.taco_shell, gl.tensor(LESSON.START, dtype=np.float64), np.array([1.0, 1.0]))
    np.testing.assert_array_equal(product, [1 / 32, 2])


def test_E57_hessian_sizes_of_real_networks():
    sizes = LESSON.hessian_sizes()
    assert sizes["AlexNet"]["parameters"] == 62_378_344 and sizes["VGG16"]["parameters"] == 138_357_544
    assert f"{sizes['AlexNet']['bytes'] / 1e15:.1f}" == "15.6" and f"{sizes['VGG16']['bytes'] / 1e15:.1f}" == "76.6"


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["condition number = 2 / 0.03125 = 64",
                 "  step 5: W = (-8.67066, -0.32768)",
                 "while W1 needs 81 steps at lr 0.9 to shrink 10x",
                 "converges at rate (κ - 1)/(κ + 1) = 63/65 = 0.9692 per step",
                 "W - H⁻¹∇L from (-10.0, 1.0) = (0.0, 0.0): the minimum, in one step",
                 "L-BFGS reaches the minimum in 2 steps",
                 "AlexNet: N = 62,378,344 parameters; the Hessian has N² = 3.89e+15 entries, 15.6 PB in float32"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e48_taco_shell_paths.png", "e57_first_vs_second_order.png"}
