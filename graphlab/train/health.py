"""The training-health monitor: the seed's "babysitting the learning process" as a callback.

Every ``every`` optimizer steps (and at the first) it measures, per layer:

* the ratio ‖ΔW‖ / ‖W‖ of the update to the weights (healthy around 1e-3, E79: far above means
  the learning rate is too high, far below too low);
* the gradient norm ‖∇W‖;
* each activation layer's output mean and std, and for ReLUs the fraction of dead units
  (units that output 0 for every sample of the batch).

It warns in plain words (a ``TrainingWarning``, also printed above the progress bar) when the
loss is NaN or inf, when the loss explodes past 3x its first value (E76), when the first loss
of a C-class classifier is far from log C (E73), when an update ratio is far from 1e-3, when
most of a layer's ReLUs are dead, or when a gradient is NaN. ``stop_on_nan`` ends training at a
NaN loss.

>>> import graphlab as gl
>>> monitor = gl.train.HealthMonitor(every=10)
>>> monitor.ratio_range
(1e-05, 0.1)
"""
from __future__ import annotations

import math
import warnings
from typing import Optional

import numpy as np

from graphlab.train.callbacks import Callback
from graphlab.tables import format_table

RELU_LIKE = ("ReLU",)
ACTIVATIONS = ("ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Tanh", "Sigmoid", "Maxout")


class TrainingWarning(UserWarning):
    """Something in a training run looks wrong (NaN loss, exploding loss, odd update ratios, dead ReLUs)."""


