"""Convolution arithmetic: output sizes, parameter counts, receptive fields, AlexNet and VGG16.

A conv layer's output size is (N + 2P - F) / S + 1 for an N×N input, F×F filters, padding P
and stride S (catalogue E19). Its parameter count is filters × (F·F·C_in + 1). Those two
formulas answer the lecture's quiz (E21, E22): a 32×32×3 input with ten 5×5 filters, stride 1
and pad 2 gives 32×32×10 and has 760 parameters. They also fill in the AlexNet and VGG16 tables,
whose pattern is memory early and parameters late (E27, E28).

Every number here comes from graphlab. Output shapes come from real gl.functional.conv2d and
max_pool2d calls, or from the layers' shape inference, which uses the same window arithmetic.
Parameter counts come from gl.nn layers, built with gl.nn.shape_only() so that VGG16's 138M
weights take no memory. Receptive fields are read off the gradient of one output pixel. Where the
notes' arithmetic is wrong (E16, E20, E26, E30) the lesson gives the corrected value and says so.

    .venv/bin/python lessons/10_conv_arithmetic.py [--quick] [--out DIR]
    graphlab lesson 10
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

#: E27: the notes' AlexNet output sizes, row by row (H x W x C; the FC rows are vectors)
NOTES_ALEXNET_OUTPUTS = ("227x227x3", "55x55x96", "27x27x96", "27x27x256", "13x13x256", "13x13x384", "13x13x384",
                         "13x13x256", "6x6x256", "4096", "4096", "1000")
#: E28: the notes' VGG16 memory column (activation values per image, rounded as the notes round them)
NOTES_VGG16_MEMORY = ("150K", "3.2M", "3.2M", "800K", "1.6M", "1.6M", "400K", "800K", "800K", "800K", "200K",
                      "400K", "400K", "400K", "100K", "100K", "100K", "100K", "25K", "4096", "4096", "1000")
#: E25 (slide): the 4x4 slice of the max-pooling example
POOLING_SLICE = ((1, 1, 2, 4), (5, 6, 7, 8), (3, 2, 1, 0), (1, 2, 3, 4))


# -- one layer ------------------------------------------------------------------------------------------
def output_size(N: int, kernel: int, stride: int = 1, pad: int = 0) -> Fraction:
    """The lecture's (N + 2P - F) / S + 1 with F = ``kernel``, kept exact: a fraction means the
    filter does not fit."""
    return Fraction(N + 2 * pad - kernel, stride) + 1


def size_formula(N: int, kernel: int, stride: int = 1, pad: int = 0) -> str:
    """The formula with the numbers in, as the notes write it: ``(32 + 2·2 - 5)/1 + 1 = 32``."""
    padded = f"{N} + 2·{pad}" if pad else f"{N}"
    return f"({padded} - {kernel})/{stride} + 1 = {output_size(N, kernel, stride, pad)}"


def conv_output(height: int, channels: int, filters: int, kernel: int, stride: int = 1, pad: int = 0) -> tuple:
    """(H, W, C) of a real ``gl.functional.conv2d`` of ``filters`` kernel×kernel filters on a
    height×height×channels image."""
    gl.manual_seed(0)
    image = gl.randn(1, channels, height, height)
    out = F.conv2d(image, gl.randn(filters, channels, kernel, kernel), gl.zeros(filters), stride=stride, padding=pad)
    return (out.shape[2], out.shape[3], out.shape[1])


def conv_layer(channels: int, filters: int, kernel: int, bias: bool = True) -> dict:
    """Weight shape and parameter counts of ``gl.nn.Conv2d(channels, filters, kernel)``."""
    layer = gl.nn.Conv2d(channels, filters, kernel, bias=bias)
    return {"weight shape": layer.weight.shape, "weights": layer.weight.size,
            "biases": layer.bias.size if bias else 0, "total": layer.num_parameters()}


def fc_on_cifar() -> dict:
    """E14: a 32x32x3 image flattened to 1x3072, times a 3072x10 weight matrix: 10 scores."""
    gl.manual_seed(0)
    image = gl.randn(1, 3, 32, 32)
    layer = gl.nn.Linear(3 * 32 * 32, 10)
    flat = image.reshape(1, -1)
    return {"flat": flat.shape, "weight": tuple(reversed(layer.weight.shape)), "scores": layer(flat).shape,
            "weights": layer.weight.size, "biases": layer.bias.size}


def patch_dot_product(row: int = 3, column: int = 7) -> dict:
    """E15: one output of a 5x5x3 filter is wᵀx + b over the flattened 75-value patch under it."""
    gl.manual_seed(1)
    image, weight, bias = gl.randn(1, 3, 32, 32, dtype=np.float64), gl.randn(1, 3, 5, 5, dtype=np.float64), 0.5
    out = F.conv2d(image, weight, gl.tensor([bias], dtype=np.float64))
    patch = image.data[0, :, row:row + 5, column:column + 5].reshape(-1)
    return {"patch size": patch.size, "output shape": out.shape, "conv": out.data[0, 0, row, column],
            "w·x + b": weight.data.reshape(-1) @ patch + bias}


def stride_coverage(N: int, kernel: int, stride: int) -> np.ndarray:
    """How often each input pixel is read by a kernel×kernel filter at ``stride``: the gradient of
    the sum of the outputs with respect to the input, with an all-ones filter. Zeros were never read."""
    image = gl.zeros(1, 1, N, N, requires_grad=True)
    F.conv2d(image, gl.ones(1, 1, kernel, kernel), stride=stride).sum().backward()
    return image.grad[0, 0]


def receptive_field_map(layers: int, K: int = 3, canvas: int = 9) -> np.ndarray:
    """The input gradient of the centre output pixel of ``layers`` stacked K×K convs (stride 1,
    all-ones filters, padded to keep the size) on a canvas×canvas image: non-zero exactly where
    that pixel looks, larger where more paths lead."""
    image = gl.zeros(1, 1, canvas, canvas, requires_grad=True)
    out = image
    for _ in range(layers):
        out = F.conv2d(out, gl.ones(1, 1, K, K), padding=K // 2)
    out[0, 0, canvas // 2, canvas // 2].backward()
    return image.grad[0, 0]


def receptive_field(layers: int, K: int = 3) -> int:
    """The side of the input region one output pixel sees through ``layers`` stacked K×K convs:
    the rows of its input gradient that are not zero (on a canvas with room to spare)."""
    canvas = 1 + 2 * layers * (K - 1)
    return int(np.any(receptive_field_map(layers, K, canvas) != 0, axis=1).sum())


def layers_to_cover(size: int, K: int = 3) -> int:
    """The fewest stacked K×K convs whose receptive field 1 + L(K - 1) reaches ``size``."""
    return -(-(size - 1) // (K - 1))


def one_by_one(height: int = 56, channels: int = 64, filters: int = 32) -> dict:
    """E24: a 1x1 conv is a fully connected layer applied to every pixel's channel vector."""
    gl.manual_seed(2)
    layer = gl.nn.Conv2d(channels, filters, 1)
    image = gl.randn(1, channels, height, height)
    out = layer(image)
    per_pixel = np.einsum("oc,nchw->nohw", layer.weight.data[:, :, 0, 0], image.data) + layer.bias.data[:, None, None]
    return {"output": (out.shape[2], out.shape[3], out.shape[1]), "weights": layer.weight.size,
            "total": layer.num_parameters(), "per-pixel matmul gap": float(np.abs(out.data - per_pixel).max())}


