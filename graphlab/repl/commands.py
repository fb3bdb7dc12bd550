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
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np

import graphlab as gl
from graphlab.autodiff import rules
from graphlab.autodiff.engine import topological_order
from graphlab.autodiff.trace import PATTERN_NAMES, Trace, format_value
from graphlab.errors import GraphlabError
from graphlab.repl import help_texts
from graphlab.repl.text import MAX_ROWS, WIDTH, more_rows_note, truncate, wrap
from graphlab.repl.walk_state import has_gradients


class CommandError(GraphlabError):
    """A command used the wrong way; the message says the right way."""


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    run: Callable
    #: what the first argument completes to: "tensor", "node", "op", "lesson", "level", "file" or None
    argument: Optional[str] = None


COMMANDS: Dict[str, Command] = {}
#: :help's usage column (a longer usage takes a line of its own)
HELP_COLUMN = 23


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
    quiz_commands.refuse_during_quiz(workspace, name)
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
@command("help", ":help [command]", "list the commands, or explain one (usage, arguments, an example)")
def help_command(workspace, argument: str) -> str:
    if argument:
        name = argument.lstrip(":")
        found = COMMANDS.get(name)
        if found is None:
            suggestion = closest(name)
            raise CommandError(f"no command :{name}" + (f"; did you mean :{suggestion}?" if suggestion else
                                                          "; :help lists them all"))
        return wrap(f"{found.usage}\n  {found.summary}\n" + help_texts.details(name))
    lines = ["Python runs as usual (gl and np are loaded). Colon commands:"]
    for item in COMMANDS.values():
        # a usage too long for the column gets a line of its own; summaries wrap under their column
        usage = [f"  {item.usage}"] if len(item.usage) > HELP_COLUMN else []
        first = f"  {'' if usage else item.usage:<{HELP_COLUMN}}  "
        lines += usage + textwrap.wrap(item.summary, width=WIDTH, initial_indent=first,
                                       subsequent_indent=" " * len(first))
    lines.append("A tensor assigned to a name takes that name in traces and diagrams.")
    lines.append(":help COMMAND explains one command, with an example.")
    return wrap("\n".join(lines))


@command("vars", ":vars", "the tensors in the workspace: shape, value, gradient")
def vars_command(workspace, argument: str) -> str:
    rows = [f"{name:<10} {tensor.op or 'leaf':<10} {str(tensor.shape):<10} value {format_value(tensor.data)}"
            f"  grad {format_value(tensor.grad)}" for name, tensor in workspace.tensors().items()]
    return wrap("\n".join(rows), indent=" " * 16) if rows else "no tensors yet: try  x = gl.scalar(-2)"


@command("nodes", ":nodes [var] [--all]", "every node of a graph, inputs first", argument="tensor")
def nodes_command(workspace, argument: str) -> str:
    words = _words(argument)
    names = [word for word in words if word != "--all"]
    if len(names) > 1:
        raise CommandError("usage: :nodes [var] [--all]")
    root = _root(workspace, names[0] if names else "")
    nodes, walk = workspace.graph_nodes(root), workspace.walk()
    lines = [f"{len(nodes)} nodes of {root.label}:"]
    for node in nodes:
        inputs = ", ".join(parent.label for parent in node.parents)
        made = f"{node.op}({inputs})" if node.op else "leaf"
        lines.append(f"  {node.label:<8} = {made:<22} value {format_value(node.data):<12} "
                     f"grad {format_value(node.grad)}{_partial_text(walk, node)}")
    text = "\n".join(lines) if "--all" in words else \
        truncate(lines, head=1, more=f":nodes {' '.join(names + ['--all'])}")
    return wrap(text, indent=" " * 12)


