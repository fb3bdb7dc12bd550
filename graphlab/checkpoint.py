"""Checkpoints: ``gl.save(obj, path)`` and ``gl.load(path, into=...)`` in ``.npz`` without pickle.

What can be saved: numpy arrays and Tensors (stored as arrays), numbers, strings, None, lists,
tuples and dicts of them, and any object with ``state_dict()`` (modules, optimizers, schedules,
``History``), stored as its state dict. Nothing is pickled: the file is a zip of ``.npy``
arrays plus one JSON manifest (the structure, each array's shape, dtype and SHA-256), and it is
read with ``allow_pickle=False``, so loading a file never runs code.

* **Atomic writes.** The file is written to a temporary file in the same folder, flushed to
  disk, then renamed over the target (``os.replace``). A crash or Ctrl-C mid-write leaves the
  previous checkpoint as it was (and no temporary file behind).
* **Checked reads.** A truncated, corrupt or edited file gives a ``CheckpointError`` that says
  so; every array is compared with its recorded hash before anything is returned.
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
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from graphlab.errors import GraphlabError

FORMAT = "graphlab-checkpoint"
VERSION = 1
MANIFEST = "__manifest__"


class CheckpointError(GraphlabError, ValueError):
    """A checkpoint that cannot be written or read, or that does not fit what it is loaded into."""


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

    def encode(self, value, where: str):
        from graphlab.autodiff.tensor import Tensor
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, np.generic):
            return self.array(value) if value.dtype.kind == "c" else value.item()
        if isinstance(value, (np.ndarray, Tensor)):
            return self.array(value.data if isinstance(value, Tensor) else value)
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise CheckpointError(f"save: dict key {key!r} at {where} is a {type(key).__name__}; "
                                          f"use strings or integers")
                items.append([key, self.encode(item, f"{where}[{key!r}]")])
            return {"__dict__": items}
        if isinstance(value, (list, tuple)):
            kind = "__list__" if isinstance(value, list) else "__tuple__"
            return {kind: [self.encode(item, f"{where}[{index}]") for index, item in enumerate(value)]}
        if hasattr(value, "state_dict") and callable(value.state_dict):
            return {"__state__": self.encode(value.state_dict(), f"{where}.state_dict()"),
                    "class": type(value).__name__}
        raise CheckpointError(f"save: cannot store {type(value).__name__} at {where}; checkpoints hold arrays, "
                              f"Tensors, numbers, strings, lists, dicts and objects with state_dict() "
                              f"(modules, optimizers, schedules)")


def _decode(node, arrays: dict):
    if isinstance(node, dict):
        if "__array__" in node:
            return arrays[node["__array__"]]
        if "__dict__" in node:
            return OrderedDict((key, _decode(value, arrays)) for key, value in node["__dict__"])
        if "__list__" in node:
            return [_decode(value, arrays) for value in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_decode(value, arrays) for value in node["__tuple__"])
        if "__state__" in node:
            return Saved(_decode(node["__state__"], arrays), node.get("class", "?"))
        raise CheckpointError(f"load: unknown entry {sorted(node)} in the manifest")
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
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# -- writing --------------------------------------------------------------------------------------
def save(obj, path) -> Path:
    """Write ``obj`` to ``path`` (an ``.npz`` file) atomically; returns the path."""
    from graphlab import __version__
    encoder = _Encoder()
    root = encoder.encode(obj, "the object")
    manifest = {"format": FORMAT, "version": VERSION, "graphlab": __version__, "root": root,
                "arrays": {key: {"shape": list(array.shape), "dtype": array.dtype.str, "sha256": _digest(array)}
                           for key, array in encoder.arrays.items()}}
    manifest["checksum"] = _manifest_checksum(manifest)
    payload = json.dumps(manifest).encode("utf-8")
    path = Path(os.fspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.chmod(temporary, 0o666 & ~_umask())       # mkstemp makes 0600; give it a new file's mode
            _write_npz(handle, encoder.arrays, payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:                    # KeyboardInterrupt too: never leave a half-written file
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(path.parent)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_npz(handle, arrays: dict, payload: bytes) -> None:
    """np.savez's layout (one .npy per array in a zip), written entry by entry."""
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        entries = [(MANIFEST, np.frombuffer(payload, dtype=np.uint8))] + list(arrays.items())
        for name, array in entries:
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# -- reading --------------------------------------------------------------------------------------
def _broken(path, why: str) -> CheckpointError:
    return CheckpointError(f"load: {path} {why}. gl.save writes atomically, so a damaged file comes from a copy, "
                           f"an edit or the disk; use an earlier checkpoint")


def read(path) -> tuple:
    """(manifest, arrays) of a checkpoint file, every array checked against its hash."""
    path = Path(os.fspath(path))
    if not path.is_file():
        raise CheckpointError(f"load: no checkpoint at {path}" + (" (it is a folder)" if path.is_dir() else ""))
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            if MANIFEST not in names:
                raise _broken(path, "is an .npz file but not a graphlab checkpoint (no manifest)")
            manifest = json.loads(archive[MANIFEST].tobytes().decode("utf-8"))
            arrays = {name: archive[name] for name in names - {MANIFEST}}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.LargeZipFile) as error:
        raise _broken(path, f"is truncated or corrupt ({type(error).__name__}: {error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _broken(path, "is not a graphlab checkpoint (its manifest has another format)")
    if manifest.get("version") != VERSION:
        raise CheckpointError(f"load: {path} has checkpoint format version {manifest.get('version')}; this graphlab "
                              f"reads version {VERSION}")
    if manifest.get("checksum") != _manifest_checksum(manifest):
        raise _broken(path, "has been tampered with: its manifest does not match its checksum")
    recorded = manifest["arrays"]
    if set(recorded) != set(arrays):
        missing, extra = sorted(set(recorded) - set(arrays)), sorted(set(arrays) - set(recorded))
        raise _broken(path, f"has been tampered with: arrays missing {missing}, unexpected {extra}")
    for key, info in recorded.items():
        array = arrays[key]
        if list(array.shape) != info["shape"] or array.dtype.str != info["dtype"] or _digest(array) != info["sha256"]:
            raise _broken(path, f"has been tampered with: array {key} differs from what was saved "
                                f"({info['dtype']} {tuple(info['shape'])} -> {array.dtype.str} {array.shape}, or its bytes)")
    return manifest, arrays


def load(path, into=None):
    """Read a checkpoint; returns what was saved (arrays as numpy arrays, saved objects as their
    state dicts). ``into``: a module/optimizer/schedule (for a checkpoint of that one object) or
    a dict {key: object} for the entries of a saved dict; they are loaded all or nothing."""
    manifest, arrays = read(path)
    result = _decode(manifest["root"], arrays)
    if into is not None:
        restore(result, into, path)
    return result


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
        value = np.asarray(state[name])
        if value.shape != tensor.shape:
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
