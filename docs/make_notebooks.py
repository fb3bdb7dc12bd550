"""Regenerate notebooks/: every lesson as a notebook, built from its script (graphlab/notebooks.py).

    .venv/bin/python docs/make_notebooks.py

writes notebooks/NN_topic.ipynb for every lessons/NN_topic.py (without outputs, so a change to a
lesson shows as a readable diff of its notebook) and removes the notebook of a lesson that is gone.
tests/lessons/test_notebooks.py fails when a notebook here differs from what its script gives.
Needs the notebook extra (nbformat): pip install 'graphlab[notebook]'.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphlab import lessons, notebooks  # noqa: E402  (the source tree's graphlab, not an installed one)

FOLDER = ROOT / "notebooks"


def main() -> int:
    FOLDER.mkdir(exist_ok=True)
    expected = set()
    for lesson in lessons.available():
        path = FOLDER / notebooks.file_name(lesson)
        expected.add(path.name)
        text = notebooks.notebook_text(lesson)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for stale in sorted(FOLDER.glob("*.ipynb")):
        if stale.name not in expected:
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)} (no lesson has that name any more)")
    print(f"notebooks/: {len(expected)} lesson notebooks, in sync with lessons/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
