"""What the quiz says: the graph, each step's question, and the feedback on an answer.

Feedback always tells the chain rule at that node: upstream × local with the step's numbers for
a scalar, the vectorized rule (``graphlab/autodiff/rules.py``, the same words as the Trace) for
a tensor, and the gate's pattern (add distributes, mul swaps, max routes, copy adds).

>>> print(value_lines(np.array([[1.0, -2.0], [30.0, 4.0]]))[0])
[[ 1, -2],
"""
from __future__ import annotations

from typing import List

import numpy as np

from graphlab.autodiff import rules
from graphlab.autodiff.trace import PATTERN_NAMES, format_value
from graphlab.practice.questions import FanOutQuestion, GradientQuestion, ShapeQuestion, close_enough

#: what each gate pattern does to the upstream, in one sentence
PATTERN_SENTENCES = {
    "distributor": "an add gate distributes: each input's local gradient is 1, so it gets the upstream as it is",
    "swap": "a mul gate swaps: each input's local gradient is the other input's value",
    "router": "a max gate routes: the upstream goes to the input that won (local 1), the others get 0",
    "adder": "a copy gate adds: a node used by several gates gets the sum of what each one sent",
}
#: what a tensor input that was broadcast gets on top of its gate's pattern
BROADCAST_NOTE = "; {label} was broadcast, so its gradient is summed back over the axes it was stretched along"
#: ops without a pattern: where their local gradient comes from (one note, or one per input)
OP_NOTES = {
    "exp": "exp's local gradient is its own output, e^x",
    "div": ("for a / b the local gradient with respect to a is 1/b", "for a / b the local gradient with "
            "respect to b is -a/b²"),
    "neg": "negation's local gradient is -1",
    "sub": ("for a - b the local gradient with respect to a is 1", "for a - b the local gradient with "
            "respect to b is -1"),
    "matmul": "a matrix product sends the upstream times the other factor, transposed, in the order "
              "that gives the input's shape",
    "batch_norm": ("each x also moves the batch's mean and variance, so dx has three terms",
                   "gamma scales x̂, so it gets the upstream ⊙ x̂ summed over the batch",
                   "beta shifts every row, so it gets the upstream summed over the batch"),
    "sigmoid": "sigmoid's local gradient is σ(1 - σ)",
    "tanh": "tanh's local gradient is 1 - tanh²",
    "log": "log's local gradient is 1/x",
    "pow": "x**k has the local gradient k·x**(k-1)",
}
#: the widest array shown whole in the quiz (a bigger one is shown by its shape and mean)
MAX_SHOWN = 24
#: the graph listing at the start of a quiz stops after this many lines (a CNN has hundreds of nodes)
MAX_GRAPH_LINES = 40
INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}
FUNCTION_NAMES = {"maximum": "max", "minimum": "min"}


# -- values ------------------------------------------------------------------------------------------
def number(value) -> str:
    return format_value(np.asarray(value, dtype=np.float64))


def value_lines(array) -> List[str]:
    """A value as the student reads it: a number, ``[1, -2]``, or a matrix row by row, aligned."""
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 0:
        return [number(array)]
    if array.size > MAX_SHOWN or array.ndim > 2:
        return [rules.summary(array)]
    if array.ndim == 1:
        return ["[" + ", ".join(number(item) for item in array) + "]"]
    cells = [[number(item) for item in row] for row in array]
    width = max(len(cell) for row in cells for cell in row)
    rows = ["[" + ", ".join(cell.rjust(width) for cell in row) + "]" for row in cells]
    return [("[" if index == 0 else " ") + row + ("]" if index == len(rows) - 1 else ",")
            for index, row in enumerate(rows)]


def value_text(array) -> str:
    return "\n".join(value_lines(array))


def labelled(label: str, array, indent: str = "  ") -> List[str]:
    """``W (2x2) = [[1, 2],`` with the following rows under the first one's bracket."""
    array = np.asarray(array)
    head = f"{indent}{label}{'' if array.ndim == 0 else ' ' + rules.shape_text(array.shape)} = "
    lines = value_lines(array)
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


# -- the graph ---------------------------------------------------------------------------------------
def operand(tensor) -> str:
    """An input as a formula shows it: its name, or the number of an unnamed constant (``s * -1``)."""
    if tensor.creator is None and tensor.name is None and not tensor.requires_grad and tensor.data.size == 1:
        return number(tensor.data)
    return tensor.label


def formula(node) -> str:
    """``x + y``, ``max(z, w)``, ``exp(n)``, ``batch_norm(X, gamma, beta)``."""
    names = [operand(parent) for parent in node.parents]
    if node.op in INFIX and len(names) == 2:
        return f"{names[0]} {INFIX[node.op]} {names[1]}"
    if node.op == "neg" and len(names) == 1:
        return f"-{names[0]}"
    return f"{FUNCTION_NAMES.get(node.op, node.op)}({', '.join(names)})"


