"""Learning-rate schedules: step, cosine, linear, inverse square root, constant and warm-up, and what they do to a run.

A learning rate high enough to make progress early is too high to settle into a minimum: the
loss stalls at a noise floor. A schedule lowers it as training goes on. ResNet multiplies it by
0.1 every 30 epochs (catalogue E61). Cosine, linear and inverse-sqrt decays need only the
starting rate α₀ and the length T (E62). A linear warm-up from 0 protects the first steps from a
rate that would blow the loss up (E63). The DenseNet paper divides the rate by 10 at 50% and
75% of training; the notes say "halve", which is wrong (E64). Early stopping and averaging the
weights (Polyak) use the same run in other ways (E65).

Every curve is ``gl.optim.schedules``' closed form, checked against the notes' numbers. The
same schedules then drive one training run each on the digits, with a starting rate that is too
high to keep.

    .venv/bin/python lessons/12_lr_schedules.py [--quick] [--out DIR]
    graphlab lesson 12
"""
from __future__ import annotations

import functools
import sys

import graphlab as gl
import graphlab.functional as F
from graphlab import lessons

S = gl.optim.schedules

#: E62's table: t -> (cosine, linear, inverse sqrt) for α₀ = 0.1, T = 100, as the catalogue prints them
NOTES_E62 = {1: (0.099975, 0.099, 0.1), 25: (0.0853553, 0.075, 0.02), 50: (0.05, 0.05, 0.0141421),
             75: (0.0146447, 0.025, 0.0115470), 100: (0.0, 0.0, 0.01)}


def closed_forms(base_lr: float = 0.1, T: int = 100, ts=tuple(NOTES_E62)) -> dict:
    """E62: t -> (cosine, linear, inverse sqrt) from ``gl.optim.schedules``."""
    cosine, linear, inverse = S.CosineAnnealing(T=T, base_lr=base_lr), S.LinearDecay(T=T, base_lr=base_lr), \
        S.InverseSqrt(base_lr=base_lr)
    return {t: (cosine.lr_at(t), linear.lr_at(t), inverse.lr_at(t)) for t in ts}


def step_decay(epochs=(0, 29, 30, 59, 60, 89)) -> dict:
    """E61: ResNet's schedule, 0.1 multiplied by 0.1 every 30 epochs."""
    schedule = S.StepLR(step_size=30, gamma=0.1, base_lr=0.1)
    return {epoch: schedule.lr_at(epoch) for epoch in epochs}


def warmup(base_lr: float = 0.1, steps: int = 5000, ts=(0, 1000, 2500, 4999, 5000, 10000)) -> dict:
    """E63: a linear warm-up over the first ``steps`` iterations (Goyal et al.), then the constant rate."""
    schedule = S.LinearWarmup(warmup=steps, base_lr=base_lr)
    return {t: schedule.lr_at(t) for t in ts}


