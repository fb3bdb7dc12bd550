"""Practice mode: graphlab asks, the student computes each gradient, graphlab checks it.

``levels`` draws the five levels' graphs from a seed; ``questions`` reads and checks answers
(``expressions`` evaluates a rule such as ``upstream @ W.T`` safely); ``explain`` words the
feedback; ``session`` is the quiz itself. The REPL's ``:quiz`` and ``graphlab quiz`` drive it.

>>> from graphlab import practice
>>> quiz = practice.start("gates", seed=4711)
>>> quiz.title
'quiz: level 1 (gates), seed 4711: replay with :quiz gates --seed 4711'
"""
from graphlab.practice.levels import LEVELS, GeneratedGraph, Level, LevelError, generate, resolve_level
from graphlab.practice.session import MAX_TRIES, QuizError, QuizSession

__all__ = ["LEVELS", "GeneratedGraph", "Level", "LevelError", "MAX_TRIES", "QuizError", "QuizSession", "generate",
           "resolve_level", "start"]


def start(level, seed=None, replay: str = ":quiz") -> QuizSession:
    """A quiz on a generated graph of ``level`` (a number or a name); ``seed`` None draws a fresh one.
    Its title says how to replay it: ``replay`` (``:quiz``, or ``graphlab quiz`` in a shell),
    the level and the seed."""
    from graphlab.practice.levels import fresh_seed
    chosen = level if isinstance(level, Level) else resolve_level(str(level))
    seed = fresh_seed() if seed is None else seed
    graph = generate(chosen, seed)
    title = (f"quiz: level {chosen.number} ({chosen.name}), seed {seed}: replay with "
             f"{replay} {chosen.name} --seed {seed}")
    quiz = QuizSession(graph.root, title, nodes=list(graph.nodes.values()),
                       label=f"quiz {chosen.name}, seed {seed}")
    quiz.graph = graph
    return quiz
