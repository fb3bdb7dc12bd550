#!/usr/bin/env python
"""The BLAS floor of a CNN training step: its convolutions' matrix products alone, against PyTorch.

Issue 16 asks for ResNet-20 and DenseNet-BC 40/12 training steps at <= 1.0x PyTorch CPU. This
script measures how much of that budget numpy's BLAS needs for the arithmetic alone, before any
of the rest of a step (batch norm, ReLU, additions, pooling, the loss, the update, the copies
that lay the data out for BLAS) has run. For every convolution of the network (the shapes are
recorded from one graphlab forward pass), it times the GEMMs a convolution needs at its best:

* im2col GEMMs: a convolution written as one matrix product (Lecture 5; ``kernels/im2col.py``):
  forward ``W (C_out, C·kh·kw) @ cols (C·kh·kw, P)``, the weight gradient ``upstream @ colsᵀ``
  and the input gradient ``Wᵀ @ upstream`` (P = N·H_out·W_out; none for the network's first
  convolution, whose input, the images, needs no gradient). Operands are contiguous and made
  beforehand, so nothing but BLAS runs: no im2col copy, no col2im.
* Winograd F(2x2, 3x3) GEMMs, for every 3x3 stride-1 convolution (the others keep their im2col
  GEMMs): 16 products of ``(C_out, C) @ (C, T)`` per direction, T = N·⌈H_out/2⌉·⌈W_out/2⌉
  tiles, 2.25x fewer multiplies than im2col. A Winograd convolution must also transform its
  input, output and gradients (4x the pixels: 16 numbers per 2x2 tile); "+ transforms" adds one
  copy of each transformed tensor, a lower bound of what any numpy implementation spends there
  (a real one takes several passes per transform).
* One pass per node and per gradient: numpy materialises every op's result, so a step writes
  each node's forward value (batch norm, ReLU, addition, concatenation, pooling...) and each
  gradient at least once. "+ passes" adds one copy of an array of each size (views, such as
  reshapes, are not counted): with the GEMMs, the least any numpy graph of these nodes costs.

All of them and PyTorch's whole training step (the twin from resnet_cifar.py/densenet_cifar.py)
and graphlab's whole training step are timed in the same run, in interleaved blocks whose
order rotates, and reported as medians and as ratios to PyTorch's step. If a floor alone is
near 1.0x, no numpy convolution built on that GEMM reaches 1.0x, whatever it does around it.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are unset for this run (see cnn_step.py).

    .venv/bin/python benchmarks/gemm_floor.py                       # the four CIFAR networks
    .venv/bin/python benchmarks/gemm_floor.py --model resnet20
    .venv/bin/python benchmarks/gemm_floor.py --quick               # smoke run
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _openblas_env import unset_openblas_environment  # noqa: E402  (before numpy is loaded)

REMOVED = unset_openblas_environment(sys.argv)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import _training_step as harness  # noqa: E402
from _flags import keep_openblas_flag, require_counts  # noqa: E402
import densenet_cifar  # noqa: E402
import resnet_cifar  # noqa: E402
import graphlab as gl  # noqa: E402
from graphlab.autodiff.engine import graph_nodes  # noqa: E402

WORKLOADS = {**resnet_cifar.WORKLOADS, **densenet_cifar.WORKLOADS}
WINOGRAD_TILE_VALUES = 16          # F(2x2, 3x3): a 4x4 input tile gives a 2x2 output tile


@dataclass(frozen=True)
class ConvShape:
    """One convolution of the network, as the forward pass met it."""
    batch: int
    in_channels: int
    out_channels: int
    kernel: tuple
    stride: tuple
    dilation: tuple
    groups: int
    out_size: tuple
    needs_input_gradient: bool

    @property
    def pixels(self) -> int:
        return self.batch * self.out_size[0] * self.out_size[1]

    @property
    def columns(self) -> int:
        return self.in_channels // self.groups * self.kernel[0] * self.kernel[1]

    @property
    def winograd(self) -> bool:
        return self.kernel == (3, 3) and self.stride == (1, 1) and self.dilation == (1, 1) and self.groups == 1

    @property
    def tiles(self) -> int:
        return self.batch * -(-self.out_size[0] // 2) * -(-self.out_size[1] // 2)

    def im2col_products(self) -> list:
        """(m, k, n) of forward, weight gradient and input gradient, as one GEMM each (groups: per group)."""
        out_per_group = self.out_channels // self.groups
        products = [(out_per_group, self.columns, self.pixels), (out_per_group, self.pixels, self.columns)]
        if self.needs_input_gradient:
            products.append((self.columns, out_per_group, self.pixels))
        return products * self.groups

    def winograd_products(self) -> list:
        products = [(self.out_channels, self.in_channels, self.tiles),
                    (self.out_channels, self.tiles, self.in_channels)]
        if self.needs_input_gradient:
            products.append((self.in_channels, self.out_channels, self.tiles))
        return products * WINOGRAD_TILE_VALUES

    def winograd_transformed_sizes(self) -> list:
        """Numbers in each transformed tensor: input and output forward, upstream and dx backward."""
        inputs, outputs = WINOGRAD_TILE_VALUES * self.in_channels * self.tiles, \
            WINOGRAD_TILE_VALUES * self.out_channels * self.tiles
        return [inputs, outputs, outputs] + ([inputs] if self.needs_input_gradient else [])


def pass_sizes(loss) -> list:
    """The size of every array a training step must write once: each node's forward value that is
    not a view of its inputs', and the gradient of each node that needs one (leaves included)."""
    sizes = []
    for node in graph_nodes(loss):
        parents = node.parents
        if parents and not any(np.may_share_memory(node.data, parent.data) for parent in parents):
            sizes.append(node.data.size)
        if node.requires_grad:
            sizes.append(node.data.size)
    return sizes


