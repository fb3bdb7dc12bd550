"""DenseNet: channel growth k0 + k(l - 1), L(L + 1)/2 connections, the -B/-C/-BC variants, and feature reuse.

A dense block feeds every layer the concatenation of all the feature maps before it:
x_l = H_l([x_0, x_1, ..., x_{l-1}]). Each layer adds only k new maps (the growth rate, e.g. 12),
so layer l receives k0 + k(l - 1) channels: the count grows linearly (the notes' 004 says
"exponentially", which is wrong), and an L-layer block has L(L + 1)/2 direct connections (catalogue
E86). DenseNet-B puts a 1x1 bottleneck to 4k channels before each 3x3 conv, DenseNet-C compresses
the channels by θ = 0.5 in every transition, and DenseNet-BC does both (E87). With those rules
graphlab's ``gl.nn.models.DenseNet`` reproduces every parameter count of the paper's Table 2 to
the digit it prints (E89, E90).

Then a small DenseNet-BC is trained on the digits, and the weights of each layer's first conv are
split by the earlier layer they read: the paper's feature-reuse heatmap (Figure 5, E92).

    .venv/bin/python lessons/16_densenet.py [--quick] [--out DIR]
    graphlab lesson 16
"""
from __future__ import annotations

import functools
import math
import sys

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

#: E90: the paper's configurations (depth L, growth k, bottleneck, compression θ) and Table 2's "Params"
TABLE_2 = {"DenseNet (k = 12), L = 40": ((40, 12, False, 1.0), "1.0M"),
           "DenseNet (k = 12), L = 100": ((100, 12, False, 1.0), "7.0M"),
           "DenseNet (k = 24), L = 100": ((100, 24, False, 1.0), "27.2M"),
           "DenseNet-BC (k = 12), L = 100": ((100, 12, True, 0.5), "0.8M"),
           "DenseNet-BC (k = 24), L = 250": ((250, 24, True, 0.5), "15.3M"),
           "DenseNet-BC (k = 40), L = 190": ((190, 40, True, 0.5), "25.6M")}

#: E89: test error (%) of Table 2, with the row labels as the paper has them (the notes' printing shifted the
#: "with Dropout/Drop-path" and "with Dropout" labels onto the wrong rows); None where the paper has "-"
ERRORS = {  # method: (depth, params, C10, C10+, C100, C100+, SVHN)
    "FractalNet": (21, "38.6M", 10.18, 5.22, 35.34, 23.30, 2.01),
    "FractalNet with Dropout/Drop-path": (21, "38.6M", 7.33, 4.60, 28.20, 23.73, 1.87),
    "Wide ResNet, 16 layers": (16, "11.0M", None, 4.81, None, 22.07, None),
    "Wide ResNet, 28 layers": (28, "36.5M", None, 4.17, None, 20.50, None),
    "Wide ResNet with Dropout": (16, "2.7M", None, None, None, None, 1.64),
    "DenseNet (k = 12), L = 40": (40, "1.0M", 7.00, 5.24, 27.55, 24.42, 1.79),
    "DenseNet (k = 12), L = 100": (100, "7.0M", 5.77, 4.10, 23.79, 20.20, 1.67),
    "DenseNet (k = 24), L = 100": (100, "27.2M", 5.83, 3.74, 23.42, 19.25, 1.59),
    "DenseNet-BC (k = 12), L = 100": (100, "0.8M", 5.92, 4.51, 24.15, 22.27, 1.76),
    "DenseNet-BC (k = 24), L = 250": (250, "15.3M", 5.19, 3.62, 19.64, 17.60, 1.74),
    "DenseNet-BC (k = 40), L = 190": (190, "25.6M", None, 3.46, None, 17.18, None),
}
DATASETS = ("C10", "C10+", "C100", "C100+", "SVHN")


# -- one block ---------------------------------------------------------------------------------------------------
def connections(layers=(3, 5, 12)) -> dict:
    """E86: direct connections of an L-layer dense block, L(L + 1)/2 (``DenseBlock.connections``)."""
    with gl.nn.shape_only():
        return {L: gl.nn.DenseBlock(L, 16, 12).connections for L in layers}


def channel_growth(layers: int = 12, k0: int = 16, k: int = 12, seed: int = 0) -> dict:
    """E86: run a dense block the way its forward does, layer by layer, and record the channels each layer
    receives; the block's own output must be the same tensor."""
    gl.manual_seed(seed)
    block = gl.nn.DenseBlock(layers, k0, k)
    x = gl.randn(2, k0, 4, 4)
    features, received = x, []
    for layer in block.children():
        received.append(features.shape[1])
        features = gl.concat([features, layer(features)], axis=1)
    return {"received": received, "out": features.shape[1], "declared": block.layer_in_channels,
            "same output": bool(np.allclose(features.data, block(x).data))}


