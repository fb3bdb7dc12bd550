"""The ``graphlab`` command: repl (the default), demo, verify, bench, ... each with ``--help``."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

import graphlab

#: the most epochs `graphlab train` lists (a longer run shows every k-th; history.json has all)
TABLE_ROWS = 25

#: the largest input shape `graphlab verify --shapes` takes (SymPy differentiates every entry)
MAX_VERIFY_ELEMENTS = 10_000


def _demo(arguments: argparse.Namespace) -> int:
    from graphlab import demo
    demo.run()
    return 0


def _repl(arguments: argparse.Namespace) -> int:
    from graphlab.repl import Workspace, app
    return app.run(Workspace(preload=arguments.lesson))


def _quiz(arguments: argparse.Namespace) -> int:
    """Practice mode from the shell: the REPL with a quiz running (answers from stdin in a pipe)."""
    from graphlab.repl import Workspace, app
    workspace = Workspace()
    intro = workspace.start_quiz(arguments.level, arguments.seed, replay="graphlab quiz")
    return app.run(workspace, banner=intro)


def level_argument(text: str) -> str:
    """``quiz LEVEL``: a level's number or name (1/gates ... 5/batchnorm), with a did-you-mean."""
    from graphlab.practice.levels import LevelError, resolve_level
    try:
        return resolve_level(text).name
    except LevelError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("quiz: ")) from None


def lesson_argument(text: str) -> str:
    """``repl --lesson``: what the REPL's :lesson takes (a lecture graph, a lesson's number or topic)."""
    from graphlab import examples, lessons
    if text not in examples.GRAPHS:
        try:
            lessons.resolve_lesson(text)
        except lessons.LessonError as error:
            raise argparse.ArgumentTypeError(str(error).removeprefix("lesson: ")) from None
    return text


def _verify(arguments: argparse.Namespace) -> int:
    """Every op's exact SymPy check as a table, or one op's full report; exit 1 on a failure."""
    from graphlab.verify import op_check, op_table
    if arguments.op is None:
        if arguments.shapes:
            raise graphlab.GraphlabError("verify: --shapes needs an OP (graphlab verify matmul --shapes 2,3 3,4)")
        rows = op_table.verify_all()
        print(op_table.format_table(rows))
        failed = [row for row in rows if row.status == "FAIL"]
        checked = sum(row.status != "exempt" for row in rows)
        print(f"\n{checked - len(failed)} of {checked} checks pass; "
              f"{sum(row.status == 'exempt' for row in rows)} ops exempt (reason in the table)")
        return 1 if failed else 0
    report = _op_report(op_check, arguments.op, arguments.shapes, arguments.seed)
    print(report)
    return 0 if report.passed else 1


def _op_report(symbolic, op: str, shapes, seed: int):
    """symbolic.op, with input shapes that do not fit the op blamed on --shapes, not on numpy."""
    if shapes is None:
        return symbolic.op(op, seed=seed)
    resolve = getattr(symbolic, "resolve", None)
    if resolve is not None:
        resolve(op)        # an unknown op is its own error, not the shapes'
    given = " ".join(",".join(map(str, shape)) or "scalar" for shape in shapes)
    try:
        return symbolic.op(op, shapes=shapes, seed=seed)
    except (graphlab.GraphlabError, ValueError, TypeError, IndexError) as error:
        raise graphlab.GraphlabError(f"verify: --shapes {given} do not fit {op} ({error}); give one shape per "
                                     f"input that {op} accepts, or leave --shapes out for its default") from None


def shape_argument(text: str) -> tuple:
    """``--shapes`` item: ``2,3`` -> (2, 3); ``scalar`` (or empty) -> (); sizes from 1 up."""
    words = [word.strip() for word in text.split(",") if word.strip()]
    if text.strip().lower() in ("", "scalar", "()"):
        return ()
    if not all(word.isascii() and word.isdigit() for word in words) or len(words) > 8:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape; write sizes separated by commas, such as "
                                         f"2,3 (or scalar)")
    shape = tuple(int(word) for word in words)
    if min(shape) < 1 or _product(shape) > MAX_VERIFY_ELEMENTS:
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be at least 1 and a shape at most "
                                         f"{MAX_VERIFY_ELEMENTS:,} elements (SymPy checks small inputs)")
    return shape


