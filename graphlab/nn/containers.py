"""Containers of layers: Sequential, ModuleList, and Lambda (a plain function as a layer).

Only Modules go in a container: ``Sequential(Linear(2, 4), F.relu)`` is a TypeError naming
item 1, as in PyTorch (before, the function was silently left out of the network). Wrap a
function explicitly with ``gl.nn.Lambda(F.relu)``, or use the layer ``gl.nn.ReLU()``.

>>> import graphlab as gl
>>> import graphlab.functional as F
>>> net = gl.nn.Sequential(gl.nn.Linear(2, 4), gl.nn.Lambda(F.relu), gl.nn.Linear(4, 1))
>>> len(net), net(gl.ones(3, 2)).shape
(3, (3, 1))
"""
from __future__ import annotations

from collections import OrderedDict

from graphlab.argcheck import ArgumentTypeError
from graphlab.nn.module import Module


def _describe(item) -> str:
    name = getattr(item, "__name__", None)
    if callable(item) and name is not None:
        return f"the function {name}"
    text = repr(item)
    return f"{type(item).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _check_module(container: str, position, item) -> "Module":
    """``item`` if it is a Module; a TypeError naming its position and the fix otherwise."""
    if isinstance(item, Module):
        return item
    fix = (f"wrap it as gl.nn.Lambda({getattr(item, '__name__', 'function')}) or use a layer such as "
           f"gl.nn.ReLU()" if callable(item) else "pass layers such as gl.nn.Linear(2, 4) or gl.nn.ReLU()")
    raise ArgumentTypeError(f"{container}: item {position} ({_describe(item)}) is not a gl.nn.Module; {fix}")


class Lambda(Module):
    """A function of one tensor as a parameter-free layer: ``gl.nn.Lambda(F.relu)``.

    The explicit way to put a plain function in a ``Sequential``; its output shape is found by
    running it (``summary`` does that for modules without ``output_shape``).
    """

    def __init__(self, function, name: str = None):
        super().__init__()
        if not callable(function) or isinstance(function, Module):
            raise ArgumentTypeError(f"Lambda: function must be a plain function of one tensor (a Module goes in "
                                    f"the Sequential directly), got {_describe(function)}")
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "label", name or getattr(function, "__name__", type(function).__name__))

    def forward(self, x):
        return self.function(x)

    def extra_repr(self):
        return self.label


class Sequential(Module):
    """Layers applied in order; children are named "0", "1", ... (or by an OrderedDict's keys).

    >>> import graphlab as gl
    >>> net = gl.nn.Sequential(gl.nn.Linear(4, 3), gl.nn.ReLU(), gl.nn.Linear(3, 2))
    >>> len(net), net[0].weight.shape, net.num_parameters()
    (3, (3, 4), 23)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(name, _check_module("Sequential", repr(name), module))
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _check_module("Sequential", index, module))

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x

    def output_shape(self, input_shape):
        shape = input_shape
        for module in self.children():
            shape = module.infer_shape(shape)
        return shape

    def __getitem__(self, index):
        modules = list(self.children())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(list(self.children()))

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self._modules)), _check_module("Sequential.append", len(self._modules), module))
        return self


class ModuleList(Module):
    """A list of modules registered as children "0", "1", ...; you write how they are called."""

    def __init__(self, modules=()):
        super().__init__()
        if isinstance(modules, (Module, str, bytes)) or not hasattr(modules, "__iter__"):
            raise ArgumentTypeError(f"ModuleList: modules must be a list of gl.nn.Modules, got "
                                    f"{type(modules).__name__}")
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self._modules)), _check_module("ModuleList", len(self._modules), module))
        return self

    def __getitem__(self, index):
        return list(self.children())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(list(self.children()))
