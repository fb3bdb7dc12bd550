"""What a diagram shows, before anything is drawn: nodes, edges, gradients and collapsed boxes.

Pure Python over Tensors and Traces (no graphviz), shared by ``dot.py`` (Graphviz),
``walk.py`` (frames) and ``text.py`` (terminals):

* ``GraphView`` numbers the nodes ``n0, n1, ...`` in topological order, per graph (the DOT
  ids, so a diagram's DOT text does not depend on how many tensors were made before), names
  each node for people by ``Tensor.label`` (the one name the REPL and Traces use too: ``q``,
  ``features.0.weight``, ``t12``), and folds scalar constants into their gate (``+1``, ``*-1``,
  ``1/x``, as the lecture draws them).
* ``LiveGradients`` reads gradients from the tensors (after ``backward``); ``TraceGradients``
  reads them from a Trace, optionally only its first k Steps (a frame of the backward walk).
* ``Grouping`` collapses nodes into boxes by scope (``gl.scope`` / nn modules), by scope depth,
  or, for graphs with no scopes, by runs of consecutive nodes.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Optional

import numpy as np

from graphlab.autodiff.engine import sum_to
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.trace import Trace
from graphlab.errors import GraphlabError
from graphlab.viz import labels

#: captions spell an unnamed node as its formula when it is at most this long
MAX_FORMULA = 40
#: precedence of the infix ops when spelling formulas (higher binds tighter)
ADDITIVE, MULTIPLICATIVE, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
INFIX = {"add": ("+", ADDITIVE), "sub": ("-", ADDITIVE), "mul": ("*", MULTIPLICATIVE),
         "div": ("/", MULTIPLICATIVE), "matmul": ("@", MULTIPLICATIVE), "pow": ("**", POWER)}

#: binary gates a scalar constant is folded into (``x + 1`` draws as one ``+1`` gate)
FOLDABLE = frozenset({"add", "sub", "mul", "div", "maximum", "minimum", "pow"})


class VizError(GraphlabError, ValueError):
    """A diagram that cannot be made as asked (unknown option, node not in the graph, ...)."""


def reachable(root: Tensor) -> list:
    """Every tensor ``root`` depends on (constants and no-grad data included), in topological
    order: a node's ``id`` comes from a creation counter, so sorting by it puts inputs first.
    Iterative, so a 100,000-deep chain needs no recursion."""
    found = {root.id: root}
    stack = [root]
    while stack:
        creator = stack.pop().creator
        if creator is not None:
            for parent in creator.inputs:
                if parent.id not in found:
                    found[parent.id] = parent
                    stack.append(parent)
    return [found[node_id] for node_id in sorted(found)]


def _is_plain_constant(tensor: Tensor) -> bool:
    return (tensor.creator is None and not tensor.requires_grad and tensor.given_name is None
            and tensor.data.size == 1)


class GraphView:
    """The nodes of the graph under ``root``, numbered in topological order.

    ``nodes[i]`` has the DOT id ``n{i}`` and is shown as ``name(nodes[i])``; ``slots[i]`` lists
    the (consumer, input position) pairs that read node i; ``folded[i]`` the (position, constant)
    pairs drawn inside gate i.
    """

    def __init__(self, root: Tensor):
        if not isinstance(root, Tensor):
            raise VizError(f"draw: expected a graphlab Tensor (or a Trace), got {type(root).__name__}")
        self.root = root
        everything = reachable(root)
        readers = defaultdict(list)
        for tensor in everything:
            if tensor.creator is not None:
                for position, parent in enumerate(tensor.creator.inputs):
                    readers[parent.id].append((tensor, position))
        folded_ids = set()
        folded = {}
        for tensor in everything:
            creator = tensor.creator
            if creator is None or creator.name not in FOLDABLE or len(creator.inputs) != 2:
                continue
            constant_positions = [position for position, parent in enumerate(creator.inputs)
                                  if _is_plain_constant(parent) and len(readers[parent.id]) == 1]
            if len(constant_positions) == 1:
                position = constant_positions[0]
                constant = creator.inputs[position]
                folded_ids.add(constant.id)
                folded[tensor.id] = ((position, constant),)
        self.nodes = [tensor for tensor in everything if tensor.id not in folded_ids]
        self.number = {tensor.id: index for index, tensor in enumerate(self.nodes)}
        self.folded = {self.number[node_id]: pairs for node_id, pairs in folded.items()}
        self.slots = {index: [(consumer, position) for consumer, position in readers[tensor.id]]
                      for index, tensor in enumerate(self.nodes)}
        #: the lecture's style (op circles, numbers on the edges) when every node is one number
        self.scalar_style = all(tensor.data.ndim == 0 for tensor in self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def key(self, tensor: Tensor) -> str:
        """The node's DOT id in this diagram (``n3``): internal, never shown to people."""
        return f"n{self.number[tensor.id]}"

    @staticmethod
    def name(tensor: Tensor) -> str:
        """The node's display name, as every view shows it: ``Tensor.label`` (``q``,
        ``features.0.weight``, ``t12``)."""
        return tensor.label

    def title(self, tensor: Tensor) -> str:
        """A node and how it is computed: ``q = x + y``; unnamed: ``w0 * x0 + w1 * x1 [t12]``."""
        if tensor.creator is None:
            return self.name(tensor)
        if tensor.given_name is not None:
            return f"{tensor.given_name} = {self.formula(tensor)}"
        return f"{self.formula(tensor)} [{self.name(tensor)}]"

    def describe(self, tensor: Tensor) -> str:
        """Words for a node in captions: its name, else how it is computed with its name in
        brackets (``w0 * x0 [t12]``), else its gate and name when that is long (``+ gate [t12]``)."""
        if tensor.given_name is not None or tensor.creator is None:
            return self.name(tensor)
        text, _, complete = self._formula(tensor, 8, top=True)
        if complete and len(text) <= MAX_FORMULA:
            return f"{text} [{self.name(tensor)}]"
        return f"{self.symbol(tensor)} gate [{self.name(tensor)}]"

    def input_names(self, tensor: Tensor, precision: int = 4) -> list:
        """How captions (and the quiz) name each input of ``tensor``'s gate: ``x``, ``w0 * x0
        [t12]``, a folded constant by its value; ``x (input 1)``, ``x (input 2)`` for ``x * x``."""
        names = [self.describe(parent) if parent.id in self.number else labels.values(parent.data, precision)
                 for parent in tensor.creator.inputs]
        if len(set(names)) < len(names):   # x * x: say which input is which
            names = [f"{name} (input {index + 1})" for index, name in enumerate(names)]
        return names

    def formula(self, tensor: Tensor, depth: Optional[int] = None, limit: int = 2 * MAX_FORMULA) -> str:
        """How ``tensor`` is computed, unnamed inputs spelled out ``depth`` levels deep (by default
        as deep as fits in ``limit`` characters): ``w0 * x0 + w1 * x1``, ``1 / (1 + exp(-s))``."""
        if depth is not None:
            return self._formula(tensor, depth, top=True)[0]
        text, _, complete = self._formula(tensor, 1, top=True)
        for deeper in range(2, 8):
            if complete:
                break
            candidate, _, complete = self._formula(tensor, deeper, top=True)
            if len(candidate) > limit:
                break
            text = candidate
        return text

    def _formula(self, tensor: Tensor, depth: int, top: bool) -> tuple:
        """(text, precedence, complete): leaves and named nodes by name unless at the top;
        ``complete`` is False when ``depth`` cut an unnamed node short (it shows as ``t5``)."""
        if tensor.id not in self.number:          # a constant folded into its gate
            return labels.values(tensor.data), ATOM, True
        creator = tensor.creator
        if creator is None and tensor.given_name is None and not tensor.requires_grad and tensor.data.size == 1:
            return labels.values(tensor.data), ATOM, True     # a constant: its value
        if creator is None or (not top and tensor.given_name is not None):
            return self.name(tensor), ATOM, True
        if not top and depth <= 0:
            return self.name(tensor), ATOM, False
        op = creator.name
        parts = [self._formula(parent, depth - 1, top=False) for parent in creator.inputs]
        complete = all(part[2] for part in parts)
        if op in INFIX and len(parts) == 2:
            symbol, precedence = INFIX[op]
            (left, left_precedence, _), (right, right_precedence, _) = parts
            # (a ** b) ** c: equal precedence on the left of the right-associative ** needs brackets
            if left_precedence < precedence or (left_precedence == precedence and op == "pow"):
                left = f"({left})"
            # a - (b - c), a / (b * c): equal precedence on the right needs brackets (not for + * **)
            if right_precedence < precedence or (right_precedence == precedence and op not in ("add", "mul", "pow")):
                right = f"({right})"
            return f"{left} {symbol} {right}", precedence, complete
        if op == "neg":
            text, precedence, _ = parts[0]
            return "-" + (text if precedence >= UNARY else f"({text})"), UNARY, complete
        return f"{op}({', '.join(part[0] for part in parts)})", ATOM, complete

    def symbol(self, tensor: Tensor) -> str:
        return labels.op_symbol(tensor, self.folded.get(self.number[tensor.id], ()))

    def inputs(self, tensor: Tensor) -> list:
        """(position, input) pairs that are drawn (folded constants left out)."""
        if tensor.creator is None:
            return []
        folded_positions = {position for position, _ in self.folded.get(self.number[tensor.id], ())}
        return [(position, parent) for position, parent in enumerate(tensor.creator.inputs)
                if position not in folded_positions]

    def is_fan_out(self, tensor: Tensor) -> bool:
        return len(self.slots[self.number[tensor.id]]) > 1

    def find(self, node) -> Tensor:
        """A node given as a Tensor of this graph or by its display name (``q``, ``t12``,
        ``features.0.weight``); the DOT id (``n3``) is still accepted."""
        if isinstance(node, Tensor):
            if node.id in self.number:
                return node
            raise VizError(f"focus: {node.label} is not in the graph of {self.name(self.root)}; "
                           f"pass one of its nodes (or its name)")
        matches = [tensor for tensor in self.nodes if tensor.label == node]
        if not matches:
            matches = [tensor for tensor in self.nodes if self.key(tensor) == node]
        if len(matches) == 1:
            return matches[0]
        names = ", ".join(sorted({tensor.given_name for tensor in self.nodes if tensor.given_name})) or "none"
        problem = "names several nodes" if matches else "names no node"
        raise VizError(f"focus: {node!r} {problem} of this graph; named nodes: {names}")


