"""Lesson 3, gate patterns (catalogue E05): each gate with the catalogue's test values, and the lecture's
pattern slide walked step by step."""

import pytest

from graphlab import lessons

LESSON = lessons.find(3).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(3)            # shared with test_lessons.py (conftest.py)
    return text, out


@pytest.mark.parametrize("gate, pattern, output, downstream", [
    ("add_gate", "distributor", 5, (2, 2)),        # E05 add: 3 + 2, upstream 2 -> (2, 2)
    ("mul_gate", "swap", 6, (15, 10)),             # E05 mul: 2 x 3, upstream 5 -> (15, 10)
    ("max_gate", "router", 5, (0, 9)),             # E05 max: max(4, 5), upstream 9 -> (0, 9)
])
def test_E05_two_input_gates(gate, pattern, output, downstream):
    result = getattr(LESSON, gate)()
    assert (result.pattern, result.output, result.downstream) == (pattern, output, downstream)


def test_E05_copy_gate_adds():
    copy = LESSON.copy_gate()                      # E05 copy: 4 -> (4, 4), upstreams 3 and 2 -> 5
    assert (copy.pattern, copy.output, copy.upstream, copy.downstream) == ("adder", 4, (3, 2), (5,))


def test_max_tie_splits_the_gradient():
    assert LESSON.max_gate(5, 5, 9).downstream == (4.5, 4.5)


def test_E05_lecture_slide_values_and_gradients():
    nodes = LESSON.lecture_slide()
    assert [nodes[name].item() for name in ("xy", "m", "s", "d", "f")] == [-12, 2, -10, -20, -17]
    captions = LESSON.walk(nodes)
    assert LESSON.leaf_gradients(nodes) == {"x": -7, "y": 6, "z": 2, "w": 0}
    assert len(captions) == 9
    assert captions[3] == ["Step 4 of 9: m = maximum(z, w)  (max gate: gradient router)",
                           "z: downstream = upstream × local: 2 × 1 = 2",
                           "w: downstream = upstream × local: 2 × 0 = 0",
                           "pending: xy, w, z, x"]
    assert captions[4][1:3] == ["x: downstream = upstream × local: 2 × -4 = -8",
                                "y: downstream = upstream × local: 2 × 3 = 6"]
    assert captions[-1][0] == "Step 9 of 9: x (leaf): gradient -7 = -8 + 1 (fan-out: the copy gate adds)"


def test_the_repl_loads_the_same_slide():
    from graphlab.repl import Workspace
    workspace = Workspace(preload="gates")
    assert workspace.root_name == "f" and workspace.namespace["f"].item() == -17
    workspace.execute(":backward")
    assert float(workspace.namespace["x"].grad) == -7


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["add:  3 + 2 = 5; upstream 2 -> downstream (2, 2)",
                 "mul:  2 × 3 = 6; upstream 5 -> downstream (15, 10)",
                 "max:  max(4, 5) = 5; upstream 9 -> downstream (0, 9)",
                 "copy: x = 4 is read twice (both see 4); they send back 3 and 2 -> x gets 5",
                 "x = 3, y = -4, z = 2, w = -1;  x y = -12, max(z, w) = 2, s = -10, f = -17",
                 "df/dx = -7, df/dy = 6, df/dz = 2, df/dw = 0."]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {f"e05_{name}.svg" for name in ("slide", "add", "mul", "max", "copy")}
    slide = (out / "e05_slide.svg").read_text()
    for words in ("gradient distributor", "swap multiplier", "gradient router", "gradient adder"):
        assert words in slide
