"""RMSProp, "leaky AdaGrad": an exponential average of squared gradients instead of their sum (E55).

    G = α·G + (1 - α)·g²;   w = w - lr · g / (√G + ε)
    (centered: √(G - ḡ²) with ḡ the average gradient; momentum: b = μ·b + g/(√G + ε), w -= lr·b)

On f = w², w₀ = 1, lr 0.1, α = 0.9: G = 0.4, w = 0.683772; then G = 0.547018, w = 0.498871 (E55).
The notes write √(G + ε); PyTorch (and graphlab) add ε after the root; with ε = 1e-8 the
numbers agree to 1e-7.

>>> import graphlab as gl
>>> w = gl.tensor([1.0], requires_grad=True, dtype="float64")
>>> optimizer = gl.optim.RMSProp([w], lr=0.1, alpha=0.9)
>>> for _ in range(2):
...     w.grad = 2 * w.data
...     optimizer.step()
...     print(round(float(w.data[0]), 6))
0.683772
0.498871
"""
from __future__ import annotations

import numpy as np

from graphlab.argcheck import real
from graphlab.optim.base import Optimizer, OptimizerError


class RMSProp(Optimizer):
    """PyTorch's RMSprop (lr 1e-2, alpha 0.99, eps 1e-8)."""

    defaults = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}
    second_moment = True
    leaky_second_moment = True

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                         centered=centered)

    @property
    def first_moment(self) -> bool:
        return any(group["momentum"] for group in self.param_groups)

    def check_hyper(self, group):
        super().check_hyper(group)
        group["alpha"] = real(group["alpha"], "alpha", "RMSProp", 0.0, 1.0,
                              rule="a decay rate in [0, 1] (0.9 or 0.99 is usual)", error=OptimizerError)
        group["momentum"] = real(group["momentum"], "momentum", "RMSProp", 0.0, 1.0, high_open=True,
                                 error=OptimizerError)

    def update(self, data, grad, state, group):
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(data)
            if group["momentum"]:
                state["momentum_buffer"] = np.zeros_like(data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(data)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * data
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = np.sqrt(square_avg) + group["eps"]
        if group["momentum"]:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / denominator
            data -= group["lr"] * buffer
        else:
            data -= group["lr"] * grad / denominator


RMSprop = RMSProp   # PyTorch's spelling