def forward_lines(nodes) -> List[str]:
    """The graph, inputs first: each leaf with its value, each op node with its formula (and its
    value when it is one number)."""
    lines = []
    for node in nodes:
        if len(lines) >= MAX_GRAPH_LINES:
            return lines + [f"  ... and {len(nodes) - nodes.index(node)} more nodes (the quiz asks about each "
                            f"one that gets a gradient)"]
        if node.creator is None:
            if operand(node) != node.label:
                continue                           # an unnamed constant shows in its formula
            constant = "" if node.requires_grad else "   (a constant)"
            shown = labelled(node.label, node.data)
            lines += shown[:-1] + [shown[-1] + constant]
        elif node.data.ndim == 0:
            lines.append(f"  {node.label} = {formula(node)} = {number(node.data)}")
        else:
            lines.append(f"  {node.label} = {formula(node)}   {rules.shape_text(node.shape)}")
    return lines


def pattern_text(step) -> str:
    pattern = step.node.creator.pattern if step.node.creator is not None else None
    return f"  ({PATTERN_NAMES[pattern]})" if pattern in PATTERN_NAMES else f"  ({step.op})"


def step_lines(step, root: str, names: list) -> List[str]:
    """The step as the quiz shows it: the node, its op, its inputs' values and the upstream,
    with the downstream gradients hidden."""
    node = step.node
    head = f"{node.label} = {formula(node)}{pattern_text(step)}"
    upstream = f"upstream d{root}/d{node.label}"
    if not step.is_tensor:
        values = ", ".join(f"{operand(tensor)} = {number(tensor.data)}" for tensor in step.inputs
                           if operand(tensor) == tensor.label)
        return [head, f"  {values}; {node.label} = {number(node.data)}; {upstream} = {number(step.upstream)}"]
    lines = [head]
    for tensor in _distinct(step.inputs):
        if operand(tensor) == tensor.label:
            lines += labelled(tensor.label, tensor.data, "  ")
    lines += labelled(upstream, step.upstream, "  ")
    lines.append(f"  names for a rule: {', '.join(names)}")
    return lines


def fan_out_lines(step, root: str) -> List[str]:
    senders = [f"{number(gradient)} from {consumer.label if consumer is not None else 'the seed'}"
               for consumer, gradient in step.contributions] if not step.is_tensor else \
        [f"from {consumer.label if consumer is not None else 'the seed'}: {rules.shaped(gradient)}"
         for consumer, gradient in step.contributions]
    return [f"{step.node.label} is used by {len(step.contributions)} gates  ({PATTERN_NAMES['adder']})",
            f"  they sent {'; '.join(senders)}"]


def _distinct(tensors) -> list:
    seen, found = set(), []
    for tensor in tensors:
        if tensor.id not in seen:
            seen.add(tensor.id)
            found.append(tensor)
    return found


# -- feedback -----------------------------------------------------------------------------------------
def chain_rule(question, with_result: bool = False) -> str:
    """``df/dx = upstream × local = -4 × 1`` (scalar) or the vectorized rule (tensor)."""
    step = question.step
    if isinstance(question, FanOutQuestion):
        parts = " + ".join(number(gradient) if not step.is_tensor else rules.shaped(gradient)
                           for _, gradient in step.contributions)
        result = f" = {question.answer_text()}" if with_result else ""
        return f"{question.gradient_name} = the sum of what each gate sent = {parts}{result}"
    if step.is_tensor:
        text = "\n  ".join(rules.wrap(rules.rule(step.node.creator, question.index, step.node.shape),
                                      rules.LINE_WIDTH - 8))
        return text + (f" =\n{_indented(question.answer_text())}" if with_result else "")
    local = step.local[question.index] if step.local is not None else None
    result = f" = {question.answer_text()}" if with_result else ""
    return (f"{question.gradient_name} = upstream × local = {number(step.upstream)} × "
            f"{'?' if local is None else number(local)}{result}")


def _indented(text: str, indent: str = "    ") -> str:
    return "\n".join(indent + line for line in text.splitlines())


def why(question) -> str:
    """The gate's pattern (or the op's local gradient) in one sentence."""
    step = question.step
    if isinstance(question, FanOutQuestion):
        return PATTERN_SENTENCES["adder"]
    pattern = step.node.creator.pattern if step.node.creator is not None else None
    note = OP_NOTES.get(step.op, f"the downstream is the upstream times {step.op}'s local gradient "
                                 f"d{step.node.label}/d{question.label}")
    if pattern in PATTERN_SENTENCES:
        note = PATTERN_SENTENCES[pattern]
    elif isinstance(note, tuple):
        note = note[min(question.index, len(note) - 1)]
    tensor = step.inputs[question.index]
    broadcast = tensor.shape != step.node.shape and tensor.ndim <= len(step.node.shape)
    if pattern in PATTERN_SENTENCES and broadcast:        # an elementwise gate that stretched this input
        note += BROADCAST_NOTE.format(label=question.label)
    return note


