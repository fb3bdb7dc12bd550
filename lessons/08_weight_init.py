"""Weight initialization: small, big, Xavier and He weights in a 6-layer net, layer by layer.

Before the first step, the initial weights decide how the signal travels. All-equal weights
never break the symmetry between units (catalogue E38). For random weights, the lecture's
experiment is 6 layers of width 4096 and a batch of 16 Gaussian inputs. With W = 0.01·N(0, 1)
and tanh, the activations shrink toward 0 layer after layer, and so do the gradients (E39).
With 0.05·N(0, 1) the units saturate at ±1 and their local gradients vanish (E40).

The fix comes from one line of algebra. For y = Σᵢ xᵢwᵢ over Din inputs,
Var(y) = Din·Var(x)·Var(w), so Var(w) = 1/Din keeps the variance from layer to layer: Xavier,
std = 1/√Din = 0.015625 for Din = 4096 (E41). ReLU zeroes half its inputs, and with Xavier the
variance halves at every layer; He's Var(w) = 2/Din doubles it back (E42). Inputs are
zero-centred and scaled first, so that layer 1 sees the same kind of numbers (E37).

The lesson runs the lecture's experiment forward and backward with graphlab, prints each layer's
activation std, and draws the lecture's per-layer histograms.

    .venv/bin/python lessons/08_weight_init.py [--quick] [--out DIR]
    graphlab lesson 8
"""
from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

#: the lecture's setup (E39): 6 layers of width 4096, a batch of 16 Gaussian inputs
WIDTH, LAYERS, BATCH = 4096, 6, 16


@dataclass(frozen=True)
class Scheme:
    """One initialization: the weights' std as a function of the fan-in, and the non-linearity."""
    std: Callable[[int], float]
    activation: str            # "tanh" or "relu"
    entry: str                 # the catalogue entry it reproduces


SCHEMES = {
    "std 0.01, tanh": Scheme(lambda fan_in: 0.01, "tanh", "E39"),
    "std 0.05, tanh": Scheme(lambda fan_in: 0.05, "tanh", "E40"),
    "Xavier, tanh": Scheme(lambda fan_in: 1 / math.sqrt(fan_in), "tanh", "E41"),
    "Xavier, ReLU": Scheme(lambda fan_in: 1 / math.sqrt(fan_in), "relu", "E42"),
    "He, ReLU": Scheme(lambda fan_in: math.sqrt(2 / fan_in), "relu", "E42"),
}


# -- preprocessing and symmetry ---------------------------------------------------------------------------
def point_cloud(samples: int = 300, seed: int = 0) -> np.ndarray:
    """A correlated 2-D cloud far from the origin, with features on different scales (figure 16)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((samples, 2)) @ np.array([[3.0, 0.0], [1.2, 0.5]]) + np.array([8.0, -3.0])


def preprocess(X) -> dict:
    """E37: subtract the mean over the samples (axis 0), then divide by each feature's std, with gl ops."""
    data = gl.tensor(X, dtype=np.float64)
    centred = data - data.mean(axis=0)
    normalized = centred / centred.var(axis=0).sqrt()
    return {"original": data.data, "zero-centred": centred.data, "normalized": normalized.data}


def image_means() -> dict:
    """E37 for images: the mean image (one value per pixel) or the per-channel mean (one per channel)."""
    images = gl.data.digits("train").inputs                                     # (N, 1, 8, 8)
    normalize = gl.data.transforms.Normalize.fit(images)
    normalized = normalize(images)
    return {"mean image": images.mean(axis=0).shape, "channel means": normalize.mean.shape,
            "mean after": float(normalized.mean()), "std after": float(normalized.std())}


