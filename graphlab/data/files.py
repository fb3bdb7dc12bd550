"""MNIST, Fashion-MNIST and CIFAR-10 from files you already have (graphlab never downloads).

* ``mnist(path, split)`` / ``fashion_mnist(path, split)``: the four IDX files, plain or gzipped
  (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``, ``t10k-images-idx3-ubyte[.gz]``,
  ``t10k-labels-idx1-ubyte[.gz]``) in ``path`` or ``path/raw``: images (N, 1, 28, 28) float32 in [0, 1].
* ``cifar10(path, split)``: the "python version" batches (``data_batch_1`` ... ``data_batch_5``,
  ``test_batch``) in ``path`` or ``path/cifar-10-batches-py``: images (N, 3, 32, 32) in [0, 1].

Reading a file never runs code: the CIFAR pickles go through a restricted unpickler that builds
only plain data (``graphlab.data.safe_pickle``), and a damaged, hostile or wrong file (a corrupt
``.gz``, 14x14 images, a label 10) is a ``DataError`` naming the file and what was expected.

When a file is missing the error lists every file it looked for and where to get them.
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from graphlab.data.checks import folder, is_file, is_folder
from graphlab.data.dataset import DataError, DataTypeError, TensorDataset
from graphlab.data.safe_pickle import load_data_pickle

_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_SOURCES = {"MNIST": "the MNIST page (yann.lecun.com/exdb/mnist) or any mirror of its four .gz files",
            "Fashion-MNIST": "github.com/zalandoresearch/fashion-mnist (data/fashion)",
            "CIFAR-10": "www.cs.toronto.edu/~kriz/cifar.html: 'CIFAR-10 python version', cifar-10-python.tar.gz"}
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
_CHUNK = 16 * 2 ** 20
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """An IDX file (MNIST's format: magic 0x0000TTDD, D big-endian int32 sizes, then the data)."""
    path = _file(path, "read_idx")
    if not is_file(path):
        raise DataError(f"read_idx: no file at {path}" + (" (it is a folder)" if is_folder(path) else ""))
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as handle:
            dtype, shape, header = _idx_header(handle, path)
            expected = math.prod(shape) * dtype.itemsize
            data = _read_at_most(handle, expected + 1)
    except DataError:
        raise
    except (OSError, EOFError, zlib.error) as error:          # gzip.BadGzipFile is an OSError
        raise DataError(f"read_idx: cannot read {path}: it is truncated or corrupt ({type(error).__name__}: "
                        f"{error}); download it again") from None
    if len(data) != expected:
        raise DataError(f"read_idx: {path} says shape {shape} ({expected:,} bytes of data) but holds "
                        f"{'more' if len(data) > expected else f'{len(data):,}'}; the file is truncated or corrupt, "
                        f"download it again")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _idx_header(handle, path: Path) -> tuple:
    """(dtype, shape, header length) from the start of an IDX file."""
    magic = handle.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
        raise DataError(f"read_idx: {path} is not an IDX file (it does not start with 0x0000 and a type byte)")
    dims = magic[3]
    sizes = handle.read(4 * dims)
    if len(sizes) != 4 * dims:
        raise DataError(f"read_idx: {path} is truncated: its header announces {dims} sizes")
    shape = tuple(int.from_bytes(sizes[4 * axis:4 * axis + 4], "big", signed=True) for axis in range(dims))
    if any(size < 0 for size in shape):
        raise DataError(f"read_idx: {path} declares a negative size in shape {shape}; the file is corrupt")
    return np.dtype(_IDX_TYPES[magic[2]]), shape, 4 + 4 * dims


def _read_at_most(handle, limit: int) -> bytes:
    """Up to ``limit`` bytes, read in pieces (a corrupt header cannot make it allocate more than the file)."""
    pieces, remaining = [], limit
    while remaining > 0:
        piece = handle.read(min(remaining, _CHUNK))
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)


def _file(path, where: str) -> Path:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise DataTypeError(f"{where}: path must be a file name (a str or pathlib.Path), got {type(path).__name__}")
    text = os.fspath(path)
    text = os.fsdecode(text) if isinstance(text, bytes) else text
    if not text or "\0" in text:
        raise DataError(f"{where}: path {text!r} is not a file name")
    return Path(os.path.expanduser(text))


def _find(folders: list, name: str):
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if is_file(candidate):
                return candidate
    return None


