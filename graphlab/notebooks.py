"""Every lesson as a Jupyter notebook, generated from its script so the two cannot drift apart.

``graphlab lesson 1 --notebook`` writes ``01_scalar_backprop.ipynb``; the source tree's
``notebooks/`` folder holds them all (``docs/make_notebooks.py`` regenerates it, and a test fails
when it is out of date). A notebook is its script, cut where the narrative already cuts it:

* a Markdown cell from the module docstring (its first line becomes ``# Lesson N: title``);
* the module's code: its imports, constants and functions, one cell each (``main`` and the
  ``if __name__ == "__main__"`` block left out);
* ``options`` read from the environment instead of the command line
  (``lessons.notebook_options``: ``GRAPHLAB_QUICK=1`` runs the quick lesson, as CI does);
* ``main``'s body, split at its ``lessons.heading(...)`` calls: each heading becomes a Markdown
  cell, the statements up to the next heading one code cell.

The script is read with ``ast`` (statements and their exact source lines, comments included),
never with patterns over the text, so a lesson stays convertible whatever its sections hold.
What a notebook cannot run the same way (a ``return`` before main's end, ``argv`` or
``__file__`` in main, a variable of main that would replace a module-level name the functions
read) is a NotebookError naming the lesson and the line.

>>> from graphlab import lessons, notebooks
>>> cells = notebooks.cells(lessons.resolve_lesson(1))
>>> cells[0].source.splitlines()[0]
'# Lesson 1: Scalar backprop: f = (x + y) z, forward and backward one gate at a time.'
>>> [cell.source for cell in cells if cell.source.startswith("## ")][2:4]
['## By hand (E01)', '## With graphlab']
"""
from __future__ import annotations

import ast
import io
import os
import re
import symtable
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from graphlab.errors import GraphlabError

#: what to install for anything that writes or runs a notebook
EXTRA = "pip install 'graphlab[notebook]'"

#: names a notebook cell has no value for: the script's command line and its own file
_SCRIPT_ONLY_NAMES = ("argv", "__file__", "__doc__")


class NotebookError(GraphlabError, ValueError):
    """A lesson that cannot become a notebook, a notebook path that cannot be written, or no nbformat."""


@dataclass(frozen=True)
class Cell:
    """One cell of a lesson notebook: ``kind`` is ``"markdown"`` or ``"code"``; ``id`` is stable
    (made from what the cell holds), so regenerating an unchanged lesson changes nothing."""
    kind: str
    source: str
    id: str


# -- reading the script ------------------------------------------------------------------------------
class _Script:
    """A lesson's source: its syntax tree, its lines, and the lines inside multi-line strings."""

    def __init__(self, lesson):
        self.lesson = lesson
        self.text = lesson.path.read_text(encoding="utf-8")
        self.tree = ast.parse(self.text, filename=str(lesson.path))
        self.lines = self.text.splitlines()
        self.in_string = _string_continuations(self.text)

    def where(self, node: ast.AST) -> str:
        return f"{self.lesson.path.name}, line {node.lineno}"

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node)

    def chunk(self, statements: list, after_line: int, indent: str = "") -> str:
        """The source lines of ``statements`` with the comments just above the first one (not above
        line ``after_line``), ``indent`` removed: exactly what the script says, comments included."""
        first = self.first_with_comments(statements[0], after_line)
        last = max(statement.end_lineno for statement in statements)
        lines = [self._dedented(number, indent) for number in range(first, last + 1)]
        return "\n".join(lines).strip("\n")

    def first_with_comments(self, statement: ast.stmt, after_line: int) -> int:
        """The first line of ``statement`` or of the comment lines right above it."""
        first = _first_line(statement)
        while first - 1 > after_line and self.lines[first - 2].strip()[:1] in ("", "#"):
            first -= 1
        return first

    def comments_above(self, statement: ast.stmt, after_line: int, indent: str) -> list:
        first = self.first_with_comments(statement, after_line)
        return [self._dedented(number, indent) for number in range(first, _first_line(statement))
                if self.lines[number - 1].strip()]

    def _dedented(self, number: int, indent: str) -> str:
        line = self.lines[number - 1]
        if number in self.in_string:          # a string's own spaces, not indentation
            return line
        if line.startswith(indent):
            return line[len(indent):]
        return line.strip()                   # a blank line, or a comment indented less than the code


