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


class DataTypeError(DataError, TypeError):
    """An argument of the wrong type (a float where a count is needed, a string for a number...)."""


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
        from graphlab.data.checks import real
        from graphlab.data.checks import seed as check_seed
        fraction = real(fraction, "fraction", "split")
        if not 0 < fraction < 1:
            raise DataError(f"split: fraction={fraction} must be between 0 and 1")
        order = np.random.default_rng(check_seed(seed, "split")).permutation(len(self))
        cut = int(round(fraction * len(self)))
        return Subset(self, order[:cut]), Subset(self, order[cut:])


class TensorDataset(Dataset):
    """Arrays (numpy arrays or Tensors) with the same first dimension: sample i is their rows i.

    The DataLoader gathers a batch from these arrays with one fancy index per array, so a
    TensorDataset of images loads as fast as numpy can copy.
    """

    def __init__(self, *arrays, classes: Optional[Sequence[str]] = None, name: Optional[str] = None):
        from graphlab.data.checks import numeric_array
        if not arrays:
            raise DataError("TensorDataset: give at least one array (inputs, and usually targets)")
        self.arrays = tuple(numeric_array(array, f"array {index}", "TensorDataset") for index, array in enumerate(arrays))
        if any(array.ndim == 0 for array in self.arrays):
            raise ShapeError(f"TensorDataset: array {[array.ndim for array in self.arrays].index(0)} is a scalar; "
                             f"each array needs a first axis of samples")
        lengths = {len(array) for array in self.arrays}
        if len(lengths) != 1:
            raise ShapeError(f"TensorDataset: the arrays have different lengths "
                             f"{[len(array) for array in self.arrays]}; sample i is row i of each")
        self.classes = _class_names(classes, "TensorDataset")
        if name is not None and not isinstance(name, str):
            raise DataTypeError(f"TensorDataset: name must be a string or None, got {type(name).__name__}")
        self.name = name

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        index = _sample_index(index, len(self), type(self).__name__)
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
        from graphlab.data.checks import numeric_array
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise DataTypeError(f"Subset: dataset must be a dataset (len() and [index]), got {type(dataset).__name__}")
        indices = numeric_array(indices, "indices", "Subset", kinds="iu")
        if indices.ndim != 1:
            raise ShapeError(f"Subset: indices must be a 1-D list of sample numbers, got shape {indices.shape}")
        if indices.size and not (-len(dataset) <= indices.min() and indices.max() < len(dataset)):
            raise DataError(f"Subset: indices must be in [0, {len(dataset)}) for a dataset of {len(dataset)} samples, "
                            f"got {int(indices.min())} .. {int(indices.max())}")
        self.dataset, self.indices = dataset, indices.astype(np.int64) % max(len(dataset), 1)
        self.classes = getattr(dataset, "classes", None)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[_sample_index(index, len(self), "Subset")])]

    def gather(self, indices: np.ndarray) -> Optional[tuple]:
        if hasattr(self.dataset, "gather"):
            return self.dataset.gather(self.indices[indices])
        return None

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {self.dataset!r})"


def _sample_index(index, length: int, where: str) -> int:
    """A sample number in [-length, length), as numpy would take it; a clear error otherwise."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise DataTypeError(f"{where}[index]: index must be an integer sample number, got {type(index).__name__} "
                            f"(use a DataLoader or Subset for batches)")
    if not -length <= index < length:
        raise IndexError(f"{where}[index]: index {index} is out of range for {length} samples")
    return int(index)


def _class_names(classes, where: str):
    if classes is None:
        return None
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise DataTypeError(f"{where}: classes must be a list of class names, got {type(classes).__name__}")
    classes = list(classes)
    if not all(isinstance(name, str) for name in classes):
        raise DataTypeError(f"{where}: classes must be a list of strings (class names)")
    return classes
