"""docs/repl.md stays true: its transcript is what the REPL prints today, and it names every command."""
import importlib.util
from pathlib import Path

from graphlab.repl.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _maker():
    spec = importlib.util.spec_from_file_location("make_repl_pictures", ROOT / "docs" / "make_repl_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recorded_session_is_current():
    maker = _maker()
    document = (ROOT / "docs" / "repl.md").read_text(encoding="utf-8")
    assert maker.with_transcript(document, maker.transcript()) == document, \
        "docs/repl.md is stale: run .venv/bin/python docs/make_repl_pictures.py"


def test_every_command_is_documented():
    document = (ROOT / "docs" / "repl.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f":{name}" not in document]
    assert not missing, f"docs/repl.md does not mention {missing}"


def test_terminal_colours_become_html():
    html = _maker().ansi_to_html("\x1b[1;31mred\x1b[0m plain \x1b[38;5;21mblue\x1b[7m rev")
    assert '<span style="color:#cd3131;font-weight:bold">red</span> plain ' in html
    assert "color:#0000ff" in html and "background:#0000ff" in html
