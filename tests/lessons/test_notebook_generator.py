"""graphlab/notebooks.py: a lesson script becomes cells (split at its headings, comments and strings kept, what a
cell cannot run refused with the line), the cells run in one namespace print what main prints, and
``graphlab lesson N --notebook [PATH]`` writes the file (never over the user's own without --force)."""
import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

from graphlab import cli, lessons, notebooks

needs_nbformat = pytest.mark.skipif(importlib.util.find_spec("nbformat") is None,
                                    reason="the notebook extra (nbformat) is not installed")

SCRIPT = '''\
"""A tiny lesson: two sections.

Its second paragraph.

    graphlab lesson 99
"""
import sys

from graphlab import lessons

SIZE = 3


def double(value):
    """Twice the value."""
    return 2 * value


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\\n\\n")[0])
    start = double(SIZE)

    # the comment above the first heading goes with the code after it
    lessons.heading("First (E01)")
    lessons.say(f"double(SIZE) = {start}")
    text = """a string
    whose second line keeps its spaces"""
    lessons.say(text)

    lessons.heading(f"Second, of size {SIZE}: *not* italics")
    for step in range(2):
        lessons.heading(f"step {step}")           # not at main's level: stays a call in the code
    lessons.say("quick" if options.quick else "full")
    return 0


def _after_main():
    return SIZE


if __name__ == "__main__":
    sys.exit(main())
'''


def _lesson(tmp_path, source: str = SCRIPT, name: str = "99_tiny") -> lessons.Lesson:
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    return lessons.Lesson(99, name[3:], source.split('"""')[1].splitlines()[0], path)


def test_a_lesson_becomes_intro_functions_options_and_one_cell_per_heading(tmp_path):
    cells = notebooks.cells(_lesson(tmp_path))
    assert [cell.kind for cell in cells] == ["markdown", "markdown", "code", "code", "code", "code", "markdown",
                                             "code", "code", "markdown", "code", "markdown", "code"]
    intro = cells[0].source
    assert intro.startswith("# Lesson 99: A tiny lesson: two sections.\n\nIts second paragraph.\n\n")
    assert "`lessons/99_tiny.py` (`graphlab lesson 99 --notebook`)" in intro
    assert [cell.source.splitlines()[0] for cell in cells[2:6]] == ["import sys", "SIZE = 3", "def double(value):",
                                                                    "def _after_main():"]
    assert cells[7].source == "options = lessons.notebook_options('99_tiny')\noptions"
    assert cells[8].source == "start = double(SIZE)"                     # main's __doc__ line is the intro now
    assert cells[9].source == "## First (E01)"
    assert cells[10].source.splitlines()[0] == "# the comment above the first heading goes with the code after it"
    assert '    whose second line keeps its spaces"""' in cells[10].source      # a string's spaces are not indentation
    assert cells[11].source == "## Second, of size 3: \\*not\\* italics"       # an f-string of module constants
    assert cells[12].source.splitlines()[:2] == ["for step in range(2):",
                                                 "    lessons.heading(f\"step {step}\")           # not at main's "
                                                 "level: stays a call in the code"]
    assert "return 0" not in cells[12].source and "__main__" not in "".join(cell.source for cell in cells)
    assert len({cell.id for cell in cells}) == len(cells)


def test_the_cells_run_in_one_namespace_print_what_main_prints_minus_the_headings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lesson = _lesson(tmp_path)
    script = io.StringIO()
    with contextlib.redirect_stdout(script):
        lesson.run(["--quick"])
    monkeypatch.setenv(lessons.QUICK_VARIABLE, "1")
    notebook = io.StringIO()
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(notebook):
        for cell in notebooks.cells(lesson):
            if cell.kind == "code":
                exec(compile(cell.source, cell.id, "exec"), namespace)
    expected = script.getvalue()
    for dropped in ("A tiny lesson: two sections.\n", "\nFirst (E01)\n-----------\n",
                    "\nSecond, of size 3: *not* italics\n--------------------------------\n"):
        assert dropped in expected
        expected = expected.replace(dropped, "", 1)
    assert notebook.getvalue() == expected
    assert "double(SIZE) = 6\n" in expected and expected.endswith("quick\n")
    assert namespace["options"].quick and namespace["options"].out == Path("out/lessons/99_tiny")


