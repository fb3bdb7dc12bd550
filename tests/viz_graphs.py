"""The graphs the diagram tests draw (ids from docs/catalogue.md), and SVG helpers."""
import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import graphlab as gl

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (bash .ci/setup installs it)")


def e01():
    """E01: f = (x + y) z with x = -2, y = 5, z = -4."""
    x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    q = (x + y).named("q")
    f = (q * z).named("f")
    return f, dict(x=x, y=y, z=z, q=q, f=f)


def e03():
    """E03: the sigmoid neuron 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) gate by gate, float64."""
    w0, x0, w1, x1, w2 = (gl.scalar(value, name=name, dtype=np.float64) for value, name in
                          [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")])
    s = (w0 * x0 + w1 * x1 + w2).named("s")
    f = (1 / (1 + (-s).exp())).named("f")
    return f, dict(w0=w0, x0=x0, w1=w1, x1=x1, w2=w2, s=s, f=f)


# E03's exact gradients (the catalogue's check column)
E03_GRADIENTS = dict(w0=-0.1966119, x0=0.3932239, w1=-0.3932239, x1=-0.5898358, w2=0.1966119)


def fan_out():
    """E05's copy gate: x = 4 read twice, the branches send back 3 and 2, x's gradient is 5."""
    x = gl.scalar(4, name="x")
    a = (x * 3).named("a")
    b = (x * 2).named("b")
    f = (a + b).named("f")
    return f, dict(x=x, a=a, b=b, f=f)


def mlp():
    """A 3-4-1 ReLU MLP on a batch of 2, mean squared output (float64, fixed numbers)."""
    X = gl.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]], name="X", dtype=np.float64)
    W1 = gl.tensor([[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8], [-0.9, 1.0, 0.1, -0.2]],
                   requires_grad=True, name="W1", dtype=np.float64)
    b1 = gl.tensor([0.1, -0.1, 0.2, 0.0], requires_grad=True, name="b1", dtype=np.float64)
    W2 = gl.tensor([[1.0], [-1.0], [0.5], [2.0]], requires_grad=True, name="W2", dtype=np.float64)
    b2 = gl.tensor([0.3], requires_grad=True, name="b2", dtype=np.float64)
    h = gl.relu(X @ W1 + b1).named("h")
    out = (h @ W2 + b2).named("out")
    loss = (out ** 2).mean().named("loss")
    return loss, dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2, h=h, out=out, loss=loss)


def scoped_mlp():
    """A 3-4-1 MLP with each layer in a scope (as nn modules will record them)."""
    X = gl.tensor([[1.0, 2.0, 0.5], [0.5, 1.0, -1.0]], name="X", dtype=np.float64)
    W1 = gl.tensor(np.full((3, 4), 0.1), requires_grad=True, name="W1", dtype=np.float64)
    b1 = gl.tensor(np.zeros(4), requires_grad=True, name="b1", dtype=np.float64)
    W2 = gl.tensor(np.full((4, 1), 0.2), requires_grad=True, name="W2", dtype=np.float64)
    with gl.scope("mlp"):
        with gl.scope("fc1"):
            hidden = X @ W1 + b1
        with gl.scope("act"):
            hidden = gl.relu(hidden)
        with gl.scope("fc2"):
            out = hidden @ W2
    loss = (out ** 2).mean().named("loss")
    return loss, dict(X=X, W1=W1, b1=b1, W2=W2, loss=loss)


GRAPHS = {"e01": e01, "e03": e03, "fan_out": fan_out, "mlp": mlp}


# -- SVG ------------------------------------------------------------------------------------------------
def svg_texts(svg: str) -> list:
    """(text, fill colour) of every <text> element of an SVG document."""
    root = ElementTree.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    return [("".join(element.itertext()).strip(), element.get("fill")) for element in root.iter(f"{SVG}text")]


def svg_strings(svg: str, color: str = None) -> list:
    return [text for text, fill in svg_texts(svg) if color is None or fill == color]


def renumbered(texts):
    """``texts`` (a string or a list of strings) with unnamed nodes' display names (``t57``,
    from the global id counter) numbered by first appearance (``t#1``): a picture or DOT text
    then does not depend on how many tensors the process made before it."""
    found = {}

    def one(text: str) -> str:
        return re.sub(r"\bt(\d+)\b", lambda match: found.setdefault(match.group(0), f"t#{len(found) + 1}"), text)
    return one(texts) if isinstance(texts, str) else [one(text) for text in texts]
