"""The REPL's colon commands. One registry drives dispatch, ``:help`` and completion.

A command is a function ``(workspace, argument_text) -> str`` registered with ``@command``;
it raises ``CommandError`` for a usage problem (the REPL prints it and goes on).
"""
from __future__ import annotations

import difflib
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np

import graphlab as gl
from graphlab.autodiff import rules
from graphlab.autodiff.engine import topological_order
from graphlab.autodiff.trace import PATTERN_NAMES, format_value
from graphlab.errors import GraphlabError


class CommandError(GraphlabError):
    """A command used the wrong way; the message says the right way."""


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    run: Callable
    #: what the first argument completes to: "tensor", "node", "op", "lesson", "file" or None
    argument: Optional[str] = None


COMMANDS: Dict[str, Command] = {}


def command(name: str, usage: str, summary: str, argument: Optional[str] = None):
    def register(function: Callable) -> Callable:
        COMMANDS[name] = Command(name, usage, summary, function, argument)
        return function
    return register


def closest(name: str) -> Optional[str]:
    matches = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.5)
    return matches[0] if matches else None


def dispatch(workspace, line: str) -> str:
    """Run one ``:command args`` line."""
    name, _, argument = line[1:].strip().partition(" ")
    if not name:
        raise CommandError("type :help for the commands")
    found = COMMANDS.get(name)
    if found is None:
        suggestion = closest(name)
        hint = f"; did you mean :{suggestion}?" if suggestion else ""
        raise CommandError(f"unknown command :{name}{hint} (:help lists them all)")
    return found.run(workspace, argument.strip())


def _words(argument: str) -> List[str]:
    try:
        return shlex.split(argument)
    except ValueError as error:
        raise CommandError(f"cannot read the arguments {argument!r}: {error}") from None


def _root(workspace, argument: str):
    """The tensor named by ``argument``, or the workspace's current root."""
    return workspace.tensor(argument) if argument else workspace.current_root()


# -- help and the workspace ----------------------------------------------------------------------
@command("help", ":help [command]", "list the commands, or explain one")
def help_command(workspace, argument: str) -> str:
    if argument:
        found = COMMANDS.get(argument.lstrip(":"))
        if found is None:
            suggestion = closest(argument.lstrip(":"))
            raise CommandError(f"no command :{argument.lstrip(':')}" + (f"; did you mean :{suggestion}?" if suggestion else ""))
        return f"{found.usage}\n  {found.summary}"
    width = max(len(item.usage) for item in COMMANDS.values())
    lines = ["Python runs as usual (gl and np are loaded). Colon commands:"]
    lines += [f"  {item.usage:<{width}}  {item.summary}" for item in COMMANDS.values()]
    lines.append("A tensor assigned to a name takes that name in traces and diagrams.")
    return "\n".join(lines)


@command("vars", ":vars", "the tensors in the workspace: shape, value, gradient")
def vars_command(workspace, argument: str) -> str:
    rows = [f"{name:<10} {tensor.op or 'leaf':<10} {str(tensor.shape):<10} value {format_value(tensor.data)}"
            f"  grad {format_value(tensor.grad)}" for name, tensor in workspace.tensors().items()]
    return "\n".join(rows) if rows else "no tensors yet: try  x = gl.scalar(-2)"


@command("nodes", ":nodes [var]", "every node of a graph, inputs first", argument="tensor")
def nodes_command(workspace, argument: str) -> str:
    root = _root(workspace, argument)
    nodes = workspace.graph_nodes(root)
    lines = [f"{len(nodes)} nodes of {root.label}:"]
    for node in nodes:
        inputs = ", ".join(parent.label for parent in node.parents)
        made = f"{node.op}({inputs})" if node.op else "leaf"
        lines.append(f"  {node.label:<8} = {made:<22} value {format_value(node.data):<12} grad {format_value(node.grad)}")
    return "\n".join(lines)