# -- where gradients come from -------------------------------------------------------------------
class LiveGradients:
    """Gradients as the tensors hold them after ``backward`` (None before: drawn as '?').

    An edge's gradient is what its consumer sent back along it. With one reader that is the
    node's own gradient; at a fan-out each branch's share is recomputed from the consumer's
    backward with the consumer's gradient (the same numbers the walk produced).
    """

    def __init__(self, view: GraphView):
        self.view = view
        self._downstream = {}

    def node(self, tensor: Tensor):
        return tensor.grad if tensor.requires_grad else None

    def edge(self, tensor: Tensor, consumer: Tensor, position: int):
        if not tensor.requires_grad:
            return None
        if not self.view.is_fan_out(tensor):
            return tensor.grad
        downstream = self.downstream(consumer)
        return None if downstream is None else downstream[position]

    def downstream(self, consumer: Tensor) -> Optional[tuple]:
        """What ``consumer``'s gate sent to each of its inputs (None before backward)."""
        if consumer.id not in self._downstream:
            self._downstream[consumer.id] = _recompute_downstream(consumer)
        return self._downstream[consumer.id]

    def known(self, tensor: Tensor) -> bool:
        return tensor.grad is not None


def _recompute_downstream(consumer: Tensor) -> Optional[tuple]:
    creator, upstream = consumer.creator, consumer.grad
    if creator is None or upstream is None:
        return None
    result = type(creator).backward(creator, np.asarray(upstream))
    result = result if isinstance(result, tuple) else (result,)
    downstream = []
    for tensor, gradient in zip(creator.inputs, result):
        if gradient is None or not tensor.requires_grad:
            downstream.append(None)
        else:
            downstream.append(sum_to(np.asarray(gradient), tensor.shape))
    return tuple(downstream)