def record_convolutions(model, x: np.ndarray) -> tuple:
    """(every Conv2d's shapes, each module once per call, and the output) of one forward pass of
    ``model`` on ``x``."""
    shapes = []
    convolutions = [module for module in model.modules() if isinstance(module, gl.nn.Conv2d)]

    def recording(conv):
        def forward(inputs):
            output = type(conv).forward(conv, inputs)
            shapes.append(ConvShape(inputs.shape[0], conv.in_channels, conv.out_channels, tuple(conv.kernel_size),
                                    tuple(conv.stride), tuple(conv.dilation), conv.groups, tuple(output.shape[2:]),
                                    bool(inputs.requires_grad)))
            return output
        return forward

    for conv in convolutions:
        conv.forward = recording(conv)          # an instance attribute shadows the class's forward
    try:
        output = model(gl.tensor(x))     # with gradients on: an input that needs one adds the dx GEMM
    finally:
        for conv in convolutions:
            del conv.forward
    return shapes, output


class Products:
    """Contiguous float32 operands for a list of (m, k, n) GEMMs, made once (shared by shape)."""

    def __init__(self, shapes: list, rng):
        self.operands = {}
        self.shapes = shapes
        for m, k, n in set(shapes):
            self.operands[m, k, n] = (rng.standard_normal((m, k), dtype=np.float32),
                                      rng.standard_normal((k, n), dtype=np.float32),
                                      np.empty((m, n), dtype=np.float32))

    def run(self):
        for shape in self.shapes:
            left, right, out = self.operands[shape]
            np.matmul(left, right, out=out)

    @property
    def flops(self) -> int:
        return sum(2 * m * k * n for m, k, n in self.shapes)


class Copies:
    """One copy of an array of each of ``sizes`` (float32 numbers): read once, write once, the
    least a transform or an op's result can cost."""

    flops = 0

    def __init__(self, sizes: list, rng):
        self.sizes = sizes
        self.buffers = {size: (rng.standard_normal(size, dtype=np.float32), np.empty(size, dtype=np.float32))
                        for size in set(sizes)}

    def run(self):
        for size in self.sizes:
            source, target = self.buffers[size]
            np.copyto(target, source)


class Floor:
    """Named pieces of work, timed by the harness (``_training_step.measure``) like a side's
    training step, interleaved with the real ones."""

    def __init__(self, name: str, pieces: list):
        self.name, self.pieces = name, pieces
        self.flops = sum(piece.flops for piece in pieces)

    def context(self):
        return contextlib.nullcontext()

    def run(self):
        for piece in self.pieces:
            piece.run()

    def step(self) -> tuple:
        """(forward, backward, update, loss) as a side's step: a floor has no parts, all its time
        counts as forward."""
        return _timed(self.run), 0.0, 0.0, float("nan")


