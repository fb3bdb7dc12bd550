"""PyTorch layers as ``gl.nn`` layers: one converter per ``torch.nn`` class, weights copied.

Each converter builds the graphlab layer with the same settings and dtype, then copies the
PyTorch layer's parameters and buffers with ``load_state_dict`` (strict: the names must match).
A setting graphlab does not compute (``dilation=2`` in pooling, ``padding_mode="reflect"``) raises
``UnsupportedError`` with the reason; ``from_torch`` collects them all into one error.
"""
from __future__ import annotations

import numpy as np

from graphlab import nn
from graphlab.interop.extras import UnsupportedError
from graphlab.interop.layers import LogSoftmax


def _dtype(module) -> str:
    """The float dtype of a PyTorch layer's parameters (float32 when it has none)."""
    for tensor in list(module.parameters(recurse=False)) + list(module.buffers(recurse=False)):
        if tensor.is_floating_point():
            return str(tensor.dtype).replace("torch.", "")
    return "float32"


def copy_state(torch_module, layer):
    """``layer`` with the PyTorch module's own parameters and buffers, names checked."""
    state = {name: value.detach().cpu().numpy() for name, value in torch_module.state_dict().items()}
    layer.load_state_dict(state)
    return layer.train(torch_module.training)


def _conv_padding(module) -> tuple:
    padding = module.padding
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        totals = [d * (k - 1) for d, k in zip(module.dilation, module.kernel_size)]
        if any(total % 2 for total in totals):
            raise UnsupportedError(f"padding='same' with an even kernel {module.kernel_size} pads unevenly")
        return tuple(total // 2 for total in totals)
    return tuple(padding)


def conv2d(module):
    if module.padding_mode != "zeros":
        raise UnsupportedError(f"padding_mode={module.padding_mode!r} (only 'zeros')")
    return nn.Conv2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                     _conv_padding(module), module.dilation, module.groups, module.bias is not None,
                     dtype=_dtype(module))


def linear(module):
    return nn.Linear(module.in_features, module.out_features, module.bias is not None, dtype=_dtype(module))


def batch_norm(layer_class):
    def convert(module):
        return layer_class(module.num_features, module.eps, module.momentum, module.affine,
                           module.track_running_stats, dtype=_dtype(module))
    return convert


def layer_norm(module):
    if module.elementwise_affine and module.bias is None:
        raise UnsupportedError("bias=False with elementwise_affine=True")
    return nn.LayerNorm(module.normalized_shape, module.eps, module.elementwise_affine, dtype=_dtype(module))


def _pool_settings(module, name: str):
    if getattr(module, "dilation", 1) not in (1, (1, 1)) or getattr(module, "return_indices", False):
        raise UnsupportedError("dilation or return_indices")
    if name == "AvgPool2d" and module.divisor_override is not None:
        raise UnsupportedError("divisor_override")
    return module.kernel_size, module.stride, module.padding, module.ceil_mode


def max_pool2d(module):
    return nn.MaxPool2d(*_pool_settings(module, "MaxPool2d"))


def avg_pool2d(module):
    return nn.AvgPool2d(*_pool_settings(module, "AvgPool2d"), count_include_pad=module.count_include_pad)


def adaptive_avg_pool2d(module):
    if module.output_size is None or (isinstance(module.output_size, tuple) and None in module.output_size):
        raise UnsupportedError(f"output_size={module.output_size} (None: keep that input size)")
    return nn.AdaptiveAvgPool2d(module.output_size)


def softmax(layer_class, argument: str):
    def convert(module):
        if module.dim is None:
            raise UnsupportedError("dim=None; give the dim explicitly")
        return layer_class(**{argument: module.dim})
    return convert


def prelu(module):
    return nn.PReLU(module.num_parameters, dtype=_dtype(module))


def maxout(module):
    """graphlab's Maxout exported by ``to_torch`` (a ``linear`` child and ``pieces``)."""
    return nn.Maxout(module.linear.in_features, module.linear.out_features // module.pieces, module.pieces,
                     dtype=_dtype(module.linear))


#: torch.nn class name -> converter (a function of the PyTorch module)
CONVERTERS = {
    "Conv2d": conv2d, "Linear": linear, "BatchNorm1d": batch_norm(nn.BatchNorm1d),
    "BatchNorm2d": batch_norm(nn.BatchNorm2d), "LayerNorm": layer_norm,
    "ReLU": lambda module: nn.ReLU(), "LeakyReLU": lambda module: nn.LeakyReLU(module.negative_slope),
    "ELU": lambda module: nn.ELU(module.alpha), "GELU": lambda module: nn.GELU(module.approximate),
    "SELU": lambda module: nn.SELU(), "Sigmoid": lambda module: nn.Sigmoid(), "Tanh": lambda module: nn.Tanh(),
    "PReLU": prelu, "Softmax": softmax(nn.Softmax, "axis"), "LogSoftmax": softmax(LogSoftmax, "dim"),
    "MaxPool2d": max_pool2d, "AvgPool2d": avg_pool2d, "AdaptiveAvgPool2d": adaptive_avg_pool2d,
    "Dropout": lambda module: nn.Dropout(module.p), "Dropout2d": lambda module: nn.Dropout2d(module.p),
    "Flatten": lambda module: nn.Flatten(module.start_dim, module.end_dim), "Identity": lambda module: nn.Identity(),
}
#: the layers of graphlab's own twins (graphlab/interop/torch_twins.py) that PyTorch lacks
TWIN_CONVERTERS = {"GlobalAvgPool2d": lambda module: nn.GlobalAvgPool2d(), "Maxout": maxout}


def converter_for(torch_module, torch):
    """The converter of a PyTorch leaf module, or None when there is none."""
    name = type(torch_module).__name__
    if getattr(torch.nn, name, None) is type(torch_module):
        return CONVERTERS.get(name)
    if getattr(type(torch_module), "graphlab_twin", False):
        return TWIN_CONVERTERS.get(name)
    return None


def convert_leaf(torch_module, torch):
    """The graphlab layer of a PyTorch leaf module, weights copied (UnsupportedError when impossible)."""
    convert = converter_for(torch_module, torch)
    if convert is None:
        raise UnsupportedError("no graphlab layer for this PyTorch module")
    layer = convert(torch_module)
    return copy_state(torch_module, layer)


def numpy_value(tensor) -> np.ndarray:
    """A PyTorch tensor as a numpy array of its own (detached, on the CPU, copied)."""
    return tensor.detach().cpu().numpy().copy()
