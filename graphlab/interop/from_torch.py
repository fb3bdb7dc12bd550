"""``gl.from_torch(module, example_input)``: a PyTorch model as a graphlab model.

How: ``torch.fx`` traces the module into a graph of calls (layers, functions such as
``torch.cat``, tensor methods such as ``x.view``, Python operators such as ``x + y``). Every
layer it calls becomes the ``gl.nn`` layer with the same settings and weights
(``torch_layers.py``); every function and method becomes its graphlab adapter
(``torch_functions.py``). The graphlab model keeps PyTorch's module tree: a module that only
groups others (``Sequential``, a ResNet block) becomes a ``Container`` of the same class name,
so ``named_parameters`` and ``state_dict`` give PyTorch's names (``layer1.0.conv1.weight``) and
the nodes carry PyTorch's module path in their scope (a diagram's boxes are PyTorch's modules).
Calling the imported model replays the traced graph with graphlab ops, recording every node.

Everything the model uses is checked before anything is built: one ``UnsupportedError`` lists
every layer, function and method without a graphlab mapping. With an ``example_input``, the
import also runs both models on it (in eval mode, without gradients) and names the first node
where the values differ.
"""
from __future__ import annotations

import contextlib
from typing import NamedTuple, Optional

import numpy as np

from graphlab.autodiff.tensor import Tensor
from graphlab.config import no_grad, scope
from graphlab.interop import torch_functions
from graphlab.interop.extras import UnsupportedError, require
from graphlab.interop.layers import IndexedChildren, container_class
from graphlab.interop.torch_layers import convert_leaf, converter_for, numpy_value
from graphlab.nn.module import Module, Parameter


class Step(NamedTuple):
    """One node of the traced graph, ready to replay: ``kind`` is fx's op (placeholder,
    get_attr, call_module, call_function, call_method, output)."""
    name: str
    kind: str
    target: object            # a module path, an attribute path, or the adapter to call
    args: tuple
    kwargs: dict
    scopes: tuple             # "layer1:Sequential", "0:BasicBlock": PyTorch's modules around the node
    rebinds: Optional[str]    # an in-place op (relu_, inplace=True) replaces this input's value


class Ref(NamedTuple):
    """An argument that is the value of an earlier node."""
    name: str


class ModelMode:
    """The ``training=`` argument of a functional dropout that was ``self.training`` when traced:
    replaced by the imported model's own mode each run, so ``model.eval()`` turns it off."""


class ImportedModel(IndexedChildren, Module):
    """A PyTorch model imported by ``gl.from_torch``: PyTorch's module tree with graphlab layers,
    whose forward replays the traced graph with graphlab ops (so ``gl.draw``, ``gl.walk`` and
    ``backward`` see every node). ``from_torch`` makes one subclass per PyTorch class name."""

    def __init__(self):
        super().__init__()
        object.__setattr__(self, "program", [])
        object.__setattr__(self, "constants", {})        # tensors written into the traced code
        object.__setattr__(self, "fx_graph", None)       # kept for gl.to_torch

    def forward(self, *inputs):
        return replay(self, inputs)

    def extra_repr(self):
        return "imported from PyTorch"


# -- replaying the traced graph ---------------------------------------------------------------------
def _resolve(value, values: dict):
    """Arguments with each Ref replaced by that node's value (inside tuples, lists, dicts, slices)."""
    if isinstance(value, Ref):
        return values[value.name]
    if isinstance(value, (tuple, list)):
        return type(value)(_resolve(item, values) for item in value)
    if isinstance(value, dict):
        return {key: _resolve(item, values) for key, item in value.items()}
    if isinstance(value, slice):
        return slice(_resolve(value.start, values), _resolve(value.stop, values), _resolve(value.step, values))
    return value


def _as_tensor(value) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "detach"):                     # a torch tensor given by mistake: take its values
        value = numpy_value(value)
    return Tensor(value)


def _attribute(model: ImportedModel, path: str):
    if path in model.constants:
        return model.constants[path]
    owner = model
    *modules, name = path.split(".")
    for part in modules:
        owner = getattr(owner, part)
    return getattr(owner, name)


def _run_step(model: ImportedModel, step: Step, values: dict, inputs: list):
    if step.kind == "placeholder":
        return _as_tensor(inputs.pop(0))
    if step.kind == "get_attr":
        return _attribute(model, step.target)
    args, kwargs = _resolve(step.args, values), _resolve(step.kwargs, values)
    if kwargs.get("training") is ModelMode:
        kwargs["training"] = model.training
    with contextlib.ExitStack() as scopes:
        for label in step.scopes:
            scopes.enter_context(scope(label))
        if step.kind == "call_module":
            return _attribute(model, step.target)(*args, **kwargs)
        return step.target(*args, **kwargs)


