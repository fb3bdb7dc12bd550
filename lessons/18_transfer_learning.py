"""Transfer learning: a CNN trained on shapes, its features reused for a hundred digits.

With little data, the lecture's advice is to reuse a network trained on a large dataset: freeze
its layers and train only a new last layer with C outputs; with more data, fine-tune some of
the layers too, with a lower learning rate (catalogue E80). Its table has a second axis: how
similar the two datasets are. Little data on a different dataset is the "hard" cell.

Here the large dataset is graphlab's procedural shapes (circles, squares and triangles) and the
small one is 100 of the 8x8 digits, ten of each. The shapes are drawn at 16x16 and each digit
pixel becomes a 2x2 block, so both go through the same convolutions (two conv-ReLU-pool layers,
then 256 features). Three ways to get a digits classifier: the shapes features frozen and only
a new linear layer trained (requires_grad off, the optimizer over the head alone); the same
start with every layer fine-tuned at a lower learning rate; and the same network from scratch.
Frozen random features show what the shapes training itself contributed. On this pair of
datasets the frozen shapes features lose to training from scratch: the lesson measures the
baseline, as the lecture advises, and finds the "hard" cell.

    .venv/bin/python lessons/18_transfer_learning.py [--quick] [--out DIR]
    graphlab lesson 18
"""
from __future__ import annotations

import functools
import sys

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

SIZE = 16                          # the shapes' side; the 8x8 digits are scaled up 2x to match
FEATURES = 16 * 4 * 4              # what the convolutions hand the last layer: 16 maps of 4x4
STRATEGIES = ("frozen", "fine-tuned", "scratch", "random frozen")


def convolutions() -> gl.nn.Sequential:
    """The part that is transferred: 16x16 -> 8 maps of 8x8 -> 16 maps of 4x4 -> 256 features."""
    nn = gl.nn
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())


