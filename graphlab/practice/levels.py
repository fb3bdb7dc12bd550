"""The five practice levels: small graphs drawn at random from a seed.

Each level's builder takes a numpy Generator and returns the graph's nodes by name, the output
last (``f`` for the scalar levels, ``L`` for the tensor ones). Values are small integers, so the
student can do the arithmetic by hand; the same level and seed always give the same graph
(one Generator, drawn in a fixed order).

>>> graph = generate(resolve_level("gates"), seed=1)
>>> graph.root.label, graph.level.number
('f', 1)
>>> generate(resolve_level("1"), seed=1).root.item() == graph.root.item()
True
"""
from __future__ import annotations

import difflib
import random
from dataclasses import dataclass
from typing import Callable, Dict, Tuple

import numpy as np

from graphlab.autodiff.creation import tensor
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import GraphlabError
from graphlab.ops.norm import BatchNorm

#: seeds go from 0 to this (what numpy's generators take)
MAX_SEED = 2 ** 32 - 1
#: a fresh seed is drawn below this, short enough to retype
FRESH_SEEDS = 10_000
#: how often a builder redraws values that make a poor question (a tie at a max, a saturated sigmoid)
MAX_REDRAWS = 200


class LevelError(GraphlabError):
    """An unknown level or a bad seed; the message lists the levels."""


@dataclass(frozen=True)
class Level:
    """A practice level: its number and name (what ``:quiz`` takes), a title, and its graph builder."""
    number: int
    name: str
    title: str
    build: Callable[[np.random.Generator], Dict[str, Tensor]]


@dataclass
class GeneratedGraph:
    """A level's graph for one seed: its nodes by name, inputs first and the output (``root``) last."""
    level: Level
    seed: int
    nodes: Dict[str, Tensor]

    @property
    def root(self) -> Tensor:
        return list(self.nodes.values())[-1]


def _leaf(value, name: str, requires_grad: bool = True) -> Tensor:
    """float64, so the answers are exact to far below the quiz's tolerance."""
    return tensor(np.asarray(value, dtype=np.float64), requires_grad=requires_grad, name=name, dtype="float64")


def _nonzero(rng: np.random.Generator, limit: int, size=None):
    """Integers from -limit to limit without 0 (a zero hides which input a gradient belongs to)."""
    choices = [value for value in range(-limit, limit + 1) if value != 0]
    return rng.choice(choices, size=size)


def _scalars(rng: np.random.Generator, names: str, limit: int) -> Dict[str, Tensor]:
    return {name: _leaf(value, name) for name, value in zip(names, _nonzero(rng, limit, len(names)))}


# -- level 1: add and mul gates (E01) -------------------------------------------------------------
def gates(rng: np.random.Generator) -> Dict[str, Tensor]:
    """One of four small add/mul graphs, such as E01's f = (x + y) * z. Redrawn until no two
    nodes before f have the same size, so a mul gate's swap shows which input is which."""
    for _ in range(MAX_REDRAWS):
        nodes = _gates_once(rng)
        sizes = [abs(node.item()) for node in list(nodes.values())[:-1]]
        if len(set(sizes)) == len(sizes):
            break
    return nodes


def _gates_once(rng: np.random.Generator) -> Dict[str, Tensor]:
    nodes = _scalars(rng, "xyzw", 5)
    x, y, z, w = nodes.values()
    variant = int(rng.integers(4))
    if variant == 0:
        del nodes["w"]
        nodes["q"] = (x + y).named("q")
        nodes["f"] = (nodes["q"] * z).named("f")
    elif variant == 1:
        del nodes["w"]
        nodes["p"] = (x * y).named("p")
        nodes["f"] = (nodes["p"] + z).named("f")
    elif variant == 2:
        nodes["q"] = (x + y).named("q")
        nodes["r"] = (z + w).named("r")
        nodes["f"] = (nodes["q"] * nodes["r"]).named("f")
    else:
        nodes["p"] = (x * y).named("p")
        nodes["q"] = (nodes["p"] + z).named("q")
        nodes["f"] = (nodes["q"] * w).named("f")
    return nodes


