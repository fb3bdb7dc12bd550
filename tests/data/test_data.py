"""gl.data: datasets without internet, the DataLoader, transforms, and the file readers."""
import gzip
import pickle

import numpy as np
import pytest

import graphlab as gl
from graphlab.data import DataError
from graphlab.data import transforms as T


def test_digits_fixed_stratified_split():
    train, test = gl.data.digits("train"), gl.data.digits("test")
    assert (len(train), len(test)) == (1438, 359) and len(gl.data.digits("all")) == 1797
    assert train.inputs.shape == (1438, 1, 8, 8) and train.inputs.dtype == np.float32
    assert train.inputs.min() == 0 and train.inputs.max() == 1 and train.targets.dtype == np.int64
    counts = np.bincount(test.targets, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37                 # 20% of every class
    np.testing.assert_array_equal(gl.data.digits("test").inputs, test.inputs)       # always the same split
    everything = {image.tobytes() for image in gl.data.digits("all").inputs}
    assert {image.tobytes() for image in train.inputs} | {image.tobytes() for image in test.inputs} <= everything
    with pytest.raises(DataError, match="split must be one of 'train', 'test', 'all'"):
        gl.data.digits("validation")


def test_spiral_is_cs231n_spiral():
    data = gl.data.spiral(points_per_class=100, classes=3, noise=0.0)
    inputs, labels = data.inputs, data.targets
    radius = np.hypot(inputs[:, 0], inputs[:, 1])
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100), atol=1e-6)
    angle = np.arctan2(inputs[:, 0], inputs[:, 1])          # x = r sin t, y = r cos t
    expected = np.linspace(4, 8, 100)[1:]
    np.testing.assert_allclose(np.cos(angle[101:200]), np.cos(expected), atol=1e-5)
    assert np.bincount(labels).tolist() == [100, 100, 100]


def test_moons_and_shapes_are_deterministic_and_balanced():
    moons = gl.data.moons(n=101, noise=0.0)
    assert moons.inputs.shape == (101, 2) and np.bincount(moons.targets).tolist() == [51, 50]
    np.testing.assert_allclose(np.hypot(moons.inputs[:51, 0], moons.inputs[:51, 1]), 1, atol=1e-6)
    a, b = gl.data.shapes("train", n=60), gl.data.shapes("train", n=60)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    test = gl.data.shapes("test", n=60)
    assert not np.array_equal(a.inputs, test.inputs)
    assert a.inputs.shape == (60, 1, 28, 28) and np.bincount(a.targets).tolist() == [20, 20, 20]
    clean = gl.data.shapes("train", n=30, noise=0.0)
    areas = (clean.inputs > 0).sum(axis=(1, 2, 3))
    assert areas.min() > 20 and areas.max() < 0.5 * 28 * 28         # a filled shape, inside the image
    # the same radius range: a circle covers more than the triangle inscribed in it
    by_class = [areas[clean.targets == label].mean() for label in range(3)]
    assert by_class[0] > by_class[2]


def test_loader_batches_shuffles_by_seed_and_drops_last():
    data = gl.data.TensorDataset(np.arange(10, dtype=np.float32)[:, None], np.arange(10))
    loader = gl.data.DataLoader(data, batch_size=4, shuffle=True, seed=3)
    first = [labels.tolist() for _, labels in loader]
    second = [labels.tolist() for _, labels in loader]
    assert [len(batch) for batch in first] == [4, 4, 2] and first != second           # a new order per epoch
    assert sorted(sum(first, [])) == list(range(10)) == sorted(sum(second, []))
    again = gl.data.DataLoader(data, batch_size=4, shuffle=True, seed=3)
    assert [labels.tolist() for _, labels in again] == first                           # reproducible
    in_order = gl.data.DataLoader(data, batch_size=4, drop_last=True)
    assert [labels.tolist() for _, labels in in_order] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(in_order) == 2
    images, labels = next(iter(in_order))
    assert isinstance(images, gl.Tensor) and images.dtype == np.float32 and labels.dtype == np.int64


