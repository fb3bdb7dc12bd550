"""ResNet: a plain deep CNN against the same depth with skip connections, the degradation problem and the skip's +1.

Stacking more layers should never hurt: the extra layers could learn the identity and the deep net
would match the shallow one. In practice a 56-layer plain CNN has a higher *training* error than a
20-layer one, so the problem is optimization, not overfitting (catalogue E82). ResNet's answer is to
let each block learn only a residual: y = F(x) + x through an identity shortcut that has no weights,
so a block with F = 0 is exactly the identity (E81). In backward the addition is a distributor gate:
the gradient reaching x is upstream·(1 + F'(x)), and the "+1" carries it past any number of blocks
(E83). Deep ResNets use 1x1 bottleneck blocks to keep the cost down, and 1x1 projections where a
shortcut changes shape (E84). Wide ResNets widen the blocks instead of deepening (E85).

The lesson trains ``gl.nn.models.PlainCNN`` and ``gl.nn.models.ResNet`` (the same stack, with and
without skips) on the digits at several depths, and reads every block's gradient off graphlab's
backward pass.

    .venv/bin/python lessons/15_resnet.py [--quick] [--out DIR]
    graphlab lesson 15
"""
from __future__ import annotations

import functools
import itertools
import sys

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

MODELS = {"plain": gl.nn.models.PlainCNN, "residual": gl.nn.models.ResNet}


# -- one block ---------------------------------------------------------------------------------------------------
def zero_residual(channels: int = 8, seed: int = 0) -> dict:
    """E81: a residual block whose last BN scale γ is 0 has F(x) = 0 and returns its (non-negative) input
    exactly; the same block without the shortcut returns zeros. The shortcut adds no parameters."""
    gl.manual_seed(seed)
    block = gl.nn.ResidualBlock(channels, channels)
    plain = gl.nn.ResidualBlock(channels, channels, shortcut=False)
    for module in (block, plain):
        gl.nn.init.zeros(module.bn2.weight)
    x = gl.randn(4, channels, 6, 6).relu()                          # a block's input is a ReLU's output
    return {"residual gap": float(np.abs(block(x).data - x.data).max()),
            "plain output": float(np.abs(plain(x).data).max()),
            "parameters": (block.num_parameters(), plain.num_parameters())}


def skip_gradient(slope: float = 1e-4) -> dict:
    """E83: y = x + F(x) with F'(x) = 1e-4: dy/dx = 1 + 1e-4 = 1.0001 (by backward), where the plain y = F(x)
    gives 1e-4."""
    x = gl.scalar(2.0, dtype=np.float64)
    residual = x + slope * x
    (through_skip,) = gl.grad(residual, x)
    (plain,) = gl.grad(slope * x, x)
    return {"residual": through_skip.item(), "plain": plain.item()}


def block_gradient(channels: int = 8, seed: int = 0) -> dict:
    """E83 on a real block with F = 0 (γ = 0): the gradient reaching x is exactly the upstream where x > 0
    (the +1 through the skip, times the final ReLU's mask); without the skip it is 0."""
    gl.manual_seed(seed)
    result = {}
    x_values = gl.randn(4, channels, 6, 6).relu().data
    upstream = gl.randn(4, channels, 6, 6).data
    for name, shortcut in (("residual", True), ("plain", False)):
        block = gl.nn.ResidualBlock(channels, channels, shortcut=shortcut)
        gl.nn.init.zeros(block.bn2.weight)
        x = gl.tensor(x_values, requires_grad=True)
        (block(x) * gl.tensor(upstream)).sum().backward()
        result[name] = float(np.abs(x.grad - upstream * (x_values > 0)).max()), float(np.abs(x.grad).max())
    return {"residual gap to upstream": result["residual"][0], "plain largest": result["plain"][1]}


# -- a whole network at initialization -------------------------------------------------------------------------
def block_outputs(model, x) -> list:
    """Run ``model`` (ResNet or PlainCNN) block by block; returns [stem output, block 1 output, ..., logits]."""
    outputs = [model.relu(model.bn1(model.conv1(x)))]
    for block in itertools.chain(model.layer1, model.layer2, model.layer3):
        outputs.append(block(outputs[-1]))
    outputs.append(model.fc(model.pool(outputs[-1])))
    return outputs


@functools.lru_cache(maxsize=4)
def gradient_profile(depth: int = 56, width: int = 16, batch: int = 32, seed: int = 0) -> dict:
    """The gradient arriving at every block's output, and each block's first conv weight gradient, for one
    batch of digits at initialization (BN in training mode), plain against residual (cached)."""
    train = gl.data.digits("train")
    images, labels = gl.tensor(train.inputs[:batch]), train.targets[:batch]
    profile = {}
    for name, model_class in MODELS.items():
        gl.manual_seed(seed)
        model = model_class(depth, in_channels=1, width=width)
        outputs = block_outputs(model, images)
        F.cross_entropy(outputs[-1], labels).backward()
        blocks = list(itertools.chain(model.layer1, model.layer2, model.layer3))
        profile[name] = {"arriving": [float(np.linalg.norm(out.grad)) for out in outputs[1:-1]],
                         "weights": [float(np.linalg.norm(block.conv1.weight.grad)) for block in blocks]}
    return profile


