"""REPL output that reads at 80 columns: long lines wrapped between words, long tables cut
with a note that says how to see every row.

>>> print(wrap("step 1 of 5: " + "word " * 20, width=40))
step 1 of 5: word word word word word
    word word word word word word word
    word word word word word word word
    word
>>> print(truncate(["header", "-----"] + [f"row {n}" for n in range(10)], keep=4, more="--all"))
header
-----
row 0
row 1
row 2
row 3
... 6 more rows not shown (--all shows every row)
"""
from __future__ import annotations

import textwrap
from typing import List

#: the terminal width every REPL output is written for
WIDTH = 80
#: a table longer than this many rows is cut (with a note)
MAX_ROWS = 40


def wrap(text: str, width: int = WIDTH, indent: str = "    ") -> str:
    """Each line longer than ``width`` broken between words; continuation lines are indented one
    step more than the line they continue, so a wrapped line still reads as one."""
    lines = []
    for line in text.splitlines():
        if len(line) <= width:
            lines.append(line)
            continue
        lead = line[:len(line) - len(line.lstrip())]
        lines.extend(textwrap.wrap(line, width=width, initial_indent="", subsequent_indent=lead + indent,
                                   break_long_words=False, break_on_hyphens=False,
                                   drop_whitespace=True) or [line])
    return "\n".join(lines)


def truncate(lines: List[str], keep: int = MAX_ROWS, more: str = "", head: int = 2) -> str:
    """The first ``head`` lines (a table's header and rule) and ``keep`` rows after them; a note
    names how many rows were left out and ``more``, the way to see them all."""
    if len(lines) <= head + keep:
        return "\n".join(lines)
    return "\n".join(lines[:head + keep] + [more_rows_note(len(lines) - head - keep, more)])


def more_rows_note(hidden: int, more: str = "") -> str:
    """The line under a cut table: how many rows it leaves out, and the command that shows them."""
    note = f"... {hidden:,} more {'row' if hidden == 1 else 'rows'} not shown"
    return note + (f" ({more} shows every row)" if more else "")
