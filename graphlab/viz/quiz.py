"""``gl.quiz(f)``: practice the chain rule on a graph, in a notebook or a browser.

The quiz is the backward walk's page (``walk_page.py``) with its quiz on from the start: at
each Step that sends gradient, the student types each input's downstream gradient, is told
upstream × local (or the vectorized rule) and the gate pattern when wrong, sees the answer
after three wrong tries, and the page keeps ``score N/M``. The answers are the engine's own
gradients, computed here and embedded in the page; nothing runs in a kernel or a server.

The page is built from a Trace (``quiz_from_trace``), so a generated practice graph (a level
and a seed) only has to supply its Trace.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from graphlab.autodiff.engine import BackwardWalk
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.trace import Trace
from graphlab.errors import BackwardError
from graphlab.viz import walk_page
from graphlab.viz.dot import RenderError, _check_options
from graphlab.viz.graph import VizError
from graphlab.viz.walk import Walk, draw_walk

WHO = "gl.quiz"


class Quiz:
    """A quiz on one backward walk: displays itself in a notebook (the page, quiz on);
    ``save(path)`` writes the same page as a standalone HTML file. ``questions`` lists
    ``(step index, question)`` with the expected numbers (``questions.step_questions``)."""

    def __init__(self, walk: Walk):
        self.walk = walk
        self.questions = [(index, question) for index, step in enumerate(walk.quiz["steps"])
                          for question in step["questions"]]

    def __len__(self) -> int:
        return len(self.questions)

    @property
    def html(self) -> str:
        """The standalone page: frames inline, the quiz on."""
        return self.walk.page(quiz_on=True)

    def save(self, path) -> Path:
        """Write the page to ``path`` (an ``.html`` file) and return the path: open it in any
        browser, no server needed."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise RenderError(f"{WHO}: save writes an HTML page; give a path ending in .html, not {path}")
        if not path.parent.exists():
            raise RenderError(f"{WHO}: the folder {path.parent} does not exist; create it first or choose another path")
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return walk_page.iframe(self.html, "quiz")

    def __repr__(self) -> str:
        root = self.walk.frames[0].node
        return (f"<Quiz on {root}: {len(self)} questions in {len(self.walk)} steps. Show it as the last line "
                f"of a notebook cell, or quiz.save('quiz.html') and open the file in a browser>")


def quiz(root_or_trace=None, *, level=None, seed: Optional[int] = None, rankdir: str = "LR",
         patterns: bool = False, precision: int = 4, max_nodes: Optional[int] = 150) -> Quiz:
    """Practice the backward pass of ``root_or_trace``: the walk's page with the quiz on.

    ``root_or_trace`` is the output Tensor (one number; or any shape once a backward gave it a
    ``.grad``, which then seeds the walk) or the Trace of a backward that already ran. From a
    Tensor the walk runs on the graph itself with ``store_grads=False``: no ``.grad`` of any
    node changes (call it before or after ``backward``, leaves do not accumulate twice).
    Instead of a graph, ``level`` (1-5 or ``"gates"``, ``"sigmoid"``, ``"fanout"``, ``"mlp"``,
    ``"batchnorm"``) and ``seed`` give the practice graph ``:quiz LEVEL --seed N`` asks about.
    ``patterns`` writes each gate's pattern on the frames; the rest as ``gl.walk``.
    Needs Graphviz's ``dot`` (the frames are drawn like ``gl.walk``'s).
    """
    _check_options("both", rankdir, precision)
    if (root_or_trace is None) == (level is None):
        raise VizError(f"{WHO}: give either a graph (gl.quiz(f)) or a practice level (gl.quiz(level='gates', "
                       f"seed=4711)), {'not both' if level is not None else 'got neither'}")
    if level is not None:
        root_or_trace = _practice_graph(level, seed)
    elif seed is not None:
        raise VizError(f"{WHO}: seed= chooses a practice level's graph; use it with level=, e.g. "
                       f"gl.quiz(level='gates', seed={seed})")
    return quiz_from_trace(_trace(root_or_trace), rankdir=rankdir, patterns=patterns, precision=precision,
                           max_nodes=max_nodes)


def _practice_graph(level, seed: Optional[int]) -> Tensor:
    """The root of practice level ``level``'s graph for ``seed`` (the REPL's ``:quiz`` levels)."""
    from graphlab.practice import levels     # the practice package loads only for this
    try:
        chosen = levels.resolve_level(level, WHO)
        seed = levels.fresh_seed() if seed is None else levels.check_seed(seed, WHO, "seed=")
    except levels.LevelError as error:
        raise VizError(str(error)) from None
    return levels.generate(chosen, seed).root


def quiz_from_trace(trace: Trace, *, rankdir: str = "LR", patterns: bool = False, precision: int = 4,
                    max_nodes: Optional[int] = 150) -> Quiz:
    """The Quiz over ``trace`` (a full backward walk, output first)."""
    options = dict(show="both", rankdir=rankdir, patterns=patterns, precision=precision)
    walk = draw_walk(trace, options, max_nodes, who=WHO)
    walk.title = f"Practice the backward walk of {walk.frames[0].node}"
    result = Quiz(walk)
    if not len(result):
        raise VizError(f"{WHO}: no step of this walk sends a gradient to an input that needs one, so there is "
                       f"nothing to ask; build the graph from tensors with requires_grad=True")
    return result


def _trace(root_or_trace) -> Trace:
    """The Trace to quiz on, or an error naming gl.quiz, the argument and the fix."""
    if isinstance(root_or_trace, Trace):
        if not len(root_or_trace):
            raise VizError(f"{WHO}: the Trace is empty; pass the output tensor (gl.quiz(f)) instead")
        return root_or_trace
    if not isinstance(root_or_trace, Tensor):
        raise VizError(f"{WHO}: expected the output Tensor (gl.quiz(f)) or the Trace of its backward "
                       f"(gl.quiz(f.backward())), got {type(root_or_trace).__name__}")
    root = root_or_trace
    if not root.requires_grad:
        raise VizError(f"{WHO}: {root.label} does not require grad (no leaf it was computed from does), so no "
                       f"gradient flows; create the leaves with requires_grad=True (gl.scalar does by default)")
    if root.creator is None:
        raise VizError(f"{WHO}: {root.label} is a leaf (no op made it), so there is no step to practice; "
                       f"pass a tensor computed from it, e.g. gl.quiz({root.label} * 2)")
    if root.data.size == 1:
        seed = np.ones(root.shape, dtype=root.dtype)
    elif root.grad is not None:
        seed = np.asarray(root.grad)     # a backward(gradient) already chose the seed
    else:
        raise VizError(f"{WHO}: {root.label} has shape {root.shape} and no gradient to start from; reduce it to "
                       f"one number first (gl.quiz({root.label}.sum())) or run {root.label}.backward(gradient)")
    try:
        return BackwardWalk([root], [seed], store_grads=False).run()
    except BackwardError as error:
        raise VizError(f"{WHO}: {error}") from None
