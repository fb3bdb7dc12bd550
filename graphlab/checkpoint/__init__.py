"""Checkpoints: ``gl.save(obj, path)`` and ``gl.load(path, into=...)`` in ``.npz`` without pickle.

What can be saved: numpy arrays and Tensors (stored as arrays), numbers, strings, None, lists,
tuples and dicts of them, and any object with ``state_dict()`` (modules, optimizers, schedules,
``History``), stored as its state dict. Nothing is pickled: the file is a zip of ``.npy``
arrays plus one JSON manifest (the structure, each array's shape, dtype and SHA-256), and it is
read without pickle, so loading a file never runs code.

* **Atomic writes.** The file is written to a temporary file in the same folder, flushed to
  disk, then renamed over the target (``os.replace``). A crash, Ctrl-C, SIGTERM or a full disk
  mid-write leaves the previous checkpoint as it was (and no temporary file behind; one left by
  a killed process is removed by the next save to the same path). An existing file keeps its
  permissions; a read-only one is never replaced.
* **Checked reads.** The manifest is checked first (its schema, and every array's declared
  shape and dtype against the zip's sizes and the file's size), so a damaged or hostile file is
  refused before anything big is read; then every array is compared with its recorded SHA-256.
  The hashes catch accidents (a truncated copy, a flipped bit, an edit), not attackers: anyone
  can recompute them, so a file from a stranger is safe to load (no code runs, no memory
  blow-up) but its numbers are only as good as its source.
* **All or nothing.** ``load(path, into=model)`` (or ``into={"model": model, "optimizer":
  optimizer}``) first checks every key, shape and dtype against the targets and lists every
  difference; only when everything fits does it copy anything.

>>> import graphlab as gl, tempfile, os
>>> model = gl.nn.Linear(3, 2)
>>> optimizer = gl.optim.Adam(model.parameters(), lr=1e-3)
>>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
>>> _ = gl.save({"model": model, "optimizer": optimizer, "epoch": 3}, path)
>>> other = gl.nn.Linear(3, 2)
>>> checkpoint = gl.load(path, into={"model": other, "optimizer": gl.optim.Adam(other.parameters())})
>>> checkpoint["epoch"], bool((other.weight.data == model.weight.data).all())
(3, True)
>>> gl.load(path, into={"model": gl.nn.Linear(4, 2)})
Traceback (most recent call last):
...
graphlab.checkpoint.CheckpointError: load: ...run.npz does not fit the model (Linear): shape differs: weight is (2, 3) in the file, (2, 4) in the model. Nothing was loaded.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np

from graphlab.errors import GraphlabError

FORMAT = "graphlab-checkpoint"
VERSION = 1
MANIFEST = "__manifest__"
#: how deeply saved containers may nest: far more than any state dict needs, far less than the stack allows
MAX_DEPTH = 100
#: the largest integer saved as a number (a bigger one would not read back from JSON)
_MAX_INT_BITS = 1024

__all__ = ["CheckpointError", "Saved", "load", "read", "restore", "save"]


class CheckpointError(GraphlabError, ValueError):
    """A checkpoint that cannot be written or read, or that does not fit what it is loaded into."""


def _path(path, where: str) -> Path:
    """``path`` as a Path; a clear error for what cannot name a file."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a file name (a str or pathlib.Path), got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str):
        text = os.fsdecode(text)
    if not text or "\0" in text:
        raise CheckpointError(f"{where}: path {text!r} is not a file name" + (" (it holds a NUL character)" if text else ""))
    return Path(text)


