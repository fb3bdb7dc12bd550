"""Fuzzing gl.data: every dataset builder, transform, the DataLoader and the file readers, with
hostile arguments and hostile files. Each input must give a graphlab error naming the argument
(or the file), or the right answer."""
import gzip
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from outcomes import outcome

import graphlab as gl
from graphlab.data import transforms as T

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

#: what a careless or hostile caller passes: wrong types, NaN/inf, negative, zero and huge sizes,
#: floats where an int is needed, unicode, bytes, bools, containers
HOSTILE = st.one_of(
    st.integers(-20, 60),
    st.sampled_from([0, -1, 2 ** 31, 2 ** 63, 10 ** 12, -10 ** 12, 10 ** 400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2.7, 0.5, -0.0, 1e308, float("nan"), float("inf")]),
    st.text(max_size=4), st.binary(max_size=4), st.booleans(), st.none(),
    st.lists(st.integers(-3, 3), max_size=3), st.tuples(st.integers(-2, 9), st.integers(-2, 9)),
    st.sampled_from([np.array([]), np.float32("nan"), np.int64(5), 3 + 2j, object(), "２", b"\xff"]),
)


def _a_dataset(data, length=None) -> bool:
    assert isinstance(data, gl.data.TensorDataset)
    assert np.isfinite(data.inputs).all() and len(data.targets) == len(data)
    return length is None or len(data) == length


@FAST
@given(argument=st.sampled_from(["points_per_class", "classes", "noise", "seed"]), value=HOSTILE)
def test_spiral(argument, value):
    def check(data):
        expected = {"points_per_class": value * 3, "classes": value * 100}.get(argument, 300)
        return _a_dataset(data, expected)
    outcome(lambda: gl.data.spiral(**{argument: value}), argument=argument, check=check)


@FAST
@given(argument=st.sampled_from(["n", "noise", "seed"]), value=HOSTILE)
def test_moons(argument, value):
    outcome(lambda: gl.data.moons(**{argument: value}), argument=argument,
            check=lambda data: _a_dataset(data, value if argument == "n" else 200))


@FAST
@given(argument=st.sampled_from(["split", "n", "size", "noise", "seed"]), value=HOSTILE)
def test_shapes(argument, value):
    arguments = {"split": "test", "n": 6, "size": 8, argument: value}

    def check(data):
        return _a_dataset(data, arguments["n"]) and data.inputs.shape[2:] == (arguments["size"],) * 2
    outcome(lambda: gl.data.shapes(**arguments), argument=argument, check=check)


@FAST
@given(value=HOSTILE)
def test_digits_split(value):
    outcome(lambda: gl.data.digits(value), argument="split", check=_a_dataset)


@FAST
@given(argument=st.sampled_from(["targets", "test_fraction", "seed"]), value=HOSTILE)
def test_stratified_split(argument, value):
    arguments = {"targets": np.array([0, 1, 0, 1, 2, 2]), "test_fraction": 0.5, "seed": 0, argument: value}

    def check(result):
        train, test = result
        return sorted(np.concatenate([train, test]).tolist()) == list(range(len(np.asarray(arguments["targets"]))))
    outcome(lambda: gl.data.stratified_split(**arguments), argument=argument, check=check)


# -- the DataLoader --------------------------------------------------------------------------------
@FAST
@given(argument=st.sampled_from(["batch_size", "shuffle", "seed", "drop_last", "transform"]), value=HOSTILE)
def test_dataloader_arguments(argument, value):
    data = gl.data.TensorDataset(np.arange(20.0).reshape(10, 2), np.arange(10))

    def epoch():
        loader = gl.data.DataLoader(data, **{argument: value})
        return loader, [targets.data.tolist() for _, targets in loader]

    def check(result):
        loader, batches = result
        seen = sorted(sum(batches, []))
        return seen == list(range(10)) or (loader.drop_last and len(seen) == len(loader) * loader.batch_size)
    outcome(epoch, argument=argument, check=check)


@FAST
@given(value=HOSTILE)
def test_dataloader_dataset(value):
    outcome(lambda: gl.data.DataLoader(value), argument="dataset", check=lambda loader: len(loader) >= 1)


