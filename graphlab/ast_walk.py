"""The bounded walk under graphlab's two readers of typed expressions, which never ``eval``.

The REPL's ``:render`` expressions (``repl/expression.py``) and the practice mode's answers
(``practice/expressions.py``) each parse the text with ``ast`` and check every node against an
allow-list of their own before evaluating anything. Both must also refuse trees too large or too
deep to walk, and do it without recursion, so a hostile line ("-" * 100000 + "1") gets a clear
error instead of a RecursionError.

>>> import ast
>>> tree = ast.parse("(1 + 2) * 3", mode="eval").body
>>> children = lambda node: [node.left, node.right] if isinstance(node, ast.BinOp) else []
>>> [type(node).__name__ for node in walk_within(tree, children, 10, 5, lambda: ValueError("too big"))]
['BinOp', 'Constant', 'BinOp', 'Constant', 'Constant']
"""
from __future__ import annotations

from typing import Callable, Iterator


def walk_within(root, children: Callable, max_nodes: int, max_depth: int, too_big: Callable) -> Iterator:
    """Yield ``root`` and every node below it (``children(node)`` lists a node's), depth first,
    iteratively; raise ``too_big()`` once more than ``max_nodes`` nodes or ``max_depth`` levels."""
    count, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_nodes or depth > max_depth:
            raise too_big()
        yield node
        stack.extend((child, depth + 1) for child in children(node))
