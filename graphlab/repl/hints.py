"""Short hints under an error in the REPL: one that fits the error, or none.

>>> hint(NameError("name 'foo' is not defined", name="foo"), {"x": 1})
'foo is not defined: assign it first (foo = gl.scalar(1.0)); :vars lists the tensors you have'
>>> hint(ZeroDivisionError("division by zero"), {})
'a division by zero: check the divisor (a value of 0 somewhere in the expression)'
"""
from __future__ import annotations

import difflib
import re
from typing import Optional

from graphlab.errors import GraphlabError

TOO_BIG_HINT = ("the input is too long or too deeply nested for Python (its recursion limit); "
                "split it into smaller steps, e.g. build a long sum in a loop")


DEEP_GRAPH_HINT = ("the graph is too deep for this command (Python's recursion limit: SymPy and the checks "
                   "nest one level per node); try it on a shorter graph")


def hint(error: BaseException, namespace: dict, command: bool = False) -> Optional[str]:
    """The hint for ``error`` raised while running a line or a colon command (``command``);
    None when the message says it all."""
    if isinstance(error, GraphlabError):
        return None    # graphlab's own messages already say the fix
    if isinstance(error, NameError):
        return _name_hint(error, namespace)
    if isinstance(error, AttributeError):
        return _attribute_hint(error)
    if isinstance(error, ZeroDivisionError):
        return "a division by zero: check the divisor (a value of 0 somewhere in the expression)"
    if isinstance(error, RecursionError):
        return DEEP_GRAPH_HINT if command else TOO_BIG_HINT
    if isinstance(error, MemoryError):
        return "not enough memory: use smaller tensors"
    if isinstance(error, (OverflowError, FloatingPointError)):
        return "a number too big for a float: use smaller values"
    return None


def _name_hint(error: NameError, namespace: dict) -> str:
    missing = getattr(error, "name", None)
    if not missing:
        found = re.search(r"'([^']+)'", str(error))
        missing = found.group(1) if found else "the name"
    names = [name for name in namespace if not name.startswith("_")]
    close = difflib.get_close_matches(missing, names, n=1)
    if close:
        return f"{missing} is not defined; did you mean {close[0]}? (:vars lists the tensors you have)"
    return f"{missing} is not defined: assign it first ({missing} = gl.scalar(1.0)); :vars lists the tensors you have"


def _attribute_hint(error: AttributeError) -> Optional[str]:
    import graphlab as gl
    from graphlab.autodiff.tensor import Tensor
    attribute = getattr(error, "name", None)
    if not attribute:
        return None
    choices = [name for name in dir(Tensor) if not name.startswith("_")] + \
              [name for name in dir(gl) if not name.startswith("_")]
    close = difflib.get_close_matches(attribute, choices, n=1)
    return f"did you mean {close[0]}?" if close else None
