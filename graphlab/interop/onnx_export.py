"""``gl.export_onnx(model_or_output, example_input, path)``: graphlab's recorded graph as ONNX.

The graph is written from what graphlab recorded, with the ``onnx`` package (not through
PyTorch): a model runs once on the example input in eval mode, then every node from the
output back to the input becomes ONNX nodes (``onnx_ops.py``, opset 17). The input and output
are named graph inputs and outputs; the parameters and buffers are initializers under their
``state_dict`` names (``layer1.0.conv1.weight``); numbers written into the graph are
initializers named ``const_...``. Each ONNX node is named after the graphlab scope it was made
in (``ResNet/layer1:Sequential/0:ResidualBlock/conv1:Conv2d/conv2d_3``), so a graph viewer
such as Netron shows graphlab's layers. The result passes ``onnx.checker``; shapes are the
example's.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from graphlab.autodiff.tensor import Tensor
from graphlab.config import enable_grad
from graphlab.interop.extras import UnsupportedError, require
from graphlab.interop.onnx_ops import EMITTERS
from graphlab.nn.module import Module, Parameter

#: the opset written; 17 has LayerNormalization, which CNNs and transformers need
OPSET = 17


class RecordedNode(NamedTuple):
    """What an emitter reads of a recorded op: its inputs, its settings, its output."""
    inputs: tuple
    params: dict
    output_shape: tuple
    output_dtype: np.dtype


class OnnxBuilder:
    """Collects ONNX nodes and initializers; hands out unique value names."""

    def __init__(self, onnx, float_dtype):
        self.onnx, self.helper = onnx, onnx.helper
        self.float_dtype = np.dtype(float_dtype)
        self.nodes, self.initializers, self.used = [], [], set()
        self.array_names = {}          # id(numpy array) -> initializer name (buffers read as arrays)
        self.parameter_names = {}      # id(tensor or its array) -> state_dict name
        self.prefix = ""

    def unique(self, stem: str) -> str:
        stem = stem.replace(" ", "_") or "value"
        name, count = stem, 1
        while name in self.used:
            name, count = f"{stem}_{count}", count + 1
        self.used.add(name)
        return name

    def elem_type(self, dtype) -> int:
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def constant(self, array, stem: str = "const", named: bool = False) -> str:
        """An initializer: ``stem`` itself for a named tensor (a parameter, a buffer, a named leaf),
        ``const_<stem>`` for the numbers an op adds (shapes, axes, 0.5)."""
        name = self.unique(stem if named or stem.startswith("const") else f"const_{stem}")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def scalar(self, value) -> str:
        return self.constant(np.array(value, dtype=self.float_dtype), "const")

    def ones(self, shape) -> str:
        return self.constant(np.ones(shape, dtype=self.float_dtype), "const_ones")

    def zeros(self, shape) -> str:
        return self.constant(np.zeros(shape, dtype=self.float_dtype), "const_zeros")

    def array_input(self, array, stem: str) -> str:
        """A numpy array an op reads as a setting (batch norm's running statistics), by its buffer name."""
        if id(array) not in self.array_names:
            known = id(array) in self.parameter_names
            self.array_names[id(array)] = self.constant(np.asarray(array), self.parameter_names.get(id(array), stem),
                                                        named=known)
        return self.array_names[id(array)]

    def node(self, op_type: str, inputs: list, **attributes) -> str:
        output = self.unique(f"{op_type.lower()}")
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output],
                                                name=f"{self.prefix}{op_type}_{len(self.nodes)}", **attributes))
        return output


