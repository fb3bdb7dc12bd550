"""Small HTML pieces for the rich displays Jupyter shows (``_repr_html_``): escaping, tables, a
pass/fail header and one CSS block, so every view looks alike and no user text is ever
pasted into HTML unescaped.

It sits beside ``tables.py`` (the plain-text tables) at the bottom of the package, because the
engine's own objects (Tensor, Step, Trace) display through it and the engine imports no view.
No JavaScript and no IPython: each function returns a string.

>>> print(table(["node", "grad"], [["a<b", "-4"]], numeric={1}))
<table><thead><tr><th>node</th><th class="gl-num">grad</th></tr></thead><tbody>
<tr><td>a&lt;b</td><td class="gl-num">-4</td></tr>
</tbody></table>
"""
from __future__ import annotations

import html
from typing import Collection, Iterable, Optional, Sequence

#: one style block for every display; colours come from the notebook's theme (``inherit``,
#: half-transparent greys), so the same output reads in light and dark themes
CSS = """\
.graphlab { font-family: inherit; line-height: 1.4; color: inherit; }
.graphlab table { border-collapse: collapse; margin: 0.25em 0; color: inherit; background: transparent; }
.graphlab th, .graphlab td { padding: 2px 10px 2px 0; text-align: left; vertical-align: top;
  border-bottom: 1px solid rgba(127, 127, 127, 0.3); background: transparent; }
.graphlab thead th { border-bottom: 1px solid rgba(127, 127, 127, 0.8); font-weight: 600; }
.graphlab .gl-num { text-align: right; font-variant-numeric: tabular-nums; }
.graphlab pre, .graphlab code { font-family: SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em;
  margin: 0; padding: 0; background: transparent; color: inherit; white-space: pre; }
.graphlab .gl-title { font-weight: 600; margin: 0.2em 0; }
.graphlab .gl-note { opacity: 0.7; font-size: 0.92em; }
.graphlab .gl-pass { color: #2da44e; font-weight: 600; }
.graphlab .gl-fail { color: #e5534b; font-weight: 600; }
.graphlab ul.gl-tree { list-style: none; margin: 0; padding-left: 1.4em; }
.graphlab summary { cursor: pointer; }
"""


class Raw(str):
    """HTML that is already safe (built by these helpers): tables and blocks put it in as it is."""


def escape(value) -> Raw:
    """Any value as HTML text: ``<``, ``>``, ``&`` and quotes escaped (names may hold them)."""
    if isinstance(value, Raw):
        return value
    return Raw(html.escape(str(value), quote=True))


def code(text) -> Raw:
    """Monospaced text that keeps its line breaks and alignment (values, rules)."""
    return Raw(f"<pre>{escape(text)}</pre>")


def lines(texts: Iterable[str]) -> Raw:
    """Several monospaced lines in one cell."""
    return code("\n".join(texts))


def note(text) -> Raw:
    return Raw(f'<div class="gl-note">{escape(text)}</div>')


def title(text, detail: str = "") -> Raw:
    """A bold heading, with a quieter ``detail`` after it."""
    extra = f' <span class="gl-note">{escape(detail)}</span>' if detail else ""
    return Raw(f'<div class="gl-title">{escape(text)}{extra}</div>')


def status(passed: bool, text) -> Raw:
    """The pass/fail header of a check: a green "pass" or a red "FAIL", then what was checked."""
    kind, word = ("gl-pass", "pass") if passed else ("gl-fail", "FAIL")
    return Raw(f'<div class="gl-title"><span class="{kind}">{word}</span> {escape(text)}</div>')


def details(summary, body, opened: bool = False) -> Raw:
    """A part the reader can fold open (no JavaScript: the browser's own ``<details>``)."""
    return Raw(f"<details{' open' if opened else ''}><summary>{escape(summary)}</summary>{escape(body)}</details>")


def table(header: Sequence, rows: Iterable[Sequence], numeric: Collection[int] = (),
          row_classes: Optional[Sequence[str]] = None) -> Raw:
    """An HTML table: ``header`` then ``rows``; every cell is escaped unless it is ``Raw``; the
    columns numbered in ``numeric`` are right-aligned; ``row_classes`` gives a class per row."""
    def cells(row, tag):
        return "".join(f'<{tag}{_num(column, numeric)}>{escape(cell)}</{tag}>' for column, cell in enumerate(row))

    body = []
    for index, row in enumerate(rows):
        kind = row_classes[index] if row_classes else ""
        opening = f'<tr class="{escape(kind)}">' if kind else "<tr>"
        body.append(f"{opening}{cells(row, 'td')}</tr>")
    return Raw(f"<table><thead><tr>{cells(header, 'th')}</tr></thead><tbody>\n" + "\n".join(body)
               + "\n</tbody></table>")


def _num(column: int, numeric: Collection[int]) -> str:
    return ' class="gl-num"' if column in numeric else ""


def block(*parts, kind: str = "") -> str:
    """The whole display: the style block, then ``parts`` in a ``div.graphlab`` (with the
    class ``gl-<kind>`` when given, so a test or a stylesheet can find it)."""
    classes = "graphlab" + (f" gl-{kind}" if kind else "")
    return f'<div class="{classes}"><style>{CSS}</style>' + "".join(escape(part) for part in parts) + "</div>"
