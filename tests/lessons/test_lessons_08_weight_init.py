"""Lesson 8, weight initialization: preprocessing (catalogue E37), constant weights (E38), and the lecture's
6-layer, 4096-wide experiment with std 0.01 (E39), 0.05 (E40), Xavier (E41) and He (E42)."""
import math

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(8).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(8)            # shared with test_lessons.py (conftest.py)
    return text, out


@pytest.fixture(scope="module")
def experiment():
    return LESSON.deep_net()                              # the lecture's width; cached, shared with the narrative


def stds(layers):
    return [layer.std for layer in layers]


def test_E37_zero_centre_then_normalize():
    cloud = LESSON.preprocess(LESSON.point_cloud())
    assert np.abs(cloud["original"].mean(axis=0)).min() > 2                   # far from the origin to begin with
    np.testing.assert_allclose(cloud["zero-centred"].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(cloud["zero-centred"].std(axis=0), cloud["original"].std(axis=0))
    np.testing.assert_allclose(cloud["normalized"].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(cloud["normalized"].std(axis=0), 1, rtol=1e-12)
    images = LESSON.image_means()
    assert images["mean image"] == (1, 8, 8) and images["channel means"] == (1,)
    assert abs(images["mean after"]) < 1e-6 and images["std after"] == pytest.approx(1, abs=1e-5)


def test_E38_constant_weights_stay_identical():
    zeros, constant = LESSON.constant_init_run(0.0), LESSON.constant_init_run(0.1)
    assert zeros["moved"] == 0                     # W2 = 0 sends no gradient to W1 at all
    assert constant["moved"] > 1e-3 and constant["row spread"] == 0           # they learn, all in the same way


def test_E39_small_weights_shrink_the_activations(experiment):
    np.testing.assert_allclose(stds(experiment["std 0.01, tanh"]), [0.49, 0.29, 0.18, 0.11, 0.07, 0.05], atol=0.01)


def test_E40_big_weights_saturate(experiment):
    big = experiment["std 0.05, tanh"]
    np.testing.assert_allclose(stds(big)[1:], 0.85, atol=0.01)
    assert all(0.32 < layer.saturated < 0.35 for layer in big[1:])            # about 1/3 beyond ±0.99
    assert big[0].saturated == pytest.approx(0.41, abs=0.01)                  # (the Gaussian input: std 3.2 at layer 1)
    assert all(layer.local < 0.3 for layer in big)                            # local gradients near 0


def test_E41_xavier(experiment):
    assert LESSON.SCHEMES["Xavier, tanh"].std(4096) == 0.015625
    np.testing.assert_allclose(stds(experiment["Xavier, tanh"]), [0.63, 0.49, 0.41, 0.36, 0.32, 0.30], atol=0.01)
    theory = LESSON.derivation(experiment)
    for name in LESSON.SCHEMES:                                               # Var(y) = Din Var(x) Var(w)
        assert theory["measured"][name] == pytest.approx(theory["predicted"][name], rel=0.01)
    assert theory["predicted"]["std 0.01, tanh"] == pytest.approx(0.64)


def test_E42_he_for_relu(experiment):
    assert LESSON.SCHEMES["He, ReLU"].std(4096) == pytest.approx(0.0220971, abs=1e-7)
    np.testing.assert_allclose(stds(experiment["Xavier, ReLU"]), [0.58, 0.41, 0.29, 0.20, 0.14, 0.10], atol=0.011)
    assert all(0.81 <= std <= 0.84 for std in stds(experiment["He, ReLU"]))


def test_E39_gradients_shrink_too_and_he_keeps_them():
    narrow = LESSON.deep_net(width=512, gradients=True)
    small, he = narrow["std 0.01, tanh"], narrow["He, ReLU"]
    assert small[-1].gradient == he[-1].gradient                              # the same readout at the top
    assert small[0].gradient < small[-1].gradient / 1000
    assert 0.5 < he[0].gradient / he[-1].gradient < 2


def test_gl_nn_init_draws_the_same_stds():
    drawn = LESSON.graphlab_initializers()
    assert drawn["xavier_normal(fan_in)"] == pytest.approx(0.015625, rel=0.01)
    assert drawn["kaiming_normal"] == pytest.approx(0.0220971, rel=0.01)
    assert drawn["Linear default"] == pytest.approx(1 / math.sqrt(3 * 4096), rel=0.01)


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["normalized    column means [0. 0.], stds [1. 1.]",
                 "all weights 0.1: after 20 SGD steps the 32 hidden rows differ by at most 0",
                 "std 0.01, tanh  E39       0.49     0.29     0.18     0.11     0.07     0.05",
                 "so std = 1/√Din = 1/√4096 = 0.015625",
                 "std = √(2/Din) = 0.0220971 keeps it at 0.82-0.83"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e37_preprocessing.png", "e39_e42_activation_histograms.png",
                                                     "e39_e42_per_layer.png"}
