"""Ready-made training runs: the ``graphlab train RECIPE`` command and ``gl.train.run_recipe``.

Each recipe names its data, model and default hyper-parameters; any of them can be changed
(optimizer by name, lr, epochs, schedule, batch size, seed). A run trains with a progress bar,
evaluates on the test split after every epoch (recorded as val_*, as ``fit`` names its held-out
loader, and shown as test_*; nothing is selected on it),
saves a checkpoint every epoch (atomic) and writes the history plot and JSON to ``out``.

=================  ==========================================================  ====================
recipe             model and data                                              goal (full run)
=================  ==========================================================  ====================
digits-mlp         64-128-10 MLP on scikit-learn's 8x8 digits                  >= 95% test accuracy
digits-cnn         3 conv-BN-ReLU + pool + linear on the digits                >= 97% test, < 60 s
spiral-mlp         CS231n's 2-layer net (100 ReLUs), full-batch SGD, spiral     >= 95% train accuracy
shapes-densenet    DenseNet-BC (depth 16, k = 8) on 28x28 circles/squares/...  >= 95% test accuracy
=================  ==========================================================  ====================
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from graphlab.argcheck import ArgumentError, ArgumentTypeError, flag, non_negative_int, positive_int, real
from graphlab.config import manual_seed
from graphlab.errors import GraphlabError


@dataclass
class Recipe:
    name: str
    description: str
    data: Callable                 # (seed, limit, test_limit) -> (train dataset, test dataset or None)
    model: Callable                # () -> Module
    optimizer: str = "adam"
    lr: float = 1e-3
    epochs: int = 10
    batch_size: int = 32
    schedule: Optional[str] = None
    hyper: dict = field(default_factory=dict)        # extra optimizer settings (momentum, weight decay)
    decay_weights_only: bool = False                 # weight decay on weight matrices only, not biases
    transform: Optional[Callable] = None             # () -> training augmentation
    goal_metric: str = "test_accuracy"               # final model on the test split, or "train_accuracy"
    goal: float = 0.95
    checkpoint_every: int = 1                        # and the last epoch, whatever its number
    boundary: bool = False                           # 2-D inputs: draw decision_boundary.png


def _limit(dataset, limit: Optional[int]):
    if limit is None or limit >= len(dataset):
        return dataset
    from graphlab.data.dataset import Subset
    return Subset(dataset, np.random.default_rng(0).permutation(len(dataset))[:limit])


def _digits(seed: int, limit: Optional[int], test_limit: Optional[int]):
    from graphlab.data import digits
    return _limit(digits("train"), limit), _limit(digits("test"), test_limit)


def _spiral(seed: int, limit: Optional[int], test_limit: Optional[int]):
    from graphlab.data import spiral
    per_class = 100 if limit is None else min(100, -(-limit // 3))        # ceil(limit / 3) of each of 3 arms
    return _limit(spiral(points_per_class=per_class, seed=seed), limit), None


def _shapes(seed: int, limit: Optional[int], test_limit: Optional[int]):
    from graphlab.data import shapes
    train = shapes("train", n=3000 if limit is None else max(3, min(limit, 3000)), seed=seed)
    test = shapes("test", n=600 if test_limit is None else max(3, min(test_limit, 600)), seed=seed)
    return _limit(train, limit), _limit(test, test_limit)


def _digits_mlp():
    from graphlab import nn
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def _digits_cnn():
    from graphlab import nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),            # (16, 8, 8)
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),           # (32, 8, 8)
        nn.MaxPool2d(2),                                                          # (32, 4, 4)
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),           # (64, 4, 4)
        nn.GlobalAvgPool2d(), nn.Linear(64, 10),
    )


def _spiral_mlp():
    from graphlab import nn
    return nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))


def _shapes_densenet():
    from graphlab.nn.models import DenseNet
    return DenseNet(depth=16, growth_rate=8, bottleneck=True, compression=0.5, in_channels=1, num_classes=3)


def _digits_augmentation():
    from graphlab.data.transforms import RandomCrop
    return RandomCrop(8, padding=1)


RECIPES = {recipe.name: recipe for recipe in [
    Recipe("digits-mlp", "64-128-10 MLP on the 8x8 digits", _digits, _digits_mlp, optimizer="adam", lr=1e-2,
           epochs=40, batch_size=32, schedule="cosine", goal=0.95),
    Recipe("digits-cnn", "three conv-BN-ReLU layers, max pool, global average pool, linear on the 8x8 digits",
           _digits, _digits_cnn, optimizer="adam", lr=3e-3, epochs=20, batch_size=32, schedule="cosine",
           transform=_digits_augmentation, goal=0.97),
    Recipe("spiral-mlp", "CS231n's 2-layer net: 100 ReLUs, softmax, on the 3-arm spiral", _spiral, _spiral_mlp,
           optimizer="sgd", lr=1.0, epochs=1000, batch_size=300, hyper={"weight_decay": 1e-3},
           decay_weights_only=True, goal_metric="train_accuracy", goal=0.95, checkpoint_every=100, boundary=True),
    Recipe("shapes-densenet", "DenseNet-BC (depth 16, growth 8, compression 0.5) on 28x28 procedural shapes",
           _shapes, _shapes_densenet, optimizer="adam", lr=3e-3, epochs=10, batch_size=64, schedule="cosine",
           goal=0.95),
]}


@dataclass
class RecipeResult:
    recipe: str
    history: object
    seconds: float
    files: dict
    training_seconds: float
    goal_metric: str
    goal: float
    #: the final model's metrics in eval mode: train_loss, train_accuracy, test_loss, test_accuracy
    final: dict = field(default_factory=dict)
    #: samples in each split: {"train": 1438, "test": 359} (no "test" when the recipe has none)
    sizes: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return self.final.get(self.goal_metric, float("nan"))

    @property
    def reached(self) -> bool:
        return self.score >= self.goal

    def legend(self) -> str:
        """What the table's columns are: the running means of training, and the held-out split."""
        lines = ["loss, accuracy: the mean over each epoch's batches while training (train mode,",
                 "  weights changing from batch to batch)"]
        if "test" in self.sizes:
            lines.append(f"test_loss, test_accuracy: the test split ({self.sizes['test']} samples, never "
                         f"trained on),\n  evaluated after each epoch")
        return "\n".join(lines)

    def summary(self) -> str:
        """The run's time, the final model re-evaluated on each whole split, and the goal."""
        lines = [f"{self.recipe}: {len(self.history)} epochs in {self.seconds:.1f} s "
                 f"(training {self.training_seconds:.1f} s)",
                 "final model, re-evaluated in eval mode on each whole split:"]
        for split in ("train", "test"):
            if f"{split}_loss" in self.final:
                line = f"  {split} loss {self.final[f'{split}_loss']:.4f}"
                if f"{split}_accuracy" in self.final:
                    line += f", {split} accuracy {100 * self.final[f'{split}_accuracy']:.2f}%"
                lines.append(line + (f" ({self.sizes[split]} samples)" if split in self.sizes else ""))
        label = self.goal_metric.replace("_", " ")
        verdict = "reached" if self.reached else "NOT reached"
        return "\n".join(lines) + f"\ngoal {label} >= {100 * self.goal:.0f}%: {verdict}"


