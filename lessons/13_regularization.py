"""Regularization: L2 and L1 penalties, dropout at train and test time, augmentation, ensembles and early stopping.

A network that can memorise its training set will, unless something stops it. The notes' list
(catalogue E72): add a penalty on the weights (L2 drives useless weights near 0, L1 exactly to
0); add randomness in training that is averaged out at test time (dropout, batch norm,
augmentation, DropConnect, stochastic depth, Cutout, Mixup); average several models (E66); and
stop when the validation loss turns up (E65). The batch size regularizes too: trained for the same
number of epochs, a large batch ends in a sharper minimum (a larger top eigenvalue of the loss's
Hessian, found with Hessian-vector products) and tests worse than a small one (E60).

Dropout gets the closest look. In training it zeroes each unit with probability p (E67). At test
time every unit is present, so the output must be rescaled to what training saw on average: the
notes' four-mask example gives 11, 3, 8 and 0, whose mean 5.5 is half of the full 11 (E68).
Inverted dropout divides by the keep probability during training instead, so test time needs no
change (E69). The notes say to scale by the *dropout* probability; it is the keep probability.

    .venv/bin/python lessons/13_regularization.py [--quick] [--out DIR]
    graphlab lesson 13
"""
from __future__ import annotations

import functools
import itertools
import sys

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons
from graphlab.data import transforms as T

#: E68's neuron a = w1 x + w2 y
WEIGHTS, INPUTS = (1.0, 2.0), (3.0, 4.0)


