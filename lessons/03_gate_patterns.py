"""Gate patterns: add distributes, max routes, mul swaps, copy adds.

Once you know four patterns you can read gradients off a graph without computing anything
(catalogue E05). An add gate hands its upstream gradient unchanged to every input. A max gate
routes the whole gradient to the input that won and sends 0 to the others. A mul gate scales the
upstream gradient by the *other* input's value. A value used twice goes through a copy gate,
which adds up the gradients coming back from its branches.

The lesson first shows each gate alone, with the example values the catalogue suggests. It then
walks the lecture's pattern slide, f = 2 (x y + max(z, w)) with x read once more so that it fans
out, one Step at a time, as the REPL's `:step` does.

    .venv/bin/python lessons/03_gate_patterns.py [--quick] [--out DIR]
    graphlab lesson 3
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

import graphlab as gl
from graphlab import lessons
from graphlab.autodiff.trace import PATTERN_NAMES, format_value
from graphlab.viz.graph import GraphView
from graphlab.viz.walk import frame_texts


@dataclass(eq=False)
class Gate:
    """One gate seen alone: its inputs and output, the gradient from above and what it sends down."""
    pattern: str
    inputs: tuple
    output: float
    upstream: tuple
    downstream: tuple
    graph: gl.Tensor

    @property
    def words(self) -> str:
        return PATTERN_NAMES[self.pattern]


def _two_input_gate(op, values: tuple, upstream: float) -> Gate:
    a, b = gl.scalar(values[0], name="a"), gl.scalar(values[1], name="b")
    out = op(a, b).named("out")
    step = out.backward(grad=upstream).step_for(out)
    return Gate(step.pattern, values, out.item(), (upstream,), tuple(float(d) for d in step.downstream), out)


def add_gate(a: float = 3, b: float = 2, upstream: float = 2) -> Gate:
    """3 + 2 = 5; upstream 2 goes to both inputs unchanged: (2, 2)."""
    return _two_input_gate(gl.add, (a, b), upstream)


def mul_gate(a: float = 2, b: float = 3, upstream: float = 5) -> Gate:
    """2 × 3 = 6; upstream 5 times the other input: (5 × 3, 5 × 2) = (15, 10)."""
    return _two_input_gate(gl.mul, (a, b), upstream)


def max_gate(a: float = 4, b: float = 5, upstream: float = 9) -> Gate:
    """max(4, 5) = 5; all of upstream 9 to the winner: (0, 9)."""
    return _two_input_gate(gl.maximum, (a, b), upstream)


def copy_gate(value: float = 4, branch_gradients: tuple = (3, 2)) -> Gate:
    """x = 4 read by two gates (both see 4); they send back 3 and 2, and the copy adds them: 5.

    The branches are the gates 3·x and 2·x: each one's local gradient is the gradient it sends back.
    """
    x = gl.scalar(value, name="x")
    branches = [(weight * x).named(f"branch{index}") for index, weight in enumerate(branch_gradients, 1)]
    total = branches[0]
    for branch in branches[1:]:
        total = total + branch
    step = total.named("f").backward().step_for(x)
    arrived = tuple(sorted((float(gradient) for _, gradient in step.contributions), reverse=True))
    return Gate(step.pattern, (value,), value, arrived, (float(step.upstream),), total)


def lecture_slide() -> dict:
    """The pattern slide from ``gl.examples`` (the REPL's ``:lesson gates``)."""
    return gl.examples.build("gates")


def walk(nodes: dict) -> list:
    """Run backward on the slide's graph and narrate it Step by Step: for each Step, the lines the
    frames of ``gl.walk``'s HTML stepper show (the gate, upstream × local = downstream for each
    input, the nodes still waiting)."""
    trace = nodes["f"].backward()
    view = GraphView(nodes["f"])
    return [frame_texts(view, trace, index, precision=4)[0] for index in range(len(trace))]


def leaf_gradients(nodes: dict) -> dict:
    return {name: nodes[name].grad.item() for name in "xyzw"}


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    lessons.heading("Each gate alone (E05)")
    gates = {"add": add_gate(), "mul": mul_gate(), "max": max_gate(), "copy": copy_gate()}
    add, mul, biggest, copy = gates.values()
    lessons.say(f"add:  {add.inputs[0]:g} + {add.inputs[1]:g} = {add.output:g}; upstream {add.upstream[0]:g} "
          f"-> downstream {format_value(add.downstream)}\n      every input gets the upstream gradient")
    lessons.say(f"mul:  {mul.inputs[0]:g} × {mul.inputs[1]:g} = {mul.output:g}; upstream {mul.upstream[0]:g} "
          f"-> downstream {format_value(mul.downstream)}\n      = ({mul.upstream[0]:g} × {mul.inputs[1]:g}, "
          f"{mul.upstream[0]:g} × {mul.inputs[0]:g}): each input gets the other one")
    lessons.say(f"max:  max({biggest.inputs[0]:g}, {biggest.inputs[1]:g}) = {biggest.output:g}; upstream "
          f"{biggest.upstream[0]:g} -> downstream {format_value(biggest.downstream)}\n      the winner takes it all")
    lessons.say(f"copy: x = {copy.inputs[0]:g} is read twice (both see {copy.output:g}); they send back "
          f"{copy.upstream[0]:g} and {copy.upstream[1]:g} -> x gets {copy.downstream[0]:g}")
    lessons.say("\n" + lessons.table([(name, gate.pattern, gate.words) for name, gate in gates.items()],
                               ("gate", "Step.pattern", "in the lecture's words")))
    tie = max_gate(5, 5, 9)
    lessons.say(f"\nA tie has no single winner: graphlab splits the gradient, max(5, 5) with upstream 9 -> "
          f"{format_value(tie.downstream)}\n(the derivative of max does not exist there; half each is SymPy's "
          f"convention too). ReLU is max(0, x): its pattern is '{gl.scalar(1.0).relu().creator.pattern}'.")

    lessons.heading("The lecture's slide: f = 2 (x y + max(z, w)) + x, one Step at a time")
    nodes = lecture_slide()
    lessons.say(", ".join(f"{name} = {nodes[name].item():g}" for name in "xyzw")
          + f";  x y = {nodes['xy'].item():g}, max(z, w) = {nodes['m'].item():g}, s = {nodes['s'].item():g}, "
            f"f = {nodes['f'].item():g}")
    for caption in walk(nodes):
        lessons.say("\n".join([caption[0]] + [f"    {line}" for line in caption[1:]]))
    grads = leaf_gradients(nodes)
    seed, through_s, to_z = (nodes[name].grad.item() for name in ("f", "s", "z"))
    lessons.say(f"\nRead without computing: the add gates pass {seed:g} and then {through_s:g} straight through; the max "
          f"sends all of its {through_s:g} to z\n(z = {nodes['z'].item():g} beat w = {nodes['w'].item():g}) and 0 to w; "
          f"the mul gives x the upstream {through_s:g} times y and y the upstream times x;\nx also reaches f directly "
          f"with gradient {seed:g}, so the copy gate adds: df/dx = {grads['x']:g}, df/dy = {grads['y']:g}, "
          f"df/dz = {to_z:g}, df/dw = {grads['w']:g}.")

    lessons.heading("Pictures")
    lessons.diagram(nodes["f"], options.out / "e05_slide.svg", patterns=True)
    for name, gate in gates.items():
        lessons.diagram(gate.graph, options.out / f"e05_{name}.svg", patterns=True)
    if not options.quick:
        lessons.backward_walk(lecture_slide()["f"], options.out / "walk", patterns=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