def _parameter_groups(model, decay_weights_only: bool, weight_decay: float):
    if not decay_weights_only or not weight_decay:
        return model.parameters()
    weights = [parameter for parameter in model.parameters() if parameter.ndim >= 2]
    others = [parameter for parameter in model.parameters() if parameter.ndim < 2]
    return [{"params": weights}, {"params": others, "weight_decay": 0.0}]


#: the files a run writes into its folder (a folder holding one of them holds an earlier run)
RUN_FILES = ("checkpoint.npz", "history.json", "history.png", "health.txt", "run.json", "decision_boundary.png")


def holds_run(folder) -> bool:
    """True when ``folder`` holds the files of an earlier run."""
    return any(os.path.exists(os.path.join(folder, name)) for name in RUN_FILES)


def fresh_folder(base) -> str:
    """``base`` if it holds no earlier run, else the first free ``base-2``, ``base-3``, ..."""
    base = os.fspath(base)
    candidate, number = base, 1
    while holds_run(candidate) or os.path.isfile(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def check_out(out, force: bool = False, argument: str = "out") -> str:
    """The run folder ``out``: not a file, and (unless ``force``) not holding an earlier run."""
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out):
        raise ArgumentTypeError(f"train: {argument} must be a folder path, got {out!r}")
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ArgumentError(f"train: {argument} {out!r} is a file, not a folder; choose a folder for the run's files")
    if holds_run(out) and not force:
        flag_name = "--force" if argument.startswith("--") else "force=True"
        raise ArgumentError(f"train: {argument} {out!r} holds an earlier run (checkpoint, history); choose another "
                            f"folder, or pass {flag_name} to overwrite it")
    return out


def _check_overrides(name, optimizer, lr, epochs, schedule, batch_size, seed, limit, test_limit, warmup,
                     weight_decay, momentum) -> None:
    """Every keyword of run_recipe, checked by name (None keeps the recipe's value)."""
    where = "run_recipe"
    for argument, value in (("name", name), ("optimizer", optimizer), ("schedule", schedule)):
        if value is not None and not isinstance(value, str):
            raise ArgumentTypeError(f"{where}: {argument} must be a name (a string), got {value!r}")
    for argument, value in (("epochs", epochs), ("batch_size", batch_size), ("limit", limit),
                            ("test_limit", test_limit)):
        if value is not None:
            positive_int(value, argument, where)
    non_negative_int(seed, "seed", where)
    non_negative_int(warmup, "warmup", where)
    if lr is not None:
        real(lr, "lr", where, 0.0, low_open=True)
    if weight_decay is not None:
        real(weight_decay, "weight_decay", where, 0.0)
    if momentum is not None:
        real(momentum, "momentum", where, 0.0, 1.0, high_open=True)