class TraceGradients:
    """Gradients as a Trace recorded them, after its first ``upto + 1`` Steps (all by default).

    This is what a frame of the backward walk shows: final gradients of the nodes processed so
    far, the contributions sent along each edge so far, and the queue still waiting.
    """

    def __init__(self, trace: Trace, upto: Optional[int] = None):
        self.trace = trace
        last = len(trace) - 1 if upto is None else upto
        self.steps = trace[:last + 1]
        self._step_of = {step.node.id: step for step in self.steps}
        self._future = {step.node.id: step.index for step in trace[last + 1:]}

    def node(self, tensor: Tensor):
        step = self._step_of.get(tensor.id)
        return None if step is None else step.upstream

    def edge(self, tensor: Tensor, consumer: Tensor, position: int):
        step = self._step_of.get(consumer.id)
        if step is None or not step.downstream:
            return None
        return step.downstream[position]

    def downstream(self, consumer: Tensor) -> Optional[tuple]:
        step = self._step_of.get(consumer.id)
        return None if step is None or not step.downstream else step.downstream

    def known(self, tensor: Tensor) -> bool:
        return tensor.id in self._step_of

    def pending(self) -> list:
        """Nodes that have received some gradient but are not processed yet, in the order the
        walk will process them (the engine's ``BackwardWalk.pending``)."""
        received = {tensor.id for tensor, _ in self._sent()}
        waiting = [node_id for node_id in received if node_id in self._future]
        waiting.sort(key=self._future.__getitem__)
        by_id = {step.node.id: step.node for step in self.trace}
        return [by_id[node_id] for node_id in waiting]

    def received(self, tensor: Tensor) -> list:
        """The gradients a pending node has received so far (its fan-out sum in progress)."""
        return [gradient for input_tensor, gradient in self._sent() if input_tensor is tensor]

    def _sent(self):
        """(input, gradient) for every gradient the Steps so far sent down an edge."""
        for step in self.steps:
            for tensor, gradient in zip(step.inputs, self.downstream(step.node) or ()):
                if gradient is not None:
                    yield tensor, gradient



