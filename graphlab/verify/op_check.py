"""``gl.verify.op``: one op's backward against the exact Jacobian of its SymPy twin.

The op runs on small inputs with exact values; SymPy differentiates the twin
(``Matrix.jacobian``), the engine gives one vector-Jacobian product per output element (its
``backward``), and the two Jacobians must agree to 1e-9 in float64. The forward is checked
against the twin too.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

import numpy as np
import sympy

from graphlab.autodiff.cases import make_inputs
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import GraphlabError
from graphlab.verify import sym
from graphlab.verify.op_cases import default_case
from graphlab.verify.printing import SHOW_ENTRIES, Mismatch, indent, latex, latex_header, latex_text, pretty, pretty_exact
from graphlab.verify.twins import (ATOL, MAX_ENTRIES, VerifyError, apply_twin, compare, engine_jacobian, floats,
                                   forward_signature, input_count, input_names, jacobian_of, resolve,
                                   worst_mismatch)


@dataclass
class OpReport:
    """``gl.verify.op``'s result: the twin's expression, the exact and the engine's Jacobian."""
    op: str
    inputs: list                   # (name, shape, exact values as an object array, differentiable)
    params: dict
    expression: np.ndarray         # object array of the output's shape
    variables: list                # the symbols, one Jacobian column each
    symbolic_jacobian: sympy.Matrix
    exact: sympy.Matrix            # the Jacobian at the inputs, exact
    engine: np.ndarray             # (outputs, variables) from one vector-Jacobian product per row
    max_error: float
    value_error: float
    worst: Optional[Mismatch]
    atol: float
    seconds: float
    output: str = "out"
    message: Optional[str] = None  # why the check could not compare (shape mismatch, backward error)

    @property
    def passed(self) -> bool:
        return self.message is None and self.max_error <= self.atol and self.value_error <= self.atol

    @property
    def status(self) -> str:
        return "pass" if self.passed else "FAIL"

    @property
    def shapes(self) -> tuple:
        return tuple(shape for _, shape, _, _ in self.inputs)

    @property
    def output_shape(self) -> tuple:
        return tuple(self.expression.shape)

    def summary(self) -> str:
        """One line: op, verdict, the worst element when it fails."""
        shapes = ", ".join(str(shape) for shape in self.shapes)
        line = f"{self.op} {shapes}: {self.status} (max error {self.max_error:.3g}, {self.seconds:.2f} s)"
        if self.message:
            return line + f": {self.message}"
        if not self.passed and self.value_error > self.atol:
            line += f"; forward differs from the twin by {self.value_error:.3g}"
        if not self.passed and self.worst is not None and self.max_error > self.atol:
            line += f"; worst {self.worst}"
        return line

    def __str__(self) -> str:
        parts = [f"verify.op {self.summary()}"]
        for name, shape, values, differentiable in self.inputs:
            kind = "" if differentiable else "  (constant)"
            parts.append(f"input {name} {shape}{kind} =\n{indent(pretty(values))}")
        if self.params:
            parts.append("params: " + ", ".join(f"{key}={value!r}" for key, value in self.params.items()))
        parts.append(f"{self.output} = symbolic twin, shape {self.output_shape}:\n{indent(pretty(self.expression))}")
        rows, columns = self.exact.shape
        parts.append(f"Jacobian: {rows} × {columns} (rows: {self.output} elements; columns: "
                     f"{', '.join(v.name for v in self.variables[:8])}{' ...' if columns > 8 else ''})")
        if rows * columns <= SHOW_ENTRIES:
            parts.append("symbolic (SymPy):\n" + indent(self._symbolic_text()))
            parts.append("exact at the inputs:\n" + indent(pretty_exact(self.exact)))
            parts.append("engine (backward, one vector-Jacobian product per row):\n"
                         + indent(np.array2string(self.engine, precision=6, suppress_small=True)))
        else:
            parts.append(f"(too large to print: {rows * columns} entries; see .exact and .engine)")
        verdict = "matches" if self.passed else "DOES NOT MATCH"
        parts.append(f"engine {verdict} SymPy: max |engine - exact| = {self.max_error:.3g} "
                     f"(forward vs twin {self.value_error:.3g}; tolerance {self.atol:g})")
        if self.worst is not None and not self.passed:
            parts.append(f"worst element: {self.worst}")
        return "\n".join(parts)

    def _symbolic_text(self) -> str:
        """The Jacobian formula as a matrix when it fits the width, else one non-zero entry a line."""
        text = pretty(self.symbolic_jacobian)
        if "↪" not in text:          # sympy.pretty marks the lines it had to wrap
            return text
        lines = []
        for (row, column), entry in np.ndenumerate(np.array(self.symbolic_jacobian.tolist(), dtype=object)):
            if entry != 0:
                index = tuple(int(i) for i in np.unravel_index(row, self.expression.shape))
                lines.append(f"d {sym.element_name(self.output, index)} / d {self.variables[column]} = {sympy.sstr(entry)}")
        return "\n".join(lines) + "\n(every other entry is 0)"

    def _repr_latex_(self) -> str:
        """Jupyter's view: the pass/fail header, the twin's formula and the exact Jacobian."""
        jacobian = latex(self.exact) if self.exact.rows * self.exact.cols <= SHOW_ENTRIES else r"\dots"
        return (rf"${latex_header(f'verify.op {self.op}', self.status)}{latex_text(self.output)} = "
                rf"{latex(self.expression)}, \quad J = {jacobian} \quad (\max|\Delta| = {self.max_error:.3g})$")



