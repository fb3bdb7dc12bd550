"""Classifying what one hostile input did: a clear error, a right answer, or a crash.

Every fuzz test runs a call through :func:`outcome`. The call either

* raises a **clear error**: an exception raised by graphlab's own code (the innermost frame of
  the traceback is inside the ``graphlab`` package, so never a raw traceback from inside numpy,
  SymPy or the standard library) whose message names the argument (``argument=``, any of the
  given names); or
* returns a **right answer**: ``check(result)`` holds (compare with PyTorch, finite
  differences or a known value);

anything else (an unclear or foreign exception, a wrong answer, a warning that leaks a numpy
RuntimeWarning) fails the test as a **crash**. ``tests/fuzz/conftest.py`` prints the totals at
the end of the run (inputs tried, clear errors, right answers, crashes).
"""
from __future__ import annotations

import traceback
import warnings
from collections import Counter
from pathlib import Path

import graphlab

#: inputs tried, by outcome: "clear error", "right answer", "crash"
COUNTS: Counter = Counter()

_PACKAGE = str(Path(graphlab.__file__).resolve().parent)


def raised_in_graphlab(error: BaseException) -> bool:
    """True when the innermost frame that raised ``error`` is graphlab's own code."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and str(Path(frames[-1].filename).resolve()).startswith(_PACKAGE)


def outcome(call, *, argument=None, check=None, errors=(Exception,)) -> str:
    """Run ``call()`` and classify it; fail (AssertionError) on a crash. Returns the outcome.

    ``argument``: a name (or tuple of names) a clear error message must contain.
    ``check``: called with the result; it must return True (or not raise) for a right answer.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)   # numpy's warnings must not leak
            result = call()
    except errors as error:
        names = (argument,) if isinstance(argument, str) else tuple(argument or ())
        message = str(error)
        clear = raised_in_graphlab(error) and (not names or any(name in message for name in names))
        if not clear:
            COUNTS["crash"] += 1
            where = traceback.extract_tb(error.__traceback__)[-1]
            raise AssertionError(f"unclear error {type(error).__name__}: {message!r} raised at "
                                 f"{where.filename}:{where.lineno} (expected graphlab to name {names})") from error
        COUNTS["clear error"] += 1
        return "clear error"
    if check is not None:
        verdict = check(result)
        if verdict is False:
            COUNTS["crash"] += 1
            raise AssertionError(f"wrong answer: {result!r}")
    COUNTS["right answer"] += 1
    return "right answer"
