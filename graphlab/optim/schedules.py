"""Learning-rate schedules (E61-E64): each sets the optimizer's lr from a step counter t.

A schedule is bound to an optimizer; ``step()`` advances t (once per epoch by default: the
trainer follows ``schedule.interval``, ``"epoch"`` or ``"step"``) and writes
``lr_at(t, base_lr)`` into every parameter group, each group from its own starting lr. The
closed forms are those of ``torch.optim.lr_scheduler`` where PyTorch has the same schedule
(the tests compare them), and of the seed notes otherwise:

* ``StepLR``: lr₀·γ^⌊t/step⌋ (ResNet: x0.1 every 30 epochs, E61); ``MultiStepLR`` at given milestones
  (DenseNet: /10 at 50% and 75% of the epochs, E64).
* ``ExponentialLR``: lr₀·γᵗ.
* ``CosineAnnealing``: η_min + (lr₀ - η_min)·(1 + cos(πt/T))/2, and with ``restarts`` SGDR's
  warm restarts (period T, then T·mult, ...).
* ``LinearDecay``: lr₀·(1 - t/T) (to ``end_factor``·lr₀); ``InverseSqrt``: lr₀/√t; ``Constant``.
* ``LinearWarmup(inner, warmup)``: from ``start_factor``·lr₀ up to lr₀ over ``warmup`` steps, then
  ``inner`` from its own t = 0 (E63: lr(2500) = lr₀/2 for a 5000-step warm-up).
* ``ReduceLROnPlateau``: multiply by ``factor`` when a metric stopped improving for ``patience`` epochs.

``schedule.plot()`` draws the curve (matplotlib).

>>> import graphlab as gl
>>> w = gl.tensor([1.0], requires_grad=True)
>>> optimizer = gl.optim.SGD([w], lr=0.1)
>>> schedule = gl.optim.schedules.CosineAnnealing(optimizer, T=100)
>>> [round(schedule.lr_at(t), 7) for t in (1, 25, 50, 75, 100)]                # E62
[0.099975, 0.0853553, 0.05, 0.0146447, 0.0]
>>> for epoch in range(50):
...     schedule.step()
>>> round(optimizer.lr, 6)
0.05
"""
from __future__ import annotations

import bisect
import math
from typing import Optional, Sequence

from graphlab.argcheck import flag, non_negative_int, positive_int, real
from graphlab.optim.base import Optimizer, OptimizerError


def _positive_int(value, argument: str, where: str) -> int:
    return positive_int(value, argument, where, error=OptimizerError)


def _rate(value, argument: str, where: str, **limits) -> float:
    """A finite number (by default >= 0), as an OptimizerError naming the argument otherwise."""
    limits.setdefault("low", 0.0)
    return real(value, argument, where, error=OptimizerError, **limits)


def _decayed(base_lr: float, gamma: float, power: int, where: str) -> float:
    """lr₀·γᵖ, as an OptimizerError naming gamma when it leaves the floats (a γ > 1 grows the lr
    geometrically: 1e77⁴ is past float64's 1.8e308, where Python's ``**`` raises OverflowError)."""
    try:
        lr = base_lr * gamma ** power
    except OverflowError:
        lr = math.inf
    if not math.isfinite(lr):
        raise OptimizerError(f"{where}: the lr lr0*gamma**{power} overflows at gamma={gamma!r}; "
                             f"use gamma <= 1 (a decay) or a smaller gamma")
    return lr


