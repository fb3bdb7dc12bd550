"""Lesson 10, convolution arithmetic: E14-E31, from real conv/pool ops, gl.nn layers and gradients, with the
catalogue's corrections (E16 weight shape, E20 padding not stride, E26 35K not 25k, E30 72% not 30%)."""
from fractions import Fraction

import pytest

import graphlab as gl
from graphlab import lessons

LESSON = lessons.find(10).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(10)            # shared with test_lessons.py (conftest.py)
    return text, out


@pytest.fixture(scope="module")
def alexnet():
    return LESSON.alexnet()


@pytest.fixture(scope="module")
def vgg16():
    return LESSON.vgg16()


def test_E14_fc_layer_on_cifar():
    fc = LESSON.fc_on_cifar()
    assert (fc["flat"], fc["weight"], fc["scores"]) == ((1, 3072), (3072, 10), (1, 10))
    assert (fc["weights"], fc["biases"]) == (30_720, 10)


def test_E15_one_filter_is_a_dot_product_per_position():
    assert LESSON.conv_output(32, 3, 1, 5) == (28, 28, 1)
    dot = LESSON.patch_dot_product()
    assert dot["patch size"] == 75 and dot["output shape"] == (1, 1, 28, 28)
    assert dot["conv"] == pytest.approx(dot["w·x + b"], abs=1e-12)


def test_E16_six_filters_and_the_corrected_weight_shape():
    assert LESSON.conv_output(32, 3, 6, 5) == (28, 28, 6)
    six = LESSON.conv_layer(3, 6, 5)
    assert six["weight shape"] == (6, 3, 5, 5) != (6, 3, 28, 28)        # the notes' misprint
    assert (six["weights"], six["biases"]) == (450, 6)


def test_E17_five_filters():
    assert LESSON.conv_output(32, 3, 5, 5) == (28, 28, 5)


def test_E18_strides_on_seven_by_seven():
    assert [LESSON.output_size(7, 3, stride) for stride in (1, 2, 3)] == [5, 3, Fraction(7, 3)]
    assert [LESSON.conv_output(7, 1, 1, 3, stride=stride)[:2] for stride in (1, 2, 3)] == [(5, 5), (3, 3), (2, 2)]
    unread = LESSON.stride_coverage(7, 3, 3) == 0
    assert unread[-1].all() and unread[:, -1].all() and unread.sum() == 13     # stride 3 never reads row/column 7
    assert not (LESSON.stride_coverage(7, 3, 2) == 0).any()


def test_E19_padding_one():
    assert LESSON.output_size(7, 3, pad=1) == 7 and LESSON.conv_output(7, 1, 1, 3, pad=1) == (7, 7, 1)
    assert gl.pad(gl.zeros(7, 7), 1).shape == (9, 9)
    assert LESSON.size_formula(7, 3, pad=1) == "(7 + 2·1 - 3)/1 + 1 = 7"


@pytest.mark.parametrize("kernel, pad", [(3, 1), (5, 2), (7, 3)])     # E20: paddings, misprinted as strides
def test_E20_pad_half_the_filter_keeps_the_size(kernel, pad):
    assert (kernel - 1) // 2 == pad
    assert LESSON.conv_output(7, 1, 1, kernel, pad=pad)[:2] == (7, 7)


def test_E21_E22_quiz():
    assert LESSON.conv_output(32, 3, 10, 5, pad=2) == (32, 32, 10)
    assert LESSON.conv_layer(3, 1, 5)["total"] == 76
    assert LESSON.conv_layer(3, 10, 5)["total"] == 760


def test_E23_receptive_field_from_the_gradient():
    assert [LESSON.receptive_field(layers) for layers in (1, 2, 3)] == [3, 5, 7]
    assert LESSON.receptive_field(2, K=5) == 9                         # 1 + L(K - 1) for another K
    assert LESSON.layers_to_cover(1024) == 512                         # the notes' "about 500"
    field = LESSON.receptive_field_map(2)
    assert field.sum() == 81 and field.max() == 9                      # 9 paths to the centre through 2 layers


def test_E24_one_by_one_convolution():
    pointwise = LESSON.one_by_one()
    assert pointwise["output"] == (56, 56, 32)
    assert (pointwise["weights"], pointwise["total"]) == (2048, 2080)
    assert pointwise["per-pixel matmul gap"] < 1e-4
    assert LESSON.conv_layer(4, 2, 1, bias=False)["weights"] == 8


def test_E25_max_pooling():
    pool = LESSON.max_pool_example()
    assert pool["pooled"] == [[6, 8], [3, 4]]
    assert pool["shape"] == (1, 2, 2, 2) and pool["parameters"] == 0 and pool["size by formula"] == 2


def test_E26_alexnet_conv1_by_the_real_ops():
    conv1 = LESSON.alexnet_conv1(quick=True)
    assert (conv1["conv1"], conv1["pool1"]) == ((55, 55), (27, 27))
    assert (conv1["weights"], conv1["total"]) == (34_848, 34_944)     # not the notes' "25k"


