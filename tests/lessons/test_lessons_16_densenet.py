"""Lesson 16, DenseNet: connections and linear channel growth (catalogue E86), the -B/-C/-BC bookkeeping and
transitions (E87), Table 2's errors with the labels fixed and the notes' claims (E89), every parameter count of the
table reproduced (E90), and the feature-reuse heatmap of a trained DenseNet-BC (E92)."""

import numpy as np
import pytest

from graphlab import lessons

LESSON = lessons.find(16).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(16)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E86_connections_and_linear_growth():
    assert LESSON.connections() == {3: 6, 5: 15, 12: 78}
    growth = LESSON.channel_growth()
    assert [growth["received"][index] for index in (0, 1, 11)] == [16, 28, 148] and growth["out"] == 160
    assert growth["received"] == growth["declared"] and growth["same output"]
    assert set(np.diff(growth["received"])) == {12}                            # linear, not exponential


def test_E87_bottleneck_compression_and_transitions():
    rows = LESSON.variants()
    assert rows["DenseNet-BC"]["channels"] == [24, 216, 108, 300, 150, 342]
    assert rows["DenseNet-BC"]["bottleneck width"] == 48 == 4 * 12
    assert rows["DenseNet"]["channels"][::2] == [16, 400, 784] and rows["DenseNet"]["layers per block"] == 32
    assert rows["DenseNet-B"]["parameters"] == 1_210_066 and rows["DenseNet-C"]["parameters"] == 4_013_370
    assert rows["DenseNet-BC"]["parameters"] < rows["DenseNet-B"]["parameters"] < rows["DenseNet-C"]["parameters"] \
        < rows["DenseNet"]["parameters"]
    for channels in (300, 301):
        step = LESSON.transition(channels, 0.5)
        assert step["out"] == 150 and step["shape"] == (1, 150, 8, 8)
    assert LESSON.transition(300, 0.5)["steps"] == ["BatchNorm2d", "ReLU", "Conv2d", "AvgPool2d"]
    assert LESSON.transition(448, 1.0)["out"] == 448                           # θ = 1 keeps the count


def test_E90_table_2_parameter_counts():
    c10, c100 = LESSON.parameter_counts(), LESSON.parameter_counts(100)
    assert [c10[name]["parameters"] for name in LESSON.TABLE_2] == [1_019_722, 6_979_642, 27_249_082, 769_162,
                                                                    15_324_406, 25_624_430]
    assert [c100[name]["parameters"] for name in LESSON.TABLE_2] == [1_060_132, 7_084_852, 27_457_972, 800_032,
                                                                     15_480_556, 25_821_620]
    assert [c10[name]["final channels"] for name in LESSON.TABLE_2] == [448, 1168, 2320, 342, 1734, 2190]
    for name, (_, printed) in LESSON.TABLE_2.items():
        assert LESSON.as_printed(c10[name]["parameters"]) == printed == LESSON.ERRORS[name][1]
    biased = LESSON.parameter_counts(conv_bias=True)
    assert biased["DenseNet (k = 12), L = 40"]["parameters"] == 1_020_634
    assert biased["DenseNet-BC (k = 12), L = 100"]["parameters"] == 772_324


def test_E89_the_notes_claims_hold_on_the_table():
    claims = LESSON.table_claims()
    assert claims["BC-190 beats WRN-28 on C10+"] and claims["BC-190 beats WRN-28 on C100+"]
    assert claims["every DenseNet beats FractalNet on C10 and C100"]
    assert claims["best on SVHN"] == "DenseNet (k = 24), L = 100"
    assert claims["deeper is better (k = 12, C10+)"] and claims["wider is better (L = 100, C10+)"]
    assert claims["C10 rises from k = 12 to 24"] == (5.77, 5.83)
    assert LESSON.ERRORS["FractalNet with Dropout/Drop-path"][2:5] == (7.33, 4.60, 28.20)     # the labels as in the paper


def test_E92_parameter_efficiency_and_feature_reuse():
    efficiency = LESSON.resnet_1001()
    assert f"{efficiency['resnet'] / 1e6:.1f}M" == "10.3M" and efficiency["densenet-bc"] == 769_162
    model, history = LESSON.train_small(2)
    assert model.num_parameters() == 46_362 and history["val_accuracy"][-1] > 0.9
    heat = LESSON.feature_reuse(model)
    assert [block.shape for block in heat] == [(5, 5)] * 3
    for block in heat:
        assert np.isnan(block[np.triu_indices(5, 1)]).all()                   # a layer reads only earlier ones
        lower = block[np.tril_indices(5)]
        assert lower.max() == 1 and lower.min() > 0.5                         # (1) weight spread over every source
    classifier = heat[-1][-1]
    assert classifier[0] < classifier[-2:].max()                               # (3) the late features weigh more


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["an L-layer block has L(L + 1)/2 direct connections: L = 3: 6, L = 5: 15, L = 12: 78",
                 "layers 1, 2, 12 receive 16, 28, 148 channels",
                 "DenseNet-BC                  16  48              24 -> 216 -> 108 -> 300 -> 150 -> 342      769,162",
                 "DenseNet (k = 12), L = 40                  12             448   1,019,722  1.0M      1,060,132",
                 "every count rounds to the table's figure: True"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e92_feature_reuse.png", "e86_e87_channels.png"}
