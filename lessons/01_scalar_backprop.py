"""Scalar backprop: f = (x + y) z, forward and backward one gate at a time.

CS231n lecture 4 opens with the smallest graph that still needs the chain rule (catalogue E01):
x = -2, y = 5, z = -4, q = x + y, f = q z. The forward pass fills in q = 3 and f = -12. The
backward pass visits the gates in reverse, and at each one multiplies the gradient that arrived
from above (upstream) by the gate's own derivative (local) to get what it passes down
(downstream), the rule behind every gate (E02).

The lesson does it twice, by hand and with graphlab, and shows that the two agree number for
number. It then draws the graph before and after backward, zoomed in on the add gate, and writes
the walk as an HTML page with one frame per step.

    .venv/bin/python lessons/01_scalar_backprop.py [--quick] [--out DIR]
    graphlab lesson 1
"""
from __future__ import annotations

import sys

import graphlab as gl
from graphlab import lessons
from graphlab.autodiff.engine import topological_order


def by_hand(x: float, y: float, z: float) -> dict:
    """The chain rule written out the way the notes do it, with plain numbers and no graphlab."""
    q = x + y                         # add gate
    f = q * z                         # mul gate
    df_df = 1.0                       # the output's gradient with respect to itself
    df_dq = df_df * z                 # mul gate: local d(qz)/dq = z
    df_dz = df_df * q                 #           local d(qz)/dz = q
    df_dx = df_dq * 1.0               # add gate: local d(x+y)/dx = 1
    df_dy = df_dq * 1.0               #           local d(x+y)/dy = 1
    return {"q": q, "f": f, "df/df": df_df, "df/dz": df_dz, "df/dq": df_dq, "df/dy": df_dy, "df/dx": df_dx}


def lecture_graph() -> dict:
    """The lecture's graph, built by ``gl.examples`` (the REPL's ``:lesson scalar`` loads the same)."""
    return gl.examples.build("scalar")


def gradients(nodes: dict) -> dict:
    """df/d(node) for every node, as ``by_hand`` names them, after ``backward()``."""
    return {f"df/d{name}": node.grad.item() for name, node in nodes.items()}


def forward_order(nodes: dict) -> list:
    """The order in which the forward pass computes the nodes: every node after its inputs."""
    return [node.label for node in topological_order([nodes["f"]])]


def backward_order(trace: gl.Trace) -> list:
    """The order of the backward walk: the output first, the reverse of the forward order."""
    return [step.node.label for step in trace]


def chain_rule_gaps(trace: gl.Trace) -> dict:
    """For every gate, the largest |downstream - upstream × local|: 0 everywhere (E02)."""
    return {step.node.label: max(abs(float(down - step.upstream * local))
                                 for down, local in zip(step.downstream, step.local))
            for step in trace if not step.is_leaf}


def main(argv=None) -> int:
    options = lessons.arguments(argv, __file__, __doc__)
    lessons.say(__doc__.split("\n\n")[0])

    nodes = lecture_graph()
    x, y, z = (nodes[name].item() for name in "xyz")

    lessons.heading("By hand (E01)")
    hand = by_hand(x, y, z)
    q_value, f_value = hand["q"], hand["f"]
    lessons.say(f"x = {x:g}, y = {y:g}, z = {z:g}")
    lessons.say(f"forward:  q = x + y = {x:g} + {y:g} = {q_value:g},  f = q z = {q_value:g} × {z:g} = {f_value:g}")
    lessons.say("backward, from the output down:")
    lessons.say(f"  df/df = {hand['df/df']:g}")
    lessons.say(f"  df/dz = df/df × q = 1 × {q_value:g} = {hand['df/dz']:g}  (mul gate: local gradient = the other input)")
    lessons.say(f"  df/dq = df/df × z = 1 × {z:g} = {hand['df/dq']:g}")
    lessons.say(f"  df/dx = df/dq × dq/dx = {hand['df/dq']:g} × 1 = {hand['df/dx']:g}  (add gate: the local gradient is 1)")
    lessons.say(f"  df/dy = df/dq × dq/dy = {hand['df/dq']:g} × 1 = {hand['df/dy']:g}")
    lessons.say("The notes' numbers are right. Two labels slip (they call df/dq the derivative with respect to z,\n"
          "and write dL/dy × dz/dy where dL/dz × dz/dy is meant); the arithmetic does not change.")

    lessons.heading("With graphlab")
    f, q = nodes["f"], nodes["q"]
    lessons.say("gl.examples.build('scalar') builds x, y, z with gl.scalar, then q = x + y and f = q * z.")
    lessons.say(f"forward order (each node after its inputs): {', '.join(forward_order(nodes))}")
    lessons.say(f"q = {q.item():g}, f = {f.item():g}; before backward no gradient is known:")
    lessons.say(gl.viz.diagram(f))
    lessons.diagram(f, options.out / "e01_forward.svg")
    lessons.say(f"\nThe mul gate kept its inputs (q, z) = {tuple(float(a) for a in f.creator.saved_tensors)} in forward:\n"
          "backward needs them, because each input's local gradient is the other input.")

    lessons.heading("The backward walk (E02: upstream × local = downstream)")
    trace = f.backward()
    lessons.say(f"backward order (output first): {', '.join(backward_order(trace))}")
    for step in trace:
        lessons.say(f"  {step}")
    lessons.say()
    lessons.say(trace.table())
    gaps = chain_rule_gaps(trace)
    lessons.say(f"\n|downstream - upstream × local| at every gate: "
          + ", ".join(f"{name} {gap:g}" for name, gap in gaps.items()))
    lessons.say(gl.viz.diagram(f))

    ours = gradients(nodes)
    rows = [(name, f"{hand[name]:g}", f"{ours[name]:g}", "yes" if hand[name] == ours[name] else "NO")
            for name in ("df/dx", "df/dy", "df/dz", "df/dq", "df/df")]
    lessons.say("\n" + lessons.table(rows, ("gradient", "by hand", "graphlab", "equal")))

    lessons.heading("Pictures")
    lessons.diagram(f, options.out / "e01_backward.svg")
    lessons.diagram(f, options.out / "e01_focus_q.svg", focus=q)
    lessons.say(f"  (values in green above each edge, gradients in red below; the focus picture spells out\n"
          f"   q's chain rule: downstream = upstream × local = {q.grad.item():g} × 1 = {nodes['x'].grad.item():g} "
          f"for x and for y)")
    if not options.quick:
        lessons.backward_walk(f, options.out / "walk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
