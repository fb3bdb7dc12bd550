"""Activation functions: sigmoid, tanh, ReLU and its successors, their gradients, saturation and dead units.

A non-linearity sits after every layer, and backward multiplies the gradient by its local
derivative. That derivative decides what a network can learn. The sigmoid σ(x) = 1/(1 + e⁻ˣ) has
σ' = σ(1 - σ), at most 0.25: at x = ±10 it is 4.5e-5, so a saturated unit passes almost nothing
back (catalogue E32). Its outputs are all positive, so the gradients of the next layer's weights
all share one sign, and the updates zig-zag (E33). tanh is zero-centred but saturates just the same
(E34). ReLU = max(0, x) has the local gradient 1 for x > 0, but 0 for x < 0: a unit whose input is
negative for every example is dead and never learns again, and a too-large learning rate kills
most of them in a few steps (E35). Leaky ReLU, PReLU, ELU, SELU, GELU and Maxout each repair part
of that (E36).

Every derivative here comes from graphlab's backward pass. The saturation and the dead units are
measured on real activations: a hidden layer on the 8x8 digits, trained with graphlab's optimizers.

    .venv/bin/python lessons/07_activations.py [--quick] [--out DIR]
    graphlab lesson 7
"""
from __future__ import annotations

import math
import sys

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

#: the activations of the gallery, each a function of one Tensor (default parameters of the notes)
ACTIVATIONS = {
    "sigmoid": gl.sigmoid,
    "tanh": gl.tanh,
    "ReLU": gl.relu,
    "Leaky ReLU": lambda x: gl.leaky_relu(x, 0.01),
    "ELU": lambda x: gl.elu(x, 1.0),
    "SELU": F.selu,
    "GELU": F.gelu,
}


# -- one unit: values and local gradients from the backward pass ------------------------------------------
def local_gradient(activation, at: float) -> tuple:
    """(activation(at), its derivative at ``at``) in float64; the derivative is one backward walk."""
    x = gl.scalar(at, dtype=np.float64)
    y = activation(x)
    (slope,) = gl.grad(y, x)
    return y.item(), slope.item()


def curves(activation, xs: np.ndarray) -> tuple:
    """The activation and its derivative over ``xs``: one forward and one backward pass for all points
    (the sum's gradient with respect to each x is that x's local derivative)."""
    x = gl.tensor(xs, dtype=np.float64, requires_grad=True)
    y = activation(x)
    (slope,) = gl.grad(y.sum(), x)
    return y.data, slope.data


def sigmoid_saturation(points=(-10.0, 0.0, 10.0)) -> list:
    """E32: σ and σ' = σ(1 - σ) at the notes' three points."""
    rows = []
    for at in points:
        value, slope = local_gradient(gl.sigmoid, at)
        rows.append({"x": at, "sigmoid": value, "gradient": slope, "sigma(1 - sigma)": value * (1 - value)})
    return rows


def weight_gradient(inputs, upstream: float) -> np.ndarray:
    """E33: dL/dw of f = Σ wᵢxᵢ when dL/df = ``upstream``: upstream × x, one sign for every i if all x > 0."""
    w = gl.zeros(len(inputs), dtype=np.float64, requires_grad=True)
    f = (w * gl.tensor(inputs, dtype=np.float64)).sum()
    f.backward(np.float64(upstream))
    return w.grad


def update_quadrants(zero_centred: bool, samples: int = 60, lr: float = 0.5, seed: int = 0) -> dict:
    """E33 on a run: a linear unit f = w·x learns w* = (1, -1) from inputs that are the outputs of a
    sigmoid layer (all positive) or of a tanh layer (zero-centred), one example per step. Returns the
    share of updates whose two components have the same sign, and the path of w."""
    rng = np.random.default_rng(seed)
    hidden = gl.tensor(rng.standard_normal((samples, 2)), dtype=np.float64)
    inputs = (hidden.tanh() if zero_centred else hidden.sigmoid()).data
    target = inputs @ np.array([1.0, -1.0])
    w = np.zeros(2)
    path, same_sign = [w.copy()], 0
    for x, t in zip(inputs, target):
        weights = gl.tensor(w, dtype=np.float64, requires_grad=True)
        loss = ((weights * gl.tensor(x, dtype=np.float64)).sum() - t) ** 2 / 2
        (gradient,) = gl.grad(loss, weights)
        same_sign += bool(np.sign(gradient.data[0]) == np.sign(gradient.data[1]) != 0)
        w = w - lr * gradient.data
        path.append(w.copy())
    return {"same sign": same_sign / samples, "path": np.array(path)}