def right(question, answer) -> str:
    if isinstance(question, ShapeQuestion):
        return f"right: {question.gradient_name} has the shape of {question.label}, {question.answer_text()}"
    return f"right: {chain_rule(question)}" + ("" if question.step.is_tensor else f" = {question.answer_text()}")


def wrong(question, answer, tries_left: int) -> str:
    """The explanation after a wrong try: the chain rule at this node, the pattern, what went wrong."""
    if isinstance(question, ShapeQuestion):
        head = (f"not yet ({tries_left} {'try' if tries_left == 1 else 'tries'} left): a gradient has the "
                f"shape of its variable (one number per entry of {question.label})")
        return head + f"\n  you gave {rules.shape_text(answer)}"
    head = f"not yet ({tries_left} {'try' if tries_left == 1 else 'tries'} left): "
    if question.step.is_tensor and not isinstance(question, FanOutQuestion):
        lines = [head + "upstream × local, vectorized:", f"  {chain_rule(question)}", f"  {why(question)}"]
    else:
        lines = [head + chain_rule(question), f"  {why(question)}"]
    local = _elementwise_local(question)
    if local is not None:
        lines += labelled("local", local, "  ")
    problem = diagnosis(question, answer)
    if problem:
        lines.append(f"  {problem}")
    return "\n".join(lines)


def last_try(question, answer, tries: int) -> str:
    """After the last wrong try: what went wrong, then the answer with the chain rule that gives it."""
    problem = "" if isinstance(question, ShapeQuestion) else diagnosis(question, answer)
    return f"not right after {tries} tries" + (f" ({problem})" if problem else "") + "\n" + reveal(question)


def reveal(question) -> str:
    """After the last wrong try: the answer, with the chain rule that gives it."""
    if isinstance(question, ShapeQuestion):
        return f"the answer: {question.gradient_name} has the shape of {question.label}, {question.answer_text()}"
    return f"the answer: {chain_rule(question, with_result=True)}"


def _elementwise_local(question):
    """The local gradient as an array when the rule says "upstream ⊙ local"."""
    step = question.step
    if not step.is_tensor or isinstance(question, FanOutQuestion):
        return None
    if "⊙ local" not in rules.rule(step.node.creator, question.index, step.node.shape) or step.local is None:
        return None
    local = np.asarray(step.local[question.index])
    return local if local.shape == question.expected.shape else None


def diagnosis(question, answer: np.ndarray) -> str:
    """The likely slip: the wrong shape or sign, the transpose, upstream or local alone, one share."""
    expected = question.expected
    if isinstance(question, GradientQuestion) and not question.fits(answer):
        return (f"your answer has the shape {rules.shape_text(answer.shape)}, but {question.label} is "
                f"{rules.shape_text(expected.shape)}: a gradient has the shape of its variable")
    given = np.broadcast_to(answer.reshape(()) if answer.size == 1 else answer, expected.shape)
    step = question.step
    checks = [(-given, expected, "the sign is wrong")]
    if given.ndim == 2 and given.shape[0] == given.shape[1]:
        checks.append((given.T, expected, "that is the transpose of the answer"))
    upstream = np.asarray(step.upstream, dtype=np.float64)
    if upstream.shape == expected.shape:
        checks.append((given, upstream, "that is the upstream alone: multiply it by the local gradient"))
    if isinstance(question, FanOutQuestion):
        checks += [(given, np.asarray(gradient, dtype=np.float64), "that is one gate's share: add what every "
                    "gate sent") for _, gradient in step.contributions]
    elif not step.is_tensor and step.local is not None:
        checks.append((given, np.asarray(step.local[question.index], dtype=np.float64),
                       "that is the local gradient alone: multiply it by the upstream"))
    for candidate, target, message in checks:
        if not close_enough(given, expected) and close_enough(candidate, target):
            return message
    return ""


def hint(question) -> str:
    """``:hint``: the local gradients of the current step, and the rule for a tensor step."""
    step = question.step
    if isinstance(question, FanOutQuestion):
        return (f"hint: {PATTERN_SENTENCES['adder']}; {question.label} gets a gradient from each of its "
                f"{len(step.contributions)} gates")
    lines = [f"hint: {why(question)}"]
    if step.is_tensor:
        lines += ["  " + line for line in step.rule_lines(values=False, width=rules.LINE_WIDTH - 2)]
        lines.append(f"  names for a rule: {', '.join(question.names)}")
        return "\n".join(lines)
    local = step.local or ()
    parts = [f"d{step.node.label}/d{operand(tensor)} = {number(value)}" for tensor, value in zip(step.inputs, local)
             if tensor.requires_grad]
    if parts:
        lines.append(f"  local gradients of {step.node.label} = {formula(step.node)}: {', '.join(parts)}")
    else:                     # an op that states no local gradient: its backward still gives the answer
        lines.append(f"  {step.op} states no local gradient to show; work it out from {formula(step.node)}")
    lines.append(f"  {question.gradient_name} = upstream × local")
    return "\n".join(lines)
