"""Adam (momentum + RMSProp + bias correction) and AdamW (decoupled weight decay). E56:

    m = β₁·m + (1 - β₁)·g          v = β₂·v + (1 - β₂)·g²
    m̂ = m / (1 - β₁ᵗ)              v̂ = v / (1 - β₂ᵗ)          (v̂ = max of all v so far: AMSGrad)
    w = w - lr · m̂ / (√v̂ + ε)

Both moments start at 0, so without the correction the first step is
lr·(1 - β₁)/√(1 - β₂) = 3.1623·lr whatever the gradient; with it the first step is lr·sign(g).
On f = w², w₀ = 1, lr 0.1: w = 0.9, then 0.800412 (E56). ``bias_correction=False`` shows the
uncorrected rule for the lesson (w = 0.683772 after one step); PyTorch has no such switch.

Weight decay: Adam adds λ·w to the gradient (an L2 penalty, which the adaptive scaling then
weakens for large gradients); AdamW shrinks the weights directly, w = w·(1 - lr·λ), before the
Adam step (Loshchilov & Hutter).

>>> import graphlab as gl
>>> w = gl.tensor([1.0], requires_grad=True, dtype="float64")
>>> optimizer = gl.optim.Adam([w], lr=0.1)
>>> for _ in range(2):
...     w.grad = 2 * w.data
...     optimizer.step()
...     print(round(float(w.data[0]), 6))
0.9
0.800412
"""
from __future__ import annotations

import math

import numpy as np

from graphlab.argcheck import real
from graphlab.optim.base import Optimizer, OptimizerError


class Adam(Optimizer):
    """PyTorch's Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8), with ``amsgrad``."""

    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                "bias_correction": True}
    first_moment = True
    second_moment = True
    leaky_second_moment = True
    #: AdamW: weight decay shrinks the weights instead of adding to the gradient
    decoupled_weight_decay = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, bias_correction: bool = True):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         bias_correction=bias_correction)

    @property
    def bias_correction(self) -> bool:
        return any(group["bias_correction"] for group in self.param_groups)

    def check_hyper(self, group):
        super().check_hyper(group)
        name, betas = type(self).__name__, group["betas"]
        if not isinstance(betas, (tuple, list, np.ndarray)) or len(betas) != 2 or not all(
                isinstance(beta, (int, float, np.number)) and not isinstance(beta, bool) and 0 <= beta < 1
                for beta in betas):
            shown = tuple(betas) if isinstance(betas, (tuple, list, np.ndarray)) else betas
            raise OptimizerError(f"{name}: betas={shown!r} must be two numbers in [0, 1) (the defaults are "
                                 f"0.9 and 0.999)")
        group["betas"] = tuple(betas)

    def update(self, data, grad, state, group):
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(data)
            state["exp_avg_sq"] = np.zeros_like(data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(data)
        state["step"] += 1
        step, (beta1, beta2), lr = state["step"], group["betas"], group["lr"]
        if group["weight_decay"]:
            if self.decoupled_weight_decay:
                data *= 1 - lr * group["weight_decay"]
            else:
                grad = grad + group["weight_decay"] * data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        if group["bias_correction"]:
            step_size = lr / (1 - beta1 ** step)
            root_correction = math.sqrt(1 - beta2 ** step)
        else:
            step_size, root_correction = lr, 1.0
        data -= step_size * m / (np.sqrt(v) / root_correction + group["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW: lr 1e-3, weight_decay 1e-2)."""

    defaults = {**Adam.defaults, "weight_decay": 1e-2}
    decoupled_weight_decay = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, bias_correction: bool = True):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         bias_correction=bias_correction)