# -- the check at given inputs ----------------------------------------------------------------
@dataclass
class _Variables:
    """The inputs as SymPy sees them: exact values, symbols (or the exact values of constant
    inputs), and one (name, index) per Jacobian column."""
    names: list
    exact_values: list
    symbol_arrays: list
    differentiable: list
    variables: list
    columns: list

    @classmethod
    def build(cls, names: list, arrays: list, differentiable: list) -> "_Variables":
        exact_values = [sym.numbers_array(array) for array in arrays]
        symbol_arrays = [sym.symbols(name, array.shape) if wanted else exact
                         for name, array, exact, wanted in zip(names, arrays, exact_values, differentiable)]
        variables, columns = [], []
        for name, symbols, wanted in zip(names, symbol_arrays, differentiable):
            if wanted:
                for index in np.ndindex(symbols.shape):
                    variables.append(symbols[index])
                    columns.append((name, index))
        return cls(names, exact_values, symbol_arrays, differentiable, variables, columns)

    def point(self) -> dict:
        """symbol -> its exact value, for every differentiable input element."""
        return {symbols[index]: value[index]
                for value, symbols, wanted in zip(self.exact_values, self.symbol_arrays, self.differentiable)
                if wanted for index in np.ndindex(symbols.shape)}


def _run_forward(op_class, tensors: list, params: dict):
    """(the engine's output or None, the GraphlabError forward raised or None)."""
    try:
        return op_class.apply(*tensors, **params), None
    except GraphlabError as error:
        return None, error


def _refuse_large(op_class, arrays: list, result, variable_count: int) -> None:
    entries = (result.size if result is not None else 0) * variable_count
    if entries > MAX_ENTRIES:
        raise VerifyError(f"verify: {op_class.name} on shapes {[a.shape for a in arrays]} has a Jacobian of "
                          f"{result.size} × {variable_count} = {entries} entries, more than SymPy should "
                          f"differentiate here ({MAX_ENTRIES}); verify it on smaller shapes")


def _engine_side(result, tensors: list, expression: np.ndarray, differentiable: list):
    """(the engine's Jacobian, or None and why it could not be computed)."""
    if result is None:
        return None, None
    try:
        if result.shape != expression.shape:
            return None, f"the twin gives shape {expression.shape} but forward gives {result.shape}"
        return engine_jacobian(result, [t for t, wanted in zip(tensors, differentiable) if wanted]), None
    except GraphlabError as error:
        return None, f"the engine raised {type(error).__name__}: {error}"


def _exact_outputs(expression: np.ndarray, point: dict) -> np.ndarray:
    """The twin's output at the inputs, flat, in float64 (NaN where SymPy left an expression)."""
    if not expression.size:
        return np.zeros(0)
    return floats(sympy.Matrix(expression.reshape(-1).tolist()).xreplace(point)).reshape(-1)


def check_at(op_class, arrays: list, differentiable: list, params: dict, names: list,
             atol: float = ATOL, output: str = "out") -> OpReport:
    """Verify ``op_class`` at exact ``arrays`` (float64 or bool numpy arrays): the heart of verify.op."""
    started = time.perf_counter()
    inputs = _Variables.build(names, arrays, differentiable)
    # the engine's forward first: it gives the output's size, which bounds SymPy's work
    tensors = [Tensor(array, requires_grad=wanted) for array, wanted in zip(arrays, differentiable)]
    result, forward_error = _run_forward(op_class, tensors, params)
    _refuse_large(op_class, arrays, result, len(inputs.variables))
    expression = apply_twin(op_class, inputs.symbol_arrays, params)
    formula = jacobian_of(expression, inputs.variables)
    point = inputs.point()
    exact = formula.xreplace(point)
    exact_floats = floats(exact)

    def report(engine, max_error=math.inf, value_error=math.inf, worst=None, message=None):
        described = [(n, a.shape, e, d) for n, a, e, d in zip(names, arrays, inputs.exact_values, differentiable)]
        return OpReport(op_class.name, described, dict(params), expression, inputs.variables, formula, exact,
                        engine, max_error, value_error, worst, atol, time.perf_counter() - started, output, message)

    engine, message = _engine_side(result, tensors, expression, differentiable)
    if result is None:
        message = f"forward raised {type(forward_error).__name__}: {forward_error}"
    if engine is None:
        return report(np.full(exact.shape, np.nan), message=message)
    forward = np.asarray(result.data, dtype=np.float64).reshape(-1)
    value_error = float(np.max(np.abs(forward - _exact_outputs(expression, point)), initial=0.0))
    value_error = math.inf if np.isnan(value_error) else value_error
    max_error, worst_position = compare(exact_floats, engine, atol, 0.0)
    worst = worst_mismatch(worst_position, exact, exact_floats, engine, output, expression.shape, inputs.columns)
    return report(engine, max_error, value_error, worst)


