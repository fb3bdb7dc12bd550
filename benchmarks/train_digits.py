#!/usr/bin/env python
"""One training epoch of the digits CNN (``graphlab train digits-cnn``'s model): graphlab vs PyTorch.

Both sides train the same network from the same initial weights (PyTorch loads graphlab's state
dict) with Adam (lr 3e-3) on the same mini-batches (batch 32, the 1,438 training digits, one
shuffled order per epoch shared by both sides), so the only difference is the engine. An
epoch is 45 steps of forward, cross-entropy, backward and the optimizer's update.

Each engine runs twice: with 2 threads (the cores: PyTorch's intra-op threads, numpy's
OpenBLAS threads) and with 1 (``torch.set_num_threads(1)``; threadpoolctl's
``threadpool_limits(1)`` around graphlab's epoch), because for layers this small, and on a
busy 2-core machine, a second thread can lose more to waiting than it gains. The headline
ratio compares each engine's faster configuration in the same block; the like-for-like
ratios (2 threads vs 2, 1 vs 1) follow.

Timing: every block runs one epoch per side, the side that goes first rotating between blocks,
after a warm-up epoch each; the table gives the median epoch time per side, and the ratio is
the median of the per-block ratios graphlab / PyTorch, whose two sides come from the same
stretch of time on this noisy machine. Target: <= 1.5.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, when set, pin OpenBLAS to an older kernel and smaller
blocking; this script removes them from its own environment before numpy loads OpenBLAS (the
output says which it removed and which kernel threadpoolctl then reports), unless
``--keep-openblas-env``. Nothing outside this process changes.

    .venv/bin/python benchmarks/train_digits.py              # 7 blocks
    .venv/bin/python benchmarks/train_digits.py --quick      # smoke test: 2 blocks of 5-step epochs
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _flags import keep_openblas_flag, require_counts  # noqa: E402
from _openblas_env import blas_in_use, unset_openblas_environment  # noqa: E402

_REMOVED = unset_openblas_environment(sys.argv)   # before numpy: OpenBLAS reads them once, when it loads

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import graphlab as gl  # noqa: E402
import graphlab.functional as F  # noqa: E402
from graphlab.train.recipes import _digits_cnn  # noqa: E402

LR = 3e-3
BATCH = 32


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description="digits CNN epoch: graphlab vs PyTorch")
    parser.add_argument("--blocks", type=int, default=7, help="interleaved blocks (one epoch per side each)")
    parser.add_argument("--quick", action="store_true", help="2 blocks of 5-step epochs (smoke test)")
    keep_openblas_flag(parser)
    arguments = parser.parse_args(argv)
    require_counts(parser, arguments, "blocks")
    if arguments.quick:
        arguments.blocks = 2
    return arguments


def epochs_of_batches(count: int, steps):
    """``count`` epochs of (images, labels) numpy batches, each epoch in its own shuffled order."""
    data = gl.data.digits("train")
    epochs = []
    for epoch in range(count):
        loader = gl.data.DataLoader(data, batch_size=BATCH, shuffle=True, seed=epoch)
        batches = [(images.data, labels.data) for images, labels in loader]
        epochs.append(batches[:steps] if steps else batches)
    return epochs


class GraphlabSide:
    def __init__(self, state, threads: int):
        import contextlib
        self.model = _digits_cnn()
        self.model.load_state_dict(state)
        self.optimizer = gl.optim.Adam(self.model.parameters(), lr=LR)
        self.threads = threads
        self.name = f"graphlab[{threads} thread{'s' if threads > 1 else ''}]"
        try:
            from threadpoolctl import threadpool_limits
            self.limit = lambda: threadpool_limits(limits=threads, user_api="blas")
        except ImportError:                      # numpy's own thread count
            self.limit = contextlib.nullcontext
            self.name = "graphlab"

    def epoch(self, batches) -> float:
        self.model.train()
        with self.limit():
            for images, labels in batches:
                loss = F.cross_entropy(self.model(gl.Tensor._from_op(images, None, False)), labels)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
        return float(loss.item())


class TorchSide:
    def __init__(self, torch, state, threads: int):
        nn = torch.nn
        self.torch, self.threads = torch, threads
        self.name = f"pytorch[{threads} thread{'s' if threads > 1 else ''}]"

        class GlobalAvgPool(nn.Module):
            def forward(self, x):
                return x.mean(dim=(2, 3))

        # the same layers at the same indices as graphlab's Sequential, so the state dicts line up
        self.model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), GlobalAvgPool(), nn.Linear(64, 10))
        self.model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in state.items()})
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)

    def epoch(self, batches) -> float:
        torch = self.torch
        torch.set_num_threads(self.threads)
        self.model.train()
        for images, labels in batches:
            loss = torch.nn.functional.cross_entropy(self.model(torch.from_numpy(images)), torch.from_numpy(labels))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return float(loss.item())


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    try:
        import torch
    except ImportError:
        print("train_digits: PyTorch is not installed (GRAPHLAB_EXTRAS=test,bench,oracle bash .ci/setup)")
        return 1
    print("== environment ==")
    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs")
    if _REMOVED:
        removed = ", ".join(f"{name}={value}" for name, value in _REMOVED.items())
        print(f"unset for this run only: {removed} (--keep-openblas-env keeps them)")
    else:
        print("OpenBLAS environment: nothing to unset" + (" (kept by --keep-openblas-env)"
                                                          if arguments.keep_openblas_env else ""))
    print(f"numpy BLAS (threadpoolctl): {blas_in_use()}")

    gl.manual_seed(0)
    model = _digits_cnn()                       # the initial weights every side starts from
    state = model.state_dict()
    ours = [GraphlabSide(state, 2)]
    if ours[0].name != "graphlab":                       # threadpoolctl is there: also with 1 BLAS thread
        ours.append(GraphlabSide(state, 1))
    else:
        print("(threadpoolctl missing: graphlab runs once, with numpy's own BLAS threads)")
    sides = ours + [TorchSide(torch, state, 2), TorchSide(torch, state, 1)]
    steps = 5 if arguments.quick else None
    epochs = epochs_of_batches(1 + arguments.blocks, steps)
    print(f"\n== digits CNN, {model.num_parameters():,} parameters; an epoch = {len(epochs[0])} steps of batch "
          f"{BATCH} (forward, backward, Adam) ==")
    for side in sides:                                         # warm-up epoch, not timed
        side.epoch(epochs[0])
    times = {side.name: [] for side in sides}
    losses = {side.name: None for side in sides}
    ratios = []
    for block in range(arguments.blocks):
        shift = block % len(sides)
        for side in sides[shift:] + sides[:shift]:
            started = time.perf_counter()
            losses[side.name] = side.epoch(epochs[1 + block])
            times[side.name].append(time.perf_counter() - started)
        best = {engine: min(times[side.name][-1] for side in sides if side.name.startswith(engine))
                for engine in ("graphlab", "pytorch")}
        ratios.append(best["graphlab"] / best["pytorch"])
    print(f"{'engine':19} {'median epoch (s)':>17} {'min (s)':>9} {'max (s)':>9} {'ms/step':>9} {'last loss':>10}")
    for name, values in times.items():
        print(f"{name:19} {statistics.median(values):17.3f} {min(values):9.3f} {max(values):9.3f} "
              f"{1000 * statistics.median(values) / len(epochs[1]):9.2f} {losses[name]:10.4f}")
    ratio = statistics.median(ratios)
    print()
    for threads in (2, 1):
        mine = [side for side in sides if side.name.startswith("graphlab[") and side.threads == threads]
        theirs = [side for side in sides if side.name.startswith("pytorch") and side.threads == threads]
        if mine and theirs:
            pairs = [a / b for a, b in zip(times[mine[0].name], times[theirs[0].name])]
            print(f"ratio {mine[0].name} / {theirs[0].name}: {statistics.median(pairs):.2f}")
    print(f"ratio graphlab / pytorch (each engine's faster configuration per block; median of {len(ratios)} "
          f"per-block ratios): {ratio:.2f} "
          f"(blocks: {', '.join(f'{value:.2f}' for value in ratios)}); target <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
