"""Every code example in README.md and docs/*.md runs in the test suite.

The Python examples are doctests (tests/docs/test_docs.py runs them); this file makes sure none is written
without its ``>>>`` prompts, which would leave it untested. The shell examples would take minutes to
run in full (training runs, the REPL, the set-up), so each command is checked the way a user's typo
would surface: every ``graphlab ...`` command parses with the real command line and names a lesson or
recipe that exists, every script and file it mentions is there, and the short ones (``--list``,
``--help``) run.
"""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from graphlab import lessons
from graphlab.cli import build_parser
from graphlab.train import RECIPES

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path, language: str) -> list:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def shell_commands() -> list:
    """(document, command) for every command of every ```bash block; ``a && b`` is two commands."""
    found = []
    for path in DOCUMENTS:
        for block in blocks(path, "bash"):
            for line in block.splitlines():
                line = line.split("  #", 1)[0].strip()
                found += [(path.name, command.strip()) for command in line.split("&&") if command.strip()]
    return found


COMMANDS = shell_commands()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_python_example_is_a_doctest(path):
    for block in blocks(path, "python"):
        assert ">>> " in block, f"{path.name}: a ```python block without >>> prompts is never run:\n{block[:200]}"


def test_the_documents_have_shell_examples_to_check():
    assert len(COMMANDS) >= 20
    assert {name for name, _ in COMMANDS} >= {"README.md", "index.md", "lessons.md", "training.md"}


@pytest.mark.parametrize("document, command", COMMANDS, ids=[f"{name}: {command}" for name, command in COMMANDS])
def test_every_shell_example_names_real_things(document, command):
    words = shlex.split(command)
    program, arguments = words[0], words[1:]
    if program == "bash":
        assert (ROOT / arguments[0]).is_file(), f"{document}: {arguments[0]} does not exist"
    elif program.endswith("python"):
        if arguments[:2] == ["-m", "pytest"]:
            return
        assert (ROOT / arguments[0]).is_file(), f"{document}: {arguments[0]} does not exist"
    elif program.endswith("graphlab"):
        try:
            parsed = build_parser().parse_args(arguments)
        except SystemExit:
            pytest.fail(f"{document}: `{command}` does not parse with graphlab's command line")
        if parsed.command == "lesson" and getattr(parsed, "name", None):
            lessons.find(parsed.name)
        if parsed.command == "train" and getattr(parsed, "recipe", None):
            assert parsed.recipe in RECIPES
    elif program == "pip" and arguments[:1] == ["install"]:
        tomllib = pytest.importorskip("tomllib")          # Python 3.11+
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
        for requirement in arguments[1:]:
            named = re.fullmatch(r"graphlab\[([\w,]+)\]", requirement)
            assert named, f"{document}: `{command}` installs {requirement}, not one of graphlab's extras"
            assert set(named.group(1).split(",")) <= set(extras), f"{document}: no such extra in {requirement}"
    else:
        pytest.fail(f"{document}: `{command}`: unknown program {program}; teach this test about it")


def test_the_short_commands_run(tmp_path):
    listing = subprocess.run([sys.executable, "-m", "graphlab", "lesson", "--list"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=120)
    assert listing.returncode == 0 and "optimizers" in listing.stdout
    recipes = subprocess.run([sys.executable, "-m", "graphlab", "train"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=120)
    assert recipes.returncode == 0 and "digits-cnn" in recipes.stdout
