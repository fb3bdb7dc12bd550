"""Lesson 7, activation functions: sigmoid saturation (catalogue E32), the one-sign gradients of positive inputs
(E33), tanh (E34), ReLU's gradients and dead units (E35), and Leaky ReLU, PReLU, ELU, SELU, GELU, Maxout (E36)."""
import math

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(7).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(7)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E32_sigmoid_saturates_at_plus_minus_ten():
    low, middle, high = LESSON.sigmoid_saturation()
    assert (middle["sigmoid"], middle["gradient"]) == (0.5, 0.25)
    assert low["sigmoid"] == pytest.approx(4.5398e-5, rel=1e-4) and high["sigmoid"] == pytest.approx(0.9999546, abs=1e-7)
    for row in (low, high):
        assert row["gradient"] == pytest.approx(4.5396e-5, rel=1e-4)
        assert row["gradient"] == pytest.approx(row["sigma(1 - sigma)"], rel=1e-9)        # σ' = σ(1 - σ)


def test_E32_saturation_on_real_activations():
    default, big = LESSON.saturation(), LESSON.saturation(1.0)
    assert default["saturated"] < 0.01 and default["mean local"] > 0.24
    assert big["saturated"] > 0.2 and big["mean local"] < 0.12


def test_E33_positive_inputs_give_one_sign_gradients():
    np.testing.assert_allclose(LESSON.weight_gradient((0.2, 0.7), -1.5), [-0.3, -1.05], rtol=1e-15)
    assert LESSON.update_quadrants(zero_centred=False)["same sign"] == 1.0
    assert LESSON.update_quadrants(zero_centred=True)["same sign"] < 0.7


def test_E34_tanh_is_a_scaled_sigmoid_and_still_saturates():
    tanh = LESSON.tanh_facts()
    for way in ("tanh", "2 sigmoid(2x) - 1", "4 exp terms"):
        assert tanh[way] == pytest.approx(0.6043678, abs=1e-7)
    assert tanh["slope at 0"] == 1.0 and tanh["slope at 10"] == pytest.approx(8.24e-9, rel=1e-3)
    assert abs(tanh["mean tanh"]) < 1e-15 and tanh["mean sigmoid"] == pytest.approx(0.5)


def test_E35_relu_gradients_and_dead_units():
    family = LESSON.relu_family()
    assert (family["relu slope at -10"], family["relu slope at 10"], family["relu slope at 0"]) == (0.0, 1.0, 0.0)
    healthy, high, higher = (LESSON.dead_relus(lr) for lr in (1.0, 3.0, 10.0))
    assert healthy["dead before"] == high["dead before"] < 0.1                  # same init in every run
    assert healthy["dead after"] < 0.1 and healthy["last loss"] < 0.5 * healthy["first loss"]
    assert high["dead after"] > 0.5 and higher["dead after"] > 0.9
    assert high["last loss"] > 0.9 * high["first loss"]                         # dead units stop the learning


def test_E36_the_relu_family():
    family = LESSON.relu_family()
    assert family["leaky(-10)"] == pytest.approx(-0.1, abs=1e-15) and family["leaky slope at -10"] == pytest.approx(0.01)
    assert family["elu(-1)"] == pytest.approx(-0.6321206, abs=1e-7) == math.exp(-1) - 1
    assert family["elu slope at -1"] == pytest.approx(math.exp(-1))
    assert family["gelu min at"] == pytest.approx(-0.752, abs=2e-3) and family["gelu min"] == pytest.approx(-0.17, abs=1e-3)
    assert family["gelu slope at -2"] < 0                                       # GELU is not monotonic
    prelu = LESSON.prelu_step()
    assert prelu["dL/da"] == -2.0 and prelu["a after one step"] == pytest.approx(0.45)
    maxout = LESSON.maxout_facts()
    assert maxout["maxout parameters"] == 2 * maxout["linear parameters"] == 13_000
    assert maxout["gap to ReLU"] == 0 and maxout["gap to Leaky ReLU"] == 0


def test_E36_selu_normalizes_itself():
    stats = LESSON.self_normalizing(depth=20)
    assert abs(stats["SELU"]["means"][-1]) < 0.1 and abs(stats["SELU"]["stds"][-1] - 1) < 0.1
    assert stats["ReLU"]["stds"][-1] < 1e-2                                     # the variance halves at every layer


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["-10  4.539787e-05        4.53958e-05  4.53958e-05",
                 "x = (0.2, 0.7), dL/df = -1.5: dL/dw = dL/df × x = (-0.3, -1.05): both negative.",
                 "learning w* = (1, -1) from sigmoid (all positive) inputs: 100% of the updates have both",
                 "tanh(0.7) = 0.6043678 = 2σ(1.4) - 1 = 0.6043678",
                 "ELU: ELU(-1) = e⁻¹ - 1 = -0.6321206",
                 "Leaky ReLU max(0.01x, x): leaky(-10) = -0.1,",
                 "13,000 parameters, twice 6,500"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e32_e36_activation_gallery.png", "e35_dead_relus.png",
                                                     "e32_e33_sigmoid_saturation_and_zigzag.png"}
