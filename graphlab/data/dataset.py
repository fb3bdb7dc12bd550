"""Datasets: anything with ``len()`` and ``[index] -> (input, target)``; ``TensorDataset`` holds arrays.

>>> import numpy as np, graphlab as gl
>>> data = gl.data.TensorDataset(np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1]))
>>> inputs, target = data[1]
>>> len(data), inputs, int(target)
(6, array([2., 3.]), 1)
>>> train, val = data.split(0.5, seed=0)
>>> len(train), len(val)
(3, 3)
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from graphlab.errors import GraphlabError, ShapeError


class DataError(GraphlabError, ValueError):
    """A dataset that cannot be built or read: missing files, mismatched lengths, bad splits."""


class Dataset:
    """Base class: define ``__len__`` and ``__getitem__(index) -> (input, target)``."""

    #: class names, when the targets are class indices
    classes: Optional[Sequence[str]] = None

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def split(self, fraction: float, seed: int = 0) -> tuple:
        """Two Subsets, a random ``fraction`` of the samples and the rest (e.g. train / validation)."""
        if not 0 < fraction < 1:
            raise DataError(f"split: fraction={fraction} must be between 0 and 1")
        order = np.random.default_rng(seed).permutation(len(self))
        cut = int(round(fraction * len(self)))
        return Subset(self, order[:cut]), Subset(self, order[cut:])


class TensorDataset(Dataset):
    """Arrays (numpy arrays or Tensors) with the same first dimension: sample i is their rows i.

    The DataLoader gathers a batch from these arrays with one fancy index per array, so a
    TensorDataset of images loads as fast as numpy can copy.
    """

    def __init__(self, *arrays, classes: Optional[Sequence[str]] = None, name: Optional[str] = None):
        if not arrays:
            raise DataError("TensorDataset: give at least one array (inputs, and usually targets)")
        self.arrays = tuple(np.asarray(getattr(array, "data", array)) for array in arrays)
        lengths = {len(array) for array in self.arrays}
        if len(lengths) != 1:
            raise ShapeError(f"TensorDataset: the arrays have different lengths "
                             f"{[len(array) for array in self.arrays]}; sample i is row i of each")
        self.classes = list(classes) if classes is not None else None
        self.name = name

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        items = tuple(array[index] for array in self.arrays)
        return items if len(items) > 1 else items[0]

    def gather(self, indices: np.ndarray) -> tuple:
        """The batch of ``indices``: one array per stored array."""
        return tuple(array[indices] for array in self.arrays)

    @property
    def inputs(self) -> np.ndarray:
        return self.arrays[0]

    @property
    def targets(self) -> Optional[np.ndarray]:
        return self.arrays[1] if len(self.arrays) > 1 else None

    def __repr__(self) -> str:
        shapes = ", ".join(f"{array.shape} {array.dtype}" for array in self.arrays)
        classes = f", {len(self.classes)} classes" if self.classes else ""
        return f"{self.name or type(self).__name__}({len(self)} samples: {shapes}{classes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices):
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64)
        self.classes = getattr(dataset, "classes", None)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def gather(self, indices: np.ndarray) -> Optional[tuple]:
        if hasattr(self.dataset, "gather"):
            return self.dataset.gather(self.indices[indices])
        return None

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {self.dataset!r})"