@command("show", ":show NODE", "a node's value, gradient, op, inputs and backward rule", argument="node")
def show_command(workspace, argument: str) -> str:
    if not argument:
        raise CommandError("usage: :show NODE (a name from :nodes)")
    node = workspace.node(argument)
    lines = [f"{node.label}: shape {node.shape}, dtype {node.dtype}",
             f"  value {format_value(node.data)}",
             f"  grad  {format_value(node.grad)}{_partial_text(workspace.walk(), node)}"]
    trace = workspace.last_trace
    step = None if trace is None else next((item for item in trace if item.node is node), None)
    lines += [] if step is None else _accumulated_note(node, step)
    if node.creator is None:
        lines.append("  leaf" + (" (requires grad)" if node.requires_grad else " (constant)"))
        return wrap("\n".join(lines))
    lines.append(f"  made by {node.op}({', '.join(parent.label for parent in node.parents)})")
    if rules.is_tensor_step(node.creator, node.shape):     # the vectorized rule, not a flat "local"
        lines += ["  " + line for line in _rule_lines(workspace, node)]
        return "\n".join(lines)
    local = node.creator.local_gradients()
    if local is not None:
        for parent, value in zip(node.parents, local):
            lines.append(f"  local d{node.label}/d{parent.label} = {format_value(value)}")
    return wrap("\n".join(lines))


def _rule_lines(workspace, node) -> list:
    """The node's rules, with what each input received when the last backward reached it."""
    trace = workspace.last_trace
    step = next((step for step in trace if step.node is node), None) if trace is not None else None
    if step is not None:
        return step.rule_lines(width=rules.LINE_WIDTH - 2)
    return rules.rule_lines(node.creator, node.shape, width=rules.LINE_WIDTH - 2)


@command("graph", ":graph [var]", "the graph as text, with values and gradients", argument="tensor")
def graph_command(workspace, argument: str) -> str:
    root = _root(workspace, argument)
    text = gl.viz.diagram(root)
    walk = workspace.walk()
    if walk is None:
        return text
    # mid-walk, a fan-out node shows the partial sum it has received: say so, as :show does
    partial = {node.label: _partial_text(walk, node) for node in workspace.graph_nodes(root)}
    lines = []
    for line in text.splitlines():
        words = line.lstrip("│├└─ ").split()
        note = partial.get(words[0], "") if words and "(see above)" not in line else ""
        lines.append(line + note)
    return "\n".join(lines)


# -- backward and the step-by-step walk -----------------------------------------------------------
#: what a :step prints after a finished :backward, before its first step
RESTART_NOTE = "(the walk restarts from cleared gradients; :backward gives them back at once)"


@command("backward", ":backward [var] [--all]", "run backward from a scalar and print the Trace", argument="tensor")
def backward_command(workspace, argument: str) -> str:
    words = _words(argument)
    show_all = "--all" in words
    names = [word for word in words if word != "--all"]
    if len(names) > 1:
        raise CommandError("usage: :backward [var] [--all]")
    root = _root(workspace, names[0] if names else "")
    trace, cleared = workspace.run_backward(root, names[0] if names else None)
    if show_all or len(trace) <= MAX_ROWS:
        table = trace.table(max_rows=None)
    else:   # only the rows shown are formatted: a 40,000-step Trace prints at once
        table = Trace(trace[:MAX_ROWS]).table(max_rows=None) + "\n" + \
            more_rows_note(len(trace) - MAX_ROWS, f":backward {' '.join(names + ['--all'])}")
    if not cleared:
        return table
    return wrap(f"(each :backward starts from cleared gradients; {workspace.root_label()}.backward() in "
                f"Python adds up)") + "\n" + table


@command("step", ":step [back]", "walk backward one node at a time (:step back undoes one)")
def step_command(workspace, argument: str) -> str:
    if argument not in ("", "back"):
        raise CommandError("usage: :step  or  :step back")
    walk, note = workspace.walk(), []
    if walk is None:
        if argument == "back":
            raise CommandError("no step walk to go back in; :step starts one")
        root = workspace.current_root()
        if has_gradients(root):
            note = [RESTART_NOTE]
        walk = workspace.start_walk()
    step = walk.back() if argument == "back" else walk.forward()
    if step is None:
        return f"at the start of the walk (0 of {walk.total}), every gradient cleared; :step takes the first"
    lines = note + [f"step {walk.position} of {walk.total}: {step}"]
    if step.is_fan_out:
        parts = " + ".join(f"{format_value(gradient)} from {consumer.label if consumer is not None else 'seed'}"
                           for consumer, gradient in step.contributions)
        lines.append(f"  fan-out: {parts} = {format_value(step.upstream)}")
    lines.append("  pending: " + _pending_text(walk))
    if walk.done:
        lines.append("  done: every gradient is final (the same as :backward)")
    return wrap("\n".join(lines))


