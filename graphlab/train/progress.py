"""Progress bars: tqdm on a terminal (the ``train`` extra); plain lines when tqdm is not installed
or stderr is no terminal (a file, a pipe, a CI log): one line per bar that a terminal would keep,
none for the bars it would erase, so ``graphlab train spiral-mlp 2> log`` writes a few lines,
not a thousand redrawn bars.

>>> from graphlab.train.progress import progress_bar
>>> with progress_bar(total=3, desc="demo", enabled=False) as bar:
...     for _ in range(3):
...         bar.update()
"""
from __future__ import annotations

import sys
from typing import Optional


class _Silent:
    """A bar that shows nothing (``progress=False``)."""

    def __init__(self, total: Optional[int] = None, desc: str = "", unit: str = "it", **_):
        self.total, self.desc, self.n, self.unit = total, desc, 0, unit

    def update(self, count: int = 1) -> None:
        self.n += count

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def set_description(self, text: str) -> None:
        self.desc = text

    def write(self, message: str) -> None:
        print(message, file=sys.stderr)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Lines(_Silent):
    """Without tqdm: one line per finished bar."""

    def close(self) -> None:
        if getattr(self, "_closed", False):
            return
        self._closed = True
        postfix = getattr(self, "postfix", "")
        print(f"{self.desc}: {self.n}/{self.total} {self.unit}{'es' if self.unit.endswith('ch') else 's'}"
              f"{', ' + postfix if postfix else ''}", file=sys.stderr)


def progress_bar(total: Optional[int] = None, desc: str = "", enabled: bool = True, leave: bool = True, unit: str = "it"):
    """A tqdm bar (``update``, ``set_postfix_str``, ``write``, ``close``), or a stand-in: nothing
    when not ``enabled``; when stderr is no terminal, one line at the end if ``leave``, else nothing."""
    if not enabled:
        return _Silent(total, desc)
    if not _is_terminal(sys.stderr):
        return _Lines(total, desc, unit) if leave else _Silent(total, desc)
    try:
        from tqdm import tqdm
    except ImportError:
        return _Lines(total, desc, unit)
    bar = tqdm(total=total, desc=desc, leave=leave, unit=unit, dynamic_ncols=True, file=sys.stderr)
    return bar


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:                      # a closed stream
        return False


def write(message: str, bar=None) -> None:
    """Print a line without breaking a running bar."""
    if bar is not None:
        bar.write(message)
        return
    try:
        from tqdm import tqdm
        tqdm.write(message, file=sys.stderr)
    except ImportError:
        print(message, file=sys.stderr)
