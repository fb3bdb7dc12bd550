#!/usr/bin/env python
"""Small-CNN training step: graphlab vs PyTorch CPU, same run, interleaved.

The network (``gl.nn.models.SmallCNN``): conv3x3 1→8 pad 1, BN, ReLU, maxpool 2, conv3x3 8→16
pad 1, BN, ReLU, maxpool 2, flatten, linear 784→10; batch 64 of 1x28x28, float32,
cross-entropy, Adam (lr 1e-3: ``gl.optim.Adam`` and ``torch.optim.Adam``, PyTorch with 2
threads). Both start from the same weights (``benchmarks/_training_step.py`` is the harness).

Prints each side's forward / backward / update / total time (median of the measured steps),
the ratio graphlab / PyTorch, and the peak memory of a training step. Target: ratio <= 1.0.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are unset for this run (they slow numpy's GEMM
up to 1.7x on this machine); the environment section says so and names the BLAS kernel.

    .venv/bin/python benchmarks/cnn_step.py            # 10 blocks x 10 steps per side
    .venv/bin/python benchmarks/cnn_step.py --quick    # smoke test, a few seconds
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _openblas_env import unset_openblas_environment  # noqa: E402  (before numpy is loaded)

REMOVED = unset_openblas_environment(sys.argv)

import numpy as np  # noqa: E402

import _training_step as harness  # noqa: E402
import graphlab as gl  # noqa: E402


def build_torch(torch):
    nn = torch.nn
    features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
    model = nn.Module()
    model.features, model.head = features, nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    model.forward = lambda x: model.head(model.features(x))
    return model


def make_batch(rng):
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


def main(argv=None):
    args = harness.parse_arguments(__doc__.splitlines()[1], argv)
    harness.run(os.path.abspath(__file__), "small CNN: one Adam training step (batch 64, 1x28x28, float32)",
                REMOVED, args, lambda: gl.nn.models.SmallCNN(), build_torch, make_batch)


if __name__ == "__main__":
    main()
