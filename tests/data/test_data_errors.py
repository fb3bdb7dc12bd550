"""gl.data under bad input: every argument checked and named, damaged or hostile files refused."""
import gzip
import os
import pickle

import numpy as np
import pytest

import graphlab as gl
from graphlab.data import DataError
from graphlab.data import transforms as T


def _write_idx(path, array, compress=False, type_byte=0x08):
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    (gzip.open if compress else open)(path, "wb").write(header + array.astype(np.uint8).tobytes())


def _mnist_files(folder, images, labels, compress=False):
    suffix = ".gz" if compress else ""
    _write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", images, compress)
    _write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", labels, compress)


def test_a_corrupted_mnist_gz_names_the_file(tmp_path):
    _mnist_files(tmp_path, np.zeros((4, 28, 28)), np.zeros(4), compress=True)
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = bytearray(images.read_bytes())
    data[20:40] = bytes(range(20))                                       # damage the deflate stream
    images.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"read_idx: cannot read .*t10k-images-idx3-ubyte\.gz: it is truncated or corrupt"):
        gl.data.mnist(tmp_path, "test")
    images.write_bytes(bytes(data[:30]))                                 # cut short: EOFError inside gzip
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz"):
        gl.data.mnist(tmp_path, "test")
    images.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz"):
        gl.data.mnist(tmp_path, "test")


def test_mnist_refuses_labels_from_10_and_images_that_are_not_28x28(tmp_path):
    _mnist_files(tmp_path, np.zeros((3, 28, 28)), np.array([1, 10, 2]))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte holds label 10; expected classes 0\.\.9"):
        gl.data.mnist(tmp_path, "test")
    _mnist_files(tmp_path, np.zeros((3, 14, 14)), np.array([1, 0, 2]))
    with pytest.raises(DataError, match=r"uint8 images of shape \(3, 14, 14\); expected uint8 \(N, 28, 28\)"):
        gl.data.mnist(tmp_path, "test")
    _mnist_files(tmp_path, np.zeros((3, 28, 28)), np.array([1, 0]))
    with pytest.raises(DataError, match=r"expected uint8 \(3,\), one per image"):
        gl.data.fashion_mnist(tmp_path, "test")


def test_idx_headers_that_lie_are_refused_without_allocating(tmp_path):
    path = tmp_path / "lie-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + (2 ** 31 - 1).to_bytes(4, "big") * 3 + bytes(100))
    with pytest.raises(DataError, match=r"says shape \(2147483647, 2147483647, 2147483647\)"):
        gl.data.read_idx(path)
    path.write_bytes(bytes([0, 0, 0x08, 2]) + (-5).to_bytes(4, "big", signed=True) + bytes(4))
    with pytest.raises(DataError, match="negative size"):
        gl.data.read_idx(path)
    path.write_bytes(bytes([0, 0, 0x08, 200]) + bytes(8))
    with pytest.raises(DataError, match="truncated"):
        gl.data.read_idx(path)
    with pytest.raises(DataError, match="no file at"):
        gl.data.read_idx(tmp_path)


