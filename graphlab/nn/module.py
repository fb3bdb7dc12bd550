"""Module and Parameter: layers that own tensors and record where their nodes come from.

A Module registers the Parameters, buffers (non-trained state such as batch norm's running
statistics) and sub-Modules assigned to its attributes, as in PyTorch. Calling a module runs
its ``forward`` inside ``gl.scope(...)``, so every node it creates carries the module path in
``.scope`` (``('SmallCNN', 'features:Sequential', '0:Conv2d')``) and a diagram can collapse a
layer or a block into one box. An error inside a layer is re-raised with that path in front,
so it names the layer, not only the op.

>>> import graphlab as gl
>>> class Affine(gl.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = gl.nn.Parameter([2.0])
...         self.register_buffer("calls", gl.tensor(0))
...     def forward(self, x):
...         return x * self.scale
>>> model = Affine()
>>> [name for name, _ in model.named_parameters()], list(model.state_dict())
(['scale'], ['scale', 'calls'])
>>> model(gl.tensor([1.0, 3.0])).scope
('Affine',)
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Iterator, Optional

import numpy as np

from graphlab.argcheck import ArgumentError, ArgumentTypeError
from graphlab.autodiff.tensor import Tensor
from graphlab.config import config, scope
from graphlab.errors import DtypeError, GraphlabError, ShapeError


#: the most numbers one Parameter may hold (2**28: 1 GiB of float32), so a typo such as
#: Linear(10**6, 10**6) fails at once instead of exhausting memory
MAX_PARAMETER_SIZE = 2 ** 28
#: the most numbers a shape-only placeholder may describe (numpy's index range)
MAX_PLACEHOLDER_SIZE = 2 ** 62


class _ShapeOnly:
    """Whether new Parameters get memory (see ``shape_only``)."""
    active = False


@contextlib.contextmanager
def shape_only():
    """Build models without allocating their parameters: each Parameter gets a read-only,
    zero-stride array of the right shape (no memory), and init functions leave it alone.

    For counting parameters and printing summaries of big networks (VGG16's 138M weights
    would take 553 MB in float32), like PyTorch's "meta" device. Such a model cannot train;
    ``load_state_dict`` gives it real arrays.

    >>> import graphlab as gl
    >>> with gl.nn.shape_only():
    ...     fc6 = gl.nn.Linear(7 * 7 * 512, 4096)
    >>> fc6.weight.size, fc6.weight.data.strides
    (102760448, (0, 0))
    """
    previous, _ShapeOnly.active = _ShapeOnly.active, True
    try:
        yield
    finally:
        _ShapeOnly.active = previous


def is_placeholder(tensor: Tensor) -> bool:
    """True for a shape-only Parameter (no memory of its own)."""
    return tensor.data.size > 1 and 0 in tensor.data.strides and not tensor.data.flags.writeable


class Parameter(Tensor):
    """A Tensor that a Module trains: requires_grad=True, registered when assigned to a Module.

    >>> import graphlab as gl
    >>> w = gl.nn.Parameter(gl.zeros(2, 3))
    >>> w.requires_grad, w.shape
    (True, (2, 3))
    """
    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True, name: Optional[str] = None, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad, name=name, dtype=dtype)

    @classmethod
    def empty(cls, *shape, dtype=None, owner: str = "Parameter", sizes: str = "shape") -> "Parameter":
        """Uninitialized (to be filled by ``gl.nn.init``), or a placeholder under ``shape_only``.
        ``owner`` and ``sizes`` name the layer and its arguments in the error for a huge tensor."""
        dtype = np.dtype(dtype or config.default_dtype)
        count = int(np.prod([int(size) for size in shape], dtype=object))
        limit = MAX_PLACEHOLDER_SIZE if _ShapeOnly.active else MAX_PARAMETER_SIZE
        if count > limit:
            raise ArgumentError(f"{owner}: {sizes} {tuple(shape)} make a parameter of {count:,} numbers, more than "
                                f"graphlab allocates ({limit:,}); use smaller sizes, or build the "
                                f"model under gl.nn.shape_only() to count its parameters without memory")
        if _ShapeOnly.active and count > 1:      # one number costs nothing: a real array (init can fill it)
            data = np.broadcast_to(np.zeros((), dtype=dtype), shape)
        else:
            data = np.zeros(shape, dtype=dtype)
        parameter = cls._from_op(data, None, False)
        parameter.requires_grad = True
        return parameter

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__()[len("Tensor("):]


# -- module paths: what diagrams and Traces call a parameter ----------------------------------------
# Each module knows its own dotted path ("" for a model nobody holds yet) and each Parameter (or
# buffer) takes its module's path and its attribute name when registered ("weight"); when a module
# is registered inside another under a name ("0", then "features"), every path below it grows that
# prefix ("0.weight", "features.0.weight"). So by the time a model is built every tensor carries the
# key that ``model.named_parameters()`` and ``state_dict()`` give it, and a layer assigned later
# (``model.head[1].weight = ...``) gets its full path at once. A path is changed only while it is
# the one this subtree gave it, so a Parameter shared by two layers or two models keeps the name of
# the first tree that registered it; a user's ``name`` always wins (``Tensor.label``).
def _claim_path(module: "Module", tensor: Tensor, name: str) -> None:
    if tensor.module_path is None:
        prefix = module.__dict__.get("_module_path", "")
        tensor._module_path = f"{prefix}.{name}" if prefix else name


def _prefix_paths(parent: "Module", module: "Module", name: str) -> None:
    prefix = parent.__dict__.get("_module_path", "")
    outer = f"{prefix}.{name}" if prefix else name
    for inner_path, submodule in module.named_modules():
        if submodule.__dict__.get("_module_path", "") == inner_path:
            object.__setattr__(submodule, "_module_path", f"{outer}.{inner_path}" if inner_path else outer)
    for inner_path, tensor in (*module.named_parameters(), *module.named_buffers()):
        if tensor.module_path == inner_path:
            tensor._module_path = f"{outer}.{inner_path}"


def _scope_label(module: "Module") -> str:
    name = module.__dict__.get("_name")
    return type(module).__name__ if name is None else f"{name}:{type(module).__name__}"


class _Recorder:
    """Collects (scope path, module, output shape) rows while ``summary`` runs, parents first."""
    active: Optional[list] = None


def _reserve(rows: Optional[list]) -> int:
    """Keep a module's place in the summary before its children add theirs."""
    if rows is None:
        return -1
    rows.append(None)
    return len(rows) - 1