def max_pool_example() -> dict:
    """E25: 2x2 max pooling at stride 2 on the slide's 4x4 slice; no parameters, channels kept."""
    pooled = F.max_pool2d(gl.tensor([[POOLING_SLICE, POOLING_SLICE]]), 2, stride=2)
    return {"pooled": pooled.data[0, 0].astype(int).tolist(), "shape": pooled.shape,
            "parameters": gl.nn.MaxPool2d(2).num_parameters(), "size by formula": output_size(4, 2, stride=2)}


def alexnet_conv1(quick: bool = False) -> dict:
    """E26: CONV1 (96 11x11 filters, stride 4) and POOL1 (3x3, stride 2) on a 227x227x3 image,
    computed by the real ops (in quick mode on the same image with fewer filters)."""
    filters = 8 if quick else 96
    gl.manual_seed(3)
    image = gl.randn(1, 3, 227, 227)
    conv1 = F.conv2d(image, gl.randn(filters, 3, 11, 11), stride=4)
    pool1 = F.max_pool2d(conv1, 3, stride=2)
    layer = conv_layer(3, 96, 11)
    return {"conv1": conv1.shape[2:], "pool1": pool1.shape[2:], "weights": layer["weights"], "total": layer["total"]}


# -- whole networks -------------------------------------------------------------------------------------
@dataclass
class Row:
    """One row of a CS231n network table."""
    layer: str
    output: str          # "55x55x96", or "4096" for a vector
    activations: int     # values this layer's output holds per image
    weights: int
    biases: int


