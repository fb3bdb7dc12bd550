"""Tensor: an array that remembers the op that made it, and keeps its gradient.

Scalars are 0-d tensors, so scalar graphs (the lecture's ``(x + y) * z``) and CNN graphs
share one code path.

>>> import graphlab as gl
>>> x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
>>> f = ((x + y).named("q") * z).named("f")
>>> trace = f.backward()
>>> x.grad, y.grad, z.grad
(array(-4., dtype=float32), array(-4., dtype=float32), array(3., dtype=float32))
"""
from __future__ import annotations

import itertools
import numbers
import warnings
from typing import Optional

import numpy as np

from graphlab.config import config
from graphlab.errors import BackwardError, DtypeError, ShapeError

_node_ids = itertools.count()


def _slot_names(cls) -> list:
    """Every attribute slot of a Tensor class and its bases (what a copy carries over)."""
    names = []
    for klass in cls.__mro__:
        for name in getattr(klass, "__slots__", ()):
            if name not in names and name != "__weakref__":
                names.append(name)
    return names


def check_dtype(dtype, where: str, argument: str = "dtype"):
    """``dtype`` as a numpy dtype if it is a real one a tensor may hold (float, int, bool),
    else a DtypeError naming ``argument``; None passes through."""
    if dtype is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)    # np.dtype("a"): a deprecated alias
            resolved = np.dtype(dtype)
    except (TypeError, ValueError, DeprecationWarning):
        raise DtypeError(f"{where}: {argument}={dtype!r} is not a dtype; use 'float32', 'float64', "
                         f"an integer dtype or bool") from None
    if resolved.kind not in "biuf":
        raise DtypeError(f"{where}: {argument}={dtype!r} ({resolved}) is not supported: tensors hold real "
                         f"numbers; use 'float32' (the default), 'float64', an integer dtype or bool")
    return resolved


def _as_array(data, dtype, where: str, python_default: bool = True) -> np.ndarray:
    """numpy array from user data; Python numbers take the default float dtype
    (unless ``python_default`` is False, as for constants that adopt a tensor's dtype)."""
    if isinstance(data, str) or isinstance(data, bytes):
        raise DtypeError(f"{where}: cannot make a tensor from the string {data!r}; pass numbers, "
                         f"(nested) lists of numbers or a numpy array")
    from_python = not isinstance(data, (np.ndarray, np.generic))
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise DtypeError(f"{where}: cannot make a tensor from {type(data).__name__} data ({error}); "
                         f"nested lists must be rectangular") from error
    dtype = check_dtype(dtype, where)
    if array.dtype.kind == "c":
        raise DtypeError(f"{where}: complex data ({array.dtype}) is not supported and its imaginary part "
                         f"would be lost; pass real numbers (e.g. the .real and .imag parts as two tensors)")
    if array.dtype.kind not in "biuf":
        raise DtypeError(f"{where}: data of dtype {array.dtype} ({type(data).__name__}) is not numeric; "
                         f"pass numbers, lists of numbers or a numeric numpy array")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if python_default and from_python and array.dtype.kind in "iuf":
        return array.astype(config.default_dtype)
    return array