def _first_line(statement: ast.stmt) -> int:
    """The statement's first line, its decorators included."""
    return min([statement.lineno] + [decorator.lineno for decorator in getattr(statement, "decorator_list", ())])


def _string_continuations(text: str) -> frozenset:
    """The line numbers inside a multi-line string, after its first line: their leading spaces
    belong to the string, so they are never removed as indentation."""
    inside, open_fstrings = set(), []
    fstring_start, fstring_end = getattr(tokenize, "FSTRING_START", None), getattr(tokenize, "FSTRING_END", None)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING:
            inside.update(range(token.start[0] + 1, token.end[0] + 1))
        elif token.type == fstring_start:      # Python 3.12: an f-string is several tokens
            open_fstrings.append(token.start[0])
        elif token.type == fstring_end:
            inside.update(range(open_fstrings.pop() + 1, token.end[0] + 1))
    return frozenset(inside)


def _main_function(script: _Script) -> ast.FunctionDef:
    for statement in script.tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "main":
            return statement
    raise NotebookError(f"notebook: {script.lesson.path.name} has no main(argv) function; a lesson's "
                        f"narrative is its main, which the notebook splits at its headings")


def _is_script_entry(statement: ast.stmt) -> bool:
    """``if __name__ == "__main__":``, which only a script runs."""
    test = getattr(statement, "test", None)
    return (isinstance(statement, ast.If) and isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name) and test.left.id == "__name__")


def _call_of(statement: ast.stmt, method: str) -> Optional[ast.Call]:
    """The call in ``statement`` if it is ``something.method(...)`` on its own line (or assigned)."""
    value = getattr(statement, "value", None)
    if isinstance(statement, (ast.Expr, ast.Assign)) and isinstance(value, ast.Call):
        function = value.func
        if isinstance(function, ast.Attribute) and function.attr == method:
            return value
    return None


def _names(node: ast.AST) -> set:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


# -- the cells -----------------------------------------------------------------------------------
def cells(lesson) -> list:
    """The lesson's notebook as a list of Cells (no nbformat needed: ``notebook`` wraps them)."""
    script = _Script(lesson)
    main = _main_function(script)
    found = [Cell("markdown", _introduction(script), "introduction"),
             Cell("markdown", _FUNCTIONS_NOTE, "the-functions")]
    found += _module_cells(script, main)
    found += _Narrative(script, main).cells()
    return _unique_ids(found)


_FUNCTIONS_NOTE = ("## The lesson's functions\n\n"
                   "The script's imports, constants and small functions, one cell each. They compute the "
                   "numbers the narrative below prints; the tests import the same functions from the script "
                   "and assert their values.")


def _introduction(script: _Script) -> str:
    lesson = script.lesson
    docstring = ast.get_docstring(script.tree)
    if not docstring:
        raise NotebookError(f"notebook: {lesson.path.name} has no module docstring; its first line is the "
                            f"lesson's title")
    title, _, rest = docstring.strip().partition("\n")
    note = (f"*This notebook is generated from `lessons/{lesson.path.name}` (`graphlab lesson {lesson.number} "
            f"--notebook`): change the script, then regenerate the notebook.*")
    return f"# Lesson {lesson.number}: {title.strip()}\n\n{rest.strip()}\n\n{note}".replace("\n\n\n\n", "\n\n")