def network_table(model, image_size: int) -> list:
    """The CS231n table of ``model`` (a ``gl.nn`` classifier with ``features`` and ``head``):
    the input, then every conv, pool and FC layer with its output, memory and parameters.
    Shapes come from each layer's shape inference, the conv/pool formula of E19."""
    shape = (1, 3, image_size, image_size)
    rows = [Row("INPUT", _describe(shape), int(np.prod(shape[1:])), 0, 0)]
    counters = {"CONV": 0, "POOL": 0, "FC": 0}
    for layer in [*model.features, *model.head]:
        shape = layer.infer_shape(shape)
        if not layer.counts_memory:       # ReLU, dropout, flatten: in place or views
            continue
        kind = {"Conv2d": "CONV", "MaxPool2d": "POOL", "Linear": "FC"}[type(layer).__name__]
        counters[kind] += 1
        number = counters[kind] + (counters["CONV"] if kind == "FC" else 0)    # FC layers count on: FC6 after CONV5
        weight, bias = getattr(layer, "weight", None), getattr(layer, "bias", None)
        rows.append(Row(f"{kind}{number}", _describe(shape), int(np.prod(shape[1:])),
                        0 if weight is None else weight.size, 0 if bias is None else bias.size))
    return rows


def _describe(shape: tuple) -> str:
    """(1, C, H, W) -> "HxWxC", (1, D) -> "D": the notes' way of writing a volume."""
    if len(shape) == 4:
        return f"{shape[2]}x{shape[3]}x{shape[1]}"
    return str(shape[1])


def alexnet(grouped: bool = False) -> tuple:
    """E27: the simplified AlexNet of ``gl.nn.models`` (no NORM layers), its table and summary."""
    with gl.nn.shape_only():
        model = gl.nn.models.AlexNet(grouped=grouped)
    return network_table(model, 227), gl.nn.summary(model, (1, 3, 227, 227))


def vgg16() -> tuple:
    """E28: VGG16 of ``gl.nn.models``, its table and summary."""
    with gl.nn.shape_only():
        model = gl.nn.models.VGG16()
    return network_table(model, 224), gl.nn.summary(model, (1, 3, 224, 224))


def totals(rows: list) -> dict:
    """Sums over a table, and where the parameters and the memory sit."""
    weights = sum(row.weights for row in rows)
    biases = sum(row.biases for row in rows)
    fc = [row for row in rows if row.layer.startswith("FC")]
    convs = [row for row in rows if row.layer.startswith("CONV")]
    memory = sum(row.activations for row in rows)
    return {"activations": memory, "weights": weights, "biases": biases, "parameters": weights + biases,
            "fc share": sum(row.weights + row.biases for row in fc) / (weights + biases),
            "first fc weights": fc[0].weights, "first fc share": fc[0].weights / weights,
            "first two convs memory": convs[0].activations + convs[1].activations,
            "first two convs share": (convs[0].activations + convs[1].activations) / memory}


def notes_rounding(count: int) -> str:
    """A count as the notes round it: exact below 10,000, else two significant digits with K or M."""
    if count < 10_000:
        return str(count)
    digits = len(str(count)) - 2
    rounded = round(count, -digits)
    if rounded >= 1_000_000:
        return f"{rounded / 1_000_000:g}M"
    return f"{rounded // 1000}K"


def from_notes(text: str) -> int:
    """The notes' "3.2M" or "800K" as a count (the inverse of ``notes_rounding``)."""
    scale = {"K": 1_000, "M": 1_000_000}
    return round(float(text[:-1]) * scale[text[-1]]) if text[-1] in scale else int(text)


def weight_layers(model) -> int:
    """Depth as the lecture counts it: layers with weights (conv and FC)."""
    return sum(isinstance(module, (gl.nn.Conv2d, gl.nn.Linear)) for module in model.modules())


def small_filter_stacks(C: int = 128) -> dict:
    """E29: stacks of 3x3 convs against one big filter with the same receptive field (C in, C out)."""
    three = conv_layer(C, C, 3, bias=False)["weights"]
    return {"2 × 3x3": 2 * three, "1 × 5x5": conv_layer(C, C, 5, bias=False)["weights"],
            "3 × 3x3": 3 * three, "1 × 7x7": conv_layer(C, C, 7, bias=False)["weights"],
            "rf 2": receptive_field(2), "rf 3": receptive_field(3)}


