"""Lesson 2, the sigmoid neuron: E03 (the gate-by-gate numbers, exact and as the notes round them),
E04 (the fused gate) and E06 (the flat code and the bug in the notes' forward)."""

import pytest

from graphlab import lessons

LESSON = lessons.find(2).load()

#: E03, the catalogue's exact values
EXACT = {"w0": -0.1966119, "x0": 0.3932239, "w1": -0.3932239, "x1": -0.5898358, "w2": 0.1966119}
E03 = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}


@pytest.fixture(scope="module")
def narrative(quick_run):
    _, text, out = quick_run(2)            # shared with test_lessons.py (conftest.py)
    return text, out


def test_E03_inputs_and_the_implied_w2():
    assert LESSON.leaf_values(LESSON.neuron()) == E03
    assert LESSON.implied_w2(2, -1, -3, -2) == -3


def test_E03_forward_values_as_the_slide_writes_them():
    table = LESSON.forward_table(LESSON.neuron())
    assert [gate for gate, _, _ in table] == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    assert [round(value, 2) for _, _, value in table] == [-2, 6, 4, 1, -1, 0.37, 1.37, 0.73]
    assert table[-1][2] == pytest.approx(0.7310586, abs=1e-7)


def test_E03_backward_gate_by_gate():
    nodes = LESSON.neuron()
    rows = LESSON.backward_table(nodes["f"].backward())
    assert [row[0] for row in rows] == ["1/x", "+1", "exp", "*-1", "+", "+", "*", "*"]
    rounded = [(round(upstream, 2), tuple(round(value, 2) for value in downstream)) for _, _, upstream, _, downstream in rows]
    assert rounded == [(1, (-0.53,)), (-0.53, (-0.53,)), (-0.53, (-0.2,)), (-0.2, (0.2,)), (0.2, (0.2, 0.2)),
                       (0.2, (0.2, 0.2)), (0.2, (-0.39, -0.59)), (0.2, (-0.2, 0.39))]
    reciprocal, _, exp_gate = rows[:3]
    assert reciprocal[4][0] == pytest.approx(-0.5344466, abs=1e-7)
    assert exp_gate[4][0] == pytest.approx(-0.1966119, abs=1e-7)


def test_E03_exact_gradients_round_to_the_issue_list():
    nodes = LESSON.neuron()
    nodes["f"].backward()
    gradients = LESSON.gradients(nodes)
    assert gradients == pytest.approx(EXACT, abs=1e-7)
    assert [round(gradients[name], 2) for name in EXACT] == [-0.20, 0.39, -0.39, -0.59, 0.20]


def test_E03_the_notes_two_decimal_arithmetic_gives_their_numbers():
    nodes = LESSON.neuron()
    walk = LESSON.two_decimal_walk(nodes["f"].backward())
    # the notes' table: dw0 = -0.20, dx0 = 0.40, dw1 = -0.40, dx1 = -0.60 (and -0.53, -0.53, -0.20, 0.20 above them)
    assert {name: walk[name] for name in E03} == {"w0": -0.20, "x0": 0.40, "w1": -0.40, "x1": -0.60, "w2": 0.20}
    assert (walk["f"], walk["e"], walk["s"]) == (1.0, -0.53, 0.20)


def test_E04_fused_sigmoid_gate():
    fused = LESSON.neuron(fused=True)
    trace = fused["f"].backward()
    assert fused["s"].item() == 1
    assert LESSON.fused_sigmoid_local(fused, trace) == pytest.approx(0.1966119, abs=1e-7)
    assert round(LESSON.fused_sigmoid_local(fused, trace), 2) == 0.20           # the notes' "0.2"
    composed = LESSON.neuron()
    composed["f"].backward()
    assert LESSON.gradients(fused) == pytest.approx(LESSON.gradients(composed), abs=1e-15)


def test_E06_corrected_flat_code_matches_the_walk():
    flat = LESSON.flat_code(**E03)
    assert flat["L"] == pytest.approx(0.7310586, abs=1e-7)
    assert {name: flat[name] for name in E03} == pytest.approx(EXACT, abs=1e-7)


def test_E06_the_forward_as_printed():
    printed = LESSON.printed_forward(**E03)
    assert (printed["s2"], printed["s3"]) == (-12, 36)
    assert f"{printed['L']:.4f}" == "1.0000"
    assert printed["local s2"] == (6, -2) and printed["local s3"] == (-3, -12)     # not the (1, 1) of sums


def test_narrative_and_pictures(narrative):
    text, out = narrative
    for line in ["w2 = 1 - (2·-1 + -3·-2) = -3.",
                 "df/dx0     0.3932239                0.39                           0.40",
                 "local gradient (1 - σ) σ = (1 - 0.73) × 0.73 = 0.1971 on the slide; exactly 0.1966119",
                 "the notes' forward multiplies: s2 = s0 * s1 = -12, s3 = s2 * w2 = 36, L = σ(36) = 1.0000",
                 "13 nodes composed, 10 fused"]:
        assert " ".join(line.split()) in " ".join(text.split()), line     # lines wrap at 80 columns
    assert {path.name for path in out.iterdir()} == {"e03_sigmoid.svg", "e04_fused.svg"}
    assert "swap multiplier" in (out / "e03_sigmoid.svg").read_text()
