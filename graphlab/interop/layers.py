"""The few layers PyTorch has and ``gl.nn`` does not, so that imported models keep one layer per module.

>>> import graphlab as gl
>>> layer = LogSoftmax(dim=1)
>>> out = layer(gl.tensor([[0.0, 0.0]]))
>>> round(float(out.data[0, 0]), 4), layer.infer_shape((3, 2))
(-0.6931, (3, 2))
"""
from __future__ import annotations

from graphlab import functional as F
from graphlab.argcheck import integer
from graphlab.nn.module import Module


class LogSoftmax(Module):
    """log softmax along ``dim`` (PyTorch's ``nn.LogSoftmax``)."""
    tensor_input = "float"
    counts_memory = False

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = integer(dim, "dim", "LogSoftmax")

    def forward(self, x):
        return F.log_softmax(x, self.dim)

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def extra_repr(self):
        return f"dim={self.dim}"


class IndexedChildren:
    """``model.layer1[0]`` and ``len(model.layer1)`` as in PyTorch: children by position or name."""

    def __getitem__(self, index):
        children = dict(self.named_children())
        return children[index] if isinstance(index, str) else list(children.values())[index]

    def __len__(self) -> int:
        return len(dict(self.named_children()))


class Container(IndexedChildren, Module):
    """A module of an imported model that only groups others (a PyTorch ``Sequential`` or a
    custom block): it keeps the module tree, so parameter names and diagram boxes match PyTorch's.
    ``from_torch`` makes one subclass per PyTorch class name, so scopes read ``layer1:Sequential``."""

    def forward(self, *inputs):
        raise TypeError(f"{type(self).__name__}: a part of an imported model runs as part of the whole model; "
                        f"call the model returned by gl.from_torch")


_CONTAINER_CLASSES: dict = {}


def container_class(torch_class_name: str) -> type:
    """The Container subclass named like the PyTorch class (one per name)."""
    if torch_class_name not in _CONTAINER_CLASSES:
        _CONTAINER_CLASSES[torch_class_name] = type(torch_class_name, (Container,), {"__module__": __name__})
    return _CONTAINER_CLASSES[torch_class_name]
