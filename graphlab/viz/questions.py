"""The quiz of the backward walk as plain data: what to ask at each Step, the expected numbers
and the feedback.

At every Step that sends gradient to its inputs, the quiz asks for each input that needs one
its downstream gradient, one question at a time. The answers are the engine's own numbers
(``step.downstream``); a wrong answer is explained with that Step's upstream and local (on a
tensor Step, the vectorized rule of ``graphlab/autodiff/rules.py``) and its gate pattern. The
page (``walk_page.py``) embeds this as JSON and its script only compares numbers, so the page
needs no server and no kernel.

>>> import graphlab as gl
>>> from graphlab.viz.graph import GraphView
>>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
>>> q = (x + y).named("q")
>>> f = (q * z).named("f")
>>> trace = f.backward()
>>> asked = step_questions(GraphView(f), trace[1])       # q = x + y
>>> [question["name"] for question in asked], asked[0]["expected"]
(['x', 'y'], [-4.0])
>>> print("\\n".join(asked[0]["explain"]))
x receives upstream -4 × local 1 = ?
q = x + y: add gate: gradient distributor (every input gets the upstream unchanged)
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff import rules
from graphlab.autodiff.function import Function
from graphlab.autodiff.trace import Step
from graphlab.viz import labels
from graphlab.viz.graph import GraphView

#: an answer counts as right when every element is within this fraction of the engine's value
RELATIVE_TOLERANCE = 1e-3
#: wrong tries before the quiz shows the answer and moves on
MAX_TRIES = 3

#: what each gate pattern does to the upstream (lecture 4), said after the pattern's name
PATTERN_EXPLAINED = {
    "distributor": "every input gets the upstream unchanged",
    "swap": "each input gets the upstream times the other input's value",
    "router": "the input that was largest gets the whole upstream, the others 0",
}


def quiz_data(view: GraphView, trace, precision: int = 4) -> dict:
    """Everything the page's script needs: per Step (in walk order) its questions."""
    return {"tolerance": RELATIVE_TOLERANCE, "tries": MAX_TRIES,
            "steps": [{"title": f"Step {step.index + 1} of {len(trace)}",
                       "questions": step_questions(view, step, precision)} for step in trace]}


def step_questions(view: GraphView, step: Step, precision: int = 4) -> list:
    """One question per input of ``step`` that receives a (finite) gradient; [] for a leaf."""
    if step.is_leaf:
        return []
    names = view.input_names(step.node, precision)
    asked = []
    for index, tensor in enumerate(step.inputs):
        downstream = step.downstream[index] if index < len(step.downstream) else None
        if not tensor.requires_grad or downstream is None:
            continue
        expected = np.asarray(downstream, dtype=np.float64)
        if not np.all(np.isfinite(expected)):     # nothing sensible to type (and JSON has no NaN)
            continue
        asked.append({
            "name": names[index],
            "gradient": f"dL/d({names[index]})" if " " in names[index] else f"dL/d{names[index]}",
            "shape": list(expected.shape),
            "size": int(expected.size),
            "expected": expected.reshape(-1).tolist(),
            "format": _format_hint(expected.shape),
            "explain": _explanation(view, step, index, names, precision),
            "answer": _answer(step, index, names, precision),
        })
    return asked


def _format_hint(shape: tuple) -> str:
    if not shape:
        return "a number"
    size = int(np.prod(shape))
    return (f"{size} numbers, shape {rules.shape_text(shape)}, row by row (e.g. [[1, 2], [3, 4]]); "
            f"one number if they are all equal")


def _explanation(view: GraphView, step: Step, index: int, names: list, precision: int) -> list:
    """The lines a wrong answer shows: this input's upstream × local (or the vectorized rule),
    then the gate pattern and, at a fan-out, where the upstream came from."""
    upstream = _value(step.upstream, precision, step.is_tensor)
    local = _local(step, index)
    if not step.is_tensor and local is not None:
        lines = [f"{names[index]} receives upstream {upstream} × local {labels.summary(local, precision)} = ?"]
    else:
        lines = [rules.rule(step.node.creator, index, step.node.shape, names), f"upstream {upstream}"]
        if local is not None:
            lines[-1] += f", local {_value(local, precision, True)}"
    pattern = step.node.creator.pattern
    if pattern is not None:
        lines.append(f"{view.title(step.node)}: {_pattern_text(step, pattern)}")
    if step.is_fan_out:
        parts = " + ".join(_value(gradient, precision, step.is_tensor) for _, gradient in step.contributions)
        lines.append(f"the upstream is the sum {parts} of the {len(step.contributions)} gradients it received "
                     f"(copy gate: gradient adder)")
    return lines


def _pattern_text(step: Step, pattern: str) -> str:
    """``add gate: gradient distributor``, with what it does on the lecture's own scalar gate
    (on other ops and on arrays the rule above says it better: relu routes by sign, a
    broadcast add sums over the batch)."""
    title = labels.pattern_title(pattern, step.op)
    if step.is_tensor or step.op not in labels.PATTERN_GATES.get(pattern, ()):
        return title
    return f"{title} ({PATTERN_EXPLAINED[pattern]})"


def _answer(step: Step, index: int, names: list, precision: int) -> str:
    """The chain rule with the engine's number, shown after a right answer or the last try."""
    downstream = step.downstream[index]
    local = _local(step, index)
    if not step.is_tensor and local is not None:
        return f"{names[index]}: " + labels.chain_rule(labels.summary(step.upstream, precision),
                                                        labels.summary(local, precision),
                                                        labels.summary(downstream, precision))
    rule = rules.rule(step.node.creator, index, step.node.shape, names)
    return f"{rule} = {_value(downstream, precision, step.is_tensor, room=400)}"


def _local(step: Step, index: int):
    """Input ``index``'s local gradient where it is a factor of the chain rule: always on a scalar
    Step, on a tensor Step only when the op multiplies elementwise (matmul's or a convolution's
    local is no factor: their rule says how it is used, and it is not computed for nothing)."""
    if step.is_tensor and type(step.node.creator).chain is not Function.chain:
        return None
    local = step.local
    return None if local is None else local[index]


def _value(value, precision: int, tensor: bool, room: int = 60) -> str:
    """A number, or an array whole with its shape when it fits in ``room`` characters."""
    return rules.shaped(value, precision, room=room) if tensor else labels.summary(value, precision)