class Schedule:
    """Base class: subclasses define ``lr_at(t, base_lr)`` (a pure function of the step t)."""

    #: how often the trainer calls ``step()``: after every "epoch" or after every "step" (batch)
    interval = "epoch"

    def __init__(self, optimizer: Optional[Optimizer] = None, base_lr: Optional[float] = None,
                 interval: Optional[str] = None):
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise OptimizerError(f"{type(self).__name__}: the first argument is the optimizer whose lr it sets, "
                                 f"got {type(optimizer).__name__}")
        if base_lr is not None:
            base_lr = _rate(base_lr, "base_lr", type(self).__name__)
        if interval is not None:
            if interval not in ("epoch", "step"):
                raise OptimizerError(f"{type(self).__name__}: interval must be 'epoch' or 'step', got {interval!r}")
            self.interval = interval
        self.optimizer = optimizer
        if optimizer is not None:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
            self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        else:
            self.base_lrs = [1.0 if base_lr is None else base_lr]
        if base_lr is not None:
            self.base_lrs = [base_lr] * len(self.base_lrs)
        self.t = 0
        self.history: list = []
        self._apply()

    # -- the curve ------------------------------------------------------------------------------
    @property
    def base_lr(self) -> float:
        return self.base_lrs[0]

    def lr_at(self, t: int, base_lr: Optional[float] = None) -> float:
        """The learning rate at step t for a starting rate ``base_lr`` (default: the first group's)."""
        raise NotImplementedError

    def _base(self, base_lr):
        return self.base_lr if base_lr is None else base_lr

    # -- driving an optimizer -------------------------------------------------------------------
    def step(self, metric: Optional[float] = None) -> None:
        """Advance one epoch (or batch) and set the new lr (``metric`` is for ReduceLROnPlateau)."""
        self.t += 1
        self._apply()

    def _apply(self) -> None:
        lrs = [self.lr_at(self.t, base) for base in self.base_lrs]
        if self.optimizer is not None:
            for group, lr in zip(self.optimizer.param_groups, lrs):
                group["lr"] = lr
        self.history.append(lrs[0])

    def get_last_lr(self) -> list:
        if self.optimizer is None:
            return [self.lr_at(self.t, base) for base in self.base_lrs]
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {"t": self.t, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict) -> "Schedule":
        self.t = int(state["t"])
        self.base_lrs = [float(lr) for lr in state["base_lrs"]]
        self._apply()
        return self

    # -- pictures -------------------------------------------------------------------------------
    def curve(self, steps: int, base_lr: Optional[float] = None) -> list:
        """lr_at(0), ..., lr_at(steps - 1)."""
        return [self.lr_at(t, base_lr) for t in range(steps)]

    def plot(self, steps: Optional[int] = None, path=None, base_lr: Optional[float] = None, ax=None):
        """Draw lr against t (over ``steps``, default: the natural length of the schedule) and
        return the matplotlib Figure; ``path`` also writes it (png, svg, pdf)."""
        from graphlab.train.plots import plot_lines
        steps = steps or self.default_steps()
        return plot_lines({type(self).__name__: self.curve(steps, base_lr)}, title=repr(self),
                          xlabel="epoch" if self.interval == "epoch" else "step", ylabel="learning rate",
                          path=path, ax=ax)

    def default_steps(self) -> int:
        return 100

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value}" for key, value in self.settings().items())
        return f"{type(self).__name__}({settings})"

    def settings(self) -> dict:
        return {}


class Constant(Schedule):
    """lr₀ at every step: the most common schedule, fine for Adam and RMSProp (E62)."""

    def lr_at(self, t, base_lr=None):
        return self._base(base_lr)


