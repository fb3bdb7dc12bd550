"""``gl.verify.jacobian``: a Jacobian derived by hand, exactly, next to the engine's ``gl.jacobian``.

Lecture 4's f(x, y) = (x⁴ + 3y²x, 5y² − 2xy + 1) at (1, 2): SymPy differentiates the formulas,
and the engine rebuilds the same function from graphlab ops and differentiates it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional

import numpy as np
import sympy

from graphlab.autodiff.functional import jacobian as engine_jacobian
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import GraphlabError
from graphlab.verify import sym
from graphlab.verify.printing import indent, latex_header, pretty
from graphlab.verify.twins import ATOL, VerifyError, floats


def _graphlab_namespace() -> dict:
    """SymPy function names -> graphlab ops, so a SymPy expression can be rebuilt as a graph."""
    import graphlab as gl

    def extreme(pick):
        def combine(*values):
            result = values[0]
            for value in values[1:]:
                result = pick(result, value)
            return result
        return combine
    return {"exp": gl.exp, "log": gl.log, "sqrt": gl.sqrt, "tanh": gl.tanh, "Abs": gl.abs, "abs": gl.abs,
            "Max": extreme(gl.maximum), "Min": extreme(gl.minimum), "max": extreme(gl.maximum),
            "min": extreme(gl.minimum), "E": math.e, "pi": math.pi}


@dataclass
class JacobianReport:
    """``gl.verify.jacobian``'s result: the Jacobian formula, its exact value at a point, and the
    engine's ``gl.jacobian`` of the same function (None when the engine cannot build it)."""
    functions: list
    variables: list
    at: dict
    symbolic: sympy.Matrix
    exact: sympy.Matrix
    engine: Optional[np.ndarray]
    max_error: float
    atol: float
    engine_note: Optional[str] = None

    @property
    def matches(self) -> bool:
        """True when the engine's Jacobian agrees with the exact one."""
        return self.engine is not None and self.max_error <= self.atol

    passed = matches

    def __str__(self) -> str:
        names = ", ".join(str(v) for v in self.variables)
        point = ", ".join(f"{v} = {self.at[v]}" for v in self.variables)
        parts = [f"f({names}) =\n{indent(pretty(sympy.Matrix(self.functions)))}",
                 f"Jacobian (rows: f1..f{len(self.functions)}; columns: {names}):\n{indent(pretty(self.symbolic))}",
                 f"at {point}:\n{indent(pretty(self.exact))}"]
        if self.engine is None:
            parts.append(f"engine: not compared ({self.engine_note})")
        else:
            verdict = "matches" if self.matches else "DOES NOT MATCH"
            parts.append(f"engine (gl.jacobian, float64): {verdict} (max error {self.max_error:.3g})\n"
                         + indent(np.array2string(self.engine, precision=10)))
        return "\n".join(parts)

    def _repr_latex_(self) -> str:
        """Jupyter's view: the pass/fail header (the engine against the exact Jacobian), the
        Jacobian's formula and its exact value at the point."""
        verdict = "engine not compared" if self.engine is None else ("pass" if self.matches else "FAIL")
        header = latex_header("verify.jacobian", verdict)
        return rf"${header}J = {sympy.latex(self.symbolic)},\quad J({', '.join(map(str, self.at.values()))}) = " \
               rf"{sympy.latex(self.exact)}$"


def _variables(variables) -> list:
    if isinstance(variables, str):
        variables = [name for name in re.split(r"[\s,]+", variables) if name]
    return [v if isinstance(v, sympy.Symbol) else sympy.Symbol(str(v), real=True) for v in variables]




def _functions(exprs, symbols: list) -> tuple:
    """(the functions as SymPy expressions, the Python function of the variables or None)."""
    if callable(exprs):
        functions, engine_function = exprs(*symbols), exprs
    else:
        functions, engine_function = exprs, None
    functions = [functions] if not isinstance(functions, (list, tuple)) else list(functions)
    local_names = {symbol.name: symbol for symbol in symbols}
    return [sympy.sympify(f, locals=local_names) if isinstance(f, str) else sympy.sympify(f)
            for f in functions], engine_function


def _point(at, symbols: list) -> dict:
    """symbol -> its exact value, from a sequence or a {name: value} dict."""
    values = {str(key): value for key, value in at.items()} if isinstance(at, dict) \
        else dict(zip([s.name for s in symbols], at))
    if sorted(values) != sorted(s.name for s in symbols):
        raise VerifyError(f"verify.jacobian: the point {at!r} does not give one value for each of "
                          f"{[s.name for s in symbols]}")
    return {symbol: sym.number(values[symbol.name]) for symbol in symbols}


def _as_graphlab(functions: list, symbols: list):
    """The SymPy expressions as a Python function of Tensors, built from graphlab ops."""
    namespace = _graphlab_namespace()
    unknown = sorted({type(call).__name__ for f in functions for call in f.atoms(sympy.Function)} - set(namespace))
    if unknown:   # math.sin(Tensor) would quietly turn the tensor into a float constant
        raise NameError(f"graphlab has no op for {', '.join(unknown)}")
    return sympy.lambdify(symbols, functions, modules=[namespace])


def _engine_side(engine_function, functions: list, symbols: list, point: dict) -> np.ndarray:
    """The engine's Jacobian (functions × variables) of the same function, in float64."""
    from graphlab.ops import stack
    if engine_function is None:
        engine_function = _as_graphlab(functions, symbols)
    leaves = [Tensor(np.array(float(point[symbol]), dtype=np.float64)) for symbol in symbols]

    def as_vector(*tensors):
        results = engine_function(*tensors)
        results = results if isinstance(results, (list, tuple)) else [results]
        return stack([r if isinstance(r, Tensor) else Tensor(np.array(float(r), dtype=np.float64))
                      for r in results])
    blocks = engine_jacobian(as_vector, leaves)
    return np.stack([np.asarray(block, dtype=np.float64) for block in blocks], axis=-1)


def jacobian(exprs, variables, at, *, atol: float = ATOL) -> JacobianReport:
    """The Jacobian of hand-written functions, exactly, next to the engine's ``gl.jacobian``.

    ``exprs``: a list of SymPy expressions or strings, or a Python function of the variables that
    works on SymPy symbols and on Tensors alike (written with operators). ``variables``: names or
    symbols (scalars). ``at``: the point, a sequence or a {name: value} dict.

    >>> import graphlab as gl
    >>> report = gl.verify.jacobian(["x**4 + 3*y**2*x", "5*y**2 - 2*x*y + 1"], "x y", at=(1, 2))
    >>> report.exact.tolist(), report.matches
    ([[16, 12], [-4, 18]], True)
    """
    symbols = _variables(variables)
    functions, engine_function = _functions(exprs, symbols)
    # expressions built with the user's own symbols: use those symbols for the names given
    theirs = {s.name: s for f in functions for s in f.free_symbols}
    symbols = [theirs.get(symbol.name, symbol) for symbol in symbols]
    point = _point(at, symbols)
    formula = sympy.Matrix(functions).jacobian(sympy.Matrix(symbols))
    exact = formula.xreplace(point)
    engine, note, max_error = None, None, math.inf
    try:
        engine = _engine_side(engine_function, functions, symbols, point)
        max_error = float(np.max(np.abs(engine - floats(exact)), initial=0.0))
    except (GraphlabError, NameError, TypeError, AttributeError) as error:
        engine, note = None, f"the engine cannot build this function: {type(error).__name__}: {error}"
    return JacobianReport(functions, symbols, {s: point[s] for s in symbols}, formula, exact, engine,
                          max_error, atol, note)
