"""gl.save / gl.load: round trips, all-or-nothing loading, damaged files, atomic writes."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab import checkpoint
from graphlab.checkpoint import CheckpointError


def _trained_cnn(seed=0, steps=3):
    gl.manual_seed(seed)
    model = gl.nn.models.SmallCNN(in_channels=1, num_classes=10, image_size=8)
    optimizer = gl.optim.Adam(model.parameters(), lr=1e-2)
    data = gl.data.digits("train")
    for images, labels in gl.data.DataLoader(data, batch_size=32, shuffle=True, seed=seed):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps -= 1
        if steps == 0:
            break
    return model, optimizer


def _snapshot(model):
    return {name: value.copy() for name, value in model.state_dict().items()}


def test_round_trip_restores_identical_predictions_and_training(tmp_path):
    model, optimizer = _trained_cnn()
    path = gl.save({"model": model, "optimizer": optimizer, "epoch": 7, "note": "digits", "lrs": [0.1, 0.01]},
                   tmp_path / "run.npz")
    images = gl.tensor(gl.data.digits("test").inputs[:50])
    model.eval()
    expected = model(images).data

    gl.manual_seed(123)                                       # a different initialization
    other = gl.nn.models.SmallCNN(in_channels=1, num_classes=10, image_size=8)
    other_optimizer = gl.optim.Adam(other.parameters(), lr=0.5)
    loaded = gl.load(path, into={"model": other, "optimizer": other_optimizer})
    assert loaded["epoch"] == 7 and loaded["note"] == "digits" and loaded["lrs"] == [0.1, 0.01]
    other.eval()
    np.testing.assert_array_equal(other(images).data, expected)
    assert other_optimizer.lr == 1e-2

    # the next training step is the same too (Adam's moments and step counts came back)
    for net, opt in ((model, optimizer), (other, other_optimizer)):
        net.train()
        loss = F.cross_entropy(net(images), np.arange(50) % 10)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for (name, ours), theirs in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


def test_plain_values_and_a_bare_module(tmp_path):
    values = {"array": np.arange(6, dtype=np.int16).reshape(2, 3), "tensor": gl.tensor([1.5, 2.5]),
              "nested": {3: (1, 2.5, None, True), "text": "ü"}, "nan": float("nan"), "bool": np.bool_(True)}
    loaded = gl.load(gl.save(values, tmp_path / "values.npz"))
    assert loaded["array"].dtype == np.int16 and loaded["array"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert loaded["tensor"].tolist() == [1.5, 2.5] and loaded["nested"][3] == (1, 2.5, None, True)
    assert loaded["nested"]["text"] == "ü" and np.isnan(loaded["nan"]) and loaded["bool"] is True
    model = gl.nn.Linear(3, 2)
    gl.save(model, tmp_path / "linear.npz")
    fresh = gl.nn.Linear(3, 2)
    gl.load(tmp_path / "linear.npz", into=fresh)
    np.testing.assert_array_equal(fresh.weight.data, model.weight.data)
    state = gl.load(tmp_path / "linear.npz")
    assert list(state) == ["weight", "bias"] and state.saved_class == "Linear"


def test_mismatch_lists_every_difference_and_loads_nothing(tmp_path):
    model, optimizer = _trained_cnn()
    path = gl.save({"model": model, "optimizer": optimizer}, tmp_path / "run.npz")
    gl.manual_seed(5)
    wider = gl.nn.models.SmallCNN(in_channels=1, num_classes=3, image_size=8)     # head differs only
    before = _snapshot(wider)
    wider_optimizer = gl.optim.Adam(wider.parameters(), lr=0.5)
    with pytest.raises(CheckpointError) as error:
        gl.load(path, into={"model": wider, "optimizer": wider_optimizer})
    message = str(error.value)
    assert "shape differs: head.1.weight is (10, 64) in the file, (3, 64) in the model" in message
    assert "head.1.bias is (10,) in the file, (3,) in the model" in message
    assert "Nothing was loaded" in message
    for name, value in wider.state_dict().items():             # not even the matching conv layers
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    assert wider_optimizer.lr == 0.5 and not wider_optimizer.state

    double = gl.nn.models.SmallCNN(in_channels=1, num_classes=10, image_size=8).double()
    with pytest.raises(CheckpointError, match="dtype differs: features.0.weight is float32 in the file, float64"):
        gl.load(path, into={"model": double})
    with pytest.raises(CheckpointError, match=r"missing keys \['extra.weight', 'extra.bias'\]"):
        extended = gl.nn.models.SmallCNN(in_channels=1, num_classes=10, image_size=8)
        extended.extra = gl.nn.Linear(2, 2)
        gl.load(path, into={"model": extended})
    with pytest.raises(CheckpointError, match="holds the state of a Adam, not of a SGD"):
        gl.load(path, into={"optimizer": gl.optim.SGD(model.parameters(), lr=0.1)})
    with pytest.raises(CheckpointError, match=r"has no entries \['scheduler'\]"):
        gl.load(path, into={"scheduler": gl.optim.schedules.Constant(optimizer)})


def test_truncated_file_is_a_clear_error(tmp_path):
    model, _ = _trained_cnn(steps=1)
    path = gl.save({"model": model}, tmp_path / "run.npz")
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        damaged = tmp_path / f"cut{cut}.npz"
        damaged.write_bytes(data[:cut])
        target = gl.nn.models.SmallCNN(in_channels=1, num_classes=10, image_size=8)
        before = _snapshot(target)
        with pytest.raises(CheckpointError, match="is truncated or corrupt"):
            gl.load(damaged, into={"model": target})
        for name, value in target.state_dict().items():
            np.testing.assert_array_equal(value, before[name])


def _rewrite(path, change):
    """Rebuild the zip with ``change(name, bytes) -> bytes`` applied to every member."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members:
            archive.writestr(name, change(name, payload))


