"""``gl.verify.graph``: a whole recorded graph as one SymPy expression, every leaf's gradient exact.

The graph below ``y`` is rebuilt from the ops' twins and differentiated with respect to every
leaf; the engine's gradients must agree. Each op node is also checked on its own inputs
(``check_at``), so a failure names the op that is wrong.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import sympy

from graphlab.autodiff.tensor import Tensor
from graphlab.verify import sym
from graphlab.verify.op_check import check_at
from graphlab.verify.printing import Mismatch, indent, latex, latex_header, pretty
from graphlab.verify.twins import (ATOL, LOW_PRECISION_TOL, MAX_ENTRIES, VerifyError, apply_twin, compare,
                                   engine_jacobian, floats, jacobian_of, params_of, worst_mismatch)


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
        parts.append(f"{self.output} =\n{indent(pretty(self.expression))}")
        for leaf in self.leaves:
            mark = "ok" if leaf.passed else "WRONG"
            formula = pretty(leaf.formula) if leaf.formula.size <= 36 else "(large; see .formula)"
            parts.append(f"d{self.output}/d{leaf.label} =\n{indent(formula)}\n"
                         f"  exact at the leaves' values:\n{indent(pretty(leaf.exact), '    ')}\n"
                         f"  engine [{mark}]:\n{indent(np.array2string(np.asarray(leaf.engine), precision=6), '    ')}")
        if self.nodes:
            parts.append("op nodes, each checked on its own:")
            for label, report in self.nodes:
                parts.append(f"  {label} = {report.summary()}")
        for label, why in self.skipped:
            parts.append(f"  {label}: not checked alone ({why})")
        return "\n".join(parts)

    def _repr_latex_(self) -> str:
        """Jupyter's view: the pass/fail header, the output's formula and each leaf's exact gradient."""
        output = sympy.latex(sympy.Symbol(self.output))
        gradients = r",\ ".join(
            rf"\frac{{\partial {output}}}{{\partial {sympy.latex(sympy.Symbol(leaf.label))}}} = "
            rf"{latex(leaf.exact)}" for leaf in self.leaves)
        return (rf"${latex_header(f'verify.graph {self.output}', self.status)}{output} = "
                rf"{latex(self.expression)}; \quad {gradients} \quad (\max|\Delta| = {self.max_error:.3g})$")


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



def _leaf_names(leaves: list) -> dict:
    """leaf id -> the symbol name of the leaf: its label, made unique with @id when labels repeat."""
    counts = {}
    for leaf in leaves:
        counts[leaf.label] = counts.get(leaf.label, 0) + 1
    return {leaf.id: leaf.label if counts[leaf.label] == 1 else f"{leaf.label}@{leaf.id}" for leaf in leaves}


def _refuse_large(y: Tensor, nodes: list, leaves: list) -> None:
    entries = y.size * sum(leaf.size for leaf in leaves)
    elements = sum(node.size for node in nodes)
    if entries > MAX_ENTRIES or elements > MAX_ENTRIES:
        raise VerifyError(f"verify.graph: the graph below {y.label} has {elements} elements in {len(nodes)} nodes "
                          f"and d {y.label} / d leaves has {entries} entries, more than SymPy should handle here "
                          f"({MAX_ENTRIES}); build the graph on smaller shapes")


def _rebuild(nodes: list, names: dict) -> dict:
    """node id -> object array of SymPy expressions: leaves are symbols, constants exact numbers,
    every op node its twin applied to its parents' expressions."""
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
    return symbolic


def _leaf_variables(leaves: list, symbolic: dict, names: dict) -> tuple:
    """(one symbol per leaf element, its (name, index), symbol -> the element's exact value)."""
    variables = [symbolic[leaf.id][index] for leaf in leaves for index in np.ndindex(leaf.shape)]
    columns = [(names[leaf.id], index) for leaf in leaves for index in np.ndindex(leaf.shape)]
    point = {symbolic[leaf.id][index]: value
             for leaf in leaves for index, value in np.ndenumerate(sym.numbers_array(leaf.data))}
    return variables, columns, point


def _leaf_gradients(y: Tensor, leaves: list, names: dict, formula, exact, engine: np.ndarray,
                    atol: float, rtol: float) -> list:
    """One LeafGradient per leaf: its block of columns of the Jacobians, shaped y.shape + leaf.shape."""
    reports, start = [], 0
    exact_objects = np.array(exact.tolist(), dtype=object).reshape(exact.shape)
    formula_objects = np.array(formula.tolist(), dtype=object).reshape(formula.shape)
    exact_floats = floats(exact)
    for leaf in leaves:
        stop = start + leaf.size
        shape = y.shape + leaf.shape
        engine_block = engine[:, start:stop].reshape(shape)
        exact_block = exact_floats[:, start:stop].reshape(shape)
        error = np.abs(engine_block - exact_block)
        passed = bool(np.all(error <= atol + rtol * np.abs(exact_block)))
        reports.append(LeafGradient(names[leaf.id], leaf.shape, formula_objects[:, start:stop].reshape(shape),
                                    exact_objects[:, start:stop].reshape(shape), engine_block,
                                    float(np.max(error, initial=0.0)), passed))
        start = stop
    return reports


def _check_each_node(nodes: list, names: dict) -> tuple:
    """([(node label, OpReport)], [(node label, why it was skipped)]) for every op node."""
    reports, skipped = [], []
    for node in nodes:
        if node.creator is None or not node.requires_grad:
            continue
        ctx = node.creator
        inputs = ctx.inputs
        size = node.size * sum(parent.size for parent in inputs if parent.requires_grad)
        if size > MAX_ENTRIES:
            skipped.append((node.label, f"its Jacobian has {size} entries"))
            continue
        arrays = [parent.data if parent.data.dtype == bool else parent.data.astype(np.float64) for parent in inputs]
        labels = [names.get(parent.id, parent.label) for parent in inputs]
        # x * x: the op is checked with two independent inputs, x#0 and x#1
        labels = [label if labels.count(label) == 1 else f"{label}#{position}"
                  for position, label in enumerate(labels)]
        reports.append((node.label, check_at(type(ctx), arrays, [parent.requires_grad for parent in inputs],
                                             params_of(ctx), labels, output=node.label)))
    return reports, skipped


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
    names = _leaf_names(leaves)
    _refuse_large(y, nodes, leaves)
    symbolic = _rebuild(nodes, names)
    variables, columns, point = _leaf_variables(leaves, symbolic, names)
    formula = jacobian_of(symbolic[y.id], variables)
    exact = formula.xreplace(point)
    engine = engine_jacobian(y, leaves)
    default_atol, rtol = _tolerance([y.dtype] + [leaf.dtype for leaf in leaves])
    atol = default_atol if atol is None else atol
    max_error, worst_position = compare(floats(exact), engine, atol, rtol)
    worst = worst_mismatch(worst_position, exact, floats(exact), engine, y.label, y.shape, columns)
    leaf_reports = _leaf_gradients(y, leaves, names, formula, exact, engine, atol, rtol)
    node_reports, skipped = _check_each_node(nodes, names) if check_nodes else ([], [])
    return GraphReport(y.label, symbolic[y.id], leaf_reports, node_reports, max_error, worst, atol, rtol,
                       time.perf_counter() - started, skipped)