# -- level 2: the sigmoid neuron from primitive gates (E03) -----------------------------------------
def sigmoid(rng: np.random.Generator) -> Dict[str, Tensor]:
    """f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) as E03's gates: mul, add, *-1, exp, +1, 1/x.
    The weights are redrawn until |s| <= 3, so the sigmoid is not saturated (its gradients are
    not all near 0)."""
    for _ in range(MAX_REDRAWS):
        values = _nonzero(rng, 3, 5)
        w0, x0, w1, x1, w2 = (int(value) for value in values)
        if abs(w0 * x0 + w1 * x1 + w2) <= 3:
            break
    nodes = {name: _leaf(value, name) for name, value in zip(("w0", "x0", "w1", "x1", "w2"), values)}
    nodes["a"] = (nodes["w0"] * nodes["x0"]).named("a")
    nodes["b"] = (nodes["w1"] * nodes["x1"]).named("b")
    nodes["c"] = (nodes["a"] + nodes["b"]).named("c")
    nodes["s"] = (nodes["c"] + nodes["w2"]).named("s")
    nodes["n"] = (nodes["s"] * -1).named("n")
    nodes["e"] = nodes["n"].exp().named("e")
    nodes["d"] = (nodes["e"] + 1).named("d")
    nodes["f"] = (1 / nodes["d"]).named("f")
    return nodes


# -- level 3: max gates and fan-out (E05) --------------------------------------------------------------
def _distinct(rng: np.random.Generator, count: int, limit: int) -> list:
    """``count`` different nonzero integers: a max gate never sees a tie."""
    return [int(value) for value in rng.permutation([v for v in range(-limit, limit + 1) if v != 0])[:count]]


def fanout(rng: np.random.Generator) -> Dict[str, Tensor]:
    """A max gate and a variable used twice: E05's f = 2 (x y + max(z, w)) + x, or a smaller
    graph where x (or an intermediate q) feeds two gates."""
    variant = int(rng.integers(3))
    if variant == 0:
        nodes = {name: _leaf(value, name) for name, value in zip("xyzw", _distinct(rng, 4, 5))}
        x, y, z, w = nodes.values()
        nodes["xy"] = (x * y).named("xy")
        nodes["m"] = z.maximum(w).named("m")
        nodes["s"] = (nodes["xy"] + nodes["m"]).named("s")
        nodes["d"] = (2 * nodes["s"]).named("d")
        nodes["f"] = (nodes["d"] + x).named("f")
    elif variant == 1:
        nodes = {name: _leaf(value, name) for name, value in zip("xy", _distinct(rng, 2, 5))}
        nodes["m"] = nodes["x"].maximum(nodes["y"]).named("m")
        nodes["f"] = (nodes["m"] * nodes["x"]).named("f")
    else:
        for _ in range(MAX_REDRAWS):      # q = x + y neither 0 nor tied with z at the max gate
            values = _distinct(rng, 3, 4)
            if values[0] + values[1] not in (0, values[2]):
                break
        nodes = {name: _leaf(value, name) for name, value in zip("xyz", values)}
        nodes["q"] = (nodes["x"] + nodes["y"]).named("q")
        nodes["m"] = nodes["q"].maximum(nodes["z"]).named("m")
        nodes["f"] = (nodes["m"] * nodes["q"]).named("f")
    return nodes


# -- level 4: a two-layer MLP in vector form ------------------------------------------------------------
def mlp(rng: np.random.Generator) -> Dict[str, Tensor]:
    """L = sum(c ⊙ (relu(X W1 + b1) W2 + b2)) for a batch X of 2 rows of 3 features, a hidden
    layer of 4 and 2 outputs; c weighs the outputs (a constant, as X). Redrawn until the ReLU
    both passes and blocks, never at exactly 0."""
    for _ in range(MAX_REDRAWS):
        X, W1 = rng.integers(-2, 3, (2, 3)), rng.integers(-2, 3, (3, 4))
        b1 = rng.integers(-1, 2, 4)
        before_relu = X @ W1 + b1
        if (before_relu > 0).any() and (before_relu < 0).any() and (before_relu != 0).all():
            break
    nodes = {"X": _leaf(X, "X", requires_grad=False), "W1": _leaf(W1, "W1"), "b1": _leaf(b1, "b1")}
    nodes["a"] = (nodes["X"] @ nodes["W1"]).named("a")
    nodes["z"] = (nodes["a"] + nodes["b1"]).named("z")
    nodes["h"] = nodes["z"].relu().named("h")
    nodes["W2"] = _leaf(rng.integers(-2, 3, (4, 2)), "W2")
    nodes["b2"] = _leaf(rng.integers(-1, 2, 2), "b2")
    nodes["u"] = (nodes["h"] @ nodes["W2"]).named("u")
    nodes["s"] = (nodes["u"] + nodes["b2"]).named("s")
    nodes["c"] = _leaf(_nonzero(rng, 2, (2, 2)), "c", requires_grad=False)
    nodes["p"] = (nodes["s"] * nodes["c"]).named("p")
    nodes["L"] = nodes["p"].sum().named("L")
    return nodes


