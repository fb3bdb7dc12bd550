"""gl.from_torch: every supported layer and functional form, ResNet-20 and DenseNet-BC-40 written here in
PyTorch, names, train/eval, one error listing everything unsupported, diagrams and walks of imported models."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

import graphlab as gl  # noqa: E402
from graphlab.interop import UnsupportedError  # noqa: E402
from interop_helpers import assert_close, assert_same_model, assert_same_state  # noqa: E402


def images(*shape, dtype=np.float64, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# -- ResNet-20 and DenseNet-BC-40, written independently of graphlab ------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    def __init__(self, blocks_per_stage=3, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        planes, layers = 16, []
        for stage, width in enumerate((16, 32, 64)):
            blocks = []
            for index in range(blocks_per_stage):
                blocks.append(BasicBlock(planes, width, 2 if stage and not index else 1))
                planes = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1)
        return self.linear(out.view(out.size(0), -1))


class Bottleneck(nn.Module):
    def __init__(self, channels, growth):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(channels), nn.Conv2d(channels, 4 * growth, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(4 * growth), nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([out, x], 1)


class TransitionLayer(nn.Module):
    def __init__(self, channels, out_channels):
        super().__init__()
        self.bn, self.conv = nn.BatchNorm2d(channels), nn.Conv2d(channels, out_channels, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNetBC(nn.Module):
    """DenseNet-BC: depth 40 -> 6 bottleneck layers per block, growth 12, compression 0.5."""

    def __init__(self, depth=40, growth=12, num_classes=10):
        super().__init__()
        layers = (depth - 4) // 6
        channels = 2 * growth
        self.conv1 = nn.Conv2d(3, channels, 3, padding=1, bias=False)
        stages = []
        for block in range(3):
            stage = []
            for _ in range(layers):
                stage.append(Bottleneck(channels, growth))
                channels += growth
            stages.append(nn.Sequential(*stage))
            if block < 2:
                stages.append(TransitionLayer(channels, channels // 2))
                channels //= 2
        self.dense1, self.trans1, self.dense2, self.trans2, self.dense3 = stages
        self.bn = nn.BatchNorm2d(channels)
        self.linear = nn.Linear(channels, num_classes)

    def forward(self, x):
        out = self.trans1(self.dense1(self.conv1(x)))
        out = self.dense3(self.trans2(self.dense2(out)))
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1)
        return self.linear(torch.flatten(out, 1))


def randomize_statistics(module):
    """Running statistics away from 0 and 1, so that eval mode is really tested."""
    generator = torch.Generator().manual_seed(3)
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.running_mean.copy_(torch.randn(layer.num_features, generator=generator) * 0.1)
            layer.running_var.copy_(torch.rand(layer.num_features, generator=generator) + 0.5)
    return module


def test_resnet20_float64_same_outputs_gradients_and_names():
    torch.manual_seed(0)
    module = randomize_statistics(CifarResNet()).double()
    x = images(2, 3, 8, 8)
    model = gl.from_torch(module, x)
    assert sum(1 for name, _ in model.named_parameters() if name.endswith("conv1.weight")) == 10
    assert [name for name, _ in model.named_parameters()] == [name for name, _ in module.named_parameters()]
    assert_same_state(model, module)
    assert_same_model(model, module, x)                    # training mode: batch statistics
    assert_same_state(model, module, exact=False)          # ... and the same running-statistics update
    model.eval(), module.eval()
    assert_same_model(model, module, x)


def test_resnet20_float32_within_1e5_relative():
    torch.manual_seed(1)
    module = randomize_statistics(CifarResNet()).eval()
    x = images(2, 3, 8, 8, dtype=np.float32)
    model = gl.from_torch(module, x)
    assert model.conv1.weight.dtype == np.float32 and not model.training
    assert_same_model(model, module, x)


def test_densenet_bc40_float64():
    torch.manual_seed(2)
    module = randomize_statistics(DenseNetBC(depth=40)).double()
    x = images(2, 3, 8, 8)
    model = gl.from_torch(module, x)
    assert "dense3.5.conv2.weight" in model.state_dict()
    assert len(list(model.dense1.children())) == 6
    model.eval(), module.eval()
    assert_same_model(model, module, x)
    assert_same_state(model, module)


LAYERS = [
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 7)),
    (lambda: nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(2, 1), dilation=2, groups=2, bias=False), (2, 4, 9, 8)),
    (lambda: nn.Conv2d(3, 4, 3, padding="same"), (2, 3, 6, 6)),
    (lambda: nn.Linear(5, 3), (4, 5)),
    (lambda: nn.Linear(5, 3, bias=False), (4, 5)),
    (lambda: nn.BatchNorm1d(5), (4, 5)),
    (lambda: nn.BatchNorm1d(5, affine=False, momentum=None), (4, 5)),
    (lambda: nn.BatchNorm2d(3, eps=1e-3, momentum=0.3), (2, 3, 4, 4)),
    (lambda: nn.LayerNorm([3, 4]), (2, 5, 3, 4)),
    (lambda: nn.ReLU(), (3, 4)), (lambda: nn.LeakyReLU(0.2), (3, 4)), (lambda: nn.ELU(0.7), (3, 4)),
    (lambda: nn.GELU(), (3, 4)), (lambda: nn.GELU("tanh"), (3, 4)), (lambda: nn.SELU(), (3, 4)),
    (lambda: nn.Sigmoid(), (3, 4)), (lambda: nn.Tanh(), (3, 4)), (lambda: nn.PReLU(3), (2, 3, 4, 4)),
    (lambda: nn.Softmax(dim=1), (3, 4)), (lambda: nn.LogSoftmax(dim=-1), (3, 4)),
    (lambda: nn.MaxPool2d(2), (2, 3, 6, 6)), (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    (lambda: nn.AvgPool2d(2), (2, 3, 6, 6)), (lambda: nn.AvgPool2d(3, 1, padding=1), (2, 3, 5, 5)),
    (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)), (lambda: nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5)),
    (lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)), (lambda: nn.MaxPool2d(3, 2, ceil_mode=True), (2, 3, 8, 8)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 7)),
    (lambda: nn.Flatten(), (2, 3, 2, 2)), (lambda: nn.Flatten(0, 1), (2, 3, 2)), (lambda: nn.Identity(), (2, 3)),
    (lambda: nn.Dropout(0.3).eval(), (3, 4)), (lambda: nn.Dropout2d(0.3).eval(), (2, 3, 2, 2)),
]


@pytest.mark.parametrize("make, shape", LAYERS, ids=[f"{index}-{type(make()).__name__}" for index, (make, _) in
                                                     enumerate(LAYERS)])
def test_every_supported_layer(make, shape):
    torch.manual_seed(4)
    layer = make().double()
    wrapped = nn.Sequential(layer)                    # the layer inside a model, as it is used
    wrapped.train(layer.training)
    x = images(*shape)
    model = gl.from_torch(wrapped, x)
    assert type(model[0]).__name__ == type(layer).__name__
    assert_same_state(model, wrapped)
    assert_same_model(model, wrapped, x)


def test_dropout_in_training_mode_is_dropout():
    model = gl.from_torch(nn.Sequential(nn.Dropout(0.5)))
    out = model(gl.ones(200, 10)).data
    assert set(np.unique(out)) == {0.0, 2.0}                  # inverted dropout: 0 or 1 / (1 - p)


class FunctionalDropout(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, self.training) + F.dropout(x, p=0.5, training=True)


def test_functional_dropout_follows_the_imported_models_mode():
    model = gl.from_torch(FunctionalDropout())
    ones = gl.ones(100, 10)
    assert set(np.unique(model(ones).data)) == {0.0, 2.0, 4.0}        # both dropouts on
    assert set(np.unique(model.eval()(ones).data)) == {1.0, 3.0}      # self.training off, training=True stays


class Functional(nn.Module):
    """The functional forms: F.relu, torch.cat, x + y, x * y, view/reshape, flatten, mean, softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.scale = nn.Parameter(torch.tensor([0.5, -1.5, 2.0, 1.0]))
        self.register_buffer("shift", torch.tensor(0.25))
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        a = F.relu(self.conv(x))
        b = torch.tanh(a) * self.scale.view(1, 4, 1, 1) + self.shift
        c = torch.cat([a, b - x.mean(dim=1, keepdim=True)], dim=1)
        c = F.max_pool2d(F.leaky_relu(c, 0.1), 2) + F.avg_pool2d(torch.sigmoid(c), kernel_size=2)
        d = c.reshape(c.size(0), -1)
        e = torch.flatten(c, 1) * 0.5 + d / 2
        e = self.fc(F.gelu(F.elu(e)))
        return F.log_softmax(e, dim=1) + torch.softmax(-e, dim=-1).sum(dim=1, keepdim=True)


