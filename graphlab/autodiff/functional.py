"""Gradients as functions: ``grad``, ``jacobian``, ``hessian``, built on the backward walk."""
from __future__ import annotations

from typing import Callable

import numpy as np

from graphlab.autodiff.engine import BackwardWalk, _seed
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import BackwardError, GraphlabError, ShapeError


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, allow_unused: bool = False):
    """d outputs / d inputs as Tensors (PyTorch's ``torch.autograd.grad``), leaving ``.grad`` alone.

    With ``create_graph=True`` the returned gradients are part of the graph and can be
    differentiated again (second derivatives, Hessian-vector products).

    >>> import graphlab as gl
    >>> x = gl.scalar(2.0)
    >>> (dy_dx,) = gl.grad(x ** 3, x, create_graph=True)
    >>> dy_dx.item(), gl.grad(dy_dx, x)[0].item()
    (12.0, 12.0)
    """
    output_list = _tensors(outputs, "grad", "outputs", "the Tensor(s) to differentiate, e.g. y")
    input_list = _tensors(inputs, "grad", "inputs", "the leaf Tensor(s) to differentiate by, e.g. x")
    seeds_given = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(output_list)
    if len(seeds_given) != len(output_list):
        raise BackwardError(f"grad: {len(output_list)} outputs but {len(seeds_given)} grad_outputs")
    seeds = [_seed(output, seed, create_graph) for output, seed in zip(output_list, seeds_given)]
    walk = BackwardWalk(output_list, seeds, create_graph=create_graph, store_grads=False)
    walk.run()
    results = []
    for tensor in input_list:
        gradient = walk.gradients.get(tensor.id)
        if gradient is None:
            if not allow_unused:
                raise BackwardError(f"grad: {tensor.label} is not used to compute the outputs (or does not "
                                    f"require grad); pass allow_unused=True to get None for it")
            results.append(None)
        elif create_graph:
            results.append(gradient)
        else:
            results.append(Tensor._from_op(gradient, None, False))
    return tuple(results)


def _tensors(value, function: str, argument: str, what: str) -> list:
    """``value`` as a list of Tensors, or a TypeError naming the argument."""
    items = _as_list(value)
    for item in items:
        if not isinstance(item, Tensor):
            raise TypeError(f"{function}: {argument} must be Tensors ({what}), got {type(item).__name__} "
                            f"{item!r:.40}; wrap numbers with gl.tensor(..., requires_grad=True)")
    return items


def _output_of(function: Callable, leaves: list, where: str) -> Tensor:
    """``function(*leaves)`` checked to be a Tensor; a constant result is a Tensor without graph."""
    output = function(*leaves)
    if not isinstance(output, Tensor):
        try:
            output = Tensor(output, dtype=leaves[0].dtype if leaves else None)
        except GraphlabError:
            raise TypeError(f"{where}: the function must return a Tensor (or numbers), got "
                            f"{type(output).__name__}") from None
    return output


def _vjp_rows(function_outputs: Tensor, input_list: list, create_graph: bool) -> list:
    """One vector-Jacobian product per output element: row k of each input's Jacobian."""
    per_input = [[] for _ in input_list]
    size = function_outputs.data.size
    for position in range(size):
        one_hot = np.zeros(size, dtype=function_outputs.dtype)
        one_hot[position] = 1
        gradients = grad(function_outputs, input_list, grad_outputs=one_hot.reshape(function_outputs.shape),
                         create_graph=create_graph, allow_unused=True)
        for store, tensor, gradient in zip(per_input, input_list, gradients):
            store.append(np.zeros(tensor.shape, dtype=tensor.dtype) if gradient is None else gradient.data)
    return per_input


def _leaves(inputs) -> list:
    return [item if isinstance(item, Tensor) else Tensor(item) for item in _as_list(inputs)]


def jacobian(function: Callable, inputs):
    """d function(*inputs) / d inputs as numpy arrays of shape ``output.shape + input.shape``.

    One array for one input, a tuple for several.

    >>> import graphlab as gl
    >>> gl.jacobian(lambda v: v.relu(), gl.tensor([1., -2., 3., -1.]))
    array([[1., 0., 0., 0.],
           [0., 0., 0., 0.],
           [0., 0., 1., 0.],
           [0., 0., 0., 0.]], dtype=float32)
    """
    single = not isinstance(inputs, (list, tuple))
    leaves = [leaf.detach().requires_grad_() for leaf in _leaves(inputs)]
    output = _output_of(function, leaves, "jacobian")
    if not output.requires_grad:     # the output does not depend on the inputs: zeros (PyTorch, strict=False)
        zeros = tuple(np.zeros(output.shape + leaf.shape, dtype=leaf.dtype) for leaf in leaves)
        return zeros[0] if single else zeros
    rows = _vjp_rows(output, leaves, create_graph=False)
    result = tuple(np.stack(store).reshape(output.shape + leaf.shape) if store else
                   np.zeros(output.shape + leaf.shape, dtype=leaf.dtype) for store, leaf in zip(rows, leaves))
    return result[0] if single else result


def hessian(function: Callable, inputs):
    """Second derivatives of a scalar function: shape ``input.shape + input.shape``.

    For several inputs, a nested tuple ``H[i][j] = d² f / d input_i d input_j``.
    """
    single = not isinstance(inputs, (list, tuple))
    leaves = [leaf.detach().requires_grad_() for leaf in _leaves(inputs)]
    output = _output_of(function, leaves, "hessian")
    if output.data.size != 1:
        raise BackwardError(f"hessian: the function returns shape {output.shape}; a Hessian needs one number")
    if not output.requires_grad:     # constant in the inputs: every second derivative is 0
        zeros = tuple(tuple(np.zeros(a.shape + b.shape, dtype=a.dtype) for b in leaves) for a in leaves)
        return zeros[0][0] if single else zeros
    first = grad(output, leaves, create_graph=True, allow_unused=True)
    blocks = []
    for gradient, leaf_i in zip(first, leaves):
        if gradient is None or not gradient.requires_grad:   # constant gradient: zero second derivative
            blocks.append(tuple(np.zeros(leaf_i.shape + leaf_j.shape, dtype=leaf_i.dtype) for leaf_j in leaves))
            continue
        rows = _vjp_rows(gradient, leaves, create_graph=False)
        blocks.append(tuple(np.stack(store).reshape(leaf_i.shape + leaf_j.shape) for store, leaf_j in zip(rows, leaves)))
    return blocks[0][0] if single else tuple(blocks)


def hvp(function: Callable, inputs, vector):
    """Hessian-vector product H v by differentiating (∇f · v): never builds H."""
    leaf = _leaves(inputs)[0].detach().requires_grad_()
    (gradient,) = grad(function(leaf), leaf, create_graph=True)
    direction = vector if isinstance(vector, Tensor) else Tensor(vector, dtype=leaf.dtype)
    if direction.shape != leaf.shape:
        raise ShapeError(f"hvp: vector has shape {direction.shape} but the input has shape {leaf.shape}; "
                         f"pass a vector of the input's shape")
    (product,) = grad((gradient * direction).sum(), leaf)
    return product.data
