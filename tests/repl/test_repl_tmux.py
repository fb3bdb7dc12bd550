"""The real REPL in a real terminal: tmux types the lecture session and reads the screen."""
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (bash .ci/setup installs it with apt-get)")


class Terminal:
    def __init__(self, command: str, cwd):
        self.name = f"graphlab-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "110", "-y", "45", "-c", str(cwd),
                        command], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], check=True,
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    command = f"env GRAPHLAB_HISTORY={tmp_path}/history TERM=xterm-256color {sys.executable} -m graphlab repl"
    session = Terminal(command, tmp_path)
    yield session
    session.close()


def test_lecture_session_in_a_real_terminal(terminal, tmp_path):
    terminal.wait_for(":help lists commands")
    for line in ["x = gl.scalar(-2)", "y = gl.scalar(5)", "z = gl.scalar(-4)", "q = x + y", "f = q * z"]:
        terminal.type(line)
    terminal.type("f")
    terminal.wait_for("Tensor(-12., name='f', op=mul)")
    assert "root: f" in terminal.screen()                       # the bottom toolbar
    terminal.type(":backward")
    screen = terminal.wait_for("q     add   -4")
    assert "f     mul   1         (-4, 3)  (-4, 3)     swap" in screen
    terminal.type(":step")
    terminal.wait_for("step 1 of 5: f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)")
    terminal.type(":step")
    terminal.wait_for("step 2 of 5: q = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)")
    terminal.type(":step")
    screen = terminal.wait_for("step 3 of 5: z (leaf): gradient 3")
    assert "step 3 of 5" in screen                              # toolbar and output agree
    terminal.type(":render f flow.svg")
    terminal.wait_for("wrote flow.svg")
    svg = (tmp_path / "flow.svg").read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "-12" in svg
    terminal.type("undefined_name")
    terminal.wait_for("NameError")
    terminal.type(":quit")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = subprocess.run(["tmux", "has-session", "-t", terminal.name], capture_output=True).returncode == 0
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, "the REPL did not exit on :quit"
