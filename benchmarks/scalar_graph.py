#!/usr/bin/env python
"""Scalar-graph benchmark: ns per node to BUILD and to BACKPROP a graph of 0-d values.

Two graph shapes, N ops each (N nodes made by ops; leaves are made before the clock starts):

* chain: ``v = v * c`` / ``v = v + d`` alternating, with c, d cycling through
  (0.999, 0.001, 1.001, -0.001) so values and gradients stay near 1;
* tree:  a balanced binary tree over N + 1 leaves (0.5 each), combined pairwise level by
  level, ``a * b`` on even levels and ``a + b`` on odd ones (values stay in [0.1, 1]).

Engines: graphlab (``gl.scalar``, float32 0-d tensors), micrograd ``Value`` (if importable;
measured with the garbage collector ON and OFF) and torch 0-d tensors with requires_grad (if
importable). Constants are plain Python numbers in every engine, as a user would write them.

Per measurement: build (ops), backward (``root.backward()``), free (``del`` of every reference
plus one ``gc.collect()``, minus the cost of a ``gc.collect()`` on the clean heap just before the
build; for gc-off rows only the ``del``). Everything alive after imports and warm-up is moved out of
the collector's view (``gc.freeze()``), so collections cost what the graphs cost. Automatic gc collections that fire during build and
backward are inside those timings (the "gc" column shows how much). total = build + backward +
free. Engines are interleaved in blocks (every engine for one shape and N, then the next), the
block order rotates between repeats, and the table shows medians over repeats; ratios are medians
of the per-block ratios, so both sides of a ratio come from the same stretch of time.

micrograd's topological sort is recursive: it runs in a thread with a 512 MiB stack and a raised
recursion limit. graphlab runs in the main thread with the default recursion limit.

    .venv/bin/python benchmarks/scalar_graph.py                       # N = 10,000 and 100,000
    .venv/bin/python benchmarks/scalar_graph.py --sizes 10000 --repeats 3
    .venv/bin/python benchmarks/scalar_graph.py --quick               # smoke test, < 20 s
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import threading
import time
from typing import Callable, Optional

import numpy as np

# make ``import graphlab`` work from a plain checkout too (the venv has it installed editable)
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import graphlab as gl  # noqa: E402

try:
    import torch
except ImportError:  # optional
    torch = None
try:
    from micrograd.engine import Value
except ImportError:  # optional
    Value = None

perf = time.perf_counter
DEFAULT_RECURSION_LIMIT = sys.getrecursionlimit()
BIG_STACK = 512 * 1024 * 1024
CHAIN_CONSTANTS = (0.999, 0.001, 1.001, -0.001)   # even i: multiply, odd i: add


# -- the graphs (the same code for every engine: only the leaves differ) -------------------------
def build_chain(x, n: int):
    constants = CHAIN_CONSTANTS
    v = x
    for i in range(n):
        if i & 1:
            v = v + constants[i & 3]
        else:
            v = v * constants[i & 3]
    return v


def build_tree(leaves: list):
    level = leaves
    depth = 0
    while len(level) > 1:
        odd = len(level) & 1
        if depth & 1:
            nxt = [level[j] + level[j + 1] for j in range(0, len(level) - 1, 2)]
        else:
            nxt = [level[j] * level[j + 1] for j in range(0, len(level) - 1, 2)]
        if odd:
            nxt.append(level[-1])
        level = nxt
        depth += 1
    return level[0]


SHAPES = ("chain", "tree")


# -- engines ------------------------------------------------------------------------------------
class Engine:
    name = "?"
    gc_enabled = True      # False: gc.disable() for the whole measurement
    big_stack = False      # True: measure in a thread with a 512 MiB stack, high recursion limit
    has_backward = True

    def leaf(self, value):
        raise NotImplementedError

    def backward(self, root):
        return root.backward()

    def grad(self, leaf) -> float:
        raise NotImplementedError


class Graphlab(Engine):
    name = "graphlab"

    def leaf(self, value):
        return gl.scalar(value)

    def grad(self, leaf):
        return float(leaf.grad)


class GraphlabGcOff(Graphlab):
    name = "graphlab[gc-off]"
    gc_enabled = False


class Micrograd(Engine):
    name = "micrograd[gc-on]"
    big_stack = True

    def leaf(self, value):
        return Value(value)

    def grad(self, leaf):
        return float(leaf.grad)


class MicrogradGcOff(Micrograd):
    name = "micrograd[gc-off]"
    gc_enabled = False


class Torch(Engine):
    name = "torch"

    def leaf(self, value):
        return torch.tensor(value, requires_grad=True)

    def grad(self, leaf):
        return leaf.grad.item()


class Floats(Engine):
    """Plain Python floats: the cost of the benchmark's own loop (no autodiff)."""
    name = "floats(loop floor)"
    has_backward = False

    def leaf(self, value):
        return value

    def backward(self, root):
        return None

    def grad(self, leaf):
        return math.nan


