"""Callbacks: code the training loop calls at fixed points (PyTorch Lightning / Keras style).

Hooks, each getting the ``Trainer`` (model, optimizer, history, epoch, step, ``stop``):
``on_train_begin``, ``on_epoch_begin``, ``on_batch_begin``, ``on_before_step`` (after backward,
before the optimizer's step: gradients are there), ``on_batch_end`` (with the batch's loss),
``on_epoch_end`` (with the epoch's record), ``on_train_end``, and ``close`` (always, even when
training stops with an exception or Ctrl-C: release what ``on_train_begin`` took). Setting ``trainer.stop`` ends
training after the current epoch (or batch).
"""
from __future__ import annotations

import math
import os
from typing import Optional

import numpy as np

from graphlab.argcheck import ArgumentError, ArgumentTypeError, choice, flag, non_negative_int, positive_int, real
from graphlab.train.history import mode_for


def _metric_name(value, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ArgumentTypeError(f"{where}: monitor must be the name of a metric such as 'val_loss', got {value!r}")
    return value


def _mode(mode, monitor: Optional[str], where: str) -> str:
    if mode is None:
        return mode_for(monitor) if monitor else "min"
    return choice(mode, "mode", where, ("min", "max"))


def non_finite_tensor(model) -> Optional[str]:
    """The name of the first parameter or buffer of ``model`` holding a NaN or inf (None if all are finite)."""
    named = list(getattr(model, "named_parameters", lambda: [])()) + list(getattr(model, "named_buffers", lambda: [])())
    for name, tensor in named:
        data = np.asarray(getattr(tensor, "data", tensor))
        if data.dtype.kind in "fc" and not np.isfinite(data).all():
            return name
    return None


class Callback:
    """Base class: override the hooks you need."""

    def on_train_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer) -> None: ...
    def on_batch_begin(self, trainer) -> None: ...
    def on_before_step(self, trainer) -> None: ...
    def on_batch_end(self, trainer, loss: float) -> None: ...
    def on_epoch_end(self, trainer, record: dict) -> None: ...
    def on_train_end(self, trainer) -> None: ...
    def close(self, trainer) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and put the
    best epoch's weights back into the model at the end (E65: keep the best snapshot)."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: Optional[str] = None, restore_best: bool = True):
        self.monitor = _metric_name(monitor, "EarlyStopping")
        self.patience = non_negative_int(patience, "patience", "EarlyStopping")
        self.min_delta = real(min_delta, "min_delta", "EarlyStopping", 0.0)
        self.mode = _mode(mode, monitor, "EarlyStopping")
        self.restore_best = flag(restore_best, "restore_best", "EarlyStopping")
        self.best: Optional[float] = None
        self.best_epoch: Optional[int] = None
        self.best_state = None
        self.waited = 0

    def on_train_begin(self, trainer):
        self.best, self.best_epoch, self.best_state, self.waited = None, None, None, 0

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, record):
        value = record.get(self.monitor)
        if value is None:
            available = ", ".join(name for name in record if name not in ("epoch", "time", "lr"))
            raise KeyError(f"EarlyStopping: the epoch has no {self.monitor!r} to watch (it has {available}); "
                           f"pass a val_loader for val_* metrics, or monitor='loss'")
        if math.isfinite(value) and self._better(value):
            self.best, self.best_epoch, self.waited = value, record["epoch"], 0
            if self.restore_best:
                self.best_state = trainer.model.state_dict()
            return
        self.waited += 1
        if self.waited >= self.patience:
            trainer.stop = True
            trainer.history.stopped = (f"early stopping at epoch {record['epoch']}: {self.monitor} has not improved "
                                       f"for {self.patience} epochs (best {self.best:.4g} at epoch {self.best_epoch})")

    def on_train_end(self, trainer):
        if self.restore_best and self.best_state is not None and self.best_epoch != trainer.history.last.get("epoch"):
            trainer.model.load_state_dict(self.best_state)
            trainer.history.restored_epoch = self.best_epoch
            trainer.log(f"restored the weights of epoch {self.best_epoch} ({self.monitor} {self.best:.4g})")
        elif self.best_epoch is not None:
            trainer.history.restored_epoch = self.best_epoch if self.restore_best else None


class Checkpoint(Callback):
    """Save model, optimizer, schedule, history and epoch with ``gl.save`` (atomic: a crash or
    Ctrl-C mid-write leaves the previous file intact) every ``every`` epochs, or, with
    ``monitor``, only when that metric improved.

    A checkpoint never replaces a good one with a broken run: an epoch whose loss is NaN or inf,
    or whose weights hold a NaN or inf, is not saved (the file keeps the last finite epoch)."""

    def __init__(self, path, every: int = 1, monitor: Optional[str] = None, mode: Optional[str] = None):
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise ArgumentTypeError(f"Checkpoint: path must be a file path such as 'runs/checkpoint.npz', got {path!r}")
        if os.path.isdir(path):
            raise ArgumentError(f"Checkpoint: path {os.fspath(path)!r} is a directory; give a file path inside it, "
                                f"e.g. {os.path.join(os.fspath(path), 'checkpoint.npz')!r}")
        self.path, self.every = path, positive_int(every, "every", "Checkpoint")
        self.monitor = None if monitor is None else _metric_name(monitor, "Checkpoint")
        self.mode = _mode(mode, monitor, "Checkpoint")
        self.best: Optional[float] = None
        #: the epoch of the last file written (None before the first)
        self.saved_epoch: Optional[int] = None

    def contents(self, trainer, epoch: int) -> dict:
        contents = {"model": trainer.model, "optimizer": trainer.optimizer, "epoch": epoch,
                    "history": trainer.history}
        if trainer.scheduler is not None:
            contents["scheduler"] = trainer.scheduler
        return contents

    def on_epoch_end(self, trainer, record):
        from graphlab.checkpoint import save
        epoch = record["epoch"]
        if self.monitor is not None:
            value = record.get(self.monitor)
            if value is None or not math.isfinite(value):
                return
            if self.best is not None and (value >= self.best if self.mode == "min" else value <= self.best):
                return
            self.best = value
        elif epoch % self.every:
            return
        broken = self._broken(trainer, record)
        if broken:
            kept = f"{os.fspath(self.path)} keeps epoch {self.saved_epoch}" if self.saved_epoch else "nothing saved"
            trainer.log(f"checkpoint: epoch {epoch} not saved, {broken}; {kept}")
            return
        save(self.contents(trainer, epoch), self.path)
        self.saved_epoch = epoch

    @staticmethod
    def _broken(trainer, record: dict) -> Optional[str]:
        """Why this epoch must not replace the file (a non-finite loss or weight), or None."""
        loss = record.get("loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            return f"its loss is {loss}"
        name = non_finite_tensor(trainer.model)
        return None if name is None else f"{name} holds NaN or inf"


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda trainer, record: ...)``."""

    def __init__(self, **hooks):
        unknown = sorted(set(hooks) - {name for name in dir(Callback) if name.startswith("on_")})
        if unknown:
            raise ArgumentTypeError(f"LambdaCallback: unknown hook(s) {', '.join(unknown)}")
        for name, function in hooks.items():
            if not callable(function):
                raise ArgumentTypeError(f"LambdaCallback: {name} must be a function (trainer, ...), got "
                                        f"{type(function).__name__}")
        for name, function in hooks.items():
            setattr(self, name, function)