def _module_cells(script: _Script, main: ast.FunctionDef) -> list:
    """The module's statements but its docstring, main and the script entry: imports together,
    consecutive constants together, each function or class in its own cell."""
    groups, previous_end = [], 0
    for index, statement in enumerate(script.tree.body):
        skipped = (statement is main or _is_script_entry(statement)
                   or (index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)))
        if not skipped:
            kind = _module_kind(statement)
            if groups and kind in ("imports", "constants") and groups[-1][0] == kind:
                groups[-1][1].append(statement)
            else:
                groups.append((kind, [statement], previous_end))
        previous_end = statement.end_lineno
    return [Cell("code", script.chunk(statements, after), kind)
            for kind, statements, after in groups]


def _module_kind(statement: ast.stmt) -> str:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return "imports"
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return f"def-{statement.name}"
    return "constants"


class _Narrative:
    """``main``'s body as cells: a Markdown cell per ``lessons.heading``, code in between."""

    def __init__(self, script: _Script, main: ast.FunctionDef):
        self.script, self.main = script, main
        self.indent = script.lines[main.body[0].lineno - 1][:main.body[0].col_offset]
        self.statements = self._body()
        self.found, self.waiting, self.carried, self.section = [], [], [], "start"
        self.after_line = max([main.lineno] + [getattr(node, "end_lineno", 0) or 0 for node in ast.walk(main.args)]
                              + [main.returns.end_lineno if main.returns else 0])      # the header's last line
        self._namespace = None

    def _body(self) -> list:
        body = list(self.main.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body.pop(0)                                  # main's own docstring
        if body and isinstance(body[-1], ast.Return):
            body.pop()                                   # the exit status, which a notebook has no use for
        for statement in body:
            _refuse_what_a_cell_cannot_run(self.script, statement)
        _refuse_shadowed_globals(self.script, self.main, body)
        return body

    def cells(self) -> list:
        for statement in self.statements:
            heading = self._heading(statement) if _call_of(statement, "heading") is not None else None
            if _call_of(statement, "arguments") is not None and isinstance(statement, ast.Assign):
                self._options(statement)
            elif _call_of(statement, "say") is not None and "__doc__" in _names(statement):
                self._skip(statement)                    # the docstring's first paragraph: the Markdown above
            elif heading is not None:
                self._skip(statement)
                self.found.append(Cell("markdown", f"## {_markdown_escaped(heading)}", _slug(heading)))
                self.section = _slug(heading)
            elif self._section_function(statement) is not None:
                self._flush()                            # a section written as a function: a cell of its own
                self.section, self.waiting = _slug(self._section_function(statement)), [statement]
                self._flush()
            else:
                self.waiting.append(statement)
        self._flush()
        return self.found

    def _skip(self, statement: ast.stmt) -> None:
        """Leave ``statement`` out of the code; the comments above it go with the next code cell."""
        self._flush()
        self.carried += self.script.comments_above(statement, self.after_line, self.indent)
        self.after_line = statement.end_lineno

    def _flush(self) -> None:
        if self.waiting:
            source = self.script.chunk(self.waiting, self.after_line, self.indent)
            self.found.append(Cell("code", "\n".join(self.carried + [source]), f"{self.section}-code"))
            self.after_line, self.waiting, self.carried = self.waiting[-1].end_lineno, [], []

    def _options(self, statement: ast.Assign) -> None:
        """``options = lessons.arguments(argv, __file__, __doc__)`` becomes ``lessons.notebook_options``."""
        self._skip(statement)
        call = statement.value
        target, module = self.script.source(statement.targets[0]), self.script.source(call.func.value)
        name = self.script.lesson.name
        self.found.append(Cell("markdown", _options_note(name), "running-the-lesson"))
        self.found.append(Cell("code", f"{target} = {module}.notebook_options({name!r})\n{target}", "options"))
        self.section = "options"

    def _heading(self, statement: ast.stmt) -> Optional[str]:
        """The heading's text, when it is known before the lesson runs: a string, or an f-string of
        the module's constants; otherwise None, and the call stays in the code (it prints there)."""
        call = _call_of(statement, "heading")
        if len(call.args) != 1 or call.keywords or not isinstance(statement, ast.Expr):
            return None
        argument = call.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
        if isinstance(argument, ast.JoinedStr):
            try:
                return str(eval(compile(ast.Expression(argument), str(self.script.lesson.path), "eval"),
                                self._module_namespace()))
            except Exception:                                       # a name of main's: known only when it runs
                return None
        return None

    def _section_function(self, statement: ast.stmt) -> Optional[str]:
        """The heading of a module-level function that ``statement`` calls and that opens with a
        ``lessons.heading("...")``: a whole section (its heading shows when it runs), or None."""
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return None
        function = next((node for node in self.script.tree.body if isinstance(node, ast.FunctionDef)
                         and node.name == call.func.id), None)
        body = [node for node in (function.body if function else [])
                if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
        if not body or _call_of(body[0], "heading") is None or not body[0].value.args:
            return None
        argument = body[0].value.args[0]
        return argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None

    def _module_namespace(self) -> dict:
        if self._namespace is None:
            self._namespace = dict(vars(self.script.lesson.load()))
        return self._namespace


def _options_note(name: str) -> str:
    return ("## Running the lesson\n\n"
            "The script reads `--quick` and `--out DIR` from its command line; the notebook reads the "
            "environment instead. With `GRAPHLAB_QUICK=1` set before Jupyter starts (CI sets it), it runs "
            "the quick lesson: smaller sizes and fewer pictures, the same numbers. Otherwise it runs the "
            f"full lesson. The pictures are written to `out/lessons/{name}/` under the notebook's folder "
            "and shown inline.")


def _refuse_what_a_cell_cannot_run(script: _Script, statement: ast.stmt) -> None:
    """A ``return`` before main's end, a ``yield``, or ``argv``/``__file__``/``__doc__`` outside the
    two statements the generator rewrites have no meaning in a notebook cell."""
    if _call_of(statement, "arguments") is not None or (_call_of(statement, "say") is not None
                                                        and "__doc__" in _names(statement)):
        return
    for node in _outside_nested_functions(statement):
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            raise NotebookError(f"notebook: {script.where(node)}: main has a `{script.source(node).split()[0]}` "
                                f"before its end, which a notebook cell cannot run; move that part into a "
                                f"function main calls")
        if isinstance(node, ast.Name) and node.id in _SCRIPT_ONLY_NAMES:
            raise NotebookError(f"notebook: {script.where(node)}: main uses `{node.id}`, which a notebook does "
                                f"not have; read it in a function main calls, or use `options`")


def _outside_nested_functions(node: ast.AST):
    """``ast.walk`` that does not enter a function, lambda or class defined inside ``node``."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                pending.append(child)


def _refuse_shadowed_globals(script: _Script, main: ast.FunctionDef, body: list) -> None:
    """In a notebook, main's variables become globals: one named like a global (or a builtin) that
    the module's functions read would change what those functions do."""
    module = symtable.symtable(script.text, str(script.lesson.path), "exec")
    main_table = next(table for table in module.get_children() if table.get_name() == "main")
    bound = {symbol.get_name() for symbol in main_table.get_symbols()
             if symbol.is_local() and not symbol.is_parameter()}
    shadowed = bound & _globals_read_by_functions(module)
    if shadowed:
        name = sorted(shadowed)[0]
        where = next((node for statement in body for node in ast.walk(statement)
                      if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store)), main)
        raise NotebookError(f"notebook: {script.where(where)}: main's variable `{name}` would replace the "
                            f"global `{name}` the lesson's functions read (in a notebook both live in one "
                            f"namespace); rename the variable")


def _globals_read_by_functions(module: symtable.SymbolTable) -> set:
    """The global (and builtin) names the functions outside main read, nested ones included."""
    read, pending = set(), [table for table in module.get_children() if table.get_name() != "main"]
    while pending:
        table = pending.pop()
        pending.extend(table.get_children())
        if table.get_type() == "function":
            read.update(symbol.get_name() for symbol in table.get_symbols()
                        if symbol.is_referenced() and symbol.is_global())
    return read


# -- cell ids and Markdown ----------------------------------------------------------------------------
def _slug(text: str) -> str:
    """``By hand (E01)`` → ``by-hand-e01``: a cell id (letters, digits, - and _; at most 64)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:48].rstrip("-") or "section"


def _markdown_escaped(text: str) -> str:
    """A heading's text as Markdown shows it literally: ``f = x*y`` does not turn into italics."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def _unique_ids(found: list) -> list:
    seen, result = {}, []
    for cell in found:
        count = seen[cell.id] = seen.get(cell.id, 0) + 1
        result.append(cell if count == 1 else Cell(cell.kind, cell.source, f"{cell.id}-{count}"))
    return result


# -- the notebook file ---------------------------------------------------------------------------------
def require_nbformat():
    """The nbformat module, or a NotebookError saying which extra to install."""
    try:
        import nbformat
    except ImportError:
        raise NotebookError(f"notebook: writing a notebook needs the notebook extra (nbformat; ipykernel to run "
                            f"it): {EXTRA}") from None
    return nbformat


def notebook(lesson):
    """The lesson's notebook (an nbformat v4.5 NotebookNode, validated, without outputs)."""
    nbformat = require_nbformat()
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
                "graphlab": {"lesson": lesson.name, "generated_from": f"lessons/{lesson.path.name}"}}
    book = nbformat.v4.new_notebook(metadata=metadata, nbformat=4, nbformat_minor=5)
    for cell in cells(lesson):
        new_cell = nbformat.v4.new_markdown_cell if cell.kind == "markdown" else nbformat.v4.new_code_cell
        book.cells.append(new_cell(cell.source, id=cell.id))
    nbformat.validate(book)
    return book


