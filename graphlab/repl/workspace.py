"""The REPL's state and its one entry point, ``Workspace.execute(source) -> Output``.

Plain Python, no prompt-toolkit: the interactive shell, the stdin runner and the tests all
drive the same object.

>>> from graphlab.repl import Workspace
>>> workspace = Workspace()
>>> _ = workspace.execute("x = gl.scalar(-2); y = gl.scalar(5); z = gl.scalar(-4)")
>>> _ = workspace.execute("q = x + y; f = q * z")
>>> print(workspace.execute(":step").text.splitlines()[0])
step 1 of 5: f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)
"""
from __future__ import annotations

import ast
import codeop
import contextlib
import difflib
import io
import itertools
import linecache
import os
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

import numpy as np

import graphlab as gl
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import GraphlabError
from graphlab.repl import commands, hints
from graphlab.repl.hints import TOO_BIG_HINT
from graphlab.repl.text import wrap
from graphlab.repl.walk_state import WalkState, clear_gradients, graph_nodes
from graphlab.repl.names import Bindings, assigned_names

SOURCE_NAME = "<graphlab>"
#: the prompt: not Python's ">>>", so transcripts in the docs are not mistaken for doctests
PROMPT, CONTINUATION = "gl> ", "..> "
SESSION_HEADER = "# graphlab session: replay with  graphlab repl < FILE  or  :load FILE\n"
#: commands that are not replayed by :save (they act on the session itself)
_NOT_SAVED = (":save", ":load", ":quit", ":history", ":help", ":quiz", ":hint")
#: how many session files :load may nest (one loading another)
MAX_LOAD_DEPTH = 20
#: numbers the inputs' file names for tracebacks (see _remember_source)
_INPUT_NUMBERS = itertools.count(1)


@dataclass
class Output:
    """What one input produced: the text to show, whether it worked, whether to leave."""
    text: str
    ok: bool = True
    quit: bool = False
    #: Ctrl-C stopped it (a :load replaying it stops too)
    interrupted: bool = False


def iter_blocks(lines: Iterable[str]) -> Iterator[str]:
    """Group input lines the way Python's interactive prompt does: a colon command or a simple
    statement is one block; a compound statement runs until a blank line."""
    block: List[str] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not block:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.lstrip().startswith(":"):
                yield line.strip()
                continue
        elif not line.strip():
            yield "\n".join(block)
            block = []
            continue
        block.append(line)
        if not is_incomplete("\n".join(block)):
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def is_incomplete(source: str) -> bool:
    """True while ``source`` needs more lines (an open bracket or a block without its body)."""
    if source.lstrip().startswith(":"):
        return False
    try:
        return codeop.compile_command(source, SOURCE_NAME, "single") is None
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        return False   # an error is complete: running it reports the error


