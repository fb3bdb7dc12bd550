"""Names in the REPL: a tensor assigned to a variable takes the variable's name, and keeps
only one name at a time.

Every view shows a node by ``Tensor.label`` (its name, else its module path, else ``t12``);
the REPL only decides which tensors are *named*. Assigning ``q = x + y`` names the new node
``q``. Rebinding a variable moves its name to the new tensor: after

    h = gl.scalar(1.0, requires_grad=True)
    for _ in range(3): h = h * 0.999 + 0.001

the output is ``h`` and the leaf it started from is renamed ``h@0`` ("what h held first";
the next tensor ``h`` lets go of becomes ``h@1``, and so on). A displaced tensor that another
variable still holds takes that variable's name instead (``h0 = h`` before the loop keeps the
leaf ``h0``). Names the user chose differently (``a = gl.scalar(1, name="x")``) are never
changed.

>>> import graphlab as gl
>>> from graphlab.repl.names import Bindings, assigned_names
>>> import ast
>>> bindings, namespace = Bindings(), {}
>>> def run(source):
...     before = bindings.snapshot(namespace)
...     exec(source, {"gl": gl}, namespace)
...     for variable in assigned_names(ast.parse(source)):
...         bindings.bind(variable, before, namespace)
>>> run("h = gl.scalar(1.0, requires_grad=True)")
>>> leaf = namespace["h"]
>>> run("for _ in range(3): h = h * 0.999 + 0.001")
>>> namespace["h"].label, leaf.label
('h', 'h@0')
"""
from __future__ import annotations

import ast
from collections import Counter
from typing import Dict, List

from graphlab.autodiff.tensor import Tensor

#: separates a variable from the version of a tensor it no longer holds (``h@0``)
VERSION_MARK = "@"


#: code whose variables are its own, not the session's
_OWN_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)


def assigned_names(tree: ast.AST) -> List[str]:
    """Variables a piece of code assigns (or deletes) at the top level of the session, in order
    (except ``_`` and other names starting with it):
    plain assignments and those inside ``for``/``while``/``if``/``with``/``try`` blocks, but not
    the local variables of functions, lambdas, classes or comprehensions it defines."""
    found: List[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, _OWN_SCOPE):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and node.id not in found \
                and not node.id.startswith("_"):     # _ and _private: throwaway names, never a node's
            found.append(node.id)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


class Bindings:
    """Moves names between tensors as variables are rebound (see the module docstring)."""

    def __init__(self):
        #: how many tensors each variable has let go of (the next displaced one is h@<count>)
        self._released: Counter = Counter()
        #: ids of the tensors this class renamed (h@0): such a name was not the user's choice
        self._renamed: set = set()

    @staticmethod
    def snapshot(namespace: Dict[str, object]) -> Dict[str, Tensor]:
        """The tensor each variable holds now (taken before running a line)."""
        return {name: value for name, value in namespace.items() if isinstance(value, Tensor)}

    def bind(self, variable: str, before: Dict[str, Tensor], namespace: Dict[str, object]) -> None:
        """``variable`` was just assigned: name its new tensor, and release the one it held."""
        value = namespace.get(variable)
        previous = before.get(variable)
        if previous is not None and previous is not value and previous.name == variable:
            self._release(previous, variable, namespace)
        if isinstance(value, Tensor) and (value.name is None or value.id in self._renamed):
            value.name = variable
            self._renamed.discard(value.id)

    def _release(self, tensor: Tensor, variable: str, namespace: Dict[str, object]) -> None:
        """``tensor`` is no longer ``variable``: it takes the name of another variable still
        holding it, else ``variable@k``."""
        holder = next((name for name, value in namespace.items()
                       if value is tensor and not name.startswith("_")), None)
        if holder is None:
            holder = f"{variable}{VERSION_MARK}{self._released[variable]}"
            self._released[variable] += 1
        tensor.name = holder
        self._renamed.add(tensor.id)