def test_tampered_arrays_and_manifest_are_detected(tmp_path):
    model = gl.nn.Linear(4, 3)
    path = gl.save({"model": model}, tmp_path / "a.npz")

    def flip_weights(name, payload):                  # a valid .npy with other numbers (zip CRCs recomputed)
        if name == "a0.npy":
            array = np.lib.format.read_array(io.BytesIO(payload))
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array + 1)
            return buffer.getvalue()
        return payload
    _rewrite(path, flip_weights)
    with pytest.raises(CheckpointError, match="tampered with: array a0 differs from what was saved"):
        gl.load(path)

    path = gl.save({"model": model}, tmp_path / "b.npz")

    def edit_manifest(name, payload):
        if name == "__manifest__.npy":
            manifest = json.loads(np.lib.format.read_array(io.BytesIO(payload)).tobytes())
            manifest["root"]["__dict__"][0][0] = "renamed"
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8))
            return buffer.getvalue()
        return payload
    _rewrite(path, edit_manifest)
    with pytest.raises(CheckpointError, match="tampered with: its manifest does not match its checksum"):
        gl.load(path)

    raw = tmp_path / "raw.npz"
    np.savez(raw, weights=np.ones(3))
    with pytest.raises(CheckpointError, match="not a graphlab checkpoint"):
        gl.load(raw)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        gl.load(tmp_path / "missing.npz")


def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = gl.nn.Linear(4, 3)
    path = gl.save({"model": model, "epoch": 1}, tmp_path / "run.npz")
    good = path.read_bytes()
    real_write = checkpoint._write_npz

    def interrupted(handle, arrays, payload):
        handle.write(b"PK\x03\x04 half a zip")                        # some bytes reach the disk, then Ctrl-C
        raise KeyboardInterrupt
    monkeypatch.setattr(checkpoint, "_write_npz", interrupted)
    model.weight.data += 1
    with pytest.raises(KeyboardInterrupt):
        gl.save({"model": model, "epoch": 2}, path)
    assert path.read_bytes() == good and gl.load(path)["epoch"] == 1
    assert sorted(os.listdir(tmp_path)) == ["run.npz"]                # no temporary file left behind
    monkeypatch.setattr(checkpoint, "_write_npz", real_write)
    gl.save({"model": model, "epoch": 2}, path)
    assert gl.load(path)["epoch"] == 2


