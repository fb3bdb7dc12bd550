"""Checking gradients: finite differences (numeric.py), exact SymPy verification (op_check.py,
graph_check.py, jacobian_check.py, structure_check.py, op_table.py) and every check of an op's
cases (checks.py).

``gl.verify.op``, ``gl.verify.graph``, ``gl.verify.jacobian`` and ``gl.verify.structure`` load
SymPy on first use, so ``import graphlab`` stays fast. (The modules are not called ``op.py``,
``coverage.py``, ...: importing a submodule sets an attribute of this package, which would hide the
function of the same name.)
"""
from graphlab.verify.numeric import gradcheck, numeric_jacobian

#: public name -> the module that defines it (imported on first use)
_LAZY = {
    "op": "op_check", "OpReport": "op_check",
    "graph": "graph_check", "GraphReport": "graph_check",
    "jacobian": "jacobian_check", "JacobianReport": "jacobian_check",
    "structure": "structure_check", "StructureReport": "structure_check",
    "VerifyError": "twins",
    "coverage": "op_table", "verify_all": "op_table",
}

__all__ = ["gradcheck", "numeric_jacobian", "op", "graph", "jacobian", "structure", "VerifyError", "OpReport",
           "GraphReport", "JacobianReport", "StructureReport", "builtin_ops", "coverage", "verify_all"]


def builtin_ops() -> dict:
    """Every built-in op class by its public name (``graphlab.ops.registry.builtin_ops``)."""
    from graphlab.ops.registry import builtin_ops as scan
    return scan()


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"graphlab.verify.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'graphlab.verify' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))