# -- level 5: batch norm's backward -----------------------------------------------------------------------
def batchnorm(rng: np.random.Generator) -> Dict[str, Tensor]:
    """L = sum(c ⊙ batch_norm(X; gamma, beta)) for a batch of 4 rows of 2 features (training
    mode: the batch's mean and variance). Each feature's values differ (a variance above 0)."""
    for _ in range(MAX_REDRAWS):
        X = rng.integers(-3, 4, (4, 2))
        if (X.std(axis=0) > 0.5).all():
            break
    nodes = {"X": _leaf(X, "X"), "gamma": _leaf(rng.integers(1, 4, 2), "gamma"),
             "beta": _leaf(rng.integers(-2, 3, 2), "beta")}
    nodes["y"] = BatchNorm.apply(nodes["X"], nodes["gamma"], nodes["beta"], running_mean=None, running_var=None,
                                 training=True).named("y")
    nodes["c"] = _leaf(_nonzero(rng, 2, (4, 2)), "c", requires_grad=False)
    nodes["p"] = (nodes["y"] * nodes["c"]).named("p")
    nodes["L"] = nodes["p"].sum().named("L")
    return nodes


LEVELS: Tuple[Level, ...] = (
    Level(1, "gates", "add and mul gates (E01)", gates),
    Level(2, "sigmoid", "the sigmoid neuron from primitive gates (E03)", sigmoid),
    Level(3, "fanout", "max gates and a variable used twice (E05)", fanout),
    Level(4, "mlp", "a 2-layer MLP in vector form: shapes first", mlp),
    Level(5, "batchnorm", "batch norm's backward on a batch of 4", batchnorm),
)


def level_list() -> str:
    """``1/gates, 2/sigmoid, ...``: how the levels are spelled on the command line."""
    return ", ".join(f"{level.number}/{level.name}" for level in LEVELS)


def resolve_level(text: str, who: str = "quiz") -> Level:
    """A level by its number or name (any case); LevelError naming the levels otherwise
    (``who`` starts the message: the command or function that was given ``text``)."""
    word = str(text).strip().lower()
    for level in LEVELS:
        if word in (str(level.number), level.name):
            return level
    close = difflib.get_close_matches(word, [level.name for level in LEVELS], n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}? " if close else ""
    raise LevelError(f"{who}: no level {text!r}; {hint}the levels are {level_list()} (a number or a name)")


def check_seed(text: str, who: str = "quiz", flag: str = "--seed ") -> int:
    """A seed from the command line (``flag``, as ``who`` spells it): a whole number from 0 to 2**32 - 1."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise LevelError(f"{who}: {flag}{text!r} is not a whole number; give a seed such as 4711") from None
    if not 0 <= seed <= MAX_SEED:
        raise LevelError(f"{who}: {flag}{seed} is out of range; give a seed from 0 to {MAX_SEED}")
    return seed


def fresh_seed() -> int:
    """A new seed each time, printed with the quiz so the student can replay the same graph."""
    return random.SystemRandom().randrange(FRESH_SEEDS)


def generate(level: Level, seed: int) -> GeneratedGraph:
    """The level's graph for ``seed``: the same graph every time for the same level and seed."""
    return GeneratedGraph(level, seed, level.build(np.random.default_rng(seed)))
