"""The backward walk: upstream × local = downstream, node by node, in reverse topological order.

One code path serves ``Tensor.backward`` (run every Step at once), ``gl.backward_steps``
(one Step at a time, for the REPL and the walk diagrams) and ``gl.grad`` (gradients
returned instead of stored). The walk is iterative, so a 100,000-deep chain needs no
recursion; fan-out contributions are summed before a node is processed (the copy gate
is an adder) and the Step keeps them.
"""
from __future__ import annotations

import gc
from operator import attrgetter, is_not
from typing import Iterable, Optional

import numpy as np

from graphlab.argcheck import flag
from graphlab.autodiff.function import check_finite, quietly
from graphlab.autodiff.tensor import Tensor
from graphlab.autodiff.trace import Step, Trace
from graphlab.config import config, enable_grad
from graphlab.errors import BackwardError, ShapeError


_data_of = attrgetter("data")


def topological_order(roots: Iterable[Tensor], boundary: Iterable[Tensor] = ()) -> list:
    """Every node that needs a gradient, each after all of its inputs.

    A node's ``id`` comes from a creation counter and every input exists before the op that
    uses it, so sorting by id is a topological order (DeZero's "generation", for free). The
    search is iterative: a 100,000-deep chain needs no recursion. Nodes of ``boundary`` are
    in the order (reached or not) but their inputs are not searched: found before the search,
    they are never pushed, so the ordinary walk pays nothing for the option.
    """
    found = {node.id: node for node in boundary if node.requires_grad}
    stack = []
    for root in roots:
        if root.id not in found:
            found[root.id] = root
            stack.append(root)
    while stack:
        creator = stack.pop().creator
        if creator is not None:
            for parent in creator.inputs:
                if parent.requires_grad and parent.id not in found:
                    found[parent.id] = parent
                    stack.append(parent)
    return [found[node_id] for node_id in sorted(found)]


def _replaced(inputs: tuple, arrays: tuple) -> bool:
    """Was an input's data replaced (``t.data = ...``) since forward saw ``arrays``? Unrolled
    for binary ops: the general any(map(...)) cost 6% of a scalar graph's backward."""
    if len(inputs) == 2:
        return inputs[0].data is not arrays[0] or inputs[1].data is not arrays[1]
    return any(map(is_not, map(_data_of, inputs), arrays))


def graph_nodes(root: Tensor) -> list:
    """Every node of ``root``'s graph, constants included, inputs first (by creation)."""
    found, stack = {root.id: root}, [root]
    while stack:
        for parent in stack.pop().parents:
            if parent.id not in found:
                found[parent.id] = parent
                stack.append(parent)
    return [found[key] for key in sorted(found)]


def sum_to(gradient, shape: tuple):
    """Undo numpy broadcasting: sum ``gradient`` down to ``shape`` (arrays or Tensors)."""
    if gradient.shape == shape:
        return gradient
    extra = gradient.ndim - len(shape)
    if extra < 0:
        raise ShapeError(f"backward: gradient of shape {gradient.shape} cannot be summed to the "
                         f"input's shape {shape}; the op's backward returned too few dimensions")
    axes = tuple(range(extra)) + tuple(
        extra + axis for axis, size in enumerate(shape) if size == 1 and gradient.shape[extra + axis] != 1)
    summed = gradient.sum(axis=axes, keepdims=True) if axes else gradient
    try:
        return summed.reshape(shape)
    except ValueError as error:
        raise ShapeError(f"backward: gradient of shape {gradient.shape} does not broadcast to the input's "
                         f"shape {shape}; the op's backward returned a wrong shape") from error


def _seed(root: Tensor, grad, create_graph: bool):
    if grad is None:
        if root.data.size != 1:
            raise BackwardError(
                f"backward: {root.label} has shape {root.shape}, and a gradient can only be created "
                f"implicitly for one number. Reduce it first (e.g. {root.label}.sum()) or pass "
                f"grad= an array of shape {root.shape}")
        seed = np.ones(root.shape, dtype=root.dtype)
    else:
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
        if seed.shape != root.shape:
            raise ShapeError(f"backward: grad has shape {seed.shape} but {root.label} has shape "
                             f"{root.shape}; pass a gradient of the output's shape")
        seed = seed.astype(root.dtype, copy=False)
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor._from_op(seed, None, False)
    return seed


