"""The prompt-toolkit shell, driven with a pipe input and a dummy output."""
import asyncio
import io

import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from graphlab import lessons
from graphlab.repl import Workspace
from graphlab.repl.app import build_session, run_interactive, run_stream
from graphlab.repl.completer import ReplCompleter

ENTER, UP, CTRL_D, TAB = "\r", "\x1b[A", "\x04", "\t"


@pytest.fixture
def pipe():
    with create_pipe_input() as pipe_input:
        yield pipe_input


def session_for(workspace, pipe, history=None):
    return build_session(workspace, input=pipe, output=DummyOutput(), history=history or InMemoryHistory())


def completions(workspace, text):
    return [item.text for item in ReplCompleter(workspace).get_completions(Document(text), None)]


def test_multi_line_block_waits_for_the_blank_line(pipe):
    session = session_for(Workspace(), pipe)
    pipe.send_text("for i in range(3):" + ENTER + "    print(i)" + ENTER + ENTER)
    assert session.prompt() == "for i in range(3):\n    print(i)\n"


def test_open_bracket_continues_the_line(pipe):
    session = session_for(Workspace(), pipe)
    pipe.send_text("f = (1 +" + ENTER + " 2)" + ENTER)
    assert session.prompt() == "f = (1 +\n 2)"


def test_history_recalls_the_previous_input(pipe):
    session = session_for(Workspace(), pipe)
    pipe.send_text("x = gl.scalar(3.0)" + ENTER)
    assert session.prompt() == "x = gl.scalar(3.0)"
    pipe.send_text(UP + ENTER)
    assert session.prompt() == "x = gl.scalar(3.0)"


def test_tab_completes_a_command(pipe):
    session = session_for(Workspace(), pipe)

    async def type_then_accept():
        task = asyncio.ensure_future(session.prompt_async())
        pipe.send_text(":bac" + TAB)
        for _ in range(200):               # completion runs as a task; wait for it (up to 10 s) before Enter
            await asyncio.sleep(0.05)
            if session.default_buffer.text == ":backward":
                break
        pipe.send_text(ENTER)
        return await task

    assert asyncio.run(type_then_accept()) == ":backward"


def test_completion_knows_commands_arguments_names_and_attributes():
    workspace = Workspace(preload="scalar")
    assert completions(workspace, ":st") == ["step"]
    assert completions(workspace, ":show q") == ["q"]
    assert "sigmoid_fused" in completions(workspace, ":lesson sig")
    numbers = [str(number) for number in range(1, len(lessons.available()) + 1)]
    assert completions(workspace, ":lesson 1") == [number for number in numbers if number.startswith("1")]
    assert "scalar_backprop" in completions(workspace, ":lesson scalar_")
    assert "sigmoid" in completions(workspace, ":verify sig")            # op names
    assert completions(workspace, "f.gr") == ["grad"]
    assert "backward_steps" in completions(workspace, "gl.backward_s")
    assert set(completions(workspace, "x")) >= {"x"}


def test_interactive_loop_survives_errors_and_ctrl_c_and_leaves_on_ctrl_d(pipe):
    workspace = Workspace()
    printed = []
    pipe.send_text("x = gl.scalar(2.0)" + ENTER + "undefined + 1" + ENTER + "y = x * x" + ENTER
                   + ":backward" + ENTER + "\x03" + "x.grad" + ENTER + CTRL_D)
    status = run_interactive(workspace, session=session_for(workspace, pipe), print_line=printed.append)
    text = "\n".join(printed)
    assert status == 0
    assert "NameError" in text and "array(4., dtype=float32)" in text
    assert "y     mul   1" in text


def test_quit_command_leaves(pipe):
    workspace = Workspace()
    printed = []
    pipe.send_text(":quit" + ENTER + "never = 1" + ENTER)
    run_interactive(workspace, session=session_for(workspace, pipe), print_line=printed.append)
    assert "never" not in workspace.namespace


def test_stream_runner_reports_failures_in_its_exit_status():
    out = io.StringIO()
    status = run_stream(Workspace(), io.StringIO("x = gl.scalar(1.0)\nbroken(\n\ny = x * 2\n:backward y\n"), out)
    assert status == 1
    assert "gl> :backward y" in out.getvalue() and "SyntaxError" in out.getvalue()


def test_a_preloaded_lesson_is_announced_under_the_hint(pipe):
    workspace = Workspace(preload="scalar")
    printed = []
    pipe.send_text(CTRL_D)
    run_interactive(workspace, session=session_for(workspace, pipe), print_line=printed.append)
    assert printed[0].splitlines()[2] == "loaded E01: f = (x + y) * z, x = -2, y = 5, z = -4"
