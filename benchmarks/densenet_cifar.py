#!/usr/bin/env python
"""CIFAR DenseNet-BC training step: graphlab vs PyTorch CPU, same run, interleaved.

The networks (``gl.nn.models.DenseNet(depth, 12, bottleneck=True, compression=0.5)``): conv3x3
3→24, three dense blocks of (depth - 4) / 6 bottleneck layers (BN-ReLU-Conv1x1 to 48, BN-ReLU-
Conv3x3 to 12 new maps, concatenated), transitions (BN-ReLU-Conv1x1 halving the channels, 2x2
average pooling) after blocks 1 and 2, BN-ReLU, global average pooling, linear. DenseNet-BC
40/12 with a batch of 16 and DenseNet-BC 100/12 with a batch of 8, of 3x32x32 images, float32,
cross-entropy, Adam (lr 1e-3, PyTorch with 2 threads). The PyTorch twin is built here with
torchvision's module names and loads graphlab's weights (``benchmarks/_training_step.py`` is the
harness). Targets (issue 16): DenseNet-BC 40/12 <= 1.0x, 100/12 <= 1.2x PyTorch.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are unset for this run (see cnn_step.py).

    .venv/bin/python benchmarks/densenet_cifar.py                        # both networks
    .venv/bin/python benchmarks/densenet_cifar.py --model densenet_bc40   # one of them
    .venv/bin/python benchmarks/densenet_cifar.py --quick                # smoke run
"""
import os
import sys
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _openblas_env import unset_openblas_environment  # noqa: E402  (before numpy is loaded)

REMOVED = unset_openblas_environment(sys.argv)

import _training_step as harness  # noqa: E402
import graphlab as gl  # noqa: E402

GROWTH, COMPRESSION = 12, 0.5


def torch_densenet(torch, depth: int):
    """DenseNet-BC (depth, k=12, θ=0.5) for 32x32 inputs in PyTorch, graphlab's module names."""
    nn = torch.nn

    class Layer(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.norm1, self.relu1 = nn.BatchNorm2d(channels), nn.ReLU()
            self.conv1 = nn.Conv2d(channels, 4 * GROWTH, 1, bias=False)
            self.norm2, self.relu2 = nn.BatchNorm2d(4 * GROWTH), nn.ReLU()
            self.conv2 = nn.Conv2d(4 * GROWTH, GROWTH, 3, padding=1, bias=False)

        def forward(self, x):
            return self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))

    class Block(nn.Module):
        def __init__(self, layers, channels):
            super().__init__()
            for index in range(layers):
                self.add_module(f"denselayer{index + 1}", Layer(channels + index * GROWTH))

        def forward(self, x):
            for layer in self.children():
                x = torch.cat([x, layer(x)], 1)
            return x

    def transition(channels):
        out = int(COMPRESSION * channels)
        return nn.Sequential(OrderedDict(norm=nn.BatchNorm2d(channels), relu=nn.ReLU(),
                                  conv=nn.Conv2d(channels, out, 1, bias=False), pool=nn.AvgPool2d(2, 2))), out

    def build():
        layers, channels = (depth - 4) // 6, 2 * GROWTH
        stages = dict(conv0=nn.Conv2d(3, channels, 3, padding=1, bias=False))
        for index in (1, 2, 3):
            stages[f"denseblock{index}"] = Block(layers, channels)
            channels += layers * GROWTH
            if index < 3:
                stages[f"transition{index}"], channels = transition(channels)
        stages.update(norm5=nn.BatchNorm2d(channels), relu5=nn.ReLU())
        model = nn.Module()
        model.features, model.classifier = nn.Sequential(OrderedDict(stages)), nn.Linear(channels, 10)
        model.forward = lambda x: model.classifier(
            torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1).flatten(1))
        return model

    return build()


def graphlab_densenet(depth: int):
    return gl.nn.models.DenseNet(depth, GROWTH, bottleneck=True, compression=COMPRESSION)


WORKLOADS = {
    f"densenet_bc{depth}": harness.Workload(f"DenseNet-BC {depth}/{GROWTH} (CIFAR)", batch,
                                            lambda depth=depth: graphlab_densenet(depth),
                                            lambda torch, depth=depth: torch_densenet(torch, depth))
    for depth, batch in ((40, 16), (100, 8))
}


def main(argv=None):
    args = harness.parse_arguments(__doc__.splitlines()[1], argv, WORKLOADS)
    harness.run_workloads(os.path.abspath(__file__), REMOVED, args, WORKLOADS)


if __name__ == "__main__":
    main()