def _pending_text(walk, limit: int = 8) -> str:
    """The nodes waiting for their step, each with the gradient received so far."""
    pending = walk.pending()
    if not pending:
        return "none"
    parts = [f"{node.label} = {format_value(node.grad)}{_partial_text(walk, node)}" for node in pending[:limit]]
    if len(pending) > limit:
        parts.append(f"... {len(pending) - limit} more (:nodes shows every gradient)")
    return ", ".join(parts)


def _partial_text(walk, node) -> str:
    partial = walk.partial(node) if walk is not None else None
    if partial is None or partial[0] >= partial[1]:
        return ""
    return f" (partial: {partial[0]} of {partial[1]} contributions)"


@command("reset", ":reset", "clear the graph's gradients and start the walk again")
def reset_command(workspace, argument: str) -> str:
    cleared = workspace.reset()
    return wrap(f"cleared {cleared} gradients of {workspace.root_label()}'s graph; :step or :backward "
                f"starts again")


@command("focus", ":focus NODE", "one node's chain rule: upstream × local = downstream", argument="node")
def focus_command(workspace, argument: str) -> str:
    if not argument:
        raise CommandError("usage: :focus NODE")
    node = workspace.node(argument)
    trace, walk = workspace.last_trace, workspace.walk()
    if trace is None:
        raise CommandError("run :backward (or :step) first: the chain rule needs the gradients")
    step = next((item for item in trace if item.node is node), None)
    if step is None:
        return wrap(_not_reached_text(workspace, node, walk))
    lines = [str(step)]
    if step.local is not None and not step.is_leaf and not step.is_tensor:   # tensors: str(step) has the rules
        for parent, local, downstream in zip(step.inputs, step.local, step.downstream):
            lines.append(f"  d{workspace.root_label()}/d{parent.label} = upstream × local = "
                         f"{format_value(step.upstream)} × {format_value(local)} = {format_value(downstream)}")
    lines += _accumulated_note(node, step)
    return wrap("\n".join(lines))


def _not_reached_text(workspace, node, walk) -> str:
    root = workspace.root_label()
    if walk is None or not walk.in_walk(node):
        return (f"{node.label} is not in {root}'s backward walk: no gradient flows to it (a constant, or "
                f"not an input of {root})")
    received = "" if node.grad is None else \
        f"; it has received {format_value(node.grad)} so far{_partial_text(walk, node)}"
    return (f"{node.label} is not reached yet: the walk is at step {walk.position} of {walk.total}"
            f"{received}; :step on to reach it (or :backward)")


def _accumulated_note(node, step) -> list:
    """A leaf whose .grad differs from the Trace: backward ran again in Python and added to it."""
    if not step.is_leaf or node.grad is None or np.allclose(node.grad, step.upstream):
        return []
    return [f"  note: {node.label}.grad is {format_value(node.grad)}, not {format_value(step.upstream)}: "
            f"leaves add up over backward calls in Python; :backward starts from zero"]


@command("patterns", ":patterns", "the gate patterns of the lecture, and where they occur")
def patterns_command(workspace, argument: str) -> str:
    lines = [f"  {name:<12} {meaning}" for name, meaning in PATTERN_NAMES.items()]
    if workspace.root_name is not None and workspace.last_trace is not None:
        found = [f"{step.node.label}: {step.pattern}" for step in workspace.last_trace if step.pattern]
        lines.append("in the last backward: " + (", ".join(found) if found else "none"))
    return wrap("\n".join(lines))


@command("zero_grad", ":zero_grad", "clear every gradient in the workspace")
def zero_grad_command(workspace, argument: str) -> str:
    cleared = 0
    for tensor in workspace.tensors().values():
        for node in workspace.graph_nodes(tensor):
            if node.grad is not None:
                node.grad = None
                cleared += 1
    workspace.clear_walk()
    workspace.forget_trace()
    return f"cleared {cleared} gradients"


