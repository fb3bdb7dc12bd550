"""What ``:help COMMAND`` says beyond the one-line summary: the arguments and an example.

>>> print(details("reset"))
  Clears every gradient of the current root's graph and forgets the walk and the
  Trace: the toolbar says 'backward: not yet' and :step starts from the output.
  example:  :reset
"""
from __future__ import annotations

import textwrap

#: command name -> (what it does and takes, an example)
DETAILS = {
    "help": ("With no argument, every command; with one, that command's arguments and an example.",
             ":help step"),
    "vars": ("Every tensor you assigned to a name: its op (or leaf), shape, value and gradient.", ":vars"),
    "nodes": ("Every node of a graph (default: the current root's), inputs first, with its op, value and "
              "gradient. A long graph is cut after 40 rows; --all prints every node.", ":nodes f --all"),
    "show": ("One node, by its name (from :nodes): shape, dtype, value, gradient (marked partial while the "
             "step walk has delivered only some of it), the op that made it and its local gradients.",
             ":show q"),
    "graph": ("The graph as text, one node a line, with values and gradients (default: the current root).",
              ":graph"),
    "backward": ("Runs backward from the root (or the scalar tensor you name) and prints the Trace: one row "
                 "per node, upstream × local = downstream. Each :backward starts from cleared gradients, "
                 "so a second one gives the same numbers (f.backward() in Python adds into the leaves, as "
                 "in PyTorch). A long Trace is cut after 40 rows; --all prints every row.",
                 ":backward    :backward loss --all"),
    "step": ("Takes the next node of the backward walk: its upstream × local = downstream, and the nodes "
             "still waiting, each with the gradient it has received so far (\"partial: 1 of 2 contributions\" "
             "at a fan-out). The walk starts from cleared gradients; after a finished :backward, :step says "
             "so and rebuilds the gradients one step at a time. :step back goes back one node (by replaying "
             "the walk from the start).", ":step    :step back"),
    "reset": ("Clears every gradient of the current root's graph and forgets the walk and the Trace: the "
              "toolbar says 'backward: not yet' and :step starts from the output.", ":reset"),
    "focus": ("One node's chain rule from the walk so far (or the last :backward): the upstream it got, its "
              "local gradients, and d root/d input = upstream × local for each input. A node the walk has "
              "not reached yet says so, with what it has received.", ":focus q"),
    "patterns": ("The lecture's gate patterns (add distributes, mul swaps, max routes, a copy adds) and "
                 "which nodes of the last backward show them.", ":patterns"),
    "zero_grad": ("Clears the gradient of every node of every tensor in the workspace (:reset clears only "
                  "the current graph).", ":zero_grad"),
    "render": ("Draws the graph (default: the current root) with values and gradients into a file; the "
               "extension picks the format (.svg, .png, .pdf, .dot). --focus NODE highlights one node's "
               "chain rule; --patterns labels the gates' patterns.",
               ":render f graph.svg --focus q --patterns"),
    "walk": ("Writes the backward walk as HTML frames, one per step, into a folder (default: ROOT_walk), "
             "with index.html to step through them. It never replaces an existing index.html unless you "
             "add --force.", ":walk f walk_dir"),
    "jacobian": ("The Jacobian of an expression (or a list of them) with respect to named tensors: the "
                 "engine's numbers, and for scalars SymPy's exact matrix checked against them.",
                 ":jacobian [x**4 + 3*y**2*x, 5*y**2 - 2*x*y + 1] wrt x, y"),
    "verify": ("With a tensor (default: the root), checks every gradient of its graph against SymPy's "
               "exact derivative; with an op name, checks that op's cases.", ":verify    :verify relu"),
    "lesson": ("Loads a lesson's lecture graph into the workspace: the lesson numbers and names of "
               "graphlab lesson (1-18, scalar_backprop, ...) or a graph's name (scalar, sigmoid, "
               "sigmoid_fused, vector, gates). A lesson without a graph is loaded as the module `lesson`.",
               ":lesson 1    :lesson sigmoid"),
    "save": ("Writes what you typed as a script that :load or graphlab repl < FILE replays. It never "
             "replaces an existing file unless you add --force.", ":save session.txt"),
    "load": ("Replays a saved session, line by line, printing each output.", ":load session.txt"),
    "history": ("The lines run so far, numbered.", ":history"),
    "quiz": ("Practice mode: the quiz walks a graph backward, step by step, in the engine's order, and "
             "asks each input's gradient on its own prompt; a plain line is your answer. Without LEVEL it "
             "quizzes the current graph; with a LEVEL (1/gates, 2/sigmoid, 3/fanout, 4/mlp, 5/batchnorm) a "
             "graph is drawn at random from --seed N (default: a fresh seed, printed so you can replay it). "
             "Answer with a number, a list ([[1, 2], [3, 4]]; one number fills every entry) or a rule over "
             "the names shown (upstream @ W.T, sum(upstream, axis=0), upstream * (z > 0)); a tensor step "
             "asks the shape first (2x4). Right within a relative 1e-3; a wrong answer is explained "
             "(upstream × local, the gate's pattern), 3 wrong tries show the answer. After each step: "
             "score N/M. Commands that would show the gradients wait until :quiz stop.",
             ":quiz gates    :quiz mlp --seed 7    :quiz stop"),
    "hint": ("During a quiz: the current step's local gradients and, for a tensor step, its rule and the "
             "names a rule can use.", ":hint"),
    "quit": ("Leaves the REPL (Ctrl-D does too).", ":quit"),
}


def details(name: str) -> str:
    """The help body for command ``name``, wrapped at 80 columns."""
    text, example = DETAILS.get(name, ("", ""))
    lines = textwrap.wrap(text, width=80, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines + [f"  example:  {example}"] if example else lines)