def test_E27_alexnet_table(alexnet):
    rows, summary = alexnet
    assert tuple(row.output for row in rows) == LESSON.NOTES_ALEXNET_OUTPUTS
    assert [row.layer for row in rows] == ["INPUT", "CONV1", "POOL1", "CONV2", "POOL2", "CONV3", "CONV4", "CONV5",
                                           "POOL3", "FC6", "FC7", "FC8"]
    assert [row.activations for row in rows] == [154_587, 290_400, 69_984, 186_624, 43_264, 64_896, 64_896, 43_264,
                                                 9_216, 4_096, 4_096, 1_000]
    assert [row.weights for row in rows if row.weights] == [34_848, 614_400, 884_736, 1_327_104, 884_736,
                                                            37_748_736, 16_777_216, 4_096_000]
    sums = LESSON.totals(rows)
    assert (sums["weights"], sums["biases"], sums["parameters"]) == (62_367_776, 10_568, 62_378_344)
    assert sums["parameters"] == summary.total_params
    assert sums["activations"] == summary.activations_per_sample == 936_323
    assert sums["activations"] + rows[2].activations + rows[4].activations == 1_049_571    # with NORM1, NORM2
    assert round(sums["fc share"], 2) == 0.94


def test_E27_grouped_alexnet():
    rows, _ = LESSON.alexnet(grouped=True)
    assert LESSON.totals(rows)["parameters"] == 60_965_224


def test_E28_vgg16_table(vgg16):
    rows, summary = vgg16
    assert len(rows) == len(LESSON.NOTES_VGG16_MEMORY) == 22
    assert [LESSON.notes_rounding(row.activations) for row in rows] == list(LESSON.NOTES_VGG16_MEMORY)
    assert sum(LESSON.from_notes(note) for note in LESSON.NOTES_VGG16_MEMORY) == 15_184_192
    sums = LESSON.totals(rows)
    assert sums["activations"] == summary.activations_per_sample == 15_237_608
    assert f"{sums['activations'] * 4 / 1e6:.2f}" == "60.95" and f"{sums['activations'] * 4 / 2 ** 20:.1f}" == "58.1"
    assert (sums["weights"], sums["biases"], sums["parameters"]) == (138_344_128, 13_416, 138_357_544)
    assert sums["parameters"] == summary.total_params
    assert round(sums["fc share"], 3) == 0.894
    assert (sums["first fc weights"], round(sums["first fc share"], 3)) == (102_760_448, 0.743)
    assert (sums["first two convs memory"], round(sums["first two convs share"], 2)) == (6_422_528, 0.42)


def test_notes_rounding_round_trips():
    assert [LESSON.notes_rounding(count) for count in (150_528, 3_211_264, 802_816, 25_088, 4_096)] == \
        ["150K", "3.2M", "800K", "25K", "4096"]
    assert [LESSON.from_notes(text) for text in ("3.2M", "800K", "1000")] == [3_200_000, 800_000, 1000]


def test_E29_small_filter_stacks():
    stacks = LESSON.small_filter_stacks()
    assert (stacks["2 × 3x3"], stacks["1 × 5x5"]) == (294_912, 409_600)
    assert (stacks["3 × 3x3"], stacks["1 × 7x7"]) == (442_368, 802_816)
    assert (stacks["rf 2"], stacks["rf 3"]) == (5, 7)


def test_E30_bottleneck_keeps_28_percent():
    squeeze = LESSON.bottleneck()
    assert (squeeze["direct"], squeeze["1x1"], squeeze["3x3"], squeeze["bottleneck"]) == (147_456, 4_096, 36_864, 40_960)
    assert round(squeeze["kept"], 3) == 0.278 and round(1 - squeeze["kept"], 2) == 0.72     # not "about 30%"


def test_E31_depth_of_the_models():
    with gl.nn.shape_only():
        assert LESSON.weight_layers(gl.nn.models.AlexNet()) == 8
        assert LESSON.weight_layers(gl.nn.models.VGG16()) == 16


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["32x32x3 -> (1, 3072) @ (3072, 10) -> (1, 10): 30,720 weights + 10 biases",
                 "3x3, stride 3: (7 - 3)/3 + 1 = 7/3 -> does not fit: 2.33; graphlab floors it; conv2d gives 2x2",
                 "32x32x3, ten 5x5 filters, stride 1, pad 2 -> (32, 32, 10): (32 + 2·2 - 5)/1 + 1 = 32",
                 "parameters: each filter 5·5·3 + 1 = 76, ten filters 760",
                 "to see all of a 1024x1024 image with 3x3 convs alone: 512 layers",
                 "CONV1: (227 - 11)/4 + 1 = 55 -> (55, 55); weights 11·11·3·96 = 34,848 (34,944 with biases)",
                 "total: 62,367,776 weights + 10,568 biases = 62,378,344 parameters",
                 "every row's memory rounds to the notes' figure: True",
                 "parameters: 138,344,128 weights + 13,416 biases = 138,357,544",
                 "the bottleneck keeps 27.8% of the weights, a 72% reduction",
                 "layers with weights in graphlab's models: AlexNet 8, VGG16 16"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e18_stride_coverage.png", "e23_receptive_field.png",
                                                      "e28_vgg16_memory_and_parameters.png"}
