"""Networks of the seed notes, built from ``gl.nn`` layers and blocks.

* ``SmallCNN``: the benchmark network (conv-BN-ReLU-pool twice, then one linear layer).
* ``DenseNet(depth, growth_rate, bottleneck, compression, ...)``: the CIFAR DenseNets of the
  paper (E86-E90): three dense blocks of (depth - 4) / 3 layers, or (depth - 4) / 6 bottleneck
  layers; a first 3x3 conv with 16 channels (2k with bottleneck, the paper's DenseNet-BC
  rule); transitions after blocks 1 and 2; BN-ReLU, global average pooling, one linear layer.
  DenseNet-BC (L=100, k=12) on CIFAR-10 has 769,162 parameters (the table's 0.8M, E90).
* ``ResNet(depth)``: the CIFAR ResNets (6n + 2 layers, stages of 16/32/64 channels), and
  ``PlainCNN(depth)``, the same stack without skips, for the degradation experiment (E82).
* ``VGG16`` and ``AlexNet``: the layer stacks of the CS231n tables (E27, E28); build them
  under ``gl.nn.shape_only()`` to count parameters and print summaries without 0.5 GB of weights.

>>> import graphlab as gl
>>> SmallCNN().num_parameters()
9146
"""
from __future__ import annotations

from collections import OrderedDict

from graphlab.argcheck import ArgumentError, flag, positive_int, probability, real
from graphlab.errors import ShapeError
from graphlab.nn.blocks import MAX_SIZE, DenseBlock, ResidualBlock, Transition
from graphlab.nn.layers import (
    BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU,
)
from graphlab.nn.containers import Sequential
from graphlab.nn.module import Module


def _sizes(model: str, **sizes) -> tuple:
    """Each keyword argument checked as a positive int up to MAX_SIZE, in order."""
    return tuple(positive_int(value, name, model, maximum=MAX_SIZE) for name, value in sizes.items())


class _Classifier(Module):
    """features -> head: a model whose forward and shape inference are the two in order."""

    def forward(self, x):
        return self.head(self.features(x))

    def output_shape(self, input_shape):
        return self.head.infer_shape(self.features.infer_shape(input_shape))


class SmallCNN(_Classifier):
    """conv3x3 (in→8, pad 1), BN, ReLU, maxpool 2, conv3x3 (8→16, pad 1), BN, ReLU, maxpool 2,
    flatten, linear (16·7·7 → classes) for 28x28 inputs: the network of benchmarks/cnn_step.py."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28):
        super().__init__()
        in_channels, num_classes = _sizes("SmallCNN", in_channels=in_channels, num_classes=num_classes)
        if positive_int(image_size, "image_size", "SmallCNN", maximum=MAX_SIZE) < 4:
            raise ArgumentError(f"SmallCNN: image_size={image_size} must be at least 4 (two 2x2 poolings)")
        self.features = Sequential(
            Conv2d(in_channels, 8, 3, padding=1), BatchNorm2d(8), ReLU(), MaxPool2d(2),
            Conv2d(8, 16, 3, padding=1), BatchNorm2d(16), ReLU(), MaxPool2d(2),
        )
        side = image_size // 4
        self.head = Sequential(Flatten(), Linear(16 * side * side, num_classes))


class DenseNet(Module):
    """DenseNet / -B / -C / -BC for 32x32 inputs (the paper's CIFAR and SVHN networks)."""

    def __init__(self, depth: int = 40, growth_rate: int = 12, bottleneck: bool = False, compression: float = 1.0,
                 num_classes: int = 10, in_channels: int = 3, dropout: float = 0.0, blocks: int = 3):
        super().__init__()
        depth, growth_rate, num_classes, in_channels, blocks = _sizes(
            "DenseNet", depth=depth, growth_rate=growth_rate, num_classes=num_classes, in_channels=in_channels,
            blocks=blocks)
        bottleneck, dropout = flag(bottleneck, "bottleneck", "DenseNet"), probability(dropout, "dropout", "DenseNet")
        compression = real(compression, "compression", "DenseNet", 0.0, 1.0, low_open=True, rule="θ with 0 < θ <= 1")
        per_block = 2 * blocks if bottleneck else blocks
        if (depth - 4) % per_block or depth <= 4:
            raise ShapeError(f"DenseNet: depth {depth} must be {per_block}n + 4 for {blocks} blocks of "
                             f"{'bottleneck ' if bottleneck else ''}layers (e.g. {per_block * 16 + 4})")
        layers = (depth - 4) // per_block
        channels = 2 * growth_rate if bottleneck else 16
        self.depth, self.growth_rate, self.bottleneck, self.compression = depth, growth_rate, bottleneck, compression
        self.layers_per_block = layers
        stages = OrderedDict(conv0=Conv2d(in_channels, channels, 3, padding=1, bias=False))
        for index in range(1, blocks + 1):
            block = DenseBlock(layers, channels, growth_rate, bottleneck, dropout)
            stages[f"denseblock{index}"] = block
            channels = block.out_channels
            if index < blocks:
                transition = Transition(channels, compression)
                stages[f"transition{index}"] = transition
                channels = transition.out_channels
        stages["norm5"] = BatchNorm2d(channels)
        stages["relu5"] = ReLU()
        self.features = Sequential(stages)
        self.pool = GlobalAvgPool2d()
        self.classifier = Linear(channels, num_classes)
        self.num_features = channels

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))

    def output_shape(self, input_shape):
        return self.classifier.infer_shape(self.pool.infer_shape(self.features.infer_shape(input_shape)))

    def extra_repr(self):
        return (f"depth={self.depth}, growth_rate={self.growth_rate}, bottleneck={self.bottleneck}, "
                f"compression={self.compression}")