def _product(shape: tuple) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def seed_argument(text: str) -> int:
    """``--seed``: an integer from 0 to 2**32 - 1 (what numpy's generators take)."""
    try:
        seed = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give a seed such as 0") from None
    if not 0 <= seed < 2 ** 32:
        raise argparse.ArgumentTypeError(f"{seed} is out of range; give a seed from 0 to {2 ** 32 - 1}")
    return seed


def _bench(arguments: argparse.Namespace) -> int:
    """Run benchmark scripts from the source tree's benchmarks/ folder (each prints its ratios)."""
    import subprocess
    from pathlib import Path
    folder = Path(graphlab.__file__).resolve().parents[1] / "benchmarks"
    available = sorted(path.stem for path in folder.glob("*.py")) if folder.is_dir() else []
    if not available:
        raise graphlab.GraphlabError(f"bench: no benchmarks/ folder beside the package ({folder}); the "
                                     f"benchmarks ship with the source tree: run from a clone")
    if not arguments.names:
        print("benchmarks: " + ", ".join(available) + "\nrun one with: graphlab bench NAME [--quick]")
        return 0
    unknown = [name for name in arguments.names if name not in available]
    if unknown:
        raise graphlab.GraphlabError(f"bench: no benchmark {', '.join(unknown)}; choose from {', '.join(available)}")
    status = 0
    for name in arguments.names:
        command = [sys.executable, str(folder / f"{name}.py")] + (["--quick"] if arguments.quick else [])
        status = max(status, subprocess.run(command).returncode)
    return status


def _lesson(arguments: argparse.Namespace) -> int:
    """List the lessons (source tree's lessons/ folder), or run one by number or topic."""
    from graphlab import lessons
    _check_lesson_flags(arguments)
    if arguments.notebook is not None:
        return _lesson_notebook(arguments)
    if arguments.list or arguments.name is None:
        print(lessons.listing() + "\nrun one with: graphlab lesson NUMBER_OR_TOPIC [--quick] [--out DIR]"
                                  "\nas a notebook: graphlab lesson NUMBER_OR_TOPIC --notebook [PATH]")
        return 0
    argv = (["--quick"] if arguments.quick else []) + (["--out", str(arguments.out)] if arguments.out else [])
    return lessons.resolve_lesson(arguments.name).run(argv)


def _check_lesson_flags(arguments: argparse.Namespace) -> None:
    """The flags that do not go together, refused before anything is read or written."""
    if arguments.notebook is None:
        if arguments.force:
            arguments.lesson_parser.error("--force only goes with --notebook (it replaces an existing notebook file)")
        return
    clash = [flag for flag, given in (("--list", arguments.list), ("--quick", arguments.quick),
                                      ("--out", arguments.out is not None)) if given]
    if clash:
        arguments.lesson_parser.error(f"--notebook writes the notebook without running it, so {' and '.join(clash)} "
                                      f"do{'es' if len(clash) == 1 else ''} not apply; the notebook runs quick when "
                                      f"GRAPHLAB_QUICK=1 is set for its kernel")
    if arguments.name is None:
        arguments.lesson_parser.error("--notebook needs a lesson NAME: graphlab lesson 1 --notebook [PATH]")


def _lesson_notebook(arguments: argparse.Namespace) -> int:
    """Write the lesson as a notebook (graphlab/notebooks.py), never over an existing file without --force."""
    from graphlab import lessons, notebooks
    notebooks.require_nbformat()
    lesson = lessons.resolve_lesson(arguments.name)
    path = notebooks.target_path(lesson, arguments.notebook)
    notebooks.write(lesson, path, force=arguments.force)
    print(f"wrote {path} (lesson {lesson.number}, {lesson.topic})")
    print("open it in Jupyter, VS Code or Colab; with GRAPHLAB_QUICK=1 set, it runs quick")
    return 0