def replay(model: ImportedModel, inputs: tuple, record: Optional[dict] = None):
    """Run the traced graph on ``inputs`` with graphlab ops; ``record`` collects every node's value."""
    expected = sum(step.kind == "placeholder" for step in model.program)
    if len(inputs) != expected:
        raise TypeError(f"{type(model).__name__}: the imported model takes {expected} input(s), got {len(inputs)}")
    values, pending = {}, list(inputs)
    for step in model.program:
        if step.kind == "output":
            return _resolve(step.args[0], values)
        values[step.name] = _run_step(model, step, values, pending)
        if step.rebinds is not None:
            values[step.rebinds] = values[step.name]
        if record is not None:
            record[step.name] = values[step.name]
    raise ValueError(f"{type(model).__name__}: the traced graph has no output node")


# -- tracing and checking --------------------------------------------------------------------------
def _tracer(torch):
    """torch.fx's tracer, with graphlab's own PyTorch twins of GlobalAvgPool2d and Maxout as leaves."""
    from graphlab.interop.torch_layers import TWIN_CONVERTERS

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, module, path):
            if getattr(type(module), "graphlab_twin", False):
                return type(module).__name__ in TWIN_CONVERTERS
            return super().is_leaf_module(module, path)
    return Tracer()


def _trace(module, torch):
    tracer = _tracer(torch)
    try:
        graph = tracer.trace(module)
    except Exception as error:        # fx raises TraceError, TypeError, ... for code it cannot follow
        raise UnsupportedError(
            f"from_torch: torch.fx cannot trace {type(module).__name__}: {type(error).__name__}: {error}. "
            f"Python control flow that depends on tensor values (if x.sum() > 0) cannot be traced; "
            f"move it out of forward or into a leaf layer") from None
    return tracer, graph


def _torch_name(module) -> str:
    kind = type(module)
    return f"{kind.__module__.replace('torch.nn.modules', 'torch.nn').rsplit('.', 1)[0]}.{kind.__name__}" \
        if kind.__module__.startswith("torch.nn.modules") else f"{kind.__module__}.{kind.__name__}"


def _is_inside(path: str, leaves) -> bool:
    return any(path.startswith(leaf + ".") for leaf in leaves)


def _convert_leaves(module, tracer, torch) -> tuple:
    """({path: graphlab layer} for every leaf layer of the tree, [problems])."""
    layers, problems = {}, []
    for path, sub in module.named_modules():
        if not path or _is_inside(path, layers) or not tracer.is_leaf_module(sub, path):
            continue
        try:
            layers[path] = convert_leaf(sub, torch)
        except UnsupportedError as error:
            problems.append(f"{_torch_name(sub)} at '{path}' ({error})")
            layers[path] = None
    return layers, problems


def _unsupported_calls(graph, table: dict) -> list:
    """Every function and method the graph calls without a graphlab adapter, once each with a count."""
    counts = {}
    for node in graph.nodes:
        if node.op == "call_function" and node.target not in table:
            name = torch_functions.describe_function(node.target)
        elif node.op == "call_method" and node.target not in torch_functions.METHODS:
            name = f"Tensor.{node.target}"
        else:
            continue
        counts[name] = counts.get(name, 0) + 1
    return [name + (f" ({count} calls)" if count > 1 else "") for name, count in counts.items()]


def _refuse(module, problems: list) -> None:
    if problems:
        raise UnsupportedError(
            f"from_torch: {type(module).__name__} uses {len(problems)} thing(s) graphlab cannot import: "
            + "; ".join(problems) + ". Supported: the layers Conv2d, Linear, BatchNorm1d/2d, LayerNorm, "
            "activations, pooling, Dropout, Flatten, and the functions and methods listed in "
            "graphlab/interop/torch_functions.py; replace the others or compute them outside the model")


# -- building the graphlab model --------------------------------------------------------------------
_MODEL_CLASSES: dict = {}


def _model_class(name: str) -> type:
    """The ImportedModel subclass named like the PyTorch model's class."""
    if name not in _MODEL_CLASSES:
        _MODEL_CLASSES[name] = type(name, (ImportedModel,), {"__module__": __name__})
    return _MODEL_CLASSES[name]


def _own_tensors(torch_module, module: Module) -> None:
    """The parameters and buffers a PyTorch module holds itself (not through a child layer)."""
    for name, parameter in torch_module._parameters.items():
        if parameter is not None:
            module.register_parameter(name, Parameter(numpy_value(parameter), requires_grad=parameter.requires_grad))
    for name, buffer in torch_module._buffers.items():
        if buffer is not None:
            module.register_buffer(name, Tensor(numpy_value(buffer)))