class StepLR(Schedule):
    """lr₀·γ^⌊t / step_size⌋: ResNet's x0.1 every 30 epochs (E61)."""

    def __init__(self, optimizer=None, step_size: int = 30, gamma: float = 0.1, **options):
        self.step_size = _positive_int(step_size, "step_size", "StepLR")
        self.gamma = _rate(gamma, "gamma", "StepLR", low_open=True, rule="> 0 (0.1 divides the lr by 10)")
        super().__init__(optimizer, **options)

    def lr_at(self, t, base_lr=None):
        return _decayed(self._base(base_lr), self.gamma, t // self.step_size, "StepLR")

    def default_steps(self):
        return 3 * self.step_size

    def settings(self):
        return {"step_size": self.step_size, "gamma": self.gamma}


class MultiStepLR(Schedule):
    """lr₀·γ^(number of milestones ≤ t): DenseNet divides by 10 at 50% and 75% of training (E64)."""

    def __init__(self, optimizer=None, milestones: Sequence[int] = (), gamma: float = 0.1, **options):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise OptimizerError(f"MultiStepLR: milestones must be a list of epochs such as [50, 75], got "
                                 f"{milestones!r}")
        self.milestones = sorted(non_negative_int(milestone, "milestones", "MultiStepLR", error=OptimizerError)
                                 for milestone in milestones)
        self.gamma = _rate(gamma, "gamma", "MultiStepLR", low_open=True, rule="> 0 (0.1 divides the lr by 10)")
        super().__init__(optimizer, **options)

    def lr_at(self, t, base_lr=None):
        return _decayed(self._base(base_lr), self.gamma, bisect.bisect_right(self.milestones, t), "MultiStepLR")

    def default_steps(self):
        return int(self.milestones[-1] * 4 / 3) + 1 if self.milestones else 100

    def settings(self):
        return {"milestones": self.milestones, "gamma": self.gamma}


class ExponentialLR(Schedule):
    """lr₀·γᵗ."""

    def __init__(self, optimizer=None, gamma: float = 0.95, **options):
        self.gamma = _rate(gamma, "gamma", "ExponentialLR", low_open=True,
                           rule="> 0 (the factor per step, e.g. 0.95)")
        super().__init__(optimizer, **options)

    def lr_at(self, t, base_lr=None):
        return _decayed(self._base(base_lr), self.gamma, t, "ExponentialLR")

    def settings(self):
        return {"gamma": self.gamma}


class CosineAnnealing(Schedule):
    """η_min + (lr₀ - η_min)(1 + cos(π t / T)) / 2, reaching η_min at t = T (E62).

    ``restarts=True``: SGDR's warm restarts (PyTorch's CosineAnnealingWarmRestarts): the
    cosine starts again at lr₀ after T steps, the next period lasting T·mult.
    """

    def __init__(self, optimizer=None, T: int = 100, eta_min: float = 0.0, restarts: bool = False, mult: int = 1,
                 **options):
        self.T, self.mult = _positive_int(T, "T", "CosineAnnealing"), _positive_int(mult, "mult", "CosineAnnealing")
        self.eta_min = _rate(eta_min, "eta_min", "CosineAnnealing")
        self.restarts = flag(restarts, "restarts", "CosineAnnealing")
        super().__init__(optimizer, **options)

    def position(self, t: int) -> tuple:
        """(steps since the last restart, length of the current period)."""
        if not self.restarts:
            return t, self.T
        if self.mult == 1:
            return t % self.T, self.T
        cycle = int(math.log(t / self.T * (self.mult - 1) + 1, self.mult)) if t >= self.T else 0
        start = self.T * (self.mult ** cycle - 1) // (self.mult - 1)
        return t - start, self.T * self.mult ** cycle

    def lr_at(self, t, base_lr=None):
        base = self._base(base_lr)
        since, period = self.position(t)
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * since / period)) / 2

    def default_steps(self):
        return self.T + 1 if not self.restarts else self.T * (1 + self.mult + self.mult ** 2)

    def settings(self):
        settings = {"T": self.T, "eta_min": self.eta_min}
        if self.restarts:
            settings.update(restarts=True, mult=self.mult)
        return settings


class LinearDecay(Schedule):
    """lr₀·(1 - (1 - end_factor)·t/T), constant after T: a straight line to ``end_factor``·lr₀ (E62).
    PyTorch's LinearLR(start_factor=1, end_factor, total_iters=T)."""

    def __init__(self, optimizer=None, T: int = 100, end_factor: float = 0.0, **options):
        self.T = _positive_int(T, "T", "LinearDecay")
        self.end_factor = _rate(end_factor, "end_factor", "LinearDecay", high=1.0)
        super().__init__(optimizer, **options)

    def lr_at(self, t, base_lr=None):
        return self._base(base_lr) * (1 - (1 - self.end_factor) * min(t, self.T) / self.T)

    def default_steps(self):
        return self.T + 1

    def settings(self):
        return {"T": self.T, "end_factor": self.end_factor}