@pytest.mark.parametrize("body, message", [
    ("    if options.quick:\n        return 1\n", r"99_tiny.py, line 23: main has a `return` before its end"),
    ("    lessons.say(argv)\n", r"99_tiny.py, line 22: main uses `argv`, which a notebook does not have"),
    ("    lessons.say(__file__)\n", r"line 22: main uses `__file__`"),
    ("    SIZE = 4\n", r"line 22: main's variable `SIZE` would replace the global `SIZE` the lesson's functions"),
    ("    len = 2\n", r"main's variable `len` would replace the global `len`"),
])
def test_what_a_cell_cannot_run_is_refused_with_the_line(tmp_path, body, message):
    source = SCRIPT.replace("    start = double(SIZE)\n", body + "    start = double(SIZE)\n")
    source = source.replace('    return 2 * value\n', '    return 2 * value + len("")\n')
    with pytest.raises(notebooks.NotebookError, match=message):
        notebooks.cells(_lesson(tmp_path, source))


def test_a_local_that_only_shares_a_parameter_name_is_fine(tmp_path):
    source = SCRIPT.replace("    start = double(SIZE)\n", "    value = 1\n    start = double(SIZE)\n")
    assert any("value = 1" in cell.source for cell in notebooks.cells(_lesson(tmp_path, source)))


def test_a_lesson_without_main_or_docstring_is_refused(tmp_path):
    with pytest.raises(notebooks.NotebookError, match="99_tiny.py has no main"):
        notebooks.cells(_lesson(tmp_path, SCRIPT.replace("def main(", "def run(")))
    with pytest.raises(notebooks.NotebookError, match="99_tiny.py has no module docstring"):
        notebooks.cells(_lesson(tmp_path, SCRIPT[SCRIPT.index("import sys"):]))


@needs_nbformat
def test_the_notebook_file_is_valid_stable_and_has_no_outputs(tmp_path):
    import nbformat
    lesson = _lesson(tmp_path)
    text = notebooks.notebook_text(lesson)
    assert text == notebooks.notebook_text(lesson) and text.endswith("}\n")
    book = nbformat.reads(text, as_version=4)
    nbformat.validate(book)
    assert (book.nbformat, book.nbformat_minor) == (4, 5)
    assert book.metadata.kernelspec.name == "python3"
    assert book.metadata.graphlab == {"lesson": "99_tiny", "generated_from": "lessons/99_tiny.py"}
    assert [cell.id for cell in book.cells][:3] == ["introduction", "the-functions", "imports"]


