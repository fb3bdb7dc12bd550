"""``gl.to_torch(model)``: a ``gl.nn`` layer, block or model as a ``torch.nn.Module``.

Layers become their ``torch.nn`` namesakes; blocks and models become twins
(``graphlab/interop/torch_twins.py``) with the same children under the same names and the same
forward; a model made by ``gl.from_torch`` becomes a ``torch.fx.GraphModule`` of its traced
graph. The weights and buffers are then loaded from graphlab's ``state_dict`` with
``strict=True``, so the two ``state_dict``s have the same keys and the same values, and each
module keeps its training/eval mode.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from graphlab import nn
from graphlab.interop.extras import UnsupportedError, require
from graphlab.interop.from_torch import ImportedModel
from graphlab.interop.layers import Container, LogSoftmax
from graphlab.nn.module import is_placeholder


def _dtype(module, torch):
    """The torch dtype of a graphlab layer's float parameters (float32 when it has none)."""
    for _, tensor in list(module.named_parameters()) + list(module.named_buffers()):
        if tensor.data.dtype.kind == "f":
            return getattr(torch, tensor.data.dtype.name)
    return torch.float32


def _linear(layer, torch):
    return torch.nn.Linear(layer.in_features, layer.out_features, layer.bias is not None, dtype=_dtype(layer, torch))


def _conv2d(layer, torch):
    return torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                           layer.dilation, layer.groups, layer.bias is not None, dtype=_dtype(layer, torch))


def _batch_norm(name):
    def convert(layer, torch):
        return getattr(torch.nn, name)(layer.num_features, layer.eps, layer.momentum, layer.affine,
                                       layer.track_running_stats, dtype=_dtype(layer, torch))
    return convert


def _layer_norm(layer, torch):
    return torch.nn.LayerNorm(layer.normalized_shape, layer.eps, layer.weight is not None, dtype=_dtype(layer, torch))


def _maxout(layer, torch):
    from graphlab.interop import torch_twins
    return torch_twins.Maxout({"linear": _linear(layer.linear, torch)}, pieces=layer.pieces)


def _simple(name, *attributes):
    """A layer whose PyTorch constructor takes these attributes of the graphlab layer, in order."""
    def convert(layer, torch):
        return getattr(torch.nn, name)(*(getattr(layer, attribute) for attribute in attributes))
    return convert


#: graphlab layer class -> converter (graphlab layer, torch) -> torch.nn.Module without weights
LAYERS = {
    nn.Linear: _linear, nn.Conv2d: _conv2d, nn.BatchNorm1d: _batch_norm("BatchNorm1d"),
    nn.BatchNorm2d: _batch_norm("BatchNorm2d"), nn.LayerNorm: _layer_norm, nn.Maxout: _maxout,
    nn.ReLU: _simple("ReLU"), nn.LeakyReLU: _simple("LeakyReLU", "negative_slope"), nn.ELU: _simple("ELU", "alpha"),
    nn.SELU: _simple("SELU"), nn.GELU: _simple("GELU", "approximate"), nn.Sigmoid: _simple("Sigmoid"),
    nn.Tanh: _simple("Tanh"), nn.Softmax: _simple("Softmax", "axis"), LogSoftmax: _simple("LogSoftmax", "dim"),
    nn.PReLU: lambda layer, torch: torch.nn.PReLU(layer.weight.shape[0], dtype=_dtype(layer, torch)),
    nn.Dropout: _simple("Dropout", "p"), nn.Dropout2d: _simple("Dropout2d", "p"), nn.Identity: _simple("Identity"),
    nn.Flatten: _simple("Flatten", "start_dim", "end_dim"),
    nn.MaxPool2d: lambda layer, torch: torch.nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding,
                                                          ceil_mode=layer.ceil_mode),
    nn.AvgPool2d: _simple("AvgPool2d", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    nn.AdaptiveAvgPool2d: _simple("AdaptiveAvgPool2d", "output_size"),
    nn.GlobalAvgPool2d: lambda layer, torch: _twins().GlobalAvgPool2d(),
}

#: graphlab block/model class -> (twin class name, the attributes its forward reads: settings, and
#: optional layers that may be None)
BLOCKS = {
    nn.ResidualBlock: ("ResidualBlock", ("bottleneck", "has_shortcut", "downsample")),
    nn.DenseLayer: ("DenseLayer", ("bottleneck", "dropout")), nn.DenseBlock: ("DenseBlock", ()),
    nn.Transition: ("Transition", ()), nn.models.SmallCNN: ("SmallCNN", ()), nn.models.VGG16: ("VGG16", ()),
    nn.models.AlexNet: ("AlexNet", ()), nn.models.DenseNet: ("DenseNet", ()), nn.models.ResNet: ("ResNet", ()),
    nn.models.PlainCNN: ("PlainCNN", ()),
}


def _twins():
    from graphlab.interop import torch_twins
    return torch_twins


