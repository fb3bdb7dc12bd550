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
NaN loss (``fit`` itself stops there by default too).

Each warning is shown once (one line above the progress bar; the ``TrainingWarning`` it also
issues is not displayed a second time unless you ask for it with a warnings filter), and the
learning-rate diagnosis stays coherent: once the monitor has said "too high" (an exploding or
NaN loss, huge updates) it does not say "too low" later in the same run, and the other way round.

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

from graphlab.argcheck import ArgumentError, flag, positive_int, probability, real
from graphlab.train.callbacks import Callback
from graphlab.tables import format_table

RELU_LIKE = ("ReLU",)
ACTIVATIONS = ("ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Tanh", "Sigmoid", "Maxout")


class TrainingWarning(UserWarning):
    """Something in a training run looks wrong (NaN loss, exploding loss, odd update ratios, dead ReLUs)."""


# The monitor prints every warning itself (above the progress bar); Python's default display
# would print it a second time with an internal file path. Appended, so any filter the user
# sets (pytest.warns, "error", "always") takes precedence.
warnings.simplefilter("ignore", TrainingWarning, append=True)

#: the learning-rate verdict each kind of warning implies
_VERDICT = {"nan": "high", "explode": "high", "high": "high", "low": "low"}


def _ratio_range(value) -> tuple:
    """(low, high): two positive numbers, low < high."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ArgumentError(f"HealthMonitor: ratio_range must be two numbers (low, high) such as (1e-5, 1e-1), "
                            f"got {value!r}")
    low, high = (real(bound, "ratio_range", "HealthMonitor", 0.0, low_open=True) for bound in value)
    if low >= high:
        raise ArgumentError(f"HealthMonitor: ratio_range={tuple(value)} must have low < high")
    return low, high


class HealthMonitor(Callback):
    """Per-layer update/weight ratios, gradient norms and activation statistics, with warnings."""

    def __init__(self, every: int = 50, ratio_range: tuple = (1e-5, 1e-1), dead_limit: float = 0.5,
                 explode_factor: float = 3.0, stop_on_nan: bool = True):
        self.every = positive_int(every, "every", "HealthMonitor")
        self.ratio_range = _ratio_range(ratio_range)
        self.dead_limit = probability(dead_limit, "dead_limit", "HealthMonitor")
        self.explode_factor = real(explode_factor, "explode_factor", "HealthMonitor", 1.0, low_open=True)
        self.stop_on_nan = flag(stop_on_nan, "stop_on_nan", "HealthMonitor")
        #: "high" or "low" once the monitor has judged the learning rate (it never says both)
        self.lr_verdict: Optional[str] = None
        self.records: list = []
        self.warnings: list = []
        self._said: set = set()
        self.first_loss: Optional[float] = None
        self.capturing = False

    # -- wiring into the model ---------------------------------------------------------------------
    def on_train_begin(self, trainer):
        self.model = trainer.model
        self.first_loss = None
        self.lr_verdict = None
        self._said = set()
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
        """Say it once per kind: a line above the bar, the list, and a TrainingWarning. A learning-rate
        diagnosis that contradicts an earlier one is left out (after "the loss exploded, lower the lr",
        small updates are the explosion's aftermath, not a sign that the lr is too low)."""
        verdict = _VERDICT.get(kind)
        if kind in self._said or (verdict and self.lr_verdict not in (None, verdict)):
            return
        self._said.add(kind)
        if verdict:
            self.lr_verdict = verdict
        self.warnings.append(message)
        trainer.log(f"health: {message}")
        warnings.warn(message, TrainingWarning, stacklevel=2)

    def _check_loss(self, trainer, loss: float) -> None:
        where = f"epoch {trainer.epoch}, step {trainer.step}"
        if not math.isfinite(loss):
            self.warn(trainer, "nan", f"the loss is {loss} at {where}. The learning rate "
                                      f"({trainer.optimizer.lr:g}) is probably too high, or the initialization is "
                                      f"bad (E74); lower the lr by 10x and restart")
            if self.stop_on_nan and not trainer.stop:
                trainer.stop = True
                trainer.history.stopped = trainer.history.stopped or f"stopped at {where}: the loss is {loss}"
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
        """One warning per kind for the whole record (the layers listed together), then dead ReLUs."""
        step, lr = record["step"], trainer.optimizer.lr
        verdicts = self._layer_verdicts(record)
        if verdicts["grad"]:
            self.warn(trainer, "grad", f"the gradient of {_listed(verdicts['grad'])} is not finite at step {step}")
        if verdicts["high"]:
            self.warn(trainer, "high", f"the update of {_listed(verdicts['high'])} at step {step} is "
                                       f"{_ratios(verdicts['high'])}, far above the healthy ~1e-3 (E79): the "
                                       f"learning rate ({lr:g}) is too high")
        elif verdicts["low"]:
            self.warn(trainer, "low", f"the update of {_listed(verdicts['low'])} at step {step} is "
                                      f"{_ratios(verdicts['low'])}, far below the healthy ~1e-3 (E79): the learning "
                                      f"rate ({lr:g}) is too low")
        for activation in record["activations"]:
            if activation["dead"] is not None and activation["dead"] > self.dead_limit:
                self.warn(trainer, f"dead:{activation['name']}",
                          f"{100 * activation['dead']:.0f}% of the ReLUs in {activation['name']} are dead (0 for the "
                          f"whole batch) at step {step}: lower the learning rate or check the init")

    def _layer_verdicts(self, record: dict) -> dict:
        """The weight matrices of a record by verdict: non-finite gradient, update too high, too low."""
        low, high = self.ratio_range
        verdicts = {"grad": [], "high": [], "low": []}
        for layer in record["layers"]:
            if len(layer["shape"]) < 2:                   # biases and norm scales start at 0 or 1: skip
                continue
            if record["step"] == 1 and math.isfinite(layer["grad_norm"] or 0):
                continue                                  # the first step is special (Adam's is lr·sign(g))
            ratio = layer["update_ratio"]
            if layer["grad_norm"] is not None and not math.isfinite(layer["grad_norm"]):
                verdicts["grad"].append((layer["name"], ratio))
            elif ratio > high:
                verdicts["high"].append((layer["name"], ratio))
            elif 0 < ratio < low or (ratio == 0 and layer["grad_norm"]):
                verdicts["low"].append((layer["name"], ratio))
        return verdicts

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


def _listed(layers: list) -> str:
    names = [name for name, _ in layers]
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _ratios(layers: list) -> str:
    """The update/weight ratio in words: "1.0e-01 of its size" or "1.0e-01 to 3.0e+00 of their size"."""
    ratios = [ratio for _, ratio in layers]
    low, high = min(ratios), max(ratios)
    return f"{low:.1e} of its size" if len(ratios) == 1 else f"{low:.1e} to {high:.1e} of their size"