# -- encoding: Python structure <-> JSON tree + named arrays -------------------------------------
class _Encoder:
    def __init__(self):
        self.arrays: "OrderedDict[str, np.ndarray]" = OrderedDict()

    def array(self, value) -> dict:
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise CheckpointError(f"save: cannot store an array of dtype {array.dtype}; checkpoints hold numeric "
                                  f"and boolean arrays only (nothing is pickled)")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.array(array, order="C", copy=True)       # (ascontiguousarray makes 0-d 1-d)
        return {"__array__": key}

    def scalar(self, value, where: str):
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise CheckpointError(f"save: the integer at {where} has {value.bit_length()} bits; checkpoints store "
                                  f"integers up to {_MAX_INT_BITS} bits (save a numpy array or a string)")
        if isinstance(value, np.generic):
            if value.dtype.kind == "c":
                return self.array(value)
            if value.dtype.kind not in "biuf":
                raise CheckpointError(f"save: cannot store a numpy {value.dtype} scalar at {where}; checkpoints hold "
                                      f"numbers, strings and numeric arrays")
            return value.item()
        return value

    def encode(self, value, where: str, depth: int = 0):
        from graphlab.autodiff.tensor import Tensor
        if depth > MAX_DEPTH:
            raise CheckpointError(f"save: {where} is nested more than {MAX_DEPTH} levels deep (or contains itself); "
                                  f"checkpoints hold shallower structures")
        if value is None or isinstance(value, (bool, str, int, float, np.generic)):
            return self.scalar(value, where)
        if isinstance(value, (np.ndarray, Tensor)):
            return self.array(value.data if isinstance(value, Tensor) else value)
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise CheckpointError(f"save: dict key {key!r} at {where} is a {type(key).__name__}; "
                                          f"use strings or integers")
                items.append([self.scalar(key, where), self.encode(item, f"{where}[{key!r}]", depth + 1)])
            return {"__dict__": items}
        if isinstance(value, (list, tuple)):
            kind = "__list__" if isinstance(value, list) else "__tuple__"
            return {kind: [self.encode(item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value)]}
        if hasattr(value, "state_dict") and callable(value.state_dict):
            return {"__state__": self.encode(value.state_dict(), f"{where}.state_dict()", depth + 1),
                    "class": type(value).__name__}
        raise CheckpointError(f"save: cannot store {type(value).__name__} at {where}; checkpoints hold arrays, "
                              f"Tensors, numbers, strings, lists, dicts and objects with state_dict() "
                              f"(modules, optimizers, schedules)")


def _decode(node, arrays: dict):
    """The saved structure from a manifest tree that ``_check_node`` accepted."""
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__dict__" in node:
            return OrderedDict((key, _decode(value, arrays)) for key, value in node["__dict__"])
        if "__list__" in node:
            return [_decode(value, arrays) for value in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_decode(value, arrays) for value in node["__tuple__"])
        return Saved(_decode(node["__state__"], arrays), node["class"])
    return node


class Saved(OrderedDict):
    """The state dict of an object that was saved (a module, an optimizer...); ``saved_class``
    names its class. It is an ordinary dict: pass it to ``load_state_dict`` yourself if you like."""

    def __init__(self, state, saved_class: str):
        super().__init__(state.items() if isinstance(state, dict) else state)
        self.saved_class = saved_class


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(array.tobytes(order="C")).hexdigest()


def _manifest_checksum(manifest: dict) -> str:
    """A hash of the manifest: it catches accidental edits and damage, not deliberate ones."""
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# -- writing --------------------------------------------------------------------------------------
def save(obj, path) -> Path:
    """Write ``obj`` to ``path`` (an ``.npz`` file) atomically; returns the path."""
    from graphlab import __version__
    from graphlab.checkpoint.atomic import write_atomically
    target = _path(path, "save")
    encoder = _Encoder()
    root = encoder.encode(obj, "the object")
    manifest = {"format": FORMAT, "version": VERSION, "graphlab": __version__, "root": root,
                "arrays": {key: {"shape": list(array.shape), "dtype": array.dtype.str, "sha256": _digest(array)}
                           for key, array in encoder.arrays.items()}}
    manifest["checksum"] = _manifest_checksum(manifest)
    payload = json.dumps(manifest).encode("utf-8")
    # _write_npz is looked up at call time, so tests can make it fail mid-write
    return write_atomically(target, lambda handle: _write_npz(handle, encoder.arrays, payload),
                            error=CheckpointError, where="save")