def tanh_facts(at: float = 0.7) -> dict:
    """E34: tanh(x) = 2σ(2x) - 1, from the "4 exp terms" (eˣ - e⁻ˣ)/(eˣ + e⁻ˣ); tanh'(10); the mean
    output of tanh and sigmoid on symmetric inputs (zero-centred or not)."""
    x = gl.scalar(at, dtype=np.float64)
    four_exps = (x.exp() - (-x).exp()) / (x.exp() + (-x).exp())
    symmetric = gl.tensor(np.linspace(-3, 3, 61), dtype=np.float64)
    return {"tanh": x.tanh().item(), "2 sigmoid(2x) - 1": (2 * (2 * x).sigmoid() - 1).item(),
            "4 exp terms": four_exps.item(), "slope at 0": local_gradient(gl.tanh, 0.0)[1],
            "slope at 10": local_gradient(gl.tanh, 10.0)[1],
            "mean tanh": float(symmetric.tanh().data.mean()), "mean sigmoid": float(symmetric.sigmoid().data.mean())}


def relu_family() -> dict:
    """E35/E36: ReLU's local gradients, and the test values of the leaky, exponential and Gaussian units."""
    gelu_points = np.linspace(-3, 0, 3001)
    gelu, gelu_slope = curves(F.gelu, gelu_points)
    lowest = int(gelu.argmin())
    return {"relu slope at -10": local_gradient(gl.relu, -10.0)[1], "relu slope at 0": local_gradient(gl.relu, 0.0)[1],
            "relu slope at 10": local_gradient(gl.relu, 10.0)[1],
            "leaky(-10)": local_gradient(ACTIVATIONS["Leaky ReLU"], -10.0)[0],
            "leaky slope at -10": local_gradient(ACTIVATIONS["Leaky ReLU"], -10.0)[1],
            "elu(-1)": local_gradient(ACTIVATIONS["ELU"], -1.0)[0],
            "elu slope at -1": local_gradient(ACTIVATIONS["ELU"], -1.0)[1],
            "selu(-10)": local_gradient(F.selu, -10.0)[0],
            "gelu min at": float(gelu_points[lowest]), "gelu min": float(gelu[lowest]),
            "gelu slope at -2": float(gelu_slope[np.argmin(np.abs(gelu_points + 2))])}


def prelu_step(inputs=(-2.0, 3.0), slope: float = 0.25, lr: float = 0.1) -> dict:
    """E36: PReLU's slope a is a parameter like any weight: for L = Σ prelu(x), dL/da is the sum of the
    negative inputs, and one SGD step moves a."""
    layer = gl.nn.PReLU(init=slope, dtype=np.float64)
    loss = layer(gl.tensor(inputs, dtype=np.float64)).sum()
    loss.backward()
    gradient = float(layer.weight.grad[0])
    gl.optim.SGD(layer.parameters(), lr=lr).step()
    return {"loss": loss.item(), "dL/da": gradient, "a after one step": float(layer.weight.data[0])}


def maxout_facts(in_features: int = 64, out_features: int = 100) -> dict:
    """E36: Maxout max(w1ᵀx + b1, w2ᵀx + b2) has twice a linear layer's parameters, and with the second
    piece zero it is ReLU, with the second piece 0.01 times the first it is Leaky ReLU."""
    maxout, linear = gl.nn.Maxout(in_features, out_features), gl.nn.Linear(in_features, out_features)
    gl.manual_seed(7)
    z = gl.randn(5, 8, dtype=np.float64)
    # maxout groups consecutive features: (z1, 0, z2, 0, ...) pairs each unit with a zero piece
    as_relu = F.maxout(gl.stack([z, 0 * z], axis=2).reshape(5, 16), pieces=2)
    as_leaky = F.maxout(gl.stack([z, 0.01 * z], axis=2).reshape(5, 16), pieces=2)
    return {"maxout parameters": maxout.num_parameters(), "linear parameters": linear.num_parameters(),
            "gap to ReLU": float(np.abs(as_relu.data - gl.relu(z).data).max()),
            "gap to Leaky ReLU": float(np.abs(as_leaky.data - gl.leaky_relu(z, 0.01).data).max())}


