"""gl.to_torch: every gl.nn layer, block and model builder becomes a torch.nn.Module with graphlab's
state_dict names and values, the same outputs and gradients; round trips through from_torch are exact."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import graphlab as gl  # noqa: E402
from graphlab import nn  # noqa: E402
from graphlab.interop import UnsupportedError  # noqa: E402
from graphlab.interop.layers import LogSoftmax  # noqa: E402
from interop_helpers import (  # noqa: E402
    assert_same_model, assert_same_state, images, run_graphlab, with_statistics,
)


BUILDERS = {
    "SmallCNN": (lambda: nn.models.SmallCNN(in_channels=1, image_size=8), (2, 1, 8, 8)),
    "ResNet-20": (lambda: nn.models.ResNet(20), (2, 3, 8, 8)),
    "ResNet-11 bottleneck": (lambda: nn.models.ResNet(11, bottleneck=True, width=4), (2, 3, 8, 8)),
    "PlainCNN-8": (lambda: nn.models.PlainCNN(8), (2, 3, 8, 8)),
    "DenseNet-7": (lambda: nn.models.DenseNet(7, growth_rate=4), (2, 3, 8, 8)),
    "DenseNet-BC-10": (lambda: nn.models.DenseNet(10, growth_rate=4, bottleneck=True, compression=0.5, dropout=0.2),
                       (2, 3, 8, 8)),
    "VGG16.features": (lambda: nn.models.VGG16().features, (1, 3, 32, 32)),
    "AlexNet.features": (lambda: nn.models.AlexNet(grouped=True).features, (1, 3, 67, 67)),
}
BIG = ("VGG16.features", "AlexNet.features")     # float32: 15M and 3.7M weights


def build(name):
    gl.manual_seed(11)
    make, shape = BUILDERS[name]
    if name in BIG:
        with nn.shape_only():              # the heads' 100M+ weights are never allocated
            model = make()
        rng = np.random.default_rng(3)                     # He-scaled, so activations stay near 1
        model.load_state_dict({key: (rng.standard_normal(value.shape) * np.sqrt(2 / np.prod(value.shape[1:]))
                                     ).astype(np.float32) for key, value in model.named_parameters()})
        return model, images(*shape, dtype=np.float32)
    return with_statistics(make().double()), images(*shape)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_builder_exports_with_the_same_names_outputs_and_gradients(name):
    model, x = build(name)
    if "DenseNet-BC" in name:
        model.eval()                        # dropout: random in training mode
    module = to_torch_checked(model)
    assert_same_model(model, module, x)
    if not model.training or name in BIG or name == "ResNet-20":      # ResNet-20: train mode is in test_from_torch
        return
    assert_same_state(model, module, exact=False)          # running statistics updated alike
    model.eval(), module.eval()
    assert_same_model(model, module, x)


def to_torch_checked(model):
    module = gl.to_torch(model)
    assert isinstance(module, torch.nn.Module)
    assert_same_state(model, module)
    assert [(name, m.training) for name, m in model.named_modules()] == \
        [(name, module.get_submodule(name).training) for name, _ in model.named_modules()]
    return module


@pytest.mark.parametrize("builder", [nn.models.VGG16, nn.models.AlexNet])
def test_whole_vgg16_and_alexnet_export_their_structure_without_memory(builder):
    with nn.shape_only():
        model = builder()
    module = gl.to_torch(model)
    shapes = {name: tuple(value.shape) for name, value in module.state_dict().items()}
    assert shapes == {name: tuple(value.shape) for name, value in
                      list(model.named_parameters()) + list(model.named_buffers())}
    assert sum(p.numel() for p in module.parameters()) == model.num_parameters() > 60_000_000
    assert {p.device.type for p in module.parameters()} == {"meta"}
    assert type(module).__name__ == builder.__name__


BLOCKS = [
    (lambda: nn.ResidualBlock(4, 8, stride=2), (2, 4, 6, 6)),
    (lambda: nn.ResidualBlock(4, 8, bottleneck=True), (2, 4, 5, 5)),
    (lambda: nn.ResidualBlock(4, 4, shortcut=False), (2, 4, 5, 5)),
    (lambda: nn.DenseBlock(2, 4, 3, bottleneck=True), (2, 4, 5, 5)),
    (lambda: nn.DenseLayer(4, 3), (2, 4, 5, 5)),
    (lambda: nn.Transition(6, 0.5), (2, 6, 4, 4)),
    (lambda: nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(6), nn.LeakyReLU(0.1),
                           nn.MaxPool2d(2, stride=1), nn.AvgPool2d(2, padding=1), nn.ELU(0.5), nn.PReLU(6),
                           nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 8), nn.BatchNorm1d(8), nn.GELU("tanh"),
                           nn.LayerNorm(8), nn.SELU(), nn.Maxout(8, 4, pieces=3), nn.Tanh(), nn.Identity(),
                           nn.Linear(4, 5, bias=False), nn.Sigmoid(), nn.Softmax(axis=1), LogSoftmax(dim=1)),
     (2, 4, 7, 7)),
    (lambda: nn.Sequential(nn.GlobalAvgPool2d(), nn.Dropout(0.0), nn.GELU(), nn.ReLU()), (2, 3, 4, 4)),
    (lambda: nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True), nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                                          count_include_pad=False),
                           nn.AdaptiveAvgPool2d((3, 2))), (2, 3, 9, 8)),
]


@pytest.mark.parametrize("make, shape", BLOCKS, ids=[f"{index}-{type(make()).__name__}" for index, (make, _) in
                                                     enumerate(BLOCKS)])
def test_every_block_and_layer_exports(make, shape):
    gl.manual_seed(12)
    model = with_statistics(make().double())
    module = to_torch_checked(model)
    assert_same_model(model, module, images(*shape))


def test_dtype_float32_within_1e5_and_module_list_names():
    gl.manual_seed(13)
    model = nn.models.ResNet(8, width=4)
    module = to_torch_checked(model)
    assert module.conv1.weight.dtype == torch.float32
    assert_same_model(model, module, images(2, 3, 8, 8, dtype=np.float32))
    stack = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    assert list(gl.to_torch(stack).state_dict()) == ["0.weight", "0.bias"]


@pytest.mark.parametrize("name", ["SmallCNN", "ResNet-20", "DenseNet-BC-10"])
def test_round_trip_through_pytorch_is_exact(name):
    model, x = build(name)
    model.eval()
    back = gl.from_torch(gl.to_torch(model), x)
    assert list(back.state_dict()) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert np.array_equal(back.state_dict()[key], value) and back.state_dict()[key].dtype == value.dtype
    weights = np.random.default_rng(5).standard_normal((2, 10))
    out, grads, input_grad = run_graphlab(model, x, weights)
    out_back, grads_back, input_grad_back = run_graphlab(back, x, weights)
    assert np.array_equal(out, out_back) and np.array_equal(input_grad, input_grad_back)
    assert all(np.array_equal(grads[key], grads_back[key]) for key in grads) and grads.keys() == grads_back.keys()


def test_imported_model_exports_back_as_a_graph_module():
    from test_from_torch import CifarResNet
    torch.manual_seed(8)
    original = CifarResNet(blocks_per_stage=1).double().eval()
    x = images(2, 3, 8, 8)
    exported = gl.to_torch(gl.from_torch(original, x))
    assert isinstance(exported, torch.fx.GraphModule) and not exported.training
    assert list(exported.state_dict()) == list(original.state_dict())
    with torch.no_grad():
        assert torch.equal(exported(torch.from_numpy(x)), original(torch.from_numpy(x)))


class Custom(gl.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 2), nn.Lambda(gl.functional.relu))

    def forward(self, x):
        return self.body(x)


def test_modules_without_a_twin_are_listed_together():
    with pytest.raises(UnsupportedError, match=r"2 module\(s\): \(the model\) \(Custom\), body\.1 \(Lambda\)"):
        gl.to_torch(Custom())
    with pytest.raises(UnsupportedError, match="must be a gl.nn.Module, got Tensor"):
        gl.to_torch(gl.ones(2))