# -- penalties --------------------------------------------------------------------------------------------------
def regression(samples: int = 60, features: int = 20, useful: int = 3, seed: int = 0) -> tuple:
    """Linear data where only the first ``useful`` of ``features`` inputs matter (true weights 3, -2, 1.5)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, features))
    truth = np.zeros(features)
    truth[:useful] = (3.0, -2.0, 1.5)[:useful]
    return X, X @ truth + 0.1 * rng.standard_normal(samples), truth


def data_loss(w, X, y):
    """Mean squared error of the linear model Xw."""
    return ((gl.tensor(X, dtype=np.float64) @ w - gl.tensor(y, dtype=np.float64)) ** 2).mean()


def weight_decay_is_l2(steps: int = 50, lr: float = 0.05, decay: float = 0.1) -> dict:
    """E72: SGD's ``weight_decay=λ`` is the gradient of the penalty λ/2·‖w‖² added to the loss: the two runs
    take the same steps."""
    X, y, _ = regression()
    decayed = gl.zeros(X.shape[1], dtype=np.float64, requires_grad=True)
    penalized = gl.zeros(X.shape[1], dtype=np.float64, requires_grad=True)
    by_optimizer = gl.optim.SGD([decayed], lr=lr, weight_decay=decay)
    by_loss = gl.optim.SGD([penalized], lr=lr)
    for _ in range(steps):
        for w, optimizer, penalty in ((decayed, by_optimizer, 0.0), (penalized, by_loss, decay)):
            loss = data_loss(w, X, y) + penalty / 2 * (w ** 2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return {"gap": float(np.abs(decayed.data - penalized.data).max()), "weights": decayed.data.copy()}


def fit_penalized(l1: float = 0.0, l2: float = 0.0, steps: int = 500, lr: float = 0.05) -> np.ndarray:
    """E72: gradient steps on the MSE (graphlab's gradient) with an L2 penalty as weight decay and an L1
    penalty by its proximal step, soft-thresholding w to sign(w)·max(|w| - lr·λ₁, 0), which sets small
    weights to exactly 0. Both: the elastic net."""
    X, y, _ = regression()
    w = gl.zeros(X.shape[1], dtype=np.float64, requires_grad=True)
    optimizer = gl.optim.SGD([w], lr=lr, weight_decay=l2)
    for _ in range(steps):
        loss = data_loss(w, X, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        w.data[...] = np.sign(w.data) * np.maximum(np.abs(w.data) - lr * l1, 0.0)
    return w.data.copy()


def penalties() -> dict:
    """E72: how many of the 17 useless weights are exactly 0, and the largest of them, per penalty."""
    _, _, truth = regression()
    useless = truth == 0
    result = {}
    for name, settings in (("none", {}), ("L2", {"l2": 0.5}), ("L1", {"l1": 0.1}), ("L1 + L2", {"l1": 0.1, "l2": 0.5})):
        w = fit_penalized(**settings)
        result[name] = {"exact zeros": int((w[useless] == 0).sum()), "largest useless": float(np.abs(w[useless]).max()),
                        "useful": w[~useless].round(3).tolist()}
    return result


# -- dropout ----------------------------------------------------------------------------------------------------
def dropout_forward(p: float = 0.5, size: int = 100_000, seed: int = 0) -> dict:
    """E67: ``F.dropout`` in training zeroes a share p of the units and scales the others by 1/(1 - p); in eval
    it is the identity. ``dropout2d`` drops whole channels (what CNNs use)."""
    gl.manual_seed(seed)
    x = gl.ones(size)
    train = F.dropout(x, p, training=True).data
    maps = F.dropout2d(gl.ones(8, 16, 5, 5), p, training=True).data
    channel_values = {tuple(np.unique(maps[n, c])) for n in range(8) for c in range(16)}
    return {"zeroed": float((train == 0).mean()), "survivor value": float(train[train != 0][0]),
            "eval is identity": bool(np.array_equal(F.dropout(x, p, training=False).data, x.data)),
            "channel values": sorted(channel_values)}


def mask_outputs(keep: float = 0.5, inverted: bool = False) -> list:
    """E68/E69: a = w1 x m1 + w2 y m2 for the four masks (m1, m2) ∈ {1, 0}², divided by the keep
    probability when ``inverted``, each with its probability under independent keeps."""
    w, x = gl.tensor(WEIGHTS, dtype=np.float64), gl.tensor(INPUTS, dtype=np.float64)
    rows = []
    for mask in itertools.product((1.0, 0.0), repeat=2):
        m = gl.tensor(mask, dtype=np.float64)
        kept = (w * x * m) / keep if inverted else w * x * m
        probability = np.prod([keep if bit else 1 - keep for bit in mask])
        rows.append({"mask": mask, "output": kept.sum().item(), "probability": float(probability)})
    return rows


def expectation(rows: list) -> float:
    return sum(row["output"] * row["probability"] for row in rows)


def test_time_scaling(p_drop: float = 0.2) -> dict:
    """E68: the training-time expectation is (keep probability) x the full output, so that is the test-time
    scale; the notes' "multiply by the dropout probability" would give p_drop x the full output."""
    full = sum(w * x for w, x in zip(WEIGHTS, INPUTS))
    return {"full": full, "expected in training": expectation(mask_outputs(keep=1 - p_drop)),
            "keep-scaled": (1 - p_drop) * full, "notes scaling": p_drop * full}


def monte_carlo_dropout(p: float = 0.5, samples: int = 20_000, seed: int = 0) -> dict:
    """E69/E72: averaged over many masks, inverted dropout's training output is the eval output."""
    gl.manual_seed(seed)
    x = gl.tensor(np.tile(INPUTS, (samples, 1)), dtype=np.float64)
    w = gl.tensor(WEIGHTS, dtype=np.float64)
    outputs = (F.dropout(x, p, training=True) * w).sum(axis=1).data
    return {"mean": float(outputs.mean()), "eval": float((F.dropout(x[:1], p, training=False) * w).sum().item()),
            "spread": float(outputs.std())}


def where_dropout_is() -> dict:
    """E70: the Dropout layers in graphlab's models: in AlexNet's and VGG16's big FC layers, none in ResNet, and
    in every dense layer of a DenseNet only when asked for (the paper: 0.2 without augmentation)."""
    def count(model):
        return sum(isinstance(module, gl.nn.Dropout) for module in model.modules())

    with gl.nn.shape_only():
        found = {"AlexNet": count(gl.nn.models.AlexNet()), "VGG16": count(gl.nn.models.VGG16()),
                 "ResNet-20": count(gl.nn.models.ResNet(20)), "DenseNet-40": count(gl.nn.models.DenseNet(40)),
                 "DenseNet-40, dropout 0.2": count(gl.nn.models.DenseNet(40, dropout=0.2))}
        head = [type(layer).__name__ for layer in gl.nn.models.VGG16().head]
    return {"counts": found, "VGG16 head": head}


# -- augmentation -------------------------------------------------------------------------------------------------
def ten_crop(images: np.ndarray, size: int) -> np.ndarray:
    """E71: the 4 corner crops and the centre crop, and the horizontal flips of those 5: (10, N, C, size, size)."""
    H, W = images.shape[-2:]
    top, left = (H - size) // 2, (W - size) // 2
    corners = [(0, 0), (0, W - size), (H - size, 0), (H - size, W - size), (top, left)]
    crops = [images[..., row:row + size, column:column + size] for row, column in corners]
    return np.stack(crops + [crop[..., ::-1] for crop in crops])


def augmentations(seed: int = 0) -> dict:
    """E71/E72: each transform is random in training (two draws differ) and absent at test time. Mixup's soft
    targets still sum to 1."""
    images = gl.data.digits("test").inputs[:8]
    labels = gl.data.digits("test").targets[:8]
    result = {}
    for name, transform in (("flip", T.RandomHorizontalFlip()), ("crop, pad 1", T.RandomCrop(8, padding=1)),
                            ("cutout 3x3", T.Cutout(3))):
        first = transform(images, np.random.default_rng(seed))
        second = transform(images, np.random.default_rng(seed + 1))
        changed = (first != images).any(axis=(1, 2, 3))
        shown = int(np.argmax(changed))                              # the first image this draw changed
        result[name] = {"changed": float(changed.mean()), "draws differ": bool((first != second).any()),
                        "original": images[shown, 0], "example": first[shown, 0]}
    mixed, soft = gl.data.mixup(images, labels, 10, alpha=0.2, rng=np.random.default_rng(seed))
    blended = int(np.argmax((soft > 0).sum(axis=1) == 2))
    result["mixup"] = {"target sums": soft.sum(axis=1), "labels per row": (soft > 0).sum(axis=1),
                       "original": images[blended, 0], "example": mixed[blended, 0]}
    crops = ten_crop(images, 6)
    result["ten-crop"] = {"shape": crops.shape,
                          "distinct": len({crop.tobytes() for crop in crops[:, 0]})}
    return result


# -- ensembles and early stopping -----------------------------------------------------------------------------------
def mlp(hidden: int, seed: int) -> gl.nn.Sequential:
    gl.manual_seed(seed)
    return gl.nn.Sequential(gl.nn.Flatten(), gl.nn.Linear(64, hidden), gl.nn.ReLU(), gl.nn.Linear(hidden, 10))


def ensemble(members: int = 5, epochs: int = 3) -> dict:
    """E66: ``members`` MLPs trained from different seeds; the test accuracy of each, and of the average of
    their predicted probabilities."""
    train, test = gl.data.digits("train"), gl.data.digits("test")
    probabilities, accuracies = [], []
    for seed in range(members):
        model = mlp(64, seed)
        gl.train.fit(model, F.cross_entropy, gl.optim.Adam(model.parameters(), lr=1e-2),
                     gl.data.DataLoader(train, batch_size=64, shuffle=True, seed=seed), epochs=epochs, progress=False)
        scores = gl.tensor(gl.train.predict(model, test.inputs))
        probabilities.append(F.softmax(scores, axis=1).data)
        accuracies.append(float((scores.data.argmax(axis=1) == test.targets).mean()))
    averaged = float((np.mean(probabilities, axis=0).argmax(axis=1) == test.targets).mean())
    return {"members": accuracies, "ensemble": averaged}


def overfitting_run(weight_decay: float = 0.0, early_stopping: bool = False, epochs: int = 60,
                    subset: int = 150) -> dict:
    """E65/E72: a 64-256-10 MLP trained with Adam on only ``subset`` digits, validated on the test split: it
    memorises the subset and the validation loss turns up. With ``early_stopping`` (patience 10) training
    stops and the best epoch's weights come back; ``weight_decay`` is AdamW's."""
    model = mlp(256, seed=0)
    optimizer = gl.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=weight_decay)
    train = gl.data.Subset(gl.data.digits("train"), np.arange(subset))
    validation = gl.data.DataLoader(gl.data.digits("test"), batch_size=512)
    stopper = gl.train.EarlyStopping(patience=10) if early_stopping else None
    history = gl.train.fit(model, F.cross_entropy, optimizer, gl.data.DataLoader(train, 32, shuffle=True, seed=0),
                           validation, epochs=epochs, progress=False, early_stopping=stopper)
    final = gl.train.evaluate(model, F.cross_entropy, validation)
    return {"history": history, "final val loss": final["loss"], "final val accuracy": final["accuracy"],
            "weight norm": float(np.sqrt(sum((parameter.data ** 2).sum() for parameter in model.parameters()
                                             if parameter.ndim == 2)))}


