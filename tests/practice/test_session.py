"""The quiz session on the lecture's graphs: the questions in backward order, the feedback (upstream ×
local, the gate pattern, the likely slip), 3 tries, the score, hints, fan-out and tensor steps."""
import numpy as np
import pytest

import graphlab as gl
from graphlab.practice import QuizError, QuizSession
from graphlab.repl.walk_state import graph_nodes


def e01():
    """E01: x = -2, y = 5, z = -4; q = x + y = 3; f = q z = -12."""
    x, y, z = gl.scalar(-2.0, name="x"), gl.scalar(5.0, name="y"), gl.scalar(-4.0, name="z")
    return ((x + y).named("q") * z).named("f")


def test_e01_right_answers_in_the_engines_order_with_the_score_after_each_step():
    quiz = QuizSession(e01(), "quiz on f")
    intro = quiz.intro()
    assert "  q = x + y = 3\n  f = q * z = -12" in intro
    assert intro.endswith("step 1 of 2: f = q * z  (mul gate: swap multiplier)\n"
                          "  q = 3, z = -4; f = -12; upstream df/df = 1")
    replies = []
    for prompt, answer in [("df/dq = ", "-4"), ("df/dz = ", "3"), ("df/dx = ", "-4"), ("df/dy = ", "upstream")]:
        assert quiz.prompt == prompt
        replies.append(quiz.answer(answer))
    assert replies[0] == "right: df/dq = upstream × local = 1 × -4 = -4"
    assert replies[1].splitlines()[:3] == ["right: df/dz = upstream × local = 1 × 3 = 3", "score 2/2",
                                           "step 2 of 2: q = x + y  (add gate: gradient distributor)"]
    assert "x = -2, y = 5; q = 3; upstream df/dq = -4" in replies[1]
    assert replies[3].splitlines() == ["right: df/dy = upstream × local = -4 × 1 = -4", "score 4/4",
                                       "quiz done: score 4/4",
                                       "the gradients of the inputs: df/dx = -4, df/dy = -4, df/dz = 3",
                                       ":backward shows the whole Trace; :quiz LEVEL starts another quiz"]
    assert quiz.finished


def test_a_wrong_answer_is_explained_and_three_show_the_answer():
    quiz = QuizSession(e01(), "quiz on f")
    first = quiz.answer("4")
    assert first.splitlines() == ["not yet (2 tries left): df/dq = upstream × local = 1 × -4",
                                  "  a mul gate swaps: each input's local gradient is the other input's value",
                                  "  the sign is wrong"]
    assert quiz.answer("1").splitlines()[-1] == "  that is the upstream alone: multiply it by the local gradient"
    last = quiz.answer("7")
    assert last.splitlines()[:2] == ["not right after 3 tries", "the answer: df/dq = upstream × local = 1 × -4 = -4"]
    assert quiz.prompt == "df/dz = " and quiz.score == "score 0/1"
    assert quiz.answer("3").splitlines()[1] == "score 1/2"
    assert "that is the local gradient alone" in quiz.answer("1")         # q's step: upstream -4, local 1
    assert quiz.answer("-4").startswith("right: df/dx")


def test_unreadable_answers_do_not_count_as_tries():
    quiz = QuizSession(e01(), "quiz on f")
    for text in ("abc", "1/0", "2x", "__import__('os')", "x = 3"):
        assert "(not counted as a try; df/dq is still asked." in quiz.answer(text)
    assert "Python runs again after :quiz stop" in quiz.answer("x = 3")
    assert quiz.question.tries == 0
    assert quiz.answer("z").startswith("right")                # a rule: mul swaps, so df/dq = upstream * z


def test_hint_gives_the_local_gradients_and_stop_the_score():
    quiz = QuizSession(e01(), "quiz on f")
    assert quiz.hint().splitlines() == [
        "hint: a mul gate swaps: each input's local gradient is the other input's value",
        "  local gradients of f = q * z: df/dq = -4, df/dz = 3", "  df/dq = upstream × local"]
    quiz.answer("-4")
    assert quiz.stop() == "quiz stopped at step 1 of 2: score 1/1"


def test_the_quiz_never_touches_the_gradients():
    root = e01()
    QuizSession(root, "quiz on f")
    assert all(node.grad is None for node in graph_nodes(root))


