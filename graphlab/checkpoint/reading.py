"""Reading a checkpoint file that may be damaged or hostile: check everything before reading much.

The order matters. The manifest (a small JSON member) is read first and its schema checked:
wrong types, missing keys and nesting deeper than ``MAX_DEPTH`` are a ``CheckpointError``, not a
``KeyError`` or ``RecursionError`` later. Then every array's declared shape and dtype is compared
with the zip's record of its member (stored uncompressed, as ``gl.save`` writes it, and exactly
header + shape x itemsize bytes long) and with the size of the file itself, so a zip bomb or a
member declaring shape (10**12,) is refused before a byte of it is read. Only then are the arrays
read, each compared with its SHA-256 (which catches accidents, not attackers).
"""
from __future__ import annotations

import json
import math
import re
import zipfile
from pathlib import Path

import numpy as np

from graphlab.checkpoint import (FORMAT, MANIFEST, MAX_DEPTH, VERSION, CheckpointError, _digest,
                                 _manifest_checksum)

#: a manifest larger than this is not one gl.save wrote (it holds names and hashes, not numbers)
_MAX_MANIFEST_BYTES = 64 * 2 ** 20
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ARRAY_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_DTYPE = re.compile(r"[<>|=]?[biufc][0-9]{1,2}")
_CHUNK = 16 * 2 ** 20
_NPY_MAGIC = b"\x93NUMPY"


class _Malformed(Exception):
    """Something in the file that gl.save never writes; ``read_checkpoint`` turns it into a CheckpointError."""


def _broken(path, why: str) -> CheckpointError:
    return CheckpointError(f"load: {path} {why}. gl.save writes atomically, so a damaged file comes from a copy, "
                           f"an edit or the disk; use an earlier checkpoint")


