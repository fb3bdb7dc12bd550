"""SGD, with momentum (heavy ball or Nesterov), dampening and weight decay: PyTorch's rule.

    g = ∇L + λ·w                                  (weight decay: the L2 penalty's gradient)
    b = μ·b + (1 - τ)·g     (b = g at the first step)
    d = g + μ·b  (Nesterov)  or  b  (momentum)  or  g  (plain SGD)
    w = w - lr·d

The seed's worked example (E52): lr 0.1, momentum 0.9, gradients 5 then 3 give the steps
-0.5 then -0.75 (plain SGD: -0.5 then -0.3). The notes' form v = αv - η∇L, w = w + v is the
same rule with v = -lr·b while lr stays constant.

>>> import graphlab as gl
>>> w = gl.tensor([0.0], requires_grad=True)
>>> optimizer = gl.optim.SGD([w], lr=0.1, momentum=0.9)
>>> steps = []
>>> for gradient in (5.0, 3.0):
...     before = w.data.copy()
...     w.grad = np.array([gradient], dtype=np.float32)
...     optimizer.step()
...     steps.append(round(float(w.data[0] - before[0]), 6))
>>> steps
[-0.5, -0.75]
"""
from __future__ import annotations

import numpy as np

from graphlab.argcheck import real
from graphlab.optim.base import Optimizer, OptimizerError


class SGD(Optimizer):
    """Stochastic gradient descent; ``momentum`` > 0 keeps a velocity, ``nesterov`` looks ahead."""

    defaults = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                         weight_decay=weight_decay)

    @property
    def first_moment(self) -> bool:
        return any(group["momentum"] for group in self.param_groups)

    def check_hyper(self, group: dict) -> None:
        super().check_hyper(group)
        group["momentum"] = real(group["momentum"], "momentum", "SGD", 0.0, 1.0, high_open=True,
                                 rule="in [0, 1) (0.9 or 0.99 is usual)", error=OptimizerError)
        group["dampening"] = real(group["dampening"], "dampening", "SGD", 0.0, 1.0, error=OptimizerError)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise OptimizerError("SGD: nesterov=True needs momentum > 0 and dampening = 0 (the look-ahead step "
                                 "is the velocity's; PyTorch has the same rule)")

    def update(self, data, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * data
        momentum = group["momentum"]
        if momentum:
            velocity = state.get("momentum_buffer")
            if velocity is None:
                velocity = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                velocity *= momentum
                velocity += (1 - group["dampening"]) * grad
            grad = grad + momentum * velocity if group["nesterov"] else velocity
        data -= group["lr"] * grad