def test_what_cannot_be_saved_is_refused_before_writing(tmp_path):
    with pytest.raises(CheckpointError, match="cannot store object at the object\\['f'\\]"):
        gl.save({"f": object()}, tmp_path / "x.npz")
    with pytest.raises(CheckpointError, match="dtype object"):
        gl.save({"a": np.array([{}, 1], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(CheckpointError, match="dict key"):
        gl.save({(1, 2): 3}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


# -- data loss: permissions, folders, temporary files ---------------------------------------------
import errno
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from graphlab.checkpoint import atomic

ROOT = Path(__file__).resolve().parents[1]


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _hidden(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_a_read_only_checkpoint_is_not_replaced(tmp_path):
    path = gl.save({"epoch": 1}, tmp_path / "run.npz")
    good = path.read_bytes()
    os.chmod(path, 0o444)
    with pytest.raises(CheckpointError, match=r"run\.npz is read-only \(mode 444\); it was not replaced"):
        gl.save({"epoch": 2}, path)
    assert path.read_bytes() == good and _mode(path) == 0o444 and not _hidden(tmp_path)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_an_overwrite_keeps_the_file_mode(tmp_path, mode):
    path = gl.save({"epoch": 1}, tmp_path / "run.npz")
    os.chmod(path, mode)
    gl.save({"epoch": 2}, path)
    assert _mode(path) == mode and gl.load(path)["epoch"] == 2


def test_saving_onto_a_folder_names_the_target(tmp_path):
    folder = tmp_path / "run.npz"
    folder.mkdir()
    with pytest.raises(CheckpointError) as error:
        gl.save({"epoch": 1}, folder)
    assert f"{folder} is a folder" in str(error.value) and ".tmp" not in str(error.value)
    inside_a_file = tmp_path / "file.txt"
    inside_a_file.write_text("keep me")
    with pytest.raises(CheckpointError, match="cannot create the folder .*file.txt for"):
        gl.save({"epoch": 1}, inside_a_file / "run.npz")
    assert inside_a_file.read_text() == "keep me"


def test_a_read_only_folder_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    # root may write anywhere, so the refusal of the folder is simulated where mkstemp fails
    def refused(prefix, suffix, dir):
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(dir, f"{prefix}x{suffix}"))
    monkeypatch.setattr(atomic.tempfile, "mkstemp", refused)
    with pytest.raises(CheckpointError) as error:
        gl.save({"epoch": 1}, tmp_path / "run.npz")
    message = str(error.value)
    assert "could not write" in message and str(tmp_path / "run.npz") in message and ".tmp" not in message
    assert "Permission denied" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(CheckpointError, match="locked/run.npz"):
            gl.save({"epoch": 1}, folder / "run.npz")
    finally:
        os.chmod(folder, 0o755)


def test_a_full_disk_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = gl.nn.Linear(4, 3)
    path = gl.save({"model": model, "epoch": 1}, tmp_path / "run.npz")
    good = path.read_bytes()

    def disk_full(handle, arrays, payload):
        handle.write(b"PK\x03\x04" + bytes(4096))                     # part of the file reaches the disk
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoint, "_write_npz", disk_full)
    with pytest.raises(CheckpointError, match=r"could not write .*run\.npz \(No space left on device\); .* unchanged"):
        gl.save({"model": model, "epoch": 2}, path)
    assert path.read_bytes() == good and gl.load(path)["epoch"] == 1 and not _hidden(tmp_path)


def test_a_later_save_removes_stale_temporary_files_of_its_own(tmp_path):
    path = gl.save({"epoch": 1}, tmp_path / "run.npz")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          timeout=60).stdout.strip()
    stale = [f".run.npz.abcd1234.tmp", f".run.npz.{dead}-xyz.tmp"]          # an older graphlab's, a killed process's
    kept = [f".run.npz.{os.getppid()}-live.tmp", ".other.npz.abcd1234.tmp"]   # a live writer's, another file's
    for name in stale + kept:
        (tmp_path / name).write_bytes(bytes(100))
    gl.save({"epoch": 2}, path)
    assert _hidden(tmp_path) == sorted(kept) and gl.load(path)["epoch"] == 2


_SLOW_SAVE = """
import sys, time
import numpy as np
import graphlab as gl
from graphlab import checkpoint
real = checkpoint._write_npz

def slow(handle, arrays, payload):
    handle.write(b"PK" + bytes(1 << 20))                 # a big checkpoint, part of it written
    handle.flush()
    print("writing", flush=True)
    time.sleep(60)
    real(handle, arrays, payload)

checkpoint._write_npz = slow
gl.save({"weights": np.ones((512, 512)), "epoch": 2}, sys.argv[1])
"""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_killed_during_a_save_the_old_checkpoint_stays_and_no_temporary_file_does(tmp_path, how):
    path = gl.save({"weights": np.zeros((4, 4)), "epoch": 1}, tmp_path / "run.npz")
    good = path.read_bytes()
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-c", _SLOW_SAVE, str(path)], stdout=subprocess.PIPE, text=True,
                               env=environment)
    try:
        assert process.stdout.readline().strip() == "writing"
        assert len(_hidden(tmp_path)) == 1                              # the temporary file, mid-write
        process.send_signal(how)
        assert process.wait(timeout=60) == -how
    finally:
        process.kill()
        process.wait(timeout=60)
    assert path.read_bytes() == good and gl.load(path)["epoch"] == 1
    if how == signal.SIGTERM:
        assert not _hidden(tmp_path)                                    # removed by the SIGTERM handler
    gl.save({"weights": np.zeros((4, 4)), "epoch": 3}, path)            # (kill -9: removed by the next save)
    assert not _hidden(tmp_path) and gl.load(path)["epoch"] == 3


def test_the_sigterm_handler_is_installed_only_while_saving(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def spy(handle, arrays, payload):
        seen.append(signal.getsignal(signal.SIGTERM))
        checkpoint._write_npz.__wrapped__(handle, arrays, payload)
    spy.__wrapped__ = checkpoint._write_npz
    original = checkpoint._write_npz
    checkpoint._write_npz = spy
    try:
        gl.save({"epoch": 1}, tmp_path / "run.npz")
    finally:
        checkpoint._write_npz = original
    assert signal.getsignal(signal.SIGTERM) == before and seen[0] not in (before, signal.SIG_IGN)


# -- reading hostile files --------------------------------------------------------------------------
def test_a_plain_npy_file_is_a_clear_error(tmp_path):
    np.save(tmp_path / "weights.npy", np.ones(3))
    with pytest.raises(CheckpointError, match=r"weights\.npy is a plain \.npy array \(np\.save\), not a checkpoint"):
        gl.load(tmp_path / "weights.npy")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a graphlab checkpoint"):
        gl.load(tmp_path / "notes.txt")
    with pytest.raises(TypeError, match="load: path must be a file name"):
        gl.load(3)


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _manifest_bytes(manifest) -> bytes:
    manifest["checksum"] = checkpoint._manifest_checksum(manifest)    # a crafted file recomputes the hash
    return _npy(np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8))


def _crafted(path, manifest, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("__manifest__.npy", _manifest_bytes(manifest))
        for name, payload in members.items():
            archive.writestr(name, payload, compress_type=compression)
    return path


def _manifest(arrays, root=None):
    return {"format": "graphlab-checkpoint", "version": 1, "graphlab": gl.__version__,
            "root": root if root is not None else {"__dict__": [[key, {"__array__": key}] for key in arrays]},
            "arrays": arrays}


def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path):
    zeros = np.zeros(6_250_000)                                         # 50 MB of zeros, deflated to ~50 kB
    entry = {"shape": [zeros.size], "dtype": zeros.dtype.str, "sha256": checkpoint._digest(zeros)}
    path = _crafted(tmp_path / "bomb.npz", _manifest({"a0": entry}), {"a0.npy": _npy(zeros)}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1_000_000
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match="declares 50,000,000 bytes of arrays but the file holds"):
        gl.load(path)
    assert time.perf_counter() - start < 5
    # a compressed member is refused even when its size fits the file (gl.save never compresses)
    ones = np.random.default_rng(0).random(1000)                      # incompressible: the file is big enough
    entry = {"shape": [ones.size], "dtype": ones.dtype.str, "sha256": checkpoint._digest(ones)}
    path = _crafted(tmp_path / "packed.npz", _manifest({"a0": entry}), {"a0.npy": _npy(ones)}, zipfile.ZIP_DEFLATED)
    with pytest.raises(CheckpointError, match="holds array a0 compressed; gl.save stores arrays uncompressed"):
        gl.load(path)


def test_a_member_declaring_an_absurd_shape_is_refused_without_memory_error(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)})
    entry = {"shape": [10 ** 12], "dtype": "<f8", "sha256": "0" * 64}
    path = _crafted(tmp_path / "huge.npz", _manifest({"a0": entry}), {"a0.npy": header.getvalue() + bytes(64)})
    with pytest.raises(CheckpointError, match="declares 8,000,000,000,000 bytes of arrays but the file holds"):
        gl.load(path)
    # the manifest honest about a small array, the member's header lying about its size
    small = {"shape": [8], "dtype": "<f8", "sha256": checkpoint._digest(np.zeros(8))}
    path = _crafted(tmp_path / "liar.npz", _manifest({"a0": small}), {"a0.npy": header.getvalue() + bytes(64)})
    with pytest.raises(CheckpointError, match="tampered with"):
        gl.load(path)