def test_functional_forms():
    torch.manual_seed(5)
    module = Functional().double()
    x = images(2, 3, 4, 4)
    model = gl.from_torch(module, x)
    assert set(model.state_dict()) == {"scale", "shift", "conv.weight", "conv.bias", "fc.weight", "fc.bias"}
    assert_same_model(model, module, x)


class InPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = x * 2
        z = self.relu(y)                 # in PyTorch y is now relu(y) too
        return y + z + F.relu(-y, inplace=True)


def test_in_place_forms_rebind_their_input():
    x = images(3, 4)
    model = gl.from_torch(InPlace(), x)
    assert_same_model(model, InPlace(), x)


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 4)
        self.pool = nn.MaxPool2d(2, dilation=2)

    def forward(self, x):
        x = F.interpolate(self.pool(x), scale_factor=2)
        return torch.roll(x, 1) + x.cumsum(1) + torch.roll(x, 2)


def test_one_error_lists_everything_unsupported():
    with pytest.raises(UnsupportedError) as error:
        gl.from_torch(Unsupported())
    message = str(error.value)
    for expected in ("torch.nn.GRU at 'rnn'", "MaxPool2d at 'pool' (dilation or return_indices)", "interpolate",
                     "roll (2 calls)", "Tensor.cumsum", "5 thing(s)"):
        assert expected in message


