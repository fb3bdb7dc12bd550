"""The quiz: a backward walk whose downstream gradients the student computes, step by step.

The answers are the engine's: the walk runs once (``BackwardWalk(store_grads=False)``, so no
``.grad`` changes) and its Steps hold every upstream and downstream. The session then asks, in
the engine's backward order, each input's gradient (for a tensor step its shape first), checks
each answer, explains a wrong one and reveals it after ``MAX_TRIES`` wrong tries, and keeps
the score: N right out of M questions asked.

>>> import graphlab as gl
>>> x, y = gl.scalar(-2.0, name="x"), gl.scalar(5.0, name="y")
>>> quiz = QuizSession((x * y).named("f"), "quiz on f")
>>> quiz.prompt
'df/dx = '
>>> print(quiz.answer("5"))
right: df/dx = upstream × local = 1 × 5 = 5
>>> print(quiz.answer("-2").splitlines()[:2])
['right: df/dy = upstream × local = 1 × -2 = -2', 'score 2/2']
"""
from __future__ import annotations

import keyword
from typing import Dict, List, Optional

import numpy as np

from graphlab.autodiff.engine import BackwardWalk, graph_nodes
from graphlab.errors import GraphlabError
from graphlab.practice import explain
from graphlab.practice.expressions import FUNCTIONS, AnswerError
from graphlab.practice.questions import FanOutQuestion, GradientQuestion, Question, ShapeQuestion

#: wrong tries before the quiz shows the answer and moves on
MAX_TRIES = 3


class QuizError(GraphlabError):
    """A graph the quiz cannot walk; the message says what to do."""


def rule_names(step) -> Dict[str, np.ndarray]:
    """The names a rule may use at ``step``: upstream, the inputs and the node by their labels
    (those that are Python names), and batch norm's x̂, μ, σ and N."""
    names = {"upstream": np.asarray(step.upstream, dtype=np.float64)}
    for tensor in (*step.inputs, step.node):
        label = tensor.label
        if explain.operand(tensor) != label:
            continue                       # an unnamed constant (the 2 of q ** 2): its number is shown
        if label.isidentifier() and not keyword.iskeyword(label) and label not in FUNCTIONS:
            names.setdefault(label, np.asarray(tensor.data, dtype=np.float64))
    if step.op == "batch_norm":
        for name, value in _batch_norm_names(step).items():
            names.setdefault(name, value)
    return names


