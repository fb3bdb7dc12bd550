"""The lesson infrastructure: finding lessons, their common command line, ``graphlab lesson``, and every
lesson running in --quick mode into a temporary folder. Each lesson's numbers are asserted in its own
tests/lessons/test_lessons_NN_topic.py."""
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphlab import lessons

ROOT = Path(__file__).resolve().parents[2]
EVERY = lessons.available()


def graphlab(*arguments, cwd):
    return subprocess.run([sys.executable, "-m", "graphlab", *arguments], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_every_lesson_file_is_named_titled_and_has_main():
    files = sorted(path.name for path in (ROOT / "lessons").glob("*.py"))
    assert files == [lesson.path.name for lesson in EVERY]            # no stray file the listing would skip
    assert [lesson.number for lesson in EVERY] == sorted({lesson.number for lesson in EVERY})    # one per number
    for lesson in EVERY:
        module = lesson.load()
        assert callable(module.main)
        assert module.__doc__.splitlines()[0] == lesson.title
        assert f"graphlab lesson {lesson.number}" in module.__doc__            # the docstring says how to run it


def test_find_by_number_topic_or_file_name():
    lesson = lessons.find(1)
    assert (lesson.number, lesson.topic, lesson.name) == (1, "scalar_backprop", "01_scalar_backprop")
    assert lessons.find("01") == lessons.find("scalar_backprop") == lessons.find("01_scalar_backprop.py") == lesson
    assert lesson.load() is lesson.load()                                      # loaded once
    with pytest.raises(lessons.LessonError, match=r"no lesson 'nope'\nchoose one of:\n  1 \(scalar_backprop\)"):
        lessons.find("nope")


@pytest.mark.parametrize("text, number", [
    ("1", 1), ("01", 1), (" 17 ", 17), ("scalar", 1), ("sigmoid", 2), ("sigmoid_fused", 2), ("gates", 3),
    ("vector", 4), ("scalar_backprop", 1), ("09_batch_norm.py", 9), ("batch", 9), ("Second-Order", 17),
    ("dense", 16), ("conv", 10)])
def test_resolve_lesson_takes_numbers_topics_repl_graph_words_and_unique_prefixes(text, number):
    assert lessons.resolve_lesson(text).number == number


def test_every_repl_lecture_graph_names_the_lesson_that_teaches_it():
    from graphlab import examples
    assert set(lessons.GRAPH_LESSONS) == set(examples.GRAPHS)
    assert lessons.resolve_lesson("gates").topic == "gate_patterns"


def test_resolve_lesson_says_did_you_mean_and_lists_the_choices_at_80_columns():
    with pytest.raises(lessons.LessonError) as caught:
        lessons.resolve_lesson("batchnrom")
    message = str(caught.value)
    assert message.splitlines()[0] == "lesson: no lesson 'batchnrom'; did you mean 9 (batch_norm)?"
    assert "4 (vectorized_backprop)" in message and "17 (second_order)" in message
    assert len("graphlab: " + message.splitlines()[0]) <= 80 and max(map(len, message.splitlines())) <= 80
    with pytest.raises(lessons.LessonError, match=r"'s' could be 1 \(scalar_backprop\), 2 \(sigmoid_neuron\), "
                                                  r"17 \(second_order\); give more of the name, or the number"):
        lessons.resolve_lesson("s")
    with pytest.raises(lessons.LessonError, match=r"no lesson '19'; the lessons are numbered 1 to 18:"):
        lessons.resolve_lesson("19")


def test_every_lesson_has_the_same_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = lessons.arguments([], "lessons/01_scalar_backprop.py", "doc")
    assert options.out == Path("out/lessons/01_scalar_backprop") and (tmp_path / options.out).is_dir()
    assert not options.quick
    options = lessons.arguments(["--quick", "--out", str(tmp_path / "pictures")], "lessons/01_scalar_backprop.py", "doc")
    assert options.quick and options.out == tmp_path / "pictures" and options.out.is_dir()


def test_table_right_aligns_columns_of_numbers_only():
    text = lessons.table([("+1", "-0.53", "1,234", "a b"), ("exp", "0.2", "12", "c")], ("gate", "v", "n", "t"))
    assert text.splitlines() == ["gate      v      n  t",
                                 "----  -----  -----  ---",
                                 "+1    -0.53  1,234  a b",
                                 "exp     0.2     12  c"]


@pytest.mark.parametrize("lesson", EVERY, ids=lambda lesson: lesson.name)
def test_every_lesson_runs_quick_into_the_folder_it_is_given(lesson, quick_run):
    status, text, tmp_path = quick_run(lesson.number)     # the run the lesson's own tests read too
    assert status == 0
    assert " ".join(text.split()).startswith(lesson.title)                 # the title may wrap
    assert re.search(r"\bE\d\d\b", text)                                      # it says which catalogue entries it shows
    written = [Path(line.split("wrote ", 1)[1]) for line in text.splitlines() if "  wrote " in line]
    assert written and all(path.parent == tmp_path and path.stat().st_size > 0 for path in written)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)
    # 80 columns: every line but the "wrote PATH" ones, whose length is the length of the --out folder
    too_wide = [line for line in text.splitlines() if len(line) > lessons.WIDTH and "  wrote " not in line]
    assert too_wide == [], f"{lesson.name} prints lines wider than {lessons.WIDTH} columns"


