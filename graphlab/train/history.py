"""History: one record per epoch (loss, accuracy, validation metrics, lr, time), with a plot.

>>> from graphlab.train import History
>>> history = History()
>>> history.append({"epoch": 1, "loss": 1.2, "accuracy": 0.5, "val_loss": 1.3, "val_accuracy": 0.45})
>>> history.append({"epoch": 2, "loss": 0.7, "accuracy": 0.8, "val_loss": 0.9, "val_accuracy": 0.7})
>>> history["val_loss"], history.best("val_loss")["epoch"]
([1.3, 0.9], 2)
>>> print(history)
epoch  loss    accuracy  val_loss  val_accuracy
-----  ------  --------  --------  ------------
1      1.2000  50.00%    1.3000    45.00%
2      0.7000  80.00%    0.9000    70.00%
"""
from __future__ import annotations

import io
import json
import math
import os
from typing import Optional

from graphlab import display
from graphlab.errors import GraphlabError
from graphlab.tables import format_table

_PERCENT = ("accuracy", "val_accuracy", "test_accuracy")


def mode_for(monitor: str) -> str:
    """'max' for accuracies, 'min' for losses (and anything else)."""
    return "max" if "acc" in monitor else "min"


class History:
    """The per-epoch records of a training run; ``history["loss"]`` is one metric over the epochs."""

    def __init__(self, records=None):
        self.records: list = [dict(record) for record in (records or [])]
        #: why training stopped early ("early stopping at epoch 7", "loss is NaN"), or None
        self.stopped: Optional[str] = None
        #: the epoch whose weights the model holds at the end (early stopping restores the best)
        self.restored_epoch: Optional[int] = None
        #: what the held-out split is called in the table and the plot: the records keep ``fit``'s
        #: ``val_*`` keys, the recipes show them as ``test_*`` (they hold out the test split)
        self.held_out: str = "val"

    def append(self, record: dict) -> None:
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.records[key]
        if not any(key in record for record in self.records):
            raise KeyError(f"History has no metric {key!r}; it has {', '.join(self.metrics) or 'no records yet'}")
        return [record.get(key) for record in self.records]

    @property
    def metrics(self) -> list:
        names = []
        for record in self.records:
            names.extend(name for name in record if name not in names)
        return names

    @property
    def last(self) -> dict:
        return self.records[-1] if self.records else {}

    def best(self, monitor: str = "val_loss", mode: Optional[str] = None) -> dict:
        """The record with the best value of ``monitor`` (lowest loss, highest accuracy)."""
        mode = mode or mode_for(monitor)
        scored = [record for record in self.records if _finite(record.get(monitor))]
        if not scored:
            raise KeyError(f"History.best: no epoch has a value for {monitor!r}")
        key = (lambda record: record[monitor]) if mode == "min" else (lambda record: -record[monitor])
        return min(scored, key=key)

    # -- text and files --------------------------------------------------------------------------
    def table(self, columns: Optional[list] = None, max_rows: Optional[int] = None,
              every_epoch_in: Optional[str] = None) -> str:
        """The records as a text table; ``val_*`` columns are headed with ``held_out``. With
        ``max_rows``, a longer run shows the first epoch, every k-th (k = 1, 2, 5, 10, 20, 50, ...)
        and the last, then a line saying so (and where every epoch is: ``every_epoch_in``)."""
        header, rows, note = self._cells(columns, max_rows)
        text = format_table([header] + rows)
        if note:
            text += f"\n({note}"
            text += f";\n every epoch: {every_epoch_in})" if every_epoch_in else ")"
        return text

    def _cells(self, columns: Optional[list], max_rows: Optional[int]) -> tuple:
        """The table's header, its rows of formatted values, and what thinning left out ("" if nothing)."""
        columns = columns or [name for name in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
                              if name in self.metrics]
        shown = _thinned(len(self.records), max_rows)
        header = [self.held_out + name[3:] if name.startswith("val_") else name for name in columns]
        rows = [[_format(name, self.records[index].get(name)) for name in columns] for index in shown]
        note = ""
        if len(shown) < len(self.records):
            step = self.records[shown[1]].get("epoch", shown[1] + 1) if len(shown) > 2 else len(self.records)
            note = f"{len(shown)} of {len(self.records)} epochs shown: the first, every {_ordinal(step)}, the last"
        return header, rows, note

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"History({len(self)} epochs: {', '.join(self.metrics)})"

    def state_dict(self) -> dict:
        return {"records": [dict(record) for record in self.records], "stopped": self.stopped,
                "restored_epoch": self.restored_epoch, "held_out": self.held_out}

    def load_state_dict(self, state: dict) -> "History":
        self.records = [dict(record) for record in state["records"]]
        self.stopped, self.restored_epoch = state.get("stopped"), state.get("restored_epoch")
        self.held_out = state.get("held_out", "val")
        return self

    def to_json(self, path) -> str:
        path = os.fspath(path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.state_dict(), handle, indent=1)
        return path

    @classmethod
    def from_json(cls, path) -> "History":
        with open(path, encoding="utf-8") as handle:
            return cls().load_state_dict(json.load(handle))

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict:
        """Jupyter's view: the plot as a PNG; without matplotlib (an optional extra) the table of
        the epochs in HTML instead, never an ImportError."""
        png = _plot_png(self)
        return {"image/png": png} if png is not None else {"text/html": _html_table(self)}

    # -- pictures --------------------------------------------------------------------------------
    def plot(self, path=None):
        """Loss and accuracy curves, train vs validation (and the lr when it changed); returns the
        matplotlib Figure and writes it to ``path`` if given."""
        from graphlab.train.plots import _figure, plot_lines, save
        if not self.records:
            raise GraphlabError("History.plot: no epochs recorded yet")
        epochs = self["epoch"]
        panels = [("loss", ["loss", "val_loss"]), ("accuracy", ["accuracy", "val_accuracy"])]
        lrs = [record.get("lr") for record in self.records]
        if len({lr for lr in lrs if lr is not None}) > 1:
            panels.append(("learning rate", ["lr"]))
        panels = [(title, [name for name in names if name in self.metrics]) for title, names in panels]
        panels = [(title, names) for title, names in panels if names]
        figure, axes = _figure(1, len(panels), size=(4.8, 3.6))
        for ax, (title, names) in zip(axes, panels):
            held_out = "validation" if self.held_out == "val" else self.held_out
            series = {("train" if not name.startswith("val_") else held_out) if title != "learning rate" else "lr":
                      [record.get(name, math.nan) for record in self.records] for name in names}
            plot_lines(series, title=title, xlabel="epoch", ylabel=title, ax=ax, x=epochs,
                       logy=title == "learning rate")
            best_name = "val_" + ("loss" if title == "loss" else "accuracy")
            if self.restored_epoch is not None and best_name in names:
                ax.axvline(self.restored_epoch, color="grey", linestyle="--", linewidth=1, label="restored")
        if self.stopped:
            figure.suptitle(self.stopped, fontsize=9)
        if path is not None:
            save(figure, path)
        return figure


