"""``graphlab render``'s arguments, checked when the command line is parsed (argparse ``type=``
functions): a script must be a readable UTF-8 file, an expression only arithmetic, ``--set`` only
numbers, ``-o`` a writable file with a known extension. Each problem is one line naming the flag.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from graphlab.errors import GraphlabError
from graphlab.repl import expression
from graphlab.repl.expression import FUNCTIONS, ExpressionError

SCRIPT_SUFFIXES = (".py", ".session")

__all__ = ["FUNCTIONS", "Script", "Expression", "source_argument", "settings_argument", "MergeSettings",
           "focus_argument", "dpi_argument",
           "output_argument", "expression_root", "focus_node"]


@dataclass(frozen=True)
class Script:
    """A .py or .session file (full Python, run as such) and its text."""
    path: Path
    text: str


@dataclass(frozen=True)
class Expression:
    """An arithmetic expression, parsed and checked (see graphlab.repl.expression)."""
    text: str
    tree: object


def source_argument(text: str):
    """EXPR_OR_SCRIPT: a Script for a .py/.session path, else a checked Expression."""
    path = Path(text)
    if path.suffix.lower() in SCRIPT_SUFFIXES:
        return Script(path, _read_script(path))
    if "\0" not in text and len(text) < 4096 and _is_file(path):
        raise argparse.ArgumentTypeError(f"{text} is a file but not a script; scripts end in .py or .session")
    try:
        return Expression(text, expression.parse(text))
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("render: ")) from None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_script(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"no such script {path}; check the path (an expression cannot end "
                                         f"in {path.suffix})") from None
    except IsADirectoryError:
        raise argparse.ArgumentTypeError(f"{path} is a folder; give a .py or .session file") from None
    except UnicodeDecodeError as error:
        raise argparse.ArgumentTypeError(f"{path} is not UTF-8 text (byte {error.object[error.start]:#04x} at "
                                         f"position {error.start}); a script is a Python text file") from None
    except (OSError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None


def settings_argument(text: str) -> dict:
    try:
        return expression.settings(text)
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--set ")) from None


class MergeSettings(argparse.Action):
    """--set may be given several times (``--set x=1 --set y=2``): the values add up into one
    dict, and a name given twice is a parse error, as inside one --set."""

    def __call__(self, parser, namespace, values, option_string=None):
        merged = dict(getattr(namespace, self.dest, None) or {})
        twice = sorted(set(merged) & set(values))
        if twice:
            parser.error(f"argument --set: {', '.join(twice)} given twice; give each name one value")
        merged.update(values)
        setattr(namespace, self.dest, merged)


def focus_argument(text: str) -> str:
    if not text.strip() or len(text) > 200 or not text.isprintable():
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a node name; give a name from the expression "
                                         f"(such as q) or a node number such as n3")
    return text.strip()


def dpi_argument(text: str) -> float:
    """--dpi: a PNG's dots per inch, checked as gl.render checks it."""
    from graphlab.viz.files import RenderError, png_attributes
    try:
        dpi = float(text)
        png_attributes(dpi)
    except (ValueError, RenderError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a resolution; give dots per inch from 36 to 600, "
                                         f"e.g. --dpi 150") from None
    return dpi


def output_argument(text: str) -> Path:
    """-o: a file with a known extension in an existing, writable folder."""
    from graphlab.viz.dot import RenderError, check_output_path, output_format
    if not text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a file name; give one such as graph.svg")
    path = Path(text)
    try:
        output_format(path)
        check_output_path(path)
    except RenderError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("render: ")) from None
    except (OSError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {error}") from None
    return path


def expression_root(workspace, source: Expression, settings: dict):
    """Evaluate the expression, each name a leaf with its --set value; the result, named f (or out)."""
    import graphlab
    needed = sorted(expression.names(source.tree))
    missing = [name for name in needed if name not in settings]
    if missing:
        raise ExpressionError(f"render: give {', '.join(missing)} a value, e.g. --set "
                              + ",".join(f"{name}=1" for name in missing))
    leaves = {name: graphlab.tensor(settings[name], requires_grad=True, name=name)
              for name in needed}
    output_name = "f" if "f" not in needed else "out"
    root = expression.result_tensor(expression.evaluate(source.tree, leaves), source.text, output_name)
    workspace.namespace.update(leaves)
    workspace.namespace[output_name] = root
    return root


def focus_node(workspace, root, label: str):
    """--focus: a node of the drawn graph by name or number; a clear error naming the choices."""
    nodes = workspace.graph_nodes(root)
    for node in nodes:
        if label in (node.name, node.label):
            return node
    from graphlab.viz.graph import GraphView
    view = GraphView(root)
    found = next((node for node in nodes if node.id in view.number and view.key(node) == label), None)
    if found is None:
        raise GraphlabError(f"render: --focus: no node named {label!r}; {_node_choices(view)}")
    return found


def _node_choices(view) -> str:
    """The names --focus accepts, in the command line's words: ``nodes are x, y, f``, and the
    drawn numbers of the unnamed ones (a few, then how many more)."""
    named = [node.name for node in view.nodes if node.name]
    unnamed = [view.key(node) for node in view.nodes if not node.name]
    shown = ", ".join(named) if named else "none named"
    if unnamed:
        more = f", ... ({len(unnamed)} in all)" if len(unnamed) > 6 else ""
        shown += f"; unnamed nodes by their number in the diagram: {', '.join(unnamed[:6])}{more}"
    return f"nodes are {shown}"
