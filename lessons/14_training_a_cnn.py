"""Training a CNN on real data: the digits to 97%, with the babysitting checks of lecture 6 along the way.

The lecture's checklist for a new model comes before the real run. First check the loss at
initialization: with C classes and small random weights the softmax is nearly uniform and the
loss is log C, 2.303 for 10 classes (catalogue E73). Then overfit a tiny subset: without
regularization the model must reach 100% training accuracy on a few examples, or something is
broken (E74). Probe the learning rate: at 1e-6 the loss does not move, at 1e6 it explodes into
NaN (E75). Search coarse to fine, on a log scale, with random rather than grid samples (E76,
E77). Then train, read the curves (E78), and watch the ratio of each update to its weights,
healthy near 1e-3 (E79). A mini-batch gradient is a noisy sample of the full one, less noisy the
bigger the batch (E50).

The model is ``graphlab train digits-cnn``'s network: three conv-BN-ReLU layers, a max pool,
global average pooling and one linear layer, 24,170 parameters, trained on scikit-learn's 1,438
8x8 digits and tested on the other 359. ``gl.train.HealthMonitor`` runs each check in training
and warns in plain words.

    .venv/bin/python lessons/14_training_a_cnn.py [--quick] [--out DIR]
    graphlab lesson 14
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
import sys
import warnings

import numpy as np

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

RECIPE = gl.train.RECIPES["digits-cnn"]


def cnn(seed: int = 0) -> gl.nn.Module:
    """The digits-cnn recipe's network, initialized from ``seed``."""
    gl.manual_seed(seed)
    return RECIPE.model()


@functools.lru_cache(maxsize=1)
def digits() -> tuple:
    """The training and test splits (read once: every check below uses them)."""
    return gl.data.digits("train"), gl.data.digits("test")


@contextlib.contextmanager
def _quiet():
    """Runs that blow up on purpose: no numpy overflow warnings, and the health monitor's messages kept in
    ``monitor.warnings`` (the lesson prints them) instead of also going to stderr."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore", gl.train.TrainingWarning)
        yield


# -- before training ---------------------------------------------------------------------------------------------
def chance_losses(classes=(10, 100, 1000)) -> dict:
    """E73: the cross-entropy of a uniform prediction (all logits equal) over C classes is exactly log C."""
    return {C: F.cross_entropy(gl.zeros(1, C, dtype=np.float64), [0]).item() for C in classes}


def initial_loss(seed: int = 0, weight_decay: float = 1e-2) -> dict:
    """E73: the network's loss on the training set before any step, and with an L2 penalty added."""
    model = cnn(seed)
    train, _ = digits()
    with gl.no_grad():
        model.eval()
        loss = F.cross_entropy(model(gl.tensor(train.inputs)), train.targets).item()
    penalty = weight_decay / 2 * sum(float((parameter.data ** 2).sum()) for parameter in model.parameters()
                                     if parameter.ndim > 1)
    return {"loss": loss, "log C": math.log(10), "with L2": loss + penalty}


