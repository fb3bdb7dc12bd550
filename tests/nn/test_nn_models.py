"""Blocks and models against the seed notes: DenseNet connectivity and parameter counts (E86-E90,
DenseNet-BC-100 vs PyTorch's count of the same network), the skip's +1 (E81-E84), ResNet and
the small CNN against PyTorch, VGG16 (E28) and AlexNet (E27) tables."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab import nn
from graphlab.nn import models

RNG = np.random.default_rng(2)


# -- PyTorch twins of the architectures, built here so counts and state dicts can be compared -------
def torch_densenet(torch, depth, k, bottleneck, compression, num_classes=10, in_channels=3):
    tnn = torch.nn

    class Layer(tnn.Module):
        def __init__(self, channels):
            super().__init__()
            self.norm1, self.relu1 = tnn.BatchNorm2d(channels), tnn.ReLU()
            if bottleneck:
                self.conv1 = tnn.Conv2d(channels, 4 * k, 1, bias=False)
                self.norm2, self.relu2 = tnn.BatchNorm2d(4 * k), tnn.ReLU()
                self.conv2 = tnn.Conv2d(4 * k, k, 3, padding=1, bias=False)
            else:
                self.conv1 = tnn.Conv2d(channels, k, 3, padding=1, bias=False)

        def forward(self, x):
            out = self.conv1(self.relu1(self.norm1(x)))
            return self.conv2(self.relu2(self.norm2(out))) if bottleneck else out

    class Block(tnn.Module):
        def __init__(self, layers, channels):
            super().__init__()
            for index in range(layers):
                self.add_module(f"denselayer{index + 1}", Layer(channels + index * k))

        def forward(self, x):
            for layer in self.children():
                x = torch.cat([x, layer(x)], 1)
            return x

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            layers = (depth - 4) // (6 if bottleneck else 3)
            channels = 2 * k if bottleneck else 16
            stages = [("conv0", tnn.Conv2d(in_channels, channels, 3, padding=1, bias=False))]
            for index in (1, 2, 3):
                stages.append((f"denseblock{index}", Block(layers, channels)))
                channels += layers * k
                if index < 3:
                    out = int(compression * channels)
                    stages.append((f"transition{index}", tnn.Sequential(
                        __import__("collections").OrderedDict(norm=tnn.BatchNorm2d(channels), relu=tnn.ReLU(),
                                                              conv=tnn.Conv2d(channels, out, 1, bias=False),
                                                              pool=tnn.AvgPool2d(2, 2)))))
                    channels = out
            stages += [("norm5", tnn.BatchNorm2d(channels)), ("relu5", tnn.ReLU())]
            self.features = tnn.Sequential(__import__("collections").OrderedDict(stages))
            self.classifier = tnn.Linear(channels, num_classes)

        def forward(self, x):
            return self.classifier(self.features(x).mean(dim=(2, 3)))

    return Net()


def torch_resnet(torch, depth, shortcut=True, num_classes=10):
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False), tnn.BatchNorm2d(cout)) \
                if shortcut and (stride != 1 or cin != cout) else None

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            if shortcut:
                out = out + (x if self.downsample is None else self.downsample(x))
            return self.relu(out)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1, self.relu = tnn.Conv2d(3, 16, 3, 1, 1, bias=False), tnn.BatchNorm2d(16), tnn.ReLU()
            blocks, channels = (depth - 2) // 6, 16
            for stage, stride in enumerate((1, 2, 2)):
                out = 16 * 2 ** stage
                layers = []
                for index in range(blocks):
                    layers.append(Block(channels, out, stride if index == 0 else 1))
                    channels = out
                self.add_module(f"layer{stage + 1}", tnn.Sequential(*layers))
            self.fc = tnn.Linear(channels, num_classes)

        def forward(self, x):
            x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
            return self.fc(x.mean(dim=(2, 3)))

    return Net()


def _count(torch_model) -> int:
    return sum(p.numel() for p in torch_model.parameters())


# -- DenseNet ---------------------------------------------------------------------------------------
def test_densenet_bc_100_has_the_papers_parameter_count():
    torch = pytest.importorskip("torch")
    model = models.DenseNet(depth=100, growth_rate=12, bottleneck=True, compression=0.5, num_classes=10,
                            in_channels=3)
    reference = torch_densenet(torch, 100, 12, True, 0.5)
    assert model.num_parameters() == 769_162 == _count(reference)           # E90: the table's 0.8M
    assert list(model.state_dict()) == list(reference.state_dict())          # the same architecture, key by key
    assert model.infer_shape((2, 3, 32, 32)) == (2, 10)
    # E87's bookkeeping: 24 -> 216 -> 108 -> 300 -> 150 -> 342
    blocks = [model.features[index] for index in (1, 3, 5)]
    transitions = [model.features[index] for index in (2, 4)]
    assert [(b.in_channels, b.out_channels) for b in blocks] == [(24, 216), (108, 300), (150, 342)]
    assert [t.out_channels for t in transitions] == [108, 150]


@pytest.mark.parametrize("depth,k,bottleneck,compression,expected", [
    (40, 12, False, 1.0, 1_019_722), (100, 12, False, 1.0, 6_979_642), (100, 24, False, 1.0, 27_249_082),
    (250, 24, True, 0.5, 15_324_406), (190, 40, True, 0.5, 25_624_430)])
def test_densenet_parameter_table(depth, k, bottleneck, compression, expected):
    """E90: every configuration of the paper's Table 2, counted without allocating it."""
    with nn.shape_only():
        model = models.DenseNet(depth, k, bottleneck, compression)
    assert model.num_parameters() == expected