_ENTRY = {"shape": [2], "dtype": "<f8", "sha256": checkpoint._digest(np.zeros(2))}
_MALFORMED = {
    "root is a bare list": lambda m: m.update(root=[1, 2]),
    "array reference is a number": lambda m: m.update(root={"__array__": 5}),
    "array not listed": lambda m: m.update(root={"__array__": "a9"}),
    "dict entry not a pair": lambda m: m.update(root={"__dict__": [[1]]}),
    "dict key is a list": lambda m: m.update(root={"__dict__": [[[1], 2]]}),
    "dict is a string": lambda m: m.update(root={"__dict__": "abc"}),
    "state without class": lambda m: m.update(root={"__state__": {"__dict__": []}}),
    "state is a number": lambda m: m.update(root={"__state__": 3, "class": "Linear"}),
    "unknown entry": lambda m: m.update(root={"__code__": "print(1)"}),
    "two kinds at once": lambda m: m.update(root={"__list__": [], "__tuple__": []}),
    "nested too deep": lambda m: m.update(root=json.loads('{"__list__": [' * 150 + "1" + "]}" * 150)),
    "arrays is a list": lambda m: m.update(arrays=[]),
    "arrays missing": lambda m: m.pop("arrays"),
    "root missing": lambda m: m.pop("root"),
    "version is text": lambda m: m.update(version="1"),
    "version is True": lambda m: m.update(version=True),
    "shape is text": lambda m: m["arrays"]["a0"].update(shape="2"),
    "shape is negative": lambda m: m["arrays"]["a0"].update(shape=[-2]),
    "shape holds floats": lambda m: m["arrays"]["a0"].update(shape=[2.0]),
    "dtype is object": lambda m: m["arrays"]["a0"].update(dtype="|O"),
    "dtype is structured": lambda m: m["arrays"]["a0"].update(dtype=[["x", "<f8"]]),
    "dtype is nonsense": lambda m: m["arrays"]["a0"].update(dtype="<f3"),
    "sha256 missing": lambda m: m["arrays"]["a0"].pop("sha256"),
    "array name escapes": lambda m: m.update(arrays={"../a0": _ENTRY}),
    "array entry is null": lambda m: m["arrays"].update(a0=None),
}


