"""PyTorch's functions and tensor methods, as ``torch.fx`` records them, written with graphlab ops.

An imported model replays its traced graph: each ``call_function`` node calls the adapter of
its target here, each ``call_method`` node the adapter of its method name. The adapters take
PyTorch's arguments under PyTorch's names (``dim``, ``keepdim``, ``start_dim``) and call the
graphlab op that computes the same thing, so the replayed graph is made of graphlab nodes.
Values that are not tensors (``x.size(0)``, ``x.shape[1] * 2``) stay plain Python numbers.

>>> import graphlab as gl
>>> x = gl.tensor([[1.0, -2.0], [3.0, 4.0]])
>>> METHODS["mean"](x, dim=1, keepdim=True).shape, METHODS["size"](x, 0)
((2, 1), 2)
"""
from __future__ import annotations

import operator

from graphlab import functional as F
from graphlab import ops
from graphlab.autodiff.tensor import Tensor
from graphlab.interop.extras import UnsupportedError


def _is_tensor(*values) -> bool:
    return any(isinstance(value, Tensor) for value in values)


def _binary(python_operator, graphlab_op):
    """An arithmetic operator: graphlab's op when a tensor is involved, Python's on plain numbers
    (the shape arithmetic fx records, such as ``x.size(0) * 2``)."""
    def apply(input, other, *, alpha=1, out=None):
        if out is not None:
            raise UnsupportedError(f"{graphlab_op.__name__}: out= is not supported; use the returned tensor")
        if alpha != 1:
            other = ops.mul(other, alpha) if _is_tensor(other) else other * alpha
        if _is_tensor(input, other):
            return graphlab_op(input, other)
        return python_operator(input, other)
    apply.__name__ = graphlab_op.__name__
    return apply


def _axes(dim):
    """PyTorch's ``dim`` (an int, a tuple, a list, or None) as graphlab's ``axis``."""
    return tuple(dim) if isinstance(dim, list) else dim