def _why_no_grad(root: Tensor) -> str:
    """Explain why ``root`` has no graph: name a comparison on the way if there is one."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node.id in seen or node.creator is None:
            continue
        seen.add(node.id)
        if not node.creator.differentiable:
            return (f"it depends on {node.label} = {node.op}(...), a comparison, which has no gradient; "
                    f"use the comparison as a mask (e.g. gl.where(cond, a, b)) instead of differentiating it")
        stack.extend(node.creator.inputs)
    return ("no input requires a gradient; create leaves with requires_grad=True (gl.scalar does) "
            "and do not build the graph under gl.no_grad()")


class BackwardWalk:
    """The backward walk as an iterator of Steps; ``run()`` does every step.

    >>> import graphlab as gl
    >>> x = gl.scalar(3.0, name="x")
    >>> walk = gl.backward_steps((x * x).named("y"))
    >>> print(next(walk))
    y = mul(x, x): upstream 1 × local (3, 3) = downstream (3, 3)
    >>> print(next(walk))
    x (leaf): gradient 6 [fan-out adds 3 + 3]
    """

    def __init__(self, roots, seeds, *, create_graph: bool = False, store_grads: bool = True):
        for root in roots:
            if not root.requires_grad:
                raise BackwardError(f"backward: {root.label} does not require grad: {_why_no_grad(root)}")
        self.create_graph = create_graph
        self.store_grads = store_grads
        self.order = self._order(roots)[::-1]   # outputs first
        self.trace = Trace()
        self.gradients = {}          # node id -> final gradient, kept only for gl.grad
        # node id -> (consumer, gradient) for one contribution, a list of them at a fan-out
        self._pending = {}
        for root, seed in zip(roots, seeds):
            self._receive(root.id, None, seed)
        self._position = 0

    @staticmethod
    def _order(roots) -> list:
        return topological_order(roots)

    def _receive(self, node_id: int, consumer, gradient) -> None:
        waiting = self._pending.get(node_id)
        if waiting is None:
            self._pending[node_id] = (consumer, gradient)
        elif type(waiting) is tuple:
            self._pending[node_id] = [waiting, (consumer, gradient)]
        else:
            waiting.append((consumer, gradient))

    @property
    def done(self) -> bool:
        return self._position >= len(self.order)

    @property
    def pending(self) -> list:
        """Nodes that have received some gradient but are not processed yet (the queue)."""
        return [node for node in self.order[self._position:] if node.id in self._pending]

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self.order)

    def run(self) -> Trace:
        # The walk allocates only acyclic objects (Steps, gradients), which reference counting
        # frees; pausing the cyclic collector spares a 100,000-node walk its full-heap passes.
        collector_was_on = gc.isenabled()
        gc.disable()
        try:
            for _ in self:
                pass
        finally:
            if collector_was_on:
                gc.enable()
        return self.trace

    def __next__(self) -> Step:
        order, pending = self.order, self._pending
        while self._position < len(order):
            node = order[self._position]
            self._position += 1
            waiting = pending.pop(node.id, None)
            if waiting is None:     # every consumer returned None for it: no gradient
                if self.store_grads and node.creator is not None:
                    node.grad = None
                continue
            return self._process(node, waiting)
        raise StopIteration

    def _process(self, node: Tensor, waiting) -> Step:
        if type(waiting) is tuple:
            upstream = waiting[1]
            contributions = ()
        else:
            contributions = tuple(waiting)
            upstream = contributions[0][1]
            for _, gradient in contributions[1:]:
                upstream = upstream + gradient    # copy gate: fan-out gradients add up
            if not self.create_graph and type(upstream) is not np.ndarray:
                upstream = np.asarray(upstream)   # 0-d sums come back as numpy scalars
        creator = node.creator
        step = Step(len(self.trace), node, upstream, (), contributions, creator)
        self.trace.append(step)
        upstream_array = upstream.data if self.create_graph else upstream
        if not self.store_grads:
            self.gradients[node.id] = upstream
        elif creator is None:      # leaves accumulate, as in PyTorch
            node.grad = upstream_array.copy() if node.grad is None else np.asarray(node.grad + upstream_array)
        else:                      # intermediate nodes: fresh on every walk
            node.grad = upstream_array
        if creator is not None:
            step.downstream = self._downstream(node, creator, upstream)
        return step

    def _downstream(self, node: Tensor, creator, upstream) -> tuple:
        """Call the op's backward, fit each gradient to its input, send it on: one per input."""
        downstream = self._call_backward(node, creator, upstream)
        result = []
        create_graph, anomaly = self.create_graph, config.anomaly
        for tensor, gradient in zip(creator.inputs, downstream):
            if gradient is None or not tensor.requires_grad:
                result.append(None)
                continue
            if type(gradient) is not np.ndarray and not create_graph:
                gradient = np.asarray(gradient)   # numpy returns scalars for 0-d math
            data = tensor.data
            if gradient.shape != data.shape or gradient.dtype is not data.dtype or create_graph or anomaly:
                gradient = self._fit_to_input(gradient, tensor, creator)   # the common case fits already
            # send: self._receive, inlined on this hot path
            waiting = self._pending.get(tensor.id)
            if waiting is None:
                self._pending[tensor.id] = (node, gradient)
            elif type(waiting) is tuple:
                self._pending[tensor.id] = [waiting, (node, gradient)]
            else:
                waiting.append((node, gradient))
            result.append(gradient)
        return tuple(result)

    def _call_backward(self, node: Tensor, creator, upstream) -> tuple:
        """``backward(ctx, upstream)`` as a tuple with one entry per input."""
        op_class = type(creator)
        # an in-place edit since the op ran (the global counter moved) or an input's data replaced
        if op_class.reads_inputs and (Tensor._inplace_epoch != creator._epoch
                                      or _replaced(creator.inputs, creator._arrays)):
            creator.check_unmodified(node.label)
        if self.create_graph:
            downstream = self._call_backward_on_tensors(node, creator, upstream)
        elif op_class.quiet_numpy or config.anomaly:
            # NaN/inf in a gradient are values (or an AnomalyError), not numpy warnings
            downstream = quietly(op_class.backward, (creator, upstream), {},
                                 upstream.size == 0 or any(tensor.data.size == 0 for tensor in creator.inputs))
        else:
            downstream = op_class.backward(creator, upstream)
        if type(downstream) is not tuple:
            downstream = (downstream,)
        if len(downstream) != len(creator.inputs):
            raise BackwardError(f"{creator.name}: backward returned {len(downstream)} gradients for "
                                f"{len(creator.inputs)} inputs; return one per input (None for constants)")
        return downstream

    @staticmethod
    def _call_backward_on_tensors(node: Tensor, creator, upstream):
        """create_graph=True: backward runs on Tensors (its saved arrays lifted back to the
        op's inputs and output), so the gradient is itself a graph that can be differentiated."""
        if not type(creator).higher_order:
            if type(creator).composed is not None:
                return _backward_through_twin(node, creator, upstream)
            raise BackwardError(
                f"{creator.name}: its backward is not differentiable, so create_graph=True (gradients "
                f"of gradients) cannot pass through {node.label}. Use create_graph=False, or write "
                f"its backward with Tensor operations and set higher_order = True (or give the op "
                f"a composed twin: composed(ctx, *inputs) built from differentiable ops)")
        inputs = creator.inputs

        def lift(array):
            for tensor in inputs:
                if array is tensor.data:
                    return tensor
            if array is node.data or array is creator._returned:
                return node
            return Tensor._from_op(array, None, False)

        creator._lift = lift
        try:
            with enable_grad(), np.errstate(all="ignore"):
                return type(creator).backward(creator, upstream)
        finally:
            creator._lift = None

    def _fit_to_input(self, gradient, tensor: Tensor, creator):
        """The gradient as an array (a Tensor under create_graph) of the input's shape and dtype:
        broadcast axes summed away (lecture 4: a gradient always has its variable's shape).
        Without create_graph, ``_downstream`` has already made a numpy scalar an array."""
        if self.create_graph and not isinstance(gradient, Tensor):
            gradient = Tensor._from_op(np.asarray(gradient), None, False)
        data = tensor.data
        if gradient.shape != data.shape:
            gradient = sum_to(gradient, data.shape)
        if gradient.dtype is not data.dtype and gradient.dtype != data.dtype:
            gradient = gradient.astype(data.dtype)
        if config.anomaly:
            check_finite(gradient, creator.name, f"backward (gradient for {tensor.label})", creator)
        return gradient