def test_a_fan_out_asks_for_the_sum_first():
    nodes = gl.examples.build("gates")      # E05: f = 2 (x y + max(z, w)) + x, x used twice
    quiz = QuizSession(nodes["f"], "quiz on f")
    while not (quiz.question.kind == "fan-out"):
        quiz.answer(str(quiz.question.expected.item()))
    text = quiz.repeat()
    assert text.splitlines() == ["step 6 of 6: x is used by 2 gates  (copy (fan-out): gradient adder)",
                                 "  they sent 1 from f; -8 from xy"]
    assert quiz.prompt == "df/dx = "
    assert quiz.answer("-8").splitlines()[-1] == "  that is one gate's share: add what every gate sent"
    assert quiz.answer("-7").startswith("right: df/dx = the sum of what each gate sent = 1 + -8")


def test_the_max_gate_routes():
    nodes = gl.examples.build("gates")
    quiz = QuizSession(nodes["f"], "quiz on f")
    while quiz.steps[quiz.step_number][0].node.label != "m":
        quiz.answer(str(quiz.question.expected.item()))
    assert quiz.answer("0").splitlines()[:2] == [
        "not yet (2 tries left): df/dz = upstream × local = 2 × 1",
        "  a max gate routes: the upstream goes to the input that won (local 1), the others get 0"]


def test_a_tensor_step_asks_the_shape_then_values_or_a_rule():
    """E12 with every node named: q = W x, p = q², f = sum(p)."""
    W = gl.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, name="W", dtype="float64")
    x = gl.tensor([0.2, 0.4], requires_grad=True, name="x", dtype="float64")
    q = (W @ x).named("q")
    quiz = QuizSession((q ** 2).named("p").sum().named("f"), "quiz on f")
    assert quiz.prompt == "shape of df/dp = "
    assert "first the shape of df/dp" in quiz.answer("[1, 2]")
    assert quiz.answer("2") == "right: df/dp has the shape of p, (2)"
    assert quiz.answer("1").startswith("right: dL/dp (2) = upstream (scalar) copied to every element")
    quiz.answer("2")
    assert quiz.answer("upstream").startswith("not yet")
    step_text = quiz.answer("2 * q")
    assert step_text.startswith("right: dL/dq (2) = ")
    assert "step 3 of 3: q = W @ x  (matmul)" in step_text and "names for a rule: upstream, W, x, q" in step_text
    assert quiz.prompt == "shape of df/dW = "
    assert quiz.answer("3x2").splitlines() == ["not yet (2 tries left): a gradient has the shape of its variable "
                                               "(one number per entry of W)", "  you gave (3x2)"]
    quiz.answer("2x2")
    shape_slip = quiz.answer("upstream")
    assert "your answer has the shape (2), but W is (2x2)" in shape_slip
    assert "dL/dW (2x2) = upstream (2x1) · xᵀ (1x2)" in shape_slip
    assert quiz.answer("outer(upstream, x)").startswith("right: dL/dW (2x2) = upstream (2x1) · xᵀ (1x2)")
    quiz.answer("2")
    np.testing.assert_allclose(quiz.question.expected, [-0.112, 0.636])     # E12: dx = 2 Wᵀ W x
    assert quiz.answer("[-0.112, 0.636]").startswith("right: dL/dx (2) = Wᵀ (2x2) · upstream (2)")
    assert quiz.finished


def test_one_number_fills_every_entry_and_the_transpose_is_named():
    W = gl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W", dtype="float64")
    v = gl.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True, name="V", dtype="float64")
    root = (W @ v).named("h").sum().named("L")
    quiz = QuizSession(root, "quiz on L")
    quiz.answer("2x2")
    assert quiz.answer("1").startswith("right: dL/dh (2x2) = upstream (scalar) copied to every element")
    quiz.answer("2x2")
    expected = quiz.question.expected
    assert "that is the transpose of the answer" in quiz.answer(str(expected.T.tolist()))


def test_an_input_used_twice_by_one_gate_says_which_use():
    x = gl.scalar(3.0, name="x")
    quiz = QuizSession((x * x).named("y"), "quiz on y")
    assert quiz.prompt == "dy/dx (input 1) = "


def test_graphs_the_quiz_cannot_walk():
    with pytest.raises(QuizError, match=r"has shape \(2,\); the quiz starts from one number"):
        QuizSession((gl.tensor([1.0, 2.0], requires_grad=True) * 2).named("v"), "quiz")
    with pytest.raises(gl.GraphlabError, match="does not require grad"):
        QuizSession(gl.tensor(1.0) * 2, "quiz")
