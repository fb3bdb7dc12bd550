"""Checking gradients: finite differences (numeric.py); SymPy comes with symbolic.py."""
from graphlab.verify.numeric import gradcheck, numeric_jacobian

__all__ = ["gradcheck", "numeric_jacobian"]
