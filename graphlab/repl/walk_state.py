"""The REPL's one model of "the current backward": a root, and either a finished backward (its
Trace) or a step-by-step walk in progress.

Every view reads the gradients from the tensors (``:show``, ``:graph``, ``:render``, the
toolbar), so this module keeps the tensors' ``.grad`` equal to what the walk has done so far:

* the walk starts from cleared gradients (each step shows what it adds, and nothing is counted
  twice), and ``:step`` says so in one line when it replaces a finished backward;
* a gradient shows on its node as soon as it is *received*, not only when the node's own step
  runs; at a fan-out the partial sum shows, with "partial: 1 of 2 contributions";
* going back replays the walk from the start (a walk cannot be undone in place).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

import graphlab as gl
from graphlab.autodiff.engine import graph_nodes, topological_order
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import GraphlabError


class WalkError(GraphlabError):
    """A :step that cannot be taken; the message says what to do instead."""


def clear_gradients(root: Tensor) -> int:
    """Set ``.grad`` to None on every node of ``root``'s graph; how many had one."""
    cleared = 0
    for node in graph_nodes(root):
        if node.grad is not None:
            node.grad = None
            cleared += 1
    return cleared


def has_gradients(root: Tensor) -> bool:
    return any(node.grad is not None for node in graph_nodes(root))


def contribution_counts(order: List[Tensor]) -> Dict[int, int]:
    """node id -> how many gradients it will receive: one per use as an input (``x * x`` uses x
    twice), counted over the nodes the walk visits."""
    counts: Dict[int, int] = {}
    for node in order:
        if node.creator is None:
            continue
        for parent in node.creator.inputs:
            if parent.requires_grad:
                counts[parent.id] = counts.get(parent.id, 0) + 1
    return counts


class WalkState:
    """``:step`` / ``:step back``: a BackwardWalk that can go back (by replaying from the start)
    and that writes every received gradient onto its node at once."""

    def __init__(self, root: Tensor):
        self.root = root
        self.walk = gl.backward_steps(root)      # checks the root first: a clear error, nothing cleared
        self.expected = contribution_counts(self.walk.order)
        self._restart()

    def _restart(self) -> None:
        clear_gradients(self.root)    # a walk starts from nothing, so each step shows what it adds
        self.walk = gl.backward_steps(self.root)
        self.steps: list = []
        self._received: Dict[int, Tuple[Tensor, list]] = {}   # node id -> (node, gradients so far)

    @property
    def total(self) -> int:
        return len(self.walk)

    @property
    def position(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> bool:
        return self.walk.done

    @property
    def trace(self):
        return self.walk.trace

    def forward(self):
        if self.walk.done:
            raise WalkError(f"the walk is done ({self.position} of {self.total}); :step back goes back, "
                            f":reset clears the gradients and starts again")
        self._hide_partial()          # the engine sums the contributions itself when the node's turn comes
        try:
            step = next(self.walk)
        except StopIteration:         # the nodes left receive no gradient (constants' inputs)
            raise WalkError("the walk is done: no node left receives a gradient; :reset starts again") from None
        self._record(step)
        self._show_partial()
        return step

    def back(self):
        """One step back: replay the walk from the start up to the step before this one."""
        target = max(self.position - 1, 0)
        self._restart()
        for _ in range(target):
            self._record(next(self.walk))
        self._show_partial()
        return self.steps[-1] if self.steps else None

    def _record(self, step) -> None:
        self.steps.append(step)
        self._received.pop(step.node.id, None)
        if step.is_leaf:
            return
        for parent, gradient in zip(step.inputs, step.downstream):
            if gradient is not None:
                self._received.setdefault(parent.id, (parent, []))[1].append(gradient)

    def _show_partial(self) -> None:
        for node, gradients in self._received.values():
            node.grad = np.array(sum(gradients[1:], gradients[0]), copy=True)

    def _hide_partial(self) -> None:
        for node, _ in self._received.values():
            node.grad = None

    # -- what the views ask --------------------------------------------------------------------
    def step_for(self, node: Tensor):
        return next((step for step in self.steps if step.node is node), None)

    def in_walk(self, node: Tensor) -> bool:
        return any(item is node for item in self.walk.order)

    def partial(self, node: Tensor) -> Optional[Tuple[int, int]]:
        """(received, expected) for a node that has received some but not all of its gradients."""
        entry = self._received.get(node.id)
        if entry is None:
            return None
        return len(entry[1]), self.expected.get(node.id, len(entry[1]))

    def pending(self) -> list:
        """The nodes that have received a gradient and wait for their own step, in walk order."""
        return self.walk.pending
