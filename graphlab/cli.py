"""The ``graphlab`` command: ``graphlab demo``, ``graphlab --version`` (more subcommands as they land)."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

import graphlab


def _demo(arguments: argparse.Namespace) -> int:
    from graphlab import demo
    demo.run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphlab", description="See backpropagation node by node.")
    parser.add_argument("--version", action="version", version=f"graphlab {graphlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="build (x + y) * z, run backward and print the Trace",
                               description="Build the lecture graph f = (x + y) * z, run backward and print "
                                           "every Step: upstream × local = downstream.")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler = getattr(arguments, "handler", _demo)   # no subcommand: the main job (the demo for now)
    try:
        return handler(arguments)
    except graphlab.GraphlabError as error:
        print(f"graphlab: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
