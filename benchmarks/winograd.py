#!/usr/bin/env python
"""Winograd F(2x2, 3x3) in numpy against the convolution kernels graphlab uses, per ResNet stage.

Issue 16 lists Winograd's minimal filtering (Lavin & Gray, 2016) as a way to make the 3x3
stride-1 convolutions of a ResNet faster: each 2x2 output tile is

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A      d: the 4x4 input tile, g: the 3x3 kernel

so the channel sums become 16 GEMMs ``U_k (C_out, C) @ V_k (C, tiles)``, 16 multiplies per tile
instead of im2col's 36 (2.25x fewer). This script implements the forward pass on graphlab's
batch-innermost layout (C, H, W, N) and times it, piece by piece, against the shifted-GEMM and
im2col kernels (``graphlab/ops/kernels/``) on each stage of a CIFAR ResNet, interleaved, medians.
It also checks its accuracy against a float64 convolution. It is a measurement, not a kernel:
graphlab does not use it, because its transforms, each a few strided numpy passes over 4x the
activations, cost more than the GEMMs save (see ``docs/cnn.md``).

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are unset for this run (see cnn_step.py).

    .venv/bin/python benchmarks/winograd.py
    .venv/bin/python benchmarks/winograd.py --quick      # smoke run
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _openblas_env import unset_openblas_environment  # noqa: E402  (before numpy is loaded)

REMOVED = unset_openblas_environment(sys.argv)

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from _flags import keep_openblas_flag, require_counts  # noqa: E402
from _openblas_env import blas_in_use  # noqa: E402
from graphlab.ops.conv import Window  # noqa: E402
from graphlab.ops.kernels import im2col, shifted_gemm  # noqa: E402
from graphlab.ops.kernels.layout import pad_inner  # noqa: E402

# F(2x2, 3x3)'s matrices (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"): G transforms the kernel, Bᵀ the input tile, Aᵀ
# takes the 4x4 product back to the 2x2 output tile
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
STAGES = ((16, 32), (32, 16), (64, 8))          # (channels, image side) of a CIFAR ResNet's stages


def weight_transform(weight: np.ndarray) -> np.ndarray:
    """U = G g Gᵀ for every (C_out, C) kernel: (C_out, C, 3, 3) -> (16, C_out, C)."""
    transformed = G @ weight.astype(np.float64) @ G.T                     # (C_out, C, 4, 4)
    return np.ascontiguousarray(transformed.transpose(2, 3, 0, 1).reshape(16, *weight.shape[:2]),
                                dtype=weight.dtype)


def input_transform(x_pad: np.ndarray, tiles_h: int, tiles_w: int) -> np.ndarray:
    """V = Bᵀ d B for every 4x4 tile (stride 2) of x_pad (C, 2·tiles_h + 2, 2·tiles_w + 2, N)
    -> (16, C, tiles_h·tiles_w·N). Bᵀ's rows are d0 − d2, d1 + d2, d2 − d1, d1 − d3."""
    channels, batch = x_pad.shape[0], x_pad.shape[3]
    transformed = np.empty((16, channels, tiles_h, tiles_w, batch), dtype=x_pad.dtype)
    rows = [x_pad[:, a:a + 2 * tiles_h:2] for a in range(4)]          # row a of every tile
    by_rows = (rows[0] - rows[2], rows[1] + rows[2], rows[2] - rows[1], rows[1] - rows[3])
    for xi, row in enumerate(by_rows):
        cols = [row[:, :, b:b + 2 * tiles_w:2] for b in range(4)]
        np.subtract(cols[0], cols[2], out=transformed[4 * xi])
        np.add(cols[1], cols[2], out=transformed[4 * xi + 1])
        np.subtract(cols[2], cols[1], out=transformed[4 * xi + 2])
        np.subtract(cols[1], cols[3], out=transformed[4 * xi + 3])
    return transformed.reshape(16, channels, -1)


