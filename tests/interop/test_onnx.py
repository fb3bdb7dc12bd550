"""gl.export_onnx: every model builder and scalar/tensor expression graphs, written from graphlab's recorded
graph with the onnx package (opset 17), checked by onnx.checker and run by onnxruntime (float32 within 1e-5)."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import graphlab as gl  # noqa: E402
from graphlab import nn  # noqa: E402
from graphlab.interop import UnsupportedError  # noqa: E402
from graphlab.interop.layers import LogSoftmax  # noqa: E402
from interop_helpers import assert_close, with_statistics  # noqa: E402
from interop_helpers import images as float_images  # noqa: E402


def images(*shape, seed=1):
    return float_images(*shape, dtype=np.float32, seed=seed)     # ONNX graphs run in float32


def run_onnx(path, feeds: dict) -> list:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


BUILDERS = {
    "SmallCNN": (lambda: nn.models.SmallCNN(), (2, 1, 28, 28)),
    "ResNet-20": (lambda: nn.models.ResNet(20), (2, 3, 8, 8)),
    "ResNet-11 bottleneck": (lambda: nn.models.ResNet(11, bottleneck=True, width=4), (2, 3, 8, 8)),
    "PlainCNN-8": (lambda: nn.models.PlainCNN(8), (2, 3, 8, 8)),
    "DenseNet-BC-10": (lambda: nn.models.DenseNet(10, growth_rate=4, bottleneck=True, compression=0.5, dropout=0.2),
                       (2, 3, 8, 8)),
    "DenseNet-7": (lambda: nn.models.DenseNet(7, growth_rate=4), (1, 3, 8, 8)),
    "VGG16.features": (lambda: nn.models.VGG16().features, (1, 3, 32, 32)),
    "AlexNet.features": (lambda: nn.models.AlexNet(grouped=True).features, (1, 3, 67, 67)),
}


def build(name):
    gl.manual_seed(21)
    make, shape = BUILDERS[name]
    with nn.shape_only():
        model = make()
    rng = np.random.default_rng(3)
    model.load_state_dict({key: (rng.standard_normal(value.shape) * np.sqrt(2 / np.prod(value.shape[1:]))
                                 ).astype(np.float32) for key, value in model.named_parameters()}, strict=False)
    return with_statistics(model), images(*shape)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_builder_runs_in_onnxruntime_as_in_graphlab(name, tmp_path):
    model, x = build(name)
    path = tmp_path / "model.onnx"
    proto = gl.export_onnx(model, x, path)
    assert model.training                                  # export ran in eval mode and restored the mode
    assert proto.opset_import[0].version >= 17
    assert [value.name for value in proto.graph.input] == ["input"]
    assert [value.name for value in proto.graph.output] == ["output"]
    initializers = {tensor.name for tensor in proto.graph.initializer}
    assert set(model.state_dict()) - {name for name in model.state_dict() if name.endswith("num_batches_tracked")} \
        <= initializers
    with gl.no_grad():
        expected = model.eval()(gl.tensor(x)).data
    (found,) = run_onnx(path, {"input": x})
    assert_close(found, expected, name)


def test_node_names_carry_the_graphlab_scopes(tmp_path):
    model, x = build("ResNet-20")
    proto = gl.export_onnx(model, x)
    names = [node.name for node in proto.graph.node]
    assert "ResNet/layer2:Sequential/0:ResidualBlock/downsample:Sequential/0:Conv2d/Conv_" in " ".join(names)
    assert sum(node.op_type == "Conv" for node in proto.graph.node) == 21
    assert sum(node.op_type == "BatchNormalization" for node in proto.graph.node) == 21


def test_every_layer_in_a_sequential(tmp_path):
    gl.manual_seed(22)
    model = with_statistics(nn.Sequential(
        nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2), nn.BatchNorm2d(6), nn.LeakyReLU(0.1),
        nn.MaxPool2d(2, stride=1), nn.AvgPool2d(2, padding=1), nn.ELU(0.5), nn.PReLU(6), nn.Dropout2d(0.5),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 8), nn.BatchNorm1d(8), nn.GELU("tanh"), nn.LayerNorm(8),
        nn.SELU(), nn.Maxout(8, 4, pieces=3), nn.Tanh(), nn.GELU(), nn.Identity(), nn.Linear(4, 5, bias=False),
        nn.Sigmoid(), nn.Dropout(0.5), nn.Softmax(axis=1), LogSoftmax(dim=1)))
    x = images(2, 4, 7, 7)
    path = tmp_path / "layers.onnx"
    gl.export_onnx(model, x, path)
    with gl.no_grad():
        expected = model.eval()(gl.tensor(x)).data
    assert_close(run_onnx(path, {"input": x})[0], expected, "layers")


def test_scalar_expression_inputs_are_its_named_leaves(tmp_path):
    x, y, z = (gl.scalar(value, name=name, requires_grad=True) for value, name in ((-2, "x"), (5, "y"), (-4, "z")))
    f = ((x + y) * z).named("f")
    path = tmp_path / "f.onnx"
    proto = gl.export_onnx(f, None, path)
    assert [value.name for value in proto.graph.input] == ["x", "y", "z"]
    assert [value.name for value in proto.graph.output] == ["f"]
    feeds = {"x": np.float32(3), "y": np.float32(-1), "z": np.float32(0.5)}
    assert run_onnx(path, {key: np.array(value) for key, value in feeds.items()})[0] == np.float32(1.0)


def test_tensor_expression_with_constants_and_chosen_inputs(tmp_path):
    w = gl.tensor(images(3, 4, seed=2), requires_grad=True, name="w")
    x = gl.tensor(images(5, 3, seed=3), requires_grad=True, name="x")
    h = gl.sigmoid(x @ w * 2.0 - 1.0)
    parts = gl.concat([gl.exp(-h), gl.sqrt(h + 1), gl.log(h + 2), gl.abs(h - 0.5), gl.maximum(h, 0.3)], axis=1)
    out = gl.softmax(gl.transpose(gl.reshape(parts, 4, 25)), axis=0)
    out = gl.stack([gl.sum(out, axis=1), gl.mean(out ** 2, axis=1), gl.max(out, axis=1)], axis=0)
    out = gl.clip(out[:, 1:20:2] / 3.0, 0.01, 0.5) + gl.broadcast_to(gl.min(out), 3, 10)
    path = tmp_path / "expression.onnx"
    proto = gl.export_onnx(out, [x], path, output_names=["y"])
    assert [value.name for value in proto.graph.input] == ["x"]
    assert "w" in {tensor.name for tensor in proto.graph.initializer}          # a leaf not listed: a constant
    assert_close(run_onnx(path, {"x": x.data})[0], out.data, "expression")


def test_pytorch_api_additions_export(tmp_path):
    """sin, cos, clone, transpose(dim0, dim1) and pooling with ceil_mode / count_include_pad /
    an adaptive size (two matmuls with constant matrices) run in onnxruntime."""
    x = gl.tensor(images(2, 3, 7, 6, seed=4), requires_grad=True, name="x")
    pooled = gl.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    pooled = gl.functional.max_pool2d(pooled, 2, ceil_mode=True) + gl.functional.adaptive_avg_pool2d(x, (2, 2))
    out = (gl.sin(pooled).clone() * gl.cos(pooled)).transpose(1, 3)
    path = tmp_path / "torch_api.onnx"
    gl.export_onnx(out, [x], path)
    assert_close(run_onnx(path, {"x": x.data})[0], out.data, "torch api")


def test_ops_without_a_mapping_are_named_together():
    model = nn.Sequential(nn.Linear(3, 2))
    logits = model(gl.tensor(images(4, 3)))
    loss = gl.functional.cross_entropy(logits, np.array([0, 1, 1, 0])) + gl.var(logits)
    with pytest.raises(UnsupportedError, match=r"no ONNX mapping for cross_entropy \(1 node\), var \(1 node\)"):
        gl.export_onnx(loss)


def test_batch_norm_without_running_statistics_has_no_inference_node():
    model = nn.Sequential(nn.BatchNorm2d(3, track_running_stats=False))
    with pytest.raises(UnsupportedError, match="batch_norm as used at Sequential/0:BatchNorm2d"):
        gl.export_onnx(model, images(2, 3, 2, 2))


def test_bad_arguments():
    with pytest.raises(UnsupportedError, match="needs an example input"):
        gl.export_onnx(nn.models.ResNet(8))
    with pytest.raises(UnsupportedError, match="must be a gl.nn.Module or an output gl.Tensor, got str"):
        gl.export_onnx("model.onnx")


def test_an_imported_pytorch_model_exports_to_onnx(tmp_path):
    torch = pytest.importorskip("torch")
    from test_from_torch import CifarResNet
    torch.manual_seed(9)
    module = CifarResNet(blocks_per_stage=1).eval()
    x = images(2, 3, 8, 8)
    path = tmp_path / "imported.onnx"
    gl.export_onnx(gl.from_torch(module, x), x, path)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    assert_close(run_onnx(path, {"input": x})[0], expected, "imported ResNet")