def _build_tree(torch_module, layers: dict) -> ImportedModel:
    """PyTorch's module tree: the converted layers at their paths, Containers in between."""
    model = _model_class(type(torch_module).__name__)()
    _own_tensors(torch_module, model)
    for path, sub in torch_module.named_modules():
        if not path or _is_inside(path, layers):
            continue
        parent_path, _, name = path.rpartition(".")
        parent = _attribute(model, parent_path) if parent_path else model
        child = layers.get(path)
        if child is None:
            child = container_class(type(sub).__name__)()
            _own_tensors(sub, child)
        parent.add_module(name, child)
        object.__setattr__(child, "training", sub.training)
    object.__setattr__(model, "training", torch_module.training)
    return model


def _plain(value, node_type):
    """fx arguments with Nodes as Refs and fx's immutable containers as plain ones."""
    if isinstance(value, node_type):
        return Ref(value.name)
    if isinstance(value, tuple):
        return tuple(_plain(item, node_type) for item in value)
    if isinstance(value, list):
        return [_plain(item, node_type) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item, node_type) for key, item in value.items()}
    if isinstance(value, slice):
        return slice(*(_plain(part, node_type) for part in (value.start, value.stop, value.step)))
    return value


def _scopes(node, model: ImportedModel) -> tuple:
    """Scope labels of the PyTorch modules around a node ("layer1:Sequential", "0:BasicBlock")."""
    stack = node.meta.get("nn_module_stack") or {}
    paths = [entry[0] for entry in stack.values()]
    if node.op == "call_module":
        parts = node.target.split(".")
        paths = [".".join(parts[:end]) for end in range(1, len(parts))]    # the layer adds its own
    labels = []
    for path in paths:
        try:
            labels.append(f"{path.rpartition('.')[2]}:{type(_attribute(model, path)).__name__}")
        except AttributeError:
            continue
    return tuple(labels)


def _rebinds(node, torch_module) -> Optional[str]:
    """The input an in-place op overwrites (``relu_``, ``inplace=True``), so later uses see the result."""
    inplace = node.kwargs.get("inplace") is True or (node.op == "call_method" and node.target.endswith("_"))
    if node.op == "call_module":
        inplace = getattr(torch_module.get_submodule(node.target), "inplace", False) is True
    first = node.args[0] if node.args else None
    return first.name if inplace and hasattr(first, "name") and hasattr(first, "op") else None


def _mode_dependent(module, torch) -> set:
    """Names of the nodes whose arguments change with the module's mode: they read ``self.training``
    (found by tracing in both modes; each module's own mode is restored)."""
    saved = [(sub, sub.training) for sub in module.modules()]
    traced = []
    try:
        for mode in (True, False):
            module.train(mode)
            traced.append({node.name: _plain((tuple(node.args), dict(node.kwargs)), torch.fx.Node)
                           for node in _trace(module, torch)[1].nodes})
    finally:
        for sub, mode in saved:
            sub.training = mode
    return {name for name, arguments in traced[0].items() if traced[1].get(name, arguments) != arguments}


def _dropout_mode(args: tuple, kwargs: dict) -> tuple:
    """``F.dropout(x, p, self.training)``: ``training`` follows the imported model's mode (args, kwargs)."""
    kwargs = dict(kwargs)
    if len(args) > 2:
        args, kwargs["training"] = args[:2], args[2]
    kwargs["training"] = ModelMode
    return args, kwargs


def _program(graph, torch_module, model: ImportedModel, table: dict, torch) -> list:
    steps, follows_mode = [], _mode_dependent(torch_module, torch)
    for node in graph.nodes:
        target = node.target
        if node.op == "call_function":
            target = table[target]
        elif node.op == "call_method":
            target = torch_functions.METHODS[target]
        args, kwargs = _plain(tuple(node.args), torch.fx.Node), _plain(dict(node.kwargs), torch.fx.Node)
        if node.name in follows_mode and target in (torch_functions.dropout, torch_functions.dropout2d):
            args, kwargs = _dropout_mode(args, kwargs)
        steps.append(Step(node.name, node.op, target, args, kwargs, _scopes(node, model),
                          _rebinds(node, torch_module)))
    return steps


def _constants(graph, torch_module, model: ImportedModel) -> dict:
    """Tensors the traced code holds that are no parameter or buffer (``x * torch.tensor(2.0)``)."""
    constants = {}
    for node in graph.nodes:
        if node.op != "get_attr":
            continue
        try:
            _attribute(model, node.target)
        except AttributeError:
            value = torch_module
            for part in node.target.split("."):
                value = getattr(value, part)
            constants[node.target] = Tensor(numpy_value(value))
    return constants