def fit(model, parameters, images: np.ndarray, labels: np.ndarray, epochs: int, lr: float, batch_size: int,
        seed: int) -> None:
    """Adam over ``parameters`` only (the rest of ``model`` stays as it is), shuffled mini-batches."""
    optimizer = gl.optim.Adam(list(parameters), lr=lr)
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        shuffled = order.permutation(len(images))
        for start in range(0, len(images), batch_size):
            rows = shuffled[start:start + batch_size]
            loss = F.cross_entropy(model(gl.tensor(images[rows])), labels[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    with gl.no_grad():
        return float((model(gl.tensor(images)).data.argmax(axis=1) == labels).mean())


@functools.lru_cache(maxsize=4)
def pretrained(shapes: int = 1500, epochs: int = 6, seed: int = 0) -> dict:
    """The source task: the convolutions and a 3-way linear layer trained on ``shapes`` 16x16 shapes (cached:
    shared by the narrative and the tests). Returns the convolutions' weights and the shapes test accuracy."""
    train = gl.data.shapes("train", n=shapes, size=SIZE, seed=seed)
    test = gl.data.shapes("test", n=300, size=SIZE, seed=seed)
    gl.manual_seed(seed)
    features = convolutions()
    network = gl.nn.Sequential(features, gl.nn.Linear(FEATURES, 3))
    fit(network, network.parameters(), train.inputs, train.targets, epochs, 3e-3, 32, seed)
    return {"weights": features.state_dict(), "accuracy": accuracy(network, test.inputs, test.targets)}


def scaled_up(images: np.ndarray) -> np.ndarray:
    """(N, 1, 8, 8) digits -> (N, 1, 16, 16): each pixel becomes a 2x2 block (nearest neighbour)."""
    return images.repeat(2, axis=2).repeat(2, axis=3)


def few_digits(per_class: int = 10, seed: int = 0) -> tuple:
    """``per_class`` training digits of each class (drawn at random), scaled up: the small target dataset."""
    train = gl.data.digits("train")
    rng = np.random.default_rng([seed, 1])
    chosen = np.concatenate([rng.choice(np.flatnonzero(train.targets == label), per_class, replace=False)
                             for label in range(10)])
    return scaled_up(train.inputs[chosen]), train.targets[chosen]


def digits_classifier(strategy: str, source: dict, seed: int = 0) -> tuple:
    """A new 10-way linear layer on the convolutions, which start from the shapes weights (frozen,
    fine-tuned) or at random (scratch, random frozen). Returns the model and the parameters to train."""
    gl.manual_seed(100 + seed)
    features = convolutions()
    if strategy in ("frozen", "fine-tuned"):
        features.load_state_dict(source["weights"])
    head = gl.nn.Linear(FEATURES, 10)
    model = gl.nn.Sequential(features, head)
    if strategy in ("frozen", "random frozen"):
        for parameter in features.parameters():
            parameter.requires_grad_(False)                            # no gradient, no update
        return model, list(head.parameters())
    return model, list(model.parameters())


@functools.lru_cache(maxsize=8)
def transfer(per_class: int = 10, epochs: int = 4, shapes: int = 1500, shape_epochs: int = 6, seed: int = 0) -> dict:
    """E80: each strategy trained on ``per_class`` digits of each class for ``epochs`` epochs (batches of 10;
    Adam 3e-3, fine-tuning 1e-3), then tested on the 359 test digits."""
    source = pretrained(shapes, shape_epochs, seed)
    images, labels = few_digits(per_class, seed)
    test = gl.data.digits("test")
    result = {"shapes accuracy": source["accuracy"], "trained": {}}
    for strategy in STRATEGIES:
        model, parameters = digits_classifier(strategy, source, seed)
        fit(model, parameters, images, labels, epochs, 1e-3 if strategy == "fine-tuned" else 3e-3, 10, seed)
        result[strategy] = accuracy(model, scaled_up(test.inputs), test.targets)
        result["trained"][strategy] = sum(parameter.size for parameter in parameters)
    return result


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("The source task: shapes (E80)")
    shapes, shape_epochs = (600, 3) if options.quick else (3000, 8)
    source = pretrained(shapes, shape_epochs)
    lessons.say(f"{shapes} shapes of 16x16, {shape_epochs} epochs: {source['accuracy']:.1%} on 300 test shapes "
                f"(chance 33%)")

    lessons.heading("The target task: 100 digits, four ways (E80)")
    rows = []
    for epochs in (8,) if options.quick else (4, 12, 36):
        run = transfer(epochs=epochs, shapes=shapes, shape_epochs=shape_epochs)
        rows += [(strategy, epochs, f"{run['trained'][strategy]:,}", f"{run[strategy]:.1%}") for strategy in STRATEGIES]
    lessons.say(lessons.table(rows, ("strategy", "epochs", "trained parameters", "test accuracy")))
    run = transfer(epochs=8 if options.quick else 12, shapes=shapes, shape_epochs=shape_epochs)
    gain = run["frozen"] - run["random frozen"]
    lessons.say(f"At {8 if options.quick else 12} epochs: frozen shapes features {run['frozen']:.1%}, frozen random "
                f"convolutions {run['random frozen']:.1%}, from scratch {run['scratch']:.1%}. The shapes training "
                f"{'adds' if gain > 0.02 else 'adds little'} over random features ({gain * 100:+.1f} points), "
                f"and the frozen features " + ("lose against scratch: 100 digits are enough for this small network "
                                               "to learn features of its own." if run["scratch"] > run["frozen"]
                                               else "beat scratch."))
    lessons.say("Filled circles, squares and triangles are not pen strokes: this is the table's 'little data, "
                "different dataset' cell, the one it calls hard. The lecture's case for freezing (ImageNet features "
                "for Caltech-101) has a source far larger and richer than three shapes; whatever the source, measure "
                "the frozen baseline first, as the lecture says, before trusting it.")

    lessons.heading("Pictures")
    _picture_filters(source, options.out / "e80_shapes_filters.png")
    return 0


def _picture_filters(source: dict, path) -> None:
    """The eight 5x5 filters of the first convolution, learned on the shapes."""
    weights = np.asarray(source["weights"]["0.weight"])[:, 0]
    picture = lessons.figure(8, 1.6)
    for index, kernel in enumerate(weights, 1):
        axes = picture.add_subplot(1, len(weights), index)
        axes.imshow(kernel, cmap="gray")
        axes.set_axis_off()
    picture.suptitle("first-layer filters learned on the shapes (E80)")
    picture.savefig(lessons.wrote(path), dpi=100)


if __name__ == "__main__":
    sys.exit(main())