def run_recipe(name: str, optimizer: Optional[str] = None, lr: Optional[float] = None, epochs: Optional[int] = None,
               schedule: Optional[str] = None, batch_size: Optional[int] = None, out=None, seed: int = 0,
               progress: bool = True, limit: Optional[int] = None, warmup: int = 0, health: bool = False,
               weight_decay: Optional[float] = None, momentum: Optional[float] = None,
               test_limit: Optional[int] = None, force: bool = False) -> RecipeResult:
    """Train recipe ``name`` (see ``RECIPES``); the keyword arguments override its defaults.

    ``limit`` / ``test_limit``: at most that many training / test samples. ``out``: the run's
    folder; by default ``runs/NAME``, or ``runs/NAME-2``, ... when that one holds an earlier run
    (said on stderr). An ``out`` you give that holds an earlier run is refused unless ``force``.
    """
    _check_overrides(name, optimizer, lr, epochs, schedule, batch_size, seed, limit, test_limit, warmup,
                     weight_decay, momentum)
    if name not in RECIPES:
        raise GraphlabError(f"train: no recipe {name!r}; choose from {', '.join(RECIPES)}")
    out = _run_folder(name, out, flag(force, "force", "run_recipe"))
    recipe = RECIPES[name]
    started = time.perf_counter()
    manual_seed(seed)
    train_data, test_data = recipe.data(seed, limit, test_limit)
    model = recipe.model()
    epochs = recipe.epochs if epochs is None else epochs
    chosen = _optimizer(recipe, model, optimizer, lr, weight_decay, momentum)
    scheduler = _scheduler(recipe.schedule if schedule is None else schedule, chosen, epochs, warmup)
    files = {"checkpoint": os.path.join(out, "checkpoint.npz"), "plot": os.path.join(out, "history.png"),
             "history": os.path.join(out, "history.json"), "settings": os.path.join(out, "run.json")}
    _write_settings(files, name, seed, limit, test_limit, epochs, chosen, batch_size or recipe.batch_size)
    history, monitor, training_seconds, test_loader = _train(recipe, model, chosen, scheduler, train_data, test_data,
                                                             files, epochs, batch_size, seed, progress, health)
    history.held_out = "test"                        # the val_* records are the test split's
    _save_last_epoch(recipe, model, chosen, scheduler, history, files["checkpoint"])
    final = _final_metrics(model, train_data, test_loader)
    seconds = time.perf_counter() - started
    _write_reports(history, monitor, files, out)
    if recipe.boundary:
        _draw_boundary(name, model, train_data, files, os.path.join(out, "decision_boundary.png"))
    sizes = {"train": len(train_data)} | ({"test": len(test_data)} if test_data is not None else {})
    return RecipeResult(name, history, seconds, files, training_seconds, recipe.goal_metric, recipe.goal, final,
                        sizes)


def _write_settings(files: dict, name: str, seed: int, limit, test_limit, epochs: int, optimizer,
                    batch_size: int) -> None:
    """run.json: what ``load_run`` needs to rebuild the model and the data (written before training)."""
    from graphlab.train.runs import write_settings
    write_settings(os.path.dirname(files["settings"]) or ".",
                   {"recipe": name, "seed": seed, "limit": limit, "test_limit": test_limit, "epochs": epochs,
                    "optimizer": type(optimizer).__name__, "lr": optimizer.lr, "batch_size": batch_size})


def _save_last_epoch(recipe: Recipe, model, optimizer, scheduler, history, path: str) -> None:
    """The checkpoint of the last epoch when ``checkpoint_every`` skipped it (a run stopped by a
    NaN keeps its last finite checkpoint), so load_run gets the model the summary measured."""
    from graphlab.checkpoint import save
    if not len(history) or len(history) % recipe.checkpoint_every == 0 or history.stopped:
        return
    contents = {"model": model, "optimizer": optimizer, "epoch": len(history), "history": history}
    if scheduler is not None:
        contents["scheduler"] = scheduler
    save(contents, path)


