"""The interactive shell: prompt-toolkit over a Workspace, and the plain runner for pipes.

``run(workspace)`` picks: a terminal gets the prompt-toolkit app (completion, history,
highlighting, a toolbar); anything else (a pipe, a file, ``GRAPHLAB_SIMPLE_PROMPT=1``) is read
line by line, so ``graphlab repl < session.txt`` works in scripts and CI.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, TextIO

from graphlab.repl.workspace import CONTINUATION, PROMPT, Workspace, is_incomplete, iter_blocks

HINT = "graphlab REPL: Python with gl and np loaded. :help lists commands; try :backward, :step, :render."


def history_path() -> Path:
    """Where the input history lives: $GRAPHLAB_HISTORY, else ~/.graphlab_history."""
    return Path(os.environ.get("GRAPHLAB_HISTORY") or Path.home() / ".graphlab_history").expanduser()


def wants_simple_prompt(stream: TextIO) -> bool:
    return os.environ.get("GRAPHLAB_SIMPLE_PROMPT") == "1" or not stream.isatty()


def run_stream(workspace: Workspace, stream: TextIO, out: TextIO) -> int:
    """Run every block read from ``stream``, echoing it like a transcript; 1 if any failed."""
    for block in iter_blocks(stream):
        output = workspace.execute(block)
        first, *rest = block.splitlines()
        out.write(f"{PROMPT}{first}\n" + "".join(f"{CONTINUATION}{line}\n" for line in rest))
        if output.text:
            out.write(output.text + "\n")
        out.flush()
        if output.quit:
            break
    return 1 if workspace.failures else 0


def build_session(workspace: Workspace, input=None, output=None, history=None):
    """The prompt-toolkit PromptSession: tests pass a pipe input and a dummy output."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory

    from graphlab.repl.completer import ReplCompleter

    return PromptSession(
        message=PROMPT, multiline=True, prompt_continuation=CONTINUATION, key_bindings=enter_bindings(),
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


def run_interactive(workspace: Workspace, session=None, print_line=print) -> int:
    session = session or build_session(workspace)
    print_line(HINT + (f"\n{workspace.greeting.splitlines()[0]}" if workspace.greeting else ""))
    while True:
        try:
            text = session.prompt()
        except KeyboardInterrupt:      # Ctrl-C cancels the line, never the session
            continue
        except EOFError:               # Ctrl-D leaves
            break
        output = workspace.execute(text)
        if output.text:
            print_line(output.text)
        if output.quit:
            break
    return 0


def run(workspace: Optional[Workspace] = None, stream: TextIO = None, out: TextIO = None) -> int:
    workspace = workspace or Workspace()
    stream = stream or sys.stdin
    if wants_simple_prompt(stream):
        return run_stream(workspace, stream, out or sys.stdout)
    return run_interactive(workspace)