def make_engines() -> list:
    engines = [Graphlab(), GraphlabGcOff()]
    if Value is not None:
        engines += [Micrograd(), MicrogradGcOff()]
    if torch is not None:
        engines.append(Torch())
    engines.append(Floats())
    return engines


# -- measuring ----------------------------------------------------------------------------------
class GcClock:
    """Time spent in automatic garbage collections (gc.callbacks), any thread."""

    def __init__(self):
        self.total = 0.0
        self.count = 0
        self.full = 0
        self._start = None
        self.active = False

    def reset(self):
        self.total, self.count, self.full, self._start = 0.0, 0, 0, None

    def __call__(self, phase, info):
        if not self.active:
            return
        if phase == "start":
            self._start = perf()
        elif self._start is not None:
            self.total += perf() - self._start
            self.count += 1
            self.full += info.get("generation") == 2
            self._start = None


GC_CLOCK = GcClock()
gc.callbacks.append(GC_CLOCK)


def measure(engine: Engine, shape: str, n: int) -> dict:
    """One build + backward + free of one graph; seconds, plus the leaf's gradient."""
    if engine.big_stack:
        return _in_big_stack_thread(lambda: _measure(engine, shape, n), recursion_limit=2 * n + 10_000)
    assert sys.getrecursionlimit() == DEFAULT_RECURSION_LIMIT
    return _measure(engine, shape, n)


def _measure(engine: Engine, shape: str, n: int) -> dict:
    values = [1.0] if shape == "chain" else [0.5] * (n + 1)
    leaves = [engine.leaf(value) for value in values]
    first = leaves[0]
    gc.collect()
    start = perf()
    gc.collect()
    baseline_collect = perf() - start          # a full collection of the heap without the graph
    if not engine.gc_enabled:
        gc.disable()
    try:
        GC_CLOCK.reset()
        GC_CLOCK.active = True
        t0 = perf()
        root = build_chain(first, n) if shape == "chain" else build_tree(leaves)
        t1 = perf()
        result = engine.backward(root)
        t2 = perf()
        GC_CLOCK.active = False
        gc_time, gc_count, gc_full = GC_CLOCK.total, GC_CLOCK.count, GC_CLOCK.full
        grad = engine.grad(first)
        t3 = perf()
        del root, result, leaves, first
        if engine.gc_enabled:
            gc.collect()                          # frees micrograd's reference cycles
            free = max(perf() - t3 - baseline_collect, 0.0)
        else:
            free = perf() - t3                    # del only; the cycles wait for the collector
    finally:
        GC_CLOCK.active = False
        gc.enable()
    deferred = None
    if not engine.gc_enabled:
        start = perf()
        gc.collect()
        deferred = max(perf() - start - baseline_collect, 0.0)
    return dict(build=t1 - t0, backward=t2 - t1, free=free, total=(t1 - t0) + (t2 - t1) + free,
                gc=gc_time, gc_count=gc_count, gc_full=gc_full, deferred=deferred, grad=grad)


def _in_big_stack_thread(function: Callable, recursion_limit: int):
    box = {}

    def target():
        try:
            box["value"] = function()
        except BaseException as error:  # re-raised in the main thread
            box["error"] = error

    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, recursion_limit))
    previous_size = threading.stack_size(BIG_STACK)
    try:
        thread = threading.Thread(target=target, name="big-stack")
        thread.start()
    finally:
        threading.stack_size(previous_size)
    thread.join()
    sys.setrecursionlimit(previous_limit)
    if "error" in box:
        raise box["error"]
    return box["value"]