def _render(arguments: argparse.Namespace) -> int:
    """Draw an expression (its names set with --set) or the last graph a script builds."""
    from graphlab.repl import Workspace, render_args
    workspace = Workspace()
    if isinstance(arguments.source, render_args.Script):
        root = _script_root(workspace, arguments.source)
    else:
        root = render_args.expression_root(workspace, arguments.source, arguments.set or {})
    if arguments.backward:
        root.backward()
    focus = render_args.focus_node(workspace, root, arguments.focus) if arguments.focus else None
    written = graphlab.render(root, arguments.output, patterns=arguments.patterns, focus=focus, dpi=arguments.dpi)
    print(f"wrote {written}")
    return 0


def _script_root(workspace, script) -> "graphlab.Tensor":
    """Run a .py or .session file in the workspace, block by block; the root of the last graph it built."""
    from graphlab.repl.workspace import iter_blocks
    for block in iter_blocks(script.text.splitlines()):
        output = workspace.execute(block)
        if not output.ok:
            raise graphlab.GraphlabError(f"render: {script.path} failed at {block.splitlines()[0]!r}:\n{output.text}")
    if workspace.root_name is None:
        raise graphlab.GraphlabError(f"render: {script.path} built no graph; assign a tensor computed from "
                                     f"others in it, e.g. f = (x + y) * z")
    return workspace.current_root()


def _train(arguments: argparse.Namespace) -> int:
    """Train a recipe with a progress bar; write the checkpoint, history plot and JSON to --out."""
    from graphlab.train import RECIPES, run_recipe
    if arguments.list or arguments.recipe is None:
        for name, recipe in RECIPES.items():
            print(f"{name:16} {recipe.description} ({recipe.optimizer} lr {recipe.lr:g}, {recipe.epochs} epochs)")
        return 0
    out = _train_folder(arguments)
    try:
        result = run_recipe(arguments.recipe, optimizer=arguments.optimizer, lr=arguments.lr, epochs=arguments.epochs,
                            schedule=arguments.schedule, batch_size=arguments.batch_size, out=out,
                            seed=arguments.seed, progress=not arguments.no_progress, limit=arguments.limit,
                            warmup=arguments.warmup, health=arguments.health, weight_decay=arguments.weight_decay,
                            momentum=arguments.momentum, test_limit=arguments.test_limit, force=True)
    except KeyboardInterrupt:
        checkpoint = os.path.join(out, "checkpoint.npz")
        state = f"the last checkpoint is intact: {checkpoint}" if os.path.exists(checkpoint) else "no checkpoint yet"
        print(f"\ninterrupted; {state}", file=sys.stderr)
        return 130
    print(result.history.table(max_rows=TABLE_ROWS, every_epoch_in=result.files["history"]))
    print(result.legend())
    print(result.summary())
    for kind, path in result.files.items():
        print(f"{kind}: {path}")
    return 0


def _evaluate(arguments: argparse.Namespace) -> int:
    """Reload a `graphlab train` run (run.json + checkpoint.npz) and measure it on its splits."""
    from graphlab.train.runs import load_run, report
    run = load_run(arguments.folder, recipe=arguments.recipe)
    print(report(run, [arguments.split] if arguments.split else None))
    return 0


def _train_folder(arguments: argparse.Namespace) -> str:
    """--out (refused if it holds an earlier run, unless --force), or runs/RECIPE (runs/RECIPE-2, ...
    when that holds an earlier run: said on stderr)."""
    from graphlab.train.recipes import check_out, fresh_folder
    if arguments.out is not None:
        return check_out(arguments.out, arguments.force, argument="--out")
    base = os.path.join("runs", arguments.recipe)
    out = base if arguments.force else fresh_folder(base)
    if out != base:
        print(f"{base} holds an earlier run; this run writes to {out} (--force overwrites it instead)",
              file=sys.stderr)
    return check_out(out, force=True, argument="--out")


