"""The one registry of built-in ops: verify, the REPL's completion and the coverage table read it.

Built-in ops are the Function subclasses defined under ``graphlab.ops``; a user's Function of
the same name (``Function.registry``) never hides one. Names are the public function names
(``leaky_relu``, ``log_softmax``, ``broadcast_to``, ``pow``).

>>> from graphlab.ops.registry import builtin_ops, lookup
>>> lookup("leaky_relu").__name__
'LeakyRelu'
>>> "conv2d" in builtin_ops()
True
"""
from __future__ import annotations

import importlib
import pkgutil
import warnings

#: the names ops had before they took their public function's name; kept for one release
DEPRECATED_NAMES = {
    "leakyrelu": "leaky_relu",
    "logsoftmax": "log_softmax",
    "broadcastto": "broadcast_to",
    "pow_tensor": "pow",
    "multiclasshinge": "multiclass_hinge_loss",
    "mseloss": "mse_loss",
    "nllloss": "nll_loss",
    "crossentropy": "cross_entropy",
    "binarycrossentropywithlogits": "binary_cross_entropy_with_logits",
    "batchnorm": "batch_norm",
    "layernorm": "layer_norm",
    "maxpool2d": "max_pool2d",
    "avgpool2d": "avg_pool2d",
    "globalavgpool2d": "global_avg_pool2d",
    "scatteradd": "scatter_add",
}


def _scan() -> tuple:
    """(name -> op class for every built-in op, module -> import error for op files that fail)."""
    import graphlab.ops as package
    from graphlab.autodiff.function import Function
    failures = {}
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(module.name)
        except Exception as error:   # an unfinished op file must not hide the others
            failures[module.name] = f"{type(error).__name__}: {error}"
    found, stack = {}, list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("graphlab.ops."):
            found[cls.name] = cls
    return dict(sorted(found.items())), failures


def builtin_ops() -> dict:
    """Every built-in op class by its public name, sorted by name."""
    return _scan()[0]


def import_failures() -> dict:
    """Modules under ``graphlab.ops`` that fail to import: module name -> error text."""
    return _scan()[1]


def op_names() -> list:
    """The public names of the built-in ops (what completion offers and verify lists)."""
    return list(builtin_ops())


def canonical_name(name: str) -> str:
    """The current name for ``name``: an old spelling warns once and maps to its new name."""
    if name in DEPRECATED_NAMES:
        new = DEPRECATED_NAMES[name]
        warnings.warn(f"the op name {name!r} is now {new!r} (the public function's name); "
                      f"the old spelling goes away in the next release", DeprecationWarning, stacklevel=3)
        return new
    return name


def lookup(name: str):
    """The built-in op class called ``name`` (old spellings accepted with a warning), or None."""
    return builtin_ops().get(canonical_name(name))
