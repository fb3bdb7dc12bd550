"""Exact verification with SymPy: the four tools, one module each (this module re-exports them).

Finite differences say "close enough"; SymPy says "exactly". Each tool returns a report you can
``print`` (``sympy.pretty``) or show in Jupyter (``_repr_latex_``):

* ``op(name)`` (``op_check.py``) -- one op on small inputs with exact values: SymPy differentiates
  the op's ``symbolic`` twin, the engine gives one vector-Jacobian product per output element;
* ``graph(y)`` (``graph_check.py``) -- the whole recorded graph below ``y`` as one SymPy
  expression, every leaf's gradient compared, and each op node checked on its own;
* ``jacobian(exprs, variables, at)`` (``jacobian_check.py``) -- a Jacobian derived by hand, with
  the engine's ``gl.jacobian`` of the same function beside it;
* ``structure(op, shape)`` (``structure_check.py``) -- whether an op's Jacobian is diagonal,
  block-diagonal, banded, sparse or dense, and what that means for memory;

and ``verify_all``/``coverage`` (``op_table.py``) run every built-in op's symbolic cases.
The twins' conventions are in ``Function``'s docstring; their vocabulary is ``verify/sym.py``.
"""
from __future__ import annotations

from graphlab.ops.registry import builtin_ops, import_failures  # noqa: F401
from graphlab.verify.op_table import EXEMPT, Row, coverage, format_table, verify_all  # noqa: F401
from graphlab.verify.graph_check import GraphReport, LeafGradient, graph  # noqa: F401
from graphlab.verify.jacobian_check import JacobianReport, jacobian  # noqa: F401
from graphlab.verify.op_cases import all_cases, cases_of, default_case  # noqa: F401
from graphlab.verify.op_check import OpReport, check_at, op, run_case  # noqa: F401
from graphlab.verify.printing import Mismatch  # noqa: F401
from graphlab.verify.structure_check import JacobianBlock, StructureReport, classify, structure  # noqa: F401
from graphlab.verify.twins import (ATOL, MAX_ENTRIES, MAX_STRUCTURE_INPUTS, VerifyError, apply_twin,  # noqa: F401
                                   has_twin, params_of, resolve)
