"""The five levels: graphs reproducible by seed, different across seeds, and their answers are
the engine's gradients (checked against independent computations: finite differences, numpy's
MLP backward, batch norm's composed twin)."""
import numpy as np
import pytest

import graphlab as gl
from graphlab import practice
from graphlab.practice.levels import LEVELS, LevelError, check_seed, generate, resolve_level
from graphlab.practice.questions import FanOutQuestion, GradientQuestion, ShapeQuestion

LEVEL_NAMES = [level.name for level in LEVELS]


def signature(graph) -> list:
    """What a student sees of a graph: each node's name, op and values."""
    return [(name, node.op, node.data.tolist()) for name, node in graph.nodes.items()]


def answers(quiz) -> list:
    return [question.expected.tolist() if not isinstance(question, ShapeQuestion) else question.expected
            for _, questions in quiz.steps for question in questions]


@pytest.mark.parametrize("name", LEVEL_NAMES)
def test_the_same_seed_gives_the_same_graph_and_answers(name):
    first, second = practice.start(name, seed=4711), practice.start(name, seed=4711)
    assert signature(first.graph) == signature(second.graph)
    assert answers(first) == answers(second) and len(answers(first)) >= 2


@pytest.mark.parametrize("name", LEVEL_NAMES)
def test_seeds_give_different_graphs(name):
    graphs = [signature(generate(resolve_level(name), seed)) for seed in range(6)]
    distinct = {repr(graph) for graph in graphs}
    assert len(distinct) >= 5, f"{name}: seeds 0-5 give only {len(distinct)} different graphs"


@pytest.mark.parametrize("name", LEVEL_NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2, 4711])
def test_the_answers_are_the_gradients_of_a_plain_backward(name, seed):
    """The quiz's expected answers equal a separate root.backward() on the same graph: the downstream
    of every step, and every leaf's .grad (the fan-out sums)."""
    quiz = practice.start(name, seed=seed)
    fresh = generate(resolve_level(name), seed)
    trace = fresh.root.backward()
    by_label = {step.node.label: step for step in trace}
    for step, questions in quiz.steps:
        engine_step = by_label[step.node.label]
        for question in questions:
            if isinstance(question, FanOutQuestion):
                np.testing.assert_allclose(question.expected, engine_step.upstream)
            elif isinstance(question, GradientQuestion):
                np.testing.assert_allclose(question.expected, engine_step.downstream[question.index])
            else:
                assert question.expected == engine_step.inputs[question.index].shape
    for node_name, node in fresh.nodes.items():
        if node.creator is None and node.requires_grad:
            np.testing.assert_allclose(by_label[node_name].upstream, node.grad)


@pytest.mark.parametrize("name", ["gates", "sigmoid", "fanout"])
@pytest.mark.parametrize("seed", [0, 3, 99])
def test_scalar_levels_agree_with_finite_differences(name, seed):
    graph = generate(resolve_level(name), seed)
    leaves = [node for node in graph.nodes.values() if node.creator is None and node.requires_grad]
    graph.root.backward()

    def rebuilt(shift_name, shift):
        again = generate(resolve_level(name), seed)
        node = again.nodes[shift_name]
        node.data[...] = node.data + shift
        return generate_value(again)

    for leaf in leaves:
        numeric = (rebuilt(leaf.label, 1e-6) - rebuilt(leaf.label, -1e-6)) / 2e-6
        assert leaf.grad == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def generate_value(graph) -> float:
    """The root's value recomputed from the (shifted) leaves, by replaying each node's op in order."""
    values = {}
    for node_name, node in graph.nodes.items():
        if node.creator is None:
            values[node.id] = node
            continue
        inputs = [values.get(parent.id, parent) for parent in node.parents]
        values[node.id] = type(node.creator).apply(*inputs, **node.creator.params)
    return float(values[graph.root.id].item())


def test_level_1_seed_4711_is_e01_shaped_with_known_numbers():
    graph = generate(resolve_level("1"), 4711)
    assert [(name, node.item()) for name, node in graph.nodes.items()] == \
        [("x", -2.0), ("y", -3.0), ("z", 4.0), ("q", -5.0), ("f", -20.0)]
    quiz = practice.start("gates", seed=4711)
    assert [question.expected.item() for _, questions in quiz.steps for question in questions] == [4, -5, 4, 4]


