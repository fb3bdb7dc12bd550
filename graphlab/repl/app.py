"""The interactive shell: prompt-toolkit over a Workspace, and the plain runner for pipes.

``run(workspace)`` picks: a terminal gets the prompt-toolkit app (completion, history,
highlighting, a toolbar); anything else (a pipe, a file, ``GRAPHLAB_SIMPLE_PROMPT=1``) is read
line by line, so ``graphlab repl < session.txt`` works in scripts and CI.
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Iterator, Optional, TextIO

from graphlab.repl.text import wrap
from graphlab.repl.workspace import CONTINUATION, Output, Workspace, is_incomplete, iter_blocks

#: two lines, each under 80 columns
HINT = ("graphlab REPL: Python with gl and np loaded.\n"
        ":help lists commands; try :lesson 1, then :backward, :step, :render.")


def history_path() -> Path:
    """Where the input history lives: $GRAPHLAB_HISTORY, else ~/.graphlab_history."""
    return Path(os.environ.get("GRAPHLAB_HISTORY") or Path.home() / ".graphlab_history").expanduser()


def wants_simple_prompt(stream: TextIO) -> bool:
    return os.environ.get("GRAPHLAB_SIMPLE_PROMPT") == "1" or not stream.isatty()


def run_stream(workspace: Workspace, stream, out: TextIO) -> int:
    """Run every block read from ``stream``, echoing it like a transcript; 1 if any failed.
    A line that is not UTF-8 is reported and skipped; Ctrl-C cancels the block it interrupts."""
    for block in iter_blocks(readable_lines(stream, workspace, out)):
        prompt = workspace.prompt          # the quiz's question, while a quiz runs
        try:
            output = workspace.execute(block)
        except KeyboardInterrupt:      # between the guards (echo, bookkeeping): still only this block
            output = Output("KeyboardInterrupt", ok=False, interrupted=True)
            workspace.failures += 1
        first, *rest = block.splitlines()
        out.write(f"{prompt}{first}\n" + "".join(f"{CONTINUATION}{line}\n" for line in rest))
        if output.text:
            out.write(output.text + "\n")
        out.flush()
        if output.quit:
            break
    _end_quiz(workspace, lambda text: out.write(text + "\n"))
    return 1 if workspace.failures else 0


def _end_quiz(workspace: Workspace, print_line) -> None:
    """The end of the input (EOF, Ctrl-D, :quit) ends a quiz under way with its score."""
    if workspace.quiz is not None:
        print_line(wrap(workspace.stop_quiz()))


def readable_lines(stream, workspace: Workspace, out: TextIO) -> Iterator[str]:
    """The lines of ``stream`` as text. A binary stream (or a text stream's ``.buffer``) is decoded
    line by line, so one line that is not UTF-8 is reported, counted as a failure and skipped."""
    binary = getattr(stream, "buffer", None) if isinstance(stream, io.TextIOBase) else None
    if binary is None and not isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        yield from stream
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    for number, raw in enumerate(binary if binary is not None else stream, 1):
        try:
            yield raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            yield ""        # ends an open block first, so the message comes after its output
            start = getattr(error, "start", 0)
            out.write(f"error: line {number} of the input is not {encoding} text (byte {raw[start]:#04x} at "
                      f"position {start}); the line was skipped\n")
            out.flush()
            workspace.failures += 1


def build_session(workspace: Workspace, input=None, output=None, history=None):
    """The prompt-toolkit PromptSession: tests pass a pipe input and a dummy output."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory

    from graphlab.repl.completer import ReplCompleter

    return PromptSession(
        message=lambda: workspace.prompt, multiline=True, prompt_continuation=CONTINUATION, key_bindings=enter_bindings(),
        history=history if history is not None else file_history(), auto_suggest=AutoSuggestFromHistory(),
        completer=ReplCompleter(workspace), complete_while_typing=False, lexer=python_lexer(),
        bottom_toolbar=workspace.toolbar, input=input, output=output)


def file_history():
    """The input history kept in ``history_path()``; in memory only when that file cannot be written."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()   # an unwritable home must not stop the REPL


def enter_bindings():
    """Enter runs a complete input; inside an open block or bracket it starts a new line."""
    from prompt_toolkit.key_binding import KeyBindings
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event):
        buffer = event.current_buffer
        if is_incomplete(buffer.text) and not buffer.text.endswith("\n"):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    return bindings


def python_lexer():
    """Python syntax highlighting, or None when Pygments is missing (highlighting is a nicety)."""
    try:
        from prompt_toolkit.lexers import PygmentsLexer
        from pygments.lexers.python import PythonLexer
        return PygmentsLexer(PythonLexer)
    except ImportError:
        return None


def run_interactive(workspace: Workspace, session=None, print_line=print, banner: Optional[str] = None) -> int:
    """The prompt-toolkit loop; ``banner`` replaces the opening hint (``graphlab quiz`` shows its quiz)."""
    session = session or build_session(workspace)
    if banner is not None:
        print_line(banner)
    else:
        print_line(HINT + (f"\n{wrap(workspace.greeting.splitlines()[0])}" if workspace.greeting else ""))
    while True:
        try:
            text = session.prompt()
        except KeyboardInterrupt:      # Ctrl-C cancels the line, never the session
            continue
        except EOFError:               # Ctrl-D leaves
            break
        try:
            output = workspace.execute(text)
            if output.text:
                print_line(output.text)
        except KeyboardInterrupt:      # Ctrl-C outside the command's own guard: back to the prompt
            print_line("KeyboardInterrupt")
            continue
        if output.quit:
            break
    _end_quiz(workspace, print_line)
    return 0


def run(workspace: Optional[Workspace] = None, stream: TextIO = None, out: TextIO = None,
        banner: Optional[str] = None) -> int:
    """The REPL over ``workspace``; ``banner`` is printed first (in a pipe too) instead of the hint."""
    workspace = workspace or Workspace()
    stream = stream or sys.stdin
    if wants_simple_prompt(stream):
        out = out or sys.stdout
        if banner is not None:
            out.write(banner + "\n")
        return run_stream(workspace, stream, out)
    return run_interactive(workspace, banner=banner)
