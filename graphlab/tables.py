"""Aligned plain-text tables: Traces, training histories, health reports, the verify table and
the lessons all print through ``format_table``."""
from __future__ import annotations

from typing import Collection, Sequence


def format_table(rows: Sequence[Sequence], right: Collection[int] = ()) -> str:
    """``rows[0]`` is the header; each column is as wide as its widest cell, a dashed rule sits
    under the header, and the columns numbered in ``right`` are right-aligned.

    >>> print(format_table([("op", "calls"), ("add", "12"), ("mul", "3")], right={1}))
    op   calls
    ---  -----
    add     12
    mul      3
    """
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
    lines = ["  ".join(cell.rjust(width) if column in right else cell.ljust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
