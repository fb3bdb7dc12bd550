"""Long left-to-right diagrams wrapped into rows, like text on a page.

A deep chain drawn left to right is one very long row (a 38-box chain is 9,000 pixels wide and
160 high): unreadable on a screen and in print. ``wrap_rows`` cuts the columns of a Spec (the
node's level: its longest path from the inputs) into rows no wider than about ``max_width``
inches, and replaces every edge that crosses from one row to the next by two stubs with the
same letter: ``[box] -> A ↵`` at the end of the row, ``↳ A -> [box]`` where it goes on. Each
row is then its own connected piece, which ``dot`` ranks from the left edge again, so rows
line up in columns; pieces come out bottom-up in input order, hence the reversed order below.

Pure Python over a Spec (no graphviz): widths are estimated from the label text.
"""
from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from typing import Optional

#: rows are cut to about this many inches (a laptop screen at 100%; a page at 150 dpi)
ROW_WIDTH = 16.0
#: a diagram is wrapped only when one row would be wider than this (the lecture graphs are not)
WRAP_WIDTH = 30.0
#: rows keep at least this many columns: a row of one or two boxes reads as a list, not a graph
MIN_COLUMNS = 4
POINTS_PER_INCH = 72.0
CHAR_EM = 0.55          # average character width of Helvetica, in ems
GAP = 0.45              # ranksep: inches between columns
_TAG = re.compile(r"<[^>]*>")
_ROW_BREAK = re.compile(r"<BR\s*/?>|</TR>", re.IGNORECASE)
_POINT_SIZE = re.compile(r'POINT-SIZE="([0-9.]+)"', re.IGNORECASE)


def text_width(label, fontsize: float) -> float:
    """Inches taken by the widest line of a label (plain, or HTML-like with its own font sizes)."""
    text = str(label or "")
    if not (text.startswith("<") and text.endswith(">")):
        return max(len(line) for line in text.split("\\n")) * fontsize * CHAR_EM / POINTS_PER_INCH
    widest = 0.0
    for piece in _ROW_BREAK.split(text):
        size = _POINT_SIZE.search(piece)
        characters = len(html.unescape(_TAG.sub("", piece)))
        widest = max(widest, characters * (float(size.group(1)) if size else fontsize))
    return widest * CHAR_EM / POINTS_PER_INCH


def levels(keys: list, edges: list) -> dict:
    """Column of each node: the longest path from an input, inputs placed just left of their
    first reader (as ``dot`` would, so a weight sits beside its layer, not in column 0)."""
    parents, children = defaultdict(list), defaultdict(list)
    for tail, head, _ in edges:
        parents[head].append(tail)
        children[tail].append(head)
    order = _topological(keys, parents, children)
    level = {}
    for key in order:
        level[key] = max((level[parent] + 1 for parent in parents[key] if parent in level), default=0)
    for key in reversed(order):
        if not parents[key] and children[key]:
            level[key] = max(0, min(level[child] for child in children[key]) - 1)
    return level


def _topological(keys: list, parents: dict, children: dict) -> list:
    """Every key, parents before children. Collapsed boxes can read each other both ways (a
    block's box and a layer outside it): a cycle is broken at a key some placed key reads into,
    the one with the fewest parents still unplaced, as dot breaks it with a back edge."""
    waiting = {key: len(parents[key]) for key in keys}
    ready = [key for key in reversed(keys) if waiting[key] == 0]
    order, placed = [], set()
    while len(order) < len(keys):
        if not ready:
            ready.append(_cycle_entry(keys, placed, parents, waiting))
        key = ready.pop()
        if key in placed:
            continue
        order.append(key)
        placed.add(key)
        for child in children[key]:
            waiting[child] -= 1
            if waiting[child] == 0 and child not in placed:
                ready.append(child)
    return order


def _cycle_entry(keys: list, placed: set, parents: dict, waiting: dict):
    unplaced = [key for key in keys if key not in placed]
    reached = [key for key in unplaced if any(parent in placed for parent in parents[key])]
    return min(reached or unplaced, key=waiting.__getitem__)


