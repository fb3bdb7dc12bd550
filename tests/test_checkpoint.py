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
