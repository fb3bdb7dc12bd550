"""Exact verification with SymPy: every op, every graph, hand-written Jacobians, Jacobian structure.

Finite differences say "close enough"; SymPy says "exactly". Four entry points, each returning a
report you can ``print`` (``sympy.pretty``) or show in Jupyter (``_repr_latex_``):

* ``op(name)`` -- one op on small inputs with rational values: SymPy differentiates the op's
  ``symbolic`` twin (``Matrix.jacobian``), the engine gives one vector-Jacobian product per
  output element (its ``backward``), and the two Jacobians must agree to 1e-9 in float64;
* ``graph(y)`` -- the whole recorded graph below ``y`` rebuilt as one SymPy expression from the
  twins, differentiated with respect to every leaf and compared with the engine's gradients;
  each op node is also checked on its own, so a failure names the op that is wrong;
* ``jacobian(exprs, variables, at)`` -- a Jacobian derived by hand (lecture 4's
  f(x, y) = (x⁴ + 3y²x, 5y² − 2xy + 1) at (1, 2)), with the engine's ``gl.jacobian`` of the
  same function beside it;
* ``structure(op, shape)`` -- whether an op's Jacobian is diagonal, block-diagonal, banded,
  sparse or dense, how big it would be, and what that means for memory.

The twins' conventions are in ``Function``'s docstring; their vocabulary is ``verify/sym.py``.
"""
from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import sympy

from graphlab.autodiff.function import Function
from graphlab.autodiff.functional import grad as engine_grad
from graphlab.autodiff.functional import jacobian as engine_jacobian
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import GraphlabError
from graphlab.verify import cases as cases_module
from graphlab.verify import sym
from graphlab.tables import format_table as aligned_table

#: max |engine - exact| allowed in float64
ATOL = 1e-9
#: tolerances (atol = rtol) for graphs computed in lower precision
LOW_PRECISION_TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float16): 1e-2}
#: bound on SymPy's work: Jacobian entries (outputs × inputs) differentiated in one check
MAX_ENTRIES = 20_000
#: bound on the number of input elements whose structure is computed symbolically
MAX_STRUCTURE_INPUTS = 1024


VerifyError = sym.VerifyError


# -- finding ops ------------------------------------------------------------------------------
def builtin_ops() -> dict:
    """Every op class defined in a module under ``graphlab.ops``, by name.

    All modules of the package are imported first, so a new op file is picked up even before
    ``graphlab/ops/__init__.py`` imports it. Ops are found through the class hierarchy rather
    than ``Function.registry``, which user Functions of the same name may overwrite.
    """
    return _builtin_scan()[0]


def import_failures() -> dict:
    """Modules under ``graphlab.ops`` that fail to import: module name -> error text."""
    return _builtin_scan()[1]


def _builtin_scan() -> tuple:
    import graphlab.ops as package
    failures = {}
    for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(module.name)
        except Exception as error:   # an unfinished op file must not hide the others
            failures[module.name] = f"{type(error).__name__}: {error}"
    found, stack = {}, list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("graphlab.ops."):
            found[cls.name] = cls
    return dict(sorted(found.items())), failures


def _normal(name: str) -> str:
    return name.lower().replace("_", "")


def resolve(name_or_function) -> type:
    """The op class for a name (``"relu"``, ``"leaky_relu"``, ``"LogSoftmax"``), a Function
    subclass, or its ``apply`` (``gl.relu``)."""
    if isinstance(name_or_function, type) and issubclass(name_or_function, Function):
        return name_or_function
    owner = getattr(name_or_function, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, Function):
        return owner
    if isinstance(name_or_function, str):
        wanted = _normal(name_or_function)
        for table in (builtin_ops(), Function.registry):
            for name, cls in table.items():
                if _normal(name) == wanted or _normal(cls.__name__) == wanted:
                    return cls
        raise VerifyError(f"verify: no op named {name_or_function!r}; built-in ops: "
                          f"{', '.join(builtin_ops())}")
    raise VerifyError(f"verify: {name_or_function!r} is not an op; pass a name (\"relu\"), a gl.Function "
                      f"subclass or its apply (gl.relu). Wrappers such as gl.leaky_relu: pass the name")


def _forward_signature(op_class) -> tuple:
    """(positional parameter names, name of ``*inputs`` or None, keyword-only names, how many
    positional parameters have no default) of ``op_class.forward``, without ctx."""
    parameters = list(inspect.signature(op_class.forward).parameters.values())[1:]
    positional, varargs, keyword_only, required = [], None, [], 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            varargs = parameter.name
        elif parameter.kind is parameter.KEYWORD_ONLY:
            keyword_only.append(parameter.name)
        elif parameter.kind is not parameter.VAR_KEYWORD:
            positional.append(parameter.name)
            required += parameter.default is parameter.empty
    return positional, varargs, keyword_only, required


def _input_count(op_class) -> int:
    """How many inputs an op takes when nothing says otherwise: forward's arguments without a default."""
    return _forward_signature(op_class)[3]


def _input_names(op_class, count: int) -> list:
    positional, varargs, _, _ = _forward_signature(op_class)
    names = positional[:count] if varargs is None else []
    stem = "x" if varargs in (None, "arrays") else varargs
    names += [f"{stem}{index}" for index in range(count - len(names))]
    return names


def params_of(node_ctx) -> dict:
    """The parameters an op node was built with: forward's keyword arguments, which
    ``Function.apply`` keeps on ``ctx.params``."""
    return dict(node_ctx.params)


def cases_of(op_class) -> list:
    """The verification cases of an op, default first: its lines in ``verify/cases.py``, then the
    ones it declares itself (``verify_cases = [dict(shapes=[...], params={...}, domain=...)]``,
    for op families that keep their cases next to their code)."""
    found = cases_module.cases_for(op_class.name)
    for spec in getattr(op_class, "verify_cases", ()):
        found.append(cases_module.Case(op_class.name, tuple(tuple(shape) for shape in spec["shapes"]),
                                       spec.get("domain", "real"), dict(spec.get("params", {})),
                                       spec.get("variant", "")))
    return found


def all_cases() -> list:
    """Every case of every built-in op (the table and the ops' own)."""
    return [case for cls in builtin_ops().values() for case in cases_of(cls)]


