"""Safe arithmetic expressions for ``graphlab render EXPR``: numbers, names, + - * / ** @ and
graphlab's math functions (also as methods: ``(W @ v).sum()`` runs ``sum(W @ v)``), nothing else.

The expression is parsed with ``ast`` and walked by this module's own evaluator (never ``eval``):
any other syntax (attributes, subscripts, lambdas, comprehensions, strings, imports...) is refused
before anything runs, so ``__import__('os').system(...)`` is an error, not a command.

>>> from graphlab.repl.expression import parse, evaluate
>>> tree = parse("(x + y) * exp(z)")
>>> sorted(names(tree))
['x', 'y', 'z']
>>> evaluate(tree, {"x": 1.0, "y": 2.0, "z": 0.0}).item()
3.0
"""
from __future__ import annotations

import ast
import keyword as python_keywords
import math
import operator
from typing import Dict, Optional, Set

import numpy as np

from graphlab.ast_walk import walk_within
from graphlab.errors import GraphlabError

#: graphlab functions an expression may call (those the installed graphlab has): every elementwise
#: op of one input the REPL completes (tests/repl/test_render_expression.py keeps the list whole),
#: then the reductions, softmaxes and two-input functions
FUNCTIONS = ("abs", "exp", "log", "sqrt", "neg", "sin", "cos", "tanh", "sigmoid", "relu", "elu", "leaky_relu", "selu",
             "gelu", "erf", "clip", "clone", "softmax", "log_softmax", "logsumexp", "sum", "mean", "var", "max", "min",
             "maximum", "minimum", "pow", "transpose")
#: names that are numbers, not --set values
CONSTANTS = {"pi": math.pi, "e": math.e}
#: the operators and what they do (on Tensors and on plain numbers alike)
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow, ast.MatMult: operator.matmul}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
#: limits that keep parsing and evaluation fast and within Python's recursion limit
MAX_LENGTH, MAX_NODES, MAX_DEPTH = 10_000, 2_000, 100
SCRIPT_HINT = "for anything else write a script and run it with: graphlab render FILE.py"


class ExpressionError(GraphlabError, ValueError):
    """An expression that is not plain arithmetic over named values; the message says what to write."""


def available_functions() -> list:
    return [name for name in FUNCTIONS if _lookup(name) is not None]


def _lookup(name: str):
    """graphlab's function ``name`` (``gl.exp``), else gl.functional's (``gelu``, ``selu``); None if neither."""
    import graphlab
    import graphlab.functional as functional
    for module in (graphlab, functional):
        found = getattr(module, name, None)
        if callable(found):
            return found
    return None


def parse(text: str) -> ast.Expression:
    """The checked syntax tree of ``text``; ExpressionError for anything but allowed arithmetic."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError('render: the expression is empty; write one such as "(x + y) * z"')
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"render: the expression has {len(text):,} characters, more than {MAX_LENGTH:,}; "
                              f"{SCRIPT_HINT}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"render: {_short(text)} is not an expression ({error.msg}); "
                              f'write arithmetic such as "(x + y) * z"') from None
    except (ValueError, RecursionError, MemoryError) as error:   # huge literals, deep nesting
        raise ExpressionError(f"render: cannot read the expression {_short(text)} ({type(error).__name__}: "
                              f"{error}); {SCRIPT_HINT}") from None
    _check(tree, text)
    return tree


def _check(tree: ast.Expression, text: str) -> None:
    """Refuse every node type outside the allow-list, and trees too big or deep to walk."""
    functions = set(available_functions())

    def too_big():
        return ExpressionError(f"render: the expression {_short(text)} is too big (more than {MAX_NODES} "
                               f"parts or {MAX_DEPTH} levels of nesting); {SCRIPT_HINT}")
    for node in walk_within(tree.body, _children, MAX_NODES, MAX_DEPTH, too_big):
        _check_node(node, text, functions)


def _check_node(node: ast.AST, text: str, functions: Set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int, float)):
            return
        raise ExpressionError(f"render: {node.value!r} in {_short(text)} is not a number; expressions hold "
                              f"numbers, names and operators")
    if isinstance(node, ast.Name) and node.id in functions:
        raise ExpressionError(f"render: {node.id} is a function, not a value: call it on one, e.g. "
                              f"{node.id}(x); name values differently")
    if isinstance(node, ast.Name) or (isinstance(node, ast.BinOp) and type(node.op) in BINARY) or \
            (isinstance(node, ast.UnaryOp) and type(node.op) in UNARY):
        return
    if isinstance(node, ast.Call):
        if _called_name(node) in functions and all(keyword.arg is not None for keyword in node.keywords):
            return
        called = node.func.id if isinstance(node.func, ast.Name) else f"the method .{_called_name(node)}"
        raise ExpressionError(f"render: {called}(...) is not allowed in an expression; the functions are "
                              f"{', '.join(sorted(functions))}; {SCRIPT_HINT}")
    raise ExpressionError(f"render: {_describe(node)} is not allowed in an expression (only numbers, "
                          f"names, + - * / ** @ and graphlab functions); {SCRIPT_HINT}")


def _children(node: ast.AST) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        receiver = [node.func.value] if isinstance(node.func, ast.Attribute) else []
        return receiver + list(node.args) + [keyword.value for keyword in node.keywords]
    return []


def _called_name(node: ast.Call) -> Optional[str]:
    """``exp`` for ``exp(x)``; ``sum`` for the method call ``(x * y).sum()`` (run as ``sum(x * y)``)."""
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.AST):
        return node.func.attr
    return None


def names(tree: ast.Expression) -> Set[str]:
    """The names an expression needs values for (not its functions, not pi or e)."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and id(node) not in called and node.id not in CONSTANTS}