class _TwinWalk(BackwardWalk):
    """The walk over a fused op's composed twin only: it ends at the fused op's inputs, whose
    own inputs belong to the outer walk."""

    def __init__(self, output: Tensor, upstream: Tensor, inputs: tuple):
        self.inputs = inputs
        self._boundary = {tensor.id for tensor in inputs}
        super().__init__([output], [upstream], create_graph=True, store_grads=False)

    def _order(self, roots) -> list:
        return topological_order(roots, self.inputs)

    def _downstream(self, node: Tensor, creator, upstream) -> tuple:
        if node.id in self._boundary:        # an input of the fused op: the outer walk goes on
            return ()
        return super()._downstream(node, creator, upstream)


def _check_twin(node: Tensor, creator, output: Tensor) -> None:
    """The twin must give the fused node's output (to rounding): a parameter the twin does not
    mirror would otherwise give second derivatives of another function, silently."""
    if getattr(node, "_version", 0) > creator._epoch:     # the output was edited in place since
        return
    tolerance = 1e-3 if node.dtype.itemsize < 8 else 1e-8
    if output.shape == node.shape:
        finite = node.data[np.isfinite(node.data)]
        scale = float(np.abs(finite).max(initial=1.0))
        if np.allclose(output.data, node.data, rtol=tolerance, atol=tolerance * scale, equal_nan=True):
            return
    if output.shape != node.shape:
        differs = f"shape {output.shape} instead of {node.shape}"
    else:
        differs = f"values up to {np.nanmax(np.abs(output.data - node.data)):.3g} away from it"
    settings = ", ".join(f"{key}={value!r:.30}" for key, value in creator.params.items())
    raise BackwardError(
        f"{creator.name}: its composed twin does not reproduce {node.label} ({differs}), so "
        f"create_graph=True cannot pass through it: the twin does not know a setting of this call "
        f"({settings or 'the defaults'}). Use create_graph=False, or teach "
        f"{type(creator).__name__}.composed that setting")


