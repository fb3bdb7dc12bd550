"""Lesson 13, regularization: weight decay = L2 and L1's exact zeros (catalogue E72), dropout forward (E67), the
four-mask expectation and the keep-probability scale (E68), inverted dropout (E69), where dropout sits (E70),
augmentation and ten-crop (E71, with E91's correction), ensembles (E66), early stopping (E65), and the sharper
minimum a large batch ends in (E60)."""

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

LESSON = lessons.find(13).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(13)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E72_weight_decay_is_the_l2_penalty_and_l1_gives_exact_zeros():
    assert LESSON.weight_decay_is_l2()["gap"] < 1e-12
    fits = LESSON.penalties()
    assert fits["L2"]["exact zeros"] == 0 and fits["L1"]["exact zeros"] == 17
    assert 0 < fits["L1 + L2"]["exact zeros"] < 17                              # the elastic net: in between
    assert fits["L2"]["largest useless"] > fits["none"]["largest useless"] > 0    # (20 inputs, 60 samples)
    np.testing.assert_allclose(fits["none"]["useful"], [3, -2, 1.5], atol=0.05)


def test_E67_dropout_forward():
    forward = LESSON.dropout_forward()
    assert forward["zeroed"] == pytest.approx(0.5, abs=0.01) and forward["survivor value"] == 2
    assert forward["eval is identity"]
    assert forward["channel values"] == [(0.0,), (2.0,)]                        # dropout2d: whole maps


def test_E68_four_masks_and_the_test_time_scale():
    rows = LESSON.mask_outputs()
    assert [row["output"] for row in rows] == [11, 3, 8, 0]
    assert LESSON.expectation(rows) == 5.5 == 0.5 * 11
    scaling = LESSON.test_time_scaling(p_drop=0.2)
    assert scaling["expected in training"] == pytest.approx(8.8) == scaling["keep-scaled"]
    assert scaling["notes scaling"] == pytest.approx(2.2)                       # the notes' wording: wrong


def test_E69_inverted_dropout():
    rows = LESSON.mask_outputs(inverted=True)
    assert [row["output"] for row in rows] == [22, 6, 16, 0]
    assert LESSON.expectation(rows) == 11
    carlo = LESSON.monte_carlo_dropout()
    assert carlo["eval"] == 11 and carlo["mean"] == pytest.approx(11, abs=0.2) and carlo["spread"] > 5


def test_E70_where_dropout_is():
    where = LESSON.where_dropout_is()
    assert where["counts"] == {"AlexNet": 2, "VGG16": 2, "ResNet-20": 0, "DenseNet-40": 0,
                               "DenseNet-40, dropout 0.2": 36}
    assert where["VGG16 head"] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]


def test_E71_E91_augmentation_and_ten_crops():
    augmented = LESSON.augmentations()
    for name in ("flip", "crop, pad 1", "cutout 3x3"):
        assert augmented[name]["draws differ"] and augmented[name]["changed"] > 0.3
    np.testing.assert_allclose(augmented["mixup"]["target sums"], 1, atol=1e-6)
    assert augmented["ten-crop"] == {"shape": (10, 8, 1, 6, 6), "distinct": 10}
    image = np.arange(16.0).reshape(1, 1, 4, 4)
    crops = LESSON.ten_crop(image, 2)[:, 0, 0]
    np.testing.assert_array_equal(crops[0], [[0, 1], [4, 5]])                  # top-left corner
    np.testing.assert_array_equal(crops[4], [[5, 6], [9, 10]])                 # centre
    np.testing.assert_array_equal(crops[5], crops[0][:, ::-1])                 # its mirror image
    assert 5 * len(crops) == 50                                                # ResNet: 5 scales x 10 crops


def test_E66_an_ensemble_beats_its_average_member():
    group = LESSON.ensemble(epochs=2)
    assert group["ensemble"] > np.mean(group["members"])


def test_E65_early_stopping_restores_the_best_epoch():
    free, stopped = LESSON.overfitting_run(epochs=40), LESSON.overfitting_run(early_stopping=True, epochs=40)
    history = stopped["history"]
    best = history.best("val_loss")
    assert history.restored_epoch == best["epoch"] < len(history) < 40
    assert stopped["final val loss"] == pytest.approx(best["val_loss"], rel=1e-6)
    assert free["final val loss"] > 1.1 * min(free["history"]["val_loss"])     # without it: past the minimum
    assert free["history"]["loss"][-1] < 0.01                                  # the 150 digits are memorised
    assert LESSON.overfitting_run(weight_decay=0.1, epochs=40)["weight norm"] < free["weight norm"]


def test_E60_a_large_batch_ends_sharper_and_tests_worse():
    small, large = LESSON.train_by_batch(16), LESSON.train_by_batch(512)           # 10 epochs each, seed 0
    assert (small["steps"], large["steps"]) == (900, 30)
    assert small["test accuracy"] == pytest.approx(0.969, abs=0.001) and large["test accuracy"] == pytest.approx(0.922, abs=0.001)
    assert small["train loss"] == pytest.approx(0.0064, abs=1e-4) and large["train loss"] == pytest.approx(0.1238, abs=1e-4)
    flat, sharp = LESSON.sharpness(small["model"], 10), LESSON.sharpness(large["model"], 10)
    assert flat["top eigenvalue"] == pytest.approx(0.489, abs=0.002) and sharp["top eigenvalue"] == pytest.approx(4.39, abs=0.01)
    # seeds 0-4 while developing: B = 16 gave 0.25-0.67 and 95.5-97.5%, B = 512 gave 4.1-4.5 and 92.2-93.3%
    assert sharp["top eigenvalue"] > 5 * flat["top eigenvalue"]
    assert abs(sharp["estimates"][-1] - sharp["estimates"][-2]) < 0.01 * sharp["top eigenvalue"]   # converged


def test_E60_the_hessian_vector_products_are_those_of_the_training_loss():
    """H v from gl.hvp, as the power iteration uses it, against central differences of the gradient of the same
    flat-vector loss; and that loss is the model's own loss on the training set."""
    model = LESSON.train_by_batch(512)["model"]
    loss, theta = LESSON.training_loss(model), LESSON.flat_parameters(model)
    train = gl.data.digits("train")
    assert loss(theta).item() == pytest.approx(F.cross_entropy(model(gl.tensor(train.inputs)), train.targets).item(),
                                               rel=1e-5)
    v = np.random.default_rng(1).standard_normal(theta.shape[0])
    v /= np.linalg.norm(v)

    def gradient(values):
        point = gl.tensor(values, dtype=np.float64, requires_grad=True)
        return gl.grad(loss(point), point)[0].data

    h = 1e-6                                                         # small enough that no ReLU changes side
    differences = (gradient(theta.data + h * v) - gradient(theta.data - h * v)) / (2 * h)
    np.testing.assert_allclose(gl.hvp(loss, theta, v), differences, atol=1e-7)


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["(1.0, 0.0)         3                6         0.25",
                 "mean over the masks: 5.5 = 0.5 x 11",
                 "with p_drop = 0.2 the training expectation is 8.8 = 0.8 x 11",
                 "AlexNet: 2, VGG16: 2, ResNet-20: 0",
                 "10 crops (10 distinct) per scale",
                 "16 900 0.0064 96.9% 0.49", "512 30 0.1238 92.2% 4.39"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e68_e69_dropout_masks.png", "e71_e72_augmentations.png",
                                                     "e65_early_stopping.png"}