def evaluate(tree: ast.Expression, values: Dict[str, object]):
    """The value of a checked expression; ``values`` maps each name to a Tensor or number."""
    import graphlab
    with np.errstate(all="ignore"):      # inf and nan show in the diagram; no warnings leak
        try:
            return _value(tree.body, values, graphlab)
        except GraphlabError:
            raise
        except Exception as error:   # numpy's and Python's own errors, said in the expression's terms
            raise ExpressionError(f"render: cannot compute {ast.unparse(tree)}: {type(error).__name__}: "
                                  f"{error}") from None


def _value(node: ast.AST, values: dict, graphlab):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in values:
            return values[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise ExpressionError(f"render: {node.id} has no value; give it one with --set {node.id}=1")
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](_value(node.operand, values, graphlab))
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, values, graphlab), _value(node.right, values, graphlab)
        if _is_number(left) and _is_number(right):
            left, right = float(left), float(right)   # float arithmetic: 9**9**9 overflows, never hangs
        return BINARY[type(node.op)](left, right)
    receiver = [node.func.value] if isinstance(node.func, ast.Attribute) else []
    arguments = [_value(argument, values, graphlab) for argument in receiver + list(node.args)]
    keywords = {keyword.arg: _value(keyword.value, values, graphlab) for keyword in node.keywords}
    return _function(_called_name(node), len(arguments), graphlab)(*arguments, **keywords)


def _function(name: str, count: int, graphlab):
    """max(a, b) and min(a, b) mean the elementwise maximum/minimum, as in Python."""
    if name in ("max", "min") and count == 2:
        name = {"max": "maximum", "min": "minimum"}[name]
    return _lookup(name)


def _is_number(value) -> bool:
    return isinstance(value, (bool, int, float))


def _describe(node: ast.AST) -> str:
    kinds = {ast.Attribute: "an attribute (a.b)", ast.Subscript: "indexing (a[i])", ast.Lambda: "a lambda",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension",
             ast.DictComp: "a comprehension", ast.Compare: "a comparison", ast.BoolOp: "and/or",
             ast.IfExp: "if/else", ast.NamedExpr: "an assignment (:=)", ast.JoinedStr: "an f-string",
             ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
             ast.Starred: "*unpacking", ast.Await: "await", ast.Yield: "yield"}
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the operator {type(node.op).__name__}"
    return kinds.get(type(node), type(node).__name__)


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def result_tensor(value, text: str, output_name: Optional[str] = None):
    """The expression's result as the root to draw; ExpressionError when it is only a number."""
    from graphlab.autodiff.tensor import Tensor
    if not isinstance(value, Tensor):
        raise ExpressionError(f"render: {_short(text)} is the constant {value!r}: nothing to draw; use names "
                              f'set with --set, e.g. graphlab render "x * 3" --set x=2')
    if output_name is not None and value.name is None:
        value.name = output_name
    return value


def settings(text: str) -> Dict[str, object]:
    """``x=-2,y=5,W=[[1,2],[3,4]]`` -> {name: value}; commas inside brackets belong to the value.
    Values are finite numbers or (nested, rectangular) lists of them."""
    found: Dict[str, object] = {}
    for piece in filter(str.strip, _split_top_level(text)):
        name, equals, value_text = (part.strip() for part in piece.partition("="))
        if not equals or not name.isidentifier() or python_keywords.iskeyword(name):
            raise ExpressionError(f"--set takes NAME=VALUE pairs separated by commas (x=-2,y=5), got {piece!r}")
        if name in found:
            raise ExpressionError(f"--set gives {name} twice; give each name one value")
        found[name] = _setting_value(name, value_text)
    return found


def _split_top_level(text: str) -> list:
    pieces, depth, start = [], 0, 0
    for position, character in enumerate(text + ","):
        if character in "[(":
            depth += 1
        elif character in "])":
            depth -= 1
        elif character == "," and depth == 0:
            pieces.append(text[start:position])
            start = position + 1
    return pieces


def _setting_value(name: str, text: str):
    problem = f"--set {name}={text[:40]!r} is not a number: give a finite number or a list of numbers, e.g. {name}=-2 or {name}=[1,2]"
    if len(text) > MAX_LENGTH:
        raise ExpressionError(problem)
    try:
        value = ast.literal_eval(text)
        array = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, OverflowError):
        raise ExpressionError(problem) from None
    if _has_non_number(value) or array.size == 0 or not np.isfinite(array).all():
        raise ExpressionError(problem)
    return value


def _has_non_number(value) -> bool:
    """True for bools, complex numbers, strings, ... anywhere in a nested list."""
    if isinstance(value, (list, tuple)):
        return any(_has_non_number(item) for item in value)
    return isinstance(value, bool) or not isinstance(value, (int, float))