# -- small and large batches: sharp minima (E60) ----------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def train_by_batch(batch_size: int, epochs: int = 10, seed: int = 0) -> dict:
    """E60: the digits-mlp recipe's 64-128-10 MLP trained with Adam (lr 1e-2) on batches of ``batch_size`` for
    ``epochs`` epochs: the model, its test accuracy and its loss on the whole training set (cached: shared by
    the narrative and the tests)."""
    train, test = gl.data.digits("train"), gl.data.digits("test")
    gl.manual_seed(seed)
    model = gl.train.RECIPES["digits-mlp"].model()
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    history = gl.train.fit(model, F.cross_entropy, optimizer,
                           gl.data.DataLoader(train, batch_size=batch_size, shuffle=True, seed=seed), epochs=epochs,
                           progress=False)
    scores = gl.train.predict(model, test.inputs)
    return {"model": model, "steps": len(history) * -(-len(train) // batch_size),
            "test accuracy": float((scores.argmax(axis=1) == test.targets).mean()),
            "train loss": training_loss(model)(flat_parameters(model)).item()}


def flat_parameters(model) -> gl.Tensor:
    """The MLP's W1, b1, W2, b2 end to end in one float64 vector: ``gl.hvp`` differentiates one input."""
    return gl.tensor(np.concatenate([parameter.data.ravel() for parameter in model.parameters()]), dtype=np.float64)


def training_loss(model):
    """θ -> the cross-entropy on the whole training set of the MLP whose parameters are the flat vector θ: the
    same layers as ``model`` (Flatten, Linear, ReLU, Linear), written with F so θ can be a graph input."""
    train = gl.data.digits("train")
    images = gl.tensor(train.inputs.reshape(len(train), -1), dtype=np.float64)
    shapes = [parameter.shape for parameter in model.parameters()]
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])

    def loss(theta):
        W1, b1, W2, b2 = (theta[end - int(np.prod(shape)):end].reshape(*shape) for shape, end in zip(shapes, ends))
        return F.cross_entropy(F.linear(F.relu(F.linear(images, W1, b1)), W2, b2), train.targets)
    return loss