class Workspace:
    """A namespace with ``gl`` and ``np``, the current graph, the walk, and the session's lines."""

    def __init__(self, preload: Optional[str] = None):
        self.namespace: Dict[str, object] = {"gl": gl, "np": np, "__name__": "__graphlab__"}
        #: the current backward: the root (and the name it keeps), the last :backward's Trace, or a
        #: step walk under way (see graphlab.repl.walk_state)
        self._root: Optional[Tensor] = None
        self.root_name: Optional[str] = None
        self._trace = None
        self._walk: Optional[WalkState] = None
        self.inputs: List[str] = []
        #: moves a variable's name to the tensor it now holds (graphlab/repl/names.py)
        self.bindings = Bindings()
        self.failures = 0
        self.quitting = False
        #: the session files :load is replaying now (a file that loads itself is refused)
        self._loading: List[str] = []
        #: the practice quiz under way (graphlab/practice/session.py); while it runs, a plain line is an answer
        self.quiz = None
        #: what loading ``preload`` printed, shown under the REPL's opening hint
        self.greeting = self.execute(f":lesson {preload}").text if preload else ""

    # -- running one input -----------------------------------------------------------------------
    def execute(self, source: str) -> Output:
        stripped = source.strip()
        if not stripped:
            return Output(wrap(self.quiz.repeat()) if self.quiz is not None else "")
        if stripped.startswith(":"):
            output = self._run_command(stripped)
        elif self.quiz is not None:
            return self._answer_quiz(stripped)    # an answer is not Python: never saved, never a failure
        else:
            output = self._run_python(source)
        if output.ok and not stripped.startswith(_NOT_SAVED):
            self.inputs.append(source.rstrip())
        if not output.ok:
            self.failures += 1
        output.quit = self.quitting
        return output

    def _run_command(self, line: str) -> Output:
        """One colon command under the one guard: any error is reported (with a hint) and the
        session goes on; Ctrl-C cancels the command."""
        try:
            return Output(commands.dispatch(self, line))
        except KeyboardInterrupt:
            if self._walk is not None:    # a walk stopped half-way through a step is not to be trusted:
                clear_gradients(self._walk.root)   # no half-delivered gradients left behind
            self.clear_walk()
            return Output(f"KeyboardInterrupt: {line.split()[0]} cancelled", ok=False, interrupted=True)
        except SystemExit:    # exit() inside a command's expression: leave, as typing it would
            self.quitting = True
            return Output("")
        except Exception as error:  # noqa: BLE001 (the guard: report and go on)
            return Output(wrap(self.error_text(error, command=True)), ok=False)

    # -- practice mode (graphlab/practice, graphlab/repl/quiz_commands.py) ---------------------------
    @property
    def prompt(self) -> str:
        """What the prompt says: ``gl> ``, or the quiz's question (``df/dx = ``)."""
        return self.quiz.prompt if self.quiz is not None else PROMPT

    def start_quiz(self, level: Optional[str], seed: Optional[int], replay: str = ":quiz") -> str:
        """A quiz on a generated graph of ``level`` (loaded into the workspace), or on the current graph;
        its text (``replay``: how the title says to replay it, ``graphlab quiz`` from a shell)."""
        from graphlab import practice
        if level is None:
            root = self.current_root()
            quiz = practice.QuizSession(root, f"quiz on {self.root_label()}, the current graph")
        else:
            quiz = practice.start(level, seed, replay)
            self.namespace.update(quiz.graph.nodes)
            self.set_root(quiz.root, quiz.root.label)
        self.quiz = quiz
        return wrap(quiz.intro())

    def stop_quiz(self) -> str:
        text, self.quiz = self.quiz.stop(), None
        return text

    def _answer_quiz(self, text: str) -> Output:
        try:
            reply = self.quiz.answer(text)
        except KeyboardInterrupt:
            return Output("KeyboardInterrupt: the answer was not checked; type it again", interrupted=True)
        if self.quiz.finished:
            self.quiz = None
        return Output(wrap(reply))

    def _run_python(self, source: str) -> Output:
        captured = io.StringIO()
        filename = _remember_source(source)
        try:
            tree = ast.parse(source, filename, "exec")
            code = compile(ast.Expression(tree.body[0].value) if _is_expression(tree) else tree, filename,
                           "eval" if _is_expression(tree) else "exec")
        except SyntaxError as error:
            return Output(_syntax_error_text(error), ok=False)
        except (RecursionError, MemoryError, ValueError, OverflowError) as error:
            return Output(f"{type(error).__name__}: {error}\nhint: {TOO_BIG_HINT}", ok=False)
        before = self.bindings.snapshot(self.namespace)
        try:
            with contextlib.redirect_stdout(captured):
                value = eval(code, self.namespace) if _is_expression(tree) else exec(code, self.namespace)
        except KeyboardInterrupt:
            return Output(captured.getvalue() + "KeyboardInterrupt", ok=False, interrupted=True)
        except SystemExit:          # exit() or quit() typed in the REPL: leave, as Python's REPL does
            self.quitting = True
            return Output(captured.getvalue().rstrip("\n"))
        except Exception as error:  # user code: report and go on
            return Output(captured.getvalue() + self._traceback_text(error), ok=False)
        self._name_tensors(tree, before)
        text = captured.getvalue()
        if value is not None:
            self.namespace["_"] = value
            text += _safe_repr(value)
        return Output(text.rstrip("\n"))

    def _name_tensors(self, tree: ast.Module, before: Dict[str, Tensor]) -> None:
        """``q = x + y`` names the node ``q`` (also inside loops: ``h = h * 0.9`` moves the name
        h to the new node, see repl/names.py); the last graph output assigned becomes the root."""
        for variable in assigned_names(tree):
            self.bindings.bind(variable, before, self.namespace)
            value = self.namespace.get(variable)
            if isinstance(value, Tensor) and value.creator is not None and value.requires_grad:
                # an alias (g = f) keeps the tensor's own name
                self.set_root(value, variable if value.name == variable else None)

    def _traceback_text(self, error: BaseException) -> str:
        """The last three lines of the user's own code that led to the error, each with its source
        (a function defined in an earlier input is named: ``line 2, in f``)."""
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if frame.filename.startswith(SOURCE_NAME[:-1])]
        lines = []
        for frame in frames[-3:]:
            where = f"line {frame.lineno}" + ("" if frame.name == "<module>" else f", in {frame.name}")
            lines.append(wrap(f"  {where}: {frame.line}" if frame.line else f"  {where}"))
        return "\n".join(lines + [wrap(self.error_text(error))])

    def error_text(self, error: BaseException, command: bool = False) -> str:
        """``Type: message`` and a short hint that fits the error (graphlab's own errors say the fix;
        a command's usage errors read ``error: ...`` as before)."""
        if isinstance(error, GraphlabError) and command:
            return _error_text(error)
        message = f"{type(error).__name__}: {_safe_str(error)}"
        hint = hints.hint(error, self.namespace, command=command)
        return message + (f"\nhint: {hint}" if hint else "")

    # -- what commands use ----------------------------------------------------------------------
    def tensors(self) -> Dict[str, Tensor]:
        return {name: value for name, value in self.namespace.items()
                if isinstance(value, Tensor) and not name.startswith("_")}

    def tensor(self, name: str) -> Tensor:
        """A variable's tensor, or a node by the name the views show (``h@0``, ``t12``)."""
        value = self.namespace.get(name)
        if not isinstance(value, Tensor):
            value = self.find_node(name)
        if not isinstance(value, Tensor):
            close = difflib.get_close_matches(name, list(self.tensors()), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; :vars lists them"
            raise commands.CommandError(f"{name!r} is not a tensor in the workspace{hint}")
        return value

    # -- the current backward: one root, and a finished backward or a walk in progress -----------
    def current_root(self) -> Tensor:
        if self._root is None:
            raise commands.CommandError("no graph yet: assign one (f = (x + y) * z) or :lesson scalar")
        return self._root

    def root_label(self) -> str:
        return self.root_name or "f"

    def set_root(self, tensor: Tensor, name: Optional[str] = None) -> None:
        """Make ``tensor`` the root. It keeps the name the user gave it: ``name`` when the caller
        knows it (an assignment, ``:backward b``), else its own name or a workspace name that holds
        it, never ``_`` (the last result) while a real name exists."""
        if tensor is not self._root:
            self.clear_walk()
            self._trace = None
        self.root_name = self._name_of(tensor, name)
        self._root = tensor

    def _name_of(self, tensor: Tensor, asked: Optional[str]) -> str:
        if tensor.name is not None and self.namespace.get(tensor.name) is tensor:
            return tensor.name        # its own name, the one every view shows (not an alias)
        if asked is not None:
            return asked
        if tensor is self._root and self.namespace.get(self.root_name) is tensor:
            return self.root_name
        holders = [key for key, value in self.namespace.items() if value is tensor]
        named = [key for key in holders if not key.startswith("_")]
        return (named or [tensor.label])[0]

    @property
    def last_trace(self):
        """The Trace every view reads: the walk's steps so far while one is under way, else the
        last :backward's."""
        return self._walk.trace if self._walk is not None else self._trace

    def walk(self) -> Optional[WalkState]:
        """The step walk of the current root, if one is under way."""
        return self._walk if self._walk is not None and self._walk.root is self._root else None

    def start_walk(self) -> WalkState:
        self._walk = WalkState(self.current_root())
        self._trace = None
        return self._walk

    def run_backward(self, root: Tensor, name: Optional[str] = None) -> tuple:
        """``:backward``: the Trace, and whether gradients were cleared first. Each :backward starts
        from cleared gradients, so the Trace, ``.grad`` and every view show the same numbers."""
        self.set_root(root, name)
        self.clear_walk()
        # a root backward refuses (not scalar, no gradient) keeps its gradients: backward says why
        cleared = root.requires_grad and root.data.size == 1 and clear_gradients(root) > 0
        self._trace = root.backward()
        return self._trace, cleared

    def reset(self) -> int:
        """``:reset``: no walk, no Trace, no gradient on the root's graph; how many were cleared."""
        self.clear_walk()
        self._trace = None
        return clear_gradients(self.current_root())

    def forget_trace(self) -> None:
        self._trace = None

    def backward_status(self) -> str:
        walk = self.walk()
        if walk is not None and not walk.done:
            return f"step {walk.position} of {walk.total}"
        return "done" if self._root is not None and self._root.grad is not None else "not yet"

    def graph_nodes(self, root: Tensor) -> List[Tensor]:
        """All nodes of ``root``'s graph, constants included, inputs first."""
        return graph_nodes(root)

    def node(self, label: str) -> Tensor:
        """A node by a variable or by its display name (``Tensor.label``: what every view shows)."""
        if isinstance(self.namespace.get(label), Tensor):
            return self.namespace[label]
        found = self.find_node(label)
        if found is None:
            raise commands.CommandError(f"no node {label!r}; :nodes lists the nodes of the current graph")
        return found

    def find_node(self, label: str) -> Optional[Tensor]:
        """The node whose display name is ``label`` in the graph of a workspace tensor (the
        current root's graph first), or None."""
        seen = set()
        roots = ([self._root] if self._root is not None else []) + list(self.tensors().values())
        for tensor in roots:
            if tensor.id in seen:
                continue
            for node in graph_nodes(tensor):
                seen.add(node.id)
                if node.label == label:
                    return node
        return None

    def clear_walk(self) -> None:
        self._walk = None

    def load_example(self, name: str) -> str:
        nodes = gl.examples.build(name)
        self.namespace.update(nodes)
        self.set_root(nodes["f"], "f")
        title = gl.examples.GRAPHS[name][0]
        value = gl.autodiff.trace.format_value(nodes['f'].data)
        return wrap(f"loaded {title}\n  nodes: {', '.join(nodes)}; root f = {value}"
                    f"\n  try :backward, :step, :graph, :render")

    def toolbar(self) -> str:
        if self.quiz is not None:
            return f" {self.quiz.status()}  |  :hint  |  :quiz stop"
        if self._root is None:
            return " no graph yet: f = (x + y) * z, or :lesson scalar  |  :help"
        nodes = len(graph_nodes(self._root))
        return f" root: {self.root_label()}  |  nodes: {nodes}  |  backward: {self.backward_status()}  |  :help"

    # -- sessions -------------------------------------------------------------------------------
    def save(self, path: str, overwrite: bool = False) -> str:
        target = Path(path).expanduser()
        if target.exists() and not overwrite:
            raise commands.CommandError(f"{target} exists; nothing was written. Use :save {path} --force to replace it")
        body = SESSION_HEADER + "".join(block + ("\n\n" if "\n" in block else "\n") for block in self.inputs)
        # write beside the target, then rename: a crash never leaves half a file behind
        handle, temporary = tempfile.mkstemp(prefix=".graphlab-", dir=str(target.parent.resolve()))
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(body)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return f"saved {len(self.inputs)} inputs to {target}"

    def load(self, path: str) -> str:
        source = Path(path).expanduser()
        if not source.is_file():
            raise commands.CommandError(f"no session file {source}")
        key = str(source.resolve())
        if key in self._loading:
            raise commands.CommandError(f"{source} is already being replayed (a session that loads itself, "
                                        f"directly or through another file); remove its :load line")
        if len(self._loading) >= MAX_LOAD_DEPTH:
            raise commands.CommandError(f":load nests more than {MAX_LOAD_DEPTH} files deep; flatten the sessions")
        text = _read_session(source)
        self._loading.append(key)
        try:
            return self._replay(source, text)
        finally:
            self._loading.pop()

    def _replay(self, source: Path, text: str) -> str:
        texts, failed = [], 0
        for block in iter_blocks(text.splitlines()):
            output = self.execute(block)
            texts.append(f"{PROMPT}{block}" + (f"\n{output.text}" if output.text else ""))
            failed += not output.ok
            if output.interrupted:   # Ctrl-C cancels the whole :load, not one line of it
                raise KeyboardInterrupt
        texts.append(f"replayed {source}: {failed} error(s)" if failed else f"replayed {source}")
        return "\n".join(texts)


def _read_session(source: Path) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise commands.CommandError(f"{source} is not UTF-8 text (byte {error.object[error.start]:#04x} at "
                                    f"position {error.start}); a session file is text") from None


def _remember_source(source: str) -> str:
    """A file name of its own for one input, whose lines tracebacks can show (Python reads them
    from ``linecache``, as it does for files); numbered across every Workspace of the process."""
    filename = f"{SOURCE_NAME[:-1]}:{next(_INPUT_NUMBERS)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return filename


def _is_expression(tree: ast.Module) -> bool:
    return len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)


def _safe_str(value) -> str:
    """str() of an error or value whose own __str__ may fail (user classes)."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__} that cannot be printed>"


def _safe_repr(value) -> str:
    try:
        return repr(value)
    except Exception as error:  # noqa: BLE001 (a user's broken __repr__ must not end the session)
        return f"<{type(value).__name__}: repr failed with {type(error).__name__}: {_safe_str(error)}>"


def _error_text(error: BaseException) -> str:
    if isinstance(error, KeyError) and error.args:
        return f"error: {error.args[0]}"
    return f"error: {error}"


def _syntax_error_text(error: SyntaxError) -> str:
    lines = []
    if error.text:
        lines.append("  " + error.text.rstrip("\n"))
        if error.offset:
            lines.append("  " + " " * (error.offset - 1) + "^")
    lines.append(f"SyntaxError: {error.msg}")
    lines.append("hint: a colon command starts with ':' (e.g. :help); Python needs balanced brackets")
    return "\n".join(lines)