@FAST
@given(arrays=st.lists(hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                                         max_side=4)), min_size=0, max_size=3))
def test_tensor_dataset_of_any_arrays(arrays):
    def check(data):
        return len(data) == len(arrays[0]) and all(len(array) == len(data) for array in data.arrays)
    outcome(lambda: gl.data.TensorDataset(*arrays), argument=("TensorDataset", "array"), check=check)


@FAST
@given(index=HOSTILE)
def test_dataset_and_subset_indexing(index):
    data = gl.data.TensorDataset(np.arange(5.0), np.arange(5))
    outcome(lambda: data[index], argument="index", check=lambda item: item[1] == np.arange(5)[index])
    outcome(lambda: gl.data.Subset(data, index), argument="indices", check=lambda subset: len(subset) >= 0)
    outcome(lambda: data.split(index), argument="fraction", check=lambda parts: sum(map(len, parts)) == 5)


# -- transforms ------------------------------------------------------------------------------------
_BUILDERS = {
    "RandomCrop.size": lambda value: T.RandomCrop(value),
    "RandomCrop.padding": lambda value: T.RandomCrop(4, padding=value),
    "Cutout.size": lambda value: T.Cutout(value),
    "Cutout.p": lambda value: T.Cutout(2, p=value),
    "RandomHorizontalFlip.p": lambda value: T.RandomHorizontalFlip(value),
    "Normalize.mean": lambda value: T.Normalize(value, 1.0),
    "Normalize.std": lambda value: T.Normalize(0.0, value),
    "Compose.transforms": lambda value: T.Compose(value),
}


@FAST
@given(which=st.sampled_from(sorted(_BUILDERS)), value=HOSTILE)
def test_transform_arguments(which, value):
    images = np.random.default_rng(0).random((3, 1, 6, 6)).astype(np.float32)

    def build_and_apply():
        return _BUILDERS[which](value)(images, np.random.default_rng(1))

    def check(result):
        if which == "RandomCrop.size":
            side = (value, value) if np.ndim(value) == 0 else tuple(value)
            return result.shape == (3, 1) + side
        if which == "RandomCrop.padding":
            return result.shape == (3, 1, 4, 4)
        return result.shape == images.shape
    outcome(build_and_apply, argument=which.split(".")[1], check=check)


@FAST
@given(images=hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=5)),
       transform=st.sampled_from([T.RandomCrop(3, padding=1), T.Cutout(2), T.RandomHorizontalFlip(),
                                  T.Normalize(0.5, 2.0), T.Compose([T.RandomHorizontalFlip(), T.Cutout(1)])]),
       rng=st.one_of(st.none(), st.just(np.random.default_rng(0)), HOSTILE))
def test_transforms_on_any_images(images, transform, rng):
    def check(result):
        return result.shape[-2:] in ((3, 3), images.shape[-2:]) and result.ndim == images.ndim
    outcome(lambda: transform(images, rng), argument=("images", "rng"), check=check)


@FAST
@given(argument=st.sampled_from(["images", "labels", "num_classes", "alpha", "rng"]), value=HOSTILE)
def test_mixup(argument, value):
    arguments = {"images": np.random.default_rng(0).random((4, 1, 2, 2)), "labels": np.array([0, 1, 2, 1]),
                 "num_classes": 3, "alpha": 0.4, "rng": np.random.default_rng(0), argument: value}

    def check(result):
        mixed, targets = result
        return targets.shape == (len(mixed), arguments["num_classes"]) and np.allclose(targets.sum(axis=1), 1)
    outcome(lambda: gl.data.mixup(**arguments), argument=argument, check=check)


@FAST
@given(labels=st.one_of(HOSTILE, hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(max_dims=2, max_side=4))),
       num_classes=st.one_of(st.integers(1, 5), HOSTILE))
def test_one_hot(labels, num_classes):
    def check(result):
        return result.shape == np.shape(labels) + (num_classes,) and (result.sum(axis=-1) == 1).all()
    outcome(lambda: gl.data.one_hot(labels, num_classes), argument=("labels", "num_classes"), check=check)