# -- reporting ----------------------------------------------------------------------------------
def print_environment(engines: list, args) -> None:
    print("== environment ==")
    print(f"python      {platform.python_implementation()} {sys.version.split()[0]} on {platform.platform()}")
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"cpu         {cpu}; {os.cpu_count()} logical CPUs; load average {load}")
    print(f"numpy       {np.__version__}")
    print(f"graphlab    {gl.__version__} (default dtype {gl.get_default_dtype()})")
    if torch is not None:
        print(f"torch       {torch.__version__} (intra-op threads {torch.get_num_threads()})")
    else:
        print("torch       not importable: skipped")
    if Value is not None:
        try:
            from importlib.metadata import version
            micrograd_version = version("micrograd")
        except Exception:
            micrograd_version = "?"
        print(f"micrograd   {micrograd_version}")
    else:
        print("micrograd   not importable: skipped")
    print(f"gc          thresholds {gc.get_threshold()}; gc.freeze() after imports and warm-up, so collections "
          f"traverse only the benchmark's objects")
    try:
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
        if not pools:
            print("threadpools none found")
        for pool in pools:
            print(f"threadpool  {pool.get('internal_api')} {pool.get('version')} "
                  f"(user_api {pool.get('user_api')}, {pool.get('num_threads')} threads"
                  f"{', arch ' + str(pool['architecture']) if pool.get('architecture') else ''}) "
                  f"{os.path.basename(pool.get('filepath', ''))}")
    except ImportError:
        print("threadpools threadpoolctl not importable")
    names = ", ".join(engine.name for engine in engines)
    print(f"engines     {names}")
    print(f"sizes       {', '.join(f'{n:,}' for n in args.sizes)}; {args.repeats} repeat(s), "
          f"engines interleaved per (shape, N) block, block order rotated each repeat")
    if Value is not None:
        print("note        micrograd's topological sort is recursive: it runs in a thread with a "
              f"{BIG_STACK // 2**20} MiB stack (threading.stack_size) and sys.setrecursionlimit(2*N + 10000)")
    print(f"note        graphlab runs in the main thread with the default recursion limit "
          f"({DEFAULT_RECURSION_LIMIT}); its walk is iterative")
    print("note        constants are Python numbers; micrograd turns each into a Value node, graphlab into a "
          "constant Tensor, torch into a wrapped scalar")
    print()


def ns(seconds: float, n: int) -> float:
    return seconds / n * 1e9


