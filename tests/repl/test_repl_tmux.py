"""The real REPL in a real terminal: tmux types the lecture session and reads the screen."""
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (bash .ci/setup installs it with apt-get)")


class Terminal:
    def __init__(self, command: str, cwd, width: int = 110, height: int = 45):
        self.name = f"graphlab-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        "-c", str(cwd), command], check=True)
        # keep everything the session printed, to read it back whole
        subprocess.run(["tmux", "set-option", "-t", self.name, "history-limit", "20000"], check=True)

    def type(self, text: str, wait: bool = True) -> None:
        """Type a line and press Enter; with wait, return only once the REPL has answered and
        drawn a fresh prompt, so the next line is never typed (and echoed by the terminal) into
        this line's output on a loaded machine."""
        prompts = self.prompt_count()
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)
        if not wait:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.prompt_count() > prompts:
                self.wait_for_prompt()
                return
            time.sleep(0.05)
        raise AssertionError(f"no new prompt after {text!r}; the screen shows:\n{self.screen()}")

    def prompt_count(self) -> int:
        return sum(line.startswith("gl>") for line in self.history().splitlines())

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

    def wait_for_prompt(self, timeout: float = 20.0) -> None:
        """Until the REPL shows an empty prompt again: a line typed earlier would be echoed into
        the previous command's output on a loaded machine."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [line for line in self.screen().splitlines() if line.strip()]
            if any(line.rstrip() == "gl>" for line in lines[-2:]):      # the toolbar may be last
                return
            time.sleep(0.1)
        raise AssertionError(f"the prompt never came back; the screen shows:\n{self.screen()}")

    def history(self) -> str:
        """Everything printed so far; -J joins the lines the terminal wrapped, so a line longer than
        the terminal comes back whole (and shows it did not fit)."""
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-", "-t", self.name], check=True,
                              capture_output=True, text=True).stdout

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def repl_command(tmp_path) -> str:
    # PYTHONPATH: the graphlab of this source tree, whatever the interpreter has installed
    return (f"env GRAPHLAB_HISTORY={tmp_path}/history TERM=xterm-256color PYTHONPATH={ROOT} "
            f"{sys.executable} -m graphlab repl")


@pytest.fixture
def terminal(tmp_path):
    session = Terminal(repl_command(tmp_path), tmp_path)
    yield session
    session.close()


@pytest.fixture
def narrow_terminal(tmp_path):
    session = Terminal(repl_command(tmp_path), tmp_path, width=80, height=40)
    yield session
    session.close()


def test_lecture_session_in_a_real_terminal(terminal, tmp_path):
    terminal.wait_for(":help lists commands")
    for line in ["x = gl.scalar(-2)", "y = gl.scalar(5)", "z = gl.scalar(-4)", "q = x + y", "f = q * z"]:
        terminal.type(line)
    terminal.type("f")
    terminal.wait_for("Tensor(-12., name='f', op=mul)")
    terminal.wait_for("root: f")                                # the bottom toolbar
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
    terminal.type(":quit", wait=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = subprocess.run(["tmux", "has-session", "-t", terminal.name], capture_output=True).returncode == 0
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, "the REPL did not exit on :quit"


def test_a_first_session_at_80_columns_keeps_one_story(narrow_terminal):
    """Issue 14's first session: the lecture graph, a hand-built sigmoid neuron with expressions
    evaluated in between, :backward, :step/:step back/:reset, :focus on reached and unreached
    nodes, a second :backward and a small MLP; every view agrees and nothing wraps or fails."""
    terminal = narrow_terminal
    terminal.wait_for(":help lists commands")
    for line in ["x = gl.scalar(-2); y = gl.scalar(5); z = gl.scalar(-4)", "q = x + y", "f = q * z", ":backward"]:
        terminal.type(line)
    terminal.wait_for("x     leaf  -4")
    neuron = ["w0 = gl.scalar(2.0); x0 = gl.scalar(-1.0); w1 = gl.scalar(-3.0)",
              "x1 = gl.scalar(-2.0); w2 = gl.scalar(-3.0)", "s = w0*x0 + w1*x1 + w2", "s", "1 + 1",
              "out = 1 / (1 + gl.exp(-s))", "out", ":backward"]
    for line in neuron:
        terminal.type(line)
    terminal.wait_for("w0    leaf  -0.1966")
    terminal.wait_for(" root: out ")
    terminal.type(":step")
    terminal.wait_for("(the walk restarts from cleared gradients")
    terminal.type(":step")
    terminal.wait_for("step 2 of ")
    terminal.type(":step back")
    terminal.wait_for_prompt()
    terminal.type(":focus s")
    terminal.wait_for("s is not reached yet: the walk is at step 1 of ")
    terminal.type(":focus out")
    terminal.wait_for("out = div(")
    terminal.type(":reset")
    terminal.wait_for("gradients of out's graph")
    terminal.wait_for("backward: not yet")
    terminal.type(":backward")
    terminal.type(":backward")                       # a second one: the same numbers, and it says so
    terminal.wait_for("each :backward starts from cleared gradients")
    for line in [":focus w0", ":show w0", ":graph", "w0.grad"]:
        terminal.type(line)
    terminal.wait_for("array(-0.1966")
    mlp = ["W = gl.tensor([[0.1, -0.3], [0.5, 0.8]], requires_grad=True)",
           "v = gl.tensor([0.2, 0.4], requires_grad=True)", "h = W @ v", "loss = (h * h).sum()", ":backward",
           ":show h", "print(np.round(W.grad, 4))", "print('end' + ' of session')"]
    for line in mlp:
        terminal.type(line)
    terminal.wait_for("end of session")
    history = terminal.history()
    focus = history[history.index("gl> :focus w0"):history.index("gl> :show w0")]
    show = history[history.index("gl> :show w0"):history.index("gl> :graph")]
    graph = history[history.index("gl> :graph"):history.index("gl> w0.grad")]
    assert "(-0.19661" in history[history.index("gl> w0.grad"):]
    assert "w0 (leaf): gradient -0.1966" in focus and "grad  -0.1966" in show and "grad -0.1966" in graph
    assert "note:" not in focus + show                 # the Trace and .grad agree after two :backward
    assert "grad  [-0.2, 0.84]" in history            # dloss/dh = 2h, h = W v = [-0.1, 0.42]
    assert "error" not in history.lower() and "Traceback" not in history
    show_h = history[history.index("gl> :show h"):history.index("gl> print(np.round(W.grad")]
    assert "dL/dW (2x2) = upstream (2x1) · vᵀ (1x2)" in show_h and "dL/dv (2) = Wᵀ (2x2) · upstream (2)" in show_h
    too_wide = [line for line in history.splitlines() if len(line.rstrip()) > 80]   # tensor tables too
    assert not too_wide, f"lines the 80-column terminal had to wrap: {too_wide}"
