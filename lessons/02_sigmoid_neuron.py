"""The sigmoid neuron: f = σ(w0 x0 + w1 x1 + w2) gate by gate, then as one fused gate.

CS231n lecture 4's second graph (catalogue E03) is a 2-input neuron built from primitive gates:
two products, two sums, *-1, exp, +1 and 1/x. With w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3 it
outputs 0.73. The backward pass runs through eight gates to get dw0, dx0, dw1, dx1 and dw2.

The notes write every number with two decimals and carry the rounded values from gate to gate.
That is why they end with dx0 = 0.40, dw1 = -0.40 and dx1 = -0.60, where the exact gradients round
to 0.39, -0.39 and -0.59. The lesson reproduces both: graphlab's exact walk, and the same walk in
two-decimal arithmetic.

The neuron's sigmoid can also be one fused gate with the local gradient (1 - σ) σ = 0.20 (E04),
with the same gradients as the chain of small gates. Written as straight-line code (E06), the
backward is the one the notes print, but the notes' forward multiplies where it should add. The
lesson shows what that bug changes.

    .venv/bin/python lessons/02_sigmoid_neuron.py [--quick] [--out DIR]
    graphlab lesson 2
"""
from __future__ import annotations

import math
import sys

import numpy as np

import graphlab as gl
from graphlab import lessons
from graphlab.autodiff.engine import topological_order
from graphlab.viz.graph import GraphView

LEAVES = ("w0", "x0", "w1", "x1", "w2")


def neuron(fused: bool = False) -> dict:
    """The lecture's neuron from ``gl.examples``, in float64 so that the exact values hold to 1e-15."""
    with gl.default_dtype(np.float64):
        return gl.examples.build("sigmoid_fused" if fused else "sigmoid")


def leaf_values(nodes: dict) -> dict:
    return {name: nodes[name].item() for name in LEAVES}


def implied_w2(w0: float, x0: float, w1: float, x1: float, exp_input: float = -1.0) -> float:
    """The notes never state w2, but the exp gate's input is -1, so the linear sum is 1."""
    return -exp_input - (w0 * x0 + w1 * x1)


def forward_table(nodes: dict) -> list:
    """(gate, computes, value) for every gate in forward order: the slide's green numbers."""
    view = GraphView(nodes["f"])
    return [(view.symbol(node), view.formula(node), node.item())
            for node in topological_order([nodes["f"]]) if node.creator is not None]


def backward_table(trace: gl.Trace) -> list:
    """(gate, node, upstream, locals, downstreams) for every gate in walk order: the slide's red
    numbers. Constant inputs (the 1 of 1/x and of +1) get no gradient and are left out."""
    view = GraphView(trace[0].node)
    rows = []
    for step in trace:
        if step.is_leaf:
            continue
        wanted = [index for index, down in enumerate(step.downstream) if down is not None]
        rows.append((view.symbol(step.node), view.describe(step.node), float(step.upstream),
                     tuple(float(step.local[index]) for index in wanted),
                     tuple(float(step.downstream[index]) for index in wanted)))
    return rows


def gradients(nodes: dict) -> dict:
    """df/d(leaf) after backward."""
    return {name: nodes[name].grad.item() for name in LEAVES}


def two_decimal_walk(trace: gl.Trace, decimals: int = 2) -> dict:
    """The walk in the notes' arithmetic: every local gradient and every downstream gradient is
    rounded to two decimals before it is used, as a slide writes them. Returns {node label:
    gradient}; the notes' dx0 = 0.40, dw1 = -0.40 and dx1 = -0.60 come out of this."""
    arrived = {trace[0].node.id: 1.0}
    result = {}
    for step in trace:
        upstream = round(arrived.pop(step.node.id), decimals)
        result[step.node.label] = upstream
        if step.is_leaf:
            continue
        for tensor, local, down in zip(step.inputs, step.local, step.downstream):
            if down is not None:
                share = round(upstream * round(float(local), decimals), decimals)
                arrived[tensor.id] = arrived.get(tensor.id, 0.0) + share      # a fan-out adds up
    return result


def fused_sigmoid_local(nodes: dict, trace: gl.Trace) -> float:
    """E04: the fused sigmoid gate's local gradient (1 - σ) σ at its input 1."""
    return float(trace.step_for(nodes["f"]).local[0])


def flat_code(w0: float, x0: float, w1: float, x1: float, w2: float) -> dict:
    """E06 corrected: forward and backward as straight-line code, each line one gate of the graph."""
    # forward pass
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1                 # the notes print s0 * s1
    s3 = s2 + w2                 # the notes print s2 * w2
    L = 1 / (1 + math.exp(-s3))  # sigmoid
    # backward pass, in reverse
    grad_L = 1.0
    grad_s3 = grad_L * (1 - L) * L
    grad_w2 = grad_s3
    grad_s2 = grad_s3
    grad_s0 = grad_s2
    grad_s1 = grad_s2
    grad_w1 = grad_s1 * x1
    grad_x1 = grad_s1 * w1
    grad_w0 = grad_s0 * x0
    grad_x0 = grad_s0 * w0
    return {"L": L, "w0": grad_w0, "x0": grad_x0, "w1": grad_w1, "x1": grad_x1, "w2": grad_w2}


