"""The lecture's graphs, built by name: the demo, the REPL's ``:lesson`` and the lessons use them.

Each builder returns the graph's nodes by name; the output is ``"f"``.

>>> import graphlab as gl
>>> nodes = gl.examples.build("scalar")
>>> nodes["f"].item(), sorted(nodes)
(-12.0, ['f', 'q', 'x', 'y', 'z'])
"""
from __future__ import annotations

from typing import Callable, Dict

from graphlab.autodiff.creation import scalar, tensor
from graphlab.autodiff.tensor import Tensor


def add_then_multiply() -> Dict[str, Tensor]:
    """E01: x = -2, y = 5, z = -4; q = x + y = 3; f = q z = -12."""
    x, y, z = scalar(-2, name="x"), scalar(5, name="y"), scalar(-4, name="z")
    q = (x + y).named("q")
    return {"x": x, "y": y, "z": z, "q": q, "f": (q * z).named("f")}


def _neuron_inputs() -> Dict[str, Tensor]:
    values = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    return {name: scalar(value, name=name) for name, value in values.items()}


def sigmoid_neuron() -> Dict[str, Tensor]:
    """E03: f = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) from primitive gates; f = 0.73."""
    nodes = _neuron_inputs()
    s = (nodes["w0"] * nodes["x0"] + nodes["w1"] * nodes["x1"] + nodes["w2"]).named("s")
    e = (-s).exp().named("e")
    nodes.update(s=s, e=e, f=(1 / (1 + e)).named("f"))
    return nodes


def sigmoid_neuron_fused() -> Dict[str, Tensor]:
    """E04: the same neuron with one sigmoid gate, whose local gradient is (1 - σ) σ = 0.20."""
    nodes = _neuron_inputs()
    s = (nodes["w0"] * nodes["x0"] + nodes["w1"] * nodes["x1"] + nodes["w2"]).named("s")
    nodes.update(s=s, f=s.sigmoid().named("f"))
    return nodes


def norm_of_product() -> Dict[str, Tensor]:
    """E12: f = ||W x||² with W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]; f = 0.116."""
    W = tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, name="W")
    x = tensor([0.2, 0.4], requires_grad=True, name="x")
    q = (W @ x).named("q")
    return {"W": W, "x": x, "q": q, "f": (q ** 2).sum().named("f")}


def gate_patterns() -> Dict[str, Tensor]:
    """E05: the lecture's pattern slide f = 2 (x y + max(z, w)) with x = 3, y = -4, z = 2, w = -1,
    plus x once more so that x fans out: add, mul, max and copy gates; f = -17."""
    x, y, z, w = scalar(3, name="x"), scalar(-4, name="y"), scalar(2, name="z"), scalar(-1, name="w")
    product = (x * y).named("xy")
    biggest = z.maximum(w).named("m")
    total = (product + biggest).named("s")
    doubled = (2 * total).named("d")
    return {"x": x, "y": y, "z": z, "w": w, "xy": product, "m": biggest, "s": total, "d": doubled,
            "f": (doubled + x).named("f")}


GRAPHS: Dict[str, tuple] = {
    "scalar": ("E01: f = (x + y) * z, x = -2, y = 5, z = -4", add_then_multiply),
    "sigmoid": ("E03: the sigmoid neuron from primitive gates", sigmoid_neuron),
    "sigmoid_fused": ("E04: the sigmoid neuron with a fused sigmoid gate", sigmoid_neuron_fused),
    "vector": ("E12: f = ||W x||², the vectorized example", norm_of_product),
    "gates": ("E05: add, mul, max and copy gates in one graph", gate_patterns),
}


def build(name: str) -> Dict[str, Tensor]:
    """The nodes of lecture graph ``name`` (see ``GRAPHS``); the output is ``nodes["f"]``."""
    try:
        builder: Callable = GRAPHS[name][1]
    except KeyError:
        raise KeyError(f"examples: no graph named {name!r}; choose one of {', '.join(GRAPHS)}") from None
    return builder()