# -- applying twins ---------------------------------------------------------------------------
def has_twin(op_class) -> bool:
    return getattr(op_class, "symbolic", None) is not None


def apply_twin(op_class, arrays: list, params: dict) -> np.ndarray:
    """The op's SymPy twin on object arrays of expressions; an object array of the output's shape."""
    if not has_twin(op_class):
        raise VerifyError(f"{op_class.name}: has no symbolic twin; define a static method "
                          f"symbolic(*inputs, **params) returning its SymPy expression (see gl.Function)")
    twin = op_class.symbolic
    if getattr(op_class, "elementwise", False):
        return sym.elementwise(twin, arrays, params)
    return sym.as_array(twin(*arrays, **params))


# -- printing ---------------------------------------------------------------------------------
def _as_sympy(array):
    """An object array as something sympy prints: scalar, Matrix (2-D) or Array."""
    array = np.asarray(array, dtype=object) if not isinstance(array, sympy.MatrixBase) else array
    if isinstance(array, sympy.MatrixBase):
        return array
    if array.ndim == 0:
        return sympy.sympify(array[()])
    if array.ndim == 2:
        return sympy.Matrix(array.tolist())
    return sympy.Array(array.tolist(), array.shape)


def _pretty(value) -> str:
    return sympy.pretty(_as_sympy(value) if isinstance(value, np.ndarray) else value, use_unicode=True,
                        num_columns=110)


_INDEXED = re.compile(r"^(.*)\[([\d,]+)\]$")


def _latex(value) -> str:
    """LaTeX with ``x[0,1]`` written as ``x_{0,1}``."""
    value = _as_sympy(value) if isinstance(value, np.ndarray) else value
    names = {}
    for symbol in getattr(value, "free_symbols", ()):
        match = _INDEXED.match(symbol.name)
        if match:
            names[symbol] = f"{sympy.latex(sympy.Symbol(match.group(1)))}_{{{match.group(2)}}}"
    return sympy.latex(value, symbol_names=names)


def _pretty_exact(matrix) -> str:
    """Exact values in full when they are rational; irrational ones (e, logs) to 6 digits."""
    if all(getattr(entry, "is_Rational", False) for entry in matrix):
        return _pretty(matrix)
    return _pretty(matrix.evalf(6)) + "\n(irrational entries shown to 6 digits; .exact holds them exactly)"


def _number_text(value: float) -> str:
    return f"{value:.10g}"


def _exact_text(value) -> str:
    text = sympy.sstr(value)
    return text if text == _number_text(float(value)) else f"{text} ≈ {_number_text(float(value))}"


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


_SHOW_ENTRIES = 144     # matrices up to this many entries are printed in full


# -- the core check ---------------------------------------------------------------------------
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
        return (f"d {numerator} / d {denominator}: exact {_exact_text(self.exact)}, engine "
                f"{_number_text(self.engine)} (error {self.error:.3g})")


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
            parts.append(f"input {name} {shape}{kind} =\n{_indent(_pretty(values))}")
        if self.params:
            parts.append("params: " + ", ".join(f"{key}={value!r}" for key, value in self.params.items()))
        parts.append(f"{self.output} = symbolic twin, shape {self.output_shape}:\n{_indent(_pretty(self.expression))}")
        rows, columns = self.exact.shape
        parts.append(f"Jacobian: {rows} × {columns} (rows: {self.output} elements; columns: "
                     f"{', '.join(v.name for v in self.variables[:8])}{' ...' if columns > 8 else ''})")
        if rows * columns <= _SHOW_ENTRIES:
            parts.append("symbolic (SymPy):\n" + _indent(self._symbolic_text()))
            parts.append("exact at the inputs:\n" + _indent(_pretty_exact(self.exact)))
            parts.append("engine (backward, one vector-Jacobian product per row):\n"
                         + _indent(np.array2string(self.engine, precision=6, suppress_small=True)))
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
        text = _pretty(self.symbolic_jacobian)
        if "↪" not in text:          # sympy.pretty marks the lines it had to wrap
            return text
        lines = []
        for (row, column), entry in np.ndenumerate(np.array(self.symbolic_jacobian.tolist(), dtype=object)):
            if entry != 0:
                index = tuple(int(i) for i in np.unravel_index(row, self.expression.shape))
                lines.append(f"d {sym.element_name(self.output, index)} / d {self.variables[column]} = {sympy.sstr(entry)}")
        return "\n".join(lines) + "\n(every other entry is 0)"

    def _repr_latex_(self) -> str:
        verdict = r"\text{matches}" if self.passed else r"\text{DOES NOT MATCH}"
        expression = _latex(self.expression)
        jacobian = _latex(self.exact) if self.exact.rows * self.exact.cols <= _SHOW_ENTRIES else r"\dots"
        return (rf"$\text{{{self.op}}}: \quad \mathrm{{out}} = {expression}, \quad "
                rf"J = {jacobian} \quad {verdict}\ (\max|\Delta| = {self.max_error:.3g})$")


def _exact_point(values: list, symbol_arrays: list, differentiable: list) -> dict:
    point = {}
    for value, symbols, wanted in zip(values, symbol_arrays, differentiable):
        if wanted:
            for index in np.ndindex(symbols.shape):
                point[symbols[index]] = value[index]
    return point


def _floats(matrix) -> np.ndarray:
    """sympy numbers -> float64; an expression SymPy could not reduce to a number -> NaN."""
    result = np.empty(matrix.shape, dtype=np.float64)
    for index, entry in np.ndenumerate(np.array(matrix.tolist(), dtype=object).reshape(matrix.shape)):
        try:
            result[index] = float(entry)
        except (TypeError, ValueError):
            result[index] = np.nan
    return result


def _engine_jacobian(output: Tensor, wrt: list) -> np.ndarray:
    """(output elements, wrt elements): row k is the gradient for a one-hot upstream at k."""
    size = output.data.size
    width = sum(tensor.data.size for tensor in wrt)
    rows = np.zeros((size, width))
    if not output.requires_grad or width == 0:
        return rows
    for position in range(size):
        one_hot = np.zeros(size, dtype=output.dtype)
        one_hot[position] = 1
        gradients = engine_grad(output, wrt, grad_outputs=one_hot.reshape(output.shape), allow_unused=True)
        pieces = [np.zeros(tensor.data.size) if gradient is None else
                  np.asarray(gradient.data, dtype=np.float64).reshape(-1)
                  for tensor, gradient in zip(wrt, gradients)]
        rows[position] = np.concatenate(pieces)
    return rows