def printed_forward(w0: float, x0: float, w1: float, x1: float, w2: float) -> dict:
    """E06 as the notes print it: products where the slide has sums."""
    with gl.default_dtype(np.float64):
        w0, x0, w1, x1, w2 = (gl.scalar(value, name=name) for value, name in zip((w0, x0, w1, x1, w2), LEAVES))
        s0 = (w0 * x0).named("s0")
        s1 = (w1 * x1).named("s1")
        s2 = (s0 * s1).named("s2")
        s3 = (s2 * w2).named("s3")
        L = s3.sigmoid().named("L")
    trace = L.backward()
    return {"s2": s2.item(), "s3": s3.item(), "L": L.item(),
            "local s2": tuple(float(local) for local in trace.step_for(s2).local),
            "local s3": tuple(float(local) for local in trace.step_for(s3).local)}


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    nodes = neuron()
    inputs = leaf_values(nodes)
    lessons.heading("Forward (E03): the green numbers")
    lessons.say(", ".join(f"{name} = {value:g}" for name, value in inputs.items()))
    lessons.say(lessons.table([(gate, computes, f"{value:.2f}", f"{value:.7g}") for gate, computes, value in forward_table(nodes)],
                        ("gate", "computes", "slide", "exact")))
    w0, x0, w1, x1 = (inputs[name] for name in ("w0", "x0", "w1", "x1"))
    lessons.say(f"w2 is not stated in the notes; the exp gate's input -1 implies it: the linear sum is 1, so\n"
          f"w2 = 1 - ({w0:g}·{x0:g} + {w1:g}·{x1:g}) = {implied_w2(w0, x0, w1, x1):g}.")

    lessons.heading("Backward: the red numbers, exactly")
    trace = nodes["f"].backward()
    rounded = two_decimal_walk(trace)
    rows = []
    for gate, node, upstream, local, downstream in backward_table(trace):
        rows.append((gate, node, f"{upstream:.4f}", ", ".join(f"{value:.4f}" for value in local),
                     ", ".join(f"{value:.4f}" for value in downstream)))
    lessons.say(lessons.table(rows, ("gate", "node", "upstream", "local", "downstream")))
    lessons.say("\nThe 1/x gate's local gradient for its input is -1/x² = -1/1.37² (the other entry, 1/x, belongs to\n"
          "the constant 1 on top of the fraction, which needs no gradient).")

    lessons.heading("The gradients: exact, rounded at the end, and the notes' two-decimal walk")
    exact = gradients(nodes)
    rows = [(f"df/d{name}", f"{exact[name]:.7f}", f"{exact[name]:.2f}", f"{rounded[name]:.2f}") for name in LEAVES]
    lessons.say(lessons.table(rows, ("gradient", "exact", "rounded at the end", "two decimals per gate (notes)")))
    carried, upstream = rounded["w2"], exact["w2"]    # the last add gate hands w2 what it hands the mul gates
    products = ", ".join(f"{carried:.2f} × {inputs[other]:g} = {carried * inputs[other]:.2f}" for other in ("w0", "x1", "w1"))
    lessons.say(f"The notes carry {carried:.2f} into the two mul gates: {products}.\n"
          f"Exactly, {upstream:.4f} × {inputs['w0']:g} = {upstream * inputs['w0']:.4f} rounds to "
          f"{upstream * inputs['w0']:.2f}: rounding inside a chain moves the last digit.\n"
          "The notes also label the w1/x1 locals 'df/dw0' and 'df/dx0'.")

    lessons.heading("One fused sigmoid gate (E04)")
    fused = neuron(fused=True)
    fused_trace = fused["f"].backward()
    local = fused_sigmoid_local(fused, fused_trace)
    output = fused["f"].item()
    lessons.say(f"sigmoid gate: input {fused['s'].item():g}, output σ(1) = {output:.7f}")
    lessons.say(f"local gradient (1 - σ) σ = (1 - {output:.2f}) × {output:.2f} = {(1 - round(output, 2)) * round(output, 2):.4f} "
          f"on the slide; exactly {local:.7f}")
    composed, together = gradients(nodes), gradients(fused)
    gap = max(abs(composed[name] - together[name]) for name in LEAVES)
    lessons.say(f"{len(topological_order([nodes['f']]))} nodes composed, {len(topological_order([fused['f']]))} fused; "
          f"largest gradient difference {gap:.1e}")
    lessons.say("(the notes call the sigmoid gate's input 0.73; 0.73 is its output, σ(1).)")

    lessons.heading("Straight-line code (E06), and the bug in the notes' forward")
    flat = flat_code(**inputs)
    gap = max(abs(flat[name] - exact[name]) for name in LEAVES)
    lessons.say(f"forward with sums: L = {flat['L']:.7f}; its backward matches graphlab to {gap:.1e}")
    printed = printed_forward(**inputs)
    lessons.say(f"the notes' forward multiplies: s2 = s0 * s1 = {printed['s2']:g}, s3 = s2 * w2 = {printed['s3']:g}, "
          f"L = σ(36) = {printed['L']:.4f}")
    lessons.say(f"and then the printed backward is wrong: it passes grad_s2 on unchanged (the add gate's local 1),\n"
          f"but a mul gate's locals are the other inputs: graphlab's walk of that forward has locals\n"
          f"{printed['local s2']} at s2 and {printed['local s3']} at s3, not (1, 1).")

    lessons.heading("Pictures")
    lessons.diagram(nodes["f"], options.out / "e03_sigmoid.svg", patterns=True)
    lessons.diagram(fused["f"], options.out / "e04_fused.svg", patterns=True)
    if not options.quick:
        lessons.backward_walk(neuron()["f"], options.out / "walk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