@command("show", ":show NODE", "a node's value, gradient, op, inputs and backward rule", argument="node")
def show_command(workspace, argument: str) -> str:
    if not argument:
        raise CommandError("usage: :show NODE (a name from :nodes)")
    node = workspace.node(argument)
    lines = [f"{node.label}: shape {node.shape}, dtype {node.dtype}",
             f"  value {format_value(node.data)}",
             f"  grad  {format_value(node.grad)}"]
    if node.creator is None:
        lines.append("  leaf" + (" (requires grad)" if node.requires_grad else " (constant)"))
        return "\n".join(lines)
    lines.append(f"  made by {node.op}({', '.join(parent.label for parent in node.parents)})")
    if rules.is_tensor_step(node.creator, node.shape):     # the vectorized rule, not a flat "local"
        lines += ["  " + line for line in _rule_lines(workspace, node)]
        return "\n".join(lines)
    local = node.creator.local_gradients()
    if local is not None:
        for parent, value in zip(node.parents, local):
            lines.append(f"  local d{node.label}/d{parent.label} = {format_value(value)}")
    return "\n".join(lines)


def _rule_lines(workspace, node) -> list:
    """The node's rules, with what each input received when the last backward reached it."""
    trace = workspace.last_trace
    step = next((step for step in trace if step.node is node), None) if trace is not None else None
    if step is not None:
        return step.rule_lines(width=rules.LINE_WIDTH - 2)
    return rules.rule_lines(node.creator, node.shape, width=rules.LINE_WIDTH - 2)


@command("graph", ":graph [var]", "the graph as text, with values and gradients", argument="tensor")
def graph_command(workspace, argument: str) -> str:
    return gl.viz.diagram(_root(workspace, argument))


# -- backward and the step-by-step walk -----------------------------------------------------------
@command("backward", ":backward [var]", "run backward from a scalar and print the Trace", argument="tensor")
def backward_command(workspace, argument: str) -> str:
    root = _root(workspace, argument)
    workspace.set_root(root)
    workspace.clear_walk()
    trace = root.backward()
    workspace.last_trace = trace
    return trace.table()


@command("step", ":step [back]", "walk backward one node at a time (:step back undoes one)")
def step_command(workspace, argument: str) -> str:
    if argument not in ("", "back"):
        raise CommandError("usage: :step  or  :step back")
    walk = workspace.walk_state()
    step = walk.back() if argument == "back" else walk.forward()
    if step is None:
        return f"at the start of the walk (0 of {walk.total}); :step takes the first step"
    lines = [f"step {walk.position} of {walk.total}: {step}"]
    if step.is_fan_out:
        parts = " + ".join(f"{format_value(gradient)} from {consumer.label if consumer is not None else 'seed'}"
                           for consumer, gradient in step.contributions)
        lines.append(f"  fan-out: {parts} = {format_value(step.upstream)}")
    pending = walk.pending()
    lines.append("  pending: " + (", ".join(node.label for node in pending) if pending else "none"))
    if walk.position == walk.total:
        lines.append("  done: every gradient is final (the same as :backward)")
    return "\n".join(lines)


@command("reset", ":reset", "start the step-by-step walk again")
def reset_command(workspace, argument: str) -> str:
    workspace.clear_walk()
    return "walk reset: :step starts again from the output (gradients cleared)"


@command("focus", ":focus NODE", "one node's chain rule: upstream × local = downstream", argument="node")
def focus_command(workspace, argument: str) -> str:
    if not argument:
        raise CommandError("usage: :focus NODE")
    node = workspace.node(argument)
    trace = workspace.last_trace
    if trace is None:
        raise CommandError("run :backward (or :step) first: the chain rule needs the gradients")
    try:
        step = trace.step_for(node)
    except KeyError as error:
        raise CommandError(str(error)) from None
    lines = [str(step)]
    if step.local is not None and not step.is_leaf and not step.is_tensor:   # tensors: str(step) has the rules
        for parent, local, downstream in zip(step.inputs, step.local, step.downstream):
            lines.append(f"  d{workspace.root_label()}/d{parent.label} = upstream × local = "
                         f"{format_value(step.upstream)} × {format_value(local)} = {format_value(downstream)}")
    return "\n".join(lines)