def by_kind(shapes: list, rng, steps: int) -> list:
    """im2col GEMM throughput per kind of convolution (GFLOP/s), to show where the floor sits. A
    kind is a kernel, stride, output size and output channels; DenseNet's growing inputs share one."""
    kinds = {}
    for shape in shapes:
        kinds.setdefault((shape.kernel, shape.stride, shape.out_size, shape.out_channels), []).append(shape)
    lines = [f"{'C_in':>9} {'C_out':>5} {'kernel':>6} {'stride':>6} {'out':>7} {'convs':>5} {'GFLOP':>7} "
             f"{'ms':>7} {'GFLOP/s':>8}"]
    for (kernel, stride, out, out_channels), members in sorted(kinds.items(), key=lambda item: -len(item[1])):
        products = Products([p for member in members for p in member.im2col_products()], rng)
        products.run()
        seconds = statistics.median(_timed(products.run) for _ in range(steps))
        low, high = min(m.in_channels for m in members), max(m.in_channels for m in members)
        inputs = str(low) if low == high else f"{low}-{high}"
        lines.append(f"{inputs:>9} {out_channels:>5} {kernel[0]}x{kernel[1]:<4} {stride[0]:>6} "
                     f"{out[0]:>3}x{out[1]:<3} {len(members):>5} {products.flops / 1e9:>7.3f} "
                     f"{seconds * 1e3:>7.2f} {products.flops / seconds / 1e9:>8.1f}")
    return lines


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def report(name: str, args, torch) -> list:
    workload = WORKLOADS[name]
    batch = args.batch or workload.batch
    gl.manual_seed(0)
    rng = np.random.default_rng(0)
    x, labels = harness.image_batch(batch, args.image_size)(rng)
    model = workload.build_graphlab()
    shapes, output = record_convolutions(model, x)
    im2col = Products([p for shape in shapes for p in shape.im2col_products()], rng)
    winograd = Products([p for shape in shapes
                         for p in (shape.winograd_products() if shape.winograd else shape.im2col_products())], rng)
    transforms = Copies([size for shape in shapes if shape.winograd for size in shape.winograd_transformed_sizes()], rng)
    passes = Copies(pass_sizes(gl.functional.cross_entropy(output, labels)), rng)
    entries = [Floor("im2col GEMMs alone", [im2col]), Floor("im2col GEMMs + passes", [im2col, passes]),
               Floor("Winograd GEMMs alone", [winograd]),
               Floor("Winograd + transforms + passes", [winograd, transforms, passes]),
               harness.GraphlabSide(model, x, labels)]
    if torch is not None:
        reference = workload.build_torch(torch)
        reference.load_state_dict({key: torch.tensor(value) for key, value in model.state_dict().items()})
        entries.append(harness.TorchSide(torch, reference, x, labels))
    results, _ = harness.measure(entries, args)
    medians = {name: statistics.median(total for *_, total in steps) for name, steps in results.items()}
    lines = [f"== {workload.title}, batch {batch} of 3x{args.image_size}x{args.image_size}: "
             f"{len(shapes)} convolutions, {sum(s.winograd for s in shapes)} of them 3x3 stride 1, "
             f"{sum(s.needs_input_gradient for s in shapes)} with an input gradient ==",
             f"ms per step, median of {args.blocks * args.steps_per_block} per entry, {args.blocks} interleaved "
             f"blocks of {args.steps_per_block} after {args.warmup} warm-up",
             f"{'':<30} {'ms':>9} {'GFLOP':>7} {'/ pytorch step':>15}"]
    reference_time = medians.get("pytorch")
    for entry in entries:
        seconds = medians[entry.name]
        ratio = f"{seconds / reference_time:>15.2f}" if reference_time else f"{'(no torch)':>15}"
        floor = isinstance(entry, Floor)
        work = f"{entry.flops / 1e9:>7.2f}" if floor else f"{'':>7}"
        label = entry.name if floor else f"{entry.name} step"
        lines.append(f"{label:<30} {seconds * 1e3:>9.2f} {work} {ratio}")
    lines.append(f"passes: {len(passes.sizes)} arrays, {4 * sum(passes.sizes) / 1e6:.0f} MB written once each")
    lines += ["", "im2col GEMMs by kind of convolution (each timed alone):"] + by_kind(shapes, rng, args.steps_per_block)
    return lines


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--model", choices=sorted(WORKLOADS) + ["all"], default="all",
                        help="which network (default all four, one after the other)")
    parser.add_argument("--batch", type=int, help="batch size instead of each network's own (smoke tests)")
    parser.add_argument("--image-size", type=int, default=32, help="image side (default 32, CIFAR)")
    parser.add_argument("--blocks", type=int, default=5, help="interleaved blocks per entry (default 5)")
    parser.add_argument("--steps-per-block", type=int, default=5, help="timed steps per block (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per entry first (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 blocks of 1 step, 1 warm-up")
    keep_openblas_flag(parser)
    args = parser.parse_args(argv)
    require_counts(parser, args, "blocks", "steps_per_block", "batch", "image_size", "threads")
    require_counts(parser, args, "warmup", minimum=0)
    if args.quick:
        args.blocks, args.steps_per_block, args.warmup = 2, 1, 1
    return args


def main(argv=None):
    args = parse_arguments(argv)
    torch = harness.load_torch(args.threads)
    print("\n".join(harness.environment(torch, REMOVED, args)), flush=True)
    names = sorted(WORKLOADS) if args.model == "all" else [args.model]
    for name in names:
        print()
        print("\n".join(report(name, args, torch)), flush=True)
    print()
    print(harness.load_line("at the end"))


if __name__ == "__main__":
    main()