def notebook_text(lesson) -> str:
    """The ``.ipynb`` file's exact text (nbformat's JSON: one key order, so the same lesson gives the
    same bytes, which the test that keeps ``notebooks/`` in sync compares)."""
    return require_nbformat().writes(notebook(lesson)) + "\n"


def file_name(lesson) -> str:
    """``01_scalar_backprop.ipynb``."""
    return f"{lesson.name}.ipynb"


def target_path(lesson, path: Optional[str]) -> Path:
    """Where ``--notebook [PATH]`` writes: ``PATH``; ``PATH/NN_topic.ipynb`` when PATH ends with ``/``
    or is a folder; ``NN_topic.ipynb`` in the current folder without PATH. A PATH not ending in
    ``.ipynb`` is refused (Jupyter would not open it as a notebook)."""
    if not path:
        return Path(file_name(lesson))
    if path.endswith(("/", os.sep)) or Path(path).is_dir():
        return Path(path) / file_name(lesson)
    if not path.endswith(".ipynb"):
        raise NotebookError(f"notebook: --notebook {path!r} must end in .ipynb (a notebook file), or with / "
                            f"for a folder (which gets {file_name(lesson)})")
    return Path(path)


def write(lesson, path: Path, force: bool = False) -> Path:
    """Write the lesson's notebook to ``path`` (its folder created). An existing file is never
    replaced unless ``force``: it may be a notebook the user ran and saved."""
    path = Path(path)
    if path.is_dir():
        raise NotebookError(f"notebook: {str(path)!r} is a folder; give a file name ending in .ipynb, or end "
                            f"the path with / to write {file_name(lesson)} in it")
    if path.exists() and not force:
        raise NotebookError(f"notebook: {str(path)!r} already exists and may hold your own work; add --force "
                            f"to replace it, or give another path")
    text = notebook_text(lesson)                 # built before anything is touched: an error leaves no file
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_replacing(path, text)
    except OSError as error:
        raise NotebookError(f"notebook: cannot write {str(path)!r}: {error.strerror}") from None
    return path


def _write_replacing(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over: never a half-written notebook."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
