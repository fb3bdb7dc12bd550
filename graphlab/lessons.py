"""The lessons: runnable scripts in the source tree's ``lessons/`` folder, one lecture idea each.

A lesson is ``lessons/NN_topic.py``: its module docstring's first line is its title, and it
has a ``main(argv)`` that prints the narrative with the numbers and writes its pictures. Small
functions inside it return the numbers, so tests import them and assert the notes' values.
This module finds lessons by number or topic (``graphlab lesson 1``, ``graphlab lesson
scalar``; ``resolve_lesson``, which the REPL's ``:lesson`` uses too), loads them, and gives every lesson the same command line: ``--quick``
(small sizes, for tests) and ``--out DIR`` (where its pictures go).

>>> from graphlab import lessons
>>> lesson = lessons.resolve_lesson("1")
>>> lesson.name, lesson.number, lesson.topic
('01_scalar_backprop', 1, 'scalar_backprop')
>>> lessons.resolve_lesson("scalar") == lessons.resolve_lesson("01") == lesson
True
>>> lessons.resolve_lesson("batch").topic          # a prefix of one topic
'batch_norm'
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Optional, Sequence

from graphlab.errors import GraphlabError
from graphlab.tables import format_table

#: ``NN_topic.py``: a two-digit number, then the topic in snake case
_FILE_NAME = re.compile(r"^(?P<number>\d{2})_(?P<topic>[a-z0-9_]+)\.py$")


class LessonError(GraphlabError, LookupError):
    """No such lesson, or the lessons/ folder is not there."""


@dataclass(frozen=True)
class Lesson:
    """One lesson file: ``lessons/01_scalar_backprop.py`` is number 1, topic ``scalar_backprop``."""
    number: int
    topic: str
    title: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    def load(self) -> ModuleType:
        """The lesson as a module (loaded once), so its functions can be called and tested."""
        module_name = f"graphlab_lesson_{self.name}"
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, self.path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module       # dataclasses inside the lesson look themselves up here
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
        return module

    def run(self, argv: Sequence[str] = ()) -> int:
        """Run the lesson as ``python lessons/NN_topic.py ARGV`` would; returns its exit status."""
        return self.load().main(list(argv)) or 0


def folder() -> Path:
    """The source tree's lessons/ folder (beside the graphlab package, like benchmarks/)."""
    path = Path(__file__).resolve().parents[1] / "lessons"
    if not path.is_dir():
        raise LessonError(f"lesson: no lessons/ folder beside the package ({path}); the lessons ship with "
                          f"the source tree: run from a clone")
    return path