def densenet(epochs: int, base_lr: float = 0.1, factor: float = 0.1) -> dict:
    """E64: DenseNet's schedule, the rate times ``factor`` at 50% and 75% of the epochs. The paper's factor
    is 0.1; the notes' "divided in half" would be 0.5. Returns the milestones and the rate in each phase."""
    milestones = [epochs // 2, 3 * epochs // 4]
    schedule = S.MultiStepLR(milestones=milestones, gamma=factor, base_lr=base_lr)
    return {"milestones": milestones, "rates": [schedule.lr_at(t) for t in (0, *milestones)]}


def imagenet_densenet(factor: float = 0.1) -> list:
    """E64: ImageNet, 90 epochs: the rate at epochs 0, 30 and 60."""
    schedule = S.MultiStepLR(milestones=[30, 60], gamma=factor, base_lr=0.1)
    return [schedule.lr_at(t) for t in (0, 30, 60)]


def plateau(losses=(2.0, 1.5, 1.2, 1.1, 1.1, 1.1, 1.1, 1.05, 1.05, 1.05, 1.05, 1.05), patience: int = 2) -> list:
    """E61, "decay when the loss has stopped improving": ReduceLROnPlateau fed a loss that levels off.
    Returns the rate after each epoch."""
    w = gl.tensor([0.0], requires_grad=True)
    schedule = S.ReduceLROnPlateau(gl.optim.SGD([w], lr=0.1), factor=0.1, patience=patience)
    rates = []
    for loss in losses:
        schedule.step(loss)
        rates.append(schedule.get_last_lr()[0])
    return rates


# -- a training run under each schedule -------------------------------------------------------------------------
def schedules_for(optimizer, total: int) -> dict:
    """The schedules of the comparison, each over ``total`` steps and stepped once per batch."""
    warm = total // 10
    return {"constant": S.Constant(optimizer, interval="step"),
            "step (x0.1 at 50%, 75%)": S.MultiStepLR(optimizer, milestones=[total // 2, 3 * total // 4],
                                                       interval="step"),
            "cosine": S.CosineAnnealing(optimizer, T=total, interval="step"),
            "linear": S.LinearDecay(optimizer, T=total, interval="step"),
            "inverse sqrt": S.InverseSqrt(optimizer, interval="step"),
            "warm-up + cosine": S.LinearWarmup(optimizer, S.CosineAnnealing(T=total - warm), warmup=warm,
                                               interval="step")}


SCHEDULES = ("constant", "step (x0.1 at 50%, 75%)", "cosine", "linear", "inverse sqrt", "warm-up + cosine")


def mlp(seed: int = 0) -> gl.nn.Sequential:
    gl.manual_seed(seed)
    return gl.nn.Sequential(gl.nn.Flatten(), gl.nn.Linear(64, 64), gl.nn.ReLU(), gl.nn.Linear(64, 10))


class PolyakAverage(gl.train.Callback):
    """E65: an exponentially decaying average of the weights, updated after every step, for test time."""

    def __init__(self, decay: float):
        self.decay, self.average = decay, None

    def on_batch_end(self, trainer, loss):
        weights = [parameter.data for parameter in trainer.model.parameters()]
        if self.average is None:
            self.average = [array.copy() for array in weights]
        for mean, array in zip(self.average, weights):
            mean *= self.decay
            mean += (1 - self.decay) * array

    def swap_in(self, model) -> None:
        """Put the averaged weights into ``model``."""
        for parameter, mean in zip(model.parameters(), self.average):
            parameter.data[...] = mean


@functools.lru_cache(maxsize=32)
def train_with(schedule: str, epochs: int, lr: float = 0.5, polyak: float = 0.99, seed: int = 0) -> dict:
    """SGD with momentum 0.9 at a starting rate ``lr`` on the digits, the rate set by ``schedule`` after every
    batch. Also keeps the Polyak average of the weights, w̄ = 0.99 w̄ + 0.01 w (E65). Returns the per-epoch
    training loss and lr, the final model's train loss and test accuracy, and the averaged model's train loss
    (cached: the runs are deterministic, and the narrative and the tests share them)."""
    model = mlp(seed)
    optimizer = gl.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loader = gl.data.DataLoader(gl.data.digits("train"), batch_size=32, shuffle=True, seed=seed)
    scheduler = schedules_for(optimizer, epochs * len(loader))[schedule]
    average = PolyakAverage(polyak)
    history = gl.train.fit(model, F.cross_entropy, optimizer, loader, epochs=epochs, scheduler=scheduler,
                           progress=False, callbacks=[average])
    train_loader = gl.data.DataLoader(gl.data.digits("train"), batch_size=512)
    final = gl.train.evaluate(model, F.cross_entropy, train_loader)
    test = gl.train.evaluate(model, F.cross_entropy, gl.data.DataLoader(gl.data.digits("test"), batch_size=512))
    average.swap_in(model)
    averaged = gl.train.evaluate(model, F.cross_entropy, train_loader)
    return {"losses": history["loss"], "lrs": scheduler.history, "train loss": final["loss"],
            "test accuracy": test["accuracy"], "averaged loss": averaged["loss"]}


# -- the narrative --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Step decay (E61)")
    steps = step_decay()
    lessons.say("ResNet: 0.1, times 0.1 every 30 epochs: " + ", ".join(f"epoch {epoch}: {lr:.3g}" for epoch, lr in steps.items()))
    rates = plateau()
    lessons.say(f"or decay when the loss stops improving (ReduceLROnPlateau, patience 2) on the losses "
          f"2.0, 1.5, 1.2, 1.1, 1.1, ...:\n  the rate after each epoch is {', '.join(f'{rate:.3g}' for rate in rates)}")

    lessons.heading("Cosine, linear, inverse sqrt, constant (E62)")
    forms = closed_forms()
    lessons.say("α₀ = 0.1, T = 100: cosine 0.5·α₀(1 + cos(πt/T)), linear α₀(1 - t/T), inverse sqrt α₀/√t")
    lessons.say(lessons.table([(t, f"{cosine:.7g}", f"{linear:.7g}", f"{inverse:.7g}",
                          " / ".join(f"{value:g}" for value in NOTES_E62[t]))
                         for t, (cosine, linear, inverse) in forms.items()],
                        ("t", "cosine", "linear", "inverse sqrt", "catalogue")))
    lessons.say("Cosine is typical in vision, linear in large-scale NLP; inverse sqrt decays fast early and is rare;\n"
          "a constant rate is the most common, and fine for Adam and RMSProp.")

    lessons.heading("Linear warm-up (E63)")
    warm = warmup()
    lessons.say("α₀ = 0.1 over 5000 iterations: " + ", ".join(f"lr({t}) = {lr:g}" for t, lr in warm.items()))

    lessons.heading("DenseNet's schedule (E64)")
    for name, epochs in (("CIFAR", 300), ("SVHN", 40)):
        paper, notes = densenet(epochs), densenet(epochs, factor=0.5)
        lessons.say(f"{name}, {epochs} epochs: /10 at epochs {paper['milestones']}: "
              f"{', '.join(f'{lr:g}' for lr in paper['rates'])}  (the notes' 'halved': "
              f"{', '.join(f'{lr:g}' for lr in notes['rates'])})")
    lessons.say(f"ImageNet, 90 epochs: {', '.join(f'{lr:g}' for lr in imagenet_densenet())} at epochs 0, 30, 60 "
          f"(the notes: {', '.join(f'{lr:g}' for lr in imagenet_densenet(0.5))}). The paper divides by 10.")

    lessons.heading("What a schedule does to a run")
    epochs = 5 if options.quick else 15
    runs = {name: train_with(name, epochs) for name in SCHEDULES}
    lessons.say(f"the digits, a 64-64-10 MLP, SGD momentum 0.9 from lr 0.5 (too high to keep), {epochs} epochs, "
          f"the rate set after every batch:")
    lessons.say(lessons.table([(name, f"{run['lrs'][-1]:.2g}", f"{run['train loss']:.4f}", f"{run['test accuracy']:.1%}",
                          f"{run['averaged loss']:.4f}") for name, run in runs.items()],
                        ("schedule", "final lr", "train loss", "test accuracy", "Polyak avg. loss")))
    constant = runs["constant"]
    lessons.say(f"At a constant 0.5 the loss stalls at a noise floor; every schedule that decays gets below it. Averaging\n"
          f"the weights instead (Polyak, E65) takes the constant run from {constant['train loss']:.3f} to "
          f"{constant['averaged loss']:.3f} without touching the rate.")

    lessons.heading("Pictures")
    _picture_curves(options.out / "e61_e64_schedules.png")
    _picture_runs(runs, options.out / "e62_schedules_on_a_run.png")
    return 0


def _picture_curves(path) -> None:
    picture = lessons.figure(11, 4)
    axes = picture.add_subplot(1, 2, 1)
    T = 100
    for label, schedule in (("step (x0.1 every 30)", S.StepLR(step_size=30, base_lr=0.1)),
                            ("cosine", S.CosineAnnealing(T=T, base_lr=0.1)),
                            ("linear", S.LinearDecay(T=T, base_lr=0.1)),
                            ("inverse sqrt", S.InverseSqrt(base_lr=0.1)),
                            ("constant", S.Constant(base_lr=0.1)),
                            ("warm-up 10 + cosine", S.LinearWarmup(inner=S.CosineAnnealing(T=T - 10), warmup=10, base_lr=0.1)),
                            ("cosine restarts (SGDR)", S.CosineAnnealing(T=25, restarts=True, base_lr=0.1))):
        axes.plot(schedule.curve(T + 1), label=label)
    axes.set_xlabel("epoch")
    axes.set_ylabel("learning rate")
    axes.set_title("α₀ = 0.1, T = 100 (E61-E63, E65)")
    axes.legend(fontsize=7)
    axes = picture.add_subplot(1, 2, 2)
    for label, factor in (("the paper: /10 (E64)", 0.1), ("the notes: 'halved'", 0.5)):
        schedule = S.MultiStepLR(milestones=[150, 225], gamma=factor, base_lr=0.1)
        axes.plot(schedule.curve(300), label=label)
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_title("DenseNet on CIFAR, 300 epochs")
    axes.legend(fontsize=8)
    picture.savefig(lessons.wrote(path), dpi=110)


def _picture_runs(runs: dict, path) -> None:
    picture = lessons.figure(11, 4)
    losses, rates = picture.add_subplot(1, 2, 1), picture.add_subplot(1, 2, 2)
    for name, run in runs.items():
        epochs = range(1, len(run["losses"]) + 1)
        losses.plot(epochs, run["losses"], "o-", markersize=3, label=name)
        rates.plot(run["lrs"], label=name)
    losses.set_yscale("log")
    losses.set_xticks(range(1, len(run["losses"]) + 1))
    losses.set_xlabel("epoch")
    losses.set_title("training loss (mean over each epoch)")
    rates.set_xlabel("step")
    rates.set_title("learning rate")
    losses.legend(fontsize=7)
    picture.savefig(lessons.wrote(path), dpi=110)


if __name__ == "__main__":
    sys.exit(main())