def bottleneck(C: int = 128, reduced: int = 32) -> dict:
    """E30: a 3x3 conv C -> C directly, or a 1x1 conv down to ``reduced`` channels first."""
    direct = conv_layer(C, C, 3, bias=False)["weights"]
    squeeze, expand = conv_layer(C, reduced, 1, bias=False)["weights"], conv_layer(reduced, C, 3, bias=False)["weights"]
    return {"direct": direct, "1x1": squeeze, "3x3": expand, "bottleneck": squeeze + expand,
            "kept": (squeeze + expand) / direct}


# -- the narrative --------------------------------------------------------------------------------------
def _table_text(rows: list, notes_column: tuple, notes_title: str) -> str:
    return lessons.table([(row.layer, row.output, f"{row.activations:,}", note, f"{row.weights:,}", f"{row.biases:,}")
                          for row, note in zip(rows, notes_column)],
                         ("layer", "output", "memory", notes_title, "weights", "biases"))


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("A fully connected layer on a CIFAR image (E14)")
    fc = fc_on_cifar()
    lessons.say(f"32x32x3 -> {fc['flat']} @ {fc['weight']} -> {fc['scores']}: {fc['weights']:,} weights + {fc['biases']} biases")

    lessons.heading("One 5x5x3 filter (E15), six filters (E16), five filters (E17)")
    dot = patch_dot_product()
    lessons.say(f"one filter on 32x32x3 -> {conv_output(32, 3, 1, 5)}: {size_formula(32, 5)}; the filter's depth "
          f"is the input's depth, 3")
    lessons.say(f"each output is wᵀx + b over a {dot['patch size']}-value patch: conv gives {dot['conv']:.12f}, "
          f"w·x + b = {dot['w·x + b']:.12f}")
    six = conv_layer(3, 6, 5)
    lessons.say(f"six filters -> {conv_output(32, 3, 6, 5)}; weight tensor {six['weight shape']} = {six['weights']} weights "
          f"+ {six['biases']} biases")
    lessons.say("  (the notes print the weight shape as 6 x 3 x 28 x 28; 28 x 28 is the output size, the filters are 5 x 5)")
    lessons.say(f"five filters -> {conv_output(32, 3, 5, 5)}: five features at every position")

    lessons.heading("Stride and padding on a 7x7 input (E18, E19, E20)")
    for stride in (1, 2, 3):
        exact = output_size(7, 3, stride)
        real = conv_output(7, 1, 1, 3, stride=stride)
        verdict = "fits" if exact.denominator == 1 else f"does not fit: {float(exact):.2f}; graphlab floors it"
        lessons.say(f"3x3, stride {stride}: {size_formula(7, 3, stride)} -> {verdict}; conv2d gives {real[0]}x{real[1]}")
    unread = stride_coverage(7, 3, 3)
    lessons.say(f"with stride 3 the last row and column are never read (the input gradient is 0 there): "
          f"{int((unread == 0).sum())} of 49 pixels unused")
    lessons.say(f"pad 1: 7x7 -> {gl.pad(gl.zeros(7, 7), 1).shape} padded, a 3x3 filter at stride 1 -> "
          f"{conv_output(7, 1, 1, 3, pad=1)[:2]}: {size_formula(7, 3, pad=1)}")
    for size in (3, 5, 7):
        pad = (size - 1) // 2
        lessons.say(f"  F = {size}: pad (F - 1)/2 = {pad} keeps 7x7 -> {conv_output(7, 1, 1, size, pad=pad)[:2]}")
    lessons.say("The notes turn this list into '3x3 uses stride 1, 5x5 stride 2, 7x7 stride 3': those are the paddings.")

    lessons.heading("The quiz (E21, E22)")
    quiz, one_filter = conv_layer(3, 10, 5), conv_layer(3, 1, 5)
    lessons.say(f"32x32x3, ten 5x5 filters, stride 1, pad 2 -> {conv_output(32, 3, 10, 5, pad=2)}: {size_formula(32, 5, pad=2)}")
    lessons.say(f"parameters: each filter 5·5·3 + 1 = {one_filter['total']}, ten filters {quiz['total']}")

    lessons.heading("Receptive fields (E23)")
    for layers in (1, 2, 3):
        side = receptive_field(layers)
        lessons.say(f"{layers} stacked 3x3 conv{'s' if layers > 1 else ''}: one output pixel sees {side}x{side} inputs "
              f"(1 + L(K - 1) = 1 + {layers}·2 = {1 + layers * 2})")
    lessons.say(f"to see all of a 1024x1024 image with 3x3 convs alone: {layers_to_cover(1024)} layers "
          f"(the notes: 'about 500'); hence downsampling")

    lessons.heading("1x1 convolutions (E24) and pooling (E25)")
    pointwise = one_by_one()
    lessons.say(f"56x56x64, 32 filters of 1x1x64 -> {pointwise['output']}; {pointwise['weights']:,} weights "
          f"({pointwise['total']:,} with biases); the same as a 64 -> 32 matmul at every pixel "
          f"(gap {pointwise['per-pixel matmul gap']:.0e})")
    lessons.say(f"4 maps -> 2 maps: {conv_layer(4, 2, 1, bias=False)['weights']} weights, a fully connected layer across channels")
    pool = max_pool_example()
    lessons.say(f"max pool 2x2, stride 2 on {[list(row) for row in POOLING_SLICE]} -> {pool['pooled']}; "
          f"{size_formula(4, 2, 2)}; {pool['parameters']} parameters; channels kept: {pool['shape']}")

    lessons.heading("AlexNet by hand (E26) and in full (E27)")
    conv1 = alexnet_conv1(options.quick)
    lessons.say(f"CONV1: {size_formula(227, 11, 4)} -> {conv1['conv1']}; weights 11·11·3·96 = "
          f"{conv1['weights']:,} ({conv1['total']:,} with biases). The notes say '25k': it is "
          f"{round(conv1['weights'], -3) // 1000}K.")
    lessons.say(f"POOL1: {size_formula(55, 3, 2)} -> {conv1['pool1']}; no parameters")
    rows, summary = alexnet()
    lessons.say(_table_text(rows, NOTES_ALEXNET_OUTPUTS, "notes' output"))
    sums = totals(rows)
    norms = sum(row.activations for row in rows if row.layer in ("POOL1", "POOL2"))   # NORM1, NORM2 copy them
    lessons.say(f"total: {sums['weights']:,} weights + {sums['biases']:,} biases = {sums['parameters']:,} parameters "
          f"(gl.nn.summary: {summary.total_params:,}); {sums['fc share']:.0%} of them in FC6-FC8")
    lessons.say(f"memory: {sums['activations']:,} values per image ({summary.activations_per_sample:,} by gl.nn.summary); "
          f"{sums['activations'] + norms:,} with the notes' NORM1/NORM2 copies")
    grouped_rows, _ = alexnet(grouped=True)
    lessons.say(f"the original two-GPU model splits CONV2, CONV4, CONV5 into groups: {totals(grouped_rows)['parameters']:,} "
          f"parameters")

    lessons.heading("VGG16 (E28)")
    rows, summary = vgg16()
    lessons.say(_table_text(rows, NOTES_VGG16_MEMORY, "notes"))
    agree = all(notes_rounding(row.activations) == note for row, note in zip(rows, NOTES_VGG16_MEMORY))
    sums = totals(rows)
    noted = sum(from_notes(note) for note in NOTES_VGG16_MEMORY)
    lessons.say(f"every row's memory rounds to the notes' figure: {agree}; the notes give no total, and their rounded "
          f"figures add up to {noted:,}")
    lessons.say(f"memory: {sums['activations']:,} values = {sums['activations'] * 4 / 1e6:.2f} MB "
          f"({sums['activations'] * 4 / 2 ** 20:.1f} MiB) per image forward, at 4 bytes")
    lessons.say(f"parameters: {sums['weights']:,} weights + {sums['biases']:,} biases = {sums['parameters']:,} "
          f"(gl.nn.summary: {summary.total_params:,})")
    lessons.say(f"{sums['fc share']:.1%} of the parameters are in the three FC layers, {sums['first fc share']:.1%} in the "
          f"first alone ({sums['first fc weights']:,});\nthe first two convs hold {sums['first two convs memory']:,} "
          f"activations, {sums['first two convs share']:.0%} of the memory: memory early, parameters late.")
    lessons.say("(The CS231n slide's total line, '24M * 4 bytes ≈ 96MB', does not match the sum of its own rows.)")

    lessons.heading("Small filters and bottlenecks (E29, E30)")
    stacks = small_filter_stacks()
    lessons.say(f"two 3x3 convs see {stacks['rf 2']}x{stacks['rf 2']} like one 5x5: {stacks['2 × 3x3']:,} vs "
          f"{stacks['1 × 5x5']:,} weights (C = 128)")
    lessons.say(f"three 3x3 convs see {stacks['rf 3']}x{stacks['rf 3']} like one 7x7: {stacks['3 × 3x3']:,} vs "
          f"{stacks['1 × 7x7']:,} weights, and add two more non-linearities")
    squeeze = bottleneck()
    lessons.say(f"3x3 conv 128 -> 128 directly: {squeeze['direct']:,} weights; 1x1 down to 32 first: {squeeze['1x1']:,} + "
          f"{squeeze['3x3']:,} = {squeeze['bottleneck']:,}")
    lessons.say(f"the bottleneck keeps {squeeze['kept']:.1%} of the weights, a {1 - squeeze['kept']:.0%} reduction; the notes' "
          f"'about 30% reduction' is the part that is kept.")

    lessons.heading("Depth (E31)")
    with gl.nn.shape_only():
        depths = {"AlexNet": weight_layers(gl.nn.models.AlexNet()), "VGG16": weight_layers(gl.nn.models.VGG16())}
    lessons.say(f"layers with weights in graphlab's models: AlexNet {depths['AlexNet']}, VGG16 {depths['VGG16']}. The notes "
          f"also list LeNet-5 (4), ZFNet (8),\nGoogLeNet (22; the OCR'd '2 layers' is garbled, and it has no large FC "
          f"layers) and ResNet (152).")

    lessons.heading("Pictures")
    _picture_strides(options.out / "e18_stride_coverage.png")
    _picture_receptive_fields(options.out / "e23_receptive_field.png")
    _picture_vgg16(rows, options.out / "e28_vgg16_memory_and_parameters.png")
    return 0