# -- gl.verify.op -----------------------------------------------------------------------------
def as_shapes(shapes) -> list:
    """One shape per input from an int, a shape, or a list of shapes."""
    if isinstance(shapes, int):
        return [(shapes,)]
    if isinstance(shapes, tuple) and all(isinstance(size, int) for size in shapes):
        return [shapes]
    return [tuple(shape) if not isinstance(shape, int) else (shape,) for shape in shapes]


def _exact_input(value) -> np.ndarray:
    """User values (numbers, Fractions, strings such as "1/3") -> object array of Fractions;
    booleans stay a bool array (a mask: a constant input)."""
    array = np.asarray(value)
    if array.dtype == bool:
        return array
    exact = [Fraction(repr(item)) if isinstance(item, float) else Fraction(item) for item in array.reshape(-1).tolist()]
    return np.array(exact, dtype=object).reshape(array.shape)


def _engine_array(exact: np.ndarray) -> np.ndarray:
    return exact if exact.dtype == bool else exact.astype(np.float64)


def _random_inputs(op_class, default, shapes, domain, seed: int) -> list:
    """Exact values (float64 or bool arrays) drawn from the case domains (graphlab.autodiff.cases)."""
    if shapes is None and default is not None:
        shapes = default.shapes
    elif shapes is None:
        count = input_count(op_class)
        if count == 0:
            raise VerifyError(f"verify.op: {op_class.name} takes a variable number of inputs; "
                              f"pass shapes=[...] (one shape per input)")
        shapes = [(2, 3)] * count
    shapes = as_shapes(shapes)
    if domain is not None:
        domains = domain if isinstance(domain, tuple) else (domain,) * len(shapes)
    elif default is not None and len(default.domains()) == len(shapes):
        domains = default.domains()
    else:
        domains = ("real",) * len(shapes)
    return make_inputs(tuple(domains), tuple(shapes), seed)


def _check_input_count(op_class, arrays: list, params: dict) -> None:
    positional, varargs, _, required = forward_signature(op_class)
    needed = [name for name in positional[:required] if name not in params]    # params may fill some
    if len(arrays) < len(needed) or (varargs is None and len(arrays) > len(positional)):
        raise VerifyError(f"verify.op: {op_class.name} takes {len(needed)} input(s) ({', '.join(needed)}) "
                          f"but got {len(arrays)}; give one shape (or one value array) per input")


def op(name_or_function, shapes=None, seed: int = 0, *, params: Optional[dict] = None, values=None,
       domain=None, atol: float = ATOL) -> OpReport:
    """Verify one op exactly: its SymPy twin's Jacobian against the engine's backward.

    ``shapes`` (one per input) default to the op's first case (its ``cases``); ``values`` (one
    array-like per input) replace the random exact inputs; ``params`` are passed to the op
    (``axis=1``; on top of the first case's); ``domain`` names where random values come
    from (``"positive"``, ... : ``graphlab.autodiff.cases.DOMAINS``).

    >>> import graphlab as gl
    >>> report = gl.verify.op("relu", values=[[1, -2, 3, -1]])
    >>> report.passed, report.exact.tolist()
    (True, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    """
    op_class = resolve(name_or_function)
    if not op_class.differentiable:
        from graphlab.verify.op_table import EXEMPT
        reason = EXEMPT.get(op_class.name, "it is not differentiable")
        raise VerifyError(f"verify.op: {op_class.name} has no gradient to verify: {reason}")
    default = default_case(op_class)
    params = {**(default.params if default is not None else {}), **(params or {})}
    if values is not None:
        arrays = [_engine_array(_exact_input(value)) for value in values]
    else:
        arrays = _random_inputs(op_class, default, shapes, domain, seed)
    _check_input_count(op_class, arrays, params)
    differentiable = [array.dtype != bool for array in arrays]
    return check_at(op_class, arrays, differentiable, dict(params), input_names(op_class, len(arrays)), atol)


def run_case(case) -> OpReport:
    """One symbolic case of an op (``graphlab.autodiff.cases.Case``) at its exact inputs, with
    exactly its params (no other case's merged in)."""
    arrays = case.inputs()     # float64 multiples of 1/8: SymPy gets the very numbers the engine saw
    _check_input_count(case.op, arrays, case.params)
    return check_at(case.op, arrays, [array.dtype != bool for array in arrays], dict(case.params),
                    input_names(case.op, len(arrays)))