@pytest.mark.parametrize("change", list(_MALFORMED), ids=list(_MALFORMED))
def test_every_malformed_manifest_is_a_checkpoint_error(tmp_path, change):
    manifest = _manifest({"a0": dict(_ENTRY)})
    _MALFORMED[change](manifest)
    path = _crafted(tmp_path / "crafted.npz", manifest, {"a0.npy": _npy(np.zeros(2))})
    with pytest.raises(CheckpointError, match="crafted.npz"):
        gl.load(path)


def test_json_nested_beyond_the_parser_is_a_checkpoint_error(tmp_path):
    payload = ('{"__list__": [' * 100_000 + "1" + "]}" * 100_000).encode()
    with zipfile.ZipFile(tmp_path / "deep.npz", "w") as archive:
        archive.writestr("__manifest__.npy", _npy(np.frombuffer(payload, dtype=np.uint8)))
    with pytest.raises(CheckpointError, match="deep.npz"):
        gl.load(tmp_path / "deep.npz")


def test_saving_what_cannot_be_read_back_is_refused(tmp_path):
    nested = []
    nested.append(nested)
    with pytest.raises(CheckpointError, match="nested more than 100 levels deep"):
        gl.save(nested, tmp_path / "x.npz")
    with pytest.raises(CheckpointError, match="bits"):
        gl.save({"n": 10 ** 5000}, tmp_path / "x.npz")
    with pytest.raises(CheckpointError, match="numpy datetime64.* scalar"):
        gl.save({"t": np.datetime64("2024-01-01")}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_the_docs_never_call_the_hash_tamper_proof():
    for document in [ROOT / "docs" / "training.md", ROOT / "docs" / "architecture.md", ROOT / "README.md",
                     ROOT / "graphlab" / "checkpoint" / "__init__.py", ROOT / "graphlab" / "checkpoint" / "reading.py"]:
        assert "tamper-proof" not in document.read_text(encoding="utf-8").lower(), document
    assert "not attackers" in (ROOT / "docs" / "training.md").read_text(encoding="utf-8")


def test_a_programs_own_sigterm_handler_decides_and_the_write_is_undone(tmp_path, monkeypatch):
    class Stop(Exception):
        pass

    def handler(signum, frame):
        raise Stop()

    def terminated(handle, arrays, payload):
        handle.write(b"PK\x03\x04" + bytes(4096))
        os.kill(os.getpid(), signal.SIGTERM)                           # the program's handler runs here
        time.sleep(10)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        path = gl.save({"epoch": 1}, tmp_path / "run.npz")
        good = path.read_bytes()
        monkeypatch.setattr(checkpoint, "_write_npz", terminated)
        with pytest.raises(Stop):
            gl.save({"epoch": 2}, path)
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert path.read_bytes() == good and not _hidden(tmp_path)