def test_notebook_options_read_graphlab_quick(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lessons.notebook_options("01_scalar_backprop", {"GRAPHLAB_QUICK": "1"}).quick
    assert lessons.notebook_options("01_scalar_backprop", {"GRAPHLAB_QUICK": " Yes "}).quick
    full = lessons.notebook_options("01_scalar_backprop", {})
    assert not full.quick and full.out == Path("out/lessons/01_scalar_backprop") and full.out.is_dir()
    assert not lessons.notebook_options("01_scalar_backprop", {"GRAPHLAB_QUICK": "0"}).quick
    with pytest.raises(lessons.LessonError, match=r"GRAPHLAB_QUICK='fast' is neither on nor off; set it to 1"):
        lessons.notebook_options("01_scalar_backprop", {"GRAPHLAB_QUICK": "fast"})


# -- graphlab lesson N --notebook [PATH] -------------------------------------------------------------------
def _graphlab(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(argv))
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue(), err.getvalue()


@needs_nbformat
def test_lesson_notebook_writes_the_default_a_file_or_into_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = notebooks.notebook_text(lessons.resolve_lesson(1))
    status, out, _ = _graphlab("lesson", "1", "--notebook")
    assert status == 0 and out.startswith("wrote 01_scalar_backprop.ipynb (lesson 1, scalar_backprop)\n")
    assert (tmp_path / "01_scalar_backprop.ipynb").read_text(encoding="utf-8") == expected
    assert _graphlab("lesson", "scalar", "--notebook", "course/week1/")[0] == 0
    assert (tmp_path / "course" / "week1" / "01_scalar_backprop.ipynb").read_text(encoding="utf-8") == expected
    assert _graphlab("lesson", "2", "--notebook", "course/week1")[0] == 0          # an existing folder, too
    assert (tmp_path / "course" / "week1" / "02_sigmoid_neuron.ipynb").is_file()
    assert _graphlab("lesson", "1", "--notebook", "mine.ipynb")[0] == 0
    assert json.loads((tmp_path / "mine.ipynb").read_text())["metadata"]["graphlab"]["lesson"] == "01_scalar_backprop"


@needs_nbformat
def test_lesson_notebook_never_replaces_a_file_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "01_scalar_backprop.ipynb"
    mine.write_text("my own work", encoding="utf-8")
    status, _, err = _graphlab("lesson", "1", "--notebook")
    assert status == 2 and mine.read_text() == "my own work"
    assert err == ("graphlab: notebook: '01_scalar_backprop.ipynb' already exists and may hold your own work; "
                   "add --force to replace it, or give another path\n")
    assert _graphlab("lesson", "1", "--notebook", "--force")[0] == 0
    assert mine.read_text() == notebooks.notebook_text(lessons.resolve_lesson(1))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["01_scalar_backprop.ipynb"]   # no temporary left


@pytest.mark.parametrize("argv, message", [
    (("lesson", "1", "--notebook", "--quick"), "--notebook writes the notebook without running it, so --quick does "
                                               "not apply; the notebook runs quick when GRAPHLAB_QUICK=1"),
    (("lesson", "1", "--notebook", "x.ipynb", "--out", "pics"), "so --out does not apply"),
    (("lesson", "--list", "--notebook"), "so --list does not apply"),
    (("lesson", "--notebook"), "--notebook needs a lesson NAME: graphlab lesson 1 --notebook [PATH]"),
    (("lesson", "1", "--force"), "--force only goes with --notebook"),
    (("lesson", "1", "--notebook", "notes.txt"), "--notebook 'notes.txt' must end in .ipynb (a notebook file), or "
                                                 "with / for a folder (which gets 01_scalar_backprop.ipynb)"),
    (("lesson", "99", "--notebook"), "no lesson '99'"),
])
def test_lesson_notebook_refuses_bad_flags_before_writing_anything(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, out, err = _graphlab(*argv)
    assert status == 2 and message in " ".join(err.split()) and out == ""
    assert list(tmp_path.iterdir()) == []


def test_lesson_notebook_without_the_extra_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "nbformat", None)                # as if it were not installed
    status, _, err = _graphlab("lesson", "1", "--notebook")
    assert status == 2 and list(tmp_path.iterdir()) == []
    assert err == ("graphlab: notebook: writing a notebook needs the notebook extra (nbformat; ipykernel to run it): "
                   "pip install 'graphlab[notebook]'\n")


def test_the_help_says_where_the_notebook_goes():
    status, out, _ = _graphlab("lesson", "--help")
    assert status == 0
    assert "(default: NN_topic.ipynb in the current folder)" in " ".join(out.split())


def test_every_lesson_converts():
    for lesson in lessons.available():
        cells = notebooks.cells(lesson)
        headings = [cell for cell in cells if cell.kind == "markdown" and cell.source.startswith("## ")]
        assert len(headings) >= 3, lesson.name                          # two of the generator's, one of main's
        # every heading at main's level became a Markdown cell: no code cell calls one at its top level
        assert not any(line.startswith("lessons.heading(") for cell in cells if cell.kind == "code"
                       for line in cell.source.splitlines()), lesson.name


SECTION_FUNCTION = (
    '\ndef _extra(quick):\n'
    '    """A section of its own."""\n'
    '    lessons.heading("Extra (E94)")\n'
    '    lessons.say(quick)\n'
    '\n\n'
    'def _after_main():')


def test_a_section_written_as_a_function_gets_a_cell_of_its_own(tmp_path):
    last = '    lessons.say("quick" if options.quick else "full")\n'
    source = SCRIPT.replace(last, last + "    _extra(options.quick)\n")
    source = source.replace("\ndef _after_main():", SECTION_FUNCTION)
    cells = notebooks.cells(_lesson(tmp_path, source))
    assert cells[-1] == notebooks.Cell("code", "_extra(options.quick)", "extra-e94-code")
    assert cells[-2].source.endswith('lessons.say("quick" if options.quick else "full")')