def read_checkpoint(path: Path) -> tuple:
    """(manifest, arrays) of the checkpoint at ``path``; any problem is a CheckpointError."""
    try:
        is_file, is_dir = path.is_file(), path.is_dir()
    except OSError as error:                         # a name too long for the file system, say
        raise CheckpointError(f"load: cannot read {path}: {error.strerror or error}") from None
    if not is_file:
        raise CheckpointError(f"load: no checkpoint at {path}" + (" (it is a folder)" if is_dir else ""))
    _check_magic(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            manifest = _read_manifest(archive, members)
            _check_manifest(manifest, path)
            file_size = path.stat().st_size
            _check_members(manifest["arrays"], members, file_size)
            arrays = {key: _read_array(archive, members[f"{key}.npy"], info, file_size)
                      for key, info in manifest["arrays"].items()}
    except CheckpointError:
        raise
    except _Malformed as problem:
        raise _broken(path, str(problem)) from None
    except (Exception, RecursionError) as error:     # zip, npy header or JSON damage of any kind
        raise _broken(path, f"is truncated or corrupt ({type(error).__name__}: {error})") from None
    return manifest, arrays


def _check_magic(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            start = handle.read(8)
    except OSError as error:
        raise CheckpointError(f"load: cannot read {path}: {error.strerror or error}") from None
    if start.startswith(_NPY_MAGIC):
        raise CheckpointError(f"load: {path} is a plain .npy array (np.save), not a checkpoint (gl.save writes an "
                              f".npz with a manifest); read it with np.load({str(path)!r})")
    if not start.startswith(b"PK"):
        raise CheckpointError(f"load: {path} is not a graphlab checkpoint (not a zip archive; gl.save writes .npz)")


def _members(archive: zipfile.ZipFile) -> dict:
    members = {}
    for info in archive.infolist():
        if info.filename in members:
            raise _Malformed(f"has been tampered with: the zip holds {info.filename} twice")
        members[info.filename] = info
    return members


def _read_manifest(archive: zipfile.ZipFile, members: dict):
    info = members.get(f"{MANIFEST}.npy")
    if info is None:
        raise _Malformed("is an .npz file but not a graphlab checkpoint (no manifest)")
    if info.file_size > _MAX_MANIFEST_BYTES:
        raise _Malformed(f"has a manifest of {info.file_size:,} bytes, more than any checkpoint's")
    raw = _read_member(archive, info, info.file_size, expected=None)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Malformed(f"has a manifest stored as {raw.dtype} {raw.shape}, not as bytes")
    try:
        return json.loads(raw.tobytes().decode("utf-8"))
    except RecursionError:
        raise _Malformed("has a manifest nested too deeply to be one gl.save wrote") from None
    except ValueError as error:                      # JSON syntax, UTF-8, a number too long
        raise _Malformed(f"has a manifest that is not valid JSON ({error})") from None


# -- the manifest's schema -----------------------------------------------------------------------
def _check_manifest(manifest, path) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _broken(path, "is not a graphlab checkpoint (its manifest has another format)")
    version = manifest.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(f"load: {path} has checkpoint format version {version!r}; this graphlab "
                              f"reads version {VERSION}")
    for key, kind in (("graphlab", str), ("arrays", dict), ("checksum", str)):
        if not isinstance(manifest.get(key), kind):
            raise _Malformed(f"has a malformed manifest: {key!r} is missing or not a {kind.__name__}")
    if "root" not in manifest:
        raise _Malformed("has a malformed manifest: 'root' is missing")
    _check_node(manifest["root"], manifest["arrays"], 0)          # bounded depth before hashing it
    if manifest["checksum"] != _manifest_checksum(manifest):
        raise _Malformed("has been tampered with: its manifest does not match its checksum")
    for key, info in manifest["arrays"].items():
        _check_array_entry(key, info)


def _check_array_entry(key: str, info) -> None:
    if not _ARRAY_KEY.fullmatch(key) or key == MANIFEST:
        raise _Malformed(f"has a malformed manifest: array name {key[:80]!r}")
    if not isinstance(info, dict) or set(info) != {"shape", "dtype", "sha256"}:
        raise _Malformed(f"has a malformed manifest: array {key} needs exactly shape, dtype and sha256")
    shape, dtype, digest = info["shape"], info["dtype"], info["sha256"]
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(type(size) is int and size >= 0 for size in shape)):
        raise _Malformed(f"has a malformed manifest: array {key} has shape {str(shape)[:80]}")
    if not isinstance(dtype, str) or not _DTYPE.fullmatch(dtype):
        raise _Malformed(f"has a malformed manifest: array {key} has dtype {str(dtype)[:80]!r}")
    try:
        np.dtype(dtype)
    except TypeError:
        raise _Malformed(f"has a malformed manifest: array {key} has dtype {dtype!r}") from None
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise _Malformed(f"has a malformed manifest: array {key} has no SHA-256")


def _bad_node(where: str, why: str) -> _Malformed:
    return _Malformed(f"has a malformed manifest: {why} at {where}")


def _check_node(node, arrays: dict, depth: int, where: str = "root") -> None:
    """The tree gl.save writes: plain JSON values, or one-key dicts naming an array or a container."""
    if depth > MAX_DEPTH:
        raise _bad_node(where, f"nesting deeper than {MAX_DEPTH} levels")
    if node is None or isinstance(node, (bool, int, float, str)):
        return
    if not isinstance(node, dict):
        raise _bad_node(where, f"a bare {type(node).__name__}")
    keys = set(node)
    if keys == {"__array__"}:
        if not isinstance(node["__array__"], str) or node["__array__"] not in arrays:
            raise _bad_node(where, f"an array {str(node['__array__'])[:80]!r} that the manifest does not list")
    elif keys in ({"__list__"}, {"__tuple__"}):
        items = node.get("__list__", node.get("__tuple__"))
        if not isinstance(items, list):
            raise _bad_node(where, "a list that is not a list")
        for index, item in enumerate(items):
            _check_node(item, arrays, depth + 1, f"{where}[{index}]")
    elif keys == {"__dict__"}:
        _check_pairs(node["__dict__"], arrays, depth, where)
    elif keys == {"__state__", "class"}:
        state = node["__state__"]
        if not isinstance(node["class"], str) or not isinstance(state, dict) or set(state) != {"__dict__"}:
            raise _bad_node(where, "a saved object without a class name and a dict of state")
        _check_pairs(state["__dict__"], arrays, depth + 1, f"{where}.state")
    else:
        raise _bad_node(where, f"an unknown entry {sorted(map(str, keys))[:5]}")


def _check_pairs(pairs, arrays: dict, depth: int, where: str) -> None:
    if not isinstance(pairs, list):
        raise _bad_node(where, "a dict that is not a list of [key, value] pairs")
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], (str, int)) or isinstance(pair[0], bool):
            raise _bad_node(where, "a dict entry that is not a [str or int key, value] pair")
        _check_node(pair[1], arrays, depth + 1, f"{where}[{pair[0]!r}]"[:200])


