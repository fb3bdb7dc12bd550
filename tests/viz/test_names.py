"""One display name per node (``Tensor.label``) in every view, and parameter names from the
module tree (issue 14: "One node, several names", "Parameters have no names in diagrams")."""
import re

import numpy as np
import pytest

import graphlab as gl
from graphlab.viz.graph import GraphView

from viz_graphs import e03, needs_dot


def plain_texts(source: str) -> list:
    """The visible texts of a DOT source's HTML-like labels (tags and &#160; dropped)."""
    return [text.strip() for text in re.split(r"<[^>]*>|&#160;", source.replace("&#160;", " ")) if text.strip()]


def small_cnn_loss():
    model = gl.nn.models.SmallCNN(in_channels=1, num_classes=3, image_size=8)
    images = gl.tensor(np.random.default_rng(0).normal(size=(2, 1, 8, 8)), dtype=np.float32)
    return model, images, gl.functional.cross_entropy(model(images), [0, 2])


# -- one name in every view ---------------------------------------------------------------------------
def test_an_unnamed_node_has_one_name_in_trace_diagram_text_and_focus():
    x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    q = x + y                                             # unnamed: shown as t<id> everywhere
    f = (q * z).named("f")
    name = q.label
    assert name == f"t{q.id}"
    trace = f.backward()
    assert trace.table().splitlines()[3].split()[:2] == ["1", name]
    assert str(trace[0]) == f"f = mul({name}, z): upstream 1 × local (-4, 3) = downstream (-4, 3)"
    assert gl.viz.diagram(f).splitlines()[:2] == [f"f = {name} * z      value -12  grad 1",
                                                  f"├── {name} = x + y  value 3    grad -4"]
    view = GraphView(f)
    assert view.name(q) == view.describe(q).split(" [")[-1].rstrip("]") == name
    assert view.find(name) is q                           # what the views show, focus accepts
    source = gl.draw(f, focus=name).source
    assert f"x + y [{name}]  (add gate: gradient distributor)" in source
    assert not re.search(r">n\d+<", source)               # the per-graph DOT ids are never shown


def test_an_unnamed_output_is_drawn_and_listed_by_its_label():
    x = gl.scalar(3.0, requires_grad=True, name="x")
    square = x * x
    out = square + 1                                      # nobody named the output
    assert re.search(rf'\bout \[label={out.label} ', gl.draw(out).source)
    table = gl.viz.diagram(out, style="table").splitlines()
    assert [row.split()[0] for row in table[1:]] == ["x", square.label, out.label]
    assert table[-1].split()[:4] == [out.label, out.label, "=", f"{square.label}"]


@needs_dot
def test_walk_title_captions_and_frames_use_the_same_names(tmp_path):
    f, nodes = e03()
    walk = gl.walk(f, tmp_path / "walk")
    page = walk.index.read_text(encoding="utf-8")
    assert "<title>Backward walk of f</title>" in page
    trace = gl.backward_steps(f).run()
    assert [frame.node for frame in walk.frames] == [step.node.label for step in trace]
    sum_node = nodes["s"].creator.inputs[0]               # w0 * x0 + w1 * x1, unnamed
    frame = next(frame for frame in walk.frames if frame.node == sum_node.label)
    assert frame.caption[0].startswith(f"Step 6 of 13: w0 * x0 + w1 * x1 [{sum_node.label}]")
    unnamed_root = nodes["s"] * 2
    page = gl.walk(unnamed_root, tmp_path / "w2").index.read_text(encoding="utf-8")
    assert f"<title>Backward walk of {unnamed_root.label}</title>" in page


# -- parameters take their module path -------------------------------------------------------------------
def test_small_cnn_diagram_names_every_parameter_by_its_module_path():
    model, images, loss = small_cnn_loss()
    source = gl.draw(loss).source
    texts = plain_texts(source)
    parameter_names = [name for name, _ in model.named_parameters()]
    assert parameter_names[:2] == ["features.0.weight", "features.0.bias"]
    for name in parameter_names:
        assert name in texts, name
    assert not re.search(r"parameter\s+n\d", " ".join(texts)) and "n10" not in texts
    assert f"constant {images.label}" in " ".join(texts)   # the input: not a parameter, named t<id>


def test_text_view_names_the_input_and_the_parameters():
    model, images, loss = small_cnn_loss()
    text = gl.viz.diagram(loss)
    conv = next(line for line in text.splitlines() if "conv2d(" in line and "features.0.weight" in line)
    assert f"conv2d({images.label}, features.0.weight, features.0.bias)" in conv
    # too wide for a tree at 80 columns: one node a line, its numbers below it
    assert images.label in text.splitlines()                              # the input by name, not its values
    assert "── mean" not in text and not any(line.startswith("mean") for line in text.splitlines())


def test_trace_and_focus_use_the_parameter_names():
    model, images, loss = small_cnn_loss()
    trace = loss.backward()
    labels = [step.node.label for step in trace]
    assert set(name for name, _ in model.named_parameters()) <= set(labels)
    assert GraphView(loss).find("head.1.weight") is model.head[1].weight


def test_user_names_win_and_shared_parameters_keep_the_first_name():
    first = gl.nn.Sequential(gl.nn.Linear(2, 2))
    second = gl.nn.Sequential(gl.nn.ReLU(), first[0])     # the same layer in a second model
    assert [name for name, _ in second.named_parameters()] == ["1.weight", "1.bias"]
    assert first[0].weight.label == "0.weight"            # the first tree that registered it
    tied = gl.nn.Linear(2, 2)
    tied.weight = first[0].weight                         # weight tying: still one name
    assert tied.weight.label == "0.weight"
    first[0].bias.named("b")                              # the user's name wins
    assert first[0].bias.label == "b" and first[0].bias.module_path == "0.bias"
    assert gl.scalar(1.0).module_path is None


def test_nested_models_and_copies_keep_the_dotted_names():
    import copy
    inner = gl.nn.Sequential(gl.nn.Linear(3, 2), gl.nn.BatchNorm1d(2))
    outer = gl.nn.Sequential(gl.nn.Linear(3, 3), inner)
    names = {name: tensor.label for name, tensor in [*outer.named_parameters(), *outer.named_buffers()]}
    assert names == {name: name for name in names} and "1.1.running_mean" in names
    copied = copy.deepcopy(outer)
    assert [p.label for p in copied.parameters()] == [name for name, _ in outer.named_parameters()]


def test_verify_accepts_graphs_with_parameter_and_rebound_names():
    layer = gl.nn.Linear(2, 1).double()
    x = gl.tensor([[0.5, -1.0]], dtype=np.float64)
    loss = (layer(x) ** 2).sum()
    loss.backward()
    report = gl.verify.graph(loss)
    assert report.passed
    assert [leaf.label for leaf in report.leaves] == ["weight", "bias"]


def test_a_parameter_assigned_after_the_model_is_built_gets_its_full_path():
    model = gl.nn.Sequential(gl.nn.Linear(2, 3), gl.nn.Sequential(gl.nn.ReLU(), gl.nn.Linear(3, 1)))
    model[1][1].weight = gl.nn.Parameter(np.ones((1, 3)))
    model[1].add_module("extra", gl.nn.Linear(1, 1))
    expected = [name for name, _ in model.named_parameters()]
    assert "1.1.weight" in expected and "1.extra.bias" in expected
    assert [parameter.label for parameter in model.parameters()] == expected