def test_small_densenet_matches_pytorch_forward_and_backward():
    torch = pytest.importorskip("torch")
    gl.manual_seed(0)
    torch.manual_seed(0)
    reference = torch_densenet(torch, 16, 4, True, 0.5).double()
    model = models.DenseNet(16, 4, True, 0.5).double()
    model.load_state_dict(reference.state_dict())
    x = RNG.standard_normal((3, 3, 8, 8))
    ours = model(gl.tensor(x))
    theirs = reference(torch.tensor(x))
    assert np.abs(ours.data - theirs.detach().numpy()).max() < 1e-10
    F.cross_entropy(ours, [0, 3, 9]).backward()
    torch.nn.functional.cross_entropy(theirs, torch.tensor([0, 3, 9])).backward()
    grads = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        assert np.abs(parameter.grad - grads[name].grad.numpy()).max() < 1e-10, name
    state = model.state_dict()
    for name, value in reference.state_dict().items():          # running statistics moved alike
        assert np.abs(state[name] - value.numpy()).max() < 1e-10, name


def test_dense_block_channels_and_connections_in_the_graph():
    """E86: layer l receives k0 + k(l - 1) channels, from all l earlier feature sets: L(L+1)/2 in all."""
    k0, k, layers = 5, 3, 4
    block = nn.DenseBlock(layers, k0, k)
    x = gl.randn(2, k0, 4, 4, requires_grad=True).named("x0")
    out = block(x)
    assert out.shape == (2, k0 + k * layers, 4, 4) and block.out_channels == k0 + k * layers
    nodes, stack, seen = [], [out], set()
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        nodes.append(node)
        if node.creator is not None:
            stack.extend(node.creator.inputs)
    total = 0
    for index in range(1, layers + 1):
        layer_scope = ("DenseBlock", f"denselayer{index}:DenseLayer", "norm1:BatchNorm2d")
        (norm,) = [n for n in nodes if n.op == "batch_norm" and n.scope == layer_scope]
        layer_input = norm.creator.inputs[0]
        assert layer_input.shape[1] == k0 + k * (index - 1)
        sources, frontier = set(), [layer_input]
        while frontier:                       # follow concatenations back to what they joined
            node = frontier.pop()
            if node.op == "concat":
                frontier.extend(node.creator.inputs)
            else:
                sources.add(node.id)
        assert len(sources) == index           # x0 and the outputs of layers 1..l-1
        total += len(sources)
    assert total == layers * (layers + 1) // 2 == block.connections