def column_widths(spec, level: dict) -> list:
    """Estimated inches of each column: its widest node, plus the widest edge label leaving it."""
    size = float(spec.node_attr.get("fontsize", 12))
    edge_size = float(spec.edge_attr.get("fontsize", 11))
    widths = [0.0] * (max(level.values(), default=-1) + 1)
    for key, attrs, _ in spec.nodes:
        if key in level:
            node = max(text_width(attrs.get("label", key), float(attrs.get("fontsize", size))) + 0.3,
                       float(attrs.get("width", 0.75)))
            widths[level[key]] = max(widths[level[key]], node)
    gaps = [GAP] * len(widths)
    for tail, _, attrs in spec.edges:
        if tail in level and "label" in attrs:
            gaps[level[tail]] = max(gaps[level[tail]], text_width(attrs["label"], edge_size) + 0.3)
    return [width + gap for width, gap in zip(widths, gaps)]


def columns_per_row(widths: list, max_width: float) -> int:
    """How many columns a row takes: as few rows as keep each under ``max_width`` (but at least
    MIN_COLUMNS columns), then the columns spread evenly over them (no short last row)."""
    per_row, total = MIN_COLUMNS, 0.0
    for count, width in enumerate(widths, start=1):
        total += width
        if total > max_width:
            break
        per_row = max(per_row, count)
    rows = math.ceil(len(widths) / max(1, per_row))
    return math.ceil(len(widths) / rows)


def wrap_rows(spec, wrap=True) -> int:
    """Cut ``spec`` (left to right) into rows; how many rows it has now (1: left as it was).

    ``wrap``: True (rows of about ROW_WIDTH inches when the diagram is wider than WRAP_WIDTH),
    False (one row), or an int: at most that many columns per row.
    """
    if wrap is False or spec.graph_attr.get("rankdir", "LR") != "LR" or not spec.nodes:
        return 1
    keys = [key for key, _, _ in spec.nodes]
    level = levels(keys, spec.edges)
    if wrap is True:
        widths = column_widths(spec, level)
        if sum(widths) <= WRAP_WIDTH:
            return 1
        per_row = columns_per_row(widths, ROW_WIDTH)
    else:
        per_row = wrap
    row = {key: level.get(key, 0) // per_row for key in keys}
    if max(row.values()) == 0:
        return 1
    _cut(spec, row)
    return max(row.values()) + 1


def _cut(spec, row: dict) -> None:
    """Replace row-crossing edges by lettered stubs, keep clusters per row, order pieces for dot."""
    edges, stubs = [], []
    for tail, head, attrs in spec.edges:
        if row[tail] == row[head]:
            edges.append((tail, head, attrs))
            continue
        letter = stub_letter(len(stubs))
        out_key, in_key = f"wrap{len(stubs)}_out", f"wrap{len(stubs)}_in"
        stubs.append(letter)
        row[out_key], row[in_key] = row[tail], row[head]
        spec.node(out_key, (), label=f"{letter} ↵", shape="plaintext", fontsize="12",
                  tooltip=f"continues at {letter} in the next rows")
        spec.node(in_key, (), label=f"↳ {letter}", shape="plaintext", fontsize="12",
                  tooltip=f"continued from {letter} above")
        edges.append((tail, out_key, attrs))
        edges.append((in_key, head, {}))
    # a scope cut by a row break is drawn as one box per row (clusters cannot span pieces)
    spec.nodes = [(key, attrs, tuple((name, row[key]) for name in cluster)) for key, attrs, cluster in spec.nodes]
    spec.nodes.sort(key=lambda node: -row[node[0]])      # stable: the order inside a row stays
    spec.edges = sorted(edges, key=lambda edge: -row[edge[0]])


def stub_letter(index: int) -> str:
    """A, B, ..., Z, A2, B2, ...: the letter pairing a row's end with where it goes on."""
    letter = chr(ord("A") + index % 26)
    return letter if index < 26 else f"{letter}{index // 26 + 1}"


def cluster_label(part) -> str:
    """A cluster's name: the scope name, also when wrapping tagged it with its row."""
    return part[0] if isinstance(part, tuple) else part