#: epochs a History's HTML table shows before it thins them out (as ``table(max_rows=...)``)
HTML_ROWS = 30


def _plot_png(history: History) -> Optional[bytes]:
    """The loss/accuracy plot as PNG bytes; None when matplotlib is missing or nothing is recorded."""
    if not history.records:
        return None
    try:
        figure = history.plot()
    except GraphlabError:                # no matplotlib: the caller shows the table instead
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def _html_table(history: History) -> str:
    """The epochs as an HTML table (thinned past ``HTML_ROWS``, with the text table's note)."""
    if not history.records:
        return display.block(display.note("History: no epochs recorded yet"), kind="history")
    header, rows, note = history._cells(None, HTML_ROWS)
    parts = [display.title("History", f"{len(history)} epochs"),
             display.table(header, rows, numeric=set(range(1, len(header))))]
    parts += [display.note(line) for line in (note, history.stopped) if line]
    return display.block(*parts, kind="history")


def _thinned(count: int, max_rows: Optional[int]) -> list:
    """The indices of the rows to show: all of them, or the first, every k-th epoch and the last,
    with the smallest round k (1, 2, 5, 10, 20, 50, ...) that fits ``max_rows``."""
    if max_rows is None or count <= max_rows:
        return list(range(count))
    step, factors = 1, (2, 2.5, 2)                     # 1, 2, 5, 10, 20, 50, 100, ...
    turn = 0
    while 2 + count // step > max_rows:
        step = int(step * factors[turn % 3])
        turn += 1
    return sorted({0, count - 1} | set(range(step - 1, count, step)))


def _ordinal(number: int) -> str:
    if number == 1:
        return "epoch"
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _format(name: str, value) -> str:
    if value is None:
        return "-"
    if name in _PERCENT:
        return f"{100 * value:.2f}%"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)
