#!/usr/bin/env python
"""Dense-block training step: graphlab vs PyTorch CPU, same run, interleaved.

The network: a 4-layer DenseBlock (BN-ReLU-Conv3x3 layers, growth rate 12) on (32, 16, 16, 16)
inputs -> 16 + 4·12 = 64 channels, global average pooling, linear 64→10; float32,
cross-entropy, Adam (lr 1e-3: ``gl.optim.Adam`` and ``torch.optim.Adam``, PyTorch with 2
threads). Both start from the same weights. Target: ratio <= 1.5.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are unset for this run (see cnn_step.py).

    .venv/bin/python benchmarks/dense_block.py
    .venv/bin/python benchmarks/dense_block.py --quick
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _openblas_env import unset_openblas_environment  # noqa: E402  (before numpy is loaded)

REMOVED = unset_openblas_environment(sys.argv)

import numpy as np  # noqa: E402

import _training_step as harness  # noqa: E402
import graphlab as gl  # noqa: E402

LAYERS, IN_CHANNELS, GROWTH = 4, 16, 12


def build_graphlab():
    return gl.nn.Sequential(gl.nn.DenseBlock(LAYERS, IN_CHANNELS, GROWTH), gl.nn.GlobalAvgPool2d(),
                            gl.nn.Linear(IN_CHANNELS + LAYERS * GROWTH, 10))


def build_torch(torch):
    nn = torch.nn

    class Layer(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.norm1, self.relu1 = nn.BatchNorm2d(channels), nn.ReLU()
            self.conv1 = nn.Conv2d(channels, GROWTH, 3, padding=1, bias=False)

        def forward(self, x):
            return self.conv1(self.relu1(self.norm1(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            for index in range(LAYERS):
                self.add_module(f"denselayer{index + 1}", Layer(IN_CHANNELS + index * GROWTH))

        def forward(self, x):
            for layer in self.children():
                x = torch.cat([x, layer(x)], 1)
            return x

    class GlobalAvgPool(nn.Module):
        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)

    return nn.Sequential(Block(), GlobalAvgPool(), nn.Linear(IN_CHANNELS + LAYERS * GROWTH, 10))


def make_batch(rng):
    return rng.standard_normal((32, IN_CHANNELS, 16, 16)).astype(np.float32), rng.integers(0, 10, 32)


def main(argv=None):
    args = harness.parse_arguments(__doc__.splitlines()[1], argv)
    harness.run(os.path.abspath(__file__), "4-layer dense block: one Adam training step (batch 32, 16x16x16, float32)",
                REMOVED, args, build_graphlab, build_torch, make_batch)


if __name__ == "__main__":
    main()
