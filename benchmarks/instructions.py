#!/usr/bin/env python
"""CPU instructions per node of a scalar chain, counted by valgrind (callgrind): a speed
comparison that a shared, noisy machine cannot distort.

Wall-clock ratios on a 2-core machine shared with other jobs drift by 10-30% between runs;
instruction counts of the same Python code drift by about 1%. This script builds the chain of
``benchmarks/scalar_graph.py`` (``v = v * c`` / ``v = v + d`` from one 0-d float32 leaf) with N
ops and then runs ``v.backward()``, under ``valgrind --tool=callgrind``, once with N ops and once
with none, and prints (instructions(N) - instructions(0)) / N for the build and for the backward.
The garbage collector is off (its passes depend on the heap, not on the code), PYTHONHASHSEED=0,
address randomisation off. ``--against DIR`` counts another checkout of graphlab in the same run
(e.g. a ``git worktree`` of an older commit) and prints the ratio; ``--repeats`` takes medians.

    .venv/bin/python benchmarks/instructions.py                          # this checkout, N = 6000
    git worktree add /tmp/before b875f21
    .venv/bin/python benchmarks/instructions.py --against /tmp/before --repeats 3
    .venv/bin/python benchmarks/instructions.py --quick                  # smoke test, N = 200
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the measured program: imports and one warm-up graph are the same for every N, so they cancel
CHAIN = """
import gc, sys
gc.disable()
import graphlab as gl
n, backward = int(sys.argv[1]), sys.argv[2] == "1"
warm = gl.tensor(1.0, requires_grad=True)
(warm * 0.999 + 0.001).backward()
v = gl.tensor(1.0, requires_grad=True)
constants = (0.999, 0.001, 1.001, -0.001)
for i in range(n):
    v = v + constants[i & 3] if i & 1 else v * constants[i & 3]
if backward and n:
    v.backward()
"""


def instructions(tree: Path, n: int, backward: bool) -> int:
    """Instructions valgrind counts for the chain program run against graphlab from ``tree``."""
    environment = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(tree))
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-c", CHAIN, str(n), "1" if backward else "0"]
    if shutil.which("setarch"):
        command = ["setarch", os.uname().machine, "-R"] + command     # the same addresses every run
    completed = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or found is None:
        raise SystemExit(f"instructions: valgrind failed on {tree}:\n{completed.stderr[-2000:]}")
    return int(found.group(1))


def per_node(tree: Path, n: int) -> tuple:
    """(build, backward) instructions per node."""
    empty, built, walked = (instructions(tree, 0, False), instructions(tree, n, False),
                            instructions(tree, n, True))
    return (built - empty) / n, (walked - built) / n


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=6000, help="ops in the chain (default 6000)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per checkout; medians are printed")
    parser.add_argument("--against", type=Path, help="another graphlab checkout to count in the same run")
    parser.add_argument("--quick", action="store_true", help="N = 200, one run (a smoke test)")
    options = parser.parse_args(argv)
    if options.quick:
        options.nodes, options.repeats = 200, 1
    if options.nodes < 1 or options.repeats < 1:
        parser.error("--nodes and --repeats must be at least 1")
    if options.against is not None and not (options.against / "graphlab" / "__init__.py").is_file():
        parser.error(f"--against {options.against}: no graphlab/__init__.py there (give a checkout's root)")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind); it counts the instructions")
    return options


def main(argv=None) -> int:
    options = arguments(argv)
    trees = {"this checkout": ROOT} | ({"--against": options.against.resolve()} if options.against else {})
    counts = {label: [] for label in trees}
    for _ in range(options.repeats):                 # interleaved, although counts barely drift
        for label, tree in trees.items():
            counts[label].append(per_node(tree, options.nodes))
    print(f"== instructions per node: chain of {options.nodes:,} ops, medians of {options.repeats} ==")
    print(f"{'graphlab':<16} {'build':>10} {'backward':>10} {'total':>10}")
    medians = {}
    for label, runs in counts.items():
        build, backward = (statistics.median(run[part] for run in runs) for part in (0, 1))
        medians[label] = (build, backward, build + backward)
        print(f"{label:<16} {build:>10,.0f} {backward:>10,.0f} {build + backward:>10,.0f}")
    if options.against:
        ratios = [now / then for now, then in zip(medians["this checkout"], medians["--against"])]
        print(f"{'ratio':<16} " + " ".join(f"{ratio:>10.3f}" for ratio in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