def test_transition_compression_and_errors():
    transition = nn.Transition(216, 0.5)
    assert transition.out_channels == 108
    assert transition.infer_shape((1, 216, 32, 32)) == (1, 108, 16, 16)
    assert nn.Transition(215, 0.5).out_channels == 107                  # ⌊θ·c⌋
    with pytest.raises(ValueError, match="compression"):
        nn.Transition(10, 1.5)
    with pytest.raises(gl.ShapeError, match="depth 41 must be 6n \\+ 4"):
        models.DenseNet(41, 12, True, 0.5)


# -- ResNet -----------------------------------------------------------------------------------------
def test_zero_residual_is_the_identity_and_the_skip_adds_one():
    """E81: F = 0 gives y = x (x >= 0 before the final ReLU); E83: dy/dx = 1 + F'(x)."""
    block = nn.ResidualBlock(4, 4).double()
    nn.init.zeros(block.bn2.weight)                      # F's last BN scales by 0, so F(x) = 0
    x = gl.tensor(np.abs(RNG.standard_normal((2, 4, 5, 5))) + 0.1, requires_grad=True)
    y = block(x)
    assert np.array_equal(y.data, x.data)
    trace = y.sum().backward()
    assert np.array_equal(x.grad, np.ones(x.shape))      # only the skip's +1 reaches x
    add = next(step for step in trace if step.node.name == "F(x) + x")
    assert add.pattern == "distributor"
    nn.init.constant(block.bn2.weight, 0.5)              # now F'(x) != 0: the gradient is mask ⊙ (1 + F'(x))
    x.grad = None
    y = block(x)
    y.sum().backward()
    mask = (y.data > 0).astype(np.float64)               # the final ReLU's gate
    (through_f,) = gl.grad((block.residual(x) * mask).sum(), x)
    assert np.abs(x.grad - (mask + through_f.data)).max() < 1e-12
    assert not np.allclose(through_f.data, 0)


def test_bottleneck_block_parameter_count_and_projection():
    """E84: at width 256 the 1x1-3x3-1x1 bottleneck has 69,632 conv weights vs 1,179,648 for a basic block."""
    bottleneck = nn.ResidualBlock(256, 256, bottleneck=True)
    basic = nn.ResidualBlock(256, 256)
    conv_weights = lambda block: sum(p.size for name, p in block.named_parameters() if name.startswith("conv"))
    assert conv_weights(bottleneck) == 69_632 and conv_weights(basic) == 1_179_648
    assert bottleneck.downsample is None and basic.downsample is None
    projected = nn.ResidualBlock(16, 32, stride=2)
    assert projected.downsample is not None
    assert projected(gl.randn(2, 16, 8, 8)).shape == (2, 32, 4, 4)
    assert projected.infer_shape((2, 16, 8, 8)) == (2, 32, 4, 4)
    assert nn.ResidualBlock(64, 256, stride=2, bottleneck=True)(gl.randn(1, 64, 8, 8)).shape == (1, 256, 4, 4)


def test_resnet20_matches_pytorch_and_plain_net_has_no_skips():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    reference = torch_resnet(torch, 20).double()
    model = models.ResNet(20).double()
    assert model.num_parameters() == _count(reference) == 272_474
    model.load_state_dict(reference.state_dict())
    x = RNG.standard_normal((2, 3, 16, 16))
    ours, theirs = model(gl.tensor(x)), reference(torch.tensor(x))
    assert np.abs(ours.data - theirs.detach().numpy()).max() < 1e-10
    F.cross_entropy(ours, [1, 2]).backward()
    torch.nn.functional.cross_entropy(theirs, torch.tensor([1, 2])).backward()
    grads = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        assert np.abs(parameter.grad - grads[name].grad.numpy()).max() < 1e-9, name
    plain = models.PlainCNN(20)
    assert plain.num_parameters() == _count(torch_resnet(torch, 20, shortcut=False))
    trace = plain(gl.randn(1, 3, 8, 8)).sum().backward()
    assert not any(step.node.name == "F(x) + x" for step in trace)
    trace = model(gl.randn(1, 3, 8, 8, dtype="float64")).sum().backward()
    assert sum(step.node.name == "F(x) + x" for step in trace) == 9


