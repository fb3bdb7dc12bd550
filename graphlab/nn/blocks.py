"""The building blocks of ResNet and DenseNet from the seed notes (E81-E87).

* ``ResidualBlock``: y = ReLU(F(x) + shortcut(x)). The shortcut is the identity when the
  shape is kept (no parameters, E81) and a 1x1 conv + BN projection when the stride or the
  channel count changes (E84). The addition is a distributor gate, so the gradient reaching x
  is upstream·(1 + F'(x)): the skip's "+1" (E83). ``bottleneck=True`` is the 1x1-3x3-1x1 block
  of deep ResNets; ``shortcut=False`` removes the skip (the plain net of the degradation
  experiment, E82).
* ``DenseLayer``: BN-ReLU-Conv3x3 producing ``growth_rate`` (k) new feature maps, with the
  optional bottleneck BN-ReLU-Conv1x1 to 4k channels first (DenseNet-B, E87).
* ``DenseBlock``: x_l = H_l([x_0, ..., x_{l-1}]) by concatenation; layer l sees k0 + k(l-1)
  channels and the block outputs k0 + k·L (E86).
* ``Transition``: BN-ReLU-Conv1x1 to ⌊θ·c⌋ channels, then 2x2 average pooling (E87).

Parameter and module names follow torchvision's, so state dicts line up.

>>> import graphlab as gl
>>> block = gl.nn.DenseBlock(num_layers=12, in_channels=16, growth_rate=12)
>>> block.layer_in_channels[:2], block.layer_in_channels[-1], block.out_channels     # E86
([16, 28], 148, 160)
>>> block.connections                                                                  # L(L+1)/2
78
"""
from __future__ import annotations

from graphlab import ops
from graphlab.argcheck import ArgumentError, flag, positive_int, probability, real
from graphlab.errors import ShapeError
from graphlab.nn.layers import AvgPool2d, BatchNorm2d, Conv2d, Dropout, ReLU
from graphlab.nn.containers import Sequential
from graphlab.nn.module import MAX_PARAMETER_SIZE, Module


#: the largest size (channels, classes, depth) a block or model builder takes: beyond it a typo
#: such as depth=10**6 would build for minutes or exhaust memory before a parameter got too big
MAX_SIZE = 2 ** 16


def _size(value, argument: str, where: str) -> int:
    return positive_int(value, argument, where, maximum=MAX_SIZE)


class ResidualBlock(Module):
    """ReLU(F(x) + shortcut(x)), F = conv-BN-ReLU-conv-BN (basic) or 1x1-3x3-1x1 (bottleneck)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, bottleneck: bool = False,
                 shortcut: bool = True, expansion: int = 4):
        super().__init__()
        in_channels, out_channels, stride, expansion = (
            _size(value, name, "ResidualBlock") for value, name in
            ((in_channels, "in_channels"), (out_channels, "out_channels"), (stride, "stride"), (expansion, "expansion")))
        bottleneck, shortcut = flag(bottleneck, "bottleneck", "ResidualBlock"), flag(shortcut, "shortcut", "ResidualBlock")
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.bottleneck, self.has_shortcut = bottleneck, shortcut
        if bottleneck:
            if out_channels % expansion:
                raise ShapeError(f"ResidualBlock: bottleneck out_channels {out_channels} must be divisible by "
                                 f"the expansion {expansion} (the 3x3 conv works on out_channels / {expansion})")
            width = out_channels // expansion
            self.conv1 = Conv2d(in_channels, width, 1, bias=False)
            self.bn1 = BatchNorm2d(width)
            self.conv2 = Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
            self.bn2 = BatchNorm2d(width)
            self.conv3 = Conv2d(width, out_channels, 1, bias=False)
            self.bn3 = BatchNorm2d(out_channels)
        else:
            self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
            self.bn1 = BatchNorm2d(out_channels)
            self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
            self.bn2 = BatchNorm2d(out_channels)
        self.relu = ReLU()
        self.downsample = None
        if shortcut and (stride != 1 or in_channels != out_channels):
            self.downsample = Sequential(Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                         BatchNorm2d(out_channels))

    def residual(self, x):
        """F(x): the part the block learns on top of the identity."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.bottleneck:
            out = self.bn3(self.conv3(self.relu(out)))
        return out

    def forward(self, x):
        out = self.residual(x)
        if self.has_shortcut:
            skip = x if self.downsample is None else self.downsample(x)
            out = (out + skip).named("F(x) + x")
        return self.relu(out)

    def output_shape(self, input_shape):
        shape = self.conv1.infer_shape(input_shape)
        shape = self.conv2.infer_shape(self.bn1.infer_shape(shape))
        shape = self.bn2.infer_shape(shape)
        if self.bottleneck:
            shape = self.bn3.infer_shape(self.conv3.infer_shape(shape))
        if self.downsample is not None:
            self.downsample.infer_shape(input_shape)
        return shape

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}"
        text += f", stride={self.stride}" if self.stride != 1 else ""
        text += ", bottleneck=True" if self.bottleneck else ""
        return text + ("" if self.has_shortcut else ", shortcut=False")