def _compare(exact: np.ndarray, engine: np.ndarray, atol: float, rtol: float):
    """(max abs error, (row, col) of the element furthest outside atol + rtol |exact|)."""
    if exact.size == 0:
        return 0.0, None
    error = np.abs(engine - exact)
    error[np.isnan(error)] = np.inf
    excess = error / (atol + rtol * np.abs(np.nan_to_num(exact)))
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return float(error.max()), worst


def _check(op_class, arrays: list, differentiable: list, params: dict, names: list,
           atol: float = ATOL, output: str = "out") -> OpReport:
    """Verify ``op_class`` at exact ``arrays`` (float64 or bool numpy arrays): the heart of verify.op."""
    started = time.perf_counter()
    exact_values = [sym.numbers_array(array) for array in arrays]
    symbol_arrays = [sym.symbols(name, array.shape) if wanted else exact
                     for name, array, exact, wanted in zip(names, arrays, exact_values, differentiable)]
    variables, columns = [], []
    for name, symbols, wanted in zip(names, symbol_arrays, differentiable):
        if wanted:
            for index in np.ndindex(symbols.shape):
                variables.append(symbols[index])
                columns.append((name, index))
    # the engine's forward first: it gives the output's size, which bounds SymPy's work
    tensors = [Tensor(array, requires_grad=wanted) for array, wanted in zip(arrays, differentiable)]
    try:
        result = op_class.apply(*tensors, **params)
    except GraphlabError as error:
        result, forward_error = None, error
    entries = (result.size if result is not None else 0) * len(variables)
    if entries > MAX_ENTRIES:
        raise VerifyError(f"verify: {op_class.name} on shapes {[a.shape for a in arrays]} has a Jacobian of "
                          f"{result.size} × {len(variables)} = {entries} entries, more than SymPy should "
                          f"differentiate here ({MAX_ENTRIES}); verify it on smaller shapes")
    expression = apply_twin(op_class, symbol_arrays, params)
    outputs = sympy.Matrix(expression.reshape(-1).tolist()) if expression.size else sympy.zeros(0, 1)
    symbolic_jacobian = outputs.jacobian(sympy.Matrix(variables)) if variables else sympy.zeros(expression.size, 0)
    point = _exact_point(exact_values, symbol_arrays, differentiable)
    exact = symbolic_jacobian.xreplace(point)
    exact_floats = _floats(exact)
    exact_outputs = outputs.xreplace(point)

    def report(engine, max_error, value_error, worst, message=None):
        return OpReport(op_class.name, [(n, a.shape, e, d) for n, a, e, d in zip(names, arrays, exact_values, differentiable)],
                        dict(params), expression, variables, symbolic_jacobian, exact, engine, max_error,
                        value_error, worst, atol, time.perf_counter() - started, output, message)

    empty = np.full(exact.shape, np.nan)
    if result is None:
        return report(empty, math.inf, math.inf, None,
                      f"forward raised {type(forward_error).__name__}: {forward_error}")
    try:
        if result.shape != expression.shape:
            return report(empty, math.inf, math.inf, None,
                          f"the twin gives shape {expression.shape} but forward gives {result.shape}")
        engine = _engine_jacobian(result, [t for t, wanted in zip(tensors, differentiable) if wanted])
    except GraphlabError as error:
        return report(empty, math.inf, math.inf, None, f"the engine raised {type(error).__name__}: {error}")
    forward = np.asarray(result.data, dtype=np.float64).reshape(-1)
    value_error = float(np.max(np.abs(forward - _floats(exact_outputs).reshape(-1)), initial=0.0))
    if np.isnan(value_error):
        value_error = math.inf
    max_error, worst_position = _compare(exact_floats, engine, atol, 0.0)
    worst = None
    if worst_position is not None:
        row, column = worst_position
        name, in_index = columns[column]
        worst = Mismatch(output, tuple(int(i) for i in np.unravel_index(row, expression.shape)), name,
                         tuple(int(i) for i in in_index), exact[row, column], float(engine[row, column]),
                         float(abs(engine[row, column] - exact_floats[row, column])))
    return report(engine, max_error, value_error, worst)


# -- gl.verify.op -----------------------------------------------------------------------------
def _as_shapes(shapes) -> list:
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


def op(name_or_function, shapes=None, seed: int = 0, *, params: Optional[dict] = None, values=None,
       domain=None, atol: float = ATOL) -> OpReport:
    """Verify one op exactly: its SymPy twin's Jacobian against the engine's backward.

    ``shapes`` (one per input) default to the op's first case in ``verify/cases.py``; ``values``
    (one array-like per input) replace the random rational inputs; ``params`` are passed to the
    op (``axis=1``); ``domain`` names where random values come from (``"positive"``, ...).

    >>> import graphlab as gl
    >>> report = gl.verify.op("relu", values=[[1, -2, 3, -1]])
    >>> report.passed, report.exact.tolist()
    (True, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    """
    op_class = resolve(name_or_function)
    if not op_class.differentiable:
        reason = cases_module.EXEMPT.get(op_class.name, "it is not differentiable")
        raise VerifyError(f"verify.op: {op_class.name} has no gradient to verify: {reason}")
    known = cases_of(op_class)
    default = known[0] if known else None
    merged = dict(default.params) if default else {}
    merged.update(params or {})
    if values is not None:
        exact_inputs = [_exact_input(value) for value in values]
    else:
        if shapes is None:
            if default is None:
                count = _input_count(op_class)
                if count == 0:
                    raise VerifyError(f"verify.op: {op_class.name} takes a variable number of inputs; "
                                      f"pass shapes=[...] (one shape per input)")
                shapes = [(2, 3)] * count
            else:
                shapes = default.shapes
        shapes = _as_shapes(shapes)
        if domain is not None:
            domains = domain if isinstance(domain, tuple) else (domain,) * len(shapes)
        elif default is not None and len(default.domains()) == len(shapes):
            domains = default.domains()
        else:
            domains = ("real",) * len(shapes)
        exact_inputs = cases_module.make_values(domains, tuple(shapes), seed)
    arrays = [_engine_array(exact) for exact in exact_inputs]
    positional, varargs, _, required = _forward_signature(op_class)
    needed = [name for name in positional[:required] if name not in merged]    # params may fill some
    if len(arrays) < len(needed) or (varargs is None and len(arrays) > len(positional)):
        raise VerifyError(f"verify.op: {op_class.name} takes {len(needed)} input(s) ({', '.join(needed)}) "
                          f"but got {len(arrays)}; give one shape (or one value array) per input")
    differentiable = [array.dtype != bool for array in arrays]
    return _check(op_class, arrays, differentiable, merged, _input_names(op_class, len(arrays)), atol)


