"""Reading answers: numbers, lists, rules evaluated safely (nothing can run code), shapes, tolerance."""
import numpy as np
import pytest

from graphlab.practice.expressions import AnswerError, evaluate
from graphlab.practice.questions import close_enough, parse_shape

W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
UP = np.array([[1.0, -1.0], [2.0, 0.5]])
NAMES = {"upstream": UP, "W": W, "z": np.array([[-1.0, 2.0, 0.5], [3.0, -4.0, 1.0]])}


@pytest.mark.parametrize("text, expected", [
    ("-4", -4.0),
    ("3/4", 0.75),
    ("2 ** 3 - 1", 7.0),
    ("[1, 2.5, -3]", [1.0, 2.5, -3.0]),
    ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("1, 2", [1.0, 2.0]),
    ("upstream @ W", (UP @ W).tolist()),
    ("(W.T @ upstream.T).T", (UP @ W).tolist()),
    ("sum(upstream, axis=0)", [3.0, -0.5]),
    ("sum(upstream, axis=-1, keepdims=True)", [[0.0], [2.5]]),
    ("mean(upstream)", 0.625),
    ("upstream @ W * (z > 0)", ((UP @ W) * (NAMES["z"] > 0)).tolist()),
    ("where(z > 0, 1, 0) * 2", (np.where(NAMES["z"] > 0, 1, 0) * 2.0).tolist()),
    ("ones(W.shape) * 3", np.full((2, 3), 3.0).tolist()),
    ("sigmoid(0) * (1 - sigmoid(0))", 0.25),
    ("exp(0) + sqrt(4) + abs(-1)", 4.0),
])
def test_allowed_answers_compute_with_numpy(text, expected):
    np.testing.assert_allclose(evaluate(text, NAMES), expected)


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", r"__import__\(\.\.\.\) is not allowed"),
    ("__import__('os').system('echo hacked')", "is not allowed"),
    ("upstream.__class__", r"\.__class__ is not allowed in an answer; only \.T"),
    ("W.sum()", r"W.sum\(\.\.\.\) is not allowed"),
    ("open('x')", r"open\(\.\.\.\) is not allowed"),
    ("(lambda: 1)()", "is not allowed"),
    ("[x for x in W]", "a comprehension is not allowed"),
    ("W[0]", r"indexing \(a\[i\]\) is not allowed"),
    ("'text'", "'text' is not a number"),
    ("True", "True is not a number"),
    ("sum(W, where=1)", "the keywords are axis= and keepdims="),
    ("sum(W, axis=W)", "takes a number"),
    ("abc", r"abc is not a name here \(the names: upstream, W, z\)"),
    ("uptsream", "did you mean upstream"),
    ("exp", "exp is a function"),
    ("2x", r"cannot read '2x'"),
    ("1/0", "not a finite number"),
    ("10 ** 400", "not a finite number"),
    ("9 ** 9 ** 9", "not a finite number"),
    ("ones((100000, 100000))", "at most 10,000 entries"),
    ("outer(ones((100,)), ones((1000,)))", "more than 10,000"),
    ("z @ upstream", r"the shapes do not fit for @: \(2x3\) @ \(2x2\)"),
    ("W + [1, 2]", r"the shapes \(2x3\) and \(2\) do not fit together"),
    ("[[1, 2], [3]]", "not rectangular"),
    ("W.shape", "is a shape, not a gradient"),
    ("-" * 60 + "1", "too big"),
    ("x = 3", "cannot read"),
])
def test_refused_answers_say_why_and_run_nothing(text, message):
    with pytest.raises(AnswerError, match=message):
        evaluate(text, NAMES)


def test_an_answer_cannot_change_the_arrays_it_reads():
    before = W.copy()
    evaluate("W.T @ upstream.T", NAMES)
    np.testing.assert_array_equal(W, before)


@pytest.mark.parametrize("text, shape", [
    ("2x4", (2, 4)), ("2 x 4", (2, 4)), ("(2, 4)", (2, 4)), ("2,4", (2, 4)), ("2×4", (2, 4)),
    ("4", (4,)), ("(4,)", (4,)), ("scalar", ()), ("()", ()), ("3x4x5", (3, 4, 5)),
])
def test_shapes_in_every_common_spelling(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["abc", "2x", "x4", "[2, 4]", "[[1, 2]]", "-2x4", "2.5x4"])
def test_a_bad_shape_is_not_read(text):
    with pytest.raises(AnswerError, match="is not a shape; write it as 2x4"):
        parse_shape(text)


def test_tolerance_is_relative_with_a_small_absolute_part_for_zero():
    assert close_enough(np.array(-0.10499), np.array(-0.104994))          # 4 digits of a Trace value
    assert not close_enough(np.array(0.1051), np.array(0.104994))         # 1e-3 relative is the limit
    assert close_enough(np.array(0.0), np.array(4e-7))
    assert not close_enough(np.array(0.0), np.array(1e-3))
    # in an array, an entry that cancels to nearly 0 is judged on the array's scale
    assert close_enough(np.array([2.0, 0.0003]), np.array([2.0, 0.0001]))
    assert not close_enough(np.array([2.0, 0.01]), np.array([2.0, 0.0001]))
