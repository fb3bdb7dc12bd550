"""Optimizer: parameter groups with their own hyper-parameters, ``zero_grad``, ``step`` and state.

An optimizer holds references to Tensors (anything with ``.data`` and ``.grad`` numpy arrays)
and updates ``.data`` in place from ``.grad``, off the graph. Each subclass is one small class:
its ``defaults`` (the hyper-parameters every group gets unless it sets its own) and
``update(parameter, grad, state, group)``, the rule for one tensor, written with the
variable names of the seed notes and the formulas of ``torch.optim`` (the tests compare
30-step trajectories in float64).

>>> import graphlab as gl
>>> w = gl.tensor([1.0, -2.0], requires_grad=True)
>>> b = gl.tensor([0.5], requires_grad=True)
>>> optimizer = gl.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
>>> [group["lr"] for group in optimizer.param_groups]
[0.1, 0.5]
>>> w.grad, b.grad = np.array([1.0, 1.0], dtype=np.float32), np.array([1.0], dtype=np.float32)
>>> optimizer.step()
>>> w.data, b.data
(array([ 0.9, -2.1], dtype=float32), array([0.], dtype=float32))
"""
from __future__ import annotations

import copy
import numbers
from typing import ClassVar, Iterable

import numpy as np

from graphlab.argcheck import flag, real
from graphlab.errors import GraphlabError, ShapeError
from graphlab.ops.kernels import threads


class OptimizerError(GraphlabError, ValueError):
    """A hyper-parameter out of range, parameters given twice, or a state dict that does not fit."""


def _check_parameter(parameter, where: str):
    if not hasattr(parameter, "data") or not hasattr(parameter, "grad"):
        raise OptimizerError(f"{where}: expected Tensors (with .data and .grad), got {type(parameter).__name__}; "
                             f"pass model.parameters() or a list of tensors with requires_grad=True")
    if not isinstance(parameter.data, np.ndarray) or parameter.data.dtype.kind != "f":
        raise OptimizerError(f"{where}: can only optimize float tensors, got dtype "
                             f"{getattr(parameter.data, 'dtype', type(parameter.data).__name__)}")
    return parameter