@command("patterns", ":patterns", "the gate patterns of the lecture, and where they occur")
def patterns_command(workspace, argument: str) -> str:
    lines = [f"  {name:<12} {meaning}" for name, meaning in PATTERN_NAMES.items()]
    if workspace.root_name is not None and workspace.last_trace is not None:
        found = [f"{step.node.label}: {step.pattern}" for step in workspace.last_trace if step.pattern]
        lines.append("in the last backward: " + (", ".join(found) if found else "none"))
    return "\n".join(lines)


@command("zero_grad", ":zero_grad", "clear every gradient in the workspace")
def zero_grad_command(workspace, argument: str) -> str:
    cleared = 0
    for tensor in workspace.tensors().values():
        for node in workspace.graph_nodes(tensor):
            if node.grad is not None:
                node.grad = None
                cleared += 1
    workspace.clear_walk()
    return f"cleared {cleared} gradients"


# -- pictures --------------------------------------------------------------------------------------
def _open_viewer(path: str) -> str:
    viewer = shutil.which("xdg-open") or shutil.which("open")
    if viewer and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or viewer.endswith("/open")):
        subprocess.Popen([viewer, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return f"wrote {path} (opened in a viewer)"
    return f"wrote {path}"


@command("render", ":render [var] [file]", "draw the graph with values and gradients (SVG/PNG/PDF)", argument="tensor")
def render_command(workspace, argument: str) -> str:
    root, path = _tensor_and_target(workspace, argument, ":render [var] [file.svg]", ".svg")
    return _open_viewer(str(gl.render(root, path)))


@command("walk", ":walk [var] [dir] [--force]", "write the backward walk as HTML frames (never overwrites unasked)",
         argument="tensor")
def walk_command(workspace, argument: str) -> str:
    words = _words(argument)
    force = "--force" in words
    root, directory = _tensor_and_target(workspace, shlex.join(word for word in words if word != "--force"),
                                         ":walk [var] [dir] [--force]", "_walk")
    index = Path(directory).expanduser() / "index.html"
    if index.exists() and not force:
        raise CommandError(f"{index} exists; nothing was written. Use :walk {shlex.join(words)} --force "
                           f"to replace it (and its frames)")
    return f"wrote the walk to {gl.walk(root, directory)} (open index.html in a browser)"


def _tensor_and_target(workspace, argument: str, usage: str, default_suffix: str) -> tuple:
    """``[var] [target]`` in either order: the tensor (default: the root) and where to write it."""
    words = _words(argument)
    if len(words) > 2:
        raise CommandError(f"usage: {usage}")
    name = next((word for word in words if word in workspace.namespace), "")
    target = next((word for word in words if word != name), f"{name or workspace.root_label()}{default_suffix}")
    return _root(workspace, name), target


# -- maths -----------------------------------------------------------------------------------------
@command("jacobian", ":jacobian EXPR wrt VAR[, VAR...]", "the Jacobian, numerically and with SymPy")
def jacobian_command(workspace, argument: str) -> str:
    expression, separator, names_text = argument.rpartition(" wrt ")
    if not separator or not expression.strip():
        raise CommandError("usage: :jacobian EXPR wrt VARS  e.g.  :jacobian [x**4 + 3*y**2*x, 5*y**2 - 2*x*y + 1] wrt x, y")
    names = _jacobian_names(names_text)
    at = [workspace.tensor(name) for name in names]

    # a code object, not a string: eval of a string that Ctrl-C interrupts makes CPython (3.11) end
    # the whole process with SIGINT at exit, even though the REPL handled the KeyboardInterrupt
    code = compile(expression.strip(), "<jacobian>", "eval")

    def evaluate(*values):
        return eval(code, dict(workspace.namespace, **dict(zip(names, values))))

    def function(*values):
        result = evaluate(*values)
        return gl.stack(list(result)) if isinstance(result, (list, tuple)) else result

    _check_depends(function, expression, names, at)
    numeric = gl.jacobian(function, [gl.tensor(tensor.data, dtype=np.float64) for tensor in at])
    at_text = ", ".join(f"{name}={format_value(tensor.data)}" for name, tensor in zip(names, at))
    lines = [f"engine: d({expression.strip()})/d({', '.join(names)}) at {at_text}"]
    if all(tensor.ndim == 0 for tensor in at):
        # one column per variable: rows are outputs, as in the lecture's J = [[df1/dx, df1/dy], ...]
        matrix = np.stack([np.asarray(part).reshape(-1) for part in numeric], axis=-1)
        lines.append(np.array2string(matrix, precision=6))
    else:
        lines += [f"  wrt {name}: {np.array2string(np.asarray(part), precision=6)}" for name, part in zip(names, numeric)]
    if all(tensor.ndim == 0 for tensor in at):
        # the same Python expression, evaluated on SymPy symbols, gives the exact Jacobian
        report = gl.verify.jacobian(evaluate, names, {name: tensor.item() for name, tensor in zip(names, at)})
        lines.append(str(report))
    return "\n".join(lines)


def _jacobian_names(names_text: str) -> list:
    names = [name.strip() for name in names_text.split(",") if name.strip()]
    if not names:
        raise CommandError("usage: :jacobian EXPR wrt VARS: name the variables after wrt, e.g. wrt x, y")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CommandError(f":jacobian: {', '.join(repeated)} is given twice after wrt; name each variable once")
    return names


def _check_depends(function, expression: str, names: list, at: list) -> None:
    """A result that is not a tensor built from the variables has no graph to differentiate."""
    with gl.no_grad():
        result = function(*at)
    if not isinstance(result, gl.Tensor):
        raise CommandError(f":jacobian: {expression.strip()} is {type(result).__name__} {result!r}, not a tensor "
                           f"computed from {', '.join(names)}, so its Jacobian is 0; write an expression of them")


@command("verify", ":verify [var|op]", "check gradients exactly with SymPy (a graph, or an op by name)", argument="op")
def verify_command(workspace, argument: str) -> str:
    if argument and argument not in workspace.namespace:
        return str(gl.verify.op(argument))
    root = _root(workspace, argument)
    if root.grad is None:
        root.backward()
    return str(gl.verify.graph(root))


# -- lessons and sessions ----------------------------------------------------------------------------
@command("lesson", ":lesson NAME", "load a lecture graph into the workspace", argument="lesson")
def lesson_command(workspace, argument: str) -> str:
    if argument not in gl.examples.GRAPHS:
        choices = "\n".join(f"  {name:<14} {title}" for name, (title, _) in gl.examples.GRAPHS.items())
        raise CommandError(f"usage: :lesson NAME, one of:\n{choices}")
    return workspace.load_example(argument)


@command("save", ":save FILE [--force]", "save this session as a replayable script (never overwrites unasked)", argument="file")
def save_command(workspace, argument: str) -> str:
    words = _words(argument)
    force = "--force" in words
    paths = [word for word in words if word != "--force"]
    if len(paths) != 1:
        raise CommandError("usage: :save FILE [--force]")
    return workspace.save(paths[0], overwrite=force)


@command("load", ":load FILE", "replay a saved session", argument="file")
def load_command(workspace, argument: str) -> str:
    if not argument:
        raise CommandError("usage: :load FILE")
    return workspace.load(argument)


@command("history", ":history", "the lines run so far in this session")
def history_command(workspace, argument: str) -> str:
    return "\n".join(f"{index:>4}  {line}" for index, line in enumerate(workspace.inputs, 1)) or "(empty)"


@command("quit", ":quit", "leave the REPL (Ctrl-D too)")
def quit_command(workspace, argument: str) -> str:
    workspace.quitting = True
    return ""