class DenseLayer(Module):
    """H_l: BN-ReLU-Conv3x3 to ``growth_rate`` maps (bottleneck: BN-ReLU-Conv1x1 to 4k first).

    Returns only the k new feature maps; ``DenseBlock`` concatenates them to its input.
    """

    def __init__(self, in_channels: int, growth_rate: int, bottleneck: bool = False, dropout: float = 0.0,
                 bottleneck_factor: int = 4):
        super().__init__()
        in_channels, growth_rate = _size(in_channels, "in_channels", "DenseLayer"), \
            _size(growth_rate, "growth_rate", "DenseLayer")
        bottleneck_factor = _size(bottleneck_factor, "bottleneck_factor", "DenseLayer")
        bottleneck, dropout = flag(bottleneck, "bottleneck", "DenseLayer"), probability(dropout, "dropout", "DenseLayer")
        self.in_channels, self.growth_rate, self.bottleneck = in_channels, growth_rate, bottleneck
        self.norm1 = BatchNorm2d(in_channels)
        self.relu1 = ReLU()
        if bottleneck:
            width = bottleneck_factor * growth_rate
            self.conv1 = Conv2d(in_channels, width, 1, bias=False)
            self.norm2 = BatchNorm2d(width)
            self.relu2 = ReLU()
            self.conv2 = Conv2d(width, growth_rate, 3, padding=1, bias=False)
        else:
            self.conv1 = Conv2d(in_channels, growth_rate, 3, padding=1, bias=False)
        self.dropout = Dropout(dropout) if dropout else None

    def forward(self, x):
        out = self.conv1(self.relu1(self.norm1(x)))
        if self.bottleneck:
            out = self.dropout(out) if self.dropout is not None else out
            out = self.conv2(self.relu2(self.norm2(out)))
        return self.dropout(out) if self.dropout is not None else out

    def output_shape(self, input_shape):
        shape = self.conv1.infer_shape(self.norm1.infer_shape(input_shape))
        if self.bottleneck:
            shape = self.conv2.infer_shape(self.norm2.infer_shape(shape))
        return shape

    def extra_repr(self):
        return f"{self.in_channels}, growth_rate={self.growth_rate}" + (", bottleneck=True" if self.bottleneck else "")


class DenseBlock(Module):
    """``num_layers`` DenseLayers, each fed the concatenation of the block input and every earlier
    layer's output: out_channels = in_channels + growth_rate · num_layers."""

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, bottleneck: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        num_layers = _size(num_layers, "num_layers", "DenseBlock")
        in_channels = _size(in_channels, "in_channels", "DenseBlock")
        growth_rate = _size(growth_rate, "growth_rate", "DenseBlock")
        # the 3x3 convs alone hold 9·k·Σ(k0 + k·l) weights: refuse a block too big to build
        weights = 9 * growth_rate * (num_layers * in_channels + growth_rate * num_layers * (num_layers - 1) // 2)
        if weights > 4 * MAX_PARAMETER_SIZE:
            raise ArgumentError(f"DenseBlock: num_layers={num_layers}, in_channels={in_channels} and growth_rate="
                                f"{growth_rate} make {weights:,} weights, more than graphlab builds")
        self.num_layers, self.in_channels, self.growth_rate = num_layers, in_channels, growth_rate
        #: channels each layer receives: k0 + k(l - 1) for l = 1..L (E86)
        self.layer_in_channels = [in_channels + growth_rate * index for index in range(num_layers)]
        for index, channels in enumerate(self.layer_in_channels):
            self.add_module(f"denselayer{index + 1}", DenseLayer(channels, growth_rate, bottleneck, dropout))

    @property
    def out_channels(self) -> int:
        return self.in_channels + self.growth_rate * self.num_layers

    @property
    def connections(self) -> int:
        """Direct connections: layer l reads all l earlier feature sets, Σ l = L(L+1)/2 (E86)."""
        return self.num_layers * (self.num_layers + 1) // 2

    def forward(self, x):
        features = x
        for layer in self.children():
            features = ops.concat([features, layer(features)], axis=1)
        return features

    def output_shape(self, input_shape):
        if len(input_shape) != 4 or input_shape[1] != self.in_channels:
            raise ShapeError(f"DenseBlock: input {input_shape} must be (N, {self.in_channels}, H, W)")
        shape = tuple(input_shape)
        for layer in self.children():
            new = layer.infer_shape(shape)
            shape = (shape[0], shape[1] + new[1]) + shape[2:]
        return shape

    def extra_repr(self):
        return f"num_layers={self.num_layers}, in_channels={self.in_channels}, growth_rate={self.growth_rate}"


class Transition(Module):
    """Between dense blocks: BN-ReLU-Conv1x1 to ⌊θ·c⌋ channels, then 2x2 average pooling."""

    def __init__(self, in_channels: int, compression: float = 1.0):
        super().__init__()
        in_channels = _size(in_channels, "in_channels", "Transition")
        compression = real(compression, "compression", "Transition", 0.0, 1.0, low_open=True,
                           rule="θ with 0 < θ <= 1 (E87)")
        if int(compression * in_channels) < 1:
            raise ArgumentError(f"Transition: compression θ={compression} of in_channels={in_channels} leaves no "
                                f"channel; use a larger θ")
        self.in_channels, self.compression = in_channels, compression
        self.out_channels = int(compression * in_channels)
        self.norm = BatchNorm2d(in_channels)
        self.relu = ReLU()
        self.conv = Conv2d(in_channels, self.out_channels, 1, bias=False)
        self.pool = AvgPool2d(2, stride=2)

    def forward(self, x):
        return self.pool(self.conv(self.relu(self.norm(x))))

    def output_shape(self, input_shape):
        return self.pool.infer_shape(self.conv.infer_shape(self.norm.infer_shape(input_shape)))

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, compression={self.compression}"