def run_case(case) -> OpReport:
    """One row of the verification table."""
    return op(case.op, shapes=case.shapes, params=case.params, domain=case.domain)


# -- gl.verify.graph --------------------------------------------------------------------------
@dataclass
class LeafGradient:
    """d y / d leaf as a formula and exactly at the leaves' values (object arrays of shape
    y.shape + leaf.shape), and the engine's (float)."""
    label: str
    shape: tuple
    formula: np.ndarray
    exact: np.ndarray
    engine: np.ndarray
    max_error: float
    passed: bool


@dataclass
class GraphReport:
    """``gl.verify.graph``'s result: y as one SymPy expression, and every leaf's gradient."""
    output: str
    expression: np.ndarray
    leaves: list
    nodes: list                  # (node label, OpReport) for every op node checked on its own
    max_error: float
    worst: Optional[Mismatch]
    atol: float
    rtol: float
    seconds: float
    skipped: list = field(default_factory=list)   # (node label, why) for nodes too large to check alone

    @property
    def leaf_gradients_match(self) -> bool:
        return all(leaf.passed for leaf in self.leaves)

    @property
    def culprits(self) -> list:
        """(node label, OpReport) for each op node whose own check fails."""
        return [(label, report) for label, report in self.nodes if not report.passed]

    @property
    def passed(self) -> bool:
        return self.leaf_gradients_match and not self.culprits

    @property
    def status(self) -> str:
        return "pass" if self.passed else "FAIL"

    def gradient(self, leaf, exact: bool = False):
        """d y / d leaf for a leaf Tensor or its label: the SymPy formula, or with ``exact=True``
        its exact value at the leaves' values (a sympy scalar when y and the leaf are 0-d)."""
        label = leaf if isinstance(leaf, str) else leaf.label
        for item in self.leaves:
            if item.label == label:
                found = item.exact if exact else item.formula
                return found[()] if found.ndim == 0 else found
        raise KeyError(f"verify.graph: no leaf named {label!r}; leaves: {[item.label for item in self.leaves]}")

    def summary(self) -> str:
        leaves = f"{len(self.leaves)} lea{'f' if len(self.leaves) == 1 else 'ves'}"
        line = f"{self.output}: {self.status} (max error {self.max_error:.3g} over {leaves}, " \
               f"{len(self.nodes)} op nodes checked, {self.seconds:.2f} s)"
        for label, report in self.culprits:
            line += f"; node {label} = {report.op}(...) is wrong: {report.message or report.worst}"
        if not self.leaf_gradients_match:
            line += f"; worst leaf gradient {self.worst}"
        return line

    def __str__(self) -> str:
        parts = [f"verify.graph {self.summary()}"]
        parts.append(f"{self.output} =\n{_indent(_pretty(self.expression))}")
        for leaf in self.leaves:
            mark = "ok" if leaf.passed else "WRONG"
            formula = _pretty(leaf.formula) if leaf.formula.size <= 36 else "(large; see .formula)"
            parts.append(f"d{self.output}/d{leaf.label} =\n{_indent(formula)}\n"
                         f"  exact at the leaves' values:\n{_indent(_pretty(leaf.exact), '    ')}\n"
                         f"  engine [{mark}]:\n{_indent(np.array2string(np.asarray(leaf.engine), precision=6), '    ')}")
        if self.nodes:
            parts.append("op nodes, each checked on its own:")
            for label, report in self.nodes:
                parts.append(f"  {label} = {report.summary()}")
        for label, why in self.skipped:
            parts.append(f"  {label}: not checked alone ({why})")
        return "\n".join(parts)

    def _repr_latex_(self) -> str:
        verdict = r"\text{matches}" if self.passed else r"\text{DOES NOT MATCH}"
        gradients = r",\ ".join(
            rf"\frac{{\partial {self.output}}}{{\partial {sympy.latex(sympy.Symbol(leaf.label))}}} = "
            rf"{_latex(leaf.exact)}" for leaf in self.leaves)
        return rf"${self.output} = {_latex(self.expression)}; \quad {gradients} \quad {verdict}$"


def _tolerance(dtypes) -> tuple:
    tol = max((LOW_PRECISION_TOL.get(np.dtype(dtype), 0.0) for dtype in dtypes), default=0.0)
    return (tol, tol) if tol else (ATOL, 0.0)


def _graph_nodes(y: Tensor) -> list:
    """Every node y depends on through nodes that require grad, in creation (topological) order."""
    found, stack = {y.id: y}, [y]
    while stack:
        node = stack.pop()
        if node.creator is None or not node.requires_grad:
            continue          # a leaf, or a constant (its value is what matters)
        for parent in node.creator.inputs:
            if parent.id not in found:
                found[parent.id] = parent
                stack.append(parent)
    return [found[node_id] for node_id in sorted(found)]


