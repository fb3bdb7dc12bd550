"""A finished ``graphlab train`` run, reloaded: ``gl.train.load_run(DIR)`` and ``graphlab evaluate DIR``.

A run's folder holds ``run.json`` (the recipe and the settings that pick its data: seed,
limits), ``checkpoint.npz`` (model, optimizer, schedule, history, epoch) and the pictures.
``load_run`` rebuilds the recipe's model, loads the checkpoint's weights into it (every name,
shape and dtype checked first) and gives back the model, the recipe and the history; ``Run.evaluate``
measures the loss and accuracy of that model on the run's train or test split, in eval mode, as
the run's summary did.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Optional

from graphlab.errors import GraphlabError

#: the settings file a run writes first, so even an interrupted run can be reloaded
SETTINGS_FILE = "run.json"


class RunError(GraphlabError, LookupError):
    """A folder that does not hold a run ``load_run`` can read."""


@dataclass
class Run:
    """A trained run: ``model`` (eval mode, weights of ``epoch``), its ``recipe`` and ``history``."""
    folder: str
    recipe: object
    model: object
    history: object
    epoch: int
    settings: dict
    _data: Optional[tuple] = field(default=None, repr=False)

    def data(self, split: str = "test"):
        """The run's ``"train"`` or ``"test"`` split, as the run saw it (same seed and limits)."""
        if split not in ("train", "test"):
            raise RunError(f"Run.data: split must be 'train' or 'test', got {split!r}")
        train, test = self._splits()
        if split == "test" and test is None:
            raise RunError(f"Run.data: {self.recipe.name} has no test split (its goal is measured on the "
                           f"training points); use split='train' (graphlab evaluate: --split train)")
        return train if split == "train" else test

    @property
    def splits(self) -> list:
        """The splits this run has: ``["train", "test"]``, or ``["train"]`` (spiral-mlp)."""
        return ["train"] + (["test"] if self._splits()[1] is not None else [])

    def _splits(self) -> tuple:
        if self._data is None:          # built once: the digits and shapes take a moment
            self._data = self.recipe.data(self.settings.get("seed", 0), self.settings.get("limit"),
                                          self.settings.get("test_limit"))
        return self._data

    def evaluate(self, split: str = "test") -> dict:
        """``{"loss": ..., "accuracy": ..., "samples": N}`` of the model on ``split``, in eval mode."""
        from graphlab import functional as F
        from graphlab.data import DataLoader
        from graphlab.train.loop import evaluate
        data = self.data(split)
        return {**evaluate(self.model, F.cross_entropy, DataLoader(data, batch_size=256)), "samples": len(data)}

    def __repr__(self) -> str:
        return f"Run({self.recipe.name!r}, epoch {self.epoch}, folder {self.folder!r})"


def load_run(folder, recipe: Optional[str] = None) -> Run:
    """The run ``graphlab train`` wrote to ``folder``: its model with the checkpoint's weights
    (in eval mode), recipe and history. ``recipe``: the recipe's name, for a folder from before
    runs wrote run.json."""
    from graphlab.checkpoint import load
    from graphlab.train.history import History
    folder = os.fspath(folder)
    checkpoint = os.path.join(folder, "checkpoint.npz")
    if not os.path.isfile(checkpoint):
        raise RunError(f"load_run: no checkpoint.npz in {folder!r}; give the folder a `graphlab train` run "
                       f"wrote (its --out, runs/RECIPE by default)")
    settings = _settings(folder, recipe)
    chosen = _recipe(settings["recipe"], folder)
    model = chosen.model()
    saved = load(checkpoint, into={"model": model})
    model.eval()
    history = History().load_state_dict(saved["history"]) if "history" in saved else History()
    return Run(folder, chosen, model, history, int(saved.get("epoch", len(history))), settings)


def _settings(folder: str, recipe: Optional[str]) -> dict:
    """run.json's settings, or just the recipe given for a folder without one."""
    path = os.path.join(folder, SETTINGS_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            settings = json.load(handle)
        if recipe is not None and recipe != settings.get("recipe"):
            raise RunError(f"load_run: {folder!r} is a {settings.get('recipe')} run, not {recipe}")
        return settings
    if recipe is None:
        raise RunError(f"load_run: {folder!r} has no {SETTINGS_FILE} (runs before it was written); say which "
                       f"recipe trained it: load_run(folder, recipe='digits-cnn')")
    return {"recipe": recipe}


def _recipe(name, folder: str):
    from graphlab.train.flags import did_you_mean
    from graphlab.train.recipes import RECIPES
    if name not in RECIPES:
        raise RunError(f"load_run: {folder!r} names the recipe {name!r}{did_you_mean(str(name), RECIPES)}, "
                       f"which this graphlab does not have; it has {', '.join(RECIPES)}")
    return RECIPES[name]


def write_settings(folder: str, settings: dict) -> str:
    """Write run.json (before training, so an interrupted run can be reloaded too)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, SETTINGS_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(settings, handle, indent=1)
    return path


def report(run: Run, splits=None) -> str:
    """What ``graphlab evaluate`` prints: which run, which weights, and the metrics on each split."""
    trained = len(run.history) or run.epoch
    lines = [f"{run.recipe.name} run in {run.folder}: the weights of epoch {run.epoch} of {trained}, eval mode"]
    for split in splits or run.splits:
        metrics = run.evaluate(split)
        line = f"  {split} loss {metrics['loss']:.4f}"
        if "accuracy" in metrics:
            line += f", {split} accuracy {100 * metrics['accuracy']:.2f}%"
        lines.append(f"{line} ({metrics['samples']} samples)")
    return "\n".join(lines)