def variants(depth: int = 100, k: int = 12) -> dict:
    """E87: DenseNet, -B, -C and -BC at the same depth and growth: the bottleneck width, the transitions'
    channels, and the parameters."""
    rows = {}
    with gl.nn.shape_only():
        for name, bottleneck, compression in (("DenseNet", False, 1.0), ("DenseNet-B", True, 1.0),
                                              ("DenseNet-C", False, 0.5), ("DenseNet-BC", True, 0.5)):
            model = gl.nn.models.DenseNet(depth, k, bottleneck, compression)
            stages = model.features
            path = [stages.conv0.out_channels]
            for index in (1, 2, 3):
                path.append(getattr(stages, f"denseblock{index}").out_channels)
                if index < 3:
                    path.append(getattr(stages, f"transition{index}").out_channels)
            first = stages.denseblock1.denselayer1
            rows[name] = {"layers per block": model.layers_per_block, "channels": path,
                          "bottleneck width": first.conv1.out_channels if bottleneck else None,
                          "parameters": model.num_parameters()}
    return rows


def transition(channels: int, compression: float) -> dict:
    """E87: a transition outputs ⌊θ·m⌋ maps: BN, ReLU, 1x1 conv, then 2x2 average pooling halves the size."""
    with gl.nn.shape_only():
        layer = gl.nn.Transition(channels, compression)
    return {"out": layer.out_channels, "shape": layer.infer_shape((1, channels, 16, 16)),
            "steps": [type(child).__name__ for child in layer.children()]}


# -- the paper's table -----------------------------------------------------------------------------------------
def parameter_counts(num_classes: int = 10, conv_bias: bool = False) -> dict:
    """E90: every Table 2 configuration built by ``gl.nn.models.DenseNet`` under ``shape_only`` (no memory).
    ``conv_bias`` adds one bias per conv output channel (the convs themselves have none, as in the paper)."""
    counts = {}
    with gl.nn.shape_only():
        for name, (config, _) in TABLE_2.items():
            model = gl.nn.models.DenseNet(*config, num_classes=num_classes)
            biases = sum(layer.out_channels for layer in model.modules() if isinstance(layer, gl.nn.Conv2d))
            counts[name] = {"parameters": model.num_parameters() + (biases if conv_bias else 0),
                            "final channels": model.num_features, "layers per block": model.layers_per_block}
    return counts


def as_printed(count: int) -> str:
    """A parameter count as Table 2 prints it: millions with one decimal."""
    return f"{count / 1e6:.1f}M"


def table_claims() -> dict:
    """E89: the claims of the notes' text, checked against the table (C10 etc. are error rates, lower is better)."""
    column = {name: index for index, name in enumerate(DATASETS, start=2)}

    def error(method, dataset):
        return ERRORS[method][column[dataset]]

    densenets = [method for method in ERRORS if method.startswith("DenseNet")]
    best_fractal = {dataset: error("FractalNet with Dropout/Drop-path", dataset) for dataset in ("C10", "C100")}
    svhn = {method: row[column["SVHN"]] for method, row in ERRORS.items() if row[column["SVHN"]] is not None}
    plain_k12 = [error(f"DenseNet (k = 12), L = {depth}", "C10+") for depth in (40, 100)]
    return {
        "BC-190 beats WRN-28 on C10+": error("DenseNet-BC (k = 40), L = 190", "C10+") < error("Wide ResNet, 28 layers", "C10+"),
        "BC-190 beats WRN-28 on C100+": error("DenseNet-BC (k = 40), L = 190", "C100+") < error("Wide ResNet, 28 layers", "C100+"),
        "every DenseNet beats FractalNet on C10 and C100": all(
            error(method, dataset) < best_fractal[dataset] for method in densenets for dataset in ("C10", "C100")
            if error(method, dataset) is not None),
        "best on SVHN": min(svhn, key=svhn.get),
        "deeper is better (k = 12, C10+)": plain_k12[1] < plain_k12[0],
        "wider is better (L = 100, C10+)": error("DenseNet (k = 24), L = 100", "C10+") < error("DenseNet (k = 12), L = 100", "C10+"),
        "C10 rises from k = 12 to 24": (error("DenseNet (k = 12), L = 100", "C10"), error("DenseNet (k = 24), L = 100", "C10")),
    }