def graph(y: Tensor, *, atol: Optional[float] = None, check_nodes: bool = True) -> GraphReport:
    """Rebuild the graph below ``y`` as one SymPy expression and compare every leaf's gradient.

    Leaves become symbols named by their labels and are substituted with their exact values
    (the shortest decimal of each float: 0.1 -> 1/10); constants become exact numbers; every op
    node applies its twin. The engine's side is a fresh backward walk (``gl.grad``), one per
    element of ``y``, so ``.grad`` accumulated by earlier calls does not matter. With
    ``check_nodes`` each op node is also verified on its own inputs, which names the wrong op.

    >>> import graphlab as gl
    >>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    >>> report = gl.verify.graph(((x + y) * z).named("f"))
    >>> report.passed, report.expression[()], [report.gradient(leaf) for leaf in "xyz"]
    (True, z*(x + y), [z, z, x + y])
    >>> [report.gradient(leaf, exact=True) for leaf in "xyz"]
    [-4, -4, 3]
    """
    if not isinstance(y, Tensor):
        raise VerifyError(f"verify.graph: expected a Tensor, got {type(y).__name__}")
    if not y.requires_grad:
        raise VerifyError(f"verify.graph: {y.label} does not require grad, so there is no graph to verify; "
                          f"build it from leaves with requires_grad=True")
    started = time.perf_counter()
    nodes = _graph_nodes(y)
    leaves = [node for node in nodes if node.creator is None and node.requires_grad]
    counts = {}
    for leaf in leaves:
        counts[leaf.label] = counts.get(leaf.label, 0) + 1
    names = {leaf.id: leaf.label if counts[leaf.label] == 1 else f"{leaf.label}@{leaf.id}" for leaf in leaves}
    entries = y.size * sum(leaf.size for leaf in leaves)
    elements = sum(node.size for node in nodes)
    if entries > MAX_ENTRIES or elements > MAX_ENTRIES:
        raise VerifyError(f"verify.graph: the graph below {y.label} has {elements} elements in {len(nodes)} nodes "
                          f"and d {y.label} / d leaves has {entries} entries, more than SymPy should handle here "
                          f"({MAX_ENTRIES}); build the graph on smaller shapes")

    symbolic = {}
    for node in nodes:
        if node.id in names:
            symbolic[node.id] = sym.symbols(names[node.id], node.shape)
        elif node.creator is None or not node.requires_grad:
            symbolic[node.id] = sym.numbers_array(node.data)
        else:
            ctx = node.creator
            arrays = [symbolic[parent.id] if parent.id in symbolic else sym.numbers_array(parent.data)
                      for parent in ctx.inputs]
            expression = apply_twin(type(ctx), arrays, params_of(ctx))
            if expression.shape != node.shape:
                raise VerifyError(f"verify.graph: the twin of {ctx.name} gives shape {expression.shape} for node "
                                  f"{node.label}, but forward gave {node.shape}")
            symbolic[node.id] = expression
    expression = symbolic[y.id]

    variables, columns = [], []
    for leaf in leaves:
        for index in np.ndindex(leaf.shape):
            variables.append(symbolic[leaf.id][index])
            columns.append((leaf, index))
    point = {symbolic[leaf.id][index]: value
             for leaf in leaves for index, value in np.ndenumerate(sym.numbers_array(leaf.data))}
    outputs = sympy.Matrix(expression.reshape(-1).tolist())
    formula = outputs.jacobian(sympy.Matrix(variables))
    exact = formula.xreplace(point)
    exact_floats = _floats(exact)
    engine = _engine_jacobian(y, leaves)
    default_atol, rtol = _tolerance([y.dtype] + [leaf.dtype for leaf in leaves])
    atol = default_atol if atol is None else atol
    max_error, worst_position = _compare(exact_floats, engine, atol, rtol)
    worst = None
    if worst_position is not None:
        row, column = worst_position
        leaf, in_index = columns[column]
        worst = Mismatch(y.label, tuple(int(i) for i in np.unravel_index(row, y.shape)), names[leaf.id],
                         tuple(int(i) for i in in_index), exact[row, column], float(engine[row, column]),
                         float(abs(engine[row, column] - exact_floats[row, column])))

    leaf_reports, start = [], 0
    exact_objects = np.array(exact.tolist(), dtype=object).reshape(exact.shape)
    formula_objects = np.array(formula.tolist(), dtype=object).reshape(formula.shape)
    for leaf in leaves:
        stop = start + leaf.size
        block = exact_objects[:, start:stop].reshape(y.shape + leaf.shape)
        formula_block = formula_objects[:, start:stop].reshape(y.shape + leaf.shape)
        engine_block = engine[:, start:stop].reshape(y.shape + leaf.shape)
        exact_block = exact_floats[:, start:stop].reshape(y.shape + leaf.shape)
        error = np.abs(engine_block - exact_block)
        passed = bool(np.all(error <= atol + rtol * np.abs(exact_block)))
        leaf_reports.append(LeafGradient(names[leaf.id], leaf.shape, formula_block, block, engine_block,
                                         float(np.max(error, initial=0.0)), passed))
        start = stop

    node_reports, skipped = [], []
    if check_nodes:
        for node in nodes:
            if node.creator is None or not node.requires_grad:
                continue
            ctx = node.creator
            inputs = ctx.inputs
            size = node.size * sum(parent.size for parent in inputs if parent.requires_grad)
            if size > MAX_ENTRIES:
                skipped.append((node.label, f"its Jacobian has {size} entries"))
                continue
            arrays = [parent.data if parent.data.dtype == bool else parent.data.astype(np.float64)
                      for parent in inputs]
            labels = [names.get(parent.id, parent.label) for parent in inputs]
            # x * x: the op is checked with two independent inputs, x#0 and x#1
            labels = [label if labels.count(label) == 1 else f"{label}#{position}"
                      for position, label in enumerate(labels)]
            node_reports.append((node.label, _check(type(ctx), arrays, [parent.requires_grad for parent in inputs],
                                                    params_of(ctx), labels, output=node.label)))
    return GraphReport(y.label, expression, leaf_reports, node_reports, max_error, worst, atol, rtol,
                       time.perf_counter() - started, skipped)


# -- gl.verify.jacobian -----------------------------------------------------------------------
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
        parts = [f"f({names}) =\n{_indent(_pretty(sympy.Matrix(self.functions)))}",
                 f"Jacobian (rows: f1..f{len(self.functions)}; columns: {names}):\n{_indent(_pretty(self.symbolic))}",
                 f"at {point}:\n{_indent(_pretty(self.exact))}"]
        if self.engine is None:
            parts.append(f"engine: not compared ({self.engine_note})")
        else:
            verdict = "matches" if self.matches else "DOES NOT MATCH"
            parts.append(f"engine (gl.jacobian, float64): {verdict} (max error {self.max_error:.3g})\n"
                         + _indent(np.array2string(self.engine, precision=10)))
        return "\n".join(parts)

    def _repr_latex_(self) -> str:
        verdict = r"\text{matches the engine}" if self.matches else r"\text{does not match the engine}"
        return rf"$J = {sympy.latex(self.symbolic)},\quad J({', '.join(map(str, self.at.values()))}) = " \
               rf"{sympy.latex(self.exact)}\quad {verdict}$"


