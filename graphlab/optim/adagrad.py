"""AdaGrad: divide each coordinate's step by the root of its summed squared gradients (E55).

    G = G + g²;   w = w - lr_t · g / (√G + ε),   lr_t = lr / (1 + (t - 1)·lr_decay)

Steep coordinates slow down, flat ones keep their pace; the sum only grows, so the steps
keep shrinking. The first step is always lr·sign(g): on f = w², w₀ = 1, lr 0.1 it gives
w = 0.9, then 0.833104 (E55).

>>> import graphlab as gl
>>> w = gl.tensor([1.0], requires_grad=True, dtype="float64")
>>> optimizer = gl.optim.AdaGrad([w], lr=0.1)
>>> for _ in range(2):
...     w.grad = 2 * w.data                      # d(w²)/dw
...     optimizer.step()
...     print(round(float(w.data[0]), 6))
0.9
0.833104
"""
from __future__ import annotations

import numpy as np

from graphlab.argcheck import real
from graphlab.optim.base import Optimizer, OptimizerError


class AdaGrad(Optimizer):
    """PyTorch's Adagrad (lr 1e-2, eps 1e-10)."""

    defaults = {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}
    second_moment = True

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)

    def check_hyper(self, group):
        super().check_hyper(group)
        group["lr_decay"] = real(group["lr_decay"], "lr_decay", "AdaGrad", 0.0, error=OptimizerError)
        group["initial_accumulator_value"] = real(group["initial_accumulator_value"], "initial_accumulator_value",
                                                  "AdaGrad", 0.0, error=OptimizerError)

    def update(self, data, grad, state, group):
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * data
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        data -= lr * grad / (np.sqrt(state["sum"]) + group["eps"])


Adagrad = AdaGrad   # PyTorch's spelling