def test_say_wraps_prose_moves_set_apart_notes_and_leaves_tables_alone(capsys):
    lessons.say("word " * 30 + "end")
    lessons.say("  df/dz = 1 × 3 = 3" + " " * 10 + "(the mul gate: the local gradient is the other input, " + "x" * 30 + ")")
    table_row = "a" * 30 + "  " + "b" * 30 + "  " + "c" * 30
    lessons.say(table_row)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [("word " * 16).rstrip(), ("word " * 14) + "end"]
    assert lines[2] == "  df/dz = 1 × 3 = 3"
    assert lines[3] == "      (the mul gate: the local gradient is the other input,"
    assert lines[4] == "        " + "x" * 30 + ")"
    assert lines[5] == table_row                                   # a table must fit by itself; the test above checks


def test_graphlab_lesson_list_shows_every_title(tmp_path):
    result = graphlab("lesson", "--list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for lesson in EVERY:
        assert f"{lesson.number:>2}  {lesson.topic}" in result.stdout and lesson.title in result.stdout
    assert graphlab("lesson", cwd=tmp_path).stdout == result.stdout


def test_graphlab_lesson_1_prints_the_narrative_and_writes_its_diagrams_and_walk(tmp_path):
    result = graphlab("lesson", "1", cwd=tmp_path)                             # full mode, default --out
    assert result.returncode == 0, result.stderr
    assert "forward:  q = x + y = -2 + 5 = 3,  f = q z = 3 × -4 = -12" in result.stdout
    assert "f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)" in result.stdout
    out = tmp_path / "out" / "lessons" / "01_scalar_backprop"
    assert {"e01_forward.svg", "e01_backward.svg", "e01_focus_q.svg", "walk"} <= {path.name for path in out.iterdir()}
    focus = html.unescape((out / "e01_focus_q.svg").read_text())
    assert "x: downstream = upstream × local: -4 × 1 = -4" in focus
    assert len(list((out / "walk" / "frames").glob("step_*.svg"))) == 5 and (out / "walk" / "index.html").is_file()


def test_graphlab_lesson_by_topic_and_unknown_names(tmp_path):
    result = graphlab("lesson", "scalar_backprop", "--quick", "--out", "pictures", cwd=tmp_path)
    assert result.returncode == 0 and "df/dz = df/df × q = 1 × 3 = 3" in result.stdout
    assert (tmp_path / "pictures" / "e01_backward.svg").is_file() and not (tmp_path / "pictures" / "walk").exists()
    unknown = graphlab("lesson", "99", cwd=tmp_path)
    assert unknown.returncode == 2 and "no lesson '99'; the lessons are numbered 1 to 18:" in unknown.stderr
    typo = graphlab("lesson", "sigmiod", cwd=tmp_path)
    assert typo.returncode == 2 and "did you mean 2 (sigmoid_neuron)?" in typo.stderr


def test_graphlab_lesson_takes_the_repl_word_scalar(tmp_path):
    result = graphlab("lesson", "scalar", "--quick", "--out", "pictures", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(lessons.resolve_lesson(1).title)


def test_a_lesson_runs_as_a_script(tmp_path):
    script = ROOT / "lessons" / "01_scalar_backprop.py"
    result = subprocess.run([sys.executable, str(script), "--quick", "--out", str(tmp_path)], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "q = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)" in result.stdout
    help_text = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert "--quick" in help_text.stdout and "--out DIR" in help_text.stdout


def test_docs_list_exactly_the_catalogue_entries_the_lesson_tests_cite():
    """docs/lessons.md's table of entries: every id some tests/lessons/test_lessons_NN_topic.py cites, with the
    numbers of the lessons whose tests cite it, and the count."""
    cited = {}
    for path in (ROOT / "tests" / "lessons").glob("test_lessons_[0-9][0-9]_*.py"):
        number = int(path.name.split("_")[2])
        for entry in re.findall(r"(?<![A-Za-z0-9])E\d{2,3}(?!\d)", path.read_text(encoding="utf-8")):
            cited.setdefault(entry, set()).add(number)
    document = (ROOT / "docs" / "lessons.md").read_text(encoding="utf-8")
    section = document.split("## Catalogue entries reproduced and asserted", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| \[(E\d{2,3})\]\(catalogue\.md#(e\d{2,3})\) \| .* \| ([\d, ]+) \|$", section, flags=re.MULTILINE)
    assert all(anchor == entry.lower() for entry, anchor, _ in rows)          # each id links to its catalogue entry
    rows = [(entry, numbers) for entry, _, numbers in rows]
    listed = {entry: {int(number) for number in numbers.split(",")} for entry, numbers in rows}
    assert len(rows) == len(listed) and listed == cited
    assert f"**{len(listed)} entries so far.**" in section
