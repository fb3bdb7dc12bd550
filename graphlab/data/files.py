"""MNIST, Fashion-MNIST and CIFAR-10 from files you already have (graphlab never downloads).

* ``mnist(path, split)`` / ``fashion_mnist(path, split)``: the four IDX files, plain or gzipped
  (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``, ``t10k-images-idx3-ubyte[.gz]``,
  ``t10k-labels-idx1-ubyte[.gz]``) in ``path`` or ``path/raw``: images (N, 1, 28, 28) float32 in [0, 1].
* ``cifar10(path, split)``: the "python version" batches (``data_batch_1`` ... ``data_batch_5``,
  ``test_batch``) in ``path`` or ``path/cifar-10-batches-py``: images (N, 3, 32, 32) in [0, 1].

When a file is missing the error lists every file it looked for and where to get them.
"""
from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np

from graphlab.data.dataset import DataError, TensorDataset

_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_SOURCES = {"MNIST": "the MNIST page (yann.lecun.com/exdb/mnist) or any mirror of its four .gz files",
            "Fashion-MNIST": "github.com/zalandoresearch/fashion-mnist (data/fashion)",
            "CIFAR-10": "www.cs.toronto.edu/~kriz/cifar.html: 'CIFAR-10 python version', cifar-10-python.tar.gz"}
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """An IDX file (MNIST's format: magic 0x0000TTDD, D big-endian int32 sizes, then the data)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DataError(f"read_idx: cannot read {path}: {error}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"read_idx: {path} is not an IDX file (it does not start with 0x0000 and a type byte)")
    dims = raw[3]
    header = 4 + 4 * dims
    shape = tuple(int(size) for size in np.frombuffer(raw[4:header], dtype=">i4")) if dims else ()
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"read_idx: {path} says shape {shape} ({expected:,} bytes of data) but holds "
                        f"{len(raw) - header:,}; the file is truncated or corrupt, download it again")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folders: list, name: str):
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _idx_dataset(path, split: str, title: str, classes: list, subfolders: tuple) -> TensorDataset:
    if split not in _IDX_FILES:
        raise DataError(f"{title}: split must be 'train' or 'test', got {split!r}")
    root = Path(os.path.expanduser(os.fspath(path)))
    folders = [root] + [root / sub for sub in subfolders]
    found = {name: _find(folders, name) for name in _IDX_FILES[split]}
    missing = [name for name, file in found.items() if file is None]
    if missing:
        looked = ", ".join(str(folder) for folder in folders)
        raise DataError(f"{title.lower().replace('-', '_')}: missing {', '.join(missing)} (plain or .gz). Looked in: "
                        f"{looked}. graphlab never downloads: get the files from {_SOURCES[title]}, and put "
                        f"{' and '.join(f'{name}.gz' for name in _IDX_FILES[split])} in {root}")
    images = read_idx(found[_IDX_FILES[split][0]])
    labels = read_idx(found[_IDX_FILES[split][1]])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{title}: images {images.shape} and labels {labels.shape} do not fit together "
                        f"(expected (N, 28, 28) and (N,))")
    inputs = (images.astype(np.float32) / 255.0)[:, None]
    return TensorDataset(inputs, labels.astype(np.int64), classes=classes, name=f"{title}[{split}]")


def mnist(path, split: str = "train") -> TensorDataset:
    """MNIST from the IDX files in ``path`` (see the module docstring)."""
    return _idx_dataset(path, split, "MNIST", [str(digit) for digit in range(10)], ("raw", "MNIST/raw"))


def fashion_mnist(path, split: str = "train") -> TensorDataset:
    """Fashion-MNIST (same file names and format as MNIST)."""
    return _idx_dataset(path, split, "Fashion-MNIST", FASHION_CLASSES, ("raw", "FashionMNIST/raw"))


def _read_cifar_batch(path: Path) -> tuple:
    """One CIFAR python batch: a pickled dict with b'data' (N, 3072) uint8 and b'labels'."""
    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as error:
        raise DataError(f"cifar10: cannot read {path} ({type(error).__name__}: {error}); the file is truncated "
                        f"or not a CIFAR-10 python batch") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"cifar10: {path} is not a CIFAR-10 python batch (no b'data' and b'labels' entries)")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise DataError(f"cifar10: {path} has data {data.shape} and {len(labels)} labels; expected (N, 3072) and N")
    return data.reshape(-1, 3, 32, 32), labels


def cifar10(path, split: str = "train") -> TensorDataset:
    """CIFAR-10 from the python batches in ``path`` (see the module docstring).

    The batches are Python pickles, the format CIFAR-10 ships in: open only files you trust.
    """
    if split not in ("train", "test"):
        raise DataError(f"cifar10: split must be 'train' or 'test', got {split!r}")
    root = Path(os.path.expanduser(os.fspath(path)))
    folders = [root, root / "cifar-10-batches-py"]
    names = [f"data_batch_{index}" for index in range(1, 6)] if split == "train" else ["test_batch"]
    found = {name: next((folder / name for folder in folders if (folder / name).is_file()), None) for name in names}
    missing = [name for name, file in found.items() if file is None]
    if missing:
        raise DataError(f"cifar10: missing {', '.join(missing)}. Looked in: {', '.join(map(str, folders))}. "
                        f"graphlab never downloads: get {_SOURCES['CIFAR-10']}, and unpack it in {root} "
                        f"(it makes the folder cifar-10-batches-py)")
    batches = [_read_cifar_batch(found[name]) for name in names]
    images = np.concatenate([images for images, _ in batches]).astype(np.float32) / 255.0
    labels = np.concatenate([labels for _, labels in batches])
    return TensorDataset(images, labels, classes=CIFAR10_CLASSES, name=f"CIFAR-10[{split}]")
