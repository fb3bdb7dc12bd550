"""Lesson 13, regularization: weight decay = L2 and L1's exact zeros (catalogue E72), dropout forward (E67), the
four-mask expectation and the keep-probability scale (E68), inverted dropout (E69), where dropout sits (E70),
augmentation and ten-crop (E71, with E91's correction), ensembles (E66), early stopping (E65)."""
import contextlib
import io

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(13).load()


@pytest.fixture(scope="module")
def narrative(tmp_path_factory):
    out = tmp_path_factory.mktemp("lesson13")
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        LESSON.main(["--quick", "--out", str(out)])
    return text.getvalue(), out


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


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["(1.0, 0.0)         3                6         0.25",
                 "mean over the masks: 5.5 = 0.5 x 11",
                 "with p_drop = 0.2 the training expectation is 8.8 = 0.8 x 11",
                 "AlexNet: 2, VGG16: 2, ResNet-20: 0",
                 "10 crops (10 distinct) per scale"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e68_e69_dropout_masks.png", "e71_e72_augmentations.png",
                                                     "e65_early_stopping.png"}
