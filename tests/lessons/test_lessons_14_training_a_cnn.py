"""Lesson 14, training a CNN on the digits: the initial loss (catalogue E73), overfitting 20 digits (E74), learning
rates too low and too high (E75), random search coarse to fine (E76), mini-batch gradient noise (E50), the real run
to >= 97% test accuracy (E78) and its update/weight ratios (E79)."""
import math

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(14).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(14)            # shared with test_lessons.py (conftest.py)
    return text, out


@pytest.fixture(scope="module")
def run():
    return LESSON.train_cnn(10)                 # the quick run (cached: the narrative trains the same)


def test_E73_initial_loss_is_log_c():
    chance = LESSON.chance_losses()
    assert chance == {10: pytest.approx(2.302585, abs=1e-6), 100: pytest.approx(4.605170, abs=1e-6),
                      1000: pytest.approx(6.907755, abs=1e-6)}
    start = LESSON.initial_loss()
    assert start["loss"] == pytest.approx(math.log(10), rel=0.05)
    assert start["with L2"] > start["loss"]


def test_E74_overfit_a_tiny_subset():
    tiny = LESSON.overfit_tiny()
    assert tiny["samples"] == 20
    assert tiny["accuracies"][0] < 0.5 and tiny["accuracies"][-1] == 1.0
    assert tiny["losses"][-1] < 0.01


def test_E75_learning_rates_too_low_and_too_high():
    low, high = LESSON.probe(1e-6), LESSON.probe(1e6)
    assert low["stopped"] is None and abs(low["loss"] - low["first loss"]) < 0.05 * low["first loss"]
    assert max(low["ratios"]) < 1e-5 and any("too low" in message for message in low["warnings"])
    assert "the loss is nan" in high["stopped"]
    assert any("exploded" in message for message in high["warnings"]) and min(high["ratios"]) > 1


def test_E76_random_search_coarse_to_fine():
    assert LESSON.grid_vs_random() == {"grid": [3, 3], "random": [9, 9]}
    values = LESSON.sampled_values(1000, -5.0, 0.0)
    assert values.min() >= 1e-5 and values.max() <= 1
    assert np.histogram(np.log10(values), bins=5)[0].min() > 150            # every decade gets its share
    search = LESSON.coarse_to_fine(4, 2, 2)
    assert 1e-3 <= search["best"]["lr"] <= 1e-1 and search["best"]["accuracy"] > 0.8
    assert all(row["accuracy"] < 0.3 for row in search["coarse"] if row["lr"] < 1e-4)


def test_E50_minibatch_gradients():
    noise = LESSON.minibatch_gradients(passes=2)
    assert (noise[32]["batches"], noise[128]["batches"]) == (44, 11)
    assert noise[32]["mean gap"] < 1e-6 * noise["full norm"] * 1e3 and noise[128]["mean gap"] < 1e-5
    assert 1.5 < noise[32]["spread"] / noise[128]["spread"] < 2.7
    assert noise[32]["predicted factor"] / noise[128]["predicted factor"] == pytest.approx(2.074, abs=1e-3)


def test_E78_the_digits_cnn_reaches_97_percent(run):
    history = run["history"]
    assert run["parameters"] == 24_170
    assert run["test accuracy"] >= 0.97
    assert history["loss"][-1] < history["loss"][0] / 10
    assert run["train accuracy"] - run["test accuracy"] < 0.05


def test_E79_update_ratios_near_one_in_a_thousand(run):
    ratios = LESSON.update_ratios(run["monitor"])
    assert 1e-4 < ratios["median"] < 1e-2
    assert 1e-5 < ratios["low"] and ratios["high"] < 1e-1                     # the monitor's healthy band
    assert not run["monitor"].warnings


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["uniform prediction over C classes: C = 10: 2.302585, C = 100: 4.605170, C = 1000: 6.907755",
                 "20 digits, Adam 1e-2, no regularization: 100% training accuracy at step",
                 "SGD lr 1e+06, one epoch: stopped at epoch 1, step",
                 "a 3x3 grid tries [3, 3] distinct values per axis, random search [9, 9]",
                 "(goal 97%)"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e78_training_curves.png", "e79_update_ratios.png",
                                                     "e74_overfit_tiny_subset.png"}