# -- walking the recorded graph ---------------------------------------------------------------------
def _topological(outputs: list) -> list:
    """Every tensor the outputs depend on, inputs before the tensors made from them (no recursion)."""
    order, seen, stack = [], set(), [(tensor, False) for tensor in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        if tensor.creator is not None:
            stack.extend((item, False) for item in reversed(tensor.creator.inputs) if id(item) not in seen)
    return order


def _missing_ops(order: list) -> dict:
    """{op name: count} of the recorded ops without an ONNX mapping."""
    missing = {}
    for tensor in order:
        if tensor.creator is not None and tensor.creator.name not in EMITTERS:
            missing[tensor.creator.name] = missing.get(tensor.creator.name, 0) + 1
    return missing


def _refuse(missing: dict, uses: list) -> None:
    if missing or uses:
        parts = [f"{name} ({count} node{'s' if count > 1 else ''})" for name, count in missing.items()] + uses
        raise UnsupportedError(
            f"export_onnx: no ONNX mapping for {', '.join(parts)}. Export the part of the model before them "
            f"(e.g. the logits, not the loss), or compute them outside the exported graph")


def _emit(builder: OnnxBuilder, tensor: Tensor, names: dict):
    ctx = tensor.creator
    recorded = RecordedNode(tuple(ctx.inputs), dict(getattr(ctx, "params", {}) or {}), tuple(tensor.shape),
                            tensor.data.dtype)
    builder.prefix = "/".join(tensor.scope or ()) + ("/" if tensor.scope else "")
    return EMITTERS[ctx.name](builder, recorded, [names[id(item)] for item in ctx.inputs])


def _leaf_name(builder: OnnxBuilder, tensor: Tensor, inputs: dict) -> str:
    if id(tensor) in inputs:
        return inputs[id(tensor)]
    known = builder.parameter_names
    if id(tensor.data) in builder.array_names:
        return builder.array_names[id(tensor.data)]
    stem = known.get(id(tensor)) or known.get(id(tensor.data)) or tensor.name
    builder.array_names[id(tensor.data)] = name = builder.constant(tensor.data, stem or "const", named=bool(stem))
    return name


def _build_graph(builder: OnnxBuilder, outputs: list, inputs: dict) -> list:
    """ONNX nodes for everything the outputs depend on; returns the output value names."""
    order = _topological(outputs)
    missing = _missing_ops(order)
    names, uses = {}, []
    for tensor in order:
        if tensor.creator is None:
            names[id(tensor)] = _leaf_name(builder, tensor, inputs)
        elif not missing and not uses:
            result = _emit(builder, tensor, names)
            if result is None:
                uses.append(f"{tensor.creator.name} as used at {'/'.join(tensor.scope or ()) or 'the top level'}"
                            f" (batch statistics in training mode, or an index other than ints and slices)")
            names[id(tensor)] = result
    _refuse(missing, uses)
    return [names[id(tensor)] for tensor in outputs]


# -- the public function ----------------------------------------------------------------------------
class _EvalMode:
    """A model in eval mode for the export, each module's own mode restored afterwards."""

    def __init__(self, model: Module):
        self.saved = [(module, module.training) for module in model.modules()]
        self.model = model

    def __enter__(self):
        self.model.eval()

    def __exit__(self, *exc):
        for module, mode in self.saved:
            object.__setattr__(module, "training", mode)


def _as_list(value) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _run_model(model: Module, example_input) -> tuple:
    """(outputs, input tensors, {id: state_dict name}) from one eval-mode run of the model."""
    if example_input is None:
        raise UnsupportedError(f"export_onnx: exporting a model needs an example input, e.g. "
                               f"gl.export_onnx({type(model).__name__.lower()}, gl.randn(1, 3, 32, 32), path)")
    inputs = [Tensor(item.data if isinstance(item, Tensor) else np.asarray(item), requires_grad=True)
              for item in _as_list(example_input)]
    with _EvalMode(model), enable_grad():
        outputs = _as_list(model(*inputs))
    names = {}
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        names[id(tensor)] = names[id(tensor.data)] = name
    return outputs, inputs, names


def _expression_inputs(outputs: list, example_input) -> tuple:
    """(input tensors, {id: name}) of a recorded expression: the leaves given, or every leaf that
    requires a gradient and is no Parameter (parameters become initializers under their names)."""
    order = _topological(outputs)
    leaves = [tensor for tensor in order if tensor.creator is None]
    if example_input is not None:
        inputs = _as_list(example_input)
    else:
        inputs = [leaf for leaf in leaves if leaf.requires_grad and not isinstance(leaf, Parameter)]
    names = {id(leaf): leaf.name for leaf in leaves if isinstance(leaf, Parameter) and leaf.name}
    return inputs, names


def _value_info(builder: OnnxBuilder, name: str, tensor: Tensor):
    return builder.helper.make_tensor_value_info(name, builder.elem_type(tensor.data.dtype), list(tensor.shape))


def _model_proto(builder, graph_name, inputs, input_names, outputs, output_names):
    helper = builder.helper
    graph = helper.make_graph(builder.nodes, graph_name,
                              [_value_info(builder, name, tensor) for name, tensor in zip(input_names, inputs)],
                              [_value_info(builder, name, tensor) for name, tensor in zip(output_names, outputs)],
                              builder.initializers)
    proto = helper.make_model(graph, producer_name="graphlab", opset_imports=[helper.make_opsetid("", OPSET)])
    builder.onnx.checker.check_model(proto, full_check=True)
    return proto


def _names(given, tensors: list, default: str, kind: str) -> list:
    if given is not None:
        given = _as_list(given)
        if len(given) != len(tensors):
            raise UnsupportedError(f"export_onnx: {len(given)} {kind}_names for {len(tensors)} {kind}s")
        return [str(name) for name in given]
    if len(tensors) == 1:
        return [tensors[0].name or default]
    return [tensor.name or f"{default}_{index}" for index, tensor in enumerate(tensors)]


def export_onnx(model_or_output, example_input=None, path=None, *, input_names=None, output_names=None):
    """Write graphlab's recorded graph as an ONNX model (opset 17) and return the ``ModelProto``.

    ``model_or_output`` is a ``gl.nn`` model (run once on ``example_input`` in eval mode) or an
    output Tensor (or a tuple of them) of graphlab ops; for an output, ``example_input`` lists
    the tensors that become graph inputs (default: every leaf that requires a gradient and is
    not a Parameter). Parameters and buffers become initializers under their ``state_dict``
    names, inputs and outputs are named (``input``/``output``, a tensor's ``name``, or
    ``input_names``/``output_names``). The model is checked with ``onnx.checker`` and saved to
    ``path`` when one is given. Ops without an ONNX mapping (the losses, for example) are
    listed in one ``UnsupportedError``.
    """
    onnx = require("onnx", "export_onnx")
    if isinstance(model_or_output, Module):
        outputs, inputs, known = _run_model(model_or_output, example_input)
        graph_name = type(model_or_output).__name__
    elif all(isinstance(item, Tensor) for item in _as_list(model_or_output)):
        outputs = _as_list(model_or_output)
        inputs, known = _expression_inputs(outputs, example_input)
        graph_name = "graphlab"
    else:
        raise UnsupportedError(f"export_onnx: model_or_output must be a gl.nn.Module or an output gl.Tensor, "
                               f"got {type(model_or_output).__name__}")
    float_dtype = next((t.data.dtype for t in outputs + inputs if t.data.dtype.kind == "f"), np.float32)
    builder = OnnxBuilder(onnx, float_dtype)
    builder.parameter_names = known
    in_names = [builder.unique(name) for name in _names(input_names, inputs, "input", "input")]
    results = _build_graph(builder, outputs, {id(tensor): name for tensor, name in zip(inputs, in_names)})
    out_names = [builder.unique(name) for name in _names(output_names, outputs, "output", "output")]
    for result, name in zip(results, out_names):
        builder.nodes.append(builder.helper.make_node("Identity", [result], [name], name=f"{name}_identity"))
    proto = _model_proto(builder, graph_name, inputs, in_names, outputs, out_names)
    if path is not None:
        onnx.save(proto, str(path))
    return proto