def _draw_boundary(name: str, model, train_data, files: dict, path: str) -> None:
    """decision_boundary.png from the training points (skipped, like history.png, without matplotlib)."""
    import numpy as np
    from graphlab.data import DataLoader
    from graphlab.train.plots import decision_boundary
    batches = list(DataLoader(train_data, batch_size=len(train_data)))
    inputs = np.concatenate([np.asarray(batch[0]) for batch in batches])
    labels = np.concatenate([np.asarray(batch[1]) for batch in batches])
    try:
        decision_boundary(model, inputs, labels, path, title=name)
    except GraphlabError:                        # matplotlib missing
        return
    files["boundary"] = path


def _run_folder(name: str, out, force: bool) -> str:
    """The folder a run writes to (see run_recipe); says so when it had to pick a fresh one."""
    if out is not None:
        return check_out(out, force)
    base = os.path.join("runs", name)
    chosen = base if force else fresh_folder(base)
    if chosen != base:
        print(f"{base} holds an earlier run; this run writes to {chosen} (--force overwrites)", file=sys.stderr)
    return check_out(chosen, force=True)


def _train(recipe, model, optimizer, scheduler, train_data, test_data, files, epochs, batch_size, seed, progress,
           health):
    """fit with the recipe's loaders, checkpoint and (optionally) health monitor;
    returns (history, monitor or None, training seconds, test loader or None)."""
    from graphlab import functional as F
    from graphlab.data import DataLoader
    from graphlab.train.callbacks import Checkpoint
    from graphlab.train.loop import fit
    transform = recipe.transform() if recipe.transform else None
    train_loader = DataLoader(train_data, batch_size=batch_size or recipe.batch_size, shuffle=True, seed=seed,
                              transform=transform)
    test_loader = DataLoader(test_data, batch_size=256) if test_data is not None else None
    callbacks = [Checkpoint(files["checkpoint"], every=recipe.checkpoint_every)]
    monitor = None
    if health:
        from graphlab.train.health import HealthMonitor
        monitor = HealthMonitor()
        callbacks.append(monitor)
    started = time.perf_counter()
    history = fit(model, F.cross_entropy, optimizer, train_loader, test_loader, epochs=epochs, scheduler=scheduler,
                  callbacks=callbacks, progress=progress, seed=seed)
    return history, monitor, time.perf_counter() - started, test_loader


def _optimizer(recipe: Recipe, model, name: Optional[str], lr: Optional[float], weight_decay: Optional[float],
               momentum: Optional[float]):
    """The recipe's optimizer with the overrides; another optimizer keeps only the recipe's weight decay."""
    from graphlab.optim import get as get_optimizer
    hyper = dict(recipe.hyper)
    if name is not None and name.lower() != recipe.optimizer:
        hyper = {key: value for key, value in hyper.items() if key == "weight_decay"}
    if weight_decay is not None:
        hyper["weight_decay"] = weight_decay
    if momentum is not None:
        hyper["momentum"] = momentum
    params = _parameter_groups(model, recipe.decay_weights_only, hyper.get("weight_decay", 0.0))
    return get_optimizer(name or recipe.optimizer, params, lr=lr if lr is not None else recipe.lr, **hyper)


def _scheduler(name: Optional[str], optimizer, epochs: int, warmup: int):
    """The lr schedule ``name`` over ``epochs`` (None or "none": no schedule, unless there is a warm-up)."""
    from graphlab.optim import schedules
    if warmup and name in (None, "none"):
        name = "constant"                              # a warm-up alone: up to the lr, then constant
    if not name or name == "none":
        return None
    settings = {"cosine": {"T": epochs}, "linear": {"T": epochs},
                "step": {"step_size": max(1, epochs // 3)},
                "multistep": {"milestones": [epochs // 2, 3 * epochs // 4]},
                "plateau": {"patience": 2}}.get(name, {})
    return schedules.get(name, optimizer, warmup=warmup, **settings)


def _final_metrics(model, train_data, test_loader) -> dict:
    """The trained model's loss and accuracy in eval mode: train_* on the training split, test_* on the test one."""
    from graphlab import functional as F
    from graphlab.data import DataLoader
    from graphlab.train.loop import evaluate
    final = {f"train_{key}": value for key, value in
             evaluate(model, F.cross_entropy, DataLoader(train_data, batch_size=256)).items()}
    if test_loader is not None:
        final.update({f"test_{key}": value for key, value in evaluate(model, F.cross_entropy, test_loader).items()})
    return final


def _write_reports(history, monitor, files: dict, out: str) -> None:
    """history.json, history.png (dropped from ``files`` without matplotlib) and, with a monitor, health.txt."""
    history.to_json(files["history"])
    try:
        history.plot(files["plot"])
    except GraphlabError:                        # matplotlib missing: say so, keep the rest
        files.pop("plot")
    if monitor is not None:
        files["health"] = os.path.join(out, "health.txt")
        with open(files["health"], "w", encoding="utf-8") as handle:
            handle.write(monitor.report() + "\n" + "\n".join(monitor.warnings) + "\n")