def _main_job(arguments: argparse.Namespace) -> int:
    """No subcommand: the REPL with the lecture graph loaded; the demo when stdin is no terminal."""
    from graphlab.repl import Workspace, app
    if app.wants_simple_prompt(sys.stdin):
        return _demo(arguments)
    return app.run(Workspace(preload="scalar"))


class UsageError(SystemExit):
    """A bad command line: exit status 2 (argparse's); ``str()`` is the one-line message printed."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors that name the flag and point at --help (no usage block), and a
    did-you-mean for a mistyped subcommand."""

    def _check_value(self, action, value):
        # argparse's own check, run for COMMAND; the message gains the closest subcommand
        if action.dest == "command" and action.choices is not None and value not in action.choices:
            from graphlab.train.flags import did_you_mean
            choices = ", ".join(map(str, action.choices))
            raise argparse.ArgumentError(action, f"no command {value!r}{did_you_mean(value, action.choices)}; "
                                                 f"choose from {choices}")
        super()._check_value(action, value)

    def error(self, message: str):
        line = f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)"
        print(line, file=sys.stderr)
        raise UsageError(line)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="graphlab", description="See backpropagation node by node.")
    parser.add_argument("--version", action="version", version=f"graphlab {graphlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_command in (_add_demo, _add_repl, _add_quiz, _add_verify, _add_render, _add_bench, _add_lesson,
                        _add_train, _add_evaluate):
        add_command(commands)
    return parser


def _add_demo(commands) -> None:
    demo = commands.add_parser("demo", help="build (x + y) * z, run backward and print the Trace",
                               description="Build the lecture graph f = (x + y) * z, run backward and print "
                                           "every Step: upstream × local = downstream.")
    demo.set_defaults(handler=_demo)


def _add_repl(commands) -> None:
    repl = commands.add_parser("repl", help="the interactive REPL (reads a session from stdin when piped)",
                               description="Python with gl and np loaded, plus colon commands (:help). "
                                           "With stdin from a file or pipe it runs the lines and exits "
                                           "non-zero if any failed: graphlab repl < lecture.session")
    repl.add_argument("--lesson", metavar="NAME", type=lesson_argument,
                      help="load a lesson's lecture graph first (1-18, a topic, or scalar, sigmoid, vector, ...)")
    repl.set_defaults(handler=_repl)


def _add_quiz(commands) -> None:
    quiz = commands.add_parser("quiz", help="practice: you compute each gradient of a backward walk, graphlab "
                                            "checks it",
                               description="The REPL's :quiz from the shell: a graph is drawn at random for "
                                           "LEVEL (1/gates, 2/sigmoid, 3/fanout, 4/mlp, 5/batchnorm) from "
                                           "--seed, and the quiz asks each input's gradient, step by step, "
                                           "with feedback and the score. With stdin from a pipe or file it "
                                           "reads one answer a line; the end of the input ends the quiz with "
                                           "its score: graphlab quiz gates --seed 7 < answers.txt")
    quiz.add_argument("level", nargs="?", default="gates", metavar="LEVEL", type=level_argument,
                      help="1/gates (default), 2/sigmoid, 3/fanout, 4/mlp or 5/batchnorm")
    quiz.add_argument("--seed", type=seed_argument, default=None,
                      help="seed of the graph, 0 to 2**32-1 (default: a fresh one, printed to replay it)")
    quiz.set_defaults(handler=_quiz)