@pytest.mark.parametrize("call, message", [
    (lambda: gl.data.shapes(n=0), "shapes: n=0 must be >= 1"),
    (lambda: gl.data.shapes(size=2.5), "shapes: size must be an integer"),
    (lambda: gl.data.shapes(noise=-1), "shapes: noise=-1.0 must be >= 0"),
    (lambda: gl.data.spiral(points_per_class=-5), "spiral: points_per_class=-5 must be >= 1"),
    (lambda: gl.data.spiral(classes=0), "spiral: classes=0 must be >= 1"),
    (lambda: gl.data.spiral(noise=float("nan")), "spiral: noise=nan must be a finite number"),
    (lambda: gl.data.spiral(seed=-1), "spiral: seed=-1 must be >= 0"),
    (lambda: gl.data.spiral(points_per_class=10 ** 12), "points_per_class=1000000000000 is too large"),
    (lambda: gl.data.moons(n=1), "moons: n=1 must be >= 2"),
    (lambda: gl.data.moons(noise="a"), "moons: noise must be a number"),
    (lambda: gl.data.digits(split=3), "digits: split must be one of"),
    (lambda: gl.data.mixup(np.ones((2, 3)), np.array([0, 1]), 2, alpha=0), "mixup: alpha=0.0 must be > 0"),
    (lambda: gl.data.mixup(np.ones((2, 3)), np.array([0, 1]), 0), "mixup: num_classes=0 must be >= 1"),
    (lambda: gl.data.mixup(np.ones((2, 3)), np.array([0, 1, 1]), 2), r"mixup: images \(2, 3\) and labels \(3,\)"),
    (lambda: gl.data.mixup(np.ones((2, 3)), np.array([0, 1]), 2, rng=0), "mixup: rng must be a numpy Generator"),
    (lambda: gl.data.one_hot([0, 3], 3), r"one_hot: labels must be class indices in 0 \.\. 2"),
    (lambda: gl.data.one_hot([-1], 3), r"one_hot: labels must be class indices"),
    (lambda: gl.data.one_hot([0.5], 3), "one_hot: labels must be whole class indices"),
    (lambda: T.RandomCrop(4, padding=-2), "RandomCrop: padding=-2 must be >= 0"),
    (lambda: T.RandomCrop(0), "RandomCrop: size=0 must be >= 1"),
    (lambda: T.RandomCrop(4, padding=1.5), "RandomCrop: padding must be an integer"),
    (lambda: T.RandomCrop((4, 4, 4)), "RandomCrop: size must be one side or"),
    (lambda: T.Cutout(-1), "Cutout: size=-1 must be >= 1"),
    (lambda: T.Cutout(2, p=1.5), "Cutout: p=1.5 must be <= 1"),
    (lambda: T.RandomHorizontalFlip(p="a"), "RandomHorizontalFlip: p must be a number"),
    (lambda: T.Normalize([0.5], [0.0]), "Normalize: std"),
    (lambda: T.Normalize("a", 1), "Normalize: mean has dtype"),
    (lambda: T.Normalize(float("nan"), 1), "Normalize: mean .* must be finite"),
    (lambda: T.Compose([T.Cutout(2), "flip"]), r"Compose: transforms\[1\] is a str, not a transform"),
    (lambda: T.Cutout(2)(np.ones((2, 1, 4, 4)), rng=3), "Cutout: rng must be a numpy Generator"),
    (lambda: T.Cutout(2)(np.ones((2, 4, 4, 4, 4))), r"Cutout: expected images \(N, C, H, W\)"),
    (lambda: T.Cutout(2)(np.array([["a"]] * 3)), "Cutout: images has dtype"),
    (lambda: T.Normalize.fit(np.zeros((0, 1, 2, 2))), "Normalize.fit: images holds no images"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((DataError, TypeError), match=message):
        call()


@pytest.mark.parametrize("arguments, message", [
    (dict(batch_size=2.7), "DataLoader: batch_size must be an integer, got 2.7"),
    (dict(batch_size="a"), "DataLoader: batch_size must be an integer, got 'a'"),
    (dict(batch_size=True), "DataLoader: batch_size must be an integer"),
    (dict(batch_size=0), "DataLoader: batch_size=0 must be >= 1"),
    (dict(shuffle="yes"), "DataLoader: shuffle must be True or False"),
    (dict(drop_last=1), "DataLoader: drop_last must be True or False"),
    (dict(seed=-3), "DataLoader: seed=-3 must be >= 0"),
    (dict(seed=1.5), "DataLoader: seed must be an integer"),
    (dict(transform="flip"), "DataLoader: transform must be callable"),
    (dict(batch_size=500, drop_last=True), "batch_size=500 with drop_last=True gives no batch"),
])
def test_dataloader_arguments_are_named(arguments, message):
    data = gl.data.spiral(points_per_class=10)
    with pytest.raises((DataError, TypeError), match=message):
        gl.data.DataLoader(data, **arguments)
    with pytest.raises(TypeError, match="DataLoader: dataset must be a dataset"):
        gl.data.DataLoader(3)


def test_dataset_containers_check_their_arguments():
    with pytest.raises(gl.ShapeError, match="TensorDataset: array 0 is a scalar"):
        gl.data.TensorDataset(np.float32(3))
    with pytest.raises(TypeError, match="TensorDataset: array 1 has dtype"):
        gl.data.TensorDataset(np.ones(2), np.array(["a", "b"]))
    with pytest.raises(DataError, match="TensorDataset: array 0 is not an array"):
        gl.data.TensorDataset([[1, 2], [3]])
    with pytest.raises(TypeError, match="TensorDataset: classes must be a list"):
        gl.data.TensorDataset(np.ones(2), classes="ab")
    data = gl.data.TensorDataset(np.arange(4.0), np.arange(4))
    with pytest.raises(TypeError, match=r"TensorDataset\[index\]: index must be an integer"):
        data[1.5]
    with pytest.raises(IndexError, match="index 4 is out of range for 4 samples"):
        data[4]
    with pytest.raises(DataError, match=r"Subset: indices must be in \[0, 4\)"):
        gl.data.Subset(data, [0, 9])
    with pytest.raises(TypeError, match="Subset: indices has dtype"):
        gl.data.Subset(data, [0.5])
    with pytest.raises(DataError, match=r"split: fraction=1.5 must be between 0 and 1"):
        data.split(1.5)
    with pytest.raises(TypeError, match="split: fraction must be a number"):
        data.split("half")
    with pytest.raises(DataError, match="stratified_split: test_fraction=2.0 must be <= 1"):
        gl.data.stratified_split(np.arange(4), 2.0, 0)
    with pytest.raises(TypeError, match="mnist: path must be a folder name"):
        gl.data.mnist(None)
    with pytest.raises(DataError, match="cifar10: split must be 'train' or 'test'"):
        gl.data.cifar10(".", split=["train"])


# -- CIFAR-10: a restricted unpickler ------------------------------------------------------------
class _RunsCode:
    """Unpickling this calls os.system, which would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_crafted_cifar_batch_runs_nothing(tmp_path, protocol):
    marker = tmp_path / "pwned"
    batch = {b"data": _RunsCode(marker), b"labels": [0]}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
    assert not marker.exists()
    with pytest.raises(DataError, match=r"test_batch is not plain data: it asks for posix\.system .*nothing was run"):
        gl.data.cifar10(tmp_path, "test")
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    b"cbuiltins\neval\n(S'1'\ntR.",                                         # a builtin that runs code
    b"cnumpy\nndarray\n(I1\ntR.",                                           # numpy.ndarray called directly
    pickle.dumps(np.array([1, None], dtype=object), protocol=2),           # an object array (any items)
    b"\x80\x04\x95",                                                       # truncated
    b"",
])
def test_other_hostile_or_damaged_cifar_batches_are_data_errors(tmp_path, payload):
    (tmp_path / "test_batch").write_bytes(payload)
    with pytest.raises(DataError, match="cifar10: .*test_batch"):
        gl.data.cifar10(tmp_path, "test")


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_real_cifar_batches_read_with_every_pickle_protocol(tmp_path, protocol):
    rng = np.random.default_rng(protocol)
    data = rng.integers(0, 256, size=(4, 3072), dtype=np.uint8)
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": [3, 1, 4, 1], b"data": data,
             b"filenames": [b"a.png", b"b.png", b"c.png", b"d.png"]}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
    cifar = gl.data.cifar10(tmp_path, "test")
    assert cifar.targets.tolist() == [3, 1, 4, 1]
    np.testing.assert_allclose(cifar.inputs.reshape(4, -1) * 255, data, atol=1e-4)


@pytest.mark.parametrize("batch, message", [
    ({b"data": np.zeros((2, 3072), dtype=np.uint8), b"labels": [0, 10]}, "labels are not 2 integers in 0..9"),
    ({b"data": np.zeros((2, 3072), dtype=np.float64), b"labels": [0, 1]}, "expected a uint8 array"),
    ({b"data": np.zeros((2, 100), dtype=np.uint8), b"labels": [0, 1]}, "expected a uint8 array"),
    ({b"data": [1, 2], b"labels": [0, 1]}, "has data list"),
    ([1, 2, 3], "is not a CIFAR-10 python batch"),
])
def test_cifar_batches_of_the_wrong_layout(tmp_path, batch, message):
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch))
    with pytest.raises(DataError, match=message):
        gl.data.cifar10(tmp_path, "test")


def test_the_docs_say_loading_never_runs_code():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    assert "Loading never runs code" in (root / "docs" / "training.md").read_text(encoding="utf-8")
    assert "pickle.load(" not in (root / "graphlab" / "data" / "files.py").read_text(encoding="utf-8")