def sharpness(model, iterations: int = 20, seed: int = 0) -> dict:
    """E60: the largest eigenvalue of the training loss's Hessian at the model's weights, by power iteration:
    v <- H v / ‖H v‖ with H v from ``gl.hvp`` (two backward walks, H itself never built: 9,610² entries); the
    estimate is the Rayleigh quotient vᵀ H v. Returns the last estimate and every one on the way."""
    theta, loss = flat_parameters(model), training_loss(model)
    vector = np.random.default_rng(seed).standard_normal(theta.shape[0])
    estimates = []
    for _ in range(iterations):
        vector /= np.linalg.norm(vector)
        product = gl.hvp(loss, theta, vector)
        estimates.append(float(vector @ product))
        vector = product
    return {"top eigenvalue": estimates[-1], "estimates": estimates}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("L2, L1 and weight decay (E72)")
    same = weight_decay_is_l2()
    lessons.say(f"SGD(weight_decay=0.1) and SGD on loss + 0.05·‖w‖² take the same steps (largest difference "
          f"{same['gap']:.0e} after 50 steps)")
    fits = penalties()
    lessons.say("a linear fit with 20 inputs of which 3 matter (true weights 3, -2, 1.5), 60 samples:")
    lessons.say(lessons.table([(name, row["exact zeros"], f"{row['largest useless']:.2g}", row["useful"])
                         for name, row in fits.items()],
                        ("penalty", "useless weights = 0 (of 17)", "largest useless", "useful weights")))
    lessons.say("L2 pulls every weight toward 0 in proportion to its size, so none reaches it; L1's constant pull sets the\n"
          "useless ones to exactly 0 (and shrinks the useful ones by a constant).")

    lessons.heading("Dropout in training (E67)")
    forward = dropout_forward()
    lessons.say(f"F.dropout(p = 0.5) on 100,000 ones: {forward['zeroed']:.2%} zeroed, the rest {forward['survivor value']:g} "
          f"(inverted: x / (1 - p)); in eval mode the identity: {forward['eval is identity']}")
    lessons.say(f"F.dropout2d drops whole feature maps: every channel is all {forward['channel values'][0][0]:g} or all "
          f"{forward['channel values'][1][0]:g}. (In the CS231n code p is the keep probability; in graphlab and "
          f"PyTorch it is the drop probability.)")

    lessons.heading("Dropout at test time (E68) and inverted dropout (E69)")
    plain, inverted = mask_outputs(), mask_outputs(inverted=True)
    lessons.say(f"a = w1·x + w2·y with w = {WEIGHTS}, (x, y) = {INPUTS}: the full output is "
          f"{sum(w * x for w, x in zip(WEIGHTS, INPUTS)):g}")
    lessons.say(lessons.table([(row["mask"], f"{row['output']:g}", f"{inverted_row['output']:g}", f"{row['probability']:g}")
                         for row, inverted_row in zip(plain, inverted)],
                        ("mask (m1, m2)", "w·x·m", "inverted: / 0.5", "probability")))
    lessons.say(f"mean over the masks: {expectation(plain):g} = 0.5 x 11, so without inversion the test output must be "
          f"scaled by 0.5; inverted, the mean is {expectation(inverted):g}, the test output as it is.")
    scaling = test_time_scaling()
    lessons.say(f"with p_drop = 0.2 the training expectation is {scaling['expected in training']:g} = 0.8 x 11: scale by the "
          f"keep probability. The notes' 'dropout probability' would give {scaling['notes scaling']:g}.")
    carlo = monte_carlo_dropout()
    lessons.say(f"F.dropout over 20,000 masks: mean {carlo['mean']:.3f} (eval output {carlo['eval']:g}), but any one mask gives "
          f"a value with std {carlo['spread']:.2f}: randomness in training, averaged out at test (E72)")

    lessons.heading("Where dropout is used (E70)")
    where = where_dropout_is()
    lessons.say(", ".join(f"{name}: {count}" for name, count in where["counts"].items()) + " Dropout layers")
    lessons.say(f"VGG16's head: {' -> '.join(where['VGG16 head'])}: dropout sits in the big FC layers. ResNet and DenseNet pool\n"
          f"globally instead of large FC layers; DenseNet uses dropout 0.2 only when it trains without augmentation.")

    lessons.heading("Augmentation, and randomness that test time averages out (E71, E72)")
    augmented = augmentations()
    for name in ("flip", "crop, pad 1", "cutout 3x3"):
        row = augmented[name]
        lessons.say(f"  {name}: changes {row['changed']:.0%} of a batch of 8 digits, two draws differ: {row['draws differ']}; "
              f"at test time it is not applied")
    mix = augmented["mixup"]
    lessons.say(f"  mixup (α = 0.2): every soft target sums to {np.unique(mix['target sums'].round(6)).tolist()}, with "
          f"{np.bincount(mix['labels per row']).nonzero()[0].tolist()} labels per row")
    crops = augmented["ten-crop"]
    lessons.say(f"ResNet's test-time crops: the 4 corners and the centre, and their mirror images: {crops['shape'][0]} crops "
          f"({crops['distinct']} distinct) per scale,\n  at 5 scales 5 x 10 = 50 predictions averaged per image. "
          f"(000's '4 large corners, 4 small corners, 1 small centre, 1 large centre' is not 10-crop; E91.)")

    lessons.heading("Model ensembles (E66)")
    group = ensemble(epochs=2 if options.quick else 5)
    lessons.say(f"5 MLPs from different seeds: test accuracies {', '.join(f'{accuracy:.1%}' for accuracy in group['members'])}"
          f" (mean {np.mean(group['members']):.1%}); their averaged probabilities: {group['ensemble']:.1%}")

    lessons.heading("Early stopping (E65), and weight decay on an overfitting run")
    epochs = 40 if options.quick else 80
    free, stopped = overfitting_run(epochs=epochs), overfitting_run(early_stopping=True, epochs=epochs)
    decayed = overfitting_run(weight_decay=0.1, epochs=epochs)
    best = stopped["history"].best("val_loss")
    lessons.say(f"64-256-10 MLP on 150 digits: without a brake the validation loss bottoms out at "
          f"{min(free['history']['val_loss']):.3f} and ends at {free['final val loss']:.3f} after {epochs} epochs")
    lessons.say(f"early stopping (patience 10) stops at epoch {len(stopped['history'])} and restores epoch "
          f"{stopped['history'].restored_epoch}: validation loss {stopped['final val loss']:.3f} (best seen "
          f"{best['val_loss']:.3f}), accuracy {stopped['final val accuracy']:.1%}")
    lessons.say(f"AdamW's weight decay 0.1: weight norm {decayed['weight norm']:.1f} instead of {free['weight norm']:.1f}, "
          f"final validation loss {decayed['final val loss']:.3f}")

    _batch_size_section(options.quick)

    lessons.heading("Pictures")
    _picture_masks(plain, inverted, options.out / "e68_e69_dropout_masks.png")
    _picture_augmentations(augmented, options.out / "e71_e72_augmentations.png")
    _picture_early_stopping(free, stopped, decayed, options.out / "e65_early_stopping.png")
    return 0


