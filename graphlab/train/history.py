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

import json
import math
import os
from typing import Optional

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
    def table(self, columns: Optional[list] = None) -> str:
        columns = columns or [name for name in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
                              if name in self.metrics]
        return format_table([columns] + [[_format(name, record.get(name)) for name in columns]
                                         for record in self.records])

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"History({len(self)} epochs: {', '.join(self.metrics)})"

    def state_dict(self) -> dict:
        return {"records": [dict(record) for record in self.records], "stopped": self.stopped,
                "restored_epoch": self.restored_epoch}

    def load_state_dict(self, state: dict) -> "History":
        self.records = [dict(record) for record in state["records"]]
        self.stopped, self.restored_epoch = state.get("stopped"), state.get("restored_epoch")
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
            series = {("train" if not name.startswith("val_") else "validation") if title != "learning rate" else "lr":
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