class Branching(nn.Module):
    def forward(self, x):
        return x if x.sum() > 0 else -x


def test_untraceable_control_flow_is_explained():
    with pytest.raises(UnsupportedError, match="cannot trace Branching.*control flow"):
        gl.from_torch(Branching())


def test_not_a_module_and_wrong_number_of_inputs():
    with pytest.raises(UnsupportedError, match="must be a torch.nn.Module, got function"):
        gl.from_torch(F.relu)
    model = gl.from_torch(nn.Sequential(nn.ReLU()))
    with pytest.raises(TypeError, match="takes 1 input"):
        model(gl.ones(2), gl.ones(2))


def test_the_example_check_names_the_first_differing_node(monkeypatch):
    from graphlab.interop import torch_functions
    monkeypatch.setitem(torch_functions.METHODS, "view", lambda x, *shape: gl.reshape(x, *shape) * 2)
    module = CifarResNet().double().eval()
    with pytest.raises(UnsupportedError, match="first difference at node 'view'"):
        gl.from_torch(module, images(1, 3, 8, 8))


class ThreeLayerConvNet(nn.Module):
    """CS231n's three-layer convnet: conv - relu - 2x2 max pool - affine - relu - affine - softmax."""

    def __init__(self, channels=3, filters=4, hidden=6, classes=3, size=4):
        super().__init__()
        self.conv = nn.Conv2d(channels, filters, 3, padding=1)
        self.fc1 = nn.Linear(filters * (size // 2) ** 2, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc2(F.relu(self.fc1(x.view(x.size(0), -1))))


def test_imported_model_is_drawn_walked_and_stepped_with_torch_scopes():
    torch.manual_seed(6)
    module = ThreeLayerConvNet().double()
    x = images(2, 3, 4, 4)
    model = gl.from_torch(module, x)
    loss = gl.functional.cross_entropy(model(gl.tensor(x)), np.array([0, 2]))
    trace = loss.backward()
    ops = [step.op for step in trace if not step.is_leaf]
    assert ops == ["cross_entropy", "linear", "relu", "linear", "reshape", "max_pool2d", "relu", "conv2d"]
    reference = F.cross_entropy(module(torch.from_numpy(x)), torch.tensor([0, 2]))
    reference.backward()
    assert_close(model.conv.weight.grad, module.conv.weight.grad.numpy(), "conv weight gradient")
    scopes = {step.node.scope for step in trace if step.op == "linear"}
    assert scopes == {("ThreeLayerConvNet", "fc1:Linear"), ("ThreeLayerConvNet", "fc2:Linear")}
    source = gl.draw(loss, collapse="modules").source
    assert "fc1" in source and "conv" in source
    steps = gl.backward_steps(gl.functional.cross_entropy(model(gl.tensor(x)), np.array([0, 2])))
    assert next(steps).op == "cross_entropy" and next(steps).op == "linear"


def test_block_scopes_follow_the_pytorch_module_tree():
    module = CifarResNet().double()
    model = gl.from_torch(module)
    out = model(gl.tensor(images(1, 3, 8, 8)))
    add = out.creator.inputs[0]
    while add.creator.name != "add":
        add = add.creator.inputs[0]
    assert add.scope == ("CifarResNet", "layer3:Sequential", "2:BasicBlock")
    assert type(getattr(model.layer3, "2")).__name__ == "BasicBlock"


def test_imported_model_walks_step_by_step(tmp_path):
    module = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    model = gl.from_torch(module)
    loss = gl.sum(model(gl.tensor(images(2, 3))) ** 2)
    walk = gl.walk(loss, tmp_path)
    assert len(walk.frames) == 9                   # sum, pow, linear, relu, linear, and the 4 parameters
    assert (tmp_path / "index.html").is_file()
