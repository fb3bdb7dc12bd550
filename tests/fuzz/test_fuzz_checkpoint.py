"""Fuzzing gl.save / gl.load: random structures round-trip; random manifests (checksum recomputed,
as an attacker would), random members, garbage bytes, byte flips and truncations of a real
checkpoint give a CheckpointError naming the file, or a correct load; hostile paths are named."""
import io
import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from outcomes import outcome

import graphlab as gl
from graphlab import checkpoint

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

NUMERIC = st.one_of(hnp.boolean_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
                    hnp.floating_dtypes(), hnp.complex_number_dtypes())
ARRAYS = hnp.arrays(NUMERIC, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(), st.text(max_size=6), ARRAYS),
    lambda children: st.one_of(st.lists(children, max_size=3), st.tuples(children, children),
                               st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-5, 5)), children,
                                               max_size=3)),
    max_leaves=10)


def same(a, b) -> bool:
    """Equal as saved: arrays bit for bit (NaN == NaN), dicts in order, tuples as tuples."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


@FAST
@given(value=VALUES)
def test_anything_saved_loads_back_the_same(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("round") / "x.npz"
    outcome(lambda: gl.load(gl.save(value, path)), argument="x.npz", check=lambda loaded: same(value, loaded))


HOSTILE_PATHS = st.one_of(st.integers(), st.floats(), st.none(), st.booleans(), st.lists(st.text(max_size=2)),
                          st.sampled_from(["", "\0", "a\0b", ".", "/", "/proc/version", "/dev/null", b"\xff\xfe",
                                           "x" * 300, "/nonexistent-root-dir\0/x"]))


@FAST
@given(path=HOSTILE_PATHS)
def test_hostile_paths_are_named(tmp_path_factory, path):
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("paths"))             # a valid odd name (bytes, say) is saved here
    try:
        text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else str(path)
        outcome(lambda: gl.save({"a": 1}, path), argument=("path", text[:50]),
                check=lambda saved: gl.load(saved)["a"] == 1)
        outcome(lambda: gl.load(path), argument=("path", text[:50]), check=lambda loaded: loaded["a"] == 1)
    finally:
        os.chdir(here)


# -- crafted files --------------------------------------------------------------------------------
def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _write_crafted(path, manifest, members, recompute=True):
    if recompute and isinstance(manifest, dict):
        try:
            manifest["checksum"] = checkpoint._manifest_checksum(manifest)
        except (TypeError, ValueError, RecursionError):
            pass
    text = json.dumps(manifest)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__manifest__.npy", _npy(np.frombuffer(text.encode(), dtype=np.uint8)))
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                              st.text(max_size=5)),
                    lambda children: st.one_of(st.lists(children, max_size=3),
                                               st.dictionaries(st.text(max_size=8), children, max_size=3)),
                    max_leaves=12)
KEYS = st.sampled_from(["__array__", "__dict__", "__list__", "__tuple__", "__state__", "class", "x"])
NODES = st.recursive(
    st.one_of(JSON, st.builds(lambda key: {"__array__": key}, st.sampled_from(["a0", "a1", "zz", 5]))),
    lambda children: st.one_of(
        st.builds(lambda items: {"__list__": items}, st.lists(children, max_size=3)),
        st.builds(lambda items: {"__tuple__": items}, st.lists(children, max_size=3)),
        st.builds(lambda pairs: {"__dict__": pairs}, st.lists(st.one_of(
            st.tuples(st.one_of(st.text(max_size=3), st.integers(), st.booleans(), st.none()), children).map(list),
            children), max_size=3)),
        st.builds(lambda state, name: {"__state__": state, "class": name}, children, st.one_of(st.text(max_size=6), JSON)),
        st.dictionaries(KEYS, children, max_size=3)),
    max_leaves=12)
ENTRIES = st.fixed_dictionaries({}, optional={
    "shape": st.one_of(st.lists(st.integers(-2, 5), max_size=3), st.lists(st.sampled_from([10 ** 12, 2 ** 62]),
                                                                         min_size=1, max_size=2), JSON),
    "dtype": st.one_of(st.sampled_from(["<f8", "<f4", "|u1", "|b1", "<c16", "|O", "<U3", "<f3", ">i4"]), JSON),
    "sha256": st.one_of(st.just(checkpoint._digest(np.zeros(2))), st.text(max_size=4), JSON)})


def _reference(node, arrays):
    """What gl.load must return for a manifest it accepts (a plain decoder written for the test)."""
    if isinstance(node, dict):
        (kind, value), *_ = node.items() if "__state__" not in node else [("__state__", node["__state__"])]
        if kind == "__array__":
            return arrays[value]
        if kind == "__dict__":
            return OrderedDict((key, _reference(item, arrays)) for key, item in value)
        if kind == "__list__":
            return [_reference(item, arrays) for item in value]
        if kind == "__tuple__":
            return tuple(_reference(item, arrays) for item in value)
        return OrderedDict((key, _reference(item, arrays)) for key, item in value["__dict__"])
    return node


@FAST
@given(root=NODES, entries=st.dictionaries(st.sampled_from(["a0", "a1", "../a", "__manifest__"]), ENTRIES, max_size=2),
       top=st.dictionaries(st.sampled_from(["format", "version", "graphlab", "arrays", "root", "extra"]), JSON,
                           max_size=2),
       member_arrays=st.dictionaries(st.sampled_from(["a0", "a1", "b"]), st.one_of(
           st.just(np.zeros(2)), hnp.arrays(NUMERIC, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))), max_size=2))
def test_crafted_manifests_are_checkpoint_errors_or_load_right(tmp_path_factory, root, entries, top, member_arrays):
    manifest = {"format": "graphlab-checkpoint", "version": 1, "graphlab": gl.__version__, "root": root,
                "arrays": entries}
    manifest.update(top)
    members = {f"{name}.npy": _npy(array) for name, array in member_arrays.items()}
    path = _write_crafted(tmp_path_factory.mktemp("crafted") / "crafted.npz", manifest, members)
    outcome(lambda: gl.load(path), argument="crafted.npz",
            check=lambda loaded: same(_reference(manifest["root"], member_arrays), _plain(loaded)))


def _plain(value):
    if isinstance(value, checkpoint.Saved):
        return OrderedDict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, dict):
        return OrderedDict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


_GOOD = {}


def _good_checkpoint(tmp_path_factory) -> tuple:
    if not _GOOD:
        model = gl.nn.Linear(3, 2)
        value = {"model": model, "epoch": 7, "history": [0.5, float("nan")], "note": "héllo"}
        path = gl.save(value, tmp_path_factory.mktemp("good") / "good.npz")
        _GOOD.update(raw=path.read_bytes(), loaded=gl.load(path))
    return _GOOD["raw"], _GOOD["loaded"]


@FAST
@given(damage=st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 10 ** 6)),
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(1, 255)), min_size=1,
                                        max_size=4)),
    st.tuples(st.just("garbage"), st.binary(max_size=200)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=50)),
))
def test_damaged_real_checkpoints_are_checkpoint_errors_or_load_right(tmp_path_factory, damage):
    raw, loaded = _good_checkpoint(tmp_path_factory)
    kind, detail = damage
    if kind == "truncate":
        data = raw[:detail % len(raw)]
    elif kind == "flip":
        data = bytearray(raw)
        for position, bits in detail:
            data[position % len(data)] ^= bits
        data = bytes(data)
    elif kind == "garbage":
        data = detail
    else:
        data = raw + detail
    path = tmp_path_factory.mktemp("damaged") / "damaged.npz"
    path.write_bytes(data)
    outcome(lambda: gl.load(path), argument="damaged.npz", check=lambda result: same(_plain(loaded), _plain(result)))


@FAST
@given(into=st.one_of(st.integers(), st.text(max_size=3), st.none(), st.lists(st.integers(), max_size=2),
                      st.sampled_from([gl.nn.Linear(3, 2), gl.nn.Linear(2, 3), object()]),
                      st.dictionaries(st.sampled_from(["model", "nope"]),
                                      st.sampled_from([gl.nn.Linear(3, 2), gl.nn.Linear(4, 2), 3]), max_size=2)))
def test_loading_into_anything(tmp_path_factory, into):
    raw, _ = _good_checkpoint(tmp_path_factory)
    path = tmp_path_factory.mktemp("into") / "good.npz"
    path.write_bytes(raw)
    outcome(lambda: gl.load(path, into=into), argument=("into", "good.npz"), check=lambda result: result["epoch"] == 7)