class QuestionGradients(TraceGradients):
    """A quiz question's frame: Step ``upto`` has begun (its node's gradient is final) but has
    sent nothing to its inputs yet, so their edges read '?' until the student answers."""

    def __init__(self, trace: Trace, upto: int):
        super().__init__(trace, upto)
        self._asking = trace[upto].node.id

    def edge(self, tensor: Tensor, consumer: Tensor, position: int):
        return None if consumer.id == self._asking else super().edge(tensor, consumer, position)

    def downstream(self, consumer: Tensor) -> Optional[tuple]:
        return None if consumer.id == self._asking else super().downstream(consumer)

# -- collapsing into boxes -------------------------------------------------------------------------
class Group:
    """One box of a collapsed diagram."""

    def __init__(self, index: int, key: tuple, title: str):
        self.index = index
        self.key = key            # the scope tuple, or ("#run", k) for a run of consecutive nodes
        self.title = title
        self.members = []         # tensors, in topological order
        self.inputs = []          # tensors from outside read by a member
        self.outputs = []         # members read outside (or the root)
        self.parameters = 0       # elements of the leaves that need gradients (weights, biases)
        self.op_counts = Counter()

    @property
    def scope(self) -> tuple:
        """Enclosing scope (drawn as the cluster around this box)."""
        return self.key[:-1] if self.key and self.key[0] != "#run" else ()

    def __repr__(self) -> str:
        return f"<Group {self.title}: {len(self.members)} nodes>"


