"""A student's answer, read safely: a number, a (nested) list, or a rule such as ``upstream @ W.T``.

The text is parsed with ``ast`` and every node is checked against an allow-list before anything
is computed; then this module's own evaluator computes it with numpy (never ``eval``). Allowed:
numbers, lists, the names the question offers, ``+ - * / ** @``, comparisons (``z > 0`` is a
0/1 mask), ``.T`` and ``.shape``, and the functions in ``FUNCTIONS`` (``sum(u, axis=0)``). So
``__import__('os')`` is refused before it could run, and so is any attribute but ``.T``/``.shape``.

>>> import numpy as np
>>> evaluate("upstream @ W.T", {"upstream": np.ones((2, 2)), "W": np.eye(2)}).tolist()
[[1.0, 1.0], [1.0, 1.0]]
>>> evaluate("sum(u, axis=0)", {"u": np.array([[1., 2.], [3., 4.]])}).tolist()
[4.0, 6.0]
>>> evaluate("__import__('os')", {})
Traceback (most recent call last):
...
graphlab.practice.expressions.AnswerError: __import__(...) is not allowed in an answer; the functions are abs, ...
"""
from __future__ import annotations

import ast
import difflib
import operator
from typing import Dict

import numpy as np

from graphlab.ast_walk import walk_within
from graphlab.errors import GraphlabError

#: limits that keep an answer small and fast to check
MAX_LENGTH, MAX_NODES, MAX_DEPTH, MAX_ELEMENTS = 2_000, 400, 40, 10_000


class AnswerError(GraphlabError):
    """An answer that cannot be read or computed; it does not count as a try."""


def _sigmoid(value):
    return 1.0 / (1.0 + np.exp(-value))


def _array_of_size(shape) -> tuple:
    shape = tuple(int(size) for size in np.atleast_1d(np.asarray(shape, dtype=np.float64)))
    if any(size < 0 for size in shape) or int(np.prod(shape)) > MAX_ELEMENTS:
        raise AnswerError(f"ones/zeros of shape {shape}: give a shape with at most {MAX_ELEMENTS:,} entries")
    return shape


#: the functions an answer may call: numpy's, on float arrays
FUNCTIONS = {
    "sum": np.sum, "mean": np.mean, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "tanh": np.tanh, "sigmoid": _sigmoid, "maximum": np.maximum, "minimum": np.minimum, "where": np.where,
    "ones_like": np.ones_like, "zeros_like": np.zeros_like, "outer": np.outer, "transpose": np.transpose,
    "ones": lambda shape: np.ones(_array_of_size(shape)), "zeros": lambda shape: np.zeros(_array_of_size(shape)),
}
#: keyword arguments the reductions take
KEYWORDS = ("axis", "keepdims")
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow, ast.MatMult: operator.matmul}
COMPARE = {ast.Gt: operator.gt, ast.Lt: operator.lt, ast.GtE: operator.ge, ast.LtE: operator.le,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
ATTRIBUTES = ("T", "shape")


def evaluate(text: str, names: Dict[str, np.ndarray]) -> np.ndarray:
    """The answer as a float64 array; AnswerError (with what to write instead) when it cannot be read."""
    tree = parse(text, names)
    with np.errstate(all="ignore"):
        try:
            value = _value(tree.body, names)
        except AnswerError:
            raise
        except (ValueError, TypeError, ArithmeticError, IndexError, MemoryError, RecursionError) as error:
            raise AnswerError(f"cannot compute {_short(text)}: {_reason(error)}") from None
    return _finite_array(value, text)


def parse(text: str, names: Dict[str, np.ndarray]) -> ast.Expression:
    """The checked syntax tree; AnswerError for anything outside the allow-list."""
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"the answer has {len(text):,} characters, more than {MAX_LENGTH:,}; write a rule instead")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise AnswerError(f"cannot read {_short(text)} ({error.msg}); write a number such as -4, a list "
                          f"such as [1, 2], or a rule such as upstream * 2") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise AnswerError(f"cannot read {_short(text)} ({type(error).__name__}); write a shorter answer") from None
    _check(tree, names)
    return tree


def _check(tree: ast.Expression, names: Dict[str, np.ndarray]) -> None:
    def too_big():
        return AnswerError(f"the answer is too big (more than {MAX_NODES} parts or {MAX_DEPTH} levels of "
                           f"nesting); write a shorter rule")
    for node in walk_within(tree.body, _children, MAX_NODES, MAX_DEPTH, too_big):
        _check_node(node, names)


