"""The training loop: ``fit`` (epochs of mini-batch steps with validation, schedules, callbacks
and a progress bar), ``evaluate`` and ``predict``.

>>> import graphlab as gl
>>> import graphlab.functional as F
>>> gl.manual_seed(0)
>>> data = gl.data.spiral(points_per_class=50)
>>> model = gl.nn.Sequential(gl.nn.Linear(2, 32), gl.nn.ReLU(), gl.nn.Linear(32, 3))
>>> optimizer = gl.optim.Adam(model.parameters(), lr=0.02)
>>> history = gl.train.fit(model, F.cross_entropy, optimizer, gl.data.DataLoader(data, 50, shuffle=True, seed=0),
...                        epochs=20, progress=False)
>>> history["loss"][-1] < history["loss"][0], history.last["accuracy"] > 0.6
(True, True)
"""
from __future__ import annotations

import math
import time
from typing import Callable, Optional, Sequence

import numpy as np

from graphlab import memory
from graphlab.autodiff.tensor import Tensor
from graphlab.config import no_grad
from graphlab.argcheck import flag, positive_int
from graphlab.errors import GraphlabError
from graphlab.train.callbacks import Callback, Checkpoint, EarlyStopping
from graphlab.train.history import History
from graphlab.train.progress import progress_bar, write


def _array(value) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def correct_count(outputs, targets) -> Optional[int]:
    """How many rows of (N, C) scores pick the target class (index targets or soft/one-hot rows);
    None when the outputs are not class scores."""
    scores, labels = _array(outputs), _array(targets)
    if scores.ndim != 2:
        return None
    if labels.ndim == 2 and labels.shape == scores.shape:
        labels = labels.argmax(axis=1)
    if labels.ndim != 1 or labels.dtype.kind not in "iuf":
        return None
    return int((scores.argmax(axis=1) == labels).sum())


class _RunningMetrics:
    """An epoch's running mean loss and accuracy (accuracy while every batch is classification)."""

    def __init__(self):
        self.total_loss, self.total_correct, self.total_seen, self.classified = 0.0, 0, 0, True

    def add(self, loss: float, size: int, correct: Optional[int]) -> None:
        self.total_loss += loss * size
        self.total_seen += size
        self.classified = self.classified and correct is not None
        if self.classified:
            self.total_correct += correct

    def text(self) -> str:
        """The progress bar's postfix."""
        text = f"loss {self.total_loss / self.total_seen:.4f}"
        if self.classified:
            text += f", acc {100 * self.total_correct / self.total_seen:.1f}%"
        return text

    def record(self, epoch: int) -> dict:
        record = {"epoch": epoch, "loss": self.total_loss / max(self.total_seen, 1)}
        if self.classified and self.total_seen:
            record["accuracy"] = self.total_correct / self.total_seen
        return record


