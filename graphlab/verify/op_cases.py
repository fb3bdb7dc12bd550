"""The cases verify reads: each op's own ``cases`` (``graphlab/autodiff/cases.py``) that are
checked with SymPy (``case.checks_symbolic``), default first."""
from __future__ import annotations

from graphlab.ops.registry import builtin_ops


def cases_of(op_class) -> list:
    """The symbolic cases of an op, default first."""
    own = [case for case in op_class.cases if case.checks_symbolic]
    return own


def default_case(op_class):
    """The op's first symbolic case, or None: it gives ``gl.verify.op`` its shapes and params."""
    found = cases_of(op_class)
    return found[0] if found else None


def all_cases() -> list:
    """Every symbolic case of every built-in op."""
    return [case for op_class in builtin_ops().values() for case in cases_of(op_class)]
