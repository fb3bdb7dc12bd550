"""Lesson 1, scalar backprop: the notes' numbers for f = (x + y) z (catalogue E01, E02), exactly."""

import pytest

from graphlab import lessons

LESSON = lessons.find(1).load()


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(1)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E01_by_hand():
    assert LESSON.by_hand(-2, 5, -4) == {"q": 3, "f": -12, "df/df": 1, "df/dz": 3, "df/dq": -4, "df/dy": -4,
                                         "df/dx": -4}


def test_E01_graphlab_agrees_with_the_hand_computation():
    nodes = LESSON.lecture_graph()
    assert (nodes["q"].item(), nodes["f"].item()) == (3, -12)
    nodes["f"].backward()
    hand = LESSON.by_hand(*(nodes[name].item() for name in "xyz"))
    ours = LESSON.gradients(nodes)
    assert ours == {name: hand[name] for name in ours}
    assert ours == {"df/dx": -4, "df/dy": -4, "df/dz": 3, "df/dq": -4, "df/df": 1}


def test_E02_forward_in_topological_order_backward_in_reverse():
    nodes = LESSON.lecture_graph()
    assert LESSON.forward_order(nodes) == ["x", "y", "z", "q", "f"]
    trace = nodes["f"].backward()
    assert LESSON.backward_order(trace) == ["f", "q", "z", "y", "x"]


def test_E02_upstream_times_local_is_downstream_at_every_gate():
    trace = LESSON.lecture_graph()["f"].backward()
    assert LESSON.chain_rule_gaps(trace) == {"f": 0, "q": 0}
    assert [str(step) for step in trace][:2] == [
        "f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)",
        "q = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)"]


def test_narrative_has_the_numbers_and_the_pictures(narrative):
    text, out = narrative
    for line in ["x = -2, y = 5, z = -4",
                 "forward:  q = x + y = -2 + 5 = 3,  f = q z = 3 × -4 = -12",
                 "df/dz = df/df × q = 1 × 3 = 3",
                 "df/dx = df/dq × dq/dx = -4 × 1 = -4",
                 "The mul gate kept its inputs (q, z) = (3.0, -4.0) in forward",
                 "|downstream - upstream × local| at every gate: f 0, q 0",
                 "df/dx          -4        -4  yes"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert "NO" not in text
    assert (out / "e01_forward.svg").read_text().count(">?<") == 5          # before backward: every gradient '?'
    assert ">?<" not in (out / "e01_backward.svg").read_text()
    assert not (out / "walk").exists()                                     # --quick leaves the walk out