def overfit_tiny(per_class: int = 2, steps: int = 60, seed: int = 0) -> dict:
    """E74: Adam at 1e-2 without regularization on ``per_class`` digits of each class, full batch: the training
    accuracy must reach 100% and the loss go to about 0."""
    train, _ = digits()
    chosen = np.concatenate([np.flatnonzero(train.targets == label)[:per_class] for label in range(10)])
    images, labels = gl.tensor(train.inputs[chosen]), train.targets[chosen]
    model = cnn(seed)
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    losses, accuracies = [], []
    for _ in range(steps):
        outputs = model(images)
        loss = F.cross_entropy(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(float((outputs.data.argmax(axis=1) == labels).mean()))
    return {"samples": len(chosen), "losses": losses, "accuracies": accuracies}


def probe(lr: float, epochs: int = 1, seed: int = 0) -> dict:
    """E75: one epoch of plain SGD at ``lr`` with the health monitor watching every 5 steps."""
    train, _ = digits()
    model = cnn(seed)
    monitor = gl.train.HealthMonitor(every=5)
    with _quiet():                                                   # the monitor's warnings are printed by main
        history = gl.train.fit(model, F.cross_entropy, gl.optim.SGD(model.parameters(), lr=lr),
                               gl.data.DataLoader(train, batch_size=32, shuffle=True, seed=seed), epochs=epochs,
                               progress=False, health=monitor)
    first = monitor.records[0]
    return {"lr": lr, "first loss": monitor.first_loss, "loss": history.last["loss"],
            "accuracy": history.last.get("accuracy"), "stopped": history.stopped, "warnings": monitor.warnings,
            "ratios": [layer["update_ratio"] for layer in first["layers"] if len(layer["shape"]) > 1]}


def sampled_values(trials: int, low: float, high: float, seed: int = 0) -> np.ndarray:
    """E76: learning rates 10^u with u uniform in [low, high]: a log scale, so each decade gets its share."""
    return 10 ** np.random.default_rng(seed).uniform(low, high, size=trials)


def grid_vs_random(trials: int = 9, seed: int = 0) -> dict:
    """E76: 9 trials over two hyper-parameters: a 3x3 grid tries 3 values of each, random search 9."""
    levels = np.linspace(0, 1, int(math.sqrt(trials)))
    grid = np.array([(a, b) for a in levels for b in levels])
    random = np.random.default_rng(seed).uniform(0, 1, size=(trials, 2))
    return {"grid": [len(np.unique(grid[:, axis])) for axis in (0, 1)],
            "random": [len(np.unique(random[:, axis])) for axis in (0, 1)]}


def trial(lr: float, epochs: int = 3, subset: int = 600, held_out: int = 400, seed: int = 0) -> dict:
    """One search trial: Adam at ``lr`` for ``epochs`` on ``subset`` training digits, scored on ``held_out``
    others (the test split stays untouched). Stops early if the loss passes 3x its first value (E76)."""
    train, _ = digits()
    order = np.random.default_rng(seed).permutation(len(train))
    fitting = gl.data.Subset(train, order[:subset])
    held_out = gl.data.Subset(train, order[subset:subset + held_out])
    model = cnn(seed)
    monitor = gl.train.HealthMonitor(every=10**9)                    # only the loss checks: NaN, 3x the first
    with _quiet():
        history = gl.train.fit(model, F.cross_entropy, gl.optim.Adam(model.parameters(), lr=lr),
                               gl.data.DataLoader(fitting, batch_size=32, shuffle=True, seed=seed),
                               gl.data.DataLoader(held_out, batch_size=256), epochs=epochs, progress=False,
                               health=monitor)
    exploded = any("exploded" in message or "nan" in message for message in monitor.warnings)
    accuracy = history.last.get("val_accuracy", 0.0)
    return {"lr": lr, "accuracy": 0.0 if exploded or not math.isfinite(history.last["loss"]) else accuracy,
            "exploded": exploded}


@functools.lru_cache(maxsize=4)
def coarse_to_fine(coarse: int = 6, fine: int = 4, epochs: int = 3, seed: int = 0) -> dict:
    """E76: a coarse random search over 10^[-5, 0], then a fine one over one decade around the best; each
    trial ``epochs`` epochs (cached: deterministic, and shared by the narrative and the tests)."""
    first = [trial(lr, epochs) for lr in sampled_values(coarse, -5.0, 0.0, seed)]
    best = max(first, key=lambda row: row["accuracy"])
    centre = math.log10(best["lr"])
    second = [trial(lr, epochs) for lr in sampled_values(fine, centre - 0.5, centre + 0.5, seed + 1)]
    return {"coarse": first, "fine": second, "best": max(first + second, key=lambda row: row["accuracy"])}


@functools.lru_cache(maxsize=4)
def minibatch_gradients(batch_sizes=(32, 128), samples: int = 1408, passes: int = 3, seed: int = 0) -> dict:
    """E50: the gradient of the last layer's weights on each mini-batch of ``passes`` shuffled passes over
    ``samples`` digits (1408 = 44 x 32 = 11 x 128), against the full-batch gradient. The batches of one pass
    average to the full gradient exactly; their spread falls like 1/√B (times √((N - B)/(N - 1)), since a
    batch is drawn without replacement from the N there are)."""
    train, _ = digits()
    model = cnn(seed)
    model.eval()                                                    # fixed BN statistics: the loss is a plain mean
    weight = model[-1].weight
    images, labels = train.inputs[:samples], train.targets[:samples]

    def gradient(rows) -> np.ndarray:
        model.zero_grad()
        F.cross_entropy(model(gl.tensor(images[rows])), labels[rows]).backward()
        return weight.grad.copy()

    full = gradient(np.arange(samples))
    orders = [np.random.default_rng([seed, number]).permutation(samples) for number in range(passes)]
    result = {"full norm": float(np.linalg.norm(full))}
    for size in batch_sizes:
        grads = np.stack([[gradient(order[start:start + size]) for start in range(0, samples, size)]
                          for order in orders])                      # (passes, batches, 10, 64)
        result[size] = {"batches": grads.shape[1], "mean gap": float(np.abs(grads.mean(axis=1) - full).max()),
                        "spread": float(np.sqrt(((grads - full) ** 2).sum(axis=(2, 3)).mean())),
                        "predicted factor": math.sqrt((samples - size) / (samples - 1) / size)}
    return result


# -- the real run -------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def train_cnn(epochs: int, seed: int = 0) -> dict:
    """The recipe: Adam 3e-3 with a cosine schedule, batches of 32 with random 1-pixel shifts, the health
    monitor every 20 steps; the test split is evaluated after every epoch for the curves (cached:
    deterministic, and shared by the narrative and the tests)."""
    train, test = digits()
    model = cnn(seed)
    optimizer = gl.optim.Adam(model.parameters(), lr=RECIPE.lr)
    monitor = gl.train.HealthMonitor(every=20)
    with _quiet():
        history = gl.train.fit(model, F.cross_entropy, optimizer,
                               gl.data.DataLoader(train, batch_size=RECIPE.batch_size, shuffle=True, seed=seed,
                                                  transform=RECIPE.transform()),
                               gl.data.DataLoader(test, batch_size=256), epochs=epochs, progress=False, seed=seed,
                               scheduler=gl.optim.schedules.CosineAnnealing(optimizer, T=epochs), health=monitor)
    final_train = gl.train.evaluate(model, F.cross_entropy, gl.data.DataLoader(train, batch_size=256))
    final_test = gl.train.evaluate(model, F.cross_entropy, gl.data.DataLoader(test, batch_size=256))
    return {"history": history, "monitor": monitor, "train accuracy": final_train["accuracy"],
            "test accuracy": final_test["accuracy"], "parameters": model.num_parameters()}


def update_ratios(monitor) -> dict:
    """E79: every weight matrix's ‖ΔW‖/‖W‖ over the run (after the first step, which Adam makes lr·sign(g))."""
    ratios = [layer["update_ratio"] for record in monitor.records[1:] for layer in record["layers"]
              if len(layer["shape"]) > 1]
    return {"median": float(np.median(ratios)), "low": float(np.min(ratios)), "high": float(np.max(ratios))}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])
    lessons.say(f"\nthe network: {RECIPE.description}, {cnn().num_parameters():,} parameters")

    lessons.heading("1. The loss at initialization (E73)")
    chance = chance_losses()
    lessons.say("uniform prediction over C classes: " + ", ".join(f"C = {C}: {loss:.6f}" for C, loss in chance.items())
          + " (= log C)")
    start = initial_loss()
    lessons.say(f"the CNN before any step: {start['loss']:.4f} on the training set, against log 10 = {start['log C']:.4f}; "
          f"adding an L2 penalty (λ = 1e-2) raises it to {start['with L2']:.4f}")

    lessons.heading("2. Overfit a tiny subset (E74)")
    tiny = overfit_tiny()
    reached = next(step for step, accuracy in enumerate(tiny["accuracies"], 1) if accuracy == 1.0)
    lessons.say(f"{tiny['samples']} digits, Adam 1e-2, no regularization: 100% training accuracy at step {reached}, loss "
          f"{tiny['losses'][-1]:.1e} after {len(tiny['losses'])} steps. The model can learn; on to real data.")

    lessons.heading("3. Probe the learning rate (E75)")
    for lr in (1e-6, 1e6):
        run = probe(lr)
        outcome = (f"loss {run['first loss']:.4f} -> {run['loss']:.4f}, accuracy {run['accuracy']:.1%}"
                   if run["stopped"] is None else run["stopped"])
        lessons.say(f"SGD lr {lr:g}, one epoch: {outcome}; update/weight ratios {min(run['ratios']):.0e}-"
              f"{max(run['ratios']):.0e}")
        for message in run["warnings"][:2]:
            lessons.say(f"  health: {message}")
    lessons.say("Too low: the loss barely moves. Too high: it explodes into NaN within a few steps (the monitor stops the run).")

    lessons.heading("4. Search coarse to fine (E76, E77)")
    split = grid_vs_random()
    lessons.say(f"9 trials over two hyper-parameters: a 3x3 grid tries {split['grid']} distinct values per axis, random "
          f"search {split['random']}")
    search = coarse_to_fine(*((4, 2, 2) if options.quick else (10, 6, 3)))
    for stage in ("coarse", "fine"):
        lessons.say(f"  {stage}: " + ", ".join(f"lr {row['lr']:.1e} -> {_outcome(row)}" for row in search[stage]))
    lessons.say(f"  best: lr {search['best']['lr']:.1e}, {search['best']['accuracy']:.1%} on 400 held-out training digits "
          f"after a few epochs on 600 others (the recipe uses {RECIPE.lr:g})")
    lessons.say("Sample the exponent, not the value; stop a trial whose loss passes 3x its start; beware a best value at the\n"
          "edge of the range. The recipe: initial loss, overfit a little, find an lr that makes the loss drop within\n"
          "~100 iterations, a coarse grid for 1-5 epochs, refine for 10-20 epochs, then look at the curves.")

    lessons.heading("5. Mini-batch gradients are noisy samples of the full one (E50)")
    noise = minibatch_gradients(passes=2 if options.quick else 5)
    for size in (32, 128):
        lessons.say(f"batches of {size}: {noise[size]['batches']} batches, their mean equals the full gradient to "
              f"{noise[size]['mean gap']:.0e}; their distance from it {noise[size]['spread']:.3f} "
              f"(full gradient norm {noise['full norm']:.3f})")
    predicted = noise[32]["predicted factor"] / noise[128]["predicted factor"]
    lessons.say(f"4x the batch, {noise[32]['spread'] / noise[128]['spread']:.2f}x less noise: about √4 = 2 "
          f"({predicted:.3f} for batches drawn without replacement from 1,408)")

    lessons.heading("6. Train, and read the curves (E78, E79)")
    epochs = 10 if options.quick else RECIPE.epochs
    run = train_cnn(epochs)
    history = run["history"]
    lessons.say(f"Adam {RECIPE.lr:g}, cosine over {epochs} epochs, batches of {RECIPE.batch_size} shifted by up to 1 pixel:")
    lessons.say(history)
    gap = run["train accuracy"] - run["test accuracy"]
    reading = ("a wide gap: overfitting, add regularization or data" if gap > 0.05 else
               "a small gap and both accuracies high: neither overfitting nor underfitting")
    lessons.say(f"final model: train accuracy {run['train accuracy']:.2%}, test accuracy {run['test accuracy']:.2%} "
          f"(goal 97%); gap {gap:+.2%}, {reading} (E78)")
    ratios = update_ratios(run["monitor"])
    lessons.say(f"update/weight ratios of the weight matrices over the run: median {ratios['median']:.1e}, range "
          f"{ratios['low']:.0e} to {ratios['high']:.0e} (healthy: around 1e-3, E79)")
    lessons.say(run["monitor"].report())

    lessons.heading("Pictures")
    history.plot(lessons.wrote(options.out / "e78_training_curves.png"))
    run["monitor"].plot(lessons.wrote(options.out / "e79_update_ratios.png"))
    _picture_tiny(tiny, options.out / "e74_overfit_tiny_subset.png")
    return 0


def _outcome(row: dict) -> str:
    return "exploded" if row["exploded"] else f"{row['accuracy']:.0%}"


def _picture_tiny(tiny: dict, path) -> None:
    picture = lessons.figure(7, 3.5)
    axes = picture.add_subplot()
    steps = range(1, len(tiny["losses"]) + 1)
    axes.plot(steps, tiny["losses"], label="loss")
    axes.set_yscale("log")
    axes.set_xlabel("step")
    twin = axes.twinx()
    twin.plot(steps, tiny["accuracies"], color="C1", label="training accuracy")
    twin.set_ylim(0, 1.05)
    axes.set_title(f"Overfitting {tiny['samples']} digits first (E74)")
    picture.legend(loc="center right", fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
