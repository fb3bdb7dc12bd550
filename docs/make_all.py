"""Regenerate every generated file: the pictures, the lesson notebooks and the API reference.

    .venv/bin/python docs/make_all.py

runs, in order (each one can also be run alone):

* ``docs/make_pictures.py``: the gradient-flow diagrams of docs/visualization.md and the README
  (docs/images/; needs Graphviz, and Chromium for the screenshot of the walk page);
* ``docs/make_repl_pictures.py``: the REPL transcript in docs/repl.md and the terminal screenshot
  docs/pictures/repl_terminal.png (needs tmux and Chromium);
* ``docs/make_training_curve.py``: the README's training curve, docs/pictures/training_curve.png
  (trains the digits CNN, a few seconds);
* ``docs/make_architecture.py``: the structure diagram of docs/architecture.md (Graphviz);
* ``docs/make_notebooks.py``: notebooks/, every lesson as a notebook generated from its script
  (needs the notebook extra);
* ``docs/make_notebook_picture.py``: the README's screenshot of a lesson notebook,
  docs/pictures/notebook_lesson_01.png (runs it in a kernel, exports it with nbconvert,
  photographs it in Chromium);
* ``docs/make_api.py``: docs/api.md from the docstrings.

``bash .ci/setup`` installs everything they need. The exit status is 0 only if every script
succeeded; a failing script does not stop the others.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SCRIPTS = ("make_pictures.py", "make_repl_pictures.py", "make_training_curve.py", "make_architecture.py",
           "make_notebooks.py", "make_notebook_picture.py", "make_api.py")


def main() -> int:
    failed = []
    for script in SCRIPTS:
        started = time.perf_counter()
        print(f"== {script}", flush=True)
        result = subprocess.run([sys.executable, str(DOCS / script)], cwd=DOCS.parent)
        print(f"   {'ok' if result.returncode == 0 else f'FAILED (exit {result.returncode})'} "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        if result.returncode:
            failed.append(script)
    if failed:
        print(f"make_all: {', '.join(failed)} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
