"""``gl.optim``: optimizers that update Tensors from their gradients, and learning-rate schedules.

>>> import graphlab as gl
>>> model = gl.nn.Linear(3, 2)
>>> optimizer = gl.optim.get("adam", model.parameters(), lr=1e-2)      # look up by name
>>> type(optimizer).__name__, optimizer.lr
('Adam', 0.01)
>>> print(gl.optim.capabilities())                                        # the seed's table (E58)
optimizer     first moment  element-wise 2nd moment  leaky 2nd moment  bias correction
------------  ------------  -----------------------  ----------------  ---------------
SGD           no            no                       no                no
SGD+Momentum  yes           no                       no                no
Nesterov      yes           no                       no                no
AdaGrad       no            yes                      no                no
RMSProp       no            yes                      yes               no
Adam          yes           yes                      yes               yes
"""
from __future__ import annotations

import numpy as np

from graphlab.optim import schedules
from graphlab.optim.adagrad import AdaGrad, Adagrad
from graphlab.optim.adam import Adam, AdamW
from graphlab.optim.base import Optimizer, OptimizerError
from graphlab.optim.rmsprop import RMSProp, RMSprop
from graphlab.optim.sgd import SGD
from graphlab.tables import format_table

#: every optimizer by the names the REPL, the lessons and the CLI use
OPTIMIZERS = {"sgd": SGD, "adagrad": AdaGrad, "rmsprop": RMSProp, "adam": Adam, "adamw": AdamW}

__all__ = ["Optimizer", "OptimizerError", "SGD", "AdaGrad", "Adagrad", "RMSProp", "RMSprop", "Adam", "AdamW",
           "OPTIMIZERS", "get", "register", "capabilities", "schedules"]


def register(name: str, optimizer_class: type) -> type:
    """Make a new optimizer available to ``gl.optim.get`` (and ``graphlab train --optimizer``)."""
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
        raise OptimizerError(f"register: {optimizer_class!r} is not a gl.optim.Optimizer subclass")
    OPTIMIZERS[name.lower()] = optimizer_class
    return optimizer_class


def get(name: str, params, **hyper) -> Optimizer:
    """The optimizer called ``name`` (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
    ``"rmsprop"``, ``"adam"``, ``"adamw"``), built over ``params`` with ``hyper``.

    ``"momentum"`` and ``"nesterov"`` are SGD with momentum 0.9 (unless given) and, for the
    second, the look-ahead step.
    """
    key = name.lower().replace("-", "").replace("_", "").replace(" ", "")
    if key in ("momentum", "sgdmomentum", "nesterov", "sgdnesterov"):
        hyper.setdefault("momentum", 0.9)
        if "nesterov" in key:
            hyper["nesterov"] = True
        key = "sgd"
    if key not in OPTIMIZERS:
        raise OptimizerError(f"optim.get: no optimizer {name!r}; choose from "
                             f"{', '.join(sorted(OPTIMIZERS) + ['momentum', 'nesterov'])}")
    optimizer_class = OPTIMIZERS[key]
    unknown = sorted(set(hyper) - set(optimizer_class.defaults))
    if unknown:
        raise OptimizerError(f"optim.get: {optimizer_class.__name__} does not take {', '.join(unknown)}; it takes "
                             f"{', '.join(optimizer_class.defaults)}")
    return optimizer_class(params, **hyper)


def capabilities() -> str:
    """The seed notes' comparison table (E58), read from the optimizers' own flags."""
    from graphlab.autodiff.tensor import Tensor
    rows = [("SGD", get("sgd", [Tensor(np.zeros(1))], lr=0.1)),
            ("SGD+Momentum", get("momentum", [Tensor(np.zeros(1))], lr=0.1)),
            ("Nesterov", get("nesterov", [Tensor(np.zeros(1))], lr=0.1)),
            ("AdaGrad", get("adagrad", [Tensor(np.zeros(1))])),
            ("RMSProp", get("rmsprop", [Tensor(np.zeros(1))])),
            ("Adam", get("adam", [Tensor(np.zeros(1))]))]
    header = ("optimizer", "1st moment", "per-weight 2nd moment", "leaky 2nd", "bias correction")    # 80 columns
    table = [header] + [(name, *("yes" if flag else "no" for flag in (
        optimizer.first_moment, optimizer.second_moment, optimizer.leaky_second_moment,
        optimizer.bias_correction))) for name, optimizer in rows]
    return format_table(table)