def _picture_strides(path) -> None:
    picture = lessons.figure(9, 3.2)
    for index, stride in enumerate((1, 2, 3), 1):
        axes = picture.add_subplot(1, 3, index)
        coverage = stride_coverage(7, 3, stride)
        image = axes.imshow(coverage, cmap="Blues", vmin=0)
        for (row, column), count in np.ndenumerate(coverage):
            axes.text(column, row, f"{count:g}", ha="center", va="center", fontsize=8,
                      color="red" if count == 0 else "black")
        axes.set_title(f"stride {stride}: output {conv_output(7, 1, 1, 3, stride=stride)[0]}x"
                       f"{conv_output(7, 1, 1, 3, stride=stride)[1]}")
        axes.set_xticks([])
        axes.set_yticks([])
        picture.colorbar(image, ax=axes, shrink=0.7)
    picture.suptitle("7x7 input, 3x3 filter: how often each pixel is read (0 = never)")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_receptive_fields(path) -> None:
    picture = lessons.figure(9, 3.2)
    for layers in (1, 2, 3):
        axes = picture.add_subplot(1, 3, layers)
        field = receptive_field_map(layers)
        axes.imshow(field, cmap="Oranges", vmin=0)
        for (row, column), paths in np.ndenumerate(field):
            if paths:
                axes.text(column, row, f"{paths:g}", ha="center", va="center", fontsize=7)
        side = receptive_field(layers)
        axes.set_title(f"{layers} layer{'s' if layers > 1 else ''}: {side}x{side}")
        axes.set_xticks([])
        axes.set_yticks([])
    picture.suptitle("One output pixel's input gradient through stacked 3x3 convs: its receptive field "
                     "(numbers: paths to the pixel)")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_vgg16(rows: list, path) -> None:
    picture = lessons.figure(10, 4.2)
    axes = picture.add_subplot()
    positions = np.arange(len(rows))
    axes.bar(positions - 0.2, [row.activations for row in rows], width=0.4, label="memory (activations)")
    axes.bar(positions + 0.2, [row.weights + row.biases or np.nan for row in rows], width=0.4,   # no bar for 0
             label="parameters")
    axes.set_yscale("log")
    axes.set_xticks(positions, [row.layer for row in rows], rotation=60, fontsize=8)
    axes.set_ylabel("values")
    axes.set_title("VGG16: memory early, parameters late")
    axes.legend()
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
