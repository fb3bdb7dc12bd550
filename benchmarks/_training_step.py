"""Shared harness of the CNN benchmarks (cnn_step.py, dense_block.py, resnet_cifar.py,
densenet_cifar.py): one training step
(forward, backward, update) of the same network in graphlab and in PyTorch, timed in the same
run, interleaved in blocks.

* The update is Adam on both sides with the same hyper-parameters (lr 1e-3, betas 0.9/0.999,
  eps 1e-8): ``gl.optim.Adam`` and ``torch.optim.Adam``.
* Both sides start from the same weights (PyTorch loads graphlab's state dict).
* graphlab runs twice, interleaved with the rest: with numpy's BLAS as numpy sets it up (its
  default thread count) and, when threadpoolctl is installed, with the BLAS limited to one
  thread. On this 2-core machine, shared with other work, OpenBLAS's second thread often costs
  more than it gives for these small GEMMs, so both ratios are printed. PyTorch keeps
  ``--threads`` (2) intra-op threads.
* Blocks of ``--steps-per-block`` steps alternate between the two sides (the side that goes
  first alternates too), after ``--warmup`` steps each; every step is timed (forward, backward,
  update, total) and the tables show medians over all measured steps; the ratio line also gives
  the median of the per-block ratios, whose two sides come from the same stretch of time.
* Peak memory: graphlab's numpy allocations during one step (``tracemalloc``), and for both
  sides the growth of the resident set during three steps in a fresh process (``VmHWM`` after
  resetting it via ``/proc/self/clear_refs``, minus ``VmRSS`` before the first step).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import graphlab as gl  # noqa: E402
import graphlab.functional as F  # noqa: E402
from _flags import keep_openblas_flag, require_counts  # noqa: E402
from _openblas_env import OPENBLAS_VARIABLES, blas_in_use  # noqa: E402



def parse_arguments(description: str, argv=None, workloads: Optional[dict] = None) -> argparse.Namespace:
    """The common options; with ``workloads`` ({name: Workload}) also --model, --batch, --image-size."""
    parser = argparse.ArgumentParser(description=description)
    if workloads:
        parser.add_argument("--model", choices=list(workloads) + ["all"], default="all",
                            help="which network to time (default all, one after the other)")
        parser.add_argument("--batch", type=int, help="batch size instead of each network's own (smoke tests)")
        parser.add_argument("--image-size", type=int, default=32, help="image side (default 32, CIFAR)")
    parser.add_argument("--blocks", type=int, default=10, help="interleaved blocks per side (default 10)")
    parser.add_argument("--steps-per-block", type=int, default=10, help="timed steps per block (default 10)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per side first (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads (default 2)")
    parser.add_argument("--no-single-thread", action="store_true",
                        help="skip the graphlab run with numpy's BLAS limited to 1 thread")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 blocks of 3 steps, no warm-up to speak of")
    keep_openblas_flag(parser)
    parser.add_argument("--no-memory", action="store_true", help="skip the fresh-process memory measurement")
    parser.add_argument("--memory-child", choices=("graphlab", "pytorch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    require_counts(parser, args, "blocks", "steps_per_block", "threads", *(("batch", "image_size") if workloads else ()))
    require_counts(parser, args, "warmup", minimum=0)
    if args.quick:
        args.blocks, args.steps_per_block, args.warmup = 2, 3, 2
    return args


# -- one side's step, timed in three parts --------------------------------------------------------------
class GraphlabSide:
    def __init__(self, model, x: np.ndarray, labels: np.ndarray, blas_threads: Optional[int] = None):
        self.model, self.x, self.labels = model, gl.tensor(x), labels
        self.optimizer = gl.optim.Adam(model.parameters(), lr=1e-3)
        self.blas_threads = blas_threads
        self.name = "graphlab" if blas_threads is None else f"graphlab-{blas_threads}t"

    def context(self):
        """numpy's BLAS limited to ``blas_threads`` while this side runs (threadpoolctl)."""
        if self.blas_threads is None:
            return contextlib.nullcontext()
        from threadpoolctl import ThreadpoolController
        return ThreadpoolController().limit(limits=self.blas_threads, user_api="blas")

    def step(self) -> tuple:
        start = time.perf_counter()
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(self.x), self.labels)
        forward = time.perf_counter()
        loss.backward(record=False)      # as gl.train.fit: the leaves' .grad, no Trace (PyTorch's default)
        backward = time.perf_counter()
        self.optimizer.step()
        update = time.perf_counter()
        return forward - start, backward - forward, update - backward, float(loss.item())


