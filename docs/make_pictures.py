"""Regenerate the pictures of docs/visualization.md (run from the repository root):

    .venv/bin/python docs/make_pictures.py            # writes docs/images/
    .venv/bin/python docs/make_pictures.py /tmp/pics  # somewhere else

Needs Graphviz's ``dot``; the screenshot of the walk page also needs Chromium (skipped with a
message when it is missing). tests/docs/test_viz_docs.py runs this and compares with the committed files.
Lecture ids are those of docs/catalogue.md.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import graphlab as gl

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def lecture_e01():
    """E01: f = (x + y) z, x = -2, y = 5, z = -4."""
    x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    q = (x + y).named("q")
    return (q * z).named("f"), q


def lecture_e03():
    """E03: the sigmoid neuron, one primitive gate at a time."""
    w0, x0, w1, x1, w2 = (gl.scalar(value, name=name, dtype=np.float64) for value, name in
                          [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")])
    s = (w0 * x0 + w1 * x1 + w2).named("s")
    return (1 / (1 + (-s).exp())).named("f")


def gate_patterns():
    """E05 in one graph (CS231n's slide): f = 2 (x y + max(z, w)), plus x read twice (a copy gate)."""
    x, y, z, w = (gl.scalar(value, name=name) for value, name in [(3, "x"), (-4, "y"), (2, "z"), (-1, "w")])
    product = (x * y).named("xy")
    biggest = gl.maximum(z, w).named("m")
    return ((product + biggest) * 2 + x).named("f")


def scoped_mlp():
    """A 3-4-1 MLP with each layer in a scope, as nn modules record them."""
    X = gl.tensor([[1.0, 2.0, 0.5], [0.5, 1.0, -1.0]], name="X", dtype=np.float64)
    W1 = gl.tensor([[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8], [-0.9, 1.0, 0.1, -0.2]],
                   requires_grad=True, name="W1", dtype=np.float64)
    b1 = gl.tensor([0.1, -0.1, 0.2, 0.0], requires_grad=True, name="b1", dtype=np.float64)
    W2 = gl.tensor([[1.0], [-1.0], [0.5], [2.0]], requires_grad=True, name="W2", dtype=np.float64)
    with gl.scope("mlp"):
        with gl.scope("fc1"):
            hidden = (X @ W1 + b1).named("a")
        with gl.scope("relu"):
            hidden = gl.relu(hidden).named("h")
        with gl.scope("fc2"):
            out = (hidden @ W2).named("out")
    return ((out ** 2).mean()).named("loss")


def long_chain(blocks: int = 8, per_block: int = 125):
    """blocks x per_block x 2 ops, each block in its own scope."""
    y = gl.scalar(0.5, name="x")
    for block in range(blocks):
        with gl.scope(f"block{block}"):
            for _ in range(per_block):
                y = y * 0.99 + 0.01
    return y.named("y")


def pictures(out: Path) -> list:
    """Write every picture into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []

    f, q = lecture_e01()
    written.append(gl.render(f, out / "e01_forward.svg"))
    f.backward()
    written.append(gl.render(f, out / "e01_backward.svg"))
    written.append(gl.render(f, out / "e01_focus_q.svg", focus=q))

    neuron = lecture_e03()
    neuron.backward()
    written.append(gl.render(neuron, out / "e03_sigmoid.svg", patterns=True))

    gates = gate_patterns()
    gates.backward()
    written.append(gl.render(gates, out / "e05_patterns.svg", patterns=True))

    loss = scoped_mlp()
    loss.backward()
    written.append(gl.render(loss, out / "mlp.svg", rankdir="TB"))
    written.append(gl.render(loss, out / "mlp_modules.svg", collapse="modules"))

    chain = long_chain()
    chain.backward()
    written.append(gl.render(chain, out / "chain_2000_collapsed.svg"))

    with tempfile.TemporaryDirectory() as folder:
        walk = gl.walk(lecture_e03(), Path(folder) / "walk")
        middle = walk.frames[5]                       # Step 6: the add gate that splits into two products
        target = out / "walk_e03_step6.svg"
        shutil.copyfile(middle.path, target)
        written.append(target)
        screenshot = out / "walk_e03_last.png"
        if _screenshot(walk.index.resolve().as_uri() + f"#frame={len(walk.frames)}", screenshot):
            written.append(screenshot)
        practice = gl.quiz(lecture_e03()).save(Path(folder) / "quiz.html")
        screenshot = out / "quiz_e03_first.png"        # the quiz's first question, before any answer
        if _screenshot(practice.resolve().as_uri(), screenshot, height=580):
            written.append(screenshot)
    return written


def _chromium():
    for name in CHROMIUM_NAMES:
        if shutil.which(name):
            return shutil.which(name)
    return None


def _screenshot(url: str, target: Path, width: int = 1700, height: int = 440) -> bool:
    """A headless-Chromium screenshot of ``url``; False (and a message) without Chromium."""
    binary = _chromium()
    if binary is None:
        print(f"make_pictures: no Chromium, {target.name} not regenerated", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={target}",
                        f"--window-size={width},{height}", url],
                       check=True, capture_output=True, timeout=120)
    return True


if __name__ == "__main__":
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES
    for path in pictures(destination):
        print(f"{path}  ({path.stat().st_size:,} bytes)")