class Tensor:
    """A node of the graph: ``data`` (numpy array), ``grad``, and the ``creator`` op."""

    __slots__ = ("data", "grad", "requires_grad", "name", "creator", "id", "scope", "_version", "_module_path",
                 "__weakref__")
    #: bumped by every in-place edit through the Tensor API; an edited tensor takes the new value
    #: as its ``_version`` (see ``mark_modified``), so one int per op tells backward what changed.
    #: ``_version`` is set only by an edit (never on the hot path): read it with getattr(t, "_version", 0)
    _inplace_epoch = 0
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators: array * tensor -> Tensor

    def __init__(self, data, requires_grad: bool = False, name: Optional[str] = None, dtype=None):
        self.data = np.array(_as_array(data, dtype, "tensor"), copy=True)
        self.grad = None
        self.requires_grad = False
        self.name = name
        self.creator = None
        self.id = next(_node_ids)
        self.scope = config.scope
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _from_op(cls, data: np.ndarray, creator, requires_grad: bool) -> "Tensor":
        tensor = object.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor.name = None
        tensor.creator = creator
        tensor.id = next(_node_ids)
        tensor.scope = config.scope
        return tensor

    @classmethod
    def _constant(cls, value, dtype, op_name: str) -> "Tensor":
        array = _as_array(value, None, op_name, python_default=dtype is None)
        if dtype is not None and array.dtype.kind in "iuf":
            array = array.astype(dtype, copy=False)
        return cls._from_op(array, None, False)

    # -- what a node is ------------------------------------------------------------------
    @property
    def op(self) -> Optional[str]:
        """Name of the op that made this tensor; None for leaves."""
        return None if self.creator is None else self.creator.name

    @property
    def parents(self) -> tuple:
        return () if self.creator is None else self.creator.inputs

    @property
    def is_leaf(self) -> bool:
        return self.creator is None or not self.requires_grad

    # -- names: one display name per node, the same in every view -------------------------
    @property
    def module_path(self) -> Optional[str]:
        """The dotted name a Module registered this tensor under (``features.0.weight``, as in
        ``model.named_parameters()``), else None. Set only by ``gl.nn.Module`` (never on the hot
        path, hence the getattr: the slot stays unset for every other tensor)."""
        return getattr(self, "_module_path", None)

    @property
    def given_name(self) -> Optional[str]:
        """The name someone gave this node: the user's ``name`` (it always wins), else its
        module path; None for a node nobody named."""
        return self.name if self.name is not None else getattr(self, "_module_path", None)

    @property
    def label(self) -> str:
        """The node's display name, the one every view shows (Trace, REPL, diagrams, walk) and
        every command accepts: ``given_name``, else ``t`` and the node's stable id (``t12``)."""
        name = self.given_name
        return name if name is not None else f"t{self.id}"

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> "ElementCount":
        """The number of elements (numpy's ``size``, an int as before), and also callable as
        PyTorch's ``size()`` method: ``t.size()`` is the shape, ``t.size(0)`` one dimension."""
        return ElementCount(self.data.size, self.data.shape)

    def numel(self) -> int:
        """The number of elements (PyTorch's spelling of numpy's ``size``)."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (PyTorch's spelling of ``ndim``)."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() for its value")
        return len(self.data)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    __hash__ = object.__hash__  # == builds a comparison Tensor, so hash by identity

    def __repr__(self) -> str:
        """``Tensor(3., grad=-4., name='x')``: the value, then the gradient once backward has set it
        (micrograd's ``Value(data=3.0, grad=-4.0)``), then what the tensor is."""
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        parts = []
        if self.grad is not None:
            parts.append(f"grad={_grad_text(self.grad, self.data.size)}")
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.op is not None:
            parts.append(f"op={self.op}")
        if self.data.ndim:
            parts.append(f"shape={self.shape}")
        if self.data.dtype != config.default_dtype:
            parts.append(f"dtype={self.dtype}")
        if self.requires_grad and self.creator is None:
            parts.append("requires_grad=True")
        rest = "".join(f", {part}" for part in parts) + ")"
        if "\n" in body and len(body.splitlines()[-1]) + len(rest) > 80:
            rest = _details_lines(parts)      # a big tensor: the details below it, in 80 columns
        return f"Tensor({body}{rest}"

    def _repr_html_(self) -> str:
        """Jupyter's view: name, op, shape, dtype, values and grad in a small table (the same
        numbers as the repr; ``autodiff/html_display.py``)."""
        from graphlab.autodiff.html_display import tensor_html
        return tensor_html(self)

    # -- methods of PyTorch's Tensor -----------------------------------------------------
    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {self.shape} has {self.data.size} elements, not 1; "
                             f"index it or reduce it first (e.g. .sum())")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor._from_op(self.data, None, False).named(self.name)

    def detach_(self) -> "Tensor":
        """Cut this tensor itself from the graph, in place: it becomes a leaf that needs no
        gradient (PyTorch's ``detach_``); returns self."""
        self.creator = None
        self.requires_grad = False
        return self

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (gradients flow back to this tensor)."""
        return _ops.clone(self)

    def zero_grad(self) -> None:
        self.grad = None

    # -- copies: always a new node -------------------------------------------------------
    # The engine tells nodes apart by ``id``; a copy that kept it would be merged with the
    # original in backward (wrong gradients for both), so a copy is a new leaf with a fresh id.
    def __copy__(self) -> "Tensor":
        """``copy.copy``: a new leaf sharing the data array (a view, like ``detach``), with its own
        copy of ``grad`` and the same ``requires_grad`` and name."""
        return self._copied_leaf("copy.copy", self.data, None)

    def __deepcopy__(self, memo) -> "Tensor":
        """``copy.deepcopy`` (also of a Module holding this tensor): a new leaf with copied data and
        grad, ``requires_grad`` kept, as in PyTorch. Only leaves can be copied (PyTorch's rule):
        copying an op's output that requires grad would cut the graph silently."""
        copied = self._copied_leaf("copy.deepcopy", np.array(self.data, copy=True), memo)
        memo[id(self)] = copied
        return copied

    def _copied_leaf(self, how: str, data: np.ndarray, memo) -> "Tensor":
        if self.creator is not None and self.requires_grad:
            raise BackwardError(f"{how}: {self.label} is the output of {self.op}, not a leaf; only leaves (tensors "
                                f"you created, parameters) can be copied. Copy {self.label}.detach() for its values")
        copied = object.__new__(type(self))
        for name in _slot_names(type(self)):
            if hasattr(self, name):
                object.__setattr__(copied, name, getattr(self, name))
        copied.data, copied.creator, copied.id = data, None, next(_node_ids)
        grad = self.grad.data if isinstance(self.grad, Tensor) else self.grad
        copied.grad = None if grad is None else np.array(grad, copy=True)
        return copied

    # -- in-place edits (off the graph, as an optimizer step) ---------------------------------
    def mark_modified(self) -> "Tensor":
        """Record that ``data`` was changed in place, so that a graph which saved this tensor
        refuses to backpropagate through the stale values (PyTorch's version counter).

        Every in-place method below calls it, and so does assigning ``t.data = new_array``
        (detected because the saved array is no longer ``t.data``). numpy cannot report writes
        through the raw array (``t.data[0] = 5``, ``t.data -= 1``): after such a write call
        ``t.mark_modified()``, or edit through the methods here, which is the documented way.
        """
        Tensor._inplace_epoch += 1
        self._version = Tensor._inplace_epoch
        return self

    def _inplace(self, method: str, value) -> np.ndarray:
        """``value`` as an array that can be written into ``data`` (same dtype, broadcastable)."""
        array = value.data if isinstance(value, Tensor) else _as_array(value, self.dtype, method)
        try:
            np.broadcast_to(array, self.shape)
        except ValueError:
            raise ShapeError(f"{method}: value of shape {np.shape(array)} does not broadcast to "
                             f"{self.label}'s shape {self.shape}") from None
        return array

    def add_(self, other) -> "Tensor":
        """data += other, in place; returns self."""
        np.add(self.data, self._inplace("add_", other), out=self.data, casting="unsafe")
        return self.mark_modified()

    def sub_(self, other) -> "Tensor":
        """data -= other, in place (``w.sub_(lr * w.grad)`` is an SGD step); returns self."""
        np.subtract(self.data, self._inplace("sub_", other), out=self.data, casting="unsafe")
        return self.mark_modified()

    def mul_(self, other) -> "Tensor":
        """data *= other, in place; returns self."""
        np.multiply(self.data, self._inplace("mul_", other), out=self.data, casting="unsafe")
        return self.mark_modified()

    def copy_(self, other) -> "Tensor":
        """data[...] = other, in place; returns self."""
        np.copyto(self.data, self._inplace("copy_", other), casting="unsafe")
        return self.mark_modified()

    def fill_(self, value) -> "Tensor":
        """Every element set to ``value``, in place; returns self."""
        return self.copy_(value)

    def zero_(self) -> "Tensor":
        """Every element set to 0, in place; returns self."""
        return self.copy_(0)

    def named(self, name: Optional[str]) -> "Tensor":
        """Give this node a name for Traces and diagrams; returns self so it chains."""
        self.name = name
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind != "f":
            raise DtypeError(f"requires_grad: only float tensors can require gradients, this one is "
                             f"{self.dtype}; create it as floats: gl.tensor(..., dtype='float32')")
        if self.creator is not None and not requires_grad:
            raise BackwardError(f"requires_grad_: {self.label} is made by {self.op}; detach() it instead")
        self.requires_grad = requires_grad
        return self

    def backward(self, grad=None, create_graph: bool = False, record: bool = True):
        """Backpropagate from this tensor; returns the Trace of every Step.

        Leaves accumulate into ``.grad`` across calls (as in PyTorch: call ``zero_grad`` between
        steps); every intermediate node gets a fresh ``.grad`` on each call. ``record=False``
        (training loops: ``gl.train.fit`` uses it) fills only the leaves' ``.grad``, keeps no
        Trace and returns None, so a step holds no second copy of its activations' size.
        """
        from graphlab.autodiff.engine import backward
        return backward(self, grad, create_graph=create_graph, record=record)

    # -- operators ------------------------------------------------------------------------
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __lt__(self, other): return _ops.lt(self, other)
    def __le__(self, other): return _ops.le(self, other)
    def __gt__(self, other): return _ops.gt(self, other)
    def __ge__(self, other): return _ops.ge(self, other)
    def __eq__(self, other): return _ops.eq(self, other)
    def __ne__(self, other): return _ops.ne(self, other)
    def __getitem__(self, index): return _ops.getitem(self, index)

    # -- elementwise ------------------------------------------------------------------------
    def exp(self): return _ops.exp(self)
    def log(self): return _ops.log(self)
    def sqrt(self): return _ops.sqrt(self)
    def abs(self): return _ops.abs(self)
    def tanh(self): return _ops.tanh(self)
    def sigmoid(self): return _ops.sigmoid(self)
    def relu(self): return _ops.relu(self)
    def clip(self, min=None, max=None): return _ops.clip(self, min, max)
    def clamp(self, min=None, max=None): return _ops.clip(self, min, max)
    def sin(self): return _ops.sin(self)
    def cos(self): return _ops.cos(self)
    def masked_fill(self, mask, value): return _ops.masked_fill(self, mask, value)
    def gather(self, dim, index): return _ops.gather(self, dim, index)
    def maximum(self, other): return _ops.maximum(self, other)
    def minimum(self, other): return _ops.minimum(self, other)
    def astype(self, dtype): return _ops.astype(self, dtype)
    def float(self): return _ops.astype(self, np.float32)
    def double(self): return _ops.astype(self, np.float64)

    # -- reductions -------------------------------------------------------------------------
    # numpy's axis=/keepdims= or PyTorch's dim=/keepdim= (one of each pair; see graphlab.ops)
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The max (numpy's spelling); with ``dim=`` PyTorch's ``(values, indices)`` pair."""
        return _ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The min (numpy's spelling); with ``dim=`` PyTorch's ``(values, indices)`` pair."""
        return _ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Where the max is (numpy's axis/keepdims, or PyTorch's dim/keepdim): an int64 tensor."""
        return _ops.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Where the min is: as ``argmax``."""
        return _ops.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, ddof=None, *, dim=None, keepdim=None, correction=None):
        return _ops.var(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction)

    def std(self, axis=None, keepdims=False, ddof=None, *, dim=None, keepdim=None, correction=None):
        return _ops.std(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis=None, *, dim=None): return _ops.softmax(self, axis, dim=dim)
    def log_softmax(self, axis=None, *, dim=None): return _ops.log_softmax(self, axis, dim=dim)

    # -- shapes -----------------------------------------------------------------------------
    def reshape(self, *shape): return _ops.reshape(self, *shape)
    def view(self, *shape): return _ops.reshape(self, *shape)

    def transpose(self, *dims):
        """PyTorch's ``transpose(dim0, dim1)``: swap two dims. ``transpose()`` reverses them all
        (as ``.T``); for any other order use ``permute(*dims)``. See ``graphlab.ops.transpose``."""
        return _ops.transpose(self, *dims)

    def permute(self, *dims): return _ops.permute(self, *dims)
    def flatten(self, start_dim=0, end_dim=-1): return _ops.flatten(self, start_dim, end_dim)
    def squeeze(self, axis=None, *, dim=None): return _ops.squeeze(self, axis, dim=dim)
    def unsqueeze(self, axis=None, *, dim=None): return _ops.unsqueeze(self, axis, dim=dim)
    def broadcast_to(self, shape): return _ops.broadcast_to(self, shape)
    def matmul(self, other): return _ops.matmul(self, other)

    @property
    def T(self):
        """Every dim reversed (numpy's ``.T``; a matrix's transpose)."""
        return _ops.transpose(self)


class ElementCount(int):
    """``Tensor.size``: the number of elements, an int as numpy's ``size`` (``w.size + b.size``),
    that is also callable as PyTorch's ``size()`` method.

    >>> import graphlab as gl
    >>> t = gl.zeros(2, 3)
    >>> t.size, t.size(), t.size(1), t.size(dim=-1)
    (6, (2, 3), 3, 3)
    """

    def __new__(cls, count: int, shape: tuple):
        count_of = super().__new__(cls, count)
        count_of.shape = tuple(shape)
        return count_of

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        from graphlab.ops.params import is_int
        ndim = len(self.shape)
        if not is_int(dim) or not -ndim <= dim < ndim:
            hint = f"use an integer in -{ndim}..{ndim - 1}" if ndim else "a 0-d tensor has no dimensions"
            raise ShapeError(f"size: dim={dim!r} is not a dimension of a tensor of shape {self.shape}; {hint}")
        return self.shape[dim]

    def __repr__(self) -> str:
        return int.__repr__(self)


def _details_lines(parts: list) -> str:
    """``,\n grad=..., name='W',\n shape=...)``: the parts after a big tensor's value, as few lines
    of at most 80 columns as fit."""
    lines = [""]
    for part in parts:
        if lines[-1] and len(lines[-1]) + len(part) + 3 > 80:
            lines[-1] += ","
            lines.append("")
        lines[-1] += (", " if lines[-1] else " ") + part
    return ",\n" + "\n".join(lines) + ")"


def _grad_text(grad, size: int) -> str:
    """The gradient for a repr: whole for a small tensor; for a big one (more than 20 values) its
    first and last values in order, flattened, so it stays one short line."""
    array = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    if size > 20:
        text = np.array2string(array.ravel(), precision=4, separator=", ", threshold=6, edgeitems=3)
        return f"{' '.join(text.split())} (flattened)"
    return " ".join(np.array2string(array, precision=4, separator=", ", threshold=20).split())


from graphlab import ops as _ops  # noqa: E402  (ops are built on Function, which needs Tensor)
