"""Lesson 18, transfer learning (catalogue E80): a CNN trained on shapes, its convolutions reused for 100 digits
frozen (a new last layer only), fine-tuned, or trained from scratch, with frozen random convolutions as the
control. On this pair of datasets the frozen shapes features lose to scratch: the table's "little data,
different dataset" cell."""

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(18).load()
QUICK = {"epochs": 8, "shapes": 600, "shape_epochs": 3}          # what --quick runs


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(18)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E80_the_four_strategies_on_100_digits():
    run = LESSON.transfer(**QUICK)
    assert run["shapes accuracy"] == pytest.approx(0.573, abs=0.001)               # the source task, chance 1/3
    accuracies = {strategy: run[strategy] for strategy in LESSON.STRATEGIES}
    assert accuracies == {"frozen": pytest.approx(0.780, abs=0.001), "fine-tuned": pytest.approx(0.791, abs=0.001),
                          "scratch": pytest.approx(0.872, abs=0.001), "random frozen": pytest.approx(0.783, abs=0.001)}
    # the head alone: 256 x 10 + 10; everything: + the convolutions' 8x1x5x5 + 8 and 16x8x3x3 + 16
    assert run["trained"] == {"frozen": 2570, "fine-tuned": 3946, "scratch": 3946, "random frozen": 2570}


def test_E80_frozen_shapes_features_lose_to_scratch_on_every_seed_tried():
    """Seeds 0-3 at the quick sizes gave scratch 83-91% against frozen 78-81% (and 100 digits at 4, 12, 36
    epochs, 20 or 30 digits, 3000 shapes, wider convolutions: scratch ahead every time while developing)."""
    for seed in (1, 2):
        run = LESSON.transfer(**QUICK, seed=seed)
        assert run["scratch"] > run["frozen"] + 0.04


def test_E80_frozen_means_frozen_and_fine_tuned_means_moved():
    source = LESSON.pretrained(QUICK["shapes"], QUICK["shape_epochs"])
    images, labels = LESSON.few_digits()
    for strategy, moves in (("frozen", False), ("fine-tuned", True)):
        model, parameters = LESSON.digits_classifier(strategy, source)
        head_before = model[1].weight.data.copy()
        LESSON.fit(model, parameters, images, labels, epochs=1, lr=1e-3, batch_size=10, seed=0)
        convolution = model[0][0].weight.data
        assert np.array_equal(convolution, np.asarray(source["weights"]["0.weight"])) != moves
        assert not np.array_equal(model[1].weight.data, head_before)                    # the new layer learns
    frozen, _ = LESSON.digits_classifier("frozen", source)
    assert not any(parameter.requires_grad for parameter in frozen[0].parameters())


def test_E80_digits_are_scaled_up_to_the_shapes_size():
    images, labels = LESSON.few_digits(per_class=3)
    assert images.shape == (30, 1, 16, 16) and sorted(np.bincount(labels)) == [3] * 10
    np.testing.assert_array_equal(images[:, :, ::2, ::2], images[:, :, 1::2, 1::2])     # 2x2 blocks


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["600 shapes of 16x16, 3 epochs: 57.3% on 300 test shapes",
                 "frozen 8 2,570 78.0%", "scratch 8 3,946 87.2%",
                 "At 8 epochs: frozen shapes features 78.0%, frozen random convolutions 78.3%, from scratch 87.2%.",
                 "adds little over random features (-0.3 points), and the frozen features lose against scratch"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e80_shapes_filters.png"}
