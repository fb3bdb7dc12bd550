"""``gl.nn.summary(model, input_shape)``: each layer's output shape and parameter count, and
the totals, without training and (for the built-in layers) without computing anything.

Shapes come from each module's ``output_shape`` (the conv/pool formula of E19); a custom
module without one is run once on zeros instead. The "activations" total counts the values a
forward pass stores per sample — the input plus every conv, pool, norm and linear output;
ReLU, dropout and flatten work in place or on views, as in the CS231n memory tables (E27, E28).

>>> import graphlab as gl
>>> print(gl.nn.summary(gl.nn.models.SmallCNN(), (64, 1, 28, 28)))
layer                    output shape      params
-----------------------  ----------------  ------
SmallCNN                 (64, 10)           9,146
  features (Sequential)  (64, 16, 7, 7)     1,296
    0 (Conv2d)           (64, 8, 28, 28)       80
    1 (BatchNorm2d)      (64, 8, 28, 28)       16
    2 (ReLU)             (64, 8, 28, 28)        0
    3 (MaxPool2d)        (64, 8, 14, 14)        0
    4 (Conv2d)           (64, 16, 14, 14)   1,168
    5 (BatchNorm2d)      (64, 16, 14, 14)      32
    6 (ReLU)             (64, 16, 14, 14)       0
    7 (MaxPool2d)        (64, 16, 7, 7)         0
  head (Sequential)      (64, 10)           7,850
    0 (Flatten)          (64, 784)              0
    1 (Linear)           (64, 10)           7,850
total parameters: 9,146
activations per sample: 21,962 values (input 784)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from graphlab.autodiff.creation import zeros
from graphlab.config import no_grad
from graphlab.nn.module import Module, _Recorder


@dataclass
class Row:
    name: str            # attribute name inside the parent ("" for the model itself)
    kind: str            # class name
    depth: int
    output_shape: tuple
    params: int          # parameters of this module and its children
    activations: int     # output values per sample counted in the memory total (0 if not counted)


@dataclass
class Summary:
    rows: list
    input_shape: tuple
    total_params: int
    activations_per_sample: int

    def __str__(self) -> str:
        labels = [("  " * row.depth) + (f"{row.name} ({row.kind})" if row.name else row.kind) for row in self.rows]
        shapes = [str(tuple(row.output_shape)) if row.output_shape is not None else "?" for row in self.rows]
        params = [f"{row.params:,}" for row in self.rows]
        widths = [max(len("layer"), *map(len, labels)), max(len("output shape"), *map(len, shapes)),
                  max(len("params"), *map(len, params))]
        lines = [f"{'layer':<{widths[0]}}  {'output shape':<{widths[1]}}  {'params':>{widths[2]}}",
                 f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * widths[2]}"]
        for label, shape, count in zip(labels, shapes, params):
            lines.append(f"{label:<{widths[0]}}  {shape:<{widths[1]}}  {count:>{widths[2]}}")
        lines.append(f"total parameters: {self.total_params:,}")
        inputs = math.prod(self.input_shape[1:])
        lines.append(f"activations per sample: {self.activations_per_sample:,} values (input {inputs:,})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the same table in HTML, totals included."""
        from graphlab.nn.html_display import summary_html
        return summary_html(self)


def _record(model: Module, input_shape: tuple) -> list:
    rows: list = []
    previous, _Recorder.active = _Recorder.active, rows
    try:
        try:
            model.infer_shape(input_shape)
        except NotImplementedError:       # a custom module without output_shape: run it once
            rows.clear()
            modes = [(module, module.training) for module in model.modules()]
            model.eval()
            try:
                with no_grad():
                    dtype = next((p.dtype for p in model.parameters()), np.float32)
                    model(zeros(*input_shape, dtype=dtype))
            finally:
                for module, mode in modes:
                    object.__setattr__(module, "training", mode)
    finally:
        _Recorder.active = previous
    return [row for row in rows if row is not None]


def summary(model: Module, input_shape) -> Summary:
    """Per-layer output shape and parameter count of ``model`` for inputs of ``input_shape``
    (batch axis included); returns a ``Summary`` whose ``str`` is the table."""
    input_shape = tuple(int(size) for size in input_shape)
    recorded = _record(model, input_shape)
    base_depth = min(len(path) for path, _, _ in recorded)
    rows = []
    activations = math.prod(input_shape[1:])
    for path, module, shape in recorded:
        leaf = not any(True for _ in module.children())
        counted = leaf and module.counts_memory and shape is not None
        values = math.prod(shape[1:]) if counted else 0
        activations += values
        name = path[-1].split(":")[0] if len(path) > base_depth else ""
        rows.append(Row(name, type(module).__name__, len(path) - base_depth, shape, module.num_parameters(), values))
    return Summary(rows, input_shape, model.num_parameters(), activations)
