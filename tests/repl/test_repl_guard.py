"""Issue 13: no error or Ctrl-C ends a REPL session; each is reported with a fitting hint.

Every colon command runs under one guard; pipe mode survives lines Python cannot compile and
bytes that are not UTF-8; :load refuses a session that loads itself; :walk never overwrites.
"""
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graphlab.repl import Workspace
from graphlab.repl.app import run_stream

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace():
    space = Workspace()
    space.execute("x = gl.scalar(2.0); y = gl.scalar(3.0)")
    return space


@pytest.mark.parametrize("line, first, hint", [
    (":jacobian x**2 + foo wrt x", "NameError: name 'foo' is not defined", "foo is not defined"),
    (":jacobian 1/0 wrt x", "ZeroDivisionError: division by zero", "a division by zero"),
    (":jacobian 3 wrt x", "error: :jacobian: 3 is int 3, not a tensor", None),
    (":jacobian x wrt x, x", "error: :jacobian: x is given twice", None),
])
def test_a_failing_command_is_reported_and_the_session_goes_on(workspace, line, first, hint):
    output = workspace.execute(line)
    assert not output.ok and output.text.startswith(first), output.text
    if hint:
        assert f"hint: {hint}" in output.text
    assert ":help lists the commands" not in output.text      # that hint is for unknown commands
    assert workspace.execute("print(x.item() + y.item())").text == "5.0"


def test_name_error_hint_says_the_name_is_undefined_and_where_names_are(workspace):
    text = workspace.execute("x + undefined_thing").text
    assert "undefined_thing is not defined" in text and ":vars" in text
    assert "did you mean x?" in workspace.execute(":jacobian xx * 2 wrt x").text


def test_verify_on_a_250_deep_tanh_chain_reports_the_recursion_limit(workspace):
    workspace.execute("y = x\nfor _ in range(250):\n    y = y.tanh()\n")
    workspace.execute("z = y * 1")
    output = workspace.execute(":verify z")
    assert not output.ok and "RecursionError" in output.text and "too deep" in output.text
    assert workspace.execute(":vars").ok


def test_load_of_a_session_that_loads_itself_is_refused(workspace, tmp_path):
    session = tmp_path / "self.session"
    session.write_text(f"w = gl.scalar(1.0)\n:load {session}\n")
    output = workspace.execute(f":load {session}")
    assert "already being replayed" in output.text and "w = gl.scalar(1.0)" in output.text
    assert output.text.count("already being replayed") == 1
    two = tmp_path / "two.session"
    (tmp_path / "one.session").write_text(f":load {two}\n")
    two.write_text(f":load {tmp_path / 'one.session'}\n")
    assert "already being replayed" in workspace.execute(f":load {tmp_path / 'one.session'}").text


def test_load_of_a_binary_file_says_it_is_not_text(workspace, tmp_path):
    binary = tmp_path / "bin.session"
    binary.write_bytes(b"\xff\xfe\x00x = 1\n")
    output = workspace.execute(f":load {binary}")
    assert not output.ok and "is not UTF-8 text" in output.text


def test_ctrl_c_during_a_command_cancels_only_that_command(workspace):
    # SIGINT arrives while the command runs user code, as with a real Ctrl-C
    workspace.execute("import signal\ndef slow(v):\n    signal.raise_signal(signal.SIGINT)\n    return v\n")
    output = workspace.execute(":jacobian slow(x) * 2 wrt x")
    assert not output.ok and output.interrupted and "KeyboardInterrupt" in output.text
    assert workspace.execute("print('still here')").text == "still here"


def test_ctrl_c_during_load_cancels_the_whole_load(workspace, tmp_path):
    session = tmp_path / "slow.session"
    session.write_text("import signal\nsignal.raise_signal(signal.SIGINT)\nafter = 1\n")
    output = workspace.execute(f":load {session}")
    assert output.interrupted and "cancelled" in output.text
    assert "after" not in workspace.namespace