class Module:
    """Base class of layers and models: subclass it, assign layers in ``__init__``, write ``forward``."""

    #: False for layers whose output a memory count leaves out (activations, dropout, flatten:
    #: done in place or a view in practice, as in the CS231n tables)
    counts_memory = True
    #: what the built-in layers take as input: "float" (a float Tensor; numpy arrays and lists are
    #: converted), "numeric" (any numeric dtype), or None (a custom module: not checked)
    tensor_input: Optional[str] = None

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_output_shape", None)

    # -- registration ---------------------------------------------------------------------------
    def _registries(self):
        try:
            return self.__dict__["_parameters"], self.__dict__["_buffers"], self.__dict__["_modules"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() at the start of __init__, "
                                 f"before assigning parameters or layers") from None

    def __setattr__(self, name: str, value) -> None:
        parameters, buffers, modules = self._registries()
        if isinstance(value, (Parameter, Module)):
            for registry in (parameters, buffers, modules, self.__dict__):
                registry.pop(name, None)
            if isinstance(value, Module):
                object.__setattr__(value, "_name", name)
                modules[name] = value
                _prefix_paths(self, value, name)
            else:
                parameters[name] = value
                _claim_path(self, value, name)
        elif name in parameters:
            if value is not None:
                raise DtypeError(f"{type(self).__name__}.{name} is a Parameter; assign a gl.nn.Parameter "
                                 f"(or None to remove it), not {type(value).__name__}")
            parameters[name] = None
        elif name in buffers:
            buffers[name] = value
        elif name in modules and value is None:
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_buffers"), self.__dict__.get("_modules")
        for registry in registries:
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in self._registries():
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor) -> None:
        """State saved in ``state_dict`` but not trained (running statistics, counters)."""
        self._registries()
        self._buffers[name] = tensor if tensor is None or isinstance(tensor, Tensor) else Tensor(tensor)
        if self._buffers[name] is not None:
            _claim_path(self, self._buffers[name], name)

    def register_parameter(self, name: str, parameter: Optional[Parameter]) -> None:
        self._registries()
        if parameter is None:
            self._parameters[name] = None
        else:
            setattr(self, name, parameter)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        self._registries()
        if not isinstance(name, str) or not name or "." in name:
            raise ArgumentError(f"{type(self).__name__}.add_module: name must be a non-empty string without dots, "
                                f"got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise ArgumentTypeError(f"{type(self).__name__}.add_module: module {name!r} must be a gl.nn.Module "
                                    f"(or None), got {type(module).__name__}; wrap a function in gl.nn.Lambda")
        if module is None:
            self._modules[name] = None
        else:
            setattr(self, name, module)

    # -- copies ---------------------------------------------------------------------------------
    def __copy__(self) -> "Module":
        """A shallow copy: its own registries (assigning a layer to the copy leaves the original
        alone) holding the same Parameters and sub-modules, so the two share their weights.
        ``copy.deepcopy`` copies the Parameters too: new leaves of the graph (see ``Tensor``)."""
        self._registries()
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        for registry in ("_parameters", "_buffers", "_modules"):
            object.__setattr__(copied, registry, OrderedDict(self.__dict__[registry]))
        return copied

    # -- running --------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, ...)")

    def __call__(self, *args, **kwargs):
        rows = _Recorder.active
        with scope(_scope_label(self)):
            slot = _reserve(rows)
            try:
                if self.tensor_input is not None and args:
                    args = (_checked_input(self, args[0]),) + args[1:]
                output = self.forward(*args, **kwargs)
            except GraphlabError as error:
                _name_layer(error)
                raise
            if rows is not None:
                rows[slot] = (tuple(config.scope), self, getattr(output, "shape", None))
        if isinstance(output, Tensor):
            object.__setattr__(self, "_output_shape", output.shape)
        return output

    def output_shape(self, input_shape: tuple) -> tuple:
        """The output shape for an input shape, without computing anything (for ``summary``).
        Layers and the built-in blocks define it; a module without it is summarized by running it."""
        raise NotImplementedError

    def infer_shape(self, input_shape: tuple) -> tuple:
        """``output_shape`` that also records a row for ``gl.nn.summary``."""
        rows = _Recorder.active
        with scope(_scope_label(self)):
            slot = _reserve(rows)
            try:
                output = tuple(self.output_shape(tuple(input_shape)))
            except GraphlabError as error:
                _name_layer(error)
                raise
            if rows is not None:
                rows[slot] = (tuple(config.scope), self, output)
        object.__setattr__(self, "_output_shape", output)
        return output

    # -- walking the tree -----------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", _seen=None) -> Iterator[tuple]:
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, module in self.named_children():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        """(dotted name, Parameter) pairs, each shared Parameter once (PyTorch's names)."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, parameter in module._parameters.items():
                if parameter is not None and id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{module_prefix}.{name}" if module_prefix else name), parameter

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "") -> Iterator[tuple]:
        for module_prefix, module in self.named_modules(prefix):
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), buffer

    def buffers(self) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers():
            yield buffer

    def num_parameters(self) -> int:
        """How many trainable numbers the module holds (shared parameters counted once)."""
        return int(sum(parameter.size for parameter in self.parameters()))

    # -- modes and state ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Training mode (batch statistics, dropout on); returns self so it chains."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        """Evaluation mode: batch norm uses running statistics, dropout is the identity."""
        return self.train(False)

    def zero_grad(self) -> None:
        for parameter in self.parameters():
            parameter.grad = None

    def apply(self, function) -> "Module":
        """Call ``function(module)`` on every module of the tree (children first), like PyTorch."""
        for module in self.children():
            module.apply(function)
        function(self)
        return self

    def to(self, dtype) -> "Module":
        """Cast every float parameter and buffer to ``dtype`` in place (e.g. float64 for gradcheck)."""
        dtype = np.dtype(dtype)
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is not None and tensor.data.dtype.kind == "f":
                        tensor.data = tensor.data.astype(dtype)
                        tensor.grad = None
        return self

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Every parameter and buffer by dotted name, as numpy copies (PyTorch's key names)."""
        state = OrderedDict()
        seen = set()
        for prefix, module in self.named_modules():      # module by module, parameters then buffers
            for registry in (module._parameters, module._buffers):
                for name, tensor in registry.items():
                    if tensor is not None and id(tensor) not in seen:
                        seen.add(id(tensor))
                        state[f"{prefix}.{name}" if prefix else name] = np.array(tensor.data, copy=True)
        return state

    def load_state_dict(self, state, strict: bool = True) -> "Module":
        """Copy arrays (numpy, Tensors, or anything ``np.asarray`` takes, such as a PyTorch
        state dict) into the parameters and buffers, in place.

        With ``strict`` (the default) a missing or unexpected key is an error that lists them;
        a shape mismatch is always an error naming the key and both shapes.
        """
        targets = OrderedDict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise KeyError(f"load_state_dict: {type(self).__name__} does not match the state dict: "
                           f"{'; '.join(parts)}. The model's keys are {list(targets)[:8]}"
                           f"{' ...' if len(targets) > 8 else ''}; build the same architecture, or pass "
                           f"strict=False to load the keys that match")
        for name, tensor in targets.items():
            if name not in state:
                continue
            value = state[name]
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if value.shape != tensor.shape:
                raise ShapeError(f"load_state_dict: {name} has shape {value.shape} in the state dict but "
                                 f"{tensor.shape} in the model; the architectures differ at this layer")
            if is_placeholder(tensor) or not tensor.data.flags.writeable:
                tensor.data = value.astype(tensor.dtype, copy=True)
            else:
                tensor.data[...] = value
                tensor.mark_modified()    # a graph that saved the old values refuses to backpropagate
        return self

    # -- display --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown after the class name."""
        return ""

    def _own_line(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def __repr__(self) -> str:
        return "\n".join(self._repr_lines())

    def _repr_html_(self) -> str:
        """Jupyter's view: the repr tree as nested lists with parameter counts (``html_display.py``)."""
        from graphlab.nn.html_display import module_html
        return module_html(self)

    def _repr_notes(self) -> str:
        """What the repr writes after a module's ``#``: its output shape once known, its parameters."""
        notes = []
        if self._output_shape is not None:
            notes.append(f"out {tuple(self._output_shape)}")
        count = self.num_parameters()
        if count:
            notes.append(f"{count:,} params")
        return ", ".join(notes)

    def _repr_lines(self, label: str = "") -> list:
        notes = self._repr_notes()
        note = f"  # {notes}" if notes else ""
        children = list(self.named_children())
        head = f"{label}{type(self).__name__}({self.extra_repr()}"
        if not children:
            return [head + ")" + note]
        lines = [head + ("" if not self.extra_repr() else ",") + note]
        for name, child in children:
            child_lines = child._repr_lines(f"({name}): ")
            lines.extend("  " + line for line in child_lines)
        lines.append(")")
        return lines


def _checked_input(module: "Module", value) -> Tensor:
    """A layer's input as a Tensor of a dtype it computes on; a DtypeError naming the layer otherwise."""
    name = type(module).__name__
    if not isinstance(value, Tensor):
        if value is None or isinstance(value, (str, bytes, dict, set)):
            raise DtypeError(f"{name}: the input must be a gl.Tensor (or a numeric array), got "
                             f"{type(value).__name__}")
        value = Tensor._from_op(np.asarray(Tensor(value).data), None, False)
    kind = value.data.dtype.kind
    if kind not in "iuf" or (module.tensor_input == "float" and kind != "f"):
        raise DtypeError(f"{name}: the input has dtype {value.dtype}; the layer computes on float tensors: "
                         f"convert it with x.float() (or gl.tensor(data, dtype='float32'))")
    return value


def _name_layer(error: GraphlabError) -> None:
    """Prefix an error from inside a layer with the layer's path, once (at the innermost layer)."""
    if getattr(error, "_graphlab_layer", False):
        return
    path = " / ".join(config.scope)
    if error.args:
        error.args = (f"in layer {path}: {error.args[0]}",) + tuple(error.args[1:])
    error._graphlab_layer = True
