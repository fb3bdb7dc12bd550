"""Practice mode in the REPL, driven the way scripts and CI drive it (stdin, pipe mode): :quiz at every
level answered right and wrong, :hint, :quiz stop, bad input, and graphlab quiz from the shell."""
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from graphlab import practice
from graphlab.practice.levels import LEVELS
from graphlab.practice.questions import ShapeQuestion
from graphlab.repl import Workspace
from graphlab.repl.app import build_session, run_interactive, run_stream
from graphlab.repl.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
LEVEL_NAMES = [level.name for level in LEVELS]
SEED = 7


def questions(level: str, seed: int = SEED) -> list:
    return [question for _, step_questions in practice.start(level, seed).steps for question in step_questions]


def right_answer(question) -> str:
    if isinstance(question, ShapeQuestion):
        return "x".join(map(str, question.expected)) or "scalar"
    return repr(question.expected.tolist())


def wrong_answer(question) -> str:
    if isinstance(question, ShapeQuestion):
        return "7x7"
    return repr((question.expected + 1.5).tolist())


def session(*lines: str, workspace=None) -> str:
    out = io.StringIO()
    run_stream(workspace or Workspace(), io.StringIO("".join(line + "\n" for line in lines)), out)
    return out.getvalue()


@pytest.mark.parametrize("level", LEVEL_NAMES)
def test_right_answers_at_every_level(level):
    asked = questions(level)
    text = session(f":quiz {level} --seed {SEED}", *map(right_answer, asked))
    assert f"replay with :quiz {level} --seed {SEED}" in text
    assert text.count("\nright: ") == len(asked) and "not yet" not in text
    scores = re.findall(r"^score (\d+)/(\d+)$", text, flags=re.MULTILINE)
    assert all(right == total for right, total in scores) and scores[-1] == (str(len(asked)), str(len(asked)))
    assert f"quiz done: score {len(asked)}/{len(asked)}" in text
    for question in asked:                                    # each answer echoed after its own prompt
        assert f"{question.prompt}{right_answer(question)}\n" in text


@pytest.mark.parametrize("level", LEVEL_NAMES)
def test_wrong_then_right_answers_are_explained_at_every_level(level):
    asked = questions(level)
    lines = [answer for question in asked for answer in (wrong_answer(question), right_answer(question))]
    text = session(f":quiz {level} --seed {SEED}", *lines)
    assert text.count("not yet (2 tries left)") == len(asked)
    values = [question for question in asked if not isinstance(question, ShapeQuestion)]
    if level in ("gates", "sigmoid", "fanout"):               # scalar steps: the numbers of upstream × local
        assert text.count("= upstream × local = ") >= len(values) - sum(q.kind == "fan-out" for q in values)
    else:                                                     # tensor steps: the vectorized rule
        assert text.count("a gradient has the shape of its variable") >= len(asked) - len(values)
        assert re.search(r"not yet \(2 tries left\): upstream × local, vectorized:\n  dL/d\w+ \(\w+\) = .*upstream",
                         text)
    assert f"quiz done: score {len(asked)}/{len(asked)}" in text


@pytest.mark.parametrize("level", LEVEL_NAMES)
def test_three_wrong_tries_show_the_answer_and_move_on(level):
    asked = questions(level)
    lines = [wrong_answer(question) for question in asked for _ in range(3)]
    text = session(f":quiz {level} --seed {SEED}", *lines)
    shown = re.findall(r"^not right after 3 tries[^\n]*(?:\n    [^\n]*)*\nthe answer: ", text, flags=re.MULTILINE)
    assert len(shown) == len(asked)
    assert f"quiz done: score 0/{len(asked)}" in text


def test_the_lecture_graph_quizzed_in_the_repl():
    text = session("x = gl.scalar(-2); y = gl.scalar(5); z = gl.scalar(-4)", "q = x + y", "f = q * z", ":quiz",
                   "3", ":hint", "-4", "3", "-4", "-4")
    assert "quiz on f, the current graph\nthe graph:\n  x = -2\n" in text
    assert ("df/dq = 3\nnot yet (2 tries left): df/dq = upstream × local = 1 × -4\n"
            "  a mul gate swaps: each input's local gradient is the other input's value\n") in text
    assert "df/dq = :hint\nhint: a mul gate swaps" in text and "df/dq = -4, df/dz = 3" in text
    assert text.rstrip().endswith(":backward shows the whole Trace; :quiz LEVEL starts another quiz")
    assert "quiz done: score 4/4" in text