def _write_npz(handle, arrays: dict, payload: bytes) -> None:
    """np.savez's layout (one .npy per array in an uncompressed zip), written entry by entry."""
    import zipfile
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        entries = [(MANIFEST, np.frombuffer(payload, dtype=np.uint8))] + list(arrays.items())
        for name, array in entries:
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# -- reading --------------------------------------------------------------------------------------
def read(path) -> tuple:
    """(manifest, arrays) of a checkpoint file: the manifest checked first, then every array
    checked against it (shape, dtype, size in the zip, SHA-256) before it is returned."""
    from graphlab.checkpoint.reading import read_checkpoint
    return read_checkpoint(_path(path, "load"))


def load(path, into=None):
    """Read a checkpoint; returns what was saved (arrays as numpy arrays, saved objects as their
    state dicts). ``into``: a module/optimizer/schedule (for a checkpoint of that one object) or
    a dict {key: object} for the entries of a saved dict; they are loaded all or nothing."""
    _check_into(into)
    manifest, arrays = read(path)
    result = _decode(manifest["root"], arrays)
    if into is not None:
        restore(result, into, path)
    return result


def _check_into(into) -> None:
    targets = into.values() if isinstance(into, dict) else [] if into is None else [into]
    for target in targets:
        if not callable(getattr(target, "load_state_dict", None)):
            raise TypeError(f"load: into= takes a module, optimizer or schedule (anything with load_state_dict), "
                            f"or a dict of them; got {type(target).__name__}")


# -- loading into objects, all or nothing ---------------------------------------------------------
def _module_problems(state: dict, module) -> list:
    targets = OrderedDict(module.named_parameters())
    targets.update(module.named_buffers())
    problems = []
    missing = [name for name in targets if name not in state]
    unexpected = [name for name in state if name not in targets]
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    for name, tensor in targets.items():
        if name not in state:
            continue
        value = state[name]
        if not isinstance(value, np.ndarray):
            problems.append(f"{name} is a {type(value).__name__} in the file, not an array")
        elif value.shape != tensor.shape:
            problems.append(f"shape differs: {name} is {value.shape} in the file, {tensor.shape} in the model")
        elif value.dtype != tensor.dtype:
            problems.append(f"dtype differs: {name} is {value.dtype} in the file, {tensor.dtype} in the model")
    return problems


def _problems(saved, target) -> list:
    from graphlab.nn.module import Module
    from graphlab.optim.base import Optimizer, OptimizerError
    if not isinstance(saved, Saved):
        return [f"the file holds a {type(saved).__name__} here, not a saved object's state"]
    if isinstance(target, Module):
        return _module_problems(saved, target)
    if isinstance(target, Optimizer):
        if saved.saved_class != type(target).__name__:
            return [f"the file holds the state of a {saved.saved_class}, not of a {type(target).__name__}"]
        try:
            target._check_state_dict(dict(saved))
        except OptimizerError as error:
            return [str(error)]
        return []
    if not hasattr(target, "load_state_dict"):
        return [f"{type(target).__name__} has no load_state_dict"]
    if saved.saved_class != type(target).__name__:
        return [f"the file holds the state of a {saved.saved_class}, not of a {type(target).__name__}"]
    return []


def restore(saved, into, path="the checkpoint") -> None:
    """Load ``saved`` (what ``load`` returned) into objects: check everything, then copy."""
    pairs = [("the object", saved, into)] if not isinstance(into, dict) else []
    if isinstance(into, dict):
        if not isinstance(saved, dict) or isinstance(saved, Saved):
            raise CheckpointError(f"load: {path} holds one saved object, not a dict; pass into=the object")
        absent = [key for key in into if key not in saved]
        if absent:
            raise CheckpointError(f"load: {path} has no entries {absent}; it has {list(saved)}. Nothing was loaded.")
        pairs = [(key, saved[key], target) for key, target in into.items()]
    messages = []
    for key, value, target in pairs:
        problems = _problems(value, target)
        if problems:
            label = f"the {key}" if key != "the object" else "the object"
            messages.append(f"{path} does not fit {label} ({type(target).__name__}): {'; '.join(problems)}")
    if messages:
        raise CheckpointError("load: " + " | ".join(messages) + ". Nothing was loaded.")
    for _, value, target in pairs:
        target.load_state_dict(value)
