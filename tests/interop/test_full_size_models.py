"""The full VGG16 (138M weights) and AlexNet (62M) at their real input sizes, exported to PyTorch and ONNX.

Opt-in: they need about 5 GB of memory and a minute, so the regular suite checks their layer stacks
(test_to_torch.py, test_onnx.py: ``features`` with real weights, the whole model's names and shapes on
the meta device). Run them with ``GRAPHLAB_FULL_SIZE=1 .venv/bin/python -m pytest tests/interop``.
"""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

import graphlab as gl  # noqa: E402
from interop_helpers import assert_close  # noqa: E402

pytestmark = pytest.mark.skipif(os.environ.get("GRAPHLAB_FULL_SIZE") != "1",
                                reason="full-size VGG16/AlexNet take ~5 GB and a minute: set GRAPHLAB_FULL_SIZE=1")


@pytest.mark.parametrize("builder, side", [(gl.nn.models.AlexNet, 227), (gl.nn.models.VGG16, 224)])
def test_full_size_model_in_pytorch_and_onnxruntime(builder, side, tmp_path):
    with gl.nn.shape_only():
        model = builder()
    rng = np.random.default_rng(0)
    model.load_state_dict({name: rng.standard_normal(value.shape, dtype=np.float32)
                           * np.float32(np.sqrt(2 / np.prod(value.shape[1:])))
                           for name, value in model.named_parameters()})
    model.eval()
    x = rng.standard_normal((1, 3, side, side), dtype=np.float32)
    with gl.no_grad():
        expected = model(gl.tensor(x)).data
    exported = gl.to_torch(model)
    with torch.no_grad():
        assert_close(exported(torch.from_numpy(x)).numpy(), expected, "PyTorch")
    del exported
    path = tmp_path / "model.onnx"
    gl.export_onnx(model, x, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert_close(session.run(None, {"input": x})[0], expected, "onnxruntime")
