"""Line plots with matplotlib (the ``plot`` extra), drawn without pyplot: no GUI, no global state.

Used by ``History.plot`` (loss and accuracy curves, train vs validation) and ``Schedule.plot``.
"""
from __future__ import annotations

import os
from typing import Optional

from graphlab.errors import GraphlabError


def _figure(rows: int = 1, columns: int = 1, size=(6.4, 4.0)):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise GraphlabError("plotting needs matplotlib: pip install 'graphlab[plot]' "
                            "(or: bash .ci/setup, which installs it)") from None
    figure = Figure(figsize=(size[0] * columns, size[1] * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, [ax for row in axes for ax in row]


def save(figure, path) -> str:
    """Write a Figure (the format from the extension: png, svg, pdf); returns the path."""
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def plot_lines(series: dict, title: str = "", xlabel: str = "", ylabel: str = "", path=None, ax=None,
               x: Optional[list] = None, logy: bool = False):
    """One line per entry of ``series`` ({label: values}); returns the Figure."""
    if ax is None:
        figure, (ax,) = _figure()
    else:
        figure = ax.figure
    for label, values in series.items():
        xs = x if x is not None else list(range(len(values)))
        ax.plot(xs[:len(values)], values, label=label, marker="o" if len(values) <= 30 else None, markersize=3)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if all(isinstance(value, int) for value in (x or [0])):
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))          # epochs and steps are whole numbers
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend()
    if path is not None:
        save(figure, path)
    return figure
