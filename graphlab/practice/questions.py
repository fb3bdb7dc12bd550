"""The questions a quiz step asks, how an answer is read, and when it is right.

A scalar step asks each input's gradient (a number or a rule); a tensor step asks its shape
first, then its values (a list, a nested list, one number for every entry, or a rule over
``upstream`` and the step's names); a node used by several gates asks first for the sum of
what they sent (the copy gate adds). The expected answers are the engine's own: the Step's
``downstream`` and ``upstream``.

>>> parse_shape("2x4"), parse_shape("(2, 4)"), parse_shape("2,4"), parse_shape("scalar")
((2, 4), (2, 4), (2, 4), ())
>>> close_enough(np.array(0.19661), np.array(0.196612)), close_enough(np.array(0.2), np.array(0.1966))
(True, False)
"""
from __future__ import annotations

import re
from typing import Dict, Optional

import numpy as np

from graphlab.autodiff.rules import shape_text
from graphlab.practice.expressions import AnswerError, evaluate

#: an answer is right within this relative tolerance ...
RELATIVE_TOLERANCE = 1e-3
#: ... plus this much absolute, for values that are (nearly) 0 ...
ABSOLUTE_TOLERANCE = 1e-6
#: ... plus, in an array, this fraction of its largest expected entry, so an entry that cancels to nearly 0
#: is not failed for the rounding of the 4-digit values shown
SCALE_TOLERANCE = 1e-4
#: sizes joined by x, ×, * or commas, in parentheses or not (brackets would be a list of values)
_SHAPE = re.compile(r"^\s*\(?\s*(\d+(?:\s*[x×,*]\s*\d+)*)?\s*,?\s*\)?\s*$")


def parse_shape(text: str) -> tuple:
    """``2x4``, ``(2, 4)``, ``2,4``, ``2 × 4``, ``4``, ``(4,)``, ``scalar`` or ``()``; AnswerError otherwise."""
    word = text.strip().lower()
    if word in ("scalar", "()", "( )", "0-d", "0d"):
        return ()
    found = _SHAPE.match(word)
    if not found or not found.group(1):
        raise AnswerError(f"{text.strip()[:40]!r} is not a shape; write it as 2x4, (2, 4) or 2,4 "
                          f"(a vector: 4; one number: scalar)")
    return tuple(int(size) for size in re.split(r"\s*[x×,*]\s*", found.group(1)))


def close_enough(given: np.ndarray, expected: np.ndarray) -> bool:
    """Every entry within the relative tolerance (plus the small absolute ones)."""
    scale = float(np.abs(expected).max()) if expected.size > 1 else 0.0
    allowed = RELATIVE_TOLERANCE * np.abs(expected) + ABSOLUTE_TOLERANCE + SCALE_TOLERANCE * scale
    return bool(np.all(np.abs(given - expected) <= allowed))


class Question:
    """One prompt of the quiz: ``read`` turns the text into an answer (AnswerError: not a try),
    ``is_right`` checks it, ``answer_text`` is what the quiz shows after the last try."""

    kind = "value"

    def __init__(self, step, index: Optional[int], label: str, root: str,
                 names: Optional[Dict[str, np.ndarray]] = None):
        self.step, self.index, self.label, self.root = step, index, label, root
        #: what a rule may name at this step (upstream, the inputs, ...)
        self.names = names or {}
        self.tries = 0

    @property
    def gradient_name(self) -> str:
        return f"d{self.root}/d{self.label}"

    @property
    def prompt(self) -> str:
        return f"{self.gradient_name} = "

    def read(self, text: str):
        raise NotImplementedError

    def is_right(self, answer) -> bool:
        raise NotImplementedError

    def answer_text(self) -> str:
        raise NotImplementedError


class GradientQuestion(Question):
    """Input ``index``'s downstream gradient at ``step``: the number, the values or a rule."""

    def __init__(self, step, index: int, label: str, root: str, names: Dict[str, np.ndarray]):
        super().__init__(step, index, label, root, names)
        self.expected = np.asarray(step.downstream[index], dtype=np.float64)

    def read(self, text: str) -> np.ndarray:
        return evaluate(text, self.names)

    def fits(self, answer: np.ndarray) -> bool:
        """One number stands for every entry; anything else must have the input's shape."""
        return answer.size == 1 or answer.shape == self.expected.shape

    def is_right(self, answer: np.ndarray) -> bool:
        if not self.fits(answer):
            return False
        return close_enough(np.broadcast_to(answer.reshape(()) if answer.size == 1 else answer,
                                            self.expected.shape), self.expected)

    def answer_text(self) -> str:
        from graphlab.practice.explain import value_text
        return value_text(self.expected)


class ShapeQuestion(Question):
    """The shape of input ``index``'s gradient: the input's own shape."""

    kind = "shape"

    def __init__(self, step, index: int, label: str, root: str, names: Dict[str, np.ndarray]):
        super().__init__(step, index, label, root, names)
        self.expected = tuple(step.inputs[index].shape)

    @property
    def prompt(self) -> str:
        return f"shape of {self.gradient_name} = "

    def read(self, text: str) -> tuple:
        try:
            return parse_shape(text)
        except AnswerError:
            if text.strip().startswith("[") or any(name in text for name in ("upstream", "@", ".T")):
                raise AnswerError(f"first the shape of {self.gradient_name}, such as 2x4; the values come "
                                  f"next") from None
            raise

    def is_right(self, answer: tuple) -> bool:
        return tuple(answer) == self.expected

    def answer_text(self) -> str:
        return shape_text(self.expected)


class FanOutQuestion(GradientQuestion):
    """A node several gates used: its gradient is the sum of what each sent (the copy gate adds)."""

    kind = "fan-out"

    def __init__(self, step, label: str, root: str):
        Question.__init__(self, step, None, label, root)
        self.expected = np.asarray(step.upstream, dtype=np.float64)
