"""Draw docs/pictures/training_curve.png, the README's training curve: ``graphlab train digits-cnn``, epoch by epoch.

    .venv/bin/python docs/make_training_curve.py              # trains the recipe (a few seconds), writes the picture
    .venv/bin/python docs/make_training_curve.py /tmp/pics    # somewhere else

The run is the recipe's, seeded, so the picture is the same on every machine up to floating-point
noise: three conv-BN-ReLU layers on scikit-learn's 8x8 digits, Adam 3e-3 with a cosine schedule,
20 epochs, the 359 held-out digits evaluated after every epoch.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import graphlab as gl

PICTURES = Path(__file__).resolve().parent / "pictures"
GOAL = 0.97


def train(epochs=None, seed: int = 0) -> gl.train.RecipeResult:
    """The digits-cnn recipe (its own epochs unless ``epochs`` is given), without a progress bar."""
    with tempfile.TemporaryDirectory() as folder:
        return gl.train.run_recipe("digits-cnn", epochs=epochs, out=folder, seed=seed, progress=False)


def figure(result: gl.train.RecipeResult):
    """Loss and accuracy per epoch, training batches vs the held-out digits, with the 97% goal."""
    from matplotlib.figure import Figure
    history = result.history
    epochs = history["epoch"]
    picture = Figure(figsize=(9, 3.4), layout="constrained")
    loss, accuracy = picture.subplots(1, 2)
    loss.plot(epochs, history["loss"], "o-", markersize=3, label="training")
    loss.plot(epochs, history["val_loss"], "o-", markersize=3, label="held-out digits")
    loss.set_yscale("log")
    loss.set_title("cross-entropy loss")
    accuracy.plot(epochs, [100 * value for value in history["accuracy"]], "o-", markersize=3, label="training")
    accuracy.plot(epochs, [100 * value for value in history["val_accuracy"]], "o-", markersize=3,
                  label="held-out digits")
    accuracy.axhline(100 * GOAL, color="0.5", linestyle="--", linewidth=1, label=f"goal {GOAL:.0%}")
    accuracy.set_ylim(60, 100.5)
    accuracy.set_title(f"accuracy (final test: {result.final['test_accuracy']:.1%})")
    from matplotlib.ticker import MaxNLocator
    for axes in (loss, accuracy):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("epoch")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    picture.suptitle(f"graphlab train digits-cnn: a 24,170-parameter CNN on the 8x8 digits, "
                     f"{len(epochs)} epochs in {result.training_seconds:.0f} s", fontsize=10)
    return picture


def main(argv) -> int:
    out = Path(argv[0]) if argv else PICTURES
    out.mkdir(parents=True, exist_ok=True)
    result = train()
    target = out / "training_curve.png"
    figure(result).savefig(target, dpi=100)
    print(f"wrote {target} (test accuracy {result.final['test_accuracy']:.2%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