def resnet_1001() -> dict:
    """E92 (Figure 4, right): the 1001-layer ResNet that matches DenseNet-BC-100, counted by graphlab (its
    bottleneck ResNet is post-activation with projection shortcuts; the paper's pre-activation ResNet-1001
    has 10.2M)."""
    with gl.nn.shape_only():
        resnet = gl.nn.models.ResNet(1001, bottleneck=True)
        densenet = gl.nn.models.DenseNet(100, 12, True, 0.5)
    return {"resnet": resnet.num_parameters(), "densenet-bc": densenet.num_parameters()}


# -- a small DenseNet-BC, trained, and its feature reuse ---------------------------------------------------------
@functools.lru_cache(maxsize=4)
def train_small(epochs: int, depth: int = 28, k: int = 8, seed: int = 0) -> tuple:
    """A DenseNet-BC (depth 28: 4 bottleneck layers per block, k = 8, θ = 0.5) on the 8x8 digits with Adam;
    returns (model, history) (cached: deterministic, and shared by the narrative and the tests)."""
    gl.manual_seed(seed)
    model = gl.nn.models.DenseNet(depth, k, bottleneck=True, compression=0.5, in_channels=1)
    optimizer = gl.optim.Adam(model.parameters(), lr=3e-3)
    history = gl.train.fit(model, F.cross_entropy, optimizer,
                           gl.data.DataLoader(gl.data.digits("train"), batch_size=32, shuffle=True, seed=seed),
                           gl.data.DataLoader(gl.data.digits("test"), batch_size=256), epochs=epochs, progress=False,
                           scheduler=gl.optim.schedules.CosineAnnealing(optimizer, T=epochs))
    return model, history


