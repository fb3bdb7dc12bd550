#!/usr/bin/env python
"""CIFAR ResNet training step: graphlab vs PyTorch CPU, same run, interleaved.

The networks (``gl.nn.models.ResNet(depth)``): conv3x3 3→16, BN, ReLU, three stages of
(depth - 2) / 6 basic residual blocks (16, 32, 64 channels; strides 1, 2, 2; 1x1 conv + BN
projection where the shape changes), global average pooling, linear 64→10. ResNet-20 with a
batch of 32 and ResNet-56 with a batch of 16, of 3x32x32 images, float32, cross-entropy, Adam
(lr 1e-3: ``gl.optim.Adam`` and ``torch.optim.Adam``, PyTorch with 2 threads). The PyTorch twin
is built here layer for layer with the same parameter names and loads graphlab's weights
(``benchmarks/_training_step.py`` is the harness). Targets (issue 16): ResNet-20 <= 1.0x,
ResNet-56 <= 1.2x PyTorch.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are unset for this run (see cnn_step.py).

    .venv/bin/python benchmarks/resnet_cifar.py                    # both networks
    .venv/bin/python benchmarks/resnet_cifar.py --model resnet20   # one of them
    .venv/bin/python benchmarks/resnet_cifar.py --quick            # smoke run
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _openblas_env import unset_openblas_environment  # noqa: E402  (before numpy is loaded)

REMOVED = unset_openblas_environment(sys.argv)

import _training_step as harness  # noqa: E402
import graphlab as gl  # noqa: E402


def torch_resnet(torch, depth: int):
    """The CIFAR ResNet of ``gl.nn.models.ResNet(depth)`` in PyTorch, same module names."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, in_channels, out_channels, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels)
            self.relu = nn.ReLU()
            self.downsample = None
            if stride != 1 or in_channels != out_channels:
                self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                                nn.BatchNorm2d(out_channels))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1, self.relu = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
            channels, blocks = 16, (depth - 2) // 6
            for stage, stride in enumerate((1, 2, 2)):
                out_channels = 16 * 2 ** stage
                layers = [Block(channels if index == 0 else out_channels, out_channels, stride if index == 0 else 1)
                          for index in range(blocks)]
                self.add_module(f"layer{stage + 1}", nn.Sequential(*layers))
                channels = out_channels
            self.fc = nn.Linear(channels, 10)

        def forward(self, x):
            x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
            return self.fc(torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))

    return ResNet()


WORKLOADS = {
    f"resnet{depth}": harness.Workload(f"ResNet-{depth} (CIFAR)", batch, lambda depth=depth: gl.nn.models.ResNet(depth),
                                       lambda torch, depth=depth: torch_resnet(torch, depth))
    for depth, batch in ((20, 32), (56, 16))
}


def main(argv=None):
    args = harness.parse_arguments(__doc__.splitlines()[1], argv, WORKLOADS)
    harness.run_workloads(os.path.abspath(__file__), REMOVED, args, WORKLOADS)


if __name__ == "__main__":
    main()