def _add_verify(commands) -> None:
    verify = commands.add_parser("verify", help="check every op's backward exactly against SymPy",
                                 description="Without OP: a table of every built-in op (input shapes, max error, "
                                             "status, time), exit status 1 if one fails. With OP: that op's full "
                                             "report (expression, exact and engine Jacobians).")
    verify.add_argument("op", nargs="?", metavar="OP", help="one op's full report (relu, matmul, log_softmax, ...)")
    verify.add_argument("--shapes", nargs="+", metavar="SHAPE", type=shape_argument,
                        help="input shapes such as 2,3 3,2, or scalar (with OP)")
    verify.add_argument("--seed", type=seed_argument, default=0,
                        help="seed of the rational input values, 0 to 2**32-1 (with OP)")
    verify.set_defaults(handler=_verify)


def _add_render(commands) -> None:
    from graphlab.repl import render_args   # lazy, as every subpackage the CLI uses
    render = commands.add_parser(
        "render", help="draw an expression or a script's graph to SVG/PNG/PDF",
        description="Draw EXPR with its names set by --set, or the last graph a script (.py or .session) "
                    "builds: graphlab render \"(x + y) * z\" --set x=-2,y=5,z=-4 --backward -o flow.svg. "
                    "An EXPR is only arithmetic: numbers, names, + - * / ** @ and the functions "
                    f"{', '.join(render_args.FUNCTIONS)}; it never runs other code. A script is full Python "
                    "and runs as such: render only scripts you trust.")
    render.add_argument("source", metavar="EXPR_OR_SCRIPT", type=render_args.source_argument,
                        help="an arithmetic expression, or a .py/.session file (full Python: trusted files only)")
    render.add_argument("--set", metavar="NAME=VALUE,...", type=render_args.settings_argument,
                        action=render_args.MergeSettings,
                        help="values of the expression's names: numbers or lists of numbers "
                             "(--set x=1,y=2 or --set x=1 --set y=2)")
    render.add_argument("--backward", action="store_true", help="run backward first, so gradients show")
    render.add_argument("--patterns", action="store_true", help="label the gates with their gradient patterns")
    render.add_argument("--focus", metavar="NODE", type=render_args.focus_argument,
                        help="show one node's upstream × local = downstream")
    render.add_argument("-o", "--output", default="graph.svg", type=render_args.output_argument,
                        help="the file to write (.svg, .png, .pdf, .dot)")
    render.add_argument("--dpi", type=render_args.dpi_argument, default=None,
                        help="dots per inch of a PNG (36 to 600; default 192)")
    render.set_defaults(handler=_render)


def _add_bench(commands) -> None:
    bench = commands.add_parser("bench", help="run the benchmarks (ratios against references timed in the same run)",
                                description="Without NAME: list the benchmarks. With NAME(s): run them; --quick "
                                            "for a fast smoke run.")
    bench.add_argument("names", nargs="*", metavar="NAME", help="benchmark names, e.g. scalar_graph")
    bench.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    bench.set_defaults(handler=_bench)


def _add_lesson(commands) -> None:
    lesson = commands.add_parser("lesson", help="run a lesson: the course notes' examples, rebuilt and drawn",
                                 description="Without NAME (or with --list): the lessons and their titles. With NAME "
                                             "(a number such as 1, a topic such as scalar_backprop or the start of "
                                             "one, or a REPL lecture graph such as scalar, sigmoid, gates): print "
                                             "its narrative with the numbers and write its pictures. With "
                                             "--notebook: write it as a Jupyter notebook instead, generated "
                                             "from the script (GRAPHLAB_QUICK=1 in the kernel's environment "
                                             "runs it quick).")
    lesson.add_argument("name", nargs="?", metavar="NAME", help="lesson number, topic (or its start), or REPL graph name")
    lesson.add_argument("--list", action="store_true", help="list the lessons with their titles")
    lesson.add_argument("--quick", action="store_true", help="small sizes and fewer pictures (what the tests run)")
    from graphlab.train import flags
    lesson.add_argument("--out", metavar="DIR", type=flags.folder,
                        help="folder for the pictures (default: out/lessons/NN_topic)")
    lesson.add_argument("--notebook", nargs="?", const="", metavar="PATH",
                        help="write the lesson as a Jupyter notebook instead of running it: PATH, a .ipynb file, "
                             "or PATH/NN_topic.ipynb when PATH ends with / (default: NN_topic.ipynb in the "
                             "current folder); needs the notebook extra")
    lesson.add_argument("--force", action="store_true", help="with --notebook: replace an existing file")
    lesson.set_defaults(handler=_lesson, lesson_parser=lesson)      # flag clashes are reported as its errors