def output_transform(products: np.ndarray, tiles_h: int, tiles_w: int, batch: int) -> np.ndarray:
    """Y = Aᵀ m A for every tile, Aᵀ's rows m0 + m1 + m2 and m1 − m2 − m3:
    (16, C_out, tiles) -> (C_out, 2·tiles_h, 2·tiles_w, N)."""
    out_channels = products.shape[1]
    m = products.reshape(4, 4, out_channels, tiles_h, tiles_w, batch)
    top = m[0] + m[1]
    top += m[2]
    bottom = m[1] - m[2]
    bottom -= m[3]
    output = np.empty((out_channels, tiles_h, 2, tiles_w, 2, batch), dtype=products.dtype)
    for p, half in enumerate((top, bottom)):
        np.add(half[0] + half[1], half[2], out=output[:, :, p, :, 0])
        np.subtract(half[1] - half[2], half[3], out=output[:, :, p, :, 1])
    return output.reshape(out_channels, 2 * tiles_h, 2 * tiles_w, batch)


def winograd_forward(x_pad: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """A 3x3, stride-1, padding-1 convolution of an even-sided image, (C_out, H, W, N)."""
    tiles_h, tiles_w = (x_pad.shape[1] - 2) // 2, (x_pad.shape[2] - 2) // 2
    products = np.matmul(weight_transform(weight), input_transform(x_pad, tiles_h, tiles_w))
    return output_transform(products, tiles_h, tiles_w, x_pad.shape[3])


def stage_report(channels: int, side: int, batch: int, repeats: int, rng) -> str:
    x = rng.standard_normal((batch, channels, side, side)).astype(np.float32)
    weight = (rng.standard_normal((channels, channels, 3, 3)) / np.sqrt(9 * channels)).astype(np.float32)
    window = Window.of("conv2d", (side, side), (3, 3), 1, 1, 1)
    x_pad = pad_inner(x, 1, 1)
    exact, _ = im2col.forward(pad_inner(x.astype(np.float64), 1, 1), weight.astype(np.float64), None, window, 1)
    exact = exact.reshape(channels, side, side, batch)
    shifted, _ = shifted_gemm.forward(x_pad, weight, None, window)
    errors = (np.abs(winograd_forward(x_pad, weight) - exact).max(),
              np.abs(shifted.reshape(exact.shape) - exact).max())
    tiles = side // 2
    transformed = input_transform(x_pad, tiles, tiles)
    u = weight_transform(weight)
    products = np.matmul(u, transformed)
    work = {"shifted GEMMs": lambda: shifted_gemm.forward(x_pad, weight, None, window),
            "im2col": lambda: im2col.forward(x_pad, weight, None, window, 1),
            "winograd": lambda: winograd_forward(x_pad, weight),
            "  its input transform": lambda: input_transform(x_pad, tiles, tiles),
            "  its 16 GEMMs": lambda: np.matmul(u, transformed),
            "  its output transform": lambda: output_transform(products, tiles, tiles, batch)}
    times = {name: [] for name in work}
    for _ in range(repeats):                          # interleaved: one of each per round
        for name, run in work.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) * 1e3 for name, values in times.items()}
    lines = [f"{channels} channels, {side}x{side}, batch {batch}: forward of one 3x3 convolution, ms "
             f"(median of {repeats})"]
    lines += [f"  {name:<24} {value:>8.2f}" for name, value in medians.items()]
    lines.append(f"  winograd / shifted GEMMs: {medians['winograd'] / medians['shifted GEMMs']:.2f}; max error "
                 f"against float64: winograd {errors[0]:.1e}, shifted GEMMs {errors[1]:.1e}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--batch", type=int, default=32, help="images per batch (default 32, ResNet-20's)")
    parser.add_argument("--repeats", type=int, default=21, help="timed rounds (default 21)")
    parser.add_argument("--quick", action="store_true", help="smoke run: batch 2, 3 rounds")
    keep_openblas_flag(parser)
    args = parser.parse_args(argv)
    require_counts(parser, args, "batch", "repeats")
    if args.quick:
        args.batch, args.repeats = 2, 3
    print(f"numpy BLAS: {blas_in_use()}" + (f"; unset for this run: {', '.join(REMOVED)}" if REMOVED else ""))
    rng = np.random.default_rng(0)
    for channels, side in STAGES:
        print(stage_report(channels, side, args.batch, args.repeats, rng), flush=True)


if __name__ == "__main__":
    main()