def _batch_size_section(quick: bool) -> None:
    lessons.heading("Small against large batches: sharp minima (E60)")
    iterations = 10 if quick else 30
    rows = []
    for batch_size in (16, 512):
        run = train_by_batch(batch_size)
        rows.append((batch_size, run["steps"], f"{run['train loss']:.4f}", f"{run['test accuracy']:.1%}",
                     f"{sharpness(run['model'], iterations)['top eigenvalue']:.2f}"))
    lessons.say("The digits MLP, Adam 1e-2, 10 epochs with each batch size; sharpness = the top eigenvalue of the "
                f"training loss's Hessian ({iterations} power iterations with gl.hvp):")
    lessons.say(lessons.table(rows, ("batch", "steps", "train loss", "test accuracy", "sharpness")))
    ratio = float(rows[1][-1]) / float(rows[0][-1])
    lessons.say(f"The same epochs give the large batch 32x fewer steps. It ends where the loss curves {ratio:.0f}x "
                "more sharply, and tests worse: the small batch's noisy steps settle in a flatter minimum. (The "
                "large batch has also not got as far down: its training loss is higher. Keskar et al. compare "
                "the two at similar training accuracy.)")


def _picture_masks(plain: list, inverted: list, path) -> None:
    picture = lessons.figure(7, 3.5)
    axes = picture.add_subplot()
    positions = np.arange(len(plain))
    axes.bar(positions - 0.2, [row["output"] for row in plain], width=0.4, label="w·x·m")
    axes.bar(positions + 0.2, [row["output"] for row in inverted], width=0.4, label="inverted: w·x·m / 0.5")
    axes.axhline(expectation(plain), color="C0", linestyle="--", label=f"mean {expectation(plain):g} = 0.5 x 11")
    axes.axhline(expectation(inverted), color="C1", linestyle="--", label=f"mean {expectation(inverted):g}")
    axes.set_xticks(positions, [f"m = {tuple(int(bit) for bit in row['mask'])}" for row in plain])
    axes.set_title("The four dropout masks of a = w1·x + w2·y")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_augmentations(augmented: dict, path) -> None:
    names = ("flip", "crop, pad 1", "cutout 3x3", "mixup")
    picture = lessons.figure(8, 4.4)
    for column, name in enumerate(names):
        for row, (key, label) in enumerate((("original", "original"), ("example", name))):
            axes = picture.add_subplot(2, len(names), row * len(names) + column + 1)
            axes.imshow(augmented[name][key], cmap="gray_r", vmin=0, vmax=1)
            axes.set_title(label, fontsize=9)
            axes.set_xticks([])
            axes.set_yticks([])
    picture.suptitle("Random in training, absent at test time (E71, E72)")
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_early_stopping(free: dict, stopped: dict, decayed: dict, path) -> None:
    picture = lessons.figure(7, 4)
    axes = picture.add_subplot()
    history = free["history"]
    axes.plot(history["epoch"], history["loss"], color="C0", label="training loss")
    axes.plot(history["epoch"], history["val_loss"], color="C1", label="validation loss")
    axes.plot(decayed["history"]["epoch"], decayed["history"]["val_loss"], color="C2", label="validation, weight decay 0.1")
    restored = stopped["history"].restored_epoch
    axes.axvline(restored, color="0.5", linestyle="--", label=f"early stopping keeps epoch {restored}")
    axes.axvline(len(stopped["history"]), color="0.5", linestyle=":", label=f"and stops at {len(stopped['history'])}")
    axes.set_ylim(0, 2)
    axes.set_xlabel("epoch")
    axes.set_title("150 training digits: memorised, then the validation loss turns up")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
