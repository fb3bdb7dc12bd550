"""``gl.from_torch``, ``gl.to_torch``, ``gl.export_onnx``: graphlab and PyTorch/ONNX meet.

graphlab is for *seeing* and *checking* backpropagation; for GPUs and many machines, export a
model to PyTorch and train it there, then import it back to look inside. Three functions:

* ``from_torch(module, example_input)``: a ``torch.nn.Module``, traced with ``torch.fx``,
  becomes a graphlab model with the same weights, buffers and parameter names
  (``layer1.0.conv1.weight``), which ``gl.draw``/``gl.walk`` show like any graphlab model.
* ``to_torch(model)``: a ``gl.nn`` layer, block or model becomes a ``torch.nn.Module`` whose
  ``state_dict`` has the same names and values.
* ``export_onnx(model_or_output, example_input, path)``: graphlab's recorded graph written as an
  ONNX file with the ``onnx`` package (opset 17), for onnxruntime or a graph viewer.

torch, onnx and onnxruntime are optional: ``import graphlab`` never imports them, and each
function says which extra to install (``pip install 'graphlab[torch]'``, ``'graphlab[onnx]'``)
when its library is missing.
"""
from graphlab.interop.extras import MissingExtraError, UnsupportedError
from graphlab.interop.from_torch import ImportedModel, from_torch
from graphlab.interop.onnx_export import export_onnx
from graphlab.interop.to_torch import to_torch

__all__ = ["from_torch", "to_torch", "export_onnx", "ImportedModel", "MissingExtraError", "UnsupportedError"]