class TorchSide:
    name = "pytorch"

    def context(self):
        return contextlib.nullcontext()

    def __init__(self, torch, model, x: np.ndarray, labels: np.ndarray):
        self.torch, self.model = torch, model
        self.x, self.labels = torch.tensor(x), torch.tensor(labels)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(self) -> tuple:
        start = time.perf_counter()
        self.optimizer.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.x), self.labels)
        forward = time.perf_counter()
        loss.backward()
        backward = time.perf_counter()
        self.optimizer.step()
        update = time.perf_counter()
        return forward - start, backward - forward, update - backward, float(loss.item())


def load_torch(threads: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


# -- reporting ----------------------------------------------------------------------------------------
def environment(torch, removed: dict, args) -> list:
    lines = ["== environment ==",
             f"python {platform.python_version()}, numpy {np.__version__}, "
             f"torch {torch.__version__ if torch else 'not installed (graphlab only)'}, {os.cpu_count()} CPUs"]
    lines.append(f"numpy BLAS: {blas_in_use()}")
    if removed:
        settings = ", ".join(f"{name}={value}" for name, value in removed.items())
        lines.append(f"OpenBLAS overrides unset for this run ({settings}); --keep-openblas-env keeps them")
    elif args.keep_openblas_env:
        lines.append("OpenBLAS overrides kept (--keep-openblas-env): "
                     + (", ".join(f"{n}={os.environ[n]}" for n in OPENBLAS_VARIABLES if n in os.environ) or "none set"))
    else:
        lines.append("no OpenBLAS overrides were set")
    if torch:
        lines.append(f"pytorch intra-op threads: {torch.get_num_threads()}")
    lines.append(f"graphlab keeps freed memory mapped between steps: {gl.memory.keep_freed_memory()}")
    lines.append(load_line("at start"))
    return lines


def load_line(when: str) -> str:
    """The machine's load: other processes on the same cores distort every timing (most of all the
    multi-threaded ones, whose threads wait for each other)."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return f"load average {when}: unknown"
    busy = "" if one < os.cpu_count() * 0.75 else "  (busy machine: other processes share the cores; timings are distorted)"
    return f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs{busy}"


def timing_table(title: str, sides: list, results: dict, per_block: dict, args) -> list:
    steps = args.blocks * args.steps_per_block
    lines = [f"== {title} ==",
             f"ms per step, median of {steps} steps per side after {args.warmup} warm-up steps, "
             f"{args.blocks} interleaved blocks of {args.steps_per_block}",
             f"{'':<12} {'forward':>9} {'backward':>9} {'update':>9} {'total':>9}"]
    for side in sides:
        medians = [statistics.median(column) * 1e3 for column in zip(*results[side.name])]
        lines.append(f"{side.name:<12} " + " ".join(f"{value:>9.3f}" for value in medians))
    if "pytorch" in results:
        theirs = [statistics.median(column) for column in zip(*results["pytorch"])]
        for side in sides:
            if side.name == "pytorch":
                continue
            ours = [statistics.median(column) for column in zip(*results[side.name])]
            parts = [a / b for a, b in zip(ours, theirs)]
            threads = "numpy's default BLAS threads" if side.blas_threads is None else \
                f"BLAS limited to {side.blas_threads} thread"
            lines.append(f"ratio {side.name} / pytorch: total {parts[3]:.2f} (median of per-block ratios "
                         f"{statistics.median(per_block[side.name]):.2f}); forward {parts[0]:.2f}, backward "
                         f"{parts[1]:.2f}, update {parts[2]:.2f}  [{threads}]")
    return lines


def measure(sides: list, args) -> tuple:
    """Warm up, then interleave blocks (the order rotates every block); per-step
    (forward, backward, update, total) times per side, and per-block ratios against PyTorch."""
    for side in sides:
        with side.context():
            for _ in range(args.warmup):
                side.step()
    results = {side.name: [] for side in sides}
    per_block = {side.name: [] for side in sides if side.name != "pytorch"}
    for block in range(args.blocks):
        shift = block % len(sides)
        order = sides[shift:] + sides[:shift]
        block_totals = {}
        for side in order:
            totals = []
            with side.context():
                for _ in range(args.steps_per_block):
                    forward, backward, update, _loss = side.step()
                    results[side.name].append((forward, backward, update, forward + backward + update))
                    totals.append(forward + backward + update)
            block_totals[side.name] = statistics.median(totals)
        if "pytorch" in block_totals:
            for name in per_block:
                per_block[name].append(block_totals[name] / block_totals["pytorch"])
    return results, per_block


def tracemalloc_peak(side) -> float:
    """MB allocated at the peak of one graphlab step, beyond what was live before it (numpy's
    allocations are traced; the graph is freed at the end of the step)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        side.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / 2 ** 20


def _status(field: str) -> Optional[float]:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024          # kB -> MB
    except OSError:
        return None
    return None


def memory_child(side) -> dict:
    """In a fresh process: resident-set growth during three steps (first steps included)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")                                  # reset the high-water mark
        reset = True
    except OSError:
        reset = False
    before = _status("VmRSS")
    for _ in range(3):
        side.step()
    peak = _status("VmHWM")
    return {"growth_mb": None if before is None or peak is None else peak - before, "reset": reset}


def fresh_process_memory(script: str, side_name: str, removed: dict, child_arguments: tuple = ()) -> Optional[dict]:
    environment_copy = dict(os.environ)
    for name in removed:
        environment_copy.pop(name, None)
    command = [sys.executable, script, "--memory-child", side_name, "--keep-openblas-env", *child_arguments]
    completed = subprocess.run(command,
                               capture_output=True, text=True, env=environment_copy, timeout=600)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "failed"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def memory_lines(script: str, graphlab_side, torch, removed: dict, args, child_arguments: tuple = ()) -> list:
    lines = ["== peak memory of one training step =="]
    lines.append(f"graphlab: {tracemalloc_peak(graphlab_side):.1f} MB of numpy allocations at the peak of one step "
                 f"(tracemalloc)")
    if args.no_memory:
        return lines
    for name in ("graphlab",) + (("pytorch",) if torch else ()):
        result = fresh_process_memory(script, name, removed, child_arguments)
        if result is None or "error" in result or result.get("growth_mb") is None:
            lines.append(f"{name}: resident-set growth unavailable ({(result or {}).get('error', 'no /proc')})")
        else:
            lines.append(f"{name}: resident set grows {result['growth_mb']:.1f} MB over its first 3 steps "
                         f"(fresh process, VmHWM - VmRSS before)")
    return lines


def _single_thread_available() -> bool:
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        return False
    return True


def run(script: str, title: str, removed: dict, args, build_graphlab: Callable, build_torch: Callable,
        make_batch: Callable, child_arguments: tuple = ()) -> None:
    """Build every side from the same weights, time them, print the report (``child_arguments``:
    what the fresh memory-measuring process needs to build the same network)."""
    gl.manual_seed(0)
    x, labels = make_batch(np.random.default_rng(0))
    torch = load_torch(args.threads) if args.memory_child != "graphlab" else None
    model = build_graphlab()
    graphlab_side = GraphlabSide(model, x, labels)
    sides = [graphlab_side]
    if not args.no_single_thread and not args.memory_child and _single_thread_available():
        twin = build_graphlab()
        twin.load_state_dict(model.state_dict())
        sides.append(GraphlabSide(twin, x, labels, blas_threads=1))
    torch_side = None
    if torch is not None:
        torch.manual_seed(0)
        reference = build_torch(torch)
        reference.load_state_dict({name: torch.tensor(value) for name, value in model.state_dict().items()})
        torch_side = TorchSide(torch, reference, x, labels)
        sides.append(torch_side)
    if args.memory_child:
        side = graphlab_side if args.memory_child == "graphlab" else torch_side
        print(json.dumps(memory_child(side) if side is not None else {"error": "torch is not installed"}))
        return
    first_losses = []
    for side in sides:
        with side.context():
            first_losses.append(side.step()[3])
    lines = environment(torch, removed, args)
    lines.append("first-step loss (same weights, same batch): " +
                 ", ".join(f"{s.name} {loss:.4f}" for s, loss in zip(sides, first_losses)))
    lines.append("")
    results, per_block = measure(sides, args)
    lines += timing_table(title, sides, results, per_block, args)
    lines.append(load_line("after timing"))
    lines.append("")
    lines += memory_lines(script, graphlab_side, torch, removed, args, child_arguments)
    print("\n".join(lines), flush=True)


# -- scripts that time several networks (resnet_cifar.py, densenet_cifar.py) ---------------------------
@dataclass(frozen=True)
class Workload:
    """One network of a multi-network script: how each side builds it, and its batch size."""
    title: str
    batch: int
    build_graphlab: Callable
    build_torch: Callable                   # torch -> a module whose state dict matches graphlab's


def image_batch(batch: int, image_size: int, channels: int = 3, classes: int = 10) -> Callable:
    """make_batch for ``run``: standard-normal images and random labels."""
    def make_batch(rng):
        images = rng.standard_normal((batch, channels, image_size, image_size)).astype(np.float32)
        return images, rng.integers(0, classes, batch)
    return make_batch


def run_workloads(script: str, removed: dict, args, workloads: dict) -> None:
    """``run`` for each selected network in turn (one, in the memory-measuring child)."""
    names = list(workloads) if args.model == "all" else [args.model]
    for name in names:
        workload = workloads[name]
        batch = args.batch or workload.batch
        title = f"{workload.title}: one Adam training step (batch {batch}, 3x{args.image_size}x{args.image_size}, " \
                f"float32)"
        child = ("--model", name, "--batch", str(batch), "--image-size", str(args.image_size))
        run(script, title, removed, args, workload.build_graphlab, workload.build_torch,
            image_batch(batch, args.image_size), child)
        if not args.memory_child and name != names[-1]:
            print()
