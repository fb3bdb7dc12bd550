"""How verify's reports print: ``sympy.pretty`` for the terminal, LaTeX for Jupyter, and the
worst mismatch of a comparison as one line."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import sympy

from graphlab.verify import sym

#: matrices up to this many entries are printed in full
SHOW_ENTRIES = 144

_INDEXED = re.compile(r"^(.*)\[([\d,]+)\]$")


def as_sympy(array):
    """An object array as something sympy prints: scalar, Matrix (2-D) or Array."""
    if isinstance(array, sympy.MatrixBase):
        return array
    array = np.asarray(array, dtype=object)
    if array.ndim == 0:
        return sympy.sympify(array[()])
    if array.ndim == 2:
        return sympy.Matrix(array.tolist())
    return sympy.Array(array.tolist(), array.shape)


def pretty(value) -> str:
    return sympy.pretty(as_sympy(value) if isinstance(value, np.ndarray) else value, use_unicode=True,
                        num_columns=110)


def latex(value) -> str:
    """LaTeX with ``x[0,1]`` written as ``x_{0,1}``."""
    value = as_sympy(value) if isinstance(value, np.ndarray) else value
    names = {}
    for symbol in getattr(value, "free_symbols", ()):
        match = _INDEXED.match(symbol.name)
        if match:
            names[symbol] = f"{sympy.latex(sympy.Symbol(match.group(1)))}_{{{match.group(2)}}}"
    return sympy.latex(value, symbol_names=names)


#: characters \text{} cannot hold as they are, and how math mode writes them (MathJax, KaTeX and LaTeX agree)
_LATEX_SPECIAL = {"_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}",
                  "~": r"\sim", "^": r"\wedge", "\\": r"\backslash"}


def latex_text(text, command: str = "text") -> str:
    r"""Any text as LaTeX: runs of plain characters in ``\text{...}`` (or ``command``), special
    characters between them in math mode, so an op called ``leaky_relu`` typesets everywhere.

    >>> latex_text("leaky_relu: pass", "textbf")
    '\\textbf{leaky}\\_\\textbf{relu: pass}'
    """
    pieces = re.split(r"([_&%#$\\{}~^])", str(text))
    return "".join(_LATEX_SPECIAL[piece] if piece in _LATEX_SPECIAL else rf"\{command}{{{piece}}}"
                   for piece in pieces if piece)


def latex_header(title: str, verdict: str) -> str:
    r"""What every verify report's LaTeX opens with: ``\textbf{verify.op sigmoid: pass}``."""
    return latex_text(f"{title}: {verdict}", "textbf") + r"\quad "


def pretty_exact(matrix) -> str:
    """Exact values in full when they are rational; irrational ones (e, logs) to 6 digits."""
    if all(getattr(entry, "is_Rational", False) for entry in matrix):
        return pretty(matrix)
    return pretty(matrix.evalf(6)) + "\n(irrational entries shown to 6 digits; .exact holds them exactly)"


def number_text(value: float) -> str:
    return f"{value:.10g}"


def exact_text(value) -> str:
    text = sympy.sstr(value)
    return text if text == number_text(float(value)) else f"{text} ≈ {number_text(float(value))}"


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


@dataclass
class Mismatch:
    """The worst element of a comparison: d output[out_index] / d input[in_index]."""
    output: str
    out_index: tuple
    input: str
    in_index: tuple
    exact: object           # a sympy number
    engine: float
    error: float

    def __str__(self) -> str:
        numerator = sym.element_name(self.output, self.out_index)
        denominator = sym.element_name(self.input, self.in_index)
        return (f"d {numerator} / d {denominator}: exact {exact_text(self.exact)}, engine "
                f"{number_text(self.engine)} (error {self.error:.3g})")
