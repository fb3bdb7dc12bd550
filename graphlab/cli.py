"""The ``graphlab`` command: ``graphlab demo``, ``graphlab --version`` (more subcommands as they land)."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

import graphlab


def _demo(arguments: argparse.Namespace) -> int:
    from graphlab import demo
    demo.run()
    return 0


def _repl(arguments: argparse.Namespace) -> int:
    from graphlab.repl import Workspace, app
    return app.run(Workspace(preload=arguments.lesson))


def _verify(arguments: argparse.Namespace) -> int:
    """Every op's exact SymPy check as a table, or one op's full report; exit 1 on a failure."""
    from graphlab.verify import symbolic
    if arguments.op is None:
        rows = symbolic.verify_all()
        print(symbolic.format_table(rows))
        failed = [row for row in rows if row.status == "FAIL"]
        checked = sum(row.status != "exempt" for row in rows)
        print(f"\n{checked - len(failed)} of {checked} checks pass; "
              f"{sum(row.status == 'exempt' for row in rows)} ops exempt (reason in the table)")
        return 1 if failed else 0
    shapes = [tuple(int(size) for size in text.split(",") if size.strip()) for text in arguments.shapes] \
        if arguments.shapes else None
    report = symbolic.op(arguments.op, shapes=shapes, seed=arguments.seed)
    print(report)
    return 0 if report.passed else 1


def _main_job(arguments: argparse.Namespace) -> int:
    """No subcommand: the REPL with the lecture graph loaded; the demo when stdin is no terminal."""
    from graphlab.repl import Workspace, app
    if app.wants_simple_prompt(sys.stdin):
        return _demo(arguments)
    return app.run(Workspace(preload="scalar"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphlab", description="See backpropagation node by node.")
    parser.add_argument("--version", action="version", version=f"graphlab {graphlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="build (x + y) * z, run backward and print the Trace",
                               description="Build the lecture graph f = (x + y) * z, run backward and print "
                                           "every Step: upstream × local = downstream.")
    demo.set_defaults(handler=_demo)
    repl = commands.add_parser("repl", help="the interactive REPL (reads a session from stdin when piped)",
                               description="Python with gl and np loaded, plus colon commands (:help). "
                                           "With stdin from a file or pipe it runs the lines and exits "
                                           "non-zero if any failed: graphlab repl < lecture.session")
    repl.add_argument("--lesson", metavar="NAME", help="load a lecture graph first (scalar, sigmoid, vector, ...)")
    repl.set_defaults(handler=_repl)
    verify = commands.add_parser("verify", help="check every op's backward exactly against SymPy",
                                 description="Without OP: a table of every built-in op (input shapes, max error, "
                                             "status, time), exit status 1 if one fails. With OP: that op's full "
                                             "report (expression, exact and engine Jacobians).")
    verify.add_argument("op", nargs="?", metavar="OP", help="one op's full report (relu, matmul, log_softmax, ...)")
    verify.add_argument("--shapes", nargs="+", metavar="SHAPE", help="input shapes such as 2,3 3,2 (with OP)")
    verify.add_argument("--seed", type=int, default=0, help="seed of the rational input values (with OP)")
    verify.set_defaults(handler=_verify)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler = getattr(arguments, "handler", _main_job)
    try:
        return handler(arguments)
    except graphlab.GraphlabError as error:
        print(f"graphlab: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # `graphlab demo | head`: the reader left, which is fine
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
