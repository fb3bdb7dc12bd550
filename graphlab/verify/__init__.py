"""Checking gradients: finite differences (numeric.py) and exact SymPy verification (symbolic.py).

``gl.verify.op``, ``gl.verify.graph``, ``gl.verify.jacobian`` and ``gl.verify.structure`` load
SymPy on first use, so ``import graphlab`` stays fast.
"""
from graphlab.verify.numeric import gradcheck, numeric_jacobian

_SYMBOLIC = ("op", "graph", "jacobian", "structure", "VerifyError", "OpReport", "GraphReport",
             "JacobianReport", "StructureReport", "builtin_ops", "coverage", "verify_all")

__all__ = ["gradcheck", "numeric_jacobian", *_SYMBOLIC]


def __getattr__(name: str):
    if name in _SYMBOLIC:
        from graphlab.verify import symbolic
        return getattr(symbolic, name)
    raise AttributeError(f"module 'graphlab.verify' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SYMBOLIC))