class Grouping:
    """Which box each node goes in. ``group_of[number] -> Group``; ungrouped nodes stay nodes."""

    def __init__(self, view: GraphView, keys: dict, titles: Optional[dict] = None, note: str = ""):
        self.view = view
        self.note = note
        self.groups = []
        self.group_of = {}
        by_key = {}
        for index, tensor in enumerate(view.nodes):
            key = keys.get(index)
            if key is None:
                continue
            group = by_key.get(key)
            if group is None:
                title = (titles or {}).get(key) or "/".join(key)
                group = by_key[key] = Group(len(self.groups), key, title)
                self.groups.append(group)
            group.members.append(tensor)
            self.group_of[index] = group
        # boxes in the order of their first op (a weight made early does not move its layer first)
        def first_op(group: Group) -> int:
            ops = [view.number[t.id] for t in group.members if t.creator is not None]
            return min(ops) if ops else view.number[group.members[0].id]
        self.groups.sort(key=first_op)
        for index, group in enumerate(self.groups):
            group.index = index
            self._describe(group)

    def _describe(self, group: Group) -> None:
        view = self.view
        inside = {tensor.id for tensor in group.members}
        seen_inputs = set()
        for tensor in group.members:
            if tensor.creator is None:
                if tensor.requires_grad:
                    group.parameters += tensor.data.size
                continue
            group.op_counts[tensor.op] += 1
            for _, parent in view.inputs(tensor):
                if parent.id not in inside and parent.id not in seen_inputs:
                    seen_inputs.add(parent.id)
                    group.inputs.append(parent)
        for tensor in group.members:
            readers = view.slots[view.number[tensor.id]]
            if tensor is view.root or any(consumer.id not in inside for consumer, _ in readers):
                group.outputs.append(tensor)

    @property
    def size(self) -> int:
        """How many things are drawn: the boxes plus the nodes left outside them."""
        return len(self.groups) + len(self.view.nodes) - len(self.group_of)


def _absorb_leaves(view: GraphView, keys: dict) -> None:
    """Weights and biases (leaves that need gradients) and scalar constants with no scope of
    their own join the box of their readers when all readers are in one box; data inputs stay
    outside, so a box reads like a layer: input -> [layer] -> output."""
    for index, tensor in enumerate(view.nodes):
        if index in keys or tensor.creator is not None:
            continue
        if not (tensor.requires_grad or tensor.data.size == 1 and tensor.given_name is None):
            continue
        reader_keys = {keys.get(view.number[consumer.id]) for consumer, _ in view.slots[index]}
        if len(reader_keys) == 1 and None not in reader_keys:
            keys[index] = reader_keys.pop()


def scope_keys(view: GraphView, depth: Optional[int]) -> dict:
    """Box of each node: its scope (``modules``) or the scope cut to ``depth`` names."""
    keys = {}
    for index, tensor in enumerate(view.nodes):
        scope = tensor.scope
        if scope:
            keys[index] = tuple(scope) if depth is None else tuple(scope[:depth])
    _absorb_leaves(view, keys)
    return keys