class HealthMonitor(Callback):
    """Per-layer update/weight ratios, gradient norms and activation statistics, with warnings."""

    def __init__(self, every: int = 50, ratio_range: tuple = (1e-5, 1e-1), dead_limit: float = 0.5,
                 explode_factor: float = 3.0, stop_on_nan: bool = True):
        self.every, self.ratio_range, self.dead_limit = max(1, int(every)), tuple(ratio_range), dead_limit
        self.explode_factor, self.stop_on_nan = explode_factor, stop_on_nan
        self.records: list = []
        self.warnings: list = []
        self._said: set = set()
        self.first_loss: Optional[float] = None
        self.capturing = False

    # -- wiring into the model ---------------------------------------------------------------------
    def on_train_begin(self, trainer):
        self.model = trainer.model
        self.first_loss = None
        self._activations: dict = {}
        self._wrapped = []
        for name, module in trainer.model.named_modules():
            if type(module).__name__ in ACTIVATIONS:
                self._wrap(name or type(module).__name__, module)
        self._parameters = [(name, parameter) for name, parameter in trainer.model.named_parameters()]

    def _wrap(self, name: str, module) -> None:
        original = module.forward
        monitor = self

        def forward(*args, **kwargs):
            output = original(*args, **kwargs)
            if monitor.capturing:
                monitor._activations[name] = (type(module).__name__, np.asarray(getattr(output, "data", output)))
            return output

        object.__setattr__(module, "forward", forward)
        self._wrapped.append(module)

    def close(self, trainer):
        """Give the layers their own forward back (also after an error or Ctrl-C)."""
        for module in getattr(self, "_wrapped", []):
            module.__dict__.pop("forward", None)
        self._wrapped = []
        self.capturing = False

    # -- measuring ---------------------------------------------------------------------------------
    def on_batch_begin(self, trainer):
        self.capturing = trainer.step % self.every == 0
        self._activations = {}

    def on_before_step(self, trainer):
        if not self.capturing:
            return
        self._before = {name: parameter.data.copy() for name, parameter in self._parameters}
        self._grad_norms = {name: float(np.linalg.norm(parameter.grad)) if parameter.grad is not None else None
                            for name, parameter in self._parameters}

    def on_batch_end(self, trainer, loss):
        self._check_loss(trainer, loss)
        if not self.capturing:
            return
        self.capturing = False
        layers = []
        for name, parameter in self._parameters:
            before = self._before[name]
            weight_norm = float(np.linalg.norm(before))
            update_norm = float(np.linalg.norm(parameter.data - before))
            ratio = update_norm / weight_norm if weight_norm > 0 else math.inf if update_norm else 0.0
            layers.append({"name": name, "shape": tuple(parameter.shape), "weight_norm": weight_norm,
                           "update_ratio": ratio, "grad_norm": self._grad_norms[name]})
        activations = []
        for name, (kind, output) in self._activations.items():
            flat = output.reshape(len(output), -1) if output.ndim > 1 else output.reshape(-1, 1)
            dead = float((flat <= 0).all(axis=0).mean()) if kind in RELU_LIKE else None
            activations.append({"name": name, "kind": kind, "mean": float(output.mean()),
                                "std": float(output.std()), "dead": dead})
        self._activations = {}
        record = {"step": trainer.step, "epoch": trainer.epoch, "loss": loss, "layers": layers,
                  "activations": activations}
        self.records.append(record)
        self._check_record(trainer, record)

    # -- judging -----------------------------------------------------------------------------------
    def warn(self, trainer, kind: str, message: str) -> None:
        """Say it once per kind and layer: a TrainingWarning, the list, and a line above the bar."""
        if kind in self._said:
            return
        self._said.add(kind)
        self.warnings.append(message)
        trainer.log(f"health: {message}")
        warnings.warn(message, TrainingWarning, stacklevel=2)

    def _check_loss(self, trainer, loss: float) -> None:
        where = f"epoch {trainer.epoch}, step {trainer.step}"
        if not math.isfinite(loss):
            self.warn(trainer, "nan", f"the loss is {loss} at {where}. The learning rate "
                                      f"({trainer.optimizer.lr:g}) is probably too high, or the initialization is "
                                      f"bad (E74); lower the lr by 10x and restart")
            if self.stop_on_nan:
                trainer.stop = True
                trainer.history.stopped = f"stopped at {where}: the loss is {loss}"
            return
        if self.first_loss is None:
            self.first_loss = loss
            self._check_first_loss(trainer, loss)
        elif loss > self.explode_factor * self.first_loss:
            self.warn(trainer, "explode", f"the loss exploded: {loss:.4g} at {where} is more than "
                                          f"{self.explode_factor:g}x the first loss ({self.first_loss:.4g}). Lower "
                                          f"the learning rate ({trainer.optimizer.lr:g}) (E76)")

    def _check_first_loss(self, trainer, loss: float) -> None:
        outputs, targets = trainer.batch_outputs, trainer.batch_targets
        if outputs is None or outputs.ndim != 2 or targets is None:
            return
        targets = np.asarray(getattr(targets, "data", targets))
        if targets.ndim != 1 or targets.dtype.kind not in "iu":
            return
        classes = outputs.shape[1]
        expected = math.log(classes)
        if not 0.6 * expected <= loss <= 1.6 * expected:
            self.warn(trainer, "initial", f"the first loss is {loss:.4g}; with {classes} classes and small random "
                                          f"weights it should be near log({classes}) = {expected:.4g} (E73). Check the "
                                          f"scale of the last layer's initialization and the inputs")

    def _check_record(self, trainer, record: dict) -> None:
        low, high = self.ratio_range
        for layer in record["layers"]:
            if len(layer["shape"]) < 2:                   # biases and norm scales start at 0 or 1: skip
                continue
            if record["step"] == 1 and math.isfinite(layer["grad_norm"] or 0):
                continue                                  # the first step is special (Adam's is lr·sign(g))
            ratio, name = layer["update_ratio"], layer["name"]
            if layer["grad_norm"] is not None and not math.isfinite(layer["grad_norm"]):
                self.warn(trainer, f"grad:{name}", f"the gradient of {name} is {layer['grad_norm']} at step "
                                                   f"{record['step']}")
            elif ratio > high:
                self.warn(trainer, f"high:{name}", f"the update of {name} is {ratio:.1e} of its size at step "
                                                   f"{record['step']}, far above the healthy ~1e-3 (E79): the "
                                                   f"learning rate ({trainer.optimizer.lr:g}) is too high")
            elif 0 < ratio < low or (ratio == 0 and layer["grad_norm"]):
                self.warn(trainer, f"low:{name}", f"the update of {name} is {ratio:.1e} of its size at step "
                                                  f"{record['step']}, far below the healthy ~1e-3 (E79): the "
                                                  f"learning rate ({trainer.optimizer.lr:g}) is too low")
        for activation in record["activations"]:
            if activation["dead"] is not None and activation["dead"] > self.dead_limit:
                self.warn(trainer, f"dead:{activation['name']}",
                          f"{100 * activation['dead']:.0f}% of the ReLUs in {activation['name']} are dead (0 for the "
                          f"whole batch) at step {record['step']}: lower the learning rate or check the init")

    # -- showing -----------------------------------------------------------------------------------
    def report(self, record: Optional[dict] = None) -> str:
        """The last (or the given) measurement as two tables."""
        if not self.records and record is None:
            return "no measurements yet (the monitor measures every %d steps)" % self.every
        record = record or self.records[-1]
        lines = [f"step {record['step']} (epoch {record['epoch']}), loss {record['loss']:.4g}"]
        rows = [("parameter", "shape", "|W|", "update/|W|", "grad norm")]
        for layer in record["layers"]:
            rows.append((layer["name"], "x".join(map(str, layer["shape"])), f"{layer['weight_norm']:.3g}",
                         f"{layer['update_ratio']:.1e}",
                         "-" if layer["grad_norm"] is None else f"{layer['grad_norm']:.2e}"))
        lines += format_table(rows).splitlines()
        if record["activations"]:
            rows = [("activation", "kind", "mean", "std", "dead")]
            for activation in record["activations"]:
                dead = "-" if activation["dead"] is None else f"{100 * activation['dead']:.1f}%"
                rows.append((activation["name"], activation["kind"], f"{activation['mean']:.3f}",
                             f"{activation['std']:.3f}", dead))
            lines += [""] + format_table(rows).splitlines()
        return "\n".join(lines)

    def plot(self, path=None):
        """The update/weight ratio of every weight matrix over the steps (log scale), with the 1e-3 line."""
        from graphlab.train.plots import plot_lines
        steps = [record["step"] for record in self.records]
        series = {}
        for record in self.records:
            for layer in record["layers"]:
                if len(layer["shape"]) >= 2:
                    series.setdefault(layer["name"], []).append(max(layer["update_ratio"], 1e-12))
        figure = plot_lines(series, title="update / weight ratio (healthy ~1e-3)", xlabel="step",
                            ylabel="‖ΔW‖ / ‖W‖", x=steps, logy=True)
        figure.axes[0].axhline(1e-3, color="grey", linestyle="--", linewidth=1)
        if path is not None:
            from graphlab.train.plots import save
            save(figure, path)
        return figure