def _batch_norm_names(step) -> Dict[str, np.ndarray]:
    """x̂ = (x − μ)/σ with the batch's statistics (per channel: axis 0, and the pixels of images)."""
    x = np.asarray(step.inputs[0].data, dtype=np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    keep = x.ndim > 2                       # (C,) broadcasts over a 2-D batch's rows as it is
    mu, var = x.mean(axis=axes, keepdims=keep), x.var(axis=axes, keepdims=keep)
    sigma = np.sqrt(var + step.node.creator.params.get("eps", 1e-5))
    return {"xhat": (x - mu) / sigma, "mu": mu, "var": var, "sigma": sigma,
            "N": np.float64(x.size // x.shape[1])}


def _labels(step) -> List[str]:
    """Each input's label; an input used twice by the same gate (``x * x``) says which use."""
    labels = [tensor.label for tensor in step.inputs]
    return [f"{label} (input {index + 1})" if labels.count(label) > 1 else label
            for index, label in enumerate(labels)]


def questions_for(step, root: str) -> List[Question]:
    """A fan-out's sum first, then each input that gets a gradient: its shape (tensor steps), its values."""
    questions: List[Question] = []
    if step.is_fan_out:
        questions.append(FanOutQuestion(step, step.node.label, root))
    if step.is_leaf:
        return questions
    names, labels = rule_names(step), _labels(step)
    for index, tensor in enumerate(step.inputs):
        if not tensor.requires_grad or index >= len(step.downstream) or step.downstream[index] is None:
            continue
        if step.is_tensor:
            questions.append(ShapeQuestion(step, index, labels[index], root, names))
        questions.append(GradientQuestion(step, index, labels[index], root, names))
    return questions


def walk_of(root):
    """The engine's backward walk of ``root``, run to the end without touching any ``.grad``."""
    if root.data.size != 1:
        raise QuizError(f"quiz: {root.label} has shape {root.shape}; the quiz starts from one number: "
                        f"reduce it first (L = {root.label}.sum())")
    return BackwardWalk([root], [np.ones(root.shape, dtype=root.dtype)], store_grads=False).run()


class QuizSession:
    """The quiz on ``root``'s graph: ``intro()``, then ``answer(text)`` until ``finished``;
    ``hint()`` and ``stop()`` at any time. Every method returns the text to print."""

    def __init__(self, root, title: str, nodes: Optional[list] = None, label: Optional[str] = None):
        self.root, self.title = root, title
        #: the short name the REPL's toolbar shows
        self.label = label or f"quiz on {root.label}"
        self.root_label = root.label
        self.trace = walk_of(root)
        self.steps = [(step, questions) for step in self.trace
                      if (questions := questions_for(step, self.root_label))]
        if not self.steps:
            raise QuizError(f"quiz: no input of {self.root_label} needs a gradient, so there is nothing to ask; "
                            f"build a graph from leaves that require grad (gl.scalar does)")
        self.nodes = nodes
        self.step_number = self.question_number = 0
        self.right = self.asked = 0
        self.finished = False

    # -- what is asked now -------------------------------------------------------------------------
    @property
    def question(self) -> Question:
        return self.steps[self.step_number][1][self.question_number]

    @property
    def prompt(self) -> str:
        return self.question.prompt

    @property
    def score(self) -> str:
        return f"score {self.right}/{self.asked}"

    def status(self) -> str:
        """For the REPL's toolbar."""
        return f"{self.label}: step {self.step_number + 1} of {len(self.steps)}, {self.score}"

    def intro(self) -> str:
        lines = [self.title, "the graph:"]
        lines += explain.forward_lines(self.nodes if self.nodes is not None else graph_nodes(self.root))
        lines += [f"{len(self.steps)} steps backward from {self.root_label}. Type each gradient at its prompt: "
                  f"a number,", "a list, or a rule over the names shown. :hint helps, :quiz stop ends."]
        return "\n".join(lines + self._step_text())

    def _step_text(self) -> List[str]:
        step, questions = self.steps[self.step_number]
        prefix = f"step {self.step_number + 1} of {len(self.steps)}: "
        if isinstance(questions[self.question_number], FanOutQuestion):
            lines = explain.fan_out_lines(step, self.root_label)
        else:
            lines = explain.step_lines(step, self.root_label, list(questions[-1].names))
        return [prefix + lines[0]] + lines[1:]

    def repeat(self) -> str:
        """An empty line: the current step again."""
        return "\n".join(self._step_text())

    # -- answers -------------------------------------------------------------------------------------
    def answer(self, text: str) -> str:
        question = self.question
        try:
            given = question.read(text)
        except AnswerError as error:
            python = " Python runs again after :quiz stop." if _is_statement(text) else ""
            return f"{error}\n(not counted as a try; {question.prompt.rstrip(' =')} is still asked.{python})"
        question.tries += 1
        if question.is_right(given):
            self.right += 1
            self.asked += 1
            return explain.right(question, given) + self._next()
        if question.tries >= MAX_TRIES:
            self.asked += 1
            return explain.last_try(question, given, MAX_TRIES) + self._next()
        return explain.wrong(question, given, MAX_TRIES - question.tries)

    def _next(self) -> str:
        """On to the next question; after a step's last one, the score and the next step."""
        step, questions = self.steps[self.step_number]
        finished = questions[self.question_number]
        self.question_number += 1
        if self.question_number < len(questions):
            if isinstance(finished, FanOutQuestion):       # now its own gate's inputs: show the step
                return "\n" + "\n".join(self._step_text())
            return ""
        lines = [self.score]
        self.step_number, self.question_number = self.step_number + 1, 0
        if self.step_number == len(self.steps):
            self.finished = True
            lines.append(self.summary())
        else:
            lines += self._step_text()
        return "\n" + "\n".join(lines)

    def hint(self) -> str:
        return explain.hint(self.question)

    def summary(self) -> str:
        leaves = [f"d{self.root_label}/d{step.node.label} = {explain.rules.summary(step.upstream, room=30)}"
                  for step in sorted(self.trace, key=lambda step: step.node.id)
                  if step.is_leaf and step.node.requires_grad]
        return "\n".join([f"quiz done: {self.score}", "the gradients of the inputs: " + ", ".join(leaves),
                          ":backward shows the whole Trace; :quiz LEVEL starts another quiz"])

    def stop(self) -> str:
        where = f"at step {self.step_number + 1} of {len(self.steps)}" if not self.finished else "at the end"
        return f"quiz stopped {where}: {self.score}"


def _is_statement(text: str) -> bool:
    """``x = 3`` or ``import os``: Python typed during the quiz, not an answer."""
    import ast
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(tree.body) and not isinstance(tree.body[0], ast.Expr)


