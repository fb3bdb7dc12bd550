"""Lesson 11, optimizers on the taco shell: SGD's zig-zag and the best heavy ball (catalogue E48), momentum
damping it (E51) and the worked example (E52), momentum leaving a saddle sooner and mini-batch noise ∝ 1/√B
(E49), exponential averages (E53), Nesterov (E54), AdaGrad and RMSProp
(E55), Adam's bias correction (E56), and the capability table (E58)."""

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(11).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(11)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E48_sgd_zig_zags_and_the_best_heavy_ball():
    path = LESSON.trajectory("sgd", 5, lr=0.9)["path"]
    np.testing.assert_allclose(path[1:], [(-9.71875, -0.8), (-9.44541, 0.64), (-9.17976, -0.512),
                                          (-8.92158, 0.4096), (-8.67066, -0.32768)], atol=5e-6)
    best = LESSON.heavy_ball()
    assert best["momentum"] == pytest.approx(0.6049, abs=1e-4) and best["rate"] == pytest.approx(7 / 9)
    assert best["gd rate"] == pytest.approx(63 / 65)
    tuned = LESSON.trajectory("sgd", 120, lr=best["lr"], momentum=best["momentum"])["path"]
    assert LESSON.measured_rate(tuned, 60, 120) == pytest.approx(7 / 9, abs=0.01)
    assert LESSON.steps_to(tuned, 1e-6) < 100 < 516 == LESSON.steps_to(
        LESSON.trajectory("sgd", 600, lr=2 / (1 / 32 + 2))["path"], 1e-6)


def test_E51_momentum_damps_the_zig_zag():
    sgd = LESSON.trajectory("sgd", 30, lr=0.9)["path"]
    momentum = LESSON.trajectory("momentum", 30, lr=0.1)["path"]
    assert LESSON.sign_flips(sgd) == 30 and LESSON.sign_flips(momentum) <= 5
    assert LESSON.trajectory("momentum", 100, lr=0.1)["losses"][-1] < LESSON.trajectory("sgd", 100, lr=0.1)["losses"][-1]


def test_E49_momentum_leaves_the_saddle_sooner():
    plain, heavy = LESSON.saddle_run(), LESSON.saddle_run(momentum=0.9)           # lr 0.01 from (1, 1e-4)
    assert plain["norms"][0] == pytest.approx(2.0, abs=1e-7)                       # ‖(2x, -2y)‖ at the start
    assert (LESSON.steps_below(plain, 0.1), LESSON.steps_below(heavy, 0.1)) == (165, 17)
    assert (plain["left"], heavy["left"]) == (466, 95)                              # the loss first below -1
    assert plain["losses"][-1] < -1 <= plain["losses"][-2] and heavy["losses"][-1] < -1 <= heavy["losses"][-2]
    # ‖∇f‖ < 1e-3 means ‖(x, y)‖ < 5e-4, only 5x the start's y: no run gets there for more than 2 steps
    assert LESSON.steps_below(plain, 1e-3) == LESSON.steps_below(heavy, 1e-3) == 0
    assert plain["norms"].min() == pytest.approx(0.027, abs=5e-4) and heavy["norms"].min() > 1e-3
    # the literal 1e-3 on the escape direction: |∂f/∂y| = 2|y| < 1e-3 while y < 5e-4; SGD's y grows 1.02x a step
    assert (LESSON.flat_escape_steps(plain), LESSON.flat_escape_steps(heavy)) == (82, 20)
    assert np.all(np.diff(plain["escape"][:82]) > 0) and plain["escape"][81] < 1e-3 <= plain["escape"][82]
    literal = LESSON.most_steps_below()
    assert literal["most"] == 2 == literal["counts"][0.5] and literal["counts"][0.01] == 0


def test_E49_minibatch_gradient_noise_shrinks_like_one_over_root_B():
    noise = LESSON.gradient_noise(batches=60)
    spreads = [noise[size]["spread"] for size in (8, 32, 128)]
    assert spreads[0] > 2 * noise["full norm"]                   # at B = 8 the noise is larger than the signal
    # each spread comes from 60 batches, with a standard error under 4% (measured on its own samples), so a
    # ratio of two has about 4% x √2 = 5.7%: 12% is two such errors (seeds 0-4 gave 1.90 to 2.13), and still
    # tells √B (2x) from 1/B (4x) and from no effect (1x)
    assert all(noise[size]["relative error"] < 0.04 for size in (8, 32, 128))
    for small, large in zip(spreads, spreads[1:]):
        assert small / large == pytest.approx(2.0, rel=0.12)                       # √(32/8) = √(128/32) = 2