def test_quiz_stop_returns_to_python_and_eof_ends_with_the_score():
    text = session(":quiz gates --seed 4711", "4", ":quiz stop", "1 + 1", ":quiz stop", ":quiz 1 --seed 4711", "4")
    assert "df/dz = :quiz stop\nquiz stopped at step 1 of 2: score 1/1\ngl> 1 + 1\n2\n" in text
    assert "no quiz is running; :quiz LEVEL starts one" in text
    assert text.rstrip().endswith("quiz stopped at step 1 of 2: score 1/1")     # the input ended mid-quiz


def test_a_new_quiz_replaces_the_running_one():
    text = session(":quiz gates --seed 1", ":quiz sigmoid --seed 2")
    assert "(quiz stopped at step 1 of" in text and "replay with :quiz sigmoid --seed 2" in text


def test_the_generated_graph_is_in_the_workspace_after_the_quiz():
    workspace = Workspace()
    session(":quiz gates --seed 4711", "4", "-5", "4", "4", workspace=workspace)
    assert workspace.quiz is None and workspace.root_name == "f"
    assert "f     mul   1         (4, -5)  (4, -5)     swap" in workspace.execute(":backward").text


def test_commands_that_show_gradients_wait_and_the_others_work():
    workspace = Workspace()
    workspace.execute(":quiz gates --seed 3")
    for line in (":backward", ":step", ":focus q", ":show q", ":nodes", ":graph", ":vars", ":load x.txt"):
        output = workspace.execute(line)
        assert not output.ok and "is not available during a quiz" in output.text and ":quiz stop" in output.text
    assert workspace.execute(":help hint").ok and workspace.execute(":patterns").ok
    assert workspace.execute("").text.startswith("step 1 of 3: f = q * w")           # an empty line: the step again
    assert workspace.quiz.question.tries == 0


@pytest.mark.parametrize("line, message", [
    (":quiz gatse", "error: quiz: no level 'gatse'; did you mean gates? the levels are 1/gates,"),
    (":quiz 9", "no level '9'"),
    (":quiz gates --seed abc", "--seed 'abc' is not a whole number"),
    (":quiz gates --seed -3", "--seed -3 is out of range"),
    (":quiz gates --seed", "--seed needs a number"),
    (":quiz --seed 3", "--seed needs a LEVEL"),
    (":quiz gates mlp", "one level at a time"),
    (":quiz gates --fast", "no option --fast"),
    (":quiz", "no graph yet"),
    (":hint", ":hint helps during a quiz"),
])
def test_bad_quiz_commands_say_what_to_do(line, message):
    output = Workspace().execute(line)
    assert not output.ok and message in output.text


def test_garbage_and_unsafe_answers_do_not_count_and_run_nothing(tmp_path):
    marker = tmp_path / "hacked"
    text = session(":quiz gates --seed 4711", "abc", "1/0", "2x", f"__import__('os').system('touch {marker}')",
                   "__import__('os')", "().__class__", "[1, 2", "", "4")
    assert text.count("(not counted as a try; df/dq is still asked.") == 7
    assert "abc is not a name here (the names: upstream, q, z, f)" in text
    assert "__import__('os').system(...) is not allowed in an answer" in text
    assert ".__class__ is not allowed in an answer; only .T" in text
    assert "__import__(...) is not allowed in an answer" in text
    assert "right: df/dq = upstream × local = 1 × 4 = 4" in text
    assert not marker.exists()