def _check_node(node: ast.AST, names: Dict[str, np.ndarray]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return
        raise AnswerError(f"{node.value!r} is not a number; an answer holds numbers, names and operators")
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise AnswerError(_unknown_name(node.id, names))
        return
    if isinstance(node, ast.Attribute):
        if node.attr not in ATTRIBUTES:
            raise AnswerError(f".{node.attr} is not allowed in an answer; only .T (transpose) and .shape are")
        return
    if isinstance(node, ast.Call):
        _check_call(node)
        return
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
        return
    if isinstance(node, (ast.List, ast.Tuple)) or (isinstance(node, ast.BinOp) and type(node.op) in BINARY) or \
            (isinstance(node, ast.UnaryOp) and type(node.op) in UNARY):
        return
    raise AnswerError(f"{_describe(node)} is not allowed in an answer (only numbers, lists, names, "
                      f"+ - * / ** @, comparisons, .T and the functions {', '.join(sorted(FUNCTIONS))})")


def _check_call(node: ast.Call) -> None:
    called = node.func.id if isinstance(node.func, ast.Name) else None
    if called not in FUNCTIONS:
        shown = called if called is not None else ast.unparse(node.func)
        raise AnswerError(f"{shown}(...) is not allowed in an answer; the functions are "
                          f"{', '.join(sorted(FUNCTIONS))}")
    for keyword in node.keywords:
        if keyword.arg not in KEYWORDS:
            raise AnswerError(f"{called}(..., {keyword.arg or '**'}=...) is not allowed; the keywords are "
                              f"axis= and keepdims=")
        if not _is_literal(keyword.value):
            raise AnswerError(f"{called}(..., {keyword.arg}=...) takes a number, a tuple of numbers or "
                              f"True/False, e.g. axis=0")


def _is_literal(node: ast.AST) -> bool:
    """axis=0, axis=-1, axis=(0, 1), keepdims=True."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, bool))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_literal(node.operand)
    if isinstance(node, ast.Tuple):
        return all(_is_literal(item) for item in node.elts)
    return False


def _children(node: ast.AST) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.Attribute):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts)
    if isinstance(node, ast.Call):
        return list(node.args)          # keywords are literals, checked in _check_call
    return []


def _value(node: ast.AST, names: Dict[str, np.ndarray]):
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.Attribute):
        value = _value(node.value, names)
        return np.transpose(value) if node.attr == "T" else np.shape(value)
    if isinstance(node, (ast.List, ast.Tuple)):
        return _list(node, names)
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](_operand(_value(node.operand, names)))
    if isinstance(node, ast.BinOp):
        left, right = _operand(_value(node.left, names)), _operand(_value(node.right, names))
        _check_result_size(left, right, node.op)
        return BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left, right = _operand(_value(node.left, names)), _operand(_value(node.comparators[0], names))
        _check_result_size(left, right, node.ops[0])
        return COMPARE[type(node.ops[0])](left, right).astype(np.float64)
    arguments = [_value(argument, names) for argument in node.args]
    keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords}
    if node.func.id == "outer" and len(arguments) == 2:
        _check_size(np.size(arguments[0]) * np.size(arguments[1]))
    return FUNCTIONS[node.func.id](*arguments, **keywords)


def _list(node, names) -> np.ndarray:
    items = [_value(item, names) for item in node.elts]
    try:
        return np.array(items, dtype=np.float64)
    except ValueError:
        raise AnswerError(f"the list {_short(ast.unparse(node))} is not rectangular: every row needs the same "
                          f"number of entries") from None


def _operand(value):
    """Arrays and numbers take part in arithmetic; a shape (a tuple) does only as an array."""
    return np.asarray(value, dtype=np.float64) if isinstance(value, tuple) else value


def _check_result_size(left, right, op) -> None:
    """Shapes that do not fit are said in shapes; a result too big is refused before it is made."""
    shapes = np.shape(left), np.shape(right)
    if isinstance(op, ast.MatMult):
        inner = shapes[1][-2] if len(shapes[1]) > 1 else (shapes[1] or (None,))[0]
        if not shapes[0] or not shapes[1] or shapes[0][-1] != inner:
            raise AnswerError(f"the shapes do not fit for @: {_shape(shapes[0])} @ {_shape(shapes[1])}; the "
                              f"left's columns must match the right's rows (.T transposes)")
        return      # no bigger than its factors' rows times columns, each checked
    try:
        _check_size(int(np.prod(np.broadcast_shapes(*shapes))))
    except ValueError:
        raise AnswerError(f"the shapes {_shape(shapes[0])} and {_shape(shapes[1])} do not fit together "
                          f"(numpy broadcasting); check the names' shapes") from None


def _shape(shape: tuple) -> str:
    return "(" + "x".join(str(size) for size in shape) + ")" if shape else "(scalar)"


def _check_size(size: int) -> None:
    if size > MAX_ELEMENTS:
        raise AnswerError(f"the answer would have {size:,} entries, more than {MAX_ELEMENTS:,}; check the shapes")


def _finite_array(value, text: str) -> np.ndarray:
    if isinstance(value, tuple):
        raise AnswerError(f"{_short(text)} is a shape, not a gradient; give the values")
    array = np.asarray(value, dtype=np.float64)
    _check_size(array.size)
    if not np.isfinite(array).all():
        raise AnswerError(f"{_short(text)} is not a finite number (a division by zero or an overflow); "
                          f"check the arithmetic")
    return array


def _unknown_name(name: str, names: Dict[str, np.ndarray]) -> str:
    if name in FUNCTIONS:
        return f"{name} is a function: call it on a value, e.g. {name}(upstream)"
    close = difflib.get_close_matches(name, list(names), n=1)
    known = ", ".join(names) if names else "none here: answer with numbers"
    return (f"{name} is not a name here" + (f"; did you mean {close[0]}?" if close else "") +
            f" (the names: {known})")


def _reason(error: BaseException) -> str:
    text = str(error).split("\n")[0]
    if "matmul" in text or "shapes" in text or "broadcast" in text:
        return f"the shapes do not fit ({text})"
    return f"{type(error).__name__}: {text}"


def _describe(node: ast.AST) -> str:
    kinds = {ast.Subscript: "indexing (a[i])", ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
             ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
             ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.NamedExpr: "an assignment (:=)",
             ast.JoinedStr: "an f-string", ast.Dict: "a dict", ast.Set: "a set", ast.Starred: "*unpacking",
             ast.Compare: "a chained comparison"}
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {type(node.op).__name__}"
    return kinds.get(type(node), type(node).__name__)


def _short(text: str, limit: int = 40) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")
