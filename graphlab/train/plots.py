"""Line plots with matplotlib (the ``plot`` extra), drawn without pyplot: no GUI, no global state.

Used by ``History.plot`` (loss and accuracy curves, train vs validation), ``Schedule.plot`` and
``graphlab train spiral-mlp`` (``decision_boundary``: the regions a 2-D classifier picks, and
its points).
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


def decision_boundary(model, inputs, labels, path=None, resolution: int = 200, title: str = ""):
    """CS231n's picture for a 2-D classifier: the class ``model`` picks at every point of a grid
    around ``inputs`` (N, 2) as coloured regions, and the points coloured by ``labels``; returns
    the Figure and writes it to ``path`` if given."""
    import numpy as np
    from graphlab.train.loop import predict
    inputs, labels = np.asarray(inputs), np.asarray(labels)
    if inputs.ndim != 2 or inputs.shape[1] != 2:
        raise GraphlabError(f"decision_boundary: inputs must be (N, 2) points, got shape {inputs.shape}; "
                            f"the picture is for models of 2-D inputs (spiral, moons)")
    xs, ys = _grid_axes(inputs, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(inputs.dtype)
    regions = predict(model, grid).argmax(axis=1).reshape(len(ys), len(xs))
    figure, (ax,) = _figure(size=(5.0, 4.6))
    classes = int(max(regions.max(), labels.max())) + 1
    colours = [f"C{index}" for index in range(classes)]
    from matplotlib.colors import ListedColormap
    ax.contourf(xs, ys, regions, levels=np.arange(classes + 1) - 0.5, cmap=ListedColormap(colours), alpha=0.3)
    ax.scatter(inputs[:, 0], inputs[:, 1], c=[colours[label] for label in labels], s=14, edgecolors="black",
               linewidths=0.4)
    accuracy = float((predict(model, inputs).argmax(axis=1) == labels).mean())
    ax.set_title(f"{title + ': ' if title else ''}decision regions, accuracy {100 * accuracy:.1f}%", fontsize=10)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_aspect("equal")
    if path is not None:
        save(figure, path)
    return figure


def _grid_axes(inputs, resolution: int) -> tuple:
    """The grid's x and y coordinates: the points' bounding box and a tenth of its size around it."""
    import numpy as np
    low, high = inputs.min(axis=0), inputs.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-6)
    return (np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
            np.linspace(low[1] - margin[1], high[1] + margin[1], resolution))