def run_keys(view: GraphView, boxes: int) -> tuple:
    """For graphs without scopes: runs of consecutive ops (topological order) make the boxes;
    each leaf joins the run of its first reader."""
    op_numbers = [index for index, tensor in enumerate(view.nodes) if tensor.creator is not None]
    if not op_numbers:
        return {}, {}
    per_box = max(1, math.ceil(len(op_numbers) / max(1, boxes)))
    keys, titles = {}, {}
    for rank, index in enumerate(op_numbers):
        key = ("#run", rank // per_box)
        keys[index] = key
    for key_index in range(math.ceil(len(op_numbers) / per_box)):
        chunk = [view.nodes[index] for index in op_numbers[key_index * per_box:(key_index + 1) * per_box]]
        titles[("#run", key_index)] = f"{chunk[0].label}-{chunk[-1].label}" if len(chunk) > 1 else chunk[0].label
    for index, tensor in enumerate(view.nodes):
        if tensor.creator is None and view.slots[index]:
            first_reader = min(view.number[consumer.id] for consumer, _ in view.slots[index])
            keys[index] = keys[first_reader]
    return keys, titles


def _describe_collapse(collapse) -> str:
    return "collapse='modules'" if collapse == "modules" else f"collapse={collapse!r}"


def plan(view: GraphView, collapse=None, max_nodes: Optional[int] = 150) -> Optional[Grouping]:
    """The Grouping to draw, or None to draw every node.

    ``collapse`` is None (automatic: only graphs above ``max_nodes``), ``"modules"`` (one box
    per scope) or an int depth (scopes cut to that many names). A graph still above
    ``max_nodes`` is collapsed further, automatically, and the Grouping's ``note`` says how.
    """
    _check_plan_options(collapse, max_nodes)
    total = len(view)
    too_many = max_nodes is not None and total > max_nodes
    if collapse is None and not too_many:
        return None
    if collapse is not None:
        depth = None if collapse == "modules" else collapse
        grouping = Grouping(view, scope_keys(view, depth))
        if max_nodes is None or grouping.size <= max_nodes:
            return grouping
        reason = (f"{_describe_collapse(collapse)} still leaves {count_text(grouping.size)} boxes and nodes, "
                  f"more than max_nodes={max_nodes}")
    else:
        reason = f"{count_text(total)} nodes, more than max_nodes={max_nodes}"
        grouping = _scope_grouping_that_fits(view, max_nodes, reason)
        if grouping is not None:
            return grouping
    return _run_grouping(view, max_nodes, reason)


def _check_plan_options(collapse, max_nodes) -> None:
    if collapse is not None and collapse != "modules" and not (isinstance(collapse, int) and collapse >= 1
                                                                and not isinstance(collapse, bool)):
        raise VizError(f"draw: collapse={collapse!r} is not an option; use None, 'modules' or a depth >= 1 "
                       f"(how many scope names to keep)")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise VizError(f"draw: max_nodes={max_nodes!r} must be a positive int or None (no limit)")


def _scope_grouping_that_fits(view: GraphView, max_nodes: int, reason: str) -> Optional[Grouping]:
    """The finest scope grouping (whole scopes, then shallower cuts) with at most ``max_nodes``
    boxes and nodes; None when no scope grouping fits (or the graph has no scopes)."""
    deepest = max((len(tensor.scope) for tensor in view.nodes), default=0)
    for depth in [None, *range(deepest - 1, 0, -1)] if deepest else []:
        grouping = Grouping(view, scope_keys(view, depth))
        if grouping.size <= max_nodes:
            how = "collapse='modules'" if depth is None else f"collapse={depth}"
            grouping.note = (f"{reason}: collapsed automatically by scope ({how}). "
                             f"Pass max_nodes=None to draw every node.")
            return grouping
    return None


def _run_grouping(view: GraphView, max_nodes: int, reason: str) -> Grouping:
    """The last resort: at most 40 boxes of consecutive nodes in topological order."""
    boxes = max(1, min(max_nodes // 2, 40))
    keys, titles = run_keys(view, boxes)
    grouping = Grouping(view, keys, titles)
    grouping.note = (f"{reason}: collapsed automatically into {len(grouping.groups)} boxes of consecutive "
                     f"nodes (topological order). Use gl.scope() to name parts, or pass max_nodes=None "
                     f"to draw every node.")
    return grouping


def count_text(value: int) -> str:
    return f"{value:,}"