def spread(values: list) -> float:
    """max / min: how much a gradient changes over the blocks."""
    return max(values) / min(values)


def per_block_factor(arriving: list) -> float:
    """The average factor by which the gradient grows from one block to the one before it (geometric mean)."""
    return (arriving[0] / arriving[-1]) ** (1 / (len(arriving) - 1))


# -- training ---------------------------------------------------------------------------------------------------
def batches(steps: int, batch_size: int, seed: int = 0):
    """The first ``steps`` mini-batches of the digits from an endless stream, reshuffled every epoch."""
    data = gl.data.digits("train")
    epochs = (gl.data.DataLoader(data, batch_size=batch_size, shuffle=True, seed=seed + epoch)
              for epoch in itertools.count())
    return itertools.islice(itertools.chain.from_iterable(epochs), steps)


@functools.lru_cache(maxsize=16)
def train(kind: str, depth: int, steps: int, width: int = 8, batch_size: int = 32, lr: float = 0.05,
          seed: int = 0) -> tuple:
    """E82: SGD (momentum 0.9, weight decay 1e-4) on the digits; the training loss at every step (cached:
    deterministic, and shared by the narrative and the tests)."""
    gl.manual_seed(seed)
    model = MODELS[kind](depth, in_channels=1, width=width)
    optimizer = gl.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    losses = []
    for images, labels in batches(steps, batch_size, seed):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return tuple(losses)


def final(losses, window: int = 20) -> float:
    """The training loss at the end: the mean of the last ``window`` steps."""
    return float(np.mean(losses[-window:]))


# -- architecture ------------------------------------------------------------------------------------------------
def conv_weights(module) -> int:
    """Weights of the convolutions inside ``module`` (BN and biases left out, as in E84)."""
    return sum(layer.weight.size for layer in module.modules() if isinstance(layer, gl.nn.Conv2d))


def block_structure() -> dict:
    """E84: a bottleneck block at width 256 (1x1 256->64, 3x3 64->64, 1x1 64->256) against a basic block (two
    3x3 256->256); the 1x1 projection where a shortcut halves the size and doubles the channels; the head."""
    with gl.nn.shape_only():
        bottleneck = gl.nn.ResidualBlock(256, 256, bottleneck=True)
        basic = gl.nn.ResidualBlock(256, 256)
        widening = gl.nn.ResidualBlock(16, 32, stride=2)
        model = gl.nn.models.ResNet(20)
    return {"bottleneck": [conv.weight.size for conv in (bottleneck.conv1, bottleneck.conv2, bottleneck.conv3)],
            "basic": conv_weights(basic), "projection": widening.downsample,
            "projection weights": conv_weights(widening.downsample),
            "shape": widening.infer_shape((1, 16, 32, 32)),
            "head": [type(model.pool).__name__, type(model.fc).__name__]}


def depth_table(depths=(20, 32, 44, 56, 110)) -> dict:
    """The CIFAR ResNets (6n + 2 layers): parameters with graphlab's projection shortcuts, and without them
    (the paper's CIFAR models pad the identity with zeros instead, option A)."""
    table = {}
    with gl.nn.shape_only():
        for depth in depths:
            model = gl.nn.models.ResNet(depth)
            projections = sum(block.downsample.num_parameters() for block in
                              itertools.chain(model.layer1, model.layer2, model.layer3) if block.downsample is not None)
            table[depth] = {"parameters": model.num_parameters(), "without projections": model.num_parameters() - projections}
    return table


