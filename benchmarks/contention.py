#!/usr/bin/env python
"""Two graphlab runs sharing this machine: do they thrash?

OpenBLAS threads busy-wait. Two processes that each start as many BLAS threads as there are
cores spin against each other, and together take far longer than the same two runs with one
BLAS thread each. graphlab's thread policy (``graphlab/ops/kernels/threads.py``) lets busy
graphlab processes find each other and split the cores. This benchmark runs two lessons
(``graphlab lesson N --quick``, default 14 and 15) in separate processes and times, in
interleaved rounds (medians over the rounds):

* each lesson alone, with the policy on (the default) and with it off: a run alone keeps its speed;
* both at once, with the policy on: the figure that matters;
* both at once with one BLAS thread each (``OPENBLAS_NUM_THREADS=1`` in the children's
  environment only): the target, "no slower than this";
* both at once with the policy off (``GRAPHLAB_BLAS_THREADS=fixed``): what happened before.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are removed from the children's environment (they
slow GEMM up to 1.7x here); the report says so. The user's own environment is never changed.

    .venv/bin/python benchmarks/contention.py                  # lessons 14 and 15, 3 rounds
    .venv/bin/python benchmarks/contention.py --quick          # lessons 1 and 2, 1 round: a smoke test
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _flags import keep_openblas_flag, require_counts  # noqa: E402
from _openblas_env import OPENBLAS_VARIABLES, blas_in_use  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICY_VARIABLE = "GRAPHLAB_BLAS_THREADS"       # read by graphlab/ops/kernels/threads.py


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--lessons", nargs=2, type=int, default=None, metavar="N",
                        help="the two lessons to run side by side (default 14 15; --quick: 1 2)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3; --quick: 1)")
    parser.add_argument("--quick", action="store_true", help="two short lessons, one round: a smoke test")
    keep_openblas_flag(parser, "keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the children's environment")
    args = parser.parse_args(argv)
    require_counts(parser, args, "rounds")
    if args.lessons is not None and min(args.lessons) < 1:
        parser.error(f"--lessons takes lesson numbers (1 and up), got {args.lessons}")
    args.lessons = args.lessons or ([1, 2] if args.quick else [14, 15])
    args.rounds = args.rounds or (1 if args.quick else 3)
    return args


def child_environment(args, **settings) -> dict:
    environment = dict(os.environ)
    if not args.keep_openblas_env:
        for name in OPENBLAS_VARIABLES:
            environment.pop(name, None)
    environment.pop(POLICY_VARIABLE, None)
    environment.pop("OPENBLAS_NUM_THREADS", None)
    environment["PYTHONPATH"] = ROOT + os.pathsep + environment.get("PYTHONPATH", "")
    environment.update(settings)
    return environment


def run_together(lessons: list, environment: dict) -> float:
    """Wall time from starting the lessons until the last one finishes."""
    start = time.perf_counter()
    runs = [subprocess.Popen([sys.executable, "-m", "graphlab", "lesson", str(lesson), "--quick"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment, cwd=ROOT)
            for lesson in lessons]
    for lesson, run in zip(lessons, runs):
        _, errors = run.communicate()
        if run.returncode != 0:
            raise SystemExit(f"lesson {lesson} failed (exit {run.returncode}):\n{errors.decode()[-2000:]}")
    return time.perf_counter() - start


def main(argv=None):
    args = parse_arguments(argv)
    import numpy  # noqa: F401  (so threadpoolctl sees the BLAS numpy loads)
    first, second = args.lessons
    removed = [name for name in OPENBLAS_VARIABLES if name in os.environ and not args.keep_openblas_env]
    print("== environment ==")
    print(f"python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} logical CPUs; "
          f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(f"numpy BLAS: {blas_in_use()}")
    print(f"OpenBLAS overrides unset for the children: {', '.join(removed)}" if removed
          else "no OpenBLAS overrides unset")
    print(f"lessons {first} and {second} (--quick), {args.rounds} round(s), configurations interleaved\n")
    configurations = {
        f"lesson {first} alone, policy on": ([first], {}),
        f"lesson {first} alone, policy off": ([first], {POLICY_VARIABLE: "fixed"}),
        f"lesson {second} alone, policy on": ([second], {}),
        f"lesson {second} alone, policy off": ([second], {POLICY_VARIABLE: "fixed"}),
        "both at once, policy on": ([first, second], {}),
        "both at once, 1 BLAS thread each": ([first, second], {"OPENBLAS_NUM_THREADS": "1"}),
        "both at once, policy off": ([first, second], {POLICY_VARIABLE: "fixed"}),
    }
    times = {name: [] for name in configurations}
    names = list(configurations)
    for round_number in range(args.rounds):
        order = names[round_number % len(names):] + names[:round_number % len(names)]   # rotate the order
        for name in order:
            lessons, settings = configurations[name]
            times[name].append(run_together(lessons, child_environment(args, **settings)))
        print(f"  round {round_number + 1}/{args.rounds} done")
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{'configuration':<38} {'median s':>9}   runs")
    for name in names:
        print(f"{name:<38} {medians[name]:>9.2f}   " + " ".join(f"{value:.2f}" for value in times[name]))
    together, one_each = medians["both at once, policy on"], medians["both at once, 1 BLAS thread each"]
    alone = [medians[f"lesson {lesson} alone, policy on"] / medians[f"lesson {lesson} alone, policy off"]
             for lesson in (first, second)]
    print(f"\ntogether, policy on / 1 BLAS thread each: {together / one_each:.2f} (target <= 1.0)")
    print(f"together, policy off / 1 BLAS thread each: "
          f"{medians['both at once, policy off'] / one_each:.2f} (what thrashing costs)")
    print(f"alone, policy on / policy off: {alone[0]:.2f} and {alone[1]:.2f} (target about 1.0: a run alone keeps its speed)")


if __name__ == "__main__":
    main()