def test_E52_momentum_worked_example():
    example = LESSON.momentum_example()
    np.testing.assert_allclose(example["sgd"], [-0.5, -0.3], atol=1e-15)
    np.testing.assert_allclose(example["momentum"], [-0.5, -0.75], atol=1e-15)
    np.testing.assert_allclose(example["notes form"], [-0.5, -0.75], atol=1e-15)


def test_E53_exponential_average_weights():
    weights = LESSON.ewma_weights()
    assert weights["factor"] == pytest.approx(0.3487, abs=1e-4) == weights["beta^age"]
    assert weights["weight"] == pytest.approx(0.1 * 0.9 ** 10) == pytest.approx(weights["adam m"])
    assert weights["window"] == pytest.approx(10)
    assert LESSON.ewma([5.0], 0.9) == [pytest.approx(0.5)] and LESSON.ewma([5.0], 0.9, True) == [pytest.approx(5.0)]


def test_E54_nesterov():
    example = LESSON.nesterov_example()
    np.testing.assert_allclose(example["sgd"], [0.8, 0.64])
    np.testing.assert_allclose(example["momentum v"], [-0.2, -0.34])
    np.testing.assert_allclose(example["momentum w"], [0.8, 0.46])
    np.testing.assert_allclose(example["nesterov v"], [-0.2, -0.304])
    np.testing.assert_allclose(example["nesterov w"], [0.8, 0.496])
    np.testing.assert_allclose(example["gl nesterov"], example["look-ahead points"])    # 0.62, 0.2224
    np.testing.assert_allclose(example["gl nesterov"], [0.62, 0.2224])


def test_E55_adagrad_and_rmsprop():
    adaptive = LESSON.adaptive_examples()
    np.testing.assert_allclose(adaptive["adagrad"]["G"], [4, 7.24])
    np.testing.assert_allclose(adaptive["adagrad"]["w"], [0.9, 0.833104], atol=5e-7)
    np.testing.assert_allclose(adaptive["rmsprop"]["G"], [0.4, 0.547018], atol=5e-7)
    np.testing.assert_allclose(adaptive["rmsprop"]["w"], [0.683772, 0.498871], atol=5e-7)
    steps = LESSON.per_axis_steps()
    assert steps["G"][1] > steps["G"][0] and steps["effective lr"][1] < steps["effective lr"][0]   # steep = slower


def test_E56_adam_and_its_bias_correction():
    adam = LESSON.adam_example()
    first, second = adam["steps"]
    assert (first["g"], first["m"], first["v"]) == (2, pytest.approx(0.2), pytest.approx(0.004))
    assert (first["m_hat"], first["v_hat"], first["w"]) == (pytest.approx(2), pytest.approx(4), pytest.approx(0.9))
    assert second["g"] == pytest.approx(1.8) and second["m"] == pytest.approx(0.36) and second["v"] == pytest.approx(0.007236)
    assert second["m_hat"] == pytest.approx(1.894737, abs=5e-7) and second["v_hat"] == pytest.approx(3.619810, abs=5e-7)
    assert second["w"] == pytest.approx(0.800412, abs=5e-7)
    assert adam["uncorrected w"] == pytest.approx(0.683772, abs=5e-7)
    for gradient in (123.0, 0.001):
        assert LESSON.first_step(gradient, True) == pytest.approx(1.0)
        assert LESSON.first_step(gradient, False) == pytest.approx(3.1623, abs=1e-4)
    bound = LESSON.second_moment_bound()
    assert bound["v"][-1] < bound["g squared"] and bound["v"][-1] == pytest.approx(9 * (1 - 0.999 ** 5000))


def test_E58_capability_table_matches_the_notes():
    assert LESSON.capabilities() == LESSON.NOTES_TABLE


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["(-9.71875, -0.8), (-9.44541, 0.64), (-9.17976, -0.512), (-8.92158, 0.4096), (-8.67066, -0.32768)",
                 "lr 0.1, gradients 5 then 3: SGD steps -0.5, -0.3; with momentum 0.9 -0.5, -0.75",
                 "Nesterov, gradient at the look-ahead w + ρv: v = -0.2, -0.304, w = 0.8, 0.496",
                 "G = 7.24 -> w = 0.833104",
                 "t = 2: g = 1.8, m = 0.36, v = 0.007236, m̂ = 1.894737, v̂ = 3.619810, w = 0.800412",
                 "without the correction the first step goes to w = 0.683772",
                 "it agrees with the notes: True",
                 "SGD 165, momentum 0.9 17; the loss falls below -1 (the iterate has left the saddle) at step 466 and 95",
                 "spends at most 2 steps there (at lr 0.5)",
                 "the slope |∂f/∂y| = 2|y| is below 1e-3 for 82 steps of SGD and 20 with momentum"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e48_e56_taco_shell_paths.png", "e53_exponential_averages.png"}