def _idx_dataset(path, split: str, title: str, classes: list, subfolders: tuple) -> TensorDataset:
    where = title.lower().replace("-", "_")
    if not isinstance(split, str) or split not in _IDX_FILES:
        raise DataError(f"{where}: split must be 'train' or 'test', got {split!r}")
    root = folder(path, where)
    folders = [root] + [root / sub for sub in subfolders]
    found = {name: _find(folders, name) for name in _IDX_FILES[split]}
    missing = [name for name, file in found.items() if file is None]
    if missing:
        looked = ", ".join(str(folder) for folder in folders)
        raise DataError(f"{where}: missing {', '.join(missing)} (plain or .gz). Looked in: "
                        f"{looked}. graphlab never downloads: get the files from {_SOURCES[title]}, and put "
                        f"{' and '.join(f'{name}.gz' for name in _IDX_FILES[split])} in {root}")
    images = read_idx(found[_IDX_FILES[split][0]])
    labels = read_idx(found[_IDX_FILES[split][1]])
    _check_idx_pair(images, labels, found[_IDX_FILES[split][0]], found[_IDX_FILES[split][1]], where)
    inputs = (images.astype(np.float32) / 255.0)[:, None]
    return TensorDataset(inputs, labels.astype(np.int64), classes=classes, name=f"{title}[{split}]")


def _check_idx_pair(images, labels, images_file, labels_file, where: str) -> None:
    """MNIST's layout: N 28x28 uint8 images, N uint8 labels in 0..9."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{where}: {images_file} holds {images.dtype} images of shape {images.shape}; expected "
                        f"uint8 (N, 28, 28). Is it the right file?")
    if labels.dtype != np.uint8 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{where}: {labels_file} holds {labels.dtype} labels of shape {labels.shape}; expected uint8 "
                        f"({len(images)},), one per image of {images_file}")
    if labels.size and labels.max() > 9:
        raise DataError(f"{where}: {labels_file} holds label {int(labels.max())}; expected classes 0..9. Is it the "
                        f"right file?")


def mnist(path, split: str = "train") -> TensorDataset:
    """MNIST from the IDX files in ``path`` (see the module docstring)."""
    return _idx_dataset(path, split, "MNIST", [str(digit) for digit in range(10)], ("raw", "MNIST/raw"))


def fashion_mnist(path, split: str = "train") -> TensorDataset:
    """Fashion-MNIST (same file names and format as MNIST)."""
    return _idx_dataset(path, split, "Fashion-MNIST", FASHION_CLASSES, ("raw", "FashionMNIST/raw"))


def _read_cifar_batch(path: Path) -> tuple:
    """One CIFAR python batch: a pickled dict with b'data' (N, 3072) uint8 and b'labels' (N ints in 0..9),
    read with a restricted unpickler that builds only plain data (no code runs)."""
    batch = load_data_pickle(path, "cifar10")
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"cifar10: {path} is not a CIFAR-10 python batch (no b'data' and b'labels' entries)")
    data, labels = batch[b"data"], batch[b"labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shown = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"cifar10: {path} has data {shown}; expected a uint8 array (N, 3072)")
    if not isinstance(labels, (list, np.ndarray)) or getattr(labels, "ndim", 1) != 1 or len(labels) != len(data) or not all(
            isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 0 <= label <= 9
            for label in labels):
        raise DataError(f"cifar10: {path} has {len(data)} images but its labels are not {len(data)} integers in 0..9")
    return data.reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def cifar10(path, split: str = "train") -> TensorDataset:
    """CIFAR-10 from the python batches in ``path`` (see the module docstring).

    The batches are Python pickles, the format CIFAR-10 ships in; they are read with a restricted
    unpickler that builds only dicts, lists, strings, numbers and numpy arrays, so loading never
    runs code (a crafted file is refused with a DataError).
    """
    if not isinstance(split, str) or split not in ("train", "test"):
        raise DataError(f"cifar10: split must be 'train' or 'test', got {split!r}")
    root = folder(path, "cifar10")
    folders = [root, root / "cifar-10-batches-py"]
    names = [f"data_batch_{index}" for index in range(1, 6)] if split == "train" else ["test_batch"]
    found = {name: next((folder / name for folder in folders if is_file(folder / name)), None) for name in names}
    missing = [name for name, file in found.items() if file is None]
    if missing:
        raise DataError(f"cifar10: missing {', '.join(missing)}. Looked in: {', '.join(map(str, folders))}. "
                        f"graphlab never downloads: get {_SOURCES['CIFAR-10']}, and unpack it in {root} "
                        f"(it makes the folder cifar-10-batches-py)")
    batches = [_read_cifar_batch(found[name]) for name in names]
    images = np.concatenate([images for images, _ in batches]).astype(np.float32) / 255.0
    labels = np.concatenate([labels for _, labels in batches])
    return TensorDataset(images, labels, classes=CIFAR10_CLASSES, name=f"CIFAR-10[{split}]")