def _kind(module) -> str:
    """How a graphlab module is converted: 'layer', 'block', 'sequential', 'list', 'imported' or ''."""
    kind = type(module)
    if kind in LAYERS:
        return "layer"
    if kind in BLOCKS:
        return "block"
    if kind is nn.Sequential:
        return "sequential"
    if kind is nn.ModuleList:
        return "list"
    return "imported" if isinstance(module, ImportedModel) else ""


def unsupported_modules(model) -> list:
    """'path (Class)' for every module of the tree that has no PyTorch twin."""
    problems, stack = [], [("", model)]
    while stack:
        path, module = stack.pop()
        kind = _kind(module)
        if not kind:
            problems.append(f"{path or '(the model)'} ({type(module).__name__})")
        if kind in ("", "block", "sequential", "list"):
            stack.extend((f"{path}.{name}" if path else name, child) for name, child in
                         reversed(list(module.named_children())))
    return problems


def _convert(module, torch):
    """The PyTorch module of a graphlab module, without its weights (loaded afterwards)."""
    kind = _kind(module)
    if kind == "layer":
        return LAYERS[type(module)](module, torch)
    if kind == "imported":
        return _graph_module(module, torch)
    children = OrderedDict((name, None if child is None else _convert(child, torch))
                           for name, child in module._modules.items())
    if kind == "sequential":
        return torch.nn.Sequential(children)
    if kind == "list":
        return torch.nn.ModuleList(list(children.values()))
    name, attributes = BLOCKS[type(module)]
    settings = {attribute: getattr(module, attribute) for attribute in attributes if attribute not in children}
    return getattr(_twins(), name)(children, **settings)


def _graph_module(model: ImportedModel, torch):
    """A model imported by ``from_torch``: its traced graph over a tree of converted layers."""
    root = torch.nn.Module()
    for path, module in model.named_modules():
        if not path:
            continue
        parent_path, _, name = path.rpartition(".")
        parent = root.get_submodule(parent_path) if parent_path else root
        converted = torch.nn.Module() if isinstance(module, Container) else _convert(module, torch)
        parent.add_module(name, converted)
        if isinstance(module, Container):
            _own_tensors(module, converted, torch)
    _own_tensors(model, root, torch)
    for name, value in model.constants.items():
        setattr(root, name, torch.from_numpy(np.array(value.data, copy=True)))
    return torch.fx.GraphModule(root, model.fx_graph, class_name=type(model).__name__)


def _own_tensors(module, target, torch):
    """The parameters and buffers a container holds directly (not in a layer), as PyTorch's."""
    for name, parameter in module._parameters.items():
        if parameter is not None:
            target.register_parameter(name, torch.nn.Parameter(torch.from_numpy(np.array(parameter.data))))
    for name, buffer in module._buffers.items():
        if buffer is not None:
            target.register_buffer(name, torch.from_numpy(np.array(buffer.data)))


def to_torch(model):
    """The ``torch.nn.Module`` equivalent of a graphlab model, with identical weights and buffers.

    Every ``gl.nn`` layer, the blocks (ResidualBlock, DenseBlock, DenseLayer, Transition),
    the models (SmallCNN, ResNet, PlainCNN, DenseNet, VGG16, AlexNet), Sequential and
    ModuleList, and models made by ``gl.from_torch``. The ``state_dict`` keys are graphlab's
    (``layer1.0.conv1.weight``); dtypes and train/eval modes are kept. A custom module has no
    PyTorch twin: the error lists every such module of the tree. A model built under
    ``gl.nn.shape_only()`` becomes a module on PyTorch's "meta" device (names and shapes only).
    """
    torch = require("torch", "to_torch")
    if not isinstance(model, nn.Module):
        raise UnsupportedError(f"to_torch: model must be a gl.nn.Module, got {type(model).__name__}")
    problems = unsupported_modules(model)
    if problems:
        raise UnsupportedError(
            f"to_torch: no PyTorch twin for {len(problems)} module(s): {', '.join(problems)}. to_torch knows the "
            f"gl.nn layers, blocks and models, Sequential, ModuleList and models from gl.from_torch; write "
            f"the module in PyTorch and load the weights with load_state_dict(gl_model.state_dict())")
    if any(is_placeholder(parameter) for parameter in model.parameters()):
        with torch.device("meta"):      # built under gl.nn.shape_only(): structure and names, no memory
            converted = _convert(model, torch)
        _copy_modes(model, converted)
        return converted
    converted = _convert(model, torch)
    # state_dict() already hands out copies: PyTorch may own them without a second copy
    state = OrderedDict((name, torch.from_numpy(value)) for name, value in model.state_dict().items())
    converted.load_state_dict(state, strict=True)
    _copy_modes(model, converted)
    return converted


def _copy_modes(model, converted) -> None:
    """Each PyTorch module in the train/eval mode of its graphlab namesake."""
    for path, module in model.named_modules():
        try:
            target = converted.get_submodule(path) if path else converted
        except AttributeError:         # a GraphModule keeps only the modules its graph calls
            continue
        target.training = module.training