class ResNet(Module):
    """CIFAR ResNet: conv3x3-BN-ReLU, three stages of n residual blocks (16, 32, 64 channels x
    expansion, strides 1, 2, 2), global average pooling, linear. depth = 6n + 2 (basic blocks)
    or 9n + 2 (bottleneck blocks). Projection shortcuts where the shape changes."""

    shortcut = True

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3, width: int = 16,
                 bottleneck: bool = False):
        super().__init__()
        depth, num_classes, in_channels, width = _sizes(type(self).__name__, depth=depth, num_classes=num_classes,
                                                        in_channels=in_channels, width=width)
        bottleneck = flag(bottleneck, "bottleneck", type(self).__name__)
        per_block = 9 if bottleneck else 6
        if (depth - 2) % per_block or depth <= 2:
            raise ShapeError(f"{type(self).__name__}: depth {depth} must be {per_block}n + 2 with "
                             f"{'bottleneck' if bottleneck else 'basic'} blocks (bottleneck={bottleneck}; e.g. "
                             f"{'29, 47, 56, 110' if bottleneck else '20, 32, 44, 56, 110'})")
        blocks = (depth - 2) // per_block
        expansion = 4 if bottleneck else 1
        self.depth = depth
        self.conv1 = Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = BatchNorm2d(width)
        self.relu = ReLU()
        channels = width
        for stage, stride in enumerate((1, 2, 2)):
            out_channels = width * (2 ** stage) * expansion
            stage_blocks = []
            for index in range(blocks):
                stage_blocks.append(ResidualBlock(channels, out_channels, stride if index == 0 else 1,
                                                  bottleneck=bottleneck, shortcut=self.shortcut))
                channels = out_channels
            self.add_module(f"layer{stage + 1}", Sequential(*stage_blocks))
        self.pool = GlobalAvgPool2d()
        self.fc = Linear(channels, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.pool(x))

    def output_shape(self, input_shape):
        shape = self.bn1.infer_shape(self.conv1.infer_shape(input_shape))
        for stage in (self.layer1, self.layer2, self.layer3):
            shape = stage.infer_shape(shape)
        return self.fc.infer_shape(self.pool.infer_shape(shape))

    def extra_repr(self):
        return f"depth={self.depth}"


class PlainCNN(ResNet):
    """The ResNet stack with every skip removed: the "plain" net whose deeper version trains
    worse than the shallow one (the degradation experiment, E82)."""
    shortcut = False


_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG16(_Classifier):
    """VGG16 (configuration D) for 224x224 inputs: thirteen 3x3 convs (pad 1) with ReLU, five 2x2
    max pools, FC 25088→4096→4096→classes with ReLU and dropout. 138,357,544 parameters (E28)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5):
        super().__init__()
        num_classes, in_channels = _sizes("VGG16", num_classes=num_classes, in_channels=in_channels)
        dropout = probability(dropout, "dropout", "VGG16")
        layers, channels = [], in_channels
        for item in _VGG16:
            if item == "M":
                layers.append(MaxPool2d(2, stride=2))
            else:
                layers += [Conv2d(channels, item, 3, padding=1), ReLU()]
                channels = item
        self.features = Sequential(*layers)
        self.head = Sequential(Flatten(), Linear(512 * 7 * 7, 4096), ReLU(), Dropout(dropout),
                               Linear(4096, 4096), ReLU(), Dropout(dropout), Linear(4096, num_classes))


class AlexNet(_Classifier):
    """The simplified AlexNet of CS231n (E27) for 227x227 inputs, without the NORM layers:
    62,378,344 parameters. ``grouped=True`` splits CONV2, CONV4 and CONV5 into two groups as in
    the original two-GPU model (60,965,224 parameters)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, grouped: bool = False, dropout: float = 0.5):
        super().__init__()
        num_classes, in_channels = _sizes("AlexNet", num_classes=num_classes, in_channels=in_channels)
        dropout = probability(dropout, "dropout", "AlexNet")
        groups = 2 if flag(grouped, "grouped", "AlexNet") else 1
        self.features = Sequential(
            Conv2d(in_channels, 96, 11, stride=4), ReLU(), MaxPool2d(3, stride=2),
            Conv2d(96, 256, 5, padding=2, groups=groups), ReLU(), MaxPool2d(3, stride=2),
            Conv2d(256, 384, 3, padding=1), ReLU(),
            Conv2d(384, 384, 3, padding=1, groups=groups), ReLU(),
            Conv2d(384, 256, 3, padding=1, groups=groups), ReLU(), MaxPool2d(3, stride=2),
        )
        self.head = Sequential(Flatten(), Dropout(dropout), Linear(256 * 6 * 6, 4096), ReLU(), Dropout(dropout),
                               Linear(4096, 4096), ReLU(), Linear(4096, num_classes))
