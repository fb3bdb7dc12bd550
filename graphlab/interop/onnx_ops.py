"""graphlab ops as ONNX nodes (opset 17): one emitter per op name.

An emitter gets the graph being written (``OnnxBuilder``: ``node``, ``constant``), the recorded
node (``ctx``: its inputs, its ``params``, its output shape) and the ONNX names of its inputs;
it adds the ONNX nodes that compute the op and returns the name of the result. Shapes are the
ones recorded, so the exported graph has the example's fixed shapes.
"""
from __future__ import annotations

import math

import numpy as np

from graphlab.ops.activation import SELU_ALPHA, SELU_SCALE
from graphlab.ops.conv import pair

#: ops that are one ONNX node of the same inputs: graphlab name -> ONNX op type
ONE_TO_ONE = {
    "add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "neg": "Neg", "exp": "Exp",
    "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu",
    "maximum": "Max", "minimum": "Min", "matmul": "MatMul", "where": "Where", "lt": "Less", "le": "LessOrEqual",
    "gt": "Greater", "ge": "GreaterOrEqual", "eq": "Equal", "sin": "Sin", "cos": "Cos", "clone": "Identity",
}


def _param(ctx, name, default=None):
    return getattr(ctx, "params", {}).get(name, default)


def _ints(values) -> list:
    return [int(value) for value in values]


