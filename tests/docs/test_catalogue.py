"""docs/catalogue.md is where every worked-example id leads, and the repository needs nothing outside itself.

* Every id of the form E + two or three digits, cited in any tracked text file (code, lessons, tests, docs,
  README, benchmarks, examples), has its own ``## E..`` heading (and anchor) in docs/catalogue.md.
* The catalogue lists E01 to E101, each once and in order; every link to ``catalogue.md#e..`` lands on one.
* No tracked file points outside the repository (the former shared folder of design guide and examples list)
  or cites the course notes by line number (an L followed by 3-4 digits); the catalogue's ids replace both.

The patterns are assembled from pieces so that this file does not match them itself.
"""
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "catalogue.md"

ENTRY = re.compile(r"\bE\d{2,3}\b")
LINT_CODES = re.compile(r"noqa\b:?\s*[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*")   # flake8 codes look like ids
HEADING = re.compile(r"^## (E\d{2,3}) — \S", flags=re.MULTILINE)
ANCHOR = re.compile(r'^<a id="(e\d{2,3})"></a>\n## (E\d{2,3}) ', flags=re.MULTILINE)
LINK = re.compile(r"catalogue\.md#(e\d{2,3})\b")
OUTSIDE = re.compile(re.escape("sha" + "red/") + "|" + re.escape("LECTURE" + "_EXAMPLES") + "|"
                     + re.escape("DESIGN" + ".md"))
NOTE_LINE = re.compile(r"(?<![A-Za-z0-9_])" + "L" + r"\d{3,4}\b(?!\.\d)")   # not SVG path data (an L, digits, a decimal point)
SKIPPED_FOLDERS = {".git", ".venv", "__pycache__", "out", "node_modules"}


def tracked_files() -> list:
    """The repository's files as ``git ls-files`` lists them; without git (or outside a checkout), the tree."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        listing = None
    if listing is not None and listing.returncode == 0 and listing.stdout:
        return [ROOT / name for name in listing.stdout.decode("utf-8").split("\0") if name]
    found = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_FOLDERS and not name.startswith(".")]
        found += [Path(folder) / name for name in names]
    return found


def text_files() -> dict:
    """{path relative to the root: text} for every tracked file that is text (pictures and binaries left out)."""
    texts = {}
    for path in tracked_files():
        if not path.is_file():                                  # deleted in the working tree, not yet committed
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            texts[path.relative_to(ROOT).as_posix()] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


TEXTS = text_files()


def catalogue_ids() -> list:
    return HEADING.findall(CATALOGUE.read_text(encoding="utf-8"))


def where(pattern: re.Pattern, texts: dict) -> list:
    """'file:line: text' for every line of ``texts`` that ``pattern`` matches."""
    return [f"{name}:{number}: {line.strip()[:120]}" for name, text in sorted(texts.items())
            for number, line in enumerate(text.splitlines(), start=1) if pattern.search(line)]


def test_the_scan_sees_the_repository():
    assert "docs/catalogue.md" in TEXTS and "README.md" in TEXTS and Path(__file__).name in {
        Path(name).name for name in TEXTS}
    assert any(name.startswith("graphlab/") for name in TEXTS) and any(name.startswith("lessons/") for name in TEXTS)


def test_the_catalogue_has_every_entry_once_in_order_with_an_anchor():
    ids = catalogue_ids()
    assert ids == [f"E{number:02d}" for number in range(1, 102)]
    anchored = ANCHOR.findall(CATALOGUE.read_text(encoding="utf-8"))
    assert [entry for _, entry in anchored] == ids
    assert all(anchor == entry.lower() for anchor, entry in anchored)


def test_every_cited_entry_has_a_heading_in_the_catalogue():
    headings = set(catalogue_ids())
    missing = [f"{name}:{number}: {entry}" for name, text in sorted(TEXTS.items())
               for number, line in enumerate(text.splitlines(), start=1)
               for entry in ENTRY.findall(LINT_CODES.sub("", line)) if entry not in headings]
    assert not missing, "ids with no '## E..' heading in docs/catalogue.md:\n" + "\n".join(missing)


def test_the_lint_codes_are_not_taken_for_ids():
    assert ENTRY.findall(LINT_CODES.sub("", "import numpy as np  # noqa: " + "E4" + "02  (E12 stays)")) == ["E12"]


def test_every_link_into_the_catalogue_lands_on_an_anchor():
    anchors = {anchor for anchor, _ in ANCHOR.findall(CATALOGUE.read_text(encoding="utf-8"))}
    broken = [f"{name}: #{anchor}" for name, text in sorted(TEXTS.items()) for anchor in LINK.findall(text)
              if anchor not in anchors]
    assert not broken, "links to docs/catalogue.md with no such entry:\n" + "\n".join(broken)


def test_nothing_points_outside_the_repository():
    found = where(OUTSIDE, TEXTS)
    assert not found, "references to files outside the repository (cite docs/catalogue.md or docs/architecture.md):\n" \
        + "\n".join(found)


def test_no_course_notes_line_numbers():
    found = where(NOTE_LINE, TEXTS)
    assert not found, "course-notes line numbers (cite the catalogue's E-id instead):\n" + "\n".join(found)


def test_the_patterns_catch_what_they_are_for():
    assert NOTE_LINE.search("as the notes say at " + "L" + "2787") and NOTE_LINE.search("(" + "L" + "3281)")
    assert not NOTE_LINE.search('d="M1,2L' + '123.5,7"') and not NOTE_LINE.search("L = 100, k = 12")
    assert OUTSIDE.search("see ../" + "sha" + "red/seeds") and not OUTSIDE.search("a shared layer")
