"""Lesson 9, batch normalization: the forward transform on [1, 2, 3, 4] (catalogue E43), running statistics,
train vs test and folding into the layer before (E44), per-channel statistics for convolutions (E45),
whitening (E46), and what BN does for a 10-layer net (E47)."""
import math

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(9).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(9)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E43_forward_on_one_two_three_four():
    example = LESSON.forward_example()
    assert (example["mean"], example["var"]) == (2.5, 1.25)
    np.testing.assert_allclose(example["x_hat"], [-1.34164, -0.44721, 0.44721, 1.34164], atol=5e-6)
    assert 1e-6 < example["eps effect"] < 1e-5                        # ε changes the 6th decimal
    assert example["composed gap"] < 1e-12
    assert example["running mean"] == pytest.approx(0.25) and example["running var"] == pytest.approx(0.9 + 0.1 * 5 / 3)


def test_E43_each_feature_on_its_own_then_gamma_and_beta():
    columns = LESSON.per_feature()
    np.testing.assert_allclose(columns["normalized means"], 0, atol=1e-12)
    np.testing.assert_allclose(columns["normalized stds"], 1, atol=1e-3)
    np.testing.assert_allclose(columns["output means"], 0.5, atol=1e-12)
    np.testing.assert_allclose(columns["output stds"], 2, atol=2e-3)


def test_E47_scale_and_shift_invariance():
    same = LESSON.invariances()
    assert same["scaled by 100"] < 1e-5 and same["scaled by 0.5"] < 1e-4 and same["bias + 7"] < 1e-12
    np.testing.assert_allclose(LESSON.gradient_sums(), 0, atol=1e-12)


def test_E44_running_statistics():
    running = LESSON.running_statistics()
    assert running["batches"] == 30
    assert running["track"][0] == pytest.approx(0.5, abs=0.05)         # 10% of the first batch's mean
    np.testing.assert_allclose(running["track"], running["predicted"], atol=0.2)      # batch means vary by ±0.25
    assert running["running var"] == pytest.approx(4, abs=0.3)


def test_E44_train_vs_test_and_the_batch_of_one():
    behaviour = LESSON.train_vs_test()
    in_a, in_b = behaviour["training"]
    assert np.abs(in_a - in_b).max() > 1                               # the batch mates change the output
    eval_a, eval_b, alone = behaviour["eval"]
    np.testing.assert_array_equal(eval_a, eval_b)
    np.testing.assert_array_equal(eval_a, alone)
    expected = (np.array([4.0, -1.5]) - behaviour["running mean"]) / np.sqrt(behaviour["running var"] + 1e-5)
    np.testing.assert_allclose(eval_a, expected, rtol=1e-12)           # γ = 1, β = 0: the running statistics alone
    assert "training mode needs more than 1 value per channel" in behaviour["batch of one"]


def test_E44_bn_folds_into_the_linear_layer():
    fold = LESSON.folded()
    assert fold["gap"] < 1e-12
    assert not np.allclose(fold["gamma"], 1) and not np.allclose(fold["beta"], 0)    # trained, not trivial


def test_E45_statistics_per_channel():
    conv = LESSON.convolutional()
    assert conv["fc statistics"] == (20,) and conv["conv statistics"] == (4,)
    np.testing.assert_allclose(conv["mean over N, H, W"], 0, atol=1e-12)
    np.testing.assert_allclose(conv["std over N, H, W"], 1, atol=1e-3)


def test_E46_whitening_gives_the_identity_covariance():
    white = LESSON.whitening()
    assert np.abs(white["covariance before"] - np.diag(np.diag(white["covariance before"]))).max() > 0.5
    np.testing.assert_allclose(white["whitened covariance"], np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.diag(white["bn covariance"]), 1, atol=1e-12)
    assert np.abs(white["bn covariance"] - np.eye(3)).max() > 0.5     # BN keeps the correlations


def test_E47_bn_trains_a_deep_net_where_the_plain_one_does_not():
    grid = LESSON.training_grid(steps=60, lrs=(0.1, 1.0))
    for (init, lr, batch_norm), losses in grid.items():
        final = LESSON.final_loss(losses)
        if batch_norm:
            assert final < 1.3, (init, lr)                              # every init, every learning rate
        elif init != "He":
            assert final > 0.95 * math.log(10), (init, lr)             # stuck at chance
    assert not math.isfinite(LESSON.final_loss(grid[("He", 1.0, False)]))      # the plain net blows up
    assert LESSON.final_loss(LESSON.train_deep(False, "He", 0.01, 60)) < 1.5  # and needs a small lr to train


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["x = [1, 2, 3, 4] (N = 4, D = 1): μ = 2.5, σ² = 1.25, x̂ = (x - μ)/√(σ² + ε) = "
                 "[-1.34164, -0.44721, 0.44721, 1.34164]",
                 "var 1 -> 1.0667 (σ² unbiased, 5/3)",
                 "BatchNorm2d(4) of shape (4,) (N x C x H x W: one per channel, over N, H, W)",
                 "~6.9e+10 operations per step"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e44_running_mean.png", "e47_deep_net_with_and_without_bn.png"}