def self_normalizing(depth: int = 20, width: int = 256, seed: int = 0) -> dict:
    """E36: through ``depth`` layers initialised with std 1/√fan_in (LeCun normal), SELU keeps the
    activations' mean near 0 and std near 1 without batch norm; ReLU halves the variance every layer."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((width, width)) / math.sqrt(width) for _ in range(depth)]
    result = {}
    for name, activation in (("SELU", F.selu), ("ReLU", gl.relu), ("tanh", gl.tanh)):
        h = gl.tensor(rng.standard_normal((256, width)), dtype=np.float64)
        means, stds = [], []
        with gl.no_grad():
            for W in weights:
                h = activation(h @ gl.tensor(W, dtype=np.float64))
                means.append(float(h.data.mean()))
                stds.append(float(h.data.std()))
        result[name] = {"means": means, "stds": stds}
    return result


# -- real activations: a hidden layer on the digits ------------------------------------------------------
def digits_inputs() -> tuple:
    """The 8x8 digits as (1438, 64) rows and their labels."""
    train = gl.data.digits("train")
    return gl.tensor(train.inputs.reshape(len(train), -1)), train.targets


def hidden_mlp(activation_layer, hidden: int = 100, seed: int = 0) -> gl.nn.Sequential:
    gl.manual_seed(seed)
    return gl.nn.Sequential(gl.nn.Linear(64, hidden), activation_layer, gl.nn.Linear(hidden, 10))


def saturation(weight_std=None, seed: int = 0) -> dict:
    """E32 on real activations: a sigmoid hidden layer on the digits, with the default init or with
    N(0, weight_std²) weights. Returns the share of (example, unit) pairs with σ outside (0.01, 0.99)
    and the mean local gradient σ(1 - σ) (at most 0.25)."""
    model = hidden_mlp(gl.nn.Sigmoid(), seed=seed)
    if weight_std is not None:
        gl.nn.init.normal(model[0].weight, std=weight_std)
    inputs, _ = digits_inputs()
    with gl.no_grad():
        sigma = model[1](model[0](inputs)).data
    return {"saturated": float(((sigma < 0.01) | (sigma > 0.99)).mean()), "mean local": float((sigma * (1 - sigma)).mean())}


def dead_fraction(model, inputs) -> float:
    """Hidden ReLUs whose output is 0 for every example: their gradient is 0 for every example too."""
    with gl.no_grad():
        hidden = model[1](model[0](inputs)).data
    return float((hidden <= 0).all(axis=0).mean())


def dead_relus(lr: float, epochs: int = 1, seed: int = 0) -> dict:
    """E35: train the ReLU hidden layer on the digits with SGD at ``lr``; the dead units before and
    after, the losses, and how often each unit fired (for the picture)."""
    model = hidden_mlp(gl.nn.ReLU(), seed=seed)
    inputs, _ = digits_inputs()
    optimizer = gl.optim.SGD(model.parameters(), lr=lr)
    before = dead_fraction(model, inputs)
    losses = []
    for _ in range(epochs):
        for images, labels in gl.data.DataLoader(gl.data.digits("train"), batch_size=64, shuffle=True, seed=seed):
            loss = F.cross_entropy(model(images.reshape(len(images), -1)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with gl.no_grad():
        firing = (model[1](model[0](inputs)).data > 0).mean(axis=0)
    return {"lr": lr, "dead before": before, "dead after": dead_fraction(model, inputs), "first loss": losses[0],
            "last loss": losses[-1], "firing": firing}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Sigmoid saturates (E32)")
    rows = sigmoid_saturation()
    lessons.say(lessons.table([(f"{row['x']:g}", f"{row['sigmoid']:.7g}", f"{row['gradient']:.6g}",
                          f"{row['sigma(1 - sigma)']:.6g}") for row in rows],
                        ("x", "σ(x)", "σ'(x) by backward", "σ(1 - σ)")))
    lessons.say("The notes round σ(±10) to 0 and 1 and the gradient to 0(1 - 0) = 0; exactly it is 4.54e-5, five\n"
          "thousand times smaller than at 0. A unit with |x| = 10 passes back almost nothing.")
    for weight_std, label in ((None, "default init, U(±1/8)"), (1.0, "weights N(0, 1)")):
        measured = saturation(weight_std)
        lessons.say(f"  sigmoid layer on the digits, {label}: {measured['saturated']:.1%} of the activations are saturated, "
              f"mean local gradient {measured['mean local']:.3f} (max 0.25)")

    lessons.heading("Outputs that are never negative (E33)")
    dw = weight_gradient((0.2, 0.7), -1.5)
    lessons.say(f"x = (0.2, 0.7), dL/df = -1.5: dL/dw = dL/df × x = ({dw[0]:g}, {dw[1]:g}): both negative.")
    lessons.say("With every input positive, every component of dL/dw has the sign of dL/df: an update can only\n"
          "move w into the all-positive or the all-negative quadrant.")
    for zero_centred in (False, True):
        run = update_quadrants(zero_centred)
        source = "tanh (zero-centred)" if zero_centred else "sigmoid (all positive)"
        lessons.say(f"  learning w* = (1, -1) from {source} inputs: {run['same sign']:.0%} of the updates have both "
              f"components of one sign")
    lessons.say("So to reach (1, -1) from the sigmoid's inputs, w has to zig-zag; mini-batches soften this.")

    lessons.heading("tanh (E34)")
    tanh = tanh_facts()
    lessons.say(f"tanh(0.7) = {tanh['tanh']:.7f} = 2σ(1.4) - 1 = {tanh['2 sigmoid(2x) - 1']:.7f} = "
          f"(eˣ - e⁻ˣ)/(eˣ + e⁻ˣ) = {tanh['4 exp terms']:.7f}: a scaled, shifted sigmoid")
    lessons.say(f"on symmetric inputs the mean output is {tanh['mean tanh']:.3f} for tanh and {tanh['mean sigmoid']:.3f} "
          f"for the sigmoid: zero-centred")
    lessons.say(f"but it still saturates: tanh'(0) = {tanh['slope at 0']:g}, tanh'(10) = "
          f"{tanh['slope at 10']:.3g}")

    lessons.heading("ReLU, and units that die (E35)")
    family = relu_family()
    lessons.say(f"local gradient: {family['relu slope at -10']:g} at x = -10, "
          f"{family['relu slope at 10']:g} at x = 10; at the kink x = 0 graphlab picks "
          f"{family['relu slope at 0']:g} (the notes: either side will do)")
    epochs = 1 if options.quick else 3
    runs = [dead_relus(lr, epochs) for lr in (1.0, 3.0, 10.0)]
    lessons.say(lessons.table([(f"{run['lr']:g}", f"{run['dead before']:.0%}", f"{run['dead after']:.0%}",
                          f"{run['first loss']:.3f}", f"{run['last loss']:.3f}") for run in runs],
                        ("SGD lr", "dead at init", f"dead after {epochs} epoch(s)", "first loss", "last loss")))
    lessons.say("A dead unit outputs 0 for every digit, so its gradient is 0 for every digit: it never comes back.\n"
          "A learning rate 3x too high kills most of the layer and the loss stops falling. The notes' 10-20%\n"
          "dead units in trained nets, and the 0.01 bias some give ReLUs at init, address the same problem.")

    lessons.heading("Leaky ReLU, PReLU, ELU, SELU, GELU, Maxout (E36)")
    lessons.say(f"Leaky ReLU max(0.01x, x): leaky(-10) = {family['leaky(-10)']:.6g}, its gradient there "
          f"{family['leaky slope at -10']:g}, not 0")
    lessons.say(f"ELU: ELU(-1) = e⁻¹ - 1 = {family['elu(-1)']:.7f}, gradient {family['elu slope at -1']:.7f}; "
          f"it saturates at -α for very negative x")
    prelu = prelu_step()
    lessons.say(f"PReLU max(αx, x): with α = 0.25 on x = (-2, 3), dL/dα = {prelu['dL/da']:g} (the negative inputs), "
          f"so SGD at lr 0.1 moves α to {prelu['a after one step']:.2f}")
    stats = self_normalizing(depth=10 if options.quick else 20)
    depth = len(stats["SELU"]["stds"])
    lessons.say(f"SELU through {depth} layers initialised with std 1/√fan_in: mean {stats['SELU']['means'][-1]:+.3f}, "
          f"std {stats['SELU']['stds'][-1]:.3f} (ReLU: std {stats['ReLU']['stds'][-1]:.2g}, "
          f"tanh: {stats['tanh']['stds'][-1]:.2f}): it normalizes itself")
    lessons.say(f"GELU x·Φ(x) is not monotonic: it falls to {family['gelu min']:.4f} at x = {family['gelu min at']:.3f}, "
          f"with GELU'(-2) = {family['gelu slope at -2']:.4f} < 0")
    maxout = maxout_facts()
    lessons.say(f"Maxout max(w1ᵀx + b1, w2ᵀx + b2), 64 -> 100: {maxout['maxout parameters']:,} parameters, twice "
          f"{maxout['linear parameters']:,}; with the second piece 0 it is ReLU (gap {maxout['gap to ReLU']:g}), "
          f"with 0.01 times the first it is Leaky ReLU (gap {maxout['gap to Leaky ReLU']:g})")
    lessons.say("The notes' advice: use ReLU; try Leaky ReLU, ELU, SELU or GELU for the last bit; avoid sigmoid and tanh.")

    lessons.heading("Pictures")
    _picture_gallery(options.out / "e32_e36_activation_gallery.png")
    _picture_saturation(options.out / "e32_e33_sigmoid_saturation_and_zigzag.png")
    _picture_dead(runs, options.out / "e35_dead_relus.png")
    return 0


def _picture_gallery(path) -> None:
    xs = np.linspace(-4, 4, 401)
    slope = gl.tensor([0.25], dtype=np.float64)
    gallery = {**ACTIVATIONS,
               "PReLU, α = 0.25": lambda x: F.prelu(x, slope),
               "Maxout of x and -x/2 - 1": lambda x: F.maxout(gl.stack([x, -0.5 * x - 1], axis=1), pieces=2)[:, 0]}
    picture = lessons.figure(10, 8)
    for index, (name, activation) in enumerate(gallery.items(), 1):
        axes = picture.add_subplot(3, 3, index)
        y, local = curves(activation, xs)
        axes.plot(xs, y, label="f(x)")
        axes.plot(xs, local, "--", label="f'(x), by backward")
        axes.axhline(0, color="0.7", linewidth=0.8)
        axes.axvline(0, color="0.7", linewidth=0.8)
        axes.set_ylim(-2, 3)
        axes.set_title(name, fontsize=10)
        if index == 1:
            axes.legend(fontsize=7, loc="upper left")
    picture.suptitle("The activations of the notes and their local gradients")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_saturation(path) -> None:
    picture = lessons.figure(10, 4)
    axes = picture.add_subplot(1, 2, 1)
    xs = np.linspace(-12, 12, 481)
    y, slope = curves(gl.sigmoid, xs)
    axes.plot(xs, y, label="σ(x)")
    axes.plot(xs, slope, label="σ'(x)")
    for row in sigmoid_saturation():
        axes.plot([row["x"]], [row["gradient"]], "ko")
        axes.annotate(f"σ' = {row['gradient']:.2g}", (row["x"], row["gradient"]), textcoords="offset points",
                      xytext=(0, 8), ha="center", fontsize=8)
    axes.set_title("sigmoid: saturated at ±10, gradient ≤ 0.25")
    axes.legend(fontsize=8)
    axes = picture.add_subplot(1, 2, 2)
    for zero_centred, label in ((False, "sigmoid inputs (all > 0)"), (True, "tanh inputs (zero-centred)")):
        track = update_quadrants(zero_centred)["path"]
        axes.plot(track[:, 0], track[:, 1], ".-", markersize=3, label=label)
    axes.plot([1], [-1], "k*", markersize=12)
    axes.set_xlabel("w1")
    axes.set_ylabel("w2")
    axes.set_title("learning w* = (1, -1), one example per step")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_dead(runs, path) -> None:
    picture = lessons.figure(7, 3.5)
    axes = picture.add_subplot()
    bins = np.linspace(0, 1, 21)
    for run in runs:
        axes.hist(run["firing"], bins=bins, alpha=0.6, label=f"lr {run['lr']:g}: {run['dead after']:.0%} dead")
    axes.set_xlabel("share of the digits on which the unit fires")
    axes.set_ylabel("hidden units")
    axes.set_title("ReLU units after SGD: a too-large learning rate kills them")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