def fmt(value: Optional[float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}"


def med(runs: list, key: str) -> float:
    return statistics.median(run[key] for run in runs)


def print_tables(results: dict, engines: list, args) -> None:
    for n in args.sizes:
        for shape in SHAPES:
            print(f"== {shape}, N={n:,} ops: ns per node, median of {args.repeats} ==")
            header = (f"{'engine':<20} {'build':>9} {'backward':>9} {'free':>8} {'total':>9} "
                      f"{'total min-max':>17} {'gc':>7} {'#gc(full)':>10}")
            print(header)
            print("-" * len(header))
            notes = []
            for engine in engines:
                runs = results[shape, n, engine.name]
                totals = [ns(run["total"], n) for run in runs]
                backward = fmt(ns(med(runs, "backward"), n)) if engine.has_backward else "-"
                gc_counts = f"{statistics.median(r['gc_count'] for r in runs):.0f}" \
                            f"({statistics.median(r['gc_full'] for r in runs):.0f})"
                print(f"{engine.name:<20} {fmt(ns(med(runs, 'build'), n)):>9} {backward:>9} "
                      f"{fmt(ns(med(runs, 'free'), n)):>8} {fmt(ns(med(runs, 'total'), n)):>9} "
                      f"{fmt(min(totals)) + '-' + fmt(max(totals)):>17} {fmt(ns(med(runs, 'gc'), n)):>7} "
                      f"{gc_counts:>10}")
                if not engine.gc_enabled:
                    notes.append(f"  {engine.name}: free is del only; the collection that later frees the "
                                 f"graph costs {fmt(ns(med(runs, 'deferred'), n))} ns/node (not in total)")
            for note in notes:
                print(note)
            grads = ", ".join(f"{engine.name} {statistics.median(r['grad'] for r in results[shape, n, engine.name]):.6g}"
                              for engine in engines if engine.has_backward)
            print(f"  sanity d(root)/d(first leaf): {grads}")
            print()


def print_ratios(results: dict, engines: list, args) -> None:
    graphlab = next(engine for engine in engines if engine.name == Graphlab.name)
    others = [engine for engine in engines if engine.has_backward and not engine.name.startswith("graphlab")]
    if not others:
        print("== ratios graphlab / other: no other engine importable ==\n")
        return
    print("== ratios graphlab / other (median of per-block ratios, same run; > 1: graphlab slower) ==")
    header = f"{'shape':<6} {'N':>8}  {'vs':<20} {'build':>7} {'backward':>9} {'total':>7}"
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        for shape in SHAPES:
            mine = results[shape, n, graphlab.name]
            for other in others:
                theirs = results[shape, n, other.name]
                cells = []
                for key in ("build", "backward", "total"):
                    ratios = [a[key] / b[key] for a, b in zip(mine, theirs) if b[key] > 0]
                    cells.append(f"{statistics.median(ratios):.1f}x" if ratios else "-")
                print(f"{shape:<6} {n:>8,}  {other.name:<20} {cells[0]:>7} {cells[1]:>9} {cells[2]:>7}")
    print()


def print_growth(results: dict, engines: list, args) -> None:
    small, large = min(args.sizes), max(args.sizes)
    if small == large:
        print("== growth: needs two sizes ==\n")
        return
    print(f"== no super-linear growth: per-node cost at N={large:,} / at N={small:,} "
          f"(1.0 = linear; > 1.5 flagged) ==")
    print("   'b+b excl. gc' is build + backward without the automatic collections in them: CPython's full")
    print("   collections (gen 2) start once enough objects survive and then traverse the whole live graph;")
    print("   their count grows with log N, so their per-node cost rises over a range of N, then levels off")
    if args.repeats < 3:
        print(f"   ({args.repeats} repeat(s): timings this short are noise, the verdicts too)")
    header = f"{'engine':<20} {'shape':<6} {'build':>7} {'backward':>9} {'total':>7} {'b+b excl. gc':>13}  verdict"
    print(header)
    print("-" * len(header))
    for engine in engines:
        for shape in SHAPES:
            a, b = results[shape, small, engine.name], results[shape, large, engine.name]
            cells = []
            for key in ("build", "backward", "total"):
                if key == "backward" and not engine.has_backward:
                    cells.append(None)
                    continue
                cells.append(ns(med(b, key), large) / ns(med(a, key), small))
            own_small = statistics.median(run["build"] + run["backward"] - run["gc"] for run in a) / small
            own_large = statistics.median(run["build"] + run["backward"] - run["gc"] for run in b) / large
            cells.append(own_large / own_small)
            if cells[2] <= 1.5:
                verdict = "ok (no super-linear growth)"
            elif cells[3] <= 1.5:
                verdict = "ok without gc: the growth is the collector's (see gc column)"
            else:
                verdict = "SUPER-LINEAR?"
            text = ["-" if c is None else f"{c:.2f}" for c in cells]
            print(f"{engine.name:<20} {shape:<6} {text[0]:>7} {text[1]:>9} {text[2]:>7} {text[3]:>13}  {verdict}")
    print()


# -- main ---------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="N values (default 10000 100000)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per (engine, shape, N) (default 7)")
    parser.add_argument("--quick", action="store_true", help="small N, 1 repeat: a smoke test")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = [1000, 3000] if args.quick else [10_000, 100_000]
    if args.repeats is None:
        args.repeats = 1 if args.quick else 7
    if min(args.sizes) < 1 or args.repeats < 1:
        parser.error("sizes and repeats must be positive")

    engines = make_engines()
    print_environment(engines, args)
    wall = perf()

    # warm-up: imports, op caches, allocator pools
    for engine in engines:
        for shape in SHAPES:
            measure(engine, shape, min(1000, min(args.sizes)))
    # move everything alive now (numpy, torch, graphlab modules...) out of the collector's view, so a
    # full collection costs what the benchmark's own objects cost, not what the imports happen to be
    gc.collect()
    gc.freeze()

    results = {(shape, n, engine.name): [] for shape in SHAPES for n in args.sizes for engine in engines}
    for repeat in range(args.repeats):
        shift = repeat % len(engines)
        order = engines[shift:] + engines[:shift]
        for n in args.sizes:
            for shape in SHAPES:
                for engine in order:
                    results[shape, n, engine.name].append(measure(engine, shape, n))
        print(f"  repeat {repeat + 1}/{args.repeats} done ({perf() - wall:.0f} s)", flush=True)
    print()

    print_tables(results, engines, args)
    print_ratios(results, engines, args)
    print_growth(results, engines, args)
    print(f"wall time {perf() - wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
