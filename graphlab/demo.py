"""``graphlab demo``: lecture 4's first graph, f = (x + y) z, forward and backward (E01)."""
from __future__ import annotations

import graphlab as gl
from graphlab import examples


def lecture_graph():
    """x = -2, y = 5, z = -4; q = x + y = 3; f = q z = -12 (CS231n lecture 4, E01)."""
    nodes = examples.add_then_multiply()
    return nodes["f"], nodes


def run(print_line=print) -> gl.Trace:
    f, nodes = lecture_graph()
    print_line("graphlab demo: f = (x + y) * z with x = -2, y = 5, z = -4  (CS231n lecture 4)")
    print_line(f"forward:  q = x + y = {nodes['q'].item():g},  f = q * z = {f.item():g}")
    trace = f.backward()
    print_line("\nbackward, one Step per node (upstream × local = downstream):")
    for step in trace:
        print_line(f"  {step}")
    print_line("\n" + trace.table())
    print_line("\ngradients: " + ", ".join(f"df/d{name} = {nodes[name].grad.item():g}" for name in "xyz"))
    return trace
