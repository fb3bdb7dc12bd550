"""Checks of ``graphlab train`` and ``graphlab lesson`` flags, as argparse ``type=`` functions.

Each runs while the command line is parsed, before any data is loaded, so ``--epochs 0``
stops at once with a one-line error naming the flag ("argument --epochs: must be a whole
number >= 1, got '0'") instead of falling back to the recipe's value or failing after an epoch.

>>> positive_int("3"), fraction_below_one("0.9")
(3, 0.9)
"""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A count such as --epochs, --batch-size, --limit: a whole number >= 1."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """--warmup, --seed: a whole number >= 0."""
    return _whole_number(text, 0)


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """--lr: a finite number > 0."""
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (e.g. 0.01), got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """--weight-decay: a finite number >= 0."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (e.g. 5e-4), got {text!r}")
    return value


def fraction_below_one(text: str) -> float:
    """--momentum: a number in [0, 1)."""
    value = _finite(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1) (0.9 is usual), got {text!r}")
    return value


def did_you_mean(text: str, choices) -> str:
    """``" (did you mean 'digits-cnn'?)"`` for the closest of ``choices``, or ``""`` if none is close."""
    import difflib
    close = difflib.get_close_matches(str(text).lower(), [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def recipe_name(text: str) -> str:
    from graphlab.train.recipes import RECIPES
    if text not in RECIPES:
        raise argparse.ArgumentTypeError(f"no recipe {text!r}{did_you_mean(text, RECIPES)}; choose from "
                                         f"{', '.join(RECIPES)}")
    return text


def optimizer_name(text: str) -> str:
    from graphlab.optim import OPTIMIZERS
    names = sorted(OPTIMIZERS) + ["momentum", "nesterov"]
    key = text.lower().replace("-", "").replace("_", "")
    if key not in names and key not in ("sgdmomentum", "sgdnesterov"):
        raise argparse.ArgumentTypeError(f"no optimizer {text!r}{did_you_mean(text, names)}; choose from "
                                         f"{', '.join(names)}")
    return text


def schedule_name(text: str) -> str:
    from graphlab.optim.schedules import SCHEDULES
    if text != "none" and text.lower().replace("-", "").replace("_", "") not in SCHEDULES:
        names = list(SCHEDULES) + ["none"]
        raise argparse.ArgumentTypeError(f"no schedule {text!r}{did_you_mean(text, names)}; choose from "
                                         f"{', '.join(names)}")
    return text


def folder(text: str) -> Path:
    """--out: a folder path; an existing file there is refused before any work is done."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a folder path, got an empty string")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; choose a folder for the output")
    return Path(text)