def test_loader_over_a_plain_dataset_and_subsets():
    class Squares(gl.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return np.array([index, index ** 2], dtype=np.float32), index % 2

    batches = list(gl.data.DataLoader(Squares(), batch_size=2))
    assert batches[1][0].tolist() == [[2, 4], [3, 9]] and batches[2][1].tolist() == [0]
    train, val = gl.data.digits("train").split(0.8, seed=0)
    assert len(train) + len(val) == 1438
    images, _ = next(iter(gl.data.DataLoader(val, batch_size=7)))
    assert images.shape == (7, 1, 8, 8)
    with pytest.raises(DataError, match="batch_size=0"):
        gl.data.DataLoader(train, batch_size=0)


def test_loader_applies_a_reproducible_transform():
    data = gl.data.TensorDataset(np.ones((8, 1, 4, 4), dtype=np.float32), np.zeros(8, dtype=np.int64))
    runs = [[images.data.copy() for images, _ in gl.data.DataLoader(data, 4, seed=1, transform=T.Cutout(2))]
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert all((batch == 0).sum() > 0 for batch in runs[0])


def test_e37_normalize_gives_zero_mean_unit_std():
    rng = np.random.default_rng(0)
    images = rng.normal(5, 3, size=(200, 3, 4, 4)).astype(np.float32)
    normalized = T.Normalize.fit(images)(images)
    np.testing.assert_allclose(normalized.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(normalized.std(axis=(0, 2, 3)), 1, atol=1e-5)
    assert normalized.dtype == np.float32
    with pytest.raises(DataError, match="std"):
        T.Normalize(0, 0)


def test_random_crop_with_padding_is_a_shifted_window():
    images = np.arange(2 * 1 * 5 * 5, dtype=np.float32).reshape(2, 1, 5, 5)
    cropped = T.RandomCrop(5, padding=2)(images, np.random.default_rng(0))
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for index in range(2):                                       # each crop is some window of the padded image
        windows = [padded[index, :, top:top + 5, left:left + 5] for top in range(5) for left in range(5)]
        assert any(np.array_equal(cropped[index], window) for window in windows)
    shifts = {tuple(np.argwhere(T.RandomCrop(5, padding=2)(images[:1], np.random.default_rng(seed))[0, 0] == 0)[0])
              for seed in range(30)}
    assert len(shifts) > 3                                         # the offset really varies
    with pytest.raises(DataError, match="does not fit"):
        T.RandomCrop(9)(images)


def test_flip_cutout_and_single_images():
    images = np.arange(4 * 1 * 2 * 3, dtype=np.float32).reshape(4, 1, 2, 3)
    flipped = T.RandomHorizontalFlip(p=1.0)(images)
    np.testing.assert_array_equal(flipped, images[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(images), images)
    single = T.RandomHorizontalFlip(p=1.0)(images[0])
    assert single.shape == (1, 2, 3)
    holes = T.Cutout(3)(np.ones((50, 2, 8, 8), dtype=np.float32), np.random.default_rng(0))
    zeros = (holes == 0).sum(axis=(2, 3))
    assert (zeros[:, 0] == zeros[:, 1]).all() and zeros.max() == 9 and zeros.min() >= 4   # same hole in every channel
    assert (T.Cutout(3, p=0.0)(np.ones((5, 1, 8, 8))) == 1).all()


def test_mixup_blends_images_and_labels_alike():
    rng = np.random.default_rng(0)
    images = rng.random((16, 1, 4, 4)).astype(np.float32)
    labels = np.arange(16) % 4
    mixed, targets = gl.data.mixup(images, labels, num_classes=4, alpha=0.4, rng=np.random.default_rng(1))
    assert mixed.shape == images.shape and mixed.dtype == np.float32 and targets.shape == (16, 4)
    np.testing.assert_allclose(targets.sum(axis=1), 1, atol=1e-6)
    # redo the draw: the same λ and partner explain both the image and the target
    replay = np.random.default_rng(1)
    lam, partner = replay.beta(0.4, 0.4, size=16).astype(np.float32), replay.permutation(16)
    np.testing.assert_allclose(mixed, lam[:, None, None, None] * images + (1 - lam[:, None, None, None]) * images[partner],
                               rtol=1e-5)
    np.testing.assert_allclose(targets, lam[:, None] * np.eye(4)[labels] + (1 - lam[:, None]) * np.eye(4)[labels[partner]],
                               rtol=1e-5)


def _write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(payload)


@pytest.mark.parametrize("compress", [False, True], ids=["idx", "idx.gz"])
def test_mnist_and_fashion_read_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, size=(5, 28, 28)), np.array([3, 1, 4, 1, 5])
    suffix = ".gz" if compress else ""
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images, compress)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels, compress)
    for reader in (gl.data.mnist, gl.data.fashion_mnist):
        data = reader(tmp_path, split="test")
        assert data.inputs.shape == (5, 1, 28, 28) and data.targets.tolist() == [3, 1, 4, 1, 5]
        np.testing.assert_allclose(data.inputs[:, 0] * 255, images, atol=1e-4)
    assert gl.data.fashion_mnist(tmp_path, "test").classes[9] == "Ankle boot"


def test_missing_and_broken_files_say_what_to_do(tmp_path):
    with pytest.raises(DataError) as error:
        gl.data.mnist(tmp_path, "train")
    message = str(error.value)
    assert "missing train-images-idx3-ubyte, train-labels-idx1-ubyte" in message and str(tmp_path) in message
    assert "never downloads" in message and "train-images-idx3-ubyte.gz" in message
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28)), False)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4), False)
    data = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(data[:-100])
    with pytest.raises(DataError, match="truncated or corrupt"):
        gl.data.mnist(tmp_path, "train")
    with pytest.raises(DataError, match="cifar-10-batches-py"):
        gl.data.cifar10(tmp_path, "test")


def test_cifar10_reads_python_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, size=(3, 3072), dtype=np.uint8)
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump({b"data": data, b"labels": [2, 0, 9]}, handle)
    cifar = gl.data.cifar10(tmp_path, "test")
    assert cifar.inputs.shape == (3, 3, 32, 32) and cifar.targets.tolist() == [2, 0, 9]
    np.testing.assert_allclose(cifar.inputs[1, 2].ravel() * 255, data[1, 2048:], atol=1e-4)   # blue plane
    assert cifar.classes[9] == "truck"
    (folder / "test_batch").write_bytes(b"\x80\x04 truncated")
    with pytest.raises(DataError, match="truncated"):
        gl.data.cifar10(tmp_path, "test")