# -- the members, against the manifest and the file ---------------------------------------------
def _nbytes(info: dict) -> int:
    return math.prod(info["shape"]) * np.dtype(info["dtype"]).itemsize


def _check_members(recorded: dict, members: dict, file_size: int) -> None:
    expected = {f"{key}.npy" for key in recorded} | {f"{MANIFEST}.npy"}
    if set(members) != expected:
        missing = sorted(name[:-4] for name in expected - set(members))
        extra = sorted(name[:80] for name in set(members) - expected)[:10]
        raise _Malformed(f"has been tampered with: arrays missing {missing}, unexpected {extra}")
    declared = sum(_nbytes(info) for info in recorded.values())
    if declared > file_size:
        raise _Malformed(f"has been tampered with: its manifest declares {declared:,} bytes of arrays but the "
                         f"file holds {file_size:,}")
    for key, info in recorded.items():
        member = members[f"{key}.npy"]
        if member.compress_type != zipfile.ZIP_STORED:
            raise _Malformed(f"holds array {key} compressed; gl.save stores arrays uncompressed (a re-packed or "
                             f"crafted file)")
        if member.compress_size != member.file_size or member.header_offset + member.file_size > file_size:
            raise _Malformed(f"has been tampered with: the zip's sizes for array {key} do not fit the file")
        if not _nbytes(info) < member.file_size <= _nbytes(info) + 2 ** 16:
            raise _Malformed(f"has been tampered with: array {key} takes {member.file_size:,} bytes in the zip, "
                             f"not the {_nbytes(info):,} of {info['dtype']} {tuple(info['shape'])} and a header")


def _read_member(archive, member: zipfile.ZipInfo, file_size: int, expected) -> np.ndarray:
    """Read one .npy member whose header must say ``expected`` (shape tuple, dtype) if given."""
    if member.compress_type != zipfile.ZIP_STORED or member.compress_size != member.file_size:
        raise _Malformed(f"holds {member.filename} compressed; gl.save stores members uncompressed")
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise _Malformed(f"holds {member.filename} in .npy version {version}")
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = reader(stream)
        if fortran_order or dtype.hasobject or dtype.kind not in "biufc":
            raise _Malformed(f"holds {member.filename} as {dtype} (fortran order {fortran_order}), not as gl.save "
                             f"writes it")
        if expected is not None and (shape, dtype.str) != expected:
            raise _Malformed(f"has been tampered with: {member.filename} differs from what was saved "
                             f"({expected[1]} {expected[0]} -> {dtype.str} {shape})")
        nbytes = math.prod(shape) * dtype.itemsize
        if stream.tell() + nbytes != member.file_size:
            raise _Malformed(f"has been tampered with: {member.filename} holds {member.file_size - stream.tell():,} "
                             f"bytes of data, its header says {nbytes:,}")
        array = np.empty(shape, dtype=dtype)
        _read_exactly(stream, array.reshape(-1).view(np.uint8), member.filename)
    return array


def _read_exactly(stream, buffer: np.ndarray, name: str) -> None:
    for start in range(0, buffer.size, _CHUNK):
        chunk = stream.read(min(_CHUNK, buffer.size - start))
        if len(chunk) != min(_CHUNK, buffer.size - start):
            raise _Malformed(f"is truncated: {name} ends early")
        buffer[start:start + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
    stream.read(1)                                   # reach the end, where zipfile checks the CRC


def _read_array(archive, member: zipfile.ZipInfo, info: dict, file_size: int) -> np.ndarray:
    array = _read_member(archive, member, file_size, (tuple(info["shape"]), info["dtype"]))
    if _digest(array) != info["sha256"]:
        key = member.filename[:-4]
        raise _Malformed(f"has been tampered with: array {key} differs from what was saved "
                         f"({info['dtype']} {tuple(info['shape'])}: its bytes do not match their SHA-256)")
    return array