# -- checking the import on an example --------------------------------------------------------------
@contextlib.contextmanager
def _eval_mode(*models):
    """Every module of the models in eval mode, each one's own mode restored afterwards."""
    saved = [(module, module.training) for model in models for module in model.modules()]
    for model in models:
        model.eval()
    try:
        yield
    finally:
        for module, mode in saved:
            module.training = mode


def _example_array(item) -> np.ndarray:
    """One example input (a torch tensor, a gl.Tensor, an array or a list) as a numpy array."""
    if hasattr(item, "detach"):
        return numpy_value(item)
    return np.asarray(item.data if isinstance(item, Tensor) else item)


def _example_arrays(example) -> list:
    return [_example_array(item) for item in (example if isinstance(example, tuple) else (example,))]


def _torch_values(torch_module, graph, arrays: list, torch) -> dict:
    """Every node's value when PyTorch runs the traced graph (copied: in-place ops change them later)."""
    values = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, node):
            result = super().run_node(node)
            if isinstance(result, torch.Tensor):
                values[node.name] = result.detach().clone().cpu().numpy()
            return result

    with torch.no_grad():
        Recorder(torch.fx.GraphModule(torch_module, graph)).run(*(torch.from_numpy(a) for a in arrays))
    return values


def _first_difference(model: ImportedModel, expected: dict, found: dict) -> Optional[str]:
    for step in model.program:
        if step.name not in expected or not isinstance(found.get(step.name), Tensor):
            continue
        reference, value = expected[step.name], found[step.name].data
        tolerance = 1e-9 if reference.dtype == np.float64 else 1e-4
        scale = max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0
        if value.shape != reference.shape or not np.allclose(value, reference, rtol=tolerance, atol=tolerance * scale):
            difference = "shapes " + f"{value.shape} vs {reference.shape}" if value.shape != reference.shape else \
                f"up to {float(np.max(np.abs(value - reference))):.3g}"
            where = step.target if isinstance(step.target, str) else getattr(step.target, "__name__", step.kind)
            return f"node {step.name!r} ({step.kind} {where}): {difference}"
    return None


def _check_against_torch(model: ImportedModel, torch_module, graph, example, torch) -> None:
    """Run both models on the example (eval mode, no gradients); an error names the first node that differs."""
    arrays = _example_arrays(example)
    found = {}
    with _eval_mode(model, torch_module):
        expected = _torch_values(torch_module, graph, arrays, torch)
        with no_grad():
            replay(model, tuple(Tensor(array) for array in arrays), found)
    difference = _first_difference(model, expected, found)
    if difference is not None:
        raise UnsupportedError(f"from_torch: the imported {type(torch_module).__name__} does not compute what "
                               f"PyTorch computes on the example input; first difference at {difference}")


def from_torch(module, example_input=None) -> ImportedModel:
    """The graphlab model of a ``torch.nn.Module``: same weights, buffers, names and outputs.

    The module is traced with ``torch.fx`` (its ``forward`` must not branch on tensor values).
    Layers: Conv2d, Linear, BatchNorm1d/2d, LayerNorm, ReLU, LeakyReLU, PReLU, ELU, GELU, SELU,
    Sigmoid, Tanh, Softmax, LogSoftmax, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Dropout(2d),
    Flatten, Identity; functions and methods such as ``F.relu``, ``torch.cat``, ``x + y``,
    ``x.view(x.size(0), -1)``, ``torch.flatten``, ``F.softmax``. Anything else is one
    ``UnsupportedError`` listing all of it. With ``example_input`` (an array, a tensor, or a
    tuple of them) both models run on it and the import fails at the first node that differs.
    Train/eval modes are copied; call ``.double()`` on the PyTorch module first for float64.
    """
    torch = require("torch", "from_torch")
    if not isinstance(module, torch.nn.Module):
        raise UnsupportedError(f"from_torch: module must be a torch.nn.Module, got {type(module).__name__}")
    tracer, graph = _trace(module, torch)
    table = torch_functions.function_table(torch)
    layers, problems = _convert_leaves(module, tracer, torch)
    _refuse(module, problems + _unsupported_calls(graph, table))
    model = _build_tree(module, layers)
    model.constants.update(_constants(graph, module, model))
    model.program.extend(_program(graph, module, model, table, torch))
    object.__setattr__(model, "fx_graph", graph)
    if example_input is not None:
        _check_against_torch(model, module, graph, example_input, torch)
    return model