def widening(factors=(1, 2, 4), depth: int = 20) -> dict:
    """E85: a Wide ResNet multiplies every block's filters by k; the parameters grow about k² (3x3 convs
    between k-times-wider layers)."""
    with gl.nn.shape_only():
        return {k: gl.nn.models.ResNet(depth, width=16 * k).num_parameters() for k in factors}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Residual learning: F = 0 is the identity (E81)")
    zero = zero_residual()
    lessons.say(f"ResidualBlock(8, 8) with its last BN scale at 0: |output - input| = {zero['residual gap']:g}; without the "
          f"shortcut the same block outputs {zero['plain output']:g} everywhere")
    lessons.say(f"parameters with and without the shortcut: {zero['parameters'][0]:,} and {zero['parameters'][1]:,}: the "
          f"identity costs nothing but one addition")

    lessons.heading("The skip adds a gradient of 1 (E83)")
    skip = skip_gradient()
    lessons.say(f"y = x + F(x) with F'(x) = 1e-4: dy/dx = {skip['residual']:.4f}; y = F(x) alone: {skip['plain']:g}")
    block = block_gradient()
    lessons.say(f"through a real block with F = 0 the gradient reaching x is the upstream itself (gap "
          f"{block['residual gap to upstream']:g}); without the skip it is {block['plain largest']:g}")
    depth = 56
    profile = gradient_profile(depth)
    for name in MODELS:
        arriving = profile[name]["arriving"]
        lessons.say(f"{name} {depth}-layer net at init, one batch: the gradient arriving at block {len(arriving)} is "
              f"{arriving[-1]:.3g}, at block 1 {arriving[0]:.3g}: x{per_block_factor(arriving):.2f} per block; its conv "
              f"weight gradients vary {spread(profile[name]['weights']):.0f}-fold")
    lessons.say("With batch norm a plain net does not lose its gradient on the way down: it amplifies it, block after\n"
          "block. Through the skips each block adds its F'(x) to an identity, and the gradient changes far less.")

    lessons.heading("The degradation problem (E82)")
    depths = (8, 20) if options.quick else (8, 20, 56)
    steps = 100 if options.quick else 300
    runs = {(kind, d): train(kind, d, steps) for d in depths for kind in MODELS}
    lessons.say(f"the digits, SGD momentum 0.9 at lr 0.05, {steps} steps of 32; the training loss over the last 20 steps:")
    lessons.say(lessons.table([(f"{d} layers", f"{final(runs[('plain', d)]):.3f}", f"{final(runs[('residual', d)]):.3f}")
                         for d in depths], ("depth", "plain", "residual")))
    shallow, deep = depths[0], depths[-1]
    lessons.say(f"Deeper is worse for the plain net ({final(runs[('plain', shallow)]):.3f} -> {final(runs[('plain', deep)]):.3f}) "
          f"on the *training* set: not overfitting, an optimization problem.\nWith skips the deep net trains "
          f"({final(runs[('residual', deep)]):.3f}).")

    lessons.heading("Blocks, bottlenecks, projections (E84) and width (E85)")
    structure = block_structure()
    one, three, expand = structure["bottleneck"]
    lessons.say(f"bottleneck at 256: 1x1 {one:,} + 3x3 {three:,} + 1x1 {expand:,} = {sum(structure['bottleneck']):,} weights; "
          f"a basic block of two 3x3 convs: {structure['basic']:,}")
    lessons.say(f"ResidualBlock(16, 32, stride=2): {tuple(structure['shape'][1:])} out, its shortcut a 1x1 projection "
          f"({structure['projection weights']} weights) and BN; the network ends with "
          f"{' + '.join(structure['head'])}, one FC layer")
    table = depth_table()
    lessons.say(lessons.table([(f"ResNet-{depth}", f"{row['parameters']:,}", f"{row['without projections']:,}",
                          f"{row['without projections'] / 1e6:.2g}M") for depth, row in table.items()],
                        ("CIFAR model", "graphlab (projections)", "identity shortcuts only", "rounded")))
    wide = widening()
    lessons.say("Wide ResNet, filters x k: " + ", ".join(f"k = {k}: {count:,} ({count / wide[1]:.1f}x)"
                                                  for k, count in wide.items()))

    lessons.heading("Pictures")
    _picture_training(runs, depths, options.out / "e82_plain_vs_residual.png")
    _picture_gradients(profile, depth, options.out / "e83_gradients_per_block.png")
    return 0


def _picture_training(runs: dict, depths, path) -> None:
    picture = lessons.figure(11, 4)
    for index, kind in enumerate(MODELS, 1):
        axes = picture.add_subplot(1, 2, index, sharey=picture.axes[0] if picture.axes else None)
        for color, d in enumerate(depths):
            losses = np.array(runs[(kind, d)])
            smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
            axes.plot(np.arange(10, len(losses) + 1), smooth, color=f"C{color}", label=f"{d} layers")
        axes.set_yscale("log")
        axes.set_xlabel("step")
        axes.set_title(f"{kind}: training loss (mean of 10 steps)")
        axes.legend()
    picture.suptitle("The degradation problem (E82): deeper plain nets train worse")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_gradients(profile: dict, depth: int, path) -> None:
    picture = lessons.figure(7, 4)
    axes = picture.add_subplot()
    for name in MODELS:
        arriving = profile[name]["arriving"]
        axes.plot(range(1, len(arriving) + 1), arriving, "o-", markersize=3, label=name)
    axes.set_yscale("log")
    axes.set_xlabel("block (1 = nearest the input)")
    axes.set_ylabel("‖gradient arriving at the block's output‖")
    axes.set_title(f"{depth} layers at initialization, one batch of digits")
    axes.legend()
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