# -- readers: hostile arguments and hostile files ------------------------------------------------------
@FAST
@given(reader=st.sampled_from([gl.data.mnist, gl.data.fashion_mnist, gl.data.cifar10, gl.data.read_idx]),
       path=HOSTILE, split=st.one_of(st.sampled_from(["train", "test"]), HOSTILE))
def test_reader_arguments(reader, path, split):
    call = (lambda: reader(path)) if reader is gl.data.read_idx else (lambda: reader(path, split))
    outcome(call, argument=("path", "split", "missing", "no file"), check=lambda result: False)


def _idx_header(type_byte, shape) -> bytes:
    return bytes([0, 0, type_byte, len(shape)]) + b"".join(
        int(size).to_bytes(4, "big", signed=True) for size in shape)


IDX_FILES = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda type_byte, shape, body: _idx_header(type_byte, shape) + body,
              st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07, 0xFF]),
              st.lists(st.integers(-3, 2 ** 31 - 1) | st.integers(0, 4), max_size=4), st.binary(max_size=64)),
)


@FAST
@given(content=IDX_FILES, compress=st.booleans(), damage=st.integers(0, 40))
def test_read_idx_of_hostile_files(tmp_path_factory, content, compress, damage):
    folder = tmp_path_factory.mktemp("idx")
    name = "data-idx1-ubyte.gz" if compress else "data-idx1-ubyte"
    payload = gzip.compress(content) if compress else content
    payload = payload[:len(payload) - damage] if compress and damage else payload
    (folder / name).write_bytes(payload)
    outcome(lambda: gl.data.read_idx(folder / name), argument=name, check=lambda array: array.size * array.itemsize <=
            len(content))


@FAST
@given(images=IDX_FILES, labels=IDX_FILES)
def test_mnist_of_hostile_files(tmp_path_factory, images, labels):
    folder = tmp_path_factory.mktemp("mnist")
    (folder / "t10k-images-idx3-ubyte").write_bytes(images)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(labels)

    def check(data):
        return data.inputs.shape[1:] == (1, 28, 28) and data.targets.max(initial=0) <= 9
    outcome(lambda: gl.data.mnist(folder, "test"), argument="idx", check=check)


PLAIN = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4), st.binary(max_size=8),
              hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(max_dims=2, max_side=4))),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.binary(max_size=6), children,
                                                                               max_size=3)),
    max_leaves=8)


@FAST
@given(content=st.one_of(
    st.binary(max_size=64),
    st.builds(lambda batch, protocol: pickle.dumps(batch, protocol=protocol), PLAIN, st.integers(0, 5)),
    st.builds(lambda data, labels, protocol: pickle.dumps({b"data": data, b"labels": labels}, protocol=protocol),
              PLAIN, PLAIN, st.integers(0, 5)),
    st.builds(lambda n, labels, cut: pickle.dumps({b"data": np.zeros((n, 3072), np.uint8), b"labels": labels})[:cut],
              st.integers(0, 3), st.lists(st.integers(-1, 11), max_size=3), st.integers(0, 10 ** 6)),
))
def test_cifar10_of_hostile_files(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("cifar")
    (folder / "test_batch").write_bytes(content)
    outcome(lambda: gl.data.cifar10(folder, "test"), argument="test_batch",
            check=lambda data: data.inputs.shape[1:] == (3, 32, 32) and set(data.targets.tolist()) <= set(range(10)))


def test_the_fuzzers_cover_every_builder_and_transform():
    covered = {"spiral", "moons", "shapes", "digits", "stratified_split", "DataLoader", "TensorDataset", "Subset",
               "mixup", "one_hot", "mnist", "fashion_mnist", "cifar10", "read_idx", "Dataset"}
    covered |= {name.split(".")[0] for name in _BUILDERS} | {"Transform"}
    public = set(gl.data.__all__) - {"DataError", "transforms", "SHAPE_CLASSES"}
    public |= {name for name in dir(T) if isinstance(getattr(T, name), type) and issubclass(getattr(T, name), T.Transform)}
    assert public <= covered, sorted(public - covered)