class InverseSqrt(Schedule):
    """lr₀/√t (t ≥ 1; t = 0 uses lr₀): fast early decay, rarely used (E62)."""

    def lr_at(self, t, base_lr=None):
        return self._base(base_lr) / math.sqrt(max(t, 1))


class LinearWarmup(Schedule):
    """From ``start_factor``·lr₀ up to lr₀ in a straight line over ``warmup`` steps, then ``inner``
    (any schedule, default constant) from its own t = 0 (Goyal et al.; E63).

    Built around a schedule that is not bound to an optimizer, e.g.
    ``LinearWarmup(optimizer, CosineAnnealing(T=90), warmup=10)``; PyTorch's equivalent is
    ``SequentialLR([LinearLR(start_factor, 1, warmup), inner], milestones=[warmup])``.
    """

    def __init__(self, optimizer=None, inner: Optional[Schedule] = None, warmup: int = 5,
                 start_factor: float = 0.0, **options):
        warmup = _positive_int(warmup, "warmup", "LinearWarmup")
        start_factor = _rate(start_factor, "start_factor", "LinearWarmup", high=1.0)
        if inner is not None and not isinstance(inner, Schedule):
            raise OptimizerError(f"LinearWarmup: inner must be a schedule such as CosineAnnealing(T=90), got "
                                 f"{type(inner).__name__}")
        if isinstance(inner, ReduceLROnPlateau):
            raise OptimizerError("LinearWarmup: ReduceLROnPlateau follows a metric, not the clock, so it cannot "
                                 "run inside a warm-up; use it on its own")
        if inner is not None and inner.optimizer is not None:
            raise OptimizerError("LinearWarmup: build the inner schedule without an optimizer "
                                 "(LinearWarmup sets the lr; e.g. CosineAnnealing(T=90), not CosineAnnealing(opt, T=90))")
        self.inner = inner if inner is not None else Constant()
        self.warmup, self.start_factor = int(warmup), start_factor
        if "interval" not in options and inner is not None:
            options["interval"] = inner.interval
        super().__init__(optimizer, **options)

    def lr_at(self, t, base_lr=None):
        base = self._base(base_lr)
        if t < self.warmup:
            return base * (self.start_factor + (1 - self.start_factor) * t / self.warmup)
        return self.inner.lr_at(t - self.warmup, base)

    def default_steps(self):
        return self.warmup + self.inner.default_steps()

    def settings(self):
        return {"inner": self.inner, "warmup": self.warmup, "start_factor": self.start_factor}


