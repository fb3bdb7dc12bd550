"""PyTorch twins of graphlab's blocks and models: the same children under the same names, the
same forward. ``to_torch`` fills them with converted layers; this module imports torch, so only
``to_torch``/``from_torch`` load it (``import graphlab`` never does).

Every twin has ``graphlab_twin = True``. ``from_torch`` treats the two layers PyTorch lacks
(``GlobalAvgPool2d``, ``Maxout``) as leaves and turns them back into ``gl.nn`` layers; it traces
through the blocks and models like any PyTorch code.
"""
from __future__ import annotations

import torch
from torch import nn


class Twin(nn.Module):
    """A module whose children are given (already converted), registered in order."""
    graphlab_twin = True

    def __init__(self, children: dict, **settings):
        super().__init__()
        for name, child in children.items():
            self.add_module(name, child)
        for name, value in settings.items():
            setattr(self, name, value)


class GlobalAvgPool2d(nn.Module):
    """(N, C, H, W) -> (N, C): the mean of each feature map."""
    graphlab_twin = True

    def forward(self, x):
        return x.mean((2, 3))


class Maxout(Twin):
    """max over groups of ``pieces`` consecutive outputs of ``linear`` (graphlab's grouping)."""

    def forward(self, x):
        out = self.linear(x)
        grouped = out.reshape(*out.shape[:-1], out.shape[-1] // self.pieces, self.pieces)
        return grouped.max(dim=-1).values


class ResidualBlock(Twin):
    """ReLU(F(x) + shortcut(x)), as ``gl.nn.ResidualBlock``."""

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.bottleneck:
            out = self.bn3(self.conv3(self.relu(out)))
        if self.has_shortcut:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class DenseLayer(Twin):
    """BN-ReLU-Conv (with the bottleneck's BN-ReLU-Conv1x1 first), as ``gl.nn.DenseLayer``."""

    def forward(self, x):
        out = self.conv1(self.relu1(self.norm1(x)))
        if self.bottleneck:
            out = self.dropout(out) if self.dropout is not None else out
            out = self.conv2(self.relu2(self.norm2(out)))
        return self.dropout(out) if self.dropout is not None else out


class DenseBlock(Twin):
    """Each layer fed the concatenation of everything before it, as ``gl.nn.DenseBlock``."""

    def forward(self, x):
        features = x
        for layer in self.children():
            features = torch.cat([features, layer(features)], 1)
        return features


class Transition(Twin):
    def forward(self, x):
        return self.pool(self.conv(self.relu(self.norm(x))))


class Classifier(Twin):
    """features -> head (SmallCNN, VGG16, AlexNet)."""

    def forward(self, x):
        return self.head(self.features(x))


class DenseNet(Twin):
    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


class ResNet(Twin):
    """The CIFAR ResNet (and PlainCNN, the same stack without skips)."""

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.pool(x))


def named_twin(base: type, name: str) -> type:
    """A subclass of ``base`` called ``name`` (SmallCNN, VGG16, PlainCNN: one forward, own names)."""
    return _NAMED.setdefault(name, type(name, (base,), {"__module__": __name__, "__qualname__": name}))


_NAMED: dict = {}
for _base, _names in ((Classifier, ("SmallCNN", "VGG16", "AlexNet")), (ResNet, ("PlainCNN",))):
    for _name in _names:
        globals()[_name] = named_twin(_base, _name)     # importable by name, so torch.save can pickle them