def _variables(variables) -> list:
    if isinstance(variables, str):
        variables = [name for name in re.split(r"[\s,]+", variables) if name]
    return [v if isinstance(v, sympy.Symbol) else sympy.Symbol(str(v), real=True) for v in variables]


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
    if callable(exprs):
        functions = exprs(*symbols)
        engine_function = exprs
    else:
        functions = exprs
        engine_function = None
    functions = [functions] if not isinstance(functions, (list, tuple)) else list(functions)
    local_names = {symbol.name: symbol for symbol in symbols}
    functions = [sympy.sympify(f, locals=local_names) if isinstance(f, str) else sympy.sympify(f) for f in functions]
    # expressions built with the user's own symbols: use those symbols for the names given
    theirs = {s.name: s for f in functions for s in f.free_symbols}
    symbols = [theirs.get(symbol.name, symbol) for symbol in symbols]
    values = {str(key): value for key, value in at.items()} if isinstance(at, dict) \
        else dict(zip([s.name for s in symbols], at))
    if sorted(values) != sorted(s.name for s in symbols):
        raise VerifyError(f"verify.jacobian: the point {at!r} does not give one value for each of "
                          f"{[s.name for s in symbols]}")
    point = {symbol: sym.number(values[symbol.name]) for symbol in symbols}
    formula = sympy.Matrix(functions).jacobian(sympy.Matrix(symbols))
    exact = formula.xreplace(point)

    engine, note, max_error = None, None, math.inf
    try:
        if engine_function is None:
            namespace = _graphlab_namespace()
            unknown = sorted({type(call).__name__ for f in functions for call in f.atoms(sympy.Function)}
                             - set(namespace))
            if unknown:   # math.sin(Tensor) would quietly turn the tensor into a float constant
                raise NameError(f"graphlab has no op for {', '.join(unknown)}")
            engine_function = sympy.lambdify(symbols, functions, modules=[namespace])
        leaves = [Tensor(np.array(float(point[symbol]), dtype=np.float64)) for symbol in symbols]

        def as_vector(*tensors):
            results = engine_function(*tensors)
            results = results if isinstance(results, (list, tuple)) else [results]
            from graphlab.ops import stack
            return stack([r if isinstance(r, Tensor) else Tensor(np.array(float(r), dtype=np.float64))
                          for r in results])
        blocks = engine_jacobian(as_vector, leaves)
        engine = np.stack([np.asarray(block, dtype=np.float64) for block in blocks], axis=-1)
        max_error = float(np.max(np.abs(engine - _floats(exact)), initial=0.0))
    except (GraphlabError, NameError, TypeError, AttributeError) as error:
        engine, note = None, f"the engine cannot build this function: {type(error).__name__}: {error}"
    return JacobianReport(functions, symbols, {s: point[s] for s in symbols}, formula, exact, engine,
                          max_error, atol, note)


# -- gl.verify.structure ----------------------------------------------------------------------
def _components(pattern: np.ndarray) -> list:
    """Connected groups of rows and columns linked by non-zeros: (rows, cols) per group."""
    rows, cols = pattern.shape
    parent = list(range(rows + cols))

    def find(item):
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item
    for i, j in zip(*np.nonzero(pattern)):
        parent[find(int(i))] = find(rows + int(j))
    groups = {}
    for item in range(rows + cols):
        groups.setdefault(find(item), ([], []))[0 if item < rows else 1].append(item if item < rows else item - rows)
    return [group for group in groups.values()]


def classify(pattern: np.ndarray) -> tuple:
    """(kind, detail) of a Jacobian's non-zero pattern: zero, diagonal, block-diagonal, banded,
    sparse or dense."""
    rows, cols = pattern.shape
    nonzeros = int(pattern.sum())
    if nonzeros == 0:
        return "zero", "no output depends on this input"
    i, j = np.nonzero(pattern)
    if rows == cols and np.all(i == j):
        return "diagonal", "each output element depends only on the input element at the same place"
    groups = _components(pattern)
    full = [g for g in groups if g[0] and g[1]]
    no_empty_lines = all(g[0] and g[1] for g in groups)
    if len(full) > 1 and no_empty_lines:
        if all(len(g[0]) == 1 and len(g[1]) == 1 for g in full):
            return "sparse", "a permutation: each output is exactly one input, moved elsewhere"
        ordered = sorted(full, key=lambda g: min(g[0]))
        contiguous = all(g[0] == list(range(min(g[0]), max(g[0]) + 1)) and g[1] == list(range(min(g[1]), max(g[1]) + 1))
                         for g in ordered) and all(max(a[1]) < min(b[1]) for a, b in zip(ordered, ordered[1:]))
        sizes = {(len(g[0]), len(g[1])) for g in full}
        size_text = (f"{len(full)} blocks of {next(iter(sizes))[0]}×{next(iter(sizes))[1]}" if len(sizes) == 1
                     else f"{len(full)} blocks")
        return "block-diagonal", size_text + ("" if contiguous else ", after reordering rows and columns")
    if rows == cols:
        bandwidth = int(np.max(np.abs(i - j)))
        if 2 * bandwidth + 1 < cols:
            return "banded", f"non-zeros within {bandwidth} of the diagonal"
    density = nonzeros / pattern.size
    if density <= 0.5:
        return "sparse", f"{nonzeros} of {pattern.size} entries are non-zero"
    return "dense", "every output element depends on (almost) every input element"


def _bytes(count: float) -> str:
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{int(count)} bytes"


@dataclass
class JacobianBlock:
    """The Jacobian of the output with respect to one input."""
    input: str
    input_shape: tuple
    rows: int                     # output elements
    cols: int                     # input elements
    kind: str
    detail: str
    nonzeros: int
    pattern: np.ndarray           # boolean, at ``pattern_shape`` (the probe shape for large elementwise ops)

    @property
    def entries(self) -> int:
        return self.rows * self.cols

    @property
    def density(self) -> float:
        return self.nonzeros / self.entries if self.entries else 0.0