def _add_train(commands) -> None:
    train = commands.add_parser("train", help="train a recipe (digits-cnn, digits-mlp, spiral-mlp, shapes-densenet)",
                                description="Train a ready-made recipe with a progress bar; print the per-epoch "
                                            "table and the final accuracies; write checkpoint.npz (every epoch, "
                                            "atomic), history.png and history.json to --out.")
    from graphlab.train import flags
    train.add_argument("recipe", nargs="?", metavar="RECIPE", type=flags.recipe_name,
                       help="digits-cnn, digits-mlp, spiral-mlp or shapes-densenet (none: list them)")
    train.add_argument("--list", action="store_true", help="list the recipes and their defaults")
    train.add_argument("--optimizer", metavar="NAME", type=flags.optimizer_name,
                       help="sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw")
    train.add_argument("--lr", type=flags.positive_float, help="learning rate > 0 (default: the recipe's)")
    train.add_argument("--epochs", type=flags.positive_int, help="number of epochs >= 1 (default: the recipe's)")
    train.add_argument("--schedule", metavar="NAME", type=flags.schedule_name,
                       help="constant, step, multistep, exponential, cosine, linear, invsqrt, plateau, none")
    train.add_argument("--warmup", type=flags.non_negative_int, default=0, metavar="EPOCHS",
                       help="linear warm-up before the schedule")
    train.add_argument("--batch-size", type=flags.positive_int, help="mini-batch size >= 1 (default: the recipe's)")
    train.add_argument("--weight-decay", type=flags.non_negative_float, help="weight decay >= 0 (L2; decoupled for adamw)")
    train.add_argument("--momentum", type=flags.fraction_below_one, help="momentum in [0, 1) for sgd/rmsprop")
    train.add_argument("--seed", type=flags.non_negative_int, default=0,
                       help="seed >= 0 of the data order and the initialization")
    train.add_argument("--limit", type=flags.positive_int, metavar="N",
                       help="use at most N training samples (quick runs; the test split is kept whole)")
    train.add_argument("--test-limit", type=flags.positive_int, metavar="N", help="use at most N test samples")
    train.add_argument("--health", action="store_true", help="run the training-health monitor (writes health.txt)")
    train.add_argument("--out", metavar="DIR", type=flags.folder,
                       help="output folder (default: runs/RECIPE, or runs/RECIPE-2, ... if that holds an "
                            "earlier run); a folder holding an earlier run is refused unless --force")
    train.add_argument("--force", action="store_true", help="overwrite the files of an earlier run in --out")
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    train.set_defaults(handler=_train)


def _add_evaluate(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="reload a `graphlab train` run and measure its model",
                                   description="Rebuild the recipe's model from DIR/run.json, load "
                                               "DIR/checkpoint.npz into it and print its loss and accuracy on "
                                               "the run's train and test splits (eval mode), as the run's "
                                               "summary did. In Python: gl.train.load_run(DIR).")
    from graphlab.train import flags
    evaluate.add_argument("folder", metavar="DIR", help="the run's folder (graphlab train's --out, runs/RECIPE by "
                                                        "default)")
    evaluate.add_argument("--split", choices=("train", "test"), help="only this split")
    evaluate.add_argument("--recipe", metavar="NAME", type=flags.recipe_name,
                          help="the recipe, for a folder without run.json (older runs)")
    evaluate.set_defaults(handler=_evaluate)


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