def _title(path: Path) -> str:
    """The first line of the module docstring, read without importing the lesson."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not docstring:
        raise LessonError(f"lesson: {path.name} has no module docstring; its first line is the lesson's title")
    return docstring.strip().splitlines()[0]


def available() -> list:
    """Every lesson, by number."""
    found = []
    for path in sorted(folder().glob("*.py")):
        match = _FILE_NAME.match(path.name)
        if match:
            found.append(Lesson(int(match["number"]), match["topic"], _title(path), path))
    return found


#: the REPL's lecture graphs (``:lesson scalar``, ``gl.examples.GRAPHS``) and the lesson that teaches
#: each one, so one word names the same lesson in ``graphlab lesson`` and in the REPL
GRAPH_LESSONS = {"scalar": 1, "sigmoid": 2, "sigmoid_fused": 2, "gates": 3, "vector": 4}


def resolve_lesson(name) -> Lesson:
    """The lesson ``name`` means: a number (``1``, ``"01"``), a topic (``"scalar_backprop"``), a file
    name (``"01_scalar_backprop.py"``), a REPL lecture graph (``"scalar"``, ``"sigmoid"``,
    ``"gates"``: ``GRAPH_LESSONS``) or a prefix of one topic (``"batch"``). Anything else raises a
    LessonError with a did-you-mean and the choices."""
    text = str(name).strip().lower().removesuffix(".py").replace("-", "_")
    every = available()
    if text.isdigit():
        return _by_number(name, int(text), every)
    for lesson in every:
        if text in (lesson.topic, lesson.name):
            return lesson
    if text in GRAPH_LESSONS:
        return _by_number(name, GRAPH_LESSONS[text], every)
    starting = [lesson for lesson in every if text and lesson.topic.startswith(text)]
    if len(starting) == 1:
        return starting[0]
    if len(starting) > 1:
        which = ", ".join(f"{lesson.number} ({lesson.topic})" for lesson in starting)
        raise LessonError(f"lesson: {name!r} could be {which}; give more of the name, or the number")
    raise LessonError(f"lesson: no lesson {str(name)[:40]!r}{_did_you_mean(text, every)}\nchoose one of:"
                      f"\n{_choices(every)}")


def _by_number(name, number: int, every: list) -> Lesson:
    for lesson in every:
        if lesson.number == number:
            return lesson
    low, high = every[0].number, every[-1].number
    raise LessonError(f"lesson: no lesson {str(name)[:40]!r}; the lessons are numbered {low} to {high}:"
                      f"\n{_choices(every)}")


def _did_you_mean(text: str, every: list) -> str:
    """``; did you mean 9 (batch_norm)?`` for the closest topic, file name or graph word, or ``""``."""
    import difflib
    spellings = {lesson.topic: lesson for lesson in every}
    spellings.update({lesson.name: lesson for lesson in every})
    numbered = {lesson.number: lesson for lesson in every}
    spellings.update({word: numbered[number] for word, number in GRAPH_LESSONS.items() if number in numbered})
    close = difflib.get_close_matches(text, list(spellings), n=1, cutoff=0.6)
    if not close:
        return ""
    lesson = spellings[close[0]]
    return f"; did you mean {lesson.number} ({lesson.topic})?"


def _choices(every: list) -> str:
    """The lessons as ``1 (scalar_backprop), 2 (...)`` on lines of at most 80 columns, each entry whole."""
    lines = [""]
    for lesson in every:
        entry = f"{lesson.number} ({lesson.topic}),"
        if len(lines[-1]) + 1 + len(entry) > 78:
            lines.append("")
        lines[-1] += " " + entry
    return "\n".join(" " + line for line in lines).rstrip(",")


def find(name) -> Lesson:
    """The lesson called ``name``: ``resolve_lesson`` (kept for the lessons' tests and older scripts)."""
    return resolve_lesson(name)


def listing() -> str:
    """The lessons as the lines ``graphlab lesson --list`` prints."""
    every = available()
    width = max((len(lesson.topic) for lesson in every), default=0)
    return "\n".join(f"{lesson.number:>2}  {lesson.topic:<{width}}  {lesson.title}" for lesson in every)


# -- what every lesson shares ------------------------------------------------------------------------
def arguments(argv: Optional[Sequence[str]], lesson_file: str, description: str) -> argparse.Namespace:
    """Every lesson's command line: ``--quick`` and ``--out DIR``.

    ``out`` (a Path) defaults to ``out/lessons/NN_topic`` under the current directory.
    """
    name = Path(lesson_file).stem
    parser = argparse.ArgumentParser(prog=f"lessons/{name}.py", description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and fewer pictures (what the tests run)")
    parser.add_argument("--out", type=_folder, default=Path("out") / "lessons" / name, metavar="DIR",
                        help="folder for the pictures (default: %(default)s)")
    options = parser.parse_args(list(argv) if argv is not None else None)
    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:             # a file on the way, no permission, ...: one line naming --out
        parser.error(f"argument --out: cannot create the folder {str(options.out)!r}: {error.strerror}")
    return options


def _folder(text: str) -> Path:
    """--out: a folder path; an existing file there is refused at once (not after the lesson ran)."""
    from graphlab.train.flags import folder
    return folder(text)


#: the environment variable that runs a lesson notebook's quick version (CI sets it to 1)
QUICK_VARIABLE = "GRAPHLAB_QUICK"

#: what ``GRAPHLAB_QUICK`` may say, and whether it means quick
_QUICK_VALUES = {"": False, "0": False, "false": False, "no": False, "off": False,
                 "1": True, "true": True, "yes": True, "on": True}


def notebook_options(name: str, environ=None) -> argparse.Namespace:
    """A lesson notebook's ``options``: what ``arguments`` gives the script, read from the
    environment instead of a command line. ``GRAPHLAB_QUICK=1`` is ``--quick``; the pictures go to
    ``out/lessons/NN_topic`` under the current folder (in Jupyter, the notebook's)."""
    environ = os.environ if environ is None else environ
    value = environ.get(QUICK_VARIABLE, "")
    if value.strip().lower() not in _QUICK_VALUES:
        raise LessonError(f"lesson: {QUICK_VARIABLE}={value!r} is neither on nor off; set it to 1 for the quick "
                          f"lesson, or to 0 (or unset it) for the full one")
    quick = _QUICK_VALUES[value.strip().lower()]
    return arguments(["--quick"] if quick else [], f"{name}.py", f"the lesson {name}")


#: the width a lesson's narrative fits in (a terminal's default; README's rule for all output)
WIDTH = 80

#: a run of two or more spaces between words: a column gap (a table row, or a note set apart)
_GAP = re.compile(r"(?<=\S) {2,}(?=\S)")


def say(*parts, sep: str = " ", end: str = "\n", file=None, flush: bool = False) -> None:
    """``print`` for a lesson's narrative, in ``WIDTH`` columns: a longer prose line is wrapped at
    word boundaries (continuation lines keep its indentation, two more when it had one), and a
    statement followed by a note set apart by spaces (``x = 3    (the add gate)``) puts the note
    on the next line. Table rows (two gaps or more) are printed as they are: a table must fit."""
    _show_waiting_pictures()
    text = sep.join(str(part) for part in parts)
    print("\n".join(_wrapped(line) for line in text.split("\n")), end=end, file=file, flush=flush)


def _wrapped(line: str) -> str:
    if len(line) <= WIDTH:
        return line
    indent = line[:len(line) - len(line.lstrip())]
    gaps = list(_GAP.finditer(line, len(indent)))
    if len(gaps) > 1:
        return line
    if len(gaps) == 1:
        statement, note = line[:gaps[0].start()], line[gaps[0].end():]
        return _wrapped(statement) + "\n" + _wrapped(indent + "    " + note)
    import textwrap
    return "\n".join(textwrap.wrap(line.strip(), width=WIDTH, initial_indent=indent,
                                    subsequent_indent=indent + ("  " if indent else ""),
                                    break_long_words=False, break_on_hyphens=False))


def heading(text: str) -> None:
    """Print a section heading of the narrative (in a Jupyter kernel: a Markdown heading)."""
    _show_waiting_pictures()
    plain = f"\n{text}\n{'-' * len(text)}"
    if _kernel() is None:
        print(plain)
        return
    sys.stdout.flush()                      # the narrative printed so far comes before the heading
    _display({"text/markdown": f"## {text}", "text/plain": plain})        # as the notebook's own headings


def table(rows: Sequence[Sequence], header: Sequence[str]) -> str:
    """Rows as aligned text columns, for the narrative; a column of numbers is right-aligned."""
    body = [[str(cell) for cell in row] for row in rows]
    cells = [[str(cell) for cell in header]] + body
    number = re.compile(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?%?")
    numeric = {column for column in range(len(header))
               if body and all(number.fullmatch(row[column]) for row in body)}
    return format_table(cells, right=numeric)


def wrote(path: Path) -> Path:
    """Say where a picture went; returns the path. In a Jupyter kernel the picture also shows inline,
    once it is written (``picture.savefig(lessons.wrote(path))`` writes it after this returns)."""
    _show_waiting_pictures()
    print(f"  wrote {path}")
    if _kernel() is not None and Path(path).suffix.lower() in _INLINE_PICTURES:
        _wait_for_picture(Path(path))
    return Path(path)


def diagram(root, path: Path, **draw_options) -> Path:
    """``gl.render`` for a lesson: say where the picture went (in a Jupyter kernel, show it inline),
    and without Graphviz keep going with the DOT source written beside it (the message says how to
    install Graphviz)."""
    from graphlab.viz import GraphvizNotFoundError, render
    try:
        written = wrote(render(root, path, **draw_options))
    except GraphvizNotFoundError as error:
        print(f"  {error}")
        return Path(path).with_suffix(".dot")
    _show_waiting_pictures()                  # written already: it shows before what the lesson says next
    return written


def backward_walk(root, folder: Path, **walk_options) -> Optional[Path]:
    """``gl.walk`` for a lesson: the frames and the HTML stepper, or a message without Graphviz. In a
    Jupyter kernel the walk is also displayed (the stepper inline, where the Walk can show it)."""
    from graphlab.viz import GraphvizNotFoundError, walk
    try:
        stepper = walk(root, folder, **walk_options)
    except GraphvizNotFoundError as error:
        print(f"  {error}")
        return None
    written = wrote(stepper.index)
    if _kernel() is not None:
        sys.stdout.flush()
        _display(stepper, raw=False)
    return written


def figure(width: float = 6.4, height: float = 4.8, layout: Optional[str] = "constrained"):
    """A matplotlib Figure without pyplot (no window, no global state); needs the ``plot`` extra.
    ``layout=None`` for a grid of many panels placed with ``subplots_adjust`` (constrained layout
    measures every label of every panel, which takes seconds for thirty of them)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise LessonError("lesson: this picture needs matplotlib: bash .ci/setup (installs the plot extra) "
                          "or pip install 'graphlab[plot]'") from None
    return Figure(figsize=(width, height), layout=layout)


# -- in a Jupyter kernel: pictures inline --------------------------------------------------------------
#: the pictures a notebook shows inline (a PDF or DOT file is only announced)
_INLINE_PICTURES = (".svg", ".png", ".jpg", ".jpeg", ".gif")

#: pictures announced by ``wrote`` that may not be written yet: (path, its mtime then, or None)
_waiting: list = []

#: the kernels whose end-of-cell hook shows what is still waiting (registered once per kernel)
_hooked: set = set()


def _kernel():
    """The IPython shell of a running Jupyter kernel, or None (a script, a terminal, plain IPython).
    IPython is only looked up in ``sys.modules``, never imported: outside a kernel nothing changes."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell if getattr(shell, "kernel", None) is not None else None


def _display(value, raw: bool = True) -> None:
    from IPython.display import display
    display(value, raw=raw)


def _wait_for_picture(path: Path) -> None:
    """Show ``path`` once it is written: at the next narrative call, or when the cell ends."""
    shell = _kernel()
    if id(shell) not in _hooked:
        shell.events.register("post_run_cell", _cell_ended)
        _hooked.add(id(shell))
    _waiting.append((path, _modified(path)))


def _cell_ended(result=None) -> None:
    _show_waiting_pictures(succeeded=getattr(result, "success", True))


def _modified(path: Path) -> Optional[int]:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _show_waiting_pictures(succeeded: bool = True) -> None:
    """Display the pictures ``wrote`` announced. Reaching the next narrative call means the code
    in between ran, so every one that exists is shown; after a cell that failed, only those written
    since (an older file of the same name may be all there is)."""
    if not _waiting:
        return
    ready = [path for path, before in _waiting
             if _modified(path) is not None and (succeeded or _modified(path) != before)]
    _waiting.clear()
    if ready:
        sys.stdout.flush()
        from IPython.display import SVG, Image
        for path in ready:
            _display(SVG(filename=str(path)) if path.suffix.lower() == ".svg" else Image(filename=str(path)),
                     raw=False)