# -- pictures --------------------------------------------------------------------------------------
def _open_viewer(path: str) -> str:
    viewer = shutil.which("xdg-open") or shutil.which("open")
    if viewer and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or viewer.endswith("/open")):
        subprocess.Popen([viewer, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return f"wrote {path} (opened in a viewer)"
    return f"wrote {path}"


@command("render", ":render [var] [file] [--focus NODE] [--patterns]",
         "draw the graph with values and gradients (SVG/PNG/PDF)", argument="tensor")
def render_command(workspace, argument: str) -> str:
    words, options = _render_options(workspace, _words(argument))
    root, path = _tensor_and_target(workspace, shlex.join(words),
                                    ":render [var] [file.svg] [--focus NODE] [--patterns]", ".svg")
    return _open_viewer(str(gl.render(root, path, **options)))


def _render_options(workspace, words: list) -> tuple:
    """The words left, and gl.render's options: --focus NODE (a node by name) and --patterns."""
    options, rest = {}, []
    words = list(words)
    while words:
        word = words.pop(0)
        if word == "--patterns":
            options["patterns"] = True
        elif word == "--focus":
            if not words or words[0].startswith("--"):
                raise CommandError(":render --focus needs a node name, e.g. :render --focus q "
                                   "(:nodes lists the names)")
            options["focus"] = workspace.node(words.pop(0))
        elif word.startswith("--"):
            raise CommandError(f":render has no option {word}; the options are --focus NODE and --patterns")
        else:
            rest.append(word)
    return rest, options


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
    written = gl.walk(root, directory)
    return wrap(f"wrote {len(written)} frames: {written.index} (open it in a browser)")


def _tensor_and_target(workspace, argument: str, usage: str, default_suffix: str) -> tuple:
    """``[var] [target]`` in either order: the tensor (default: the root) and where to write it."""
    words = _words(argument)
    if len(words) > 2:
        raise CommandError(f"usage: {usage}")
    name = next((word for word in words if word in workspace.namespace or workspace.find_node(word) is not None),
                "")     # a variable or a node's display name (t12, h@0)
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
    at_text = ", ".join(f"{name}={format_value(tensor.data)}" for name, tensor in zip(names, at))
    lines = [wrap(f"d({expression.strip()})/d({', '.join(names)}) at {at_text}")]
    if all(tensor.ndim == 0 for tensor in at):
        # the same Python expression, evaluated on SymPy symbols, gives the exact Jacobian; the
        # report shows the engine's matrix beside it (printed once, there)
        report = gl.verify.jacobian(evaluate, names, {name: tensor.item() for name, tensor in zip(names, at)})
        lines.append(str(report))
    else:
        numeric = gl.jacobian(function, [gl.tensor(tensor.data, dtype=np.float64) for tensor in at])
        lines.append("engine (gl.jacobian, float64), no SymPy check for tensors:")
        lines += [f"  wrt {name}: {np.array2string(np.asarray(part), precision=6)}" for name, part in zip(names, numeric)]
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
    if argument and argument not in workspace.namespace and workspace.find_node(argument) is None:
        return str(gl.verify.op(argument))
    # gl.verify.graph runs its own walk (gl.grad): no .grad changes, so the current backward stays as it is
    return str(gl.verify.graph(_root(workspace, argument)))


# -- lessons and sessions ----------------------------------------------------------------------------
@command("lesson", ":lesson NAME", "load a lesson's lecture graph (1-18, a topic, or scalar, sigmoid, ...)",
         argument="lesson")
def lesson_command(workspace, argument: str) -> str:
    from graphlab import lessons
    if not argument:
        raise CommandError("usage: :lesson NAME: a lesson number 1-18 or topic (as graphlab lesson takes), or a "
                           f"lecture graph: {', '.join(gl.examples.GRAPHS)}")
    if argument in gl.examples.GRAPHS:
        return workspace.load_example(argument)
    lesson = lessons.resolve_lesson(argument)
    graph = next((name for name, number in lessons.GRAPH_LESSONS.items() if number == lesson.number), None)
    heading = f"lesson {lesson.number} ({lesson.topic}): {lesson.title}"
    if graph is not None:
        return wrap(heading) + "\n" + workspace.load_example(graph)
    workspace.namespace["lesson"] = lesson.load()
    return wrap(f"{heading}\n  it has no lecture graph to load: its functions are in `lesson` "
                f"(lesson.main([]) prints the narrative; graphlab lesson {lesson.number} runs it in a shell)")


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


# -- practice mode: :quiz and :hint live in their own module; imported here, so :help lists them
# -- before :quit (the module needs `command` from above)
from graphlab.repl import quiz_commands  # noqa: E402


@command("quit", ":quit", "leave the REPL (Ctrl-D too)")
def quit_command(workspace, argument: str) -> str:
    workspace.quitting = True
    return ""