def feature_reuse(model) -> list:
    """E92 (Figure 5): for every dense block, a matrix whose row l is layer l's first conv (the 1x1 bottleneck
    of DenseNet-BC) and whose column s is the source of its input channels (0 = the block's input, s = layer s's
    k new maps); the entry is the mean |w| over those channels, each row divided by its largest entry. The
    last row is the layer that reads the whole block: the next transition, or the classifier."""
    stages = model.features
    readers = [stages.transition1.conv.weight, stages.transition2.conv.weight, model.classifier.weight]
    maps = []
    for index, reader in enumerate(readers, 1):
        block = getattr(stages, f"denseblock{index}")
        layers = list(block.children())
        heat = np.full((len(layers) + 1, len(layers) + 1), np.nan)
        weights = [layer.conv1.weight.data for layer in layers] + [reader.data]
        for row, weight in enumerate(weights):
            magnitude = np.abs(weight.reshape(weight.shape[0], weight.shape[1], -1)).mean(axis=(0, 2))   # per input channel
            bounds = [0, block.in_channels] + [block.in_channels + block.growth_rate * s for s in range(1, row + 1)]
            heat[row, :row + 1] = [magnitude[start:end].mean() for start, end in zip(bounds, bounds[1:])]
            heat[row] /= np.nanmax(heat[row])
        maps.append(heat)
    return maps


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Connections and channels (E86)")
    links = connections()
    lessons.say("an L-layer block has L(L + 1)/2 direct connections: " + ", ".join(f"L = {L}: {count}"
                                                                           for L, count in links.items()))
    growth = channel_growth()
    received = growth["received"]
    lessons.say(f"k0 = 16, k = 12: layers 1, 2, 12 receive {received[0]}, {received[1]}, {received[11]} channels "
          f"(k0 + k(l - 1)); the block outputs {growth['out']} = 16 + 12·12, what layer 13 would receive")
    lessons.say(f"every layer adds {sorted(set(np.diff(received)))[0]}: linear growth (004's 'exponential' is wrong). "
          f"Walked layer by layer, the same output as DenseBlock.forward: {growth['same output']}")

    lessons.heading("DenseNet-B, -C and -BC (E87)")
    rows = variants()
    lessons.say(lessons.table([(name, row["layers per block"], row["bottleneck width"] or "-",
                          " -> ".join(map(str, row["channels"])), f"{row['parameters']:,}")
                         for name, row in rows.items()],
                        ("L = 100, k = 12", "layers", "1x1", "channels", "parameters")))
    for channels in (300, 301):
        step = transition(channels, 0.5)
        lessons.say(f"Transition({channels}, θ = 0.5): ⌊0.5·{channels}⌋ = {step['out']} maps, {' -> '.join(step['steps'])}, "
              f"(1, {channels}, 16, 16) -> {step['shape']}")

    lessons.heading("Table 2's parameter counts, reproduced (E90, E89)")
    c10, c100, biased = parameter_counts(), parameter_counts(100), parameter_counts(conv_bias=True)
    lessons.say(lessons.table([(name, c10[name]["layers per block"], c10[name]["final channels"],
                          f"{c10[name]['parameters']:,}", printed, f"{c100[name]['parameters']:,}")
                         for name, (_, printed) in TABLE_2.items()],
                        ("configuration", "layers", "channels", "C10", "Table 2", "C100")))
    agree = all(as_printed(c10[name]["parameters"]) == printed for name, (_, printed) in TABLE_2.items())
    lessons.say(f"every count rounds to the table's figure: {agree}; with a bias on every conv they rise a little "
          f"(L = 40: {biased['DenseNet (k = 12), L = 40']['parameters']:,}; BC-100: "
          f"{biased['DenseNet-BC (k = 12), L = 100']['parameters']:,}) and still round the same")
    claims = table_claims()
    lessons.say("the notes' claims, checked on the table's errors:")
    for claim, holds in claims.items():
        lessons.say(f"  {claim}: {holds}")
    lessons.say("(The notes' copy of Table 2 shifts the 'with Dropout/Drop-path' and 'with Dropout' labels onto the wrong rows;\n"
          " the lesson's table has them as the paper does.)")
    efficiency = resnet_1001()
    lessons.say(f"Figure 4: a 1001-layer ResNet is needed to match DenseNet-BC-100: {efficiency['resnet']:,} parameters in "
          f"graphlab's version (the paper's pre-activation one: 10.2M) against {efficiency['densenet-bc']:,}")

    lessons.heading("A small DenseNet-BC on the digits, and what it reuses (E92)")
    epochs = 2 if options.quick else 5
    model, history = train_small(epochs)
    lessons.say(f"depth 28 (4 bottleneck layers per block), k = 8, θ = 0.5: {model.num_parameters():,} parameters; "
          f"{epochs} epoch(s) of Adam: test accuracy {history.last['val_accuracy']:.1%}")
    heat = feature_reuse(model)
    for index, block in enumerate(heat, 1):
        reader = "transition" if index < 3 else "classifier"
        lessons.say(f"block {index}: mean |w| of each layer's first conv by source (row-normalized; last row: the {reader})")
        lessons.say(lessons.table([(f"layer {row + 1}" if row < len(block) - 1 else reader,
                              *("" if np.isnan(value) else f"{value:.2f}" for value in block[row]))
                             for row in range(len(block))],
                            ("reads from", "block input", *(f"layer {s}" for s in range(1, len(block))))))
    classifier = heat[-1][-1]
    transitions = np.concatenate([block[1:-1, 0] for block in heat[1:]])
    lessons.say(f"The paper's observations (1) every layer spreads its weight over all the earlier ones: the smallest entry\n"
          f"of any row is {min(np.nanmin(block) for block in heat):.2f} of its row's largest, so features are reused "
          f"across the block. (3) The classifier leans\non the late features: {classifier[0]:.2f} on the final block's "
          f"input, {np.nanmax(classifier[-2:]):.2f} on its last layers. (2) Low weight on the transitions' outputs does "
          f"not\nshow in so small and short a run: the layers of blocks 2 and 3 give them {transitions.min():.2f}-"
          f"{transitions.max():.2f} of their largest.")

    lessons.heading("Pictures")
    _picture_heatmaps(heat, options.out / "e92_feature_reuse.png")
    _picture_growth(rows, options.out / "e86_e87_channels.png")
    return 0


def _picture_heatmaps(heat: list, path) -> None:
    low = math.floor(10 * min(np.nanmin(block) for block in heat)) / 10      # the colours span the values there are
    picture = lessons.figure(11, 3.8)
    for index, block in enumerate(heat, 1):
        axes = picture.add_subplot(1, len(heat), index)
        image = axes.imshow(block.T, cmap="viridis", vmin=low, vmax=1, origin="lower")
        size = len(block)
        axes.set_xticks(range(size), [*(str(row) for row in range(1, size)), "T" if index < len(heat) else "C"])
        axes.set_yticks(range(size), ["in", *(str(s) for s in range(1, size))])
        axes.set_xlabel("target layer")
        axes.set_ylabel("source layer")
        axes.set_title(f"dense block {index}")
    picture.colorbar(image, ax=picture.axes, shrink=0.8, label="mean |w|, row-normalized")
    picture.suptitle("Feature reuse in a trained DenseNet-BC (the paper's Figure 5)")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_growth(rows: dict, path) -> None:
    picture = lessons.figure(7, 4)
    axes = picture.add_subplot()
    for name, row in rows.items():
        axes.plot(row["channels"], "o-", label=name)
    axes.set_xticks(range(6), ["conv0", "block 1", "transition 1", "block 2", "transition 2", "block 3"], fontsize=8)
    axes.set_ylabel("channels")
    axes.set_title("L = 100, k = 12: channels after each stage")
    axes.legend()
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