def _backward_through_twin(node: Tensor, creator, upstream: Tensor) -> tuple:
    """create_graph=True through a fused op whose numpy backward cannot be differentiated:
    rebuild its output from its composed twin (the same math in primitive ops) on the op's
    input Tensors, and walk ``upstream`` back through that small graph. The gradients it
    returns are Tensors computed from the inputs, so they can be differentiated again; the
    first-order walk (create_graph=False) never comes here and keeps the fused backward."""
    inputs = creator.inputs
    with enable_grad(), np.errstate(all="ignore"):
        output = type(creator).composed(creator, *inputs)
        _check_twin(node, creator, output)
        walk = _TwinWalk(output, upstream, inputs)
        walk.run()
    downstream, seen = [], set()
    for tensor in inputs:
        # an input given twice (conv2d(x, x)) has one gradient, the sum: sent once
        first = tensor.requires_grad and tensor.id not in seen
        downstream.append(walk.gradients.get(tensor.id) if first else None)
        seen.add(tensor.id)
    return tuple(downstream)


def backward(root: Tensor, grad=None, *, create_graph: bool = False, record: bool = True) -> Optional[Trace]:
    """Run the whole walk from ``root``; see ``Tensor.backward``."""
    if not flag(record, "record", "backward"):
        if create_graph:
            raise BackwardError("backward: record=False keeps only the leaves' gradients, but create_graph=True "
                                "needs the gradient graph; use one or the other")
        return _UnrecordedWalk([root], [_seed(root, grad, False)]).run()
    return BackwardWalk([root], [_seed(root, grad, create_graph)], create_graph=create_graph).run()


class _UnrecordedWalk(BackwardWalk):
    """``backward(record=False)``, for training: the same gradients into the leaves' ``.grad``, but
    no Trace and no ``.grad`` on intermediate nodes (PyTorch's default). A recorded walk keeps
    every upstream and downstream gradient, as large as the activations they belong to: for a
    CNN step that is a second copy of its activations. Here each gradient is gone
    once its node has passed it on."""

    def run(self) -> None:
        super().run()
        return None

    def _process(self, node: Tensor, waiting) -> None:
        if type(waiting) is tuple:
            upstream = waiting[1]
        else:
            upstream = waiting[0][1]
            for _, gradient in waiting[1:]:
                upstream = upstream + gradient    # copy gate: fan-out gradients add up
            if type(upstream) is not np.ndarray:
                upstream = np.asarray(upstream)
        creator = node.creator
        if creator is None:        # leaves accumulate, as in PyTorch
            node.grad = upstream.copy() if node.grad is None else np.asarray(node.grad + upstream)
            return None
        if node.grad is not None:  # from an earlier recorded walk: it would no longer match
            node.grad = None
        self._downstream(node, creator, upstream)
        return None


def backward_steps(root: Tensor, grad=None) -> BackwardWalk:
    """The same walk as ``root.backward()``, one Step per ``next()``; it ends in the same gradients."""
    return BackwardWalk([root], [_seed(root, grad, False)])
