"""The REPL's practice mode: ``:quiz [LEVEL] [--seed N]``, ``:quiz stop`` and ``:hint``.

While a quiz runs, a plain line is an answer (``Workspace.execute`` hands it to the quiz) and
the commands that would show the gradients it asks for are refused (``QUIZ_COMMANDS`` are the
ones that still work). The quiz itself is ``graphlab/practice/``.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from graphlab.repl.commands import CommandError, _words, command
from graphlab.repl.text import wrap

#: the commands a running quiz allows; the others would show the answers or change the graph
QUIZ_COMMANDS = ("help", "quiz", "hint", "patterns", "history", "save", "quit")
USAGE = "usage: :quiz [LEVEL] [--seed N]  or  :quiz stop"


def quiz_arguments(words: List[str]) -> Tuple[Optional[str], Optional[int]]:
    """(level, seed) from ``[LEVEL] [--seed N]`` (also ``--seed=N``), checked before anything is built."""
    from graphlab.practice.levels import check_seed, resolve_level
    level = seed = None
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word == "--seed" or word.startswith("--seed="):
            if seed is not None:
                raise CommandError("quiz: --seed is given twice; give it once")
            if word == "--seed" and not rest:
                raise CommandError("quiz: --seed needs a number, e.g. :quiz gates --seed 4711")
            seed = check_seed(rest.pop(0) if word == "--seed" else word.partition("=")[2])
        elif word.startswith("-"):
            raise CommandError(f"quiz: no option {word}; {USAGE}")
        elif level is None:
            level = resolve_level(word).name
        else:
            raise CommandError(f"quiz: one level at a time, got {level} and {word}; {USAGE}")
    if seed is not None and level is None:
        raise CommandError("quiz: --seed needs a LEVEL (:quiz gates --seed 4711); without a level the quiz "
                           "asks about the current graph")
    return level, seed


@command("quiz", ":quiz [LEVEL] [--seed N]",
         "practice: you compute each gradient of a backward walk, graphlab checks it (:quiz stop ends)",
         argument="level")
def quiz_command(workspace, argument: str) -> str:
    words = _words(argument)
    if words == ["stop"]:
        if workspace.quiz is None:
            return "no quiz is running; :quiz LEVEL starts one (:help quiz)"
        return wrap(workspace.stop_quiz())
    level, seed = quiz_arguments(words)
    ended = f"({workspace.stop_quiz()})\n" if workspace.quiz is not None else ""
    return ended + workspace.start_quiz(level, seed)


@command("hint", ":hint", "during a quiz: the local gradients of the current step (and its rule)")
def hint_command(workspace, argument: str) -> str:
    if workspace.quiz is None:
        raise CommandError(":hint helps during a quiz; :quiz LEVEL starts one (:focus NODE explains a node now)")
    return wrap(workspace.quiz.hint())


def refuse_during_quiz(workspace, name: str) -> None:
    """A command that would show the gradients the quiz asks for is refused, with what to do."""
    if getattr(workspace, "quiz", None) is not None and name not in QUIZ_COMMANDS:
        raise CommandError(f":{name} is not available during a quiz (it would show the gradients you are "
                           f"asked for); :hint helps with this step, :quiz stop ends the quiz")
