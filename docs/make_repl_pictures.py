"""Record the REPL for docs/repl.md: the transcript of examples/lecture.session (into the
document) and a screenshot of the interactive REPL in a real terminal (tmux), drawn by
headless Chromium.

    .venv/bin/python docs/make_repl_pictures.py      # updates docs/repl.md, docs/pictures/repl_terminal.png
                                                     # and docs/pictures/quiz_terminal.png (practice.md)
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PICTURES = ROOT / "docs" / "pictures"
SGR = re.compile(r"\x1b\[([0-9;]*)m")
BASIC = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5"]
BRIGHT = ["#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]


def _xterm_256(index: int) -> str:
    if index < 8:
        return BASIC[index]
    if index < 16:
        return BRIGHT[index - 8]
    if index < 232:
        index -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (levels[index // 36], levels[index // 6 % 6], levels[index % 6])
    grey = 8 + (index - 232) * 10
    return "#%02x%02x%02x" % (grey, grey, grey)


def ansi_to_html(text: str) -> str:
    """tmux's ``capture-pane -e`` output (SGR colour codes) as HTML spans."""
    style = {"fg": None, "bg": None, "bold": False, "reverse": False}
    pieces, position = [], 0

    def emit(chunk: str) -> None:
        if not chunk:
            return
        css = []
        foreground, background = style["fg"], style["bg"]
        if style["reverse"]:   # the toolbar: reverse video
            foreground, background = background or BASIC[0], foreground or BASIC[7]
        if foreground:
            css.append(f"color:{foreground}")
        if background:
            css.append(f"background:{background}")
        if style["bold"]:
            css.append("font-weight:bold")
        escaped = html.escape(chunk)
        pieces.append(f'<span style="{";".join(css)}">{escaped}</span>' if css else escaped)

    for match in SGR.finditer(text):
        emit(text[position:match.start()])
        position = match.end()
        codes = [int(code) if code else 0 for code in match.group(1).split(";")]
        index = 0
        while index < len(codes):
            code = codes[index]
            if code == 0:
                style.update(fg=None, bg=None, bold=False, reverse=False)
            elif code == 7:
                style["reverse"] = True
            elif code == 27:
                style["reverse"] = False
            elif code == 1:
                style["bold"] = True
            elif code == 22:
                style["bold"] = False
            elif 30 <= code <= 37 or 90 <= code <= 97:
                style["fg"] = (BASIC if code < 90 else BRIGHT)[code % 10]
            elif 40 <= code <= 47 or 100 <= code <= 107:
                style["bg"] = (BASIC if code < 100 else BRIGHT)[code % 10]
            elif code == 39:
                style["fg"] = None
            elif code == 49:
                style["bg"] = None
            elif code in (38, 48) and index + 1 < len(codes):
                key = "fg" if code == 38 else "bg"
                if codes[index + 1] == 5 and index + 2 < len(codes):
                    style[key] = _xterm_256(codes[index + 2])
                    index += 2
                elif codes[index + 1] == 2 and index + 4 < len(codes):
                    style[key] = "#%02x%02x%02x" % tuple(codes[index + 2:index + 5])
                    index += 4
            index += 1
    emit(text[position:])
    return "".join(pieces)


def transcript() -> str:
    session = (ROOT / "examples" / "lecture.session").read_text()
    result = subprocess.run([sys.executable, "-m", "graphlab", "repl"], input=session, capture_output=True,
                            text=True, cwd=ROOT, check=True)
    return result.stdout


def terminal_screen(lines: list, width: int = 80, height: int = 34) -> str:
    """Type ``lines`` into the interactive REPL in tmux and return the screen with its colours."""
    name = "graphlab-docs"
    with tempfile.TemporaryDirectory() as home:
        # PYTHONPATH: the graphlab of this source tree, whatever the interpreter has installed
        command = (f"env GRAPHLAB_HISTORY={home}/history TERM=xterm-256color PYTHONPATH={ROOT} "
                   f"{sys.executable} -m graphlab repl")
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), "-c", home,
                        command], check=True)
        try:
            _wait_for_banner(name)
            for line in lines:
                subprocess.run(["tmux", "send-keys", "-t", name, "-l", "--", line], check=True)   # "--": a line may start with "-"
                subprocess.run(["tmux", "send-keys", "-t", name, "Enter"], check=True)
                time.sleep(0.4)
            time.sleep(1.0)
            return subprocess.run(["tmux", "capture-pane", "-e", "-p", "-t", name], capture_output=True,
                                  text=True, check=True).stdout
        finally:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _wait_for_banner(name: str, timeout: float = 30.0) -> None:
    """Keys typed before the REPL owns the terminal are echoed raw: wait for its first line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
        if ":help lists commands" in screen:
            time.sleep(0.5)     # the prompt follows the banner
            return
        time.sleep(0.1)
    raise SystemExit("make_repl_pictures: the REPL did not start in tmux within 30 s")


def screenshot(screen: str, target: Path, width: int = 80, height: int = 34) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("make_repl_pictures: Chromium is missing (bash .ci/setup installs it)")
    page = (f"<html><body style='margin:0;background:#1e1e1e'><pre style=\"margin:8px;color:#e5e5e5;"
            f"font:14px/1.25 'DejaVu Sans Mono',monospace\">{ansi_to_html(screen)}</pre></body></html>")
    with tempfile.TemporaryDirectory() as scratch:
        page_path = Path(scratch) / "screen.html"
        page_path.write_text(page, encoding="utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={scratch}/profile", f"--screenshot={target}",
                        f"--window-size={width * 9 + 16},{int(height * 17.5) + 16}", page_path.as_uri()],
                       check=True, capture_output=True, timeout=120)


START, END = "<!-- transcript:start -->", "<!-- transcript:end -->"


def with_transcript(document: str, text: str) -> str:
    """docs/repl.md with ``text`` between the transcript markers."""
    before, rest = document.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n```text\n{text.rstrip()}\n```\n{END}{after}"


def main() -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    document = ROOT / "docs" / "repl.md"
    document.write_text(with_transcript(document.read_text(encoding="utf-8"), transcript()), encoding="utf-8")
    screen = terminal_screen(["x = gl.scalar(-2); y = gl.scalar(5); z = gl.scalar(-4)", "q = x + y",
                              "f = q * z", ":backward", ":step", ":step", ":focus q"])
    screenshot(screen, PICTURES / "repl_terminal.png")
    quiz_screenshot()
    print(f"wrote {document}, {PICTURES / 'repl_terminal.png'} and {PICTURES / 'quiz_terminal.png'}")


#: what the practice-mode picture types: a wrong answer (explained), :hint, the right one
QUIZ_LINES = [":quiz gates --seed 4711", "-4", ":hint", "4", "-5"]


def quiz_screenshot() -> None:
    """docs/practice.md's picture: the quiz in the interactive REPL, its prompt asking df/dq."""
    screenshot(terminal_screen(QUIZ_LINES), PICTURES / "quiz_terminal.png")


if __name__ == "__main__":
    main()
