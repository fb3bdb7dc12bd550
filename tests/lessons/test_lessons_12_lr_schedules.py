"""Lesson 12, learning-rate schedules: step decay and decay on a plateau (catalogue E61), cosine, linear and
inverse sqrt against the catalogue's table (E62), linear warm-up (E63), DenseNet's /10 where the notes say
"halve" (E64), and a run under each schedule with Polyak averaging (E65)."""

import pytest

from graphlab import lessons

LESSON = lessons.find(12).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(12)            # shared with test_lessons.py (conftest.py)
    return text, out


@pytest.fixture(scope="module")
def runs():
    return {name: LESSON.train_with(name, epochs=5) for name in ("constant", "step (x0.1 at 50%, 75%)", "cosine",
                                                                  "linear")}


def test_E61_step_decay_and_decay_on_a_plateau():
    steps = LESSON.step_decay()
    assert [steps[epoch] for epoch in (0, 29)] == [0.1, 0.1]
    assert [steps[epoch] for epoch in (30, 59)] == [pytest.approx(0.01)] * 2
    assert [steps[epoch] for epoch in (60, 89)] == [pytest.approx(0.001)] * 2
    rates = LESSON.plateau()
    assert rates[:6] == [0.1] * 6 and rates[6] == pytest.approx(0.01) and rates[-1] == pytest.approx(0.001)


def test_E62_closed_forms_match_the_catalogue():
    forms = LESSON.closed_forms()
    for t, expected in LESSON.NOTES_E62.items():
        assert forms[t] == pytest.approx(expected, abs=5e-7)               # the catalogue's last digit


def test_E63_linear_warm_up():
    warm = LESSON.warmup()
    assert warm[0] == 0 and warm[2500] == pytest.approx(0.05) and warm[5000] == warm[10000] == 0.1


def test_E64_densenet_divides_by_ten_not_two():
    cifar, svhn = LESSON.densenet(300), LESSON.densenet(40)
    assert cifar["milestones"] == [150, 225] and svhn["milestones"] == [20, 30]
    for schedule in (cifar, svhn):
        assert schedule["rates"] == pytest.approx([0.1, 0.01, 0.001])
    assert LESSON.densenet(300, factor=0.5)["rates"] == pytest.approx([0.1, 0.05, 0.025])      # the notes' reading
    assert LESSON.imagenet_densenet() == pytest.approx([0.1, 0.01, 0.001])


def test_E62_decaying_schedules_beat_a_rate_too_high_to_keep(runs):
    constant = runs["constant"]
    assert constant["lrs"][-1] == 0.5
    for name in ("step (x0.1 at 50%, 75%)", "cosine", "linear"):
        assert runs[name]["train loss"] < 0.5 * constant["train loss"], name
        assert runs[name]["test accuracy"] > constant["test accuracy"], name
    assert runs["cosine"]["lrs"][-1] == pytest.approx(0, abs=1e-12)


def test_E65_polyak_averaging_smooths_a_noisy_run(runs):
    constant = runs["constant"]
    assert constant["averaged loss"] < 0.7 * constant["train loss"]


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["epoch 0: 0.1, epoch 29: 0.1, epoch 30: 0.01, epoch 59: 0.01, epoch 60: 0.001",
                 " 25  0.08535534   0.075          0.02  0.0853553 / 0.075 / 0.02",
                 "lr(2500) = 0.05",
                 "CIFAR, 300 epochs: /10 at epochs [150, 225]: 0.1, 0.01, 0.001  (the notes' 'halved': 0.1, 0.05, 0.025)"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e61_e64_schedules.png", "e62_schedules_on_a_run.png"}