class ReduceLROnPlateau(Schedule):
    """Multiply the lr by ``factor`` once the metric has not improved for ``patience`` epochs
    ("decay when the loss has stopped improving", E61). PyTorch's rule and defaults: improvement
    means better than the best by more than ``threshold`` (relative or absolute); after a
    reduction, wait ``cooldown`` epochs; never go below ``min_lr``.
    """

    def __init__(self, optimizer=None, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr: float = 0.0,
                 eps: float = 1e-8, **options):
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise OptimizerError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode 'rel' or "
                                 f"'abs', got {mode!r} and {threshold_mode!r}")
        where = "ReduceLROnPlateau"
        factor = _rate(factor, "factor", where, high=1.0, high_open=True)
        self.mode, self.factor = mode, factor
        self.patience = non_negative_int(patience, "patience", where, error=OptimizerError)
        self.threshold, self.threshold_mode = _rate(threshold, "threshold", where), threshold_mode
        self.cooldown = non_negative_int(cooldown, "cooldown", where, error=OptimizerError)
        self.min_lr, self.eps = _rate(min_lr, "min_lr", where), _rate(eps, "eps", where)
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0
        self.cooldown_left = 0
        self.reductions = 0
        super().__init__(optimizer, **options)
        self.lrs = list(self.base_lrs)

    def lr_at(self, t, base_lr=None):
        """The lr after the reductions so far (it depends on the metrics seen, not on t alone)."""
        return self._base(base_lr) * self.factor ** self.reductions

    def _apply(self):
        if not hasattr(self, "lrs"):
            return super()._apply()
        if self.optimizer is not None:
            for group, lr in zip(self.optimizer.param_groups, self.lrs):
                group["lr"] = lr
        self.history.append(self.lrs[0])

    def improved(self, metric: float) -> bool:
        """PyTorch's test: better than best·(1 ∓ threshold) (rel) or best ∓ threshold (abs)."""
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            return metric < bar
        bar = self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        return metric > bar

    def step(self, metric: Optional[float] = None) -> None:
        if metric is None:
            raise OptimizerError("ReduceLROnPlateau.step needs the metric it watches, e.g. "
                                 "schedule.step(validation_loss)")
        if isinstance(metric, (str, bytes, bool)) or not hasattr(metric, "__float__"):
            raise OptimizerError(f"ReduceLROnPlateau.step: metric must be a number (the loss it watches), got "
                                 f"{type(metric).__name__}")
        metric = float(metric)
        self.t += 1
        if self.improved(metric):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            reduced = False
            for index, lr in enumerate(self.lrs):
                new_lr = max(lr * self.factor, self.min_lr)
                if lr - new_lr > self.eps:
                    self.lrs[index] = new_lr
                    reduced = True
            if reduced:
                self.reductions += 1
            self.cooldown_left, self.bad_epochs = self.cooldown, 0
        self._apply()

    def get_last_lr(self):
        return list(self.lrs)

    def state_dict(self):
        return {**super().state_dict(), "best": self.best, "bad_epochs": self.bad_epochs,
                "cooldown_left": self.cooldown_left, "lrs": list(self.lrs), "reductions": self.reductions}

    def load_state_dict(self, state):
        self.best, self.bad_epochs = float(state["best"]), int(state["bad_epochs"])
        self.cooldown_left, self.reductions = int(state["cooldown_left"]), int(state["reductions"])
        self.lrs = [float(lr) for lr in state["lrs"]]
        return super().load_state_dict(state)

    def curve(self, steps, base_lr=None):
        """The lrs it has set so far (a plateau schedule has no closed form)."""
        return list(self.history[:steps] if steps else self.history)

    def default_steps(self):
        return len(self.history)

    def settings(self):
        return {"mode": self.mode, "factor": self.factor, "patience": self.patience}


#: schedules by the names the CLI uses
SCHEDULES = {"constant": Constant, "step": StepLR, "multistep": MultiStepLR, "exponential": ExponentialLR,
             "cosine": CosineAnnealing, "linear": LinearDecay, "invsqrt": InverseSqrt, "plateau": ReduceLROnPlateau}


def get(name: str, optimizer: Optional[Optimizer] = None, warmup: int = 0, **settings) -> Schedule:
    """The schedule called ``name`` (see ``SCHEDULES``), with a linear warm-up of ``warmup`` steps."""
    if not isinstance(name, str):
        raise OptimizerError(f"schedules.get: name must be a schedule name such as 'cosine', got {name!r}")
    warmup = non_negative_int(warmup, "warmup", "schedules.get", error=OptimizerError)
    key = name.lower().replace("-", "").replace("_", "")
    if key not in SCHEDULES:
        raise OptimizerError(f"schedules.get: no schedule {name!r}; choose from {', '.join(SCHEDULES)}")
    if warmup:
        return LinearWarmup(optimizer, SCHEDULES[key](**settings), warmup=warmup)
    return SCHEDULES[key](optimizer, **settings)