class Optimizer:
    """Base class: subclasses set ``defaults`` and write ``update`` for one parameter."""

    #: the hyper-parameters and their defaults (a group's own values override them)
    defaults: ClassVar[dict] = {}
    #: the capabilities of the seed notes' comparison table (E58)
    first_moment: ClassVar[bool] = False          # keeps a running mean of gradients (a velocity)
    second_moment: ClassVar[bool] = False         # divides element-wise by accumulated squared gradients
    leaky_second_moment: ClassVar[bool] = False   # ... with exponential forgetting (not AdaGrad's sum)
    bias_correction: ClassVar[bool] = False       # corrects the moments' start at zero (Adam)

    def __init__(self, params, **hyper):
        unknown = sorted(set(hyper) - set(self.defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown hyper-parameter(s) {', '.join(unknown)}; "
                            f"it takes {', '.join(self.defaults)}")
        self.hyper = {**self.defaults, **hyper}
        self.param_groups: list = []
        self.state: dict = {}            # id(parameter) -> per-parameter state (moment buffers, step)
        if hasattr(params, "data") or isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
            raise OptimizerError(f"{type(self).__name__}: params must be an iterable of tensors (model.parameters(), "
                                 f"a list of tensors or of parameter groups), got {type(params).__name__}")
        groups = list(params) if not isinstance(params, dict) else [params]
        if not groups:
            raise OptimizerError(f"{type(self).__name__}: got an empty parameter list; pass model.parameters() "
                                 f"(a model with no parameters has nothing to train)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- groups ---------------------------------------------------------------------------------
    def add_param_group(self, group: dict) -> None:
        """Add parameters with their own hyper-parameters (e.g. no weight decay on biases)."""
        if not isinstance(group, dict) or "params" not in group:
            raise OptimizerError(f"{type(self).__name__}: a parameter group is a dict with a 'params' key, "
                                 f"got {type(group).__name__}")
        unknown = sorted(set(group) - set(self.defaults) - {"params", "initial_lr", "name"})
        if unknown:
            raise OptimizerError(f"{type(self).__name__}: unknown hyper-parameter(s) {', '.join(unknown)} in a "
                                 f"parameter group; it takes {', '.join(self.defaults)}")
        params = group["params"]
        params = [params] if hasattr(params, "data") else list(params)
        where = f"{type(self).__name__} group {len(self.param_groups)}"
        params = [_check_parameter(parameter, where) for parameter in params]
        seen = {id(parameter) for existing in self.param_groups for parameter in existing["params"]}
        repeated = [index for index, parameter in enumerate(params) if id(parameter) in seen]
        if repeated or len({id(parameter) for parameter in params}) != len(params):
            raise OptimizerError(f"{where}: a parameter appears in more than one place (index "
                                 f"{repeated[:3] or 'repeated within the group'}); each tensor belongs to one group")
        new_group = {**self.hyper, **{key: value for key, value in group.items() if key != "params"}}
        new_group["params"] = params
        self.check_hyper(new_group)
        self.param_groups.append(new_group)

    def check_hyper(self, group: dict) -> None:
        """Reject impossible values with the rule they break (subclasses add their own)."""
        name = type(self).__name__
        group["lr"] = real(group["lr"], "lr", name, 0.0, rule=">= 0 (e.g. 1e-3)", error=OptimizerError)
        if "weight_decay" in group:
            group["weight_decay"] = real(group["weight_decay"], "weight_decay", name, 0.0, error=OptimizerError)
        if "eps" in group:
            # PyTorch's rule, eps >= 0: eps = 0 is allowed for the lessons' exact numbers (E56)
            group["eps"] = real(group["eps"], "eps", name, 0.0, error=OptimizerError,
                                rule=">= 0 (it keeps a division away from zero; 1e-8 is usual)")
        for switch in ("nesterov", "amsgrad", "bias_correction", "centered"):
            if switch in group:
                group[switch] = flag(group[switch], switch, name)

    @property
    def lr(self) -> float:
        """The first group's learning rate (most optimizers have one group)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = real(value, "lr", type(self).__name__, 0.0, error=OptimizerError)
        for group in self.param_groups:
            group["lr"] = value

    def parameters(self) -> Iterable:
        for group in self.param_groups:
            yield from group["params"]

    # -- the update -----------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget the gradients (leaves accumulate across backward calls, as in PyTorch)."""
        for parameter in self.parameters():
            parameter.grad = None

    def step(self, closure=None):
        """One update of every parameter that has a gradient (the others are left alone).

        ``closure`` (PyTorch's ``optimizer.step(closure)``): a function that zeroes the gradients,
        recomputes the loss, calls ``backward`` and returns the loss. It runs first, with
        gradients on, and ``step`` returns what it returned (None without a closure).
        """
        loss = None
        if closure is not None:
            if not callable(closure):
                raise OptimizerError(f"{type(self).__name__}.step: closure must be a function that recomputes "
                                     f"the loss, calls backward and returns the loss; got {type(closure).__name__}")
            from graphlab.config import enable_grad
            with enable_grad():
                loss = closure()
        self._update_parameters()
        return loss

    def _update_parameters(self) -> None:
        threads.busy()                  # a training step: share the cores with other graphlab runs
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                grad = np.asarray(parameter.grad)
                if grad.shape != parameter.data.shape:
                    raise ShapeError(f"{type(self).__name__}.step: gradient of shape {grad.shape} for a parameter "
                                     f"of shape {parameter.data.shape}")
                if grad.dtype != parameter.data.dtype:
                    grad = grad.astype(parameter.data.dtype)
                state = self.state.setdefault(id(parameter), {})
                self.update(parameter.data, grad, state, group)
                # the update wrote into the array in place: a graph built before this step saved
                # the old values, and backward through it now refuses instead of mixing the two
                parameter.mark_modified()

    def update(self, data: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """Change ``data`` in place from ``grad``; ``state`` is this parameter's own memory."""
        raise NotImplementedError(f"{type(self).__name__} must define update(data, grad, state, group)")

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """PyTorch's layout: ``state`` by parameter index (arrays and step counts, copied) and
        ``param_groups`` (hyper-parameters with ``params`` as those indices)."""
        index_of, groups, next_index = {}, [], 0
        for group in self.param_groups:
            indices = []
            for parameter in group["params"]:
                index_of[id(parameter)] = next_index
                indices.append(next_index)
                next_index += 1
            groups.append({**{key: copy.deepcopy(value) for key, value in group.items() if key != "params"},
                           "params": indices})
        state = {}
        for key, values in self.state.items():
            if key in index_of:
                state[index_of[key]] = {name: np.array(value, copy=True) if isinstance(value, np.ndarray) else value
                                        for name, value in values.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> "Optimizer":
        """Restore hyper-parameters and buffers. Everything is checked (group count, parameters per
        group, each buffer's shape and dtype) before anything changes, so a mismatch leaves the
        optimizer as it was."""
        self._check_state_dict(state_dict)
        parameters = list(self.parameters())
        new_state = {}
        for index, values in state_dict["state"].items():
            parameter = parameters[int(index)]
            new_state[id(parameter)] = {name: np.array(value, dtype=parameter.data.dtype, copy=True)
                                        if isinstance(value, np.ndarray) and value.ndim else _plain(value)
                                        for name, value in values.items()}
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            for key, value in saved.items():
                if key != "params":
                    group[key] = _plain(value)
        self.state = new_state
        return self

    def _check_state_dict(self, state_dict: dict) -> None:
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise OptimizerError(f"{name}: expected a dict with keys 'state' and 'param_groups' (from "
                                 f"optimizer.state_dict()), got {keys}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise OptimizerError(f"{name}: the state dict has {len(saved_groups)} parameter group(s), this "
                                 f"optimizer has {len(self.param_groups)}")
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise OptimizerError(f"{name}: group {number} has {len(saved['params'])} parameters in the state "
                                     f"dict and {len(group['params'])} here; build the optimizer over the same model")
            unknown = sorted(set(saved) - set(self.defaults) - {"params", "initial_lr", "name"})
            if unknown:
                raise OptimizerError(f"{name}: group {number} has hyper-parameters {unknown} that "
                                     f"{type(self).__name__} does not take (saved from another optimizer?)")
        parameters = list(self.parameters())
        for index, values in state_dict["state"].items():
            if not 0 <= int(index) < len(parameters):
                raise OptimizerError(f"{name}: state for parameter {index}, but there are {len(parameters)}")
            parameter = parameters[int(index)]
            for key, value in values.items():
                if isinstance(value, np.ndarray) and value.ndim:
                    if value.shape != parameter.data.shape:
                        raise OptimizerError(f"{name}: state {key!r} of parameter {index} has shape {value.shape}, "
                                             f"the parameter has {parameter.data.shape}")
                    if value.dtype != parameter.data.dtype:
                        raise OptimizerError(f"{name}: state {key!r} of parameter {index} is {value.dtype}, the "
                                             f"parameter is {parameter.data.dtype}")

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            count = sum(int(np.size(parameter.data)) for parameter in group["params"])
            settings = ", ".join(f"{key}={value}" for key, value in group.items() if key != "params")
            lines.append(f"  group {number}: {len(group['params'])} tensors, {count:,} numbers; {settings}")
        return "\n".join(lines + [")"])


def _plain(value):
    """numpy scalars (from a loaded checkpoint) back to Python numbers; tuples stay tuples."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return tuple(_plain(item) for item in value)
    if isinstance(value, numbers.Number) or value is None or isinstance(value, (str, tuple)):
        return value
    return value