def test_the_quiz_prompts_in_the_interactive_shell_and_survives_ctrl_c_and_ctrl_d():
    workspace = Workspace()
    printed = []
    with create_pipe_input() as pipe:
        session_ = build_session(workspace, input=pipe, output=DummyOutput(), history=InMemoryHistory())
        pipe.send_text(":quiz gates --seed 4711\r" + "\x03" + "4\r" + "\x04")
        assert run_interactive(workspace, session=session_, print_line=printed.append) == 0
    assert any(line.startswith("quiz: level 1 (gates), seed 4711") for line in printed)
    assert "right: df/dq = upstream × local = 1 × 4 = 4" in printed
    assert printed[-1] == "quiz stopped at step 1 of 2: score 1/1"


def test_prompt_and_toolbar_follow_the_quiz():
    workspace = Workspace()
    workspace.execute(":quiz mlp --seed 1")
    assert workspace.prompt == "shape of dL/dp = "
    assert workspace.toolbar() == " quiz mlp, seed 1: step 1 of 7, score 0/0  |  :hint  |  :quiz stop"
    workspace.execute(":quiz stop")
    assert workspace.prompt == "gl> "


def test_quiz_and_hint_are_listed_documented_and_completed():
    from prompt_toolkit.document import Document
    from graphlab.repl.completer import ReplCompleter
    assert "quiz" in COMMANDS and "hint" in COMMANDS
    help_text = Workspace().execute(":help quiz").text
    words = " ".join(help_text.split())
    assert "(1/gates, 2/sigmoid, 3/fanout, 4/mlp, 5/batchnorm)" in words and "score N/M" in words
    assert all(len(line) <= 80 for line in help_text.splitlines())
    completions = [item.text for item in ReplCompleter(Workspace()).get_completions(Document(":quiz m"), None)]
    assert completions == ["mlp"]


def test_answers_and_quiz_commands_are_not_saved(tmp_path):
    workspace = Workspace()
    session("x = gl.scalar(2.0)", ":quiz gates --seed 1", "3", ":hint", ":quiz stop", workspace=workspace)
    assert workspace.inputs == ["x = gl.scalar(2.0)"]


def graphlab(*arguments, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphlab", *arguments], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_graphlab_quiz_reads_answers_from_a_pipe():
    result = graphlab("quiz", "gates", "--seed", "4711", stdin="4\n-5\n4\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("quiz: level 1 (gates), seed 4711: replay with graphlab quiz gates --seed "
                                    "4711\n")
    assert "df/dq = 4\nright: df/dq = upstream × local = 1 × 4 = 4\n" in result.stdout
    assert result.stdout.rstrip().endswith("quiz stopped at step 2 of 2: score 3/3")


@pytest.mark.parametrize("arguments, message", [
    (("quiz", "gatse"), "argument LEVEL: no level 'gatse'; did you mean gates?"),
    (("quiz", "gates", "--seed", "x"), "argument --seed: 'x' is not a whole number"),
])
def test_graphlab_quiz_checks_its_flags_first(arguments, message):
    result = graphlab(*arguments)
    assert result.returncode == 2 and message in result.stderr and result.stdout == ""


def test_values_in_the_transcript_are_the_engines():
    """The answer the REPL reveals after 3 tries is the engine's gradient, to the digits shown."""
    asked = questions("sigmoid", 11)
    text = session(":quiz sigmoid --seed 11", *(["9"] * 3))
    shown = re.search(r"the answer: df/dd = upstream × local = 1 × (\S+) = (\S+)", text)
    assert float(shown.group(2)) == pytest.approx(asked[0].expected.item(), rel=1e-3)
    assert np.isclose(float(shown.group(1)), asked[0].expected.item(), rtol=1e-3)


def test_a_quiz_on_the_current_graph_leaves_its_gradients_and_walk_alone():
    workspace = Workspace()
    for line in ("x = gl.scalar(-2); y = gl.scalar(5); z = gl.scalar(-4)", "q = x + y", "f = q * z", ":backward",
                 ":step"):
        workspace.execute(line)
    before = {name: workspace.namespace[name].grad for name in "xyzqf"}
    session(":quiz", "-4", "3", "-4", "-4", workspace=workspace)
    assert {name: workspace.namespace[name].grad for name in "xyzqf"} == before
    assert workspace.execute(":step").text.startswith("step 2 of 5: q = add(x, y)")   # the walk goes on