def test_mlp_answers_equal_numpy_backprop():
    graph = generate(resolve_level("mlp"), 5)
    nodes = {name: node.data for name, node in graph.nodes.items()}
    z = nodes["X"] @ nodes["W1"] + nodes["b1"]
    h = np.maximum(z, 0)
    d_s = nodes["c"]                                      # L = sum(c ⊙ s)
    d_h = d_s @ nodes["W2"].T
    d_z = d_h * (z > 0)
    graph.root.backward()
    np.testing.assert_allclose(graph.nodes["W2"].grad, h.T @ d_s)
    np.testing.assert_allclose(graph.nodes["b2"].grad, d_s.sum(axis=0))
    np.testing.assert_allclose(graph.nodes["W1"].grad, nodes["X"].T @ d_z)
    np.testing.assert_allclose(graph.nodes["b1"].grad, d_z.sum(axis=0))
    assert (z > 0).any() and (z < 0).any()                 # the ReLU both passes and blocks


def test_batchnorm_answers_equal_the_composed_twin():
    graph = generate(resolve_level("batchnorm"), 2)
    graph.root.backward()
    X, gamma, beta = (gl.tensor(graph.nodes[name].data, requires_grad=True, dtype="float64")
                      for name in ("X", "gamma", "beta"))
    composed = gl.functional.composed.batch_norm(X, None, None, gamma, beta, training=True)
    (composed * gl.tensor(graph.nodes["c"].data, dtype="float64")).sum().backward()
    for name, twin in (("X", X), ("gamma", gamma), ("beta", beta)):
        np.testing.assert_allclose(graph.nodes[name].grad, twin.grad, rtol=1e-9, atol=1e-12)


def test_levels_by_number_and_name_and_the_errors():
    assert [resolve_level(word).number for word in ("1", "sigmoid", "FANOUT", " 4 ", "batchnorm")] == [1, 2, 3, 4, 5]
    with pytest.raises(LevelError, match=r"no level 'gatse'; did you mean gates\? the levels are 1/gates, "
                                         r"2/sigmoid, 3/fanout, 4/mlp, 5/batchnorm"):
        resolve_level("gatse")
    with pytest.raises(LevelError, match="no level '6'"):
        resolve_level("6")
    assert check_seed("42") == 42
    with pytest.raises(LevelError, match="not a whole number"):
        check_seed("abc")
    with pytest.raises(LevelError, match="out of range"):
        check_seed(str(2 ** 32))


def test_a_fresh_seed_is_printed_to_replay_the_graph():
    quiz = practice.start("sigmoid")
    seed = int(quiz.title.split("seed ")[1].split(":")[0])
    assert quiz.title.endswith(f"replay with :quiz sigmoid --seed {seed}")
    assert signature(generate(resolve_level("sigmoid"), seed)) == signature(quiz.graph)


@pytest.mark.parametrize("seed", range(8))
def test_each_level_practises_its_gates(seed):
    def ops(name):
        return {node.op for node in generate(resolve_level(name), seed).nodes.values() if node.op}

    assert ops("gates") <= {"add", "mul"} and ops("gates") == {"add", "mul"}
    assert ops("sigmoid") == {"mul", "add", "exp", "div"}
    assert "maximum" in ops("fanout")
    assert {"matmul", "add", "relu", "mul", "sum"} == ops("mlp")
    assert "batch_norm" in ops("batchnorm")
    fan_out = [question for _, questions in practice.start("fanout", seed).steps for question in questions
               if isinstance(question, FanOutQuestion)]
    assert len(fan_out) == 1 and fan_out[0].expected.item() == sum(
        gradient.item() for _, gradient in fan_out[0].step.contributions)
    mlp_shapes = [question.expected for _, questions in practice.start("mlp", seed).steps for question in questions
                  if isinstance(question, ShapeQuestion)]
    assert mlp_shapes == [(2, 2), (2, 2), (2, 2), (2,), (2, 4), (4, 2), (2, 4), (2, 4), (4,), (3, 4)]


def test_batch_norm_feedback_names_each_inputs_rule():
    quiz = practice.start("batchnorm", seed=3)
    while quiz.question.label != "gamma" or isinstance(quiz.question, ShapeQuestion):
        question = quiz.question
        quiz.answer("x".join(map(str, question.expected)) if isinstance(question, ShapeQuestion)
                    else str(question.expected.tolist()))
    wrong = quiz.answer("sum(upstream, axis=0)")
    assert "dL/dgamma (2) = upstream (4x2) ⊙ x̂ summed over axis 0 (batch)" in wrong
    assert "gamma scales x̂, so it gets the upstream ⊙ x̂ summed over the batch" in wrong
    assert quiz.answer("sum(upstream * xhat, axis=0)").startswith("right: dL/dgamma")
    assert "beta shifts every row" in quiz.answer("2") + quiz.answer("0")