# -- activations and softmax ------------------------------------------------------------------------
def relu(input, inplace=False):
    return ops.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return ops.leaky_relu(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return ops.elu(input, alpha)


def selu(input, inplace=False):
    return F.selu(input)


def gelu(input, approximate="none"):
    return F.gelu(input, approximate)


def sigmoid(input):
    return ops.sigmoid(input)


def tanh(input):
    return ops.tanh(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    _needs_dim("softmax", dim, dtype)
    return ops.softmax(input, axis=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    _needs_dim("log_softmax", dim, dtype)
    return ops.log_softmax(input, axis=dim)


def _needs_dim(name: str, dim, dtype) -> None:
    if dim is None:
        raise UnsupportedError(f"{name}: give dim= explicitly (PyTorch's implicit dim is deprecated)")
    if dtype is not None:
        raise UnsupportedError(f"{name}: dtype= is not supported; cast the model with .double() instead")


# -- layers as functions ----------------------------------------------------------------------------
def linear(input, weight, bias=None):
    return F.linear(input, weight, bias)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if dilation not in (1, (1, 1)) or return_indices:
        raise UnsupportedError("max_pool2d: dilation and return_indices are not supported")
    return F.max_pool2d(input, kernel_size, stride or kernel_size, padding, ceil_mode=ceil_mode)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if divisor_override is not None:
        raise UnsupportedError("avg_pool2d: divisor_override is not supported")
    return F.avg_pool2d(input, kernel_size, stride or kernel_size, padding, ceil_mode=ceil_mode,
                        count_include_pad=count_include_pad)


def adaptive_avg_pool2d(input, output_size):
    return F.adaptive_avg_pool2d(input, output_size)


def dropout(input, p=0.5, training=True, inplace=False):
    return F.dropout(input, p, training)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return F.dropout2d(input, p, training)


# -- shapes and reductions --------------------------------------------------------------------------
def cat(tensors, dim=0):
    return ops.concat(list(tensors), axis=dim)


def stack(tensors, dim=0):
    return ops.stack(list(tensors), axis=dim)


def flatten(input, start_dim=0, end_dim=-1):
    return ops.flatten(input, start_dim, end_dim)


def reshape(input, *shape):
    return ops.reshape(input, *shape)


def mean(input, dim=None, keepdim=False, dtype=None):
    return ops.mean(input, axis=_axes(dim), keepdims=keepdim)


def sum(input, dim=None, keepdim=False, dtype=None):
    return ops.sum(input, axis=_axes(dim), keepdims=keepdim)


def permute(input, *dims):
    return ops.permute(input, *dims)


def transpose(input, dim0, dim1):
    """PyTorch's transpose swaps two dims (numpy's reverses them all)."""
    return ops.transpose(input, dim0, dim1)


def unsqueeze(input, dim):
    return ops.unsqueeze(input, dim)


def squeeze(input, dim=None):
    return ops.squeeze(input, dim)


def size(input, dim=None):
    return tuple(input.shape) if dim is None else input.shape[dim]


def getitem(value, index):
    """``x[index]`` on a tensor is graphlab's getitem; on a shape or a tuple it is Python's."""
    return ops.getitem(value, index) if isinstance(value, Tensor) else value[index]


def get_attribute(value, name):
    """``x.shape`` and ``x.ndim``: the only tensor attributes a traced model reads."""
    if isinstance(value, Tensor) and name in ("shape", "ndim"):
        return tuple(value.shape) if name == "shape" else value.ndim
    raise UnsupportedError(f"getattr: reading {name!r} of a {type(value).__name__} is not supported")


def identity(input, *args, **kwargs):
    return input


#: tensor methods by name (``x.view(n, -1)`` is the fx node call_method "view")
METHODS = {
    "view": reshape, "reshape": reshape, "flatten": flatten, "size": size, "contiguous": identity,
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax,
    "exp": ops.exp, "log": ops.log, "mean": mean, "sum": sum, "permute": permute, "transpose": transpose,
    "unsqueeze": unsqueeze, "squeeze": squeeze, "dim": lambda input: input.ndim,
    "add": _binary(operator.add, ops.add), "sub": _binary(operator.sub, ops.sub),
    "mul": _binary(operator.mul, ops.mul), "div": _binary(operator.truediv, ops.div),
    "relu_": relu, "add_": _binary(operator.add, ops.add), "mul_": _binary(operator.mul, ops.mul),
}

#: functions by the dotted name under which PyTorch defines them; ``function_table`` resolves them
FUNCTIONS_BY_NAME = {
    "torch.add": METHODS["add"], "torch.sub": METHODS["sub"], "torch.mul": METHODS["mul"],
    "torch.div": METHODS["div"], "torch.matmul": ops.matmul, "torch.cat": cat, "torch.concat": cat,
    "torch.stack": stack, "torch.flatten": flatten, "torch.reshape": reshape, "torch.relu": relu,
    "torch.sigmoid": sigmoid, "torch.tanh": tanh, "torch.exp": ops.exp, "torch.log": ops.log,
    "torch.mean": mean, "torch.sum": sum, "torch.softmax": softmax, "torch.log_softmax": log_softmax,
    "torch.permute": permute, "torch.transpose": transpose, "torch.unsqueeze": unsqueeze,
    "torch.squeeze": squeeze, "torch.selu": selu,
    "torch.nn.functional.relu": relu, "torch.nn.functional.leaky_relu": leaky_relu,
    "torch.nn.functional.elu": elu, "torch.nn.functional.selu": selu, "torch.nn.functional.gelu": gelu,
    "torch.nn.functional.sigmoid": sigmoid, "torch.nn.functional.tanh": tanh,
    "torch.nn.functional.softmax": softmax, "torch.nn.functional.log_softmax": log_softmax,
    "torch.nn.functional.linear": linear, "torch.nn.functional.conv2d": conv2d,
    "torch.nn.functional.max_pool2d": max_pool2d, "torch.nn.functional.avg_pool2d": avg_pool2d,
    "torch.nn.functional.adaptive_avg_pool2d": adaptive_avg_pool2d,
    "torch.nn.functional.dropout": dropout, "torch.nn.functional.dropout2d": dropout2d,
}

#: Python's operators on fx proxies (``x + y``, ``-x``, ``x[0]``, ``x.shape``)
OPERATORS = {
    operator.add: METHODS["add"], operator.sub: METHODS["sub"], operator.mul: METHODS["mul"],
    operator.truediv: METHODS["div"], operator.matmul: ops.matmul, operator.getitem: getitem,
    operator.neg: lambda value: ops.neg(value) if _is_tensor(value) else -value,
    operator.floordiv: operator.floordiv, getattr: get_attribute,
}


def function_table(torch) -> dict:
    """{function object: adapter} for every supported function of this PyTorch install."""
    table = dict(OPERATORS)
    for dotted, adapter in FUNCTIONS_BY_NAME.items():
        module_name, _, attribute = dotted.rpartition(".")
        module = torch if module_name == "torch" else torch.nn.functional
        function = getattr(module, attribute, None)
        if function is not None:
            table[function] = adapter
    return table


def describe_function(target) -> str:
    """A readable name for an fx call_function target (``torch.nn.functional.interpolate``)."""
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    return f"{module}.{name}" if module and module != "builtins" else name