class Trainer:
    """The state of one ``fit`` run, which callbacks read and change (``stop``)."""

    def __init__(self, model, loss_fn: Callable, optimizer, scheduler=None, callbacks: Sequence[Callback] = (),
                 progress: bool = True, batch_transform: Optional[Callable] = None, seed: int = 0,
                 stop_on_nonfinite: bool = True):
        self.model, self.loss_fn, self.optimizer, self.scheduler = model, loss_fn, optimizer, scheduler
        self.callbacks = list(callbacks)
        self.progress = progress
        self.batch_transform = batch_transform
        self.stop_on_nonfinite = stop_on_nonfinite
        self.rng = np.random.default_rng(seed)
        self.history = History()
        self.epoch = 0
        self.step = 0
        self.stop = False
        self.bar = None
        self.batch_outputs = None
        self.batch_targets = None

    def log(self, message: str) -> None:
        """A line above the progress bar (or on stderr)."""
        write(message, self.bar if self.progress else None)

    def _call(self, hook: str, *arguments) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *arguments)

    # -- one epoch ---------------------------------------------------------------------------------
    def train_epoch(self, loader, epochs: int) -> dict:
        self.model.train()
        running = _RunningMetrics()
        self.bar = self._epoch_bar(len(loader), epochs)
        try:
            for batch in loader:
                value = self._train_batch(*self._inputs_and_targets(batch), running)
                self.bar.update()
                self.bar.set_postfix_str(running.text(), refresh=False)
                if self.stop and not math.isfinite(value):
                    break
        except BaseException:
            self.bar.close()
            raise
        return running.record(self.epoch)

    def _epoch_bar(self, batches: int, epochs: int):
        # long runs keep every tenth epoch's bar on screen (and the last), short runs all of them
        keep = epochs <= 30 or self.epoch % max(1, epochs // 10) == 0 or self.epoch == epochs
        return progress_bar(total=batches, desc=f"epoch {self.epoch}/{epochs}", enabled=self.progress,
                            unit="batch", leave=keep)

    def _inputs_and_targets(self, batch) -> tuple:
        """A loader's batch as (inputs, targets), through ``batch_transform`` (mixup, ...) if one is set."""
        inputs, targets = batch if isinstance(batch, tuple) else (batch, None)
        if self.batch_transform is not None:
            inputs, targets = self.batch_transform(_array(inputs), _array(targets), self.rng)
            inputs, targets = Tensor._from_op(np.asarray(inputs), None, False), targets
        return inputs, targets

    def _train_batch(self, inputs, targets, running: "_RunningMetrics") -> float:
        """One optimizer step on one batch, with its callbacks and a per-step schedule; returns the loss.
        The batch's graph is freed on return (callbacks see it as batch_outputs until on_batch_end)."""
        self._call("on_batch_begin")
        outputs = self.model(inputs)
        loss = self.loss_fn(outputs, targets)
        self.batch_outputs, self.batch_targets = outputs, targets
        value = float(loss.item())
        running.add(value, len(_array(inputs)), correct_count(outputs, targets) if targets is not None else None)
        if not math.isfinite(value) and self.stop_on_nonfinite:
            self._stop_at_nonfinite(value)
            self._call("on_batch_end", value)
            self.batch_outputs = self.batch_targets = None
            return value
        self.optimizer.zero_grad()
        loss.backward(record=False)          # leaves only: no Trace, no intermediate .grad (memory)
        self._call("on_before_step")
        self.optimizer.step()
        self.step += 1
        if self.scheduler is not None and self.scheduler.interval == "step":
            self.scheduler.step()
        self._call("on_batch_end", value)
        self.batch_outputs = self.batch_targets = None
        return value

    def _stop_at_nonfinite(self, value: float) -> None:
        """A NaN or inf loss: no update from it (the weights stay those of the last finite step), stop."""
        self.stop = True
        self.history.stopped = (f"stopped at epoch {self.epoch}, step {self.step + 1}: the loss is {value}. The "
                                f"weights are those before this step; lower the learning rate (now "
                                f"{self.optimizer.lr:g}) and restart, or pass stop_on_nonfinite=False to fit "
                                f"to go on")

    def fit(self, train_loader, val_loader=None, epochs: int = 10) -> History:
        epochs = positive_int(epochs, "epochs", "fit")
        memory.keep_freed_memory()     # every step reallocates the same big arrays: keep them mapped
        self._call("on_train_begin")
        try:
            for _ in range(epochs):
                self.epoch += 1
                started = time.perf_counter()
                self._call("on_epoch_begin")
                record = self.train_epoch(train_loader, epochs)
                record["lr"] = self.optimizer.lr
                if val_loader is not None:
                    metrics = evaluate(self.model, self.loss_fn, val_loader)
                    record.update({f"val_{name}": value for name, value in metrics.items()})
                record["time"] = time.perf_counter() - started
                self.history.append(record)
                self.bar.set_postfix_str(_summary(record))
                self.bar.close()
                if self.scheduler is not None and self.scheduler.interval == "epoch":
                    self._step_schedule(record)
                self._call("on_epoch_end", record)
                if self.stop:
                    if self.history.stopped:
                        self.log(self.history.stopped)
                    break
            self._call("on_train_end")
        finally:
            if self.bar is not None:
                self.bar.close()
            self._call("close")
        return self.history

    def _step_schedule(self, record: dict) -> None:
        from graphlab.optim.schedules import ReduceLROnPlateau
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(record.get("val_loss", record["loss"]))
        else:
            self.scheduler.step()


def _summary(record: dict) -> str:
    parts = [f"loss {record['loss']:.4f}"]
    if "accuracy" in record:
        parts.append(f"acc {100 * record['accuracy']:.1f}%")
    if "val_loss" in record:
        parts.append(f"val_loss {record['val_loss']:.4f}")
    if "val_accuracy" in record:
        parts.append(f"val_acc {100 * record['val_accuracy']:.1f}%")
    return ", ".join(parts)


def fit(model, loss_fn: Callable, optimizer, train_loader, val_loader=None, epochs: int = 10, scheduler=None,
        early_stopping=None, callbacks: Sequence[Callback] = (), progress: bool = True, checkpoint=None,
        health=None, batch_transform: Optional[Callable] = None, seed: int = 0,
        stop_on_nonfinite: bool = True) -> History:
    """Train ``model`` for ``epochs`` epochs; returns the ``History``.

    * ``loss_fn(outputs, targets)`` returns a scalar Tensor (``F.cross_entropy``, ``F.mse_loss``, ...).
    * ``scheduler``: a ``gl.optim.schedules`` schedule on ``optimizer``, stepped after every epoch
      (or batch, if its ``interval`` is "step"); ReduceLROnPlateau gets the validation loss.
    * ``early_stopping``: an ``EarlyStopping`` (or an int patience on val_loss); the best epoch's
      weights are restored at the end.
    * ``checkpoint``: a path: model, optimizer, schedule and history saved every epoch (atomic).
    * ``health``: a ``HealthMonitor`` (or True for the default one): update ratios, dead ReLUs,
      activation statistics, NaN and explosion warnings.
    * ``batch_transform(inputs, targets, rng) -> (inputs, targets)``: training batches only
      (e.g. ``gl.data.mixup``).
    * ``progress``: a tqdm bar per epoch with the running loss and accuracy.
    * ``stop_on_nonfinite``: a NaN or inf loss stops training with a message (in ``history.stopped``)
      and makes no update from it; False trains on. A checkpoint is never written from a
      non-finite epoch either way, so the file keeps the last good weights.
    """
    stop_on_nonfinite = flag(stop_on_nonfinite, "stop_on_nonfinite", "fit")
    callbacks = list(callbacks)
    if early_stopping is not None and early_stopping is not False:
        if isinstance(early_stopping, bool) or isinstance(early_stopping, int):
            early_stopping = EarlyStopping(patience=int(early_stopping) if early_stopping is not True else 5,
                                           monitor="val_loss" if val_loader is not None else "loss")
        callbacks.append(early_stopping)
    if checkpoint is not None:
        callbacks.append(checkpoint if isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint))
    if health is not None and health is not False:
        from graphlab.train.health import HealthMonitor
        callbacks.append(HealthMonitor() if health is True else health)
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise GraphlabError("fit: the scheduler sets the lr of another optimizer; build it on this one")
    trainer = Trainer(model, loss_fn, optimizer, scheduler, callbacks, progress, batch_transform, seed,
                      stop_on_nonfinite)
    return trainer.fit(train_loader, val_loader, epochs)


def evaluate(model, loss_fn: Optional[Callable], loader, progress: bool = False) -> dict:
    """Mean loss (if ``loss_fn``) and accuracy over a loader, in eval mode without a graph."""
    was_training = getattr(model, "training", False)
    model.eval()
    total_loss, total_correct, total_seen, classified = 0.0, 0, 0, True
    bar = progress_bar(total=len(loader), desc="evaluate", enabled=progress, leave=False, unit="batch")
    try:
        with no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                size = len(_array(inputs))
                if loss_fn is not None:
                    total_loss += float(loss_fn(outputs, targets).item()) * size
                correct = correct_count(outputs, targets)
                classified = classified and correct is not None
                if classified:
                    total_correct += correct
                total_seen += size
                bar.update()
    finally:
        bar.close()
        model.train(was_training)
    result = {}
    if loss_fn is not None:
        result["loss"] = total_loss / total_seen
    if classified:
        result["accuracy"] = total_correct / total_seen
    return result


def predict(model, inputs, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for an array of inputs, in eval mode, batch by batch."""
    inputs = _array(inputs)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            outputs = [_array(model(Tensor._from_op(inputs[start:start + batch_size], None, False)))
                       for start in range(0, len(inputs), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outputs)