@dataclass
class StructureReport:
    """``gl.verify.structure``'s result: the Jacobian's kind and size for each input, and memory."""
    op: str
    shapes: tuple
    output_shape: tuple
    blocks: list
    dtype: np.dtype
    pattern_shapes: tuple          # input shapes the pattern was computed at (smaller for large elementwise ops)
    check: Optional[OpReport] = None   # exact Jacobian at a point, when the shapes are small

    @property
    def kind(self) -> str:
        kinds = {block.kind for block in self.blocks}
        return kinds.pop() if len(kinds) == 1 else ", ".join(block.kind for block in self.blocks)

    @property
    def rows(self) -> int:
        return self.blocks[0].rows

    @property
    def cols(self) -> int:
        return sum(block.cols for block in self.blocks)

    @property
    def entries(self) -> int:
        return self.rows * self.cols

    @property
    def nonzeros(self) -> int:
        return sum(block.nonzeros for block in self.blocks)

    @property
    def dense_bytes(self) -> int:
        return self.entries * self.dtype.itemsize

    @property
    def exact(self) -> Optional[sympy.Matrix]:
        return None if self.check is None else self.check.exact

    def pattern_text(self, block: int = 0) -> str:
        """The non-zero pattern as text: ■ where an output depends on an input, · elsewhere."""
        pattern = self.blocks[block].pattern
        return "\n".join(" ".join("■" if cell else "·" for cell in row) for row in pattern)

    def memory(self) -> str:
        """What the Jacobian would cost if it were built, and why graphlab never builds it."""
        lines = []
        for block in self.blocks:
            lines.append(
                f"d out/d {block.input}: {block.rows:,} × {block.cols:,} = {block.entries:,} entries "
                f"({_bytes(block.entries * self.dtype.itemsize)} in {self.dtype.name}); {block.kind}, "
                f"{block.nonzeros:,} non-zero ({_bytes(block.nonzeros * self.dtype.itemsize)})")
        lines.append(f"graphlab never builds it: {self.op}'s backward maps the upstream gradient "
                     f"{self.output_shape} straight to each input's gradient, storing only what it saved in forward")
        how = {"diagonal": "an elementwise product with the diagonal (the local gradient, one number per element)",
               "block-diagonal": "one small Jacobian-vector product per block",
               "banded": "a sliding-window sum over the band",
               "sparse": "moving or adding entries (a gather or a scatter), no multiplications by a matrix",
               "dense": "one vector-Jacobian product, with the Jacobian's entries computed on the fly",
               "zero": "nothing: no gradient flows"}
        for kind in dict.fromkeys(block.kind for block in self.blocks):
            lines.append(f"a {kind} Jacobian times a vector is {how[kind]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        shapes = ", ".join(str(shape) for shape in self.shapes)
        parts = [f"verify.structure {self.op} on {shapes} -> {self.output_shape}: {self.kind}"]
        for index, block in enumerate(self.blocks):
            parts.append(f"d out/d {block.input}: {block.kind} ({block.detail})")
            if block.pattern.shape[1] <= 32 and block.pattern.shape[0] <= 32:
                probe = "" if self.pattern_shapes == self.shapes else f" (pattern at shape {self.pattern_shapes[index]})"
                parts.append(f"pattern{probe}:\n" + _indent(self.pattern_text(index)))
        parts.append(self.memory())
        if self.check is not None:
            parts.append("exact Jacobian at " + ", ".join(
                f"{name} = {sympy.sstr(_as_sympy(values))}" for name, _, values, _ in self.check.inputs) + ":\n"
                + _indent(_pretty_exact(self.check.exact)))
        return "\n".join(parts)

    def _repr_latex_(self) -> str:
        body = _latex(self.exact) if self.exact is not None else r"\text{" + self.kind + "}"
        return rf"$\frac{{\partial\,\mathrm{{{self.op}}}}}{{\partial x}} = {body}\quad(\text{{{self.kind}}}, " \
               rf"{self.rows}\times{self.cols})$"

    def heatmap(self, path=None, block: int = 0):
        """Draw the Jacobian (exact values when known, else the pattern) as a PNG; returns its path.

        Needs matplotlib (``pip install 'graphlab[plot]'``)."""
        try:
            from matplotlib.figure import Figure     # no pyplot: no global backend, no window
        except ImportError:
            raise VerifyError("verify.structure heatmap: matplotlib is not installed; "
                              "pip install 'graphlab[plot]' (or matplotlib)") from None
        target = Path(path) if path is not None else Path(f"{self.op}_jacobian.png")
        item = self.blocks[block]
        values = item.pattern.astype(float)
        if self.check is not None and self.check.engine.shape[0] == item.rows:
            start = sum(b.cols for b in self.blocks[:block])
            values = _floats(self.check.exact)[:, start:start + item.cols]
        figure = Figure(figsize=(4, 4))
        axes = figure.subplots()
        if self.check is not None:       # exact values: zero white, signs red and blue
            limit = float(np.max(np.abs(values), initial=0.0)) or 1.0
            image = axes.imshow(values, cmap="coolwarm", vmin=-limit, vmax=limit, interpolation="nearest")
        else:
            image = axes.imshow(values, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        probe = "" if self.pattern_shapes == self.shapes else f" (pattern at {self.pattern_shapes[block]})"
        axes.set_title(f"d {self.op} / d {item.input}: {item.kind}{probe}", fontsize=9)
        axes.set_xlabel(f"{item.input} element")
        axes.set_ylabel("output element")
        figure.colorbar(image, ax=axes)
        figure.tight_layout()
        figure.savefig(target, dpi=100)
        return target


def _probe_shape(shape: tuple) -> tuple:
    return tuple(min(size, 4) for size in shape)


def structure(op_name_or_function, shape, *, params: Optional[dict] = None, at=None, seed: int = 0,
              dtype="float32") -> StructureReport:
    """Classify an op's Jacobian at ``shape`` (an int, a shape, or one shape per input).

    The pattern comes from the twin: output element i depends on input element j when j's symbol
    appears in i's expression. An elementwise op's pattern is the same at every size, so for large
    shapes it is computed on a few elements and the counts are exact for the full shape (lecture
    4's ReLU on a 4096-vector). Other ops are computed at ``shape``, which must stay small.

    >>> import graphlab as gl
    >>> report = gl.verify.structure("relu", 4096)
    >>> report.kind, report.rows, report.cols, report.nonzeros
    ('diagonal', 4096, 4096, 4096)
    """
    op_class = resolve(op_name_or_function)
    known = cases_of(op_class)
    default = known[0] if known else None
    merged = dict(default.params) if default else {}
    merged.update(params or {})
    count = len(default.shapes) if default else max(1, _input_count(op_class))
    shapes = _as_shapes(shape)
    if len(shapes) == 1 and count > 1:
        shapes = shapes * count
    domains = default.domains() if default is not None and len(default.domains()) == len(shapes) \
        else ("real",) * len(shapes)
    differentiable = [domain != "bool" for domain in domains]
    names = _input_names(op_class, len(shapes))
    zeros = [np.zeros(s, dtype=bool if not wanted else np.float64) for s, wanted in zip(shapes, differentiable)]
    output_shape = op_class.apply(*[Tensor(z) for z in zeros], **merged).shape
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    output_size = int(np.prod(output_shape, dtype=np.int64))

    elementwise = getattr(op_class, "elementwise", False) and all(
        s == output_shape for s, wanted in zip(shapes, differentiable) if wanted)
    small = sum(sizes) <= MAX_STRUCTURE_INPUTS and output_size <= 4 * MAX_STRUCTURE_INPUTS
    if not small and not elementwise:
        raise VerifyError(f"verify.structure: {op_class.name} on {shapes} has {sum(sizes)} input elements; SymPy "
                          f"computes the structure of non-elementwise ops on at most {MAX_STRUCTURE_INPUTS}. "
                          f"Its pattern repeats with the shape: pass a smaller one")
    pattern_shapes = tuple(shapes) if small else tuple(_probe_shape(s) for s in shapes)
    symbol_arrays = [sym.symbols(name, s) if wanted else sym.numbers_array(np.zeros(s, dtype=bool))
                     for name, s, wanted in zip(names, pattern_shapes, differentiable)]
    expression = apply_twin(op_class, symbol_arrays, merged).reshape(-1)
    dependencies = [expr.free_symbols if isinstance(expr, sympy.Basic) else set() for expr in expression]
    blocks = []
    for name, symbols, wanted, full_size in zip(names, symbol_arrays, differentiable, sizes):
        if not wanted:
            continue
        flat = list(symbols.reshape(-1))
        column = {symbol: index for index, symbol in enumerate(flat)}
        pattern = np.zeros((len(expression), len(flat)), dtype=bool)
        for row, depends in enumerate(dependencies):
            for symbol in depends:
                if symbol in column:
                    pattern[row, column[symbol]] = True
        kind, detail = classify(pattern)
        if not small and kind != "diagonal":
            raise VerifyError(f"verify.structure: {op_class.name} is elementwise but its pattern at "
                              f"{symbols.shape} is {kind}; pass a smaller shape")
        nonzeros = full_size if not small else int(pattern.sum())
        blocks.append(JacobianBlock(name, symbols.shape if small else shapes[names.index(name)], output_size,
                                    full_size, kind, detail, nonzeros, pattern))

    check = None
    if at is not None or (small and output_size * sum(s for s, w in zip(sizes, differentiable) if w) <= _SHOW_ENTRIES):
        values = None if at is None else ([at] if len(shapes) == 1 else list(at))   # one array per input
        check = op(op_class, shapes=shapes, seed=seed, params=merged, values=values)
    return StructureReport(op_class.name, tuple(shapes), tuple(output_shape), blocks, np.dtype(dtype),
                           pattern_shapes, check)


# -- the table of every op --------------------------------------------------------------------
@dataclass
class Row:
    """One line of ``graphlab verify``."""
    op: str
    variant: str
    shapes: tuple
    status: str                  # pass, FAIL, exempt
    max_error: float = 0.0
    seconds: float = 0.0
    note: str = ""


def coverage() -> dict:
    """Which built-in ops have a twin and a case: {"missing_twin": [...], "missing_case": [...],
    "exempt": [...], "verified": [...], "import_failures": {...}}."""
    ops, failures = _builtin_scan()
    result = {"missing_twin": [], "missing_case": [], "exempt": [], "verified": [], "import_failures": failures}
    for name, cls in ops.items():
        if name in cases_module.EXEMPT:
            result["exempt"].append(name)
        elif not has_twin(cls):
            result["missing_twin"].append(name)
        elif not cases_of(cls):
            result["missing_case"].append(name)
        else:
            result["verified"].append(name)
    return result


def verify_all(only: Optional[Callable] = None) -> list:
    """Run every case of every built-in op; one Row each (exempt and broken ops get a row too)."""
    ops, failures = _builtin_scan()
    rows = [Row(module, "", (), "FAIL", math.inf, 0.0, f"cannot import: {error}") for module, error in failures.items()]
    for name, cls in ops.items():
        if only is not None and not only(name):
            continue
        if name in cases_module.EXEMPT:
            rows.append(Row(name, "", (), "exempt", 0.0, 0.0, cases_module.EXEMPT[name]))
            continue
        if not has_twin(cls):
            rows.append(Row(name, "", (), "FAIL", math.inf, 0.0, "no symbolic twin (define symbolic on the op)"))
            continue
        op_cases = cases_of(cls)
        if not op_cases:
            rows.append(Row(name, "", (), "FAIL", math.inf, 0.0,
                            "no case (a line in graphlab/verify/cases.py or verify_cases on the op)"))
            continue
        for item in op_cases:
            started = time.perf_counter()
            try:
                report = run_case(item)
                rows.append(Row(name, item.variant, item.shapes, report.status, report.max_error, report.seconds,
                                "" if report.passed else (report.message or str(report.worst))))
            except Exception as error:   # one broken op must not stop the table
                rows.append(Row(name, item.variant, item.shapes, "FAIL", math.inf, time.perf_counter() - started,
                                f"{type(error).__name__}: {error}"))
    return rows


def format_table(rows: list) -> str:
    """The rows as an aligned text table: op, input shapes, max error, status, time, note."""
    header = ("op", "input shapes", "max error", "status", "time", "note")
    lines = [header]
    for row in rows:
        label = f"{row.op}.{row.variant}" if row.variant else row.op
        shapes = ", ".join(str(shape) for shape in row.shapes) if row.shapes else "-"
        error = "-" if row.status == "exempt" else ("inf" if math.isinf(row.max_error) else f"{row.max_error:.1e}")
        lines.append((label, shapes, error, row.status, f"{row.seconds * 1000:.0f} ms", row.note))
    return aligned_table(lines, right={4})