# -- the classic stacks ------------------------------------------------------------------------------
VGG16_SHAPES = [(64, 224), (64, 224), (64, 112), (128, 112), (128, 112), (128, 56), (256, 56), (256, 56),
                (256, 56), (256, 28), (512, 28), (512, 28), (512, 28), (512, 14), (512, 14), (512, 14), (512, 14),
                (512, 7)]


def test_vgg16_table():
    """E28: every output shape, 138,357,544 parameters (138,344,128 weights), 15,237,608 activations."""
    with nn.shape_only():
        model = models.VGG16()
    result = nn.summary(model, (1, 3, 224, 224))
    assert result.total_params == 138_357_544
    weights = sum(p.size for name, p in model.named_parameters() if name.endswith("weight"))
    assert weights == 138_344_128
    assert model.head[1].weight.size == 7 * 7 * 512 * 4096 == 102_760_448
    counted = [row for row in result.rows if row.kind in ("Conv2d", "MaxPool2d")]
    assert [(row.output_shape[1], row.output_shape[2]) for row in counted] == VGG16_SHAPES
    assert result.activations_per_sample == 15_237_608
    fc = sum(row.params for row in result.rows if row.kind == "Linear")
    assert round(fc / result.total_params, 3) == 0.894           # "parameters late"
    first_two = sum(row.activations for row in counted[:2])
    assert first_two == 6_422_528                                # "memory early"


def test_alexnet_table():
    """E27: output sizes, 62,378,344 parameters without groups (60,965,224 with), 936,323 activations."""
    with nn.shape_only():
        model, grouped = models.AlexNet(), models.AlexNet(grouped=True)
    result = nn.summary(model, (1, 3, 227, 227))
    assert result.total_params == 62_378_344 and grouped.num_parameters() == 60_965_224
    shapes = [row.output_shape[1:] for row in result.rows if row.kind in ("Conv2d", "MaxPool2d")]
    assert shapes == [(96, 55, 55), (96, 27, 27), (256, 27, 27), (256, 13, 13), (384, 13, 13), (384, 13, 13),
                      (256, 13, 13), (256, 6, 6)]
    assert model.features[0].weight.size == 34_848                  # E26: not "25k"
    assert result.activations_per_sample == 936_323


def test_summary_errors_name_the_layer():
    with pytest.raises(gl.ShapeError, match=r"in layer VGG16 / head:Sequential / 1:Linear: linear: input of shape "
                                            r"\(1, 8192\) has 8192 features"):
        with nn.shape_only():
            nn.summary(models.VGG16(), (1, 3, 128, 128))


def test_small_cnn_training_step_matches_pytorch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    reference = tnn.Sequential(tnn.Conv2d(1, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Conv2d(8, 16, 3, padding=1), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Flatten(), tnn.Linear(784, 10))
    model = models.SmallCNN()
    model.load_state_dict({name.replace("8.", "head.0.").replace("9.", "head.1.") if name[0] in "89" else
                           f"features.{name}": value for name, value in reference.state_dict().items()})
    x = RNG.standard_normal((16, 1, 28, 28)).astype(np.float32)
    labels = RNG.integers(0, 10, 16)
    loss = F.cross_entropy(model(gl.tensor(x)), labels)
    loss.backward()
    expected = torch.nn.functional.cross_entropy(reference(torch.tensor(x)), torch.tensor(labels))
    expected.backward()
    assert loss.dtype == np.float32
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    ours = [p.grad for p in model.parameters()]
    theirs = [p.grad.numpy() for p in reference.parameters()]
    for mine, reference_grad in zip(ours, theirs):        # (conv biases before BN have ~0 gradient)
        assert np.abs(mine - reference_grad).max() <= 1e-4 * np.abs(reference_grad).max() + 1e-6