def _axes(axis, ndim: int) -> list:
    """graphlab's axis (None, an int or a tuple) as a list of non-negative axes."""
    if axis is None:
        return list(range(ndim))
    return sorted(int(a) % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def _shape(builder, shape) -> str:
    return builder.constant(np.array(shape, dtype=np.int64), "shape")


def ne(builder, ctx, names):
    return builder.node("Not", [builder.node("Equal", names)])


def leaky_relu(builder, ctx, names):
    return builder.node("LeakyRelu", names, alpha=float(_param(ctx, "negative_slope", 0.01)))


def elu(builder, ctx, names):
    return builder.node("Elu", names, alpha=float(_param(ctx, "alpha", 1.0)))


def selu(builder, ctx, names):
    return builder.node("Selu", names, alpha=SELU_ALPHA, gamma=SELU_SCALE)


def gelu(builder, ctx, names):
    """opset 17 has no Gelu: x/2 · (1 + erf(x/√2)), or the tanh form."""
    (x,) = names
    half = builder.scalar(0.5)
    if _param(ctx, "approximate", "none") == "tanh":
        cube = builder.node("Mul", [builder.node("Mul", [x, x]), x])
        inner = builder.node("Add", [x, builder.node("Mul", [cube, builder.scalar(0.044715)])])
        core = builder.node("Tanh", [builder.node("Mul", [inner, builder.scalar(math.sqrt(2 / math.pi))])])
    else:
        core = builder.node("Erf", [builder.node("Div", [x, builder.scalar(math.sqrt(2.0))])])
    return builder.node("Mul", [builder.node("Mul", [x, half]), builder.node("Add", [core, builder.scalar(1.0)])])


def clip(builder, ctx, names):
    bounds = [builder.scalar(bound) if bound is not None else "" for bound in
              (_param(ctx, "low"), _param(ctx, "high"))]
    return builder.node("Clip", [names[0], *bounds])


def astype(builder, ctx, names):
    return builder.node("Cast", names, to=builder.elem_type(ctx.output_dtype))


def linear(builder, ctx, names):
    """x Wᵀ + b: Gemm for a batch of vectors, MatMul with the transposed weight otherwise."""
    if ctx.inputs[0].ndim == 2:
        return builder.node("Gemm", names, transB=1)
    out = builder.node("MatMul", [names[0], builder.node("Transpose", [names[1]], perm=[1, 0])])
    return builder.node("Add", [out, names[2]]) if len(names) > 2 else out


def conv2d(builder, ctx, names):
    padding = pair(_param(ctx, "padding", 0), "padding", "conv2d")
    return builder.node("Conv", names, kernel_shape=_ints(ctx.inputs[1].shape[2:]),
                        strides=_ints(pair(_param(ctx, "stride", 1), "stride", "conv2d")),
                        pads=_ints(padding + padding), group=int(_param(ctx, "groups", 1)),
                        dilations=_ints(pair(_param(ctx, "dilation", 1), "dilation", "conv2d")))


def _pool(op_type, **extra):
    def emit(builder, ctx, names):
        kernel = pair(_param(ctx, "kernel_size", 2), "kernel_size", "pool")
        stride = _param(ctx, "stride")
        stride = kernel if stride is None else pair(stride, "stride", "pool")
        padding = pair(_param(ctx, "padding", 0), "padding", "pool")
        return builder.node(op_type, names, kernel_shape=_ints(kernel), strides=_ints(stride),
                            pads=_ints(padding + padding), **extra)
    return emit


def global_avg_pool2d(builder, ctx, names):
    pooled = builder.node("GlobalAveragePool", names)
    return pooled if _param(ctx, "keepdims", False) else builder.node("Flatten", [pooled], axis=1)


def batch_norm(builder, ctx, names):
    if _param(ctx, "training", True) or _param(ctx, "running_mean") is None:
        return None            # batch statistics: no inference node (export_onnx runs in eval mode)
    channels = ctx.inputs[0].shape[1]
    scale, bias = names[1:3] if len(names) == 3 else (builder.ones(channels), builder.zeros(channels))
    mean = builder.array_input(_param(ctx, "running_mean"), "running_mean")
    var = builder.array_input(_param(ctx, "running_var"), "running_var")
    return builder.node("BatchNormalization", [names[0], scale, bias, mean, var],
                        epsilon=float(_param(ctx, "eps", 1e-5)))


def layer_norm(builder, ctx, names):
    shape = tuple(_param(ctx, "normalized_shape", ()))
    scale, bias = names[1:3] if len(names) == 3 else (builder.ones(shape), builder.zeros(shape))
    return builder.node("LayerNormalization", [names[0], scale, bias], axis=-len(shape),
                        epsilon=float(_param(ctx, "eps", 1e-5)))


def _softmax(op_type):
    def emit(builder, ctx, names):
        return builder.node(op_type, names, axis=int(_param(ctx, "axis", -1)))
    return emit


def _reduce(op_type, axes_as_input=False):
    """Reductions; opset 17 takes ReduceSum's axes as an input and the others' as an attribute."""
    def emit(builder, ctx, names):
        axes = _axes(_param(ctx, "axis"), ctx.inputs[0].ndim)
        keepdims = int(bool(_param(ctx, "keepdims", False)))
        if axes_as_input:
            return builder.node(op_type, [names[0], builder.constant(np.array(axes, dtype=np.int64), "axes")],
                                keepdims=keepdims)
        return builder.node(op_type, names, axes=axes, keepdims=keepdims)
    return emit


def reshape(builder, ctx, names):
    return builder.node("Reshape", [names[0], _shape(builder, ctx.output_shape)])


def transpose(builder, ctx, names):
    axes = _param(ctx, "axes")
    perm = list(reversed(range(ctx.inputs[0].ndim))) if axes is None else _ints(axes)
    return builder.node("Transpose", names, perm=perm)


def concat(builder, ctx, names):
    return builder.node("Concat", names, axis=int(_param(ctx, "axis", 0)) % len(ctx.output_shape))


def stack(builder, ctx, names):
    axis = int(_param(ctx, "axis", 0)) % len(ctx.output_shape)
    axes = builder.constant(np.array([axis], dtype=np.int64), "axes")
    return builder.node("Concat", [builder.node("Unsqueeze", [name, axes]) for name in names], axis=axis)


def broadcast_to(builder, ctx, names):
    return builder.node("Expand", [names[0], _shape(builder, ctx.output_shape)])


def pad(builder, ctx, names):
    ndim = ctx.inputs[0].ndim
    # numpy's pad_width: one number, one (before, after) pair, or a pair per axis
    widths = np.broadcast_to(np.asarray(_param(ctx, "pad_width", 0), dtype=np.int64), (ndim, 2))
    pads = builder.constant(np.concatenate([widths[:, 0], widths[:, 1]]).astype(np.int64), "pads")
    return builder.node("Pad", [names[0], pads, builder.scalar(_param(ctx, "value", 0.0))], mode="constant")


def getitem(builder, ctx, names):
    """Basic indexing (ints and slices) as Slice then Reshape; other indices have no mapping."""
    index = _param(ctx, "index", ())
    index = index if isinstance(index, tuple) else (index,)
    shape = ctx.inputs[0].shape
    if len(index) > len(shape) or not all(isinstance(part, (int, np.integer, slice)) for part in index):
        return None
    starts, ends, steps = [], [], []
    for part, size in zip(index, shape):
        start, stop, step = (slice(int(part) % size, int(part) % size + 1) if not isinstance(part, slice)
                             else part).indices(size)
        if step < 0:
            return None
        starts.append(start), ends.append(stop), steps.append(step)
    constants = [builder.constant(np.array(values, dtype=np.int64), label) for values, label in
                 ((starts, "starts"), (ends, "ends"), (list(range(len(starts))), "axes"), (steps, "steps"))]
    return builder.node("Reshape", [builder.node("Slice", [names[0], *constants]), _shape(builder, ctx.output_shape)])


def prelu(builder, ctx, names):
    """PyTorch's slope per channel (axis 1) broadcasts over the trailing axes in ONNX once reshaped."""
    x, slope = ctx.inputs
    if x.ndim > 2 and slope.size > 1:
        shape = (slope.size,) + (1,) * (x.ndim - 2)
        return builder.node("PRelu", [names[0], builder.node("Reshape", [names[1], _shape(builder, shape)])])
    return builder.node("PRelu", names)


def maxout(builder, ctx, names):
    axis = int(_param(ctx, "axis", 1)) % ctx.inputs[0].ndim
    pieces = int(_param(ctx, "pieces", 2))
    shape = list(ctx.inputs[0].shape)
    grouped = shape[:axis] + [shape[axis] // pieces, pieces] + shape[axis + 1:]
    reshaped = builder.node("Reshape", [names[0], _shape(builder, grouped)])
    return builder.node("ReduceMax", [reshaped], axes=[axis + 1], keepdims=0)


#: op name -> emitter; an op missing here makes export_onnx name it in its error
EMITTERS = {name: (lambda op_type: lambda builder, ctx, names: builder.node(op_type, names))(op_type)
            for name, op_type in ONE_TO_ONE.items()}
EMITTERS.update({
    "ne": ne, "leaky_relu": leaky_relu, "elu": elu, "selu": selu, "gelu": gelu, "clip": clip, "astype": astype,
    "linear": linear, "conv2d": conv2d, "max_pool2d": _pool("MaxPool"),
    "avg_pool2d": _pool("AveragePool", count_include_pad=1), "global_avg_pool2d": global_avg_pool2d,
    "batch_norm": batch_norm, "layer_norm": layer_norm, "softmax": _softmax("Softmax"),
    "log_softmax": _softmax("LogSoftmax"), "sum": _reduce("ReduceSum", axes_as_input=True),
    "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"), "min": _reduce("ReduceMin"),
    "logsumexp": _reduce("ReduceLogSumExp"), "reshape": reshape, "transpose": transpose, "concat": concat,
    "stack": stack, "broadcast_to": broadcast_to, "pad": pad, "getitem": getitem, "prelu": prelu, "maxout": maxout,
})
