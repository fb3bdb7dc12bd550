"""Lesson 15, ResNet: a block with F = 0 is the identity and the shortcut is free (catalogue E81), the degradation
of deeper plain nets (E82), the skip's +1 in backward (E83), bottleneck and projection blocks (E84), width (E85)."""

import pytest

from graphlab import lessons

LESSON = lessons.find(15).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(15)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E81_zero_residual_is_the_identity_and_the_shortcut_is_free():
    zero = LESSON.zero_residual()
    assert zero["residual gap"] == 0 and zero["plain output"] == 0
    assert zero["parameters"][0] == zero["parameters"][1]


def test_E83_the_skip_adds_one():
    skip = LESSON.skip_gradient()
    assert skip["residual"] == pytest.approx(1.0001, abs=1e-12) and skip["plain"] == pytest.approx(1e-4)
    block = LESSON.block_gradient()
    assert block["residual gap to upstream"] == 0 and block["plain largest"] == 0


def test_E83_gradients_through_56_layers():
    profile = LESSON.gradient_profile(56)
    plain, residual = profile["plain"]["arriving"], profile["residual"]["arriving"]
    assert len(plain) == len(residual) == 27
    assert LESSON.per_block_factor(plain) > 1.2 > LESSON.per_block_factor(residual)    # BN: the plain net amplifies
    assert LESSON.spread(profile["plain"]["weights"]) > 10 * LESSON.spread(profile["residual"]["weights"])


def test_E82_deeper_plain_nets_train_worse():
    plain_8, plain_20 = (LESSON.final(LESSON.train("plain", depth, 100)) for depth in (8, 20))
    residual_20 = LESSON.final(LESSON.train("residual", 20, 100))
    assert plain_20 > 3 * plain_8                                             # the training loss, not the test loss
    assert residual_20 < plain_20 / 3


def test_E84_bottleneck_projection_and_head():
    structure = LESSON.block_structure()
    assert structure["bottleneck"] == [16_384, 36_864, 16_384] and sum(structure["bottleneck"]) == 69_632
    assert structure["basic"] == 1_179_648 == 2 * 3 * 3 * 256 * 256
    assert structure["shape"] == (1, 32, 16, 16) and structure["projection weights"] == 16 * 32
    assert structure["head"] == ["GlobalAvgPool2d", "Linear"]
    table = LESSON.depth_table()
    assert [f"{row['without projections'] / 1e6:.2g}M" for row in table.values()] == \
        ["0.27M", "0.46M", "0.66M", "0.85M", "1.7M"]


def test_E85_width_grows_the_parameters_by_k_squared():
    wide = LESSON.widening()
    for k in (2, 4):
        assert wide[k] / wide[1] == pytest.approx(k * k, rel=0.02)


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["y = x + F(x) with F'(x) = 1e-4: dy/dx = 1.0001; y = F(x) alone: 0.0001",
                 "bottleneck at 256: 1x1 16,384 + 3x3 36,864 + 1x1 16,384 = 69,632 weights; a basic block of two 3x3 "
                 "convs: 1,179,648",
                 "ResNet-56                   855,770                  853,018  0.85M"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e82_plain_vs_residual.png", "e83_gradients_per_block.png"}