def constant_init_run(value: float, steps: int = 20, seed: int = 0) -> dict:
    """E38: a 64-32-10 ReLU net whose weights all start at ``value`` (biases 0), trained with SGD on the
    digits. Returns how different the hidden units' weight rows are after training (0: still identical)."""
    gl.manual_seed(seed)
    model = gl.nn.Sequential(gl.nn.Linear(64, 32, dtype=np.float64), gl.nn.ReLU(),
                             gl.nn.Linear(32, 10, dtype=np.float64))
    for layer in (model[0], model[2]):
        gl.nn.init.constant(layer.weight, value)
        gl.nn.init.zeros(layer.bias)
    optimizer = gl.optim.SGD(model.parameters(), lr=0.1)
    loader = gl.data.DataLoader(gl.data.digits("train"), batch_size=64, shuffle=True, seed=seed)
    for _, (images, labels) in zip(range(steps), loader):
        loss = F.cross_entropy(model(images.reshape(len(images), -1).astype(np.float64)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    rows = model[0].weight.data
    return {"row spread": float(np.abs(rows - rows[0]).max()), "moved": float(np.abs(rows - value).max()),
            "loss": loss.item()}


# -- the lecture's experiment -------------------------------------------------------------------------------
@dataclass
class Layer:
    """One layer's numbers under one scheme."""
    std: float                 # of the activations (the lecture's numbers)
    pre_std: float             # of the inputs to the non-linearity, Σ xᵢwᵢ
    local: float               # mean local gradient of the non-linearity: 1 - tanh², or the share of active ReLUs
    saturated: float           # share of tanh outputs beyond ±0.99 (0 for ReLU)
    gradient: Optional[float]  # norm of the gradient arriving at the layer's output (graphlab's backward), if run
    values: np.ndarray         # the activations, for the histograms


def deep_net(width: int = WIDTH, layers: int = LAYERS, batch: int = BATCH, seed: int = 0,
             gradients: bool = False) -> dict:
    """Every scheme on the same net: the same standard-normal matrices Zₗ scaled by each scheme's std
    (W = std·Z, the lecture's ``std * np.random.randn(Din, Dout)``) and the same inputs. With
    ``gradients``, graphlab's backward pass of L = Σ h₆ ⊙ R (a fixed Gaussian R, so the gradient
    arriving at the top is the same for every scheme) gives the gradient reaching each layer.
    Cached: at width 4096 the matrices alone take a second to draw."""
    return _deep_net(width, layers, batch, seed, gradients)


@functools.lru_cache(maxsize=4)
def _deep_net(width: int, layers: int, batch: int, seed: int, gradients: bool) -> dict:
    rng = np.random.default_rng(seed)
    matrices = [gl.tensor(rng.standard_normal((width, width), dtype=np.float32)) for _ in range(layers)]
    inputs = rng.standard_normal((batch, width), dtype=np.float32)
    readout = gl.tensor(rng.standard_normal((batch, width), dtype=np.float32))
    results = {}
    for name, scheme in SCHEMES.items():
        std = scheme.std(width)
        h = gl.tensor(inputs, requires_grad=gradients)          # no gradient wanted: no graph is recorded
        steps = []
        for Z in matrices:
            pre = (h @ Z) * std
            h = pre.tanh() if scheme.activation == "tanh" else pre.relu()
            steps.append((pre, h))
        if gradients:
            (h * readout).sum().backward()
        layers_out = []
        for pre, out in steps:
            values = out.data
            local = 1 - values ** 2 if scheme.activation == "tanh" else values > 0
            saturated = float((np.abs(values) > 0.99).mean()) if scheme.activation == "tanh" else 0.0
            arriving = float(np.linalg.norm(out.grad)) if gradients else None
            layers_out.append(Layer(float(values.std()), float(pre.data.std()), float(local.mean()), saturated,
                                    arriving, values.ravel().copy()))
        results[name] = layers_out
    return results


def derivation(experiment: dict, width: int = WIDTH) -> dict:
    """E41/E42: the stds, and Var(y) = Din·Var(x)·Var(w) for one layer: the first layer's Σ xᵢwᵢ in
    ``experiment`` (from ``deep_net``; its inputs have variance 1) against √Din·std(w)."""
    measured = {name: layers[0].pre_std for name, layers in experiment.items()}
    predicted = {name: math.sqrt(width) * scheme.std(width) for name, scheme in SCHEMES.items()}
    return {"xavier std": SCHEMES["Xavier, tanh"].std(width), "he std": SCHEMES["He, ReLU"].std(width),
            "predicted": predicted, "measured": measured}


def graphlab_initializers(fan_in: int = WIDTH, fan_out: int = 256, seed: int = 0) -> dict:
    """The same stds from ``gl.nn.init`` on a (fan_out, fan_in) weight; and the layers' own default
    (PyTorch's kaiming_uniform(a=√5), uniform on ±1/√fan_in: std 1/√(3·fan_in))."""
    gl.manual_seed(seed)
    weight = gl.zeros(fan_out, fan_in)
    return {"xavier_normal(fan_in)": float(gl.nn.init.xavier_normal(weight, mode="fan_in").data.std()),
            "kaiming_normal": float(gl.nn.init.kaiming_normal(weight).data.std()),
            "Linear default": float(gl.nn.Linear(fan_in, fan_out).weight.data.std())}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Preprocessing (E37)")
    cloud = preprocess(point_cloud())
    for stage, values in cloud.items():
        lessons.say(f"  {stage:<13} column means {np.round(values.mean(axis=0), 6) + 0.0}, stds {np.round(values.std(axis=0), 6)}")
    images = image_means()
    lessons.say(f"images: subtract the mean image {images['mean image']} or the per-channel mean {images['channel means']}; "
          f"the digits after Normalize.fit: mean {images['mean after']:.1e}, std {images['std after']:.4f}")

    lessons.heading("Constant weights never break the symmetry (E38)")
    for value in (0.0, 0.1):
        run = constant_init_run(value)
        lessons.say(f"all weights {value:g}: after 20 SGD steps the 32 hidden rows differ by at most {run['row spread']:g} "
              f"(they moved by up to {run['moved']:.3g}); loss {run['loss']:.3f}")
    lessons.say("Every hidden unit computes the same function and gets the same gradient, so they stay copies.")

    lessons.heading(f"The lecture's experiment: {LAYERS} layers of width {WIDTH}, batch {BATCH} (E39-E42)")
    experiment = deep_net(gradients=not options.quick)
    rows = [(name, SCHEMES[name].entry, *(f"{layer.std:.2f}" for layer in layers)) for name, layers in experiment.items()]
    lessons.say(lessons.table(rows, ("init", "entry", *(f"layer {index}" for index in range(1, LAYERS + 1)))))
    small, big = experiment["std 0.01, tanh"], experiment["std 0.05, tanh"]
    lessons.say(f"\nstd 0.01 (E39): the activations shrink to {small[-1].std:.2f}, and backward multiplies the gradient by "
          f"about 0.01·√4096 = 0.64 per layer:")
    if options.quick:
        narrow = deep_net(width=512, gradients=True)["std 0.01, tanh"]
        lessons.say(f"  (--quick runs the backward pass at width 512, where 0.01·√512 = 0.23: the gradient arriving at layer 6 is "
              f"{narrow[-1].gradient:.0f},\n  at layer 1 {narrow[0].gradient:.2g})")
    else:
        lessons.say(f"  the gradient arriving at layer 6 is {small[-1].gradient:.0f}, at layer 1 {small[0].gradient:.0f}: "
              f"the first layers barely learn.")
    lessons.say(f"std 0.05 (E40): the std stays at {big[-1].std:.2f} because {big[-1].saturated:.0%} of the units sit beyond ±0.99; "
          f"the mean local gradient 1 - tanh² is {big[-1].local:.2f}\n  at layer 6 (it is {small[-1].local:.2f} with std "
          f"0.01). The notes write that 'W converges to ±1': it is the activations that do.")
    theory = derivation(experiment)
    lessons.say(f"Xavier (E41): Var(y) = Din·Var(x)·Var(w), so std = 1/√Din = 1/√4096 = {theory['xavier std']:g}. "
          f"Layer 1's Σ xᵢwᵢ, with Var(x) = 1:")
    lessons.say(lessons.table([(name, f"{SCHEMES[name].std(WIDTH):.6f}", f"{theory['predicted'][name]:.3f}",
                          f"{theory['measured'][name]:.3f}") for name in SCHEMES],
                        ("init", "std(w)", "√Din·std(w)", "measured std")))
    xavier_relu, he = experiment["Xavier, ReLU"], experiment["He, ReLU"]
    ratios = [after.std / before.std for before, after in zip(xavier_relu, xavier_relu[1:])]
    lessons.say(f"He (E42): ReLU keeps about half its inputs ({xavier_relu[0].local:.0%} active), so with Xavier each layer "
          f"multiplies the std by ~{np.mean(ratios):.2f} ≈ 1/√2;\n  std = √(2/Din) = {theory['he std']:.7f} keeps it at "
          f"{min(layer.std for layer in he):.2f}-{max(layer.std for layer in he):.2f}. (The notes still recommend Xavier "
          f"'for now'.)")
    initializers = graphlab_initializers()
    lessons.say(f"gl.nn.init on a weight with fan-in 4096: xavier_normal(mode='fan_in') std "
          f"{initializers['xavier_normal(fan_in)']:.6f}, kaiming_normal {initializers['kaiming_normal']:.6f};\n"
          f"  gl.nn.Linear's own default (PyTorch's) has std {initializers['Linear default']:.6f} = 1/√(3·4096)")

    lessons.heading("Pictures")
    _picture_histograms(experiment, options.out / "e39_e42_activation_histograms.png")
    _picture_statistics(experiment, options.out / "e39_e42_per_layer.png")
    _picture_preprocessing(cloud, options.out / "e37_preprocessing.png")
    return 0


def _picture_histograms(experiment: dict, path) -> None:
    picture = lessons.figure(13, 10, layout=None)
    picture.subplots_adjust(left=0.06, right=0.99, bottom=0.04, top=0.93, wspace=0.15, hspace=0.45)
    for row, (name, layers) in enumerate(experiment.items()):
        for column, layer in enumerate(layers):
            axes = picture.add_subplot(len(experiment), len(layers), row * len(layers) + column + 1)
            title = f"layer {column + 1}: std {layer.std:.2f}"
            if SCHEMES[name].activation == "tanh":
                values, span = layer.values, (-1, 1)
            else:                                  # ReLU: the half at exactly 0 would dwarf the rest
                values = layer.values[layer.values > 0]
                span = (0, max(1.0, float(np.percentile(values, 99.5))))
                title += f", {1 - layer.local:.0%} at 0"
            axes.hist(values, bins=40, range=span, color=f"C{row}")
            axes.set_yticks([])
            axes.set_title(title, fontsize=8)
            axes.tick_params(labelsize=7)
            if column == 0:
                axes.set_ylabel(name, fontsize=9)
    picture.suptitle(f"Activations of a {LAYERS}-layer net of width {WIDTH} (a batch of {BATCH} Gaussian inputs)")
    picture.savefig(lessons.wrote(path), dpi=90)


def _picture_statistics(experiment: dict, path) -> None:
    panels = [("activation std", "std"), ("mean local gradient (1 - tanh², or ReLU's share active)", "local")]
    if experiment["Xavier, tanh"][0].gradient is not None:
        panels.append(("gradient arriving at the layer's output", "gradient"))
    picture = lessons.figure(5 * len(panels), 3.8)
    depth = range(1, LAYERS + 1)
    for index, (title, field) in enumerate(panels, 1):
        axes = picture.add_subplot(1, len(panels), index)
        for name, layers in experiment.items():
            axes.plot(depth, [getattr(layer, field) for layer in layers], "o-", label=name)
        axes.set_title(title, fontsize=9)
        axes.set_xlabel("layer")
        if field == "gradient":
            axes.set_yscale("log")
    picture.axes[0].legend(fontsize=8)
    picture.suptitle(f"{LAYERS} layers of width {WIDTH}, per layer")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_preprocessing(cloud: dict, path) -> None:
    picture = lessons.figure(11, 3.6)
    for index, (stage, values) in enumerate(cloud.items(), 1):
        axes = picture.add_subplot(1, 3, index)
        axes.scatter(values[:, 0], values[:, 1], s=4)
        axes.axhline(0, color="0.6", linewidth=0.8)
        axes.axvline(0, color="0.6", linewidth=0.8)
        axes.set_aspect("equal", adjustable="datalim")
        axes.set_title(stage)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
