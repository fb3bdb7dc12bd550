"""DataLoader: mini-batches of a dataset as Tensors, shuffled reproducibly by a seed.

>>> import numpy as np, graphlab as gl
>>> data = gl.data.TensorDataset(np.arange(10.0)[:, None], np.arange(10))
>>> loader = gl.data.DataLoader(data, batch_size=4, shuffle=True, seed=0)
>>> [batch_targets.tolist() for _, batch_targets in loader]          # epoch 1
[[4, 6, 2, 7], [3, 5, 9, 0], [8, 1]]
>>> len(loader), len(gl.data.DataLoader(data, batch_size=4, drop_last=True))
(3, 2)
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from graphlab.autodiff.tensor import Tensor
from graphlab.config import config
from graphlab.data.checks import flag, integer
from graphlab.data.checks import seed as check_seed
from graphlab.data.dataset import DataError, DataTypeError


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``: (inputs, targets) Tensors.

    * ``shuffle``: a new order every epoch, drawn from a generator seeded once with ``seed``
      (or from graphlab's generator, ``gl.manual_seed``, when ``seed`` is None), so a run is
      reproducible and each epoch still differs.
    * ``drop_last``: skip the last, smaller batch.
    * ``transform``: a batch transform (``gl.data.transforms``) applied to the inputs, with the
      loader's generator (augmentation is random and reproducible too).
    """

    def __init__(self, dataset, batch_size: int = 32, shuffle: bool = False, seed: Optional[int] = None,
                 drop_last: bool = False, transform: Optional[Callable] = None):
        if isinstance(dataset, (str, bytes)) or not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise DataTypeError(f"DataLoader: dataset must be a dataset (len() and dataset[index]), such as "
                                f"gl.data.TensorDataset(inputs, targets); got {type(dataset).__name__}")
        batch_size = integer(batch_size, "batch_size", "DataLoader", minimum=1)
        if len(dataset) == 0:
            raise DataError("DataLoader: the dataset is empty")
        shuffle, drop_last = flag(shuffle, "shuffle", "DataLoader"), flag(drop_last, "drop_last", "DataLoader")
        seed = None if seed is None else check_seed(seed, "DataLoader")
        if transform is not None and not callable(transform):
            raise DataTypeError(f"DataLoader: transform must be callable as transform(images, rng) (a "
                                f"gl.data.transforms transform), got {type(transform).__name__}")
        if drop_last and batch_size > len(dataset):
            raise DataError(f"DataLoader: batch_size={batch_size} with drop_last=True gives no batch at all for "
                            f"{len(dataset)} samples; use a smaller batch_size or drop_last=False")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last, self.transform, self.seed = drop_last, transform, seed
        self.rng = np.random.default_rng(seed) if seed is not None else None
        self.epoch = 0

    def __len__(self) -> int:
        count = len(self.dataset) / self.batch_size
        return int(count) if self.drop_last else math.ceil(count)

    def _generator(self) -> np.random.Generator:
        return self.rng if self.rng is not None else config.rng

    def _batch(self, indices: np.ndarray) -> tuple:
        gather = getattr(self.dataset, "gather", None)
        arrays = gather(indices) if gather is not None else None
        if arrays is None:
            samples = [self.dataset[int(index)] for index in indices]
            samples = [sample if isinstance(sample, tuple) else (sample,) for sample in samples]
            arrays = tuple(np.stack([np.asarray(getattr(item, "data", item)) for item in column])
                           for column in zip(*samples))
        inputs = arrays[0]
        if self.transform is not None:
            inputs = self.transform(inputs, self._generator())
        return (inputs,) + tuple(arrays[1:])

    def __iter__(self):
        self.epoch += 1
        count = len(self.dataset)
        order = self._generator().permutation(count) if self.shuffle else np.arange(count)
        stop = len(self) * self.batch_size
        for start in range(0, stop, self.batch_size):
            arrays = self._batch(order[start:start + self.batch_size])
            tensors = tuple(Tensor._from_op(np.ascontiguousarray(array), None, False) for array in arrays)
            yield tensors if len(tensors) > 1 else tensors[0]

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"{len(self)} batches)")