def test_walk_refuses_to_overwrite_an_index_unless_forced(tmp_path):
    space = Workspace(preload="scalar")
    target = tmp_path / "walk"
    target.mkdir()
    (target / "index.html").write_text("my notes")
    output = space.execute(f":walk f {target}")
    assert not output.ok and "exists; nothing was written" in output.text and "--force" in output.text
    assert (target / "index.html").read_text() == "my notes"
    assert space.execute(f":walk f {target} --force").ok
    assert "Backward walk" in (target / "index.html").read_text()


def test_pipe_mode_survives_a_100000_term_line():
    stream = io.StringIO("x = gl.scalar(1.0)\nf = " + " + ".join(["x"] * 100_000) + "\nprint('alive')\n")
    out = io.StringIO()
    assert run_stream(Workspace(), stream, out) == 1
    assert "RecursionError" in out.getvalue() and "alive" in out.getvalue()


def test_pipe_mode_skips_a_line_that_is_not_utf8():
    stream = io.BytesIO(b"x = 1\n\xff\xfe oops\nprint(x + 1)\n")
    out = io.StringIO()
    assert run_stream(Workspace(), io.TextIOWrapper(stream, encoding="utf-8"), out) == 1
    assert "line 2 of the input is not utf-8 text" in out.getvalue() and "\n2\n" in out.getvalue()


def _graphlab(*arguments, **options):
    environment = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "graphlab", *arguments], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, **options)


def test_invalid_utf8_on_stdin_of_the_real_command():
    process = _graphlab("repl")
    out, err = process.communicate(b"x = 2\n\xff\nprint(x * 3)\n", timeout=120)
    assert process.returncode == 1 and b"not utf-8 text" in out and b"\n6\n" in out
    assert b"Traceback" not in err


def test_unknown_lesson_is_a_one_line_error():
    process = _graphlab("repl", "--lesson", "nosuch")
    out, err = process.communicate(b"", timeout=120)
    assert process.returncode == 2 and b"--lesson" in err and b"scalar" in err and len(err.splitlines()) == 1


def test_sigint_to_a_repl_running_a_slow_command_returns_to_the_next_line():
    process = _graphlab("repl")
    script = (b"import time\n"
              b"def slow(v):\n    time.sleep(60)\n    return v\n\n"
              b"x = gl.scalar(1.0)\n"
              b":jacobian slow(x) wrt x\n"
              b"print('after', x.item())\n")
    process.stdin.write(script)
    process.stdin.close()
    seen = b""
    deadline = time.monotonic() + 120
    while b"gl> x = gl.scalar(1.0)" not in seen and time.monotonic() < deadline:
        seen += process.stdout.read1(4096)      # the echo comes after x's line ran
    time.sleep(1.0)                              # now :jacobian sleeps inside slow()
    process.send_signal(signal.SIGINT)
    watchdog = threading.Timer(60, process.kill)    # never a hang
    watchdog.start()
    try:
        rest, err = process.stdout.read(), process.stderr.read()
        process.wait()
    finally:
        watchdog.cancel()
        process.kill()
    output = seen + rest
    assert b"KeyboardInterrupt: :jacobian cancelled" in output and b"after 1.0" in output
    assert b"Traceback" not in err and process.returncode == 1


def test_ctrl_c_in_the_prompt_toolkit_shell_returns_to_the_prompt(workspace):
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from graphlab.repl.app import build_session, run_interactive

    workspace.execute("import signal\ndef slow(v):\n    signal.raise_signal(signal.SIGINT)\n    return v\n")
    printed = []
    with create_pipe_input() as pipe:
        pipe.send_text(":jacobian slow(x) wrt x\r" + "print('back at the prompt')\r" + "\x04")
        session = build_session(workspace, input=pipe, output=DummyOutput(), history=InMemoryHistory())
        assert run_interactive(workspace, session=session, print_line=printed.append) == 0
    text = "\n".join(printed)
    assert "KeyboardInterrupt: :jacobian cancelled" in text and "back at the prompt" in text
