"""gl.verify.graph: whole recorded graphs rebuilt as one SymPy expression and differentiated
exactly (lecture examples by id from docs/catalogue.md); fused ops proven equal to
their composed twins."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

import graphlab as gl
from graphlab.verify import symbolic
from test_verify_ops import BadCube, Cube


def _symbol(name):
    return sympy.Symbol(name, real=True)


def test_E01_graph_is_z_times_x_plus_y_with_exact_gradients():
    x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    f = ((x + y).named("q") * z).named("f")
    report = gl.verify.graph(f)
    assert report.passed, str(report)
    X, Y, Z = map(_symbol, "xyz")
    assert report.expression[()] == Z * (X + Y)
    assert [report.gradient(name) for name in "xyz"] == [Z, Z, X + Y]
    assert [report.gradient(name, exact=True) for name in "xyz"] == [-4, -4, 3]
    assert [label for label, _ in report.nodes] == ["q", "f"]
    assert "f =\n  z⋅(x + y)" in str(report)


def _sigmoid_neuron(fused: bool):
    """E03/E04: f = σ(w0 x0 + w1 x1 + w2) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3."""
    leaves = {name: gl.scalar(value, name=name, dtype="float64")
              for name, value in [("w0", 2), ("x0", -1), ("w1", -3), ("x1", -2), ("w2", -3)]}
    linear = leaves["w0"] * leaves["x0"] + leaves["w1"] * leaves["x1"] + leaves["w2"]
    output = linear.sigmoid() if fused else 1 / (1 + (-linear).exp())
    return output.named("f"), leaves


def test_E03_E04_sigmoid_neuron_fused_and_composed_have_the_same_exact_gradients():
    composed, _ = _sigmoid_neuron(fused=False)
    fused, _ = _sigmoid_neuron(fused=True)
    composed_report, fused_report = gl.verify.graph(composed), gl.verify.graph(fused)
    assert composed_report.passed and fused_report.passed
    assert sympy.simplify(composed_report.expression[()] - fused_report.expression[()]) == 0
    exact = {}
    for name in ["w0", "x0", "w1", "x1", "w2"]:
        formula = fused_report.gradient(name)
        assert sympy.simplify(formula - composed_report.gradient(name)) == 0
        exact[name] = fused_report.gradient(name, exact=True)
        assert exact[name] == composed_report.gradient(name, exact=True)
    # E03's exact values: dw0 = x0 σ'(1) with σ'(1) = e/(1+e)² ≈ 0.1966119
    e = sympy.E
    assert sympy.simplify(exact["w2"] - e / (1 + e) ** 2) == 0
    assert sympy.simplify(exact["w0"] + e / (1 + e) ** 2) == 0          # x0 = -1
    assert float(exact["x1"]) == pytest.approx(-0.5898358, abs=1e-7)     # w1 = -3


def test_E12_norm_of_W_x_exact_gradients_in_float32():
    W = gl.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, name="W")
    v = gl.tensor([0.2, 0.4], requires_grad=True, name="v")
    loss = ((W @ v) ** 2).sum().named("L")
    report = gl.verify.graph(loss)
    assert report.passed, str(report)
    assert report.rtol == 1e-5                           # float32 graph: float32 tolerance
    R = sympy.Rational
    assert report.gradient("W", exact=True).tolist() == [[R(88, 1000), R(176, 1000)], [R(104, 1000), R(208, 1000)]]
    assert report.gradient("v", exact=True).tolist() == [R(-112, 1000), R(636, 1000)]
    assert report.expression[()].xreplace({_symbol("W[0,0]"): R(1, 10), _symbol("W[0,1]"): R(1, 2),
                                           _symbol("W[1,0]"): R(-3, 10), _symbol("W[1,1]"): R(4, 5),
                                           _symbol("v[0]"): R(1, 5), _symbol("v[1]"): R(2, 5)}) == R(116, 1000)


def test_verify_graph_catches_a_wrong_backward_and_names_the_op_and_the_worst_element():
    x = gl.tensor([1.0, -2.0, 0.5], dtype="float64", requires_grad=True, name="x")
    w = gl.tensor([2.0, 1.0, 3.0], dtype="float64", requires_grad=True, name="w")
    cubed = BadCube.apply(x).named("c")
    loss = (cubed * w).sum().named("L")
    report = gl.verify.graph(loss)
    assert not report.passed and not report.leaf_gradients_match
    # the leaf comparison: dL/dx = 3x² w exactly, the engine gives 2x² w; worst at x[1] (12 vs 8)
    worst = report.worst
    assert (worst.input, worst.in_index, worst.exact, worst.engine) == ("x", (1,), 12, 8)
    # the per-node checks name the culprit: only the bad_cube node fails
    assert [(label, node.op) for label, node in report.culprits] == [("c", "bad_cube")]
    (_, culprit), = report.culprits
    assert (culprit.worst.output, culprit.worst.out_index, culprit.worst.input) == ("c", (1,), "x")
    assert (culprit.worst.exact, culprit.worst.engine) == (12, 8)
    summary = report.summary()
    assert "node c = bad_cube(...) is wrong: d c[1] / d x[1]: exact 12, engine 8" in summary
    assert "worst leaf gradient d L / d x[1]: exact 12, engine 8" in summary
    assert "WRONG" in str(report)
    # the same graph with the right backward passes
    right = (Cube.apply(x) * w).sum()
    assert gl.verify.graph(right).passed


def test_stored_grads_from_earlier_backward_calls_do_not_matter():
    x = gl.scalar(3.0, name="x")
    y = (x * x).named("y")
    y.backward()
    y.backward()                   # x.grad accumulates to 12; d y / d x is still 6
    report = gl.verify.graph(y)
    assert report.passed and report.gradient("x", exact=True) == 6


def _ops_in(report) -> set:
    return {node.op for _, node in report.nodes}


def test_graph_of_shape_ops_with_parameters_read_back_from_ctx():
    """Parameters (slope, bounds, exponent, axis, index, shape, pad width) come back from each node."""
    a = gl.tensor(np.array([[0.5, -1.0, 2.0], [1.5, -0.25, 0.75]]), requires_grad=True, name="a")
    b = gl.tensor(np.array([0.25, 2.0, -0.5]), requires_grad=True, name="b")
    hidden = gl.leaky_relu(a * b + 1.0, 0.2).clip(-0.3, 1.8) ** 2
    mixed = gl.concat([hidden, gl.stack([b, b.exp()])], axis=0)                 # (4, 3)
    picked = mixed[np.array([0, 3, 3]), 1:].reshape(2, 3).transpose()          # (3, 2)
    padded = gl.pad(picked, ((1, 0), (0, 1)), value=0.5)                        # (4, 3)
    loss = (padded.sum(axis=1) * gl.broadcast_to(b[:1], (4,))).mean().named("loss")
    report = gl.verify.graph(loss)
    assert report.passed, str(report)
    assert {"leaky_relu", "clip", "pow", "concat", "stack", "getitem", "reshape", "transpose", "pad", "sum",
            "broadcast_to", "mean", "exp", "mul", "add"} <= _ops_in(report)
    assert report.skipped == []


def test_graph_of_reductions_and_activations():
    a = gl.tensor(np.array([[0.5, -1.0, 2.0], [1.5, -0.25, 0.75]]), requires_grad=True, name="a")
    b = gl.tensor(np.array([0.25, 2.0, -0.5]), requires_grad=True, name="b")
    loss = (gl.log_softmax(b, axis=0).max() + gl.var(a, axis=1, ddof=1).mean()
            + gl.where(a > 0, a, -a).sum() + gl.maximum(a, b).min() + gl.logsumexp(a, axis=0).sum()
            + gl.softmax(b)[1] + gl.sigmoid(b).tanh().sum() + gl.elu(b, alpha=0.5).abs().sum()
            + (b * b + 1).sqrt().log().sum()).named("loss")
    report = gl.verify.graph(loss)
    assert report.passed, str(report)
    assert {"log_softmax", "max", "var", "mean", "where", "maximum", "min", "logsumexp", "softmax", "getitem",
            "sigmoid", "tanh", "elu", "abs", "sqrt", "log", "neg"} <= _ops_in(report)
    # b * b: the node is checked as an op of two independent inputs
    (square,) = [node for _, node in report.nodes if node.op == "mul" and node.shapes == ((3,), (3,))]
    assert [name for name, *_ in square.inputs] == ["b#0", "b#1"]


def test_second_derivatives_are_verified_too():
    """gl.grad(create_graph=True) records the gradient's own graph; verify.graph differentiates it again."""
    x = gl.tensor(np.array([0.5, -1.0]), requires_grad=True, name="x")
    (first,) = gl.grad((x ** 3 * x.exp()).sum(), x, create_graph=True)
    report = gl.verify.graph(first.sum().named("g"))
    assert report.passed, str(report)
    X0 = _symbol("x[0]")
    expected = sympy.diff(X0 ** 3 * sympy.exp(X0), X0, 2)
    assert sympy.simplify(report.gradient("x")[0] - expected) == 0


def test_fused_sigmoid_equals_its_composed_twin_values_and_gradients():
    values = np.array([-3.0, -0.5, 0.0, 0.25, 4.0])
    x = gl.tensor(values, dtype="float64", requires_grad=True, name="x")
    fused = gl.sigmoid(x)
    composed = 1 / (1 + gl.exp(-x))
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-15, atol=0)
    (fused_grad,) = gl.grad(fused.sum(), x)
    (composed_grad,) = gl.grad(composed.sum(), x)
    np.testing.assert_allclose(fused_grad.data, composed_grad.data, rtol=1e-14, atol=0)
    # exactly: the fused op's twin is the composed formula, and both graphs verify
    fused_report, composed_report = gl.verify.graph(fused.sum()), gl.verify.graph(composed.sum())
    assert fused_report.passed and composed_report.passed
    for fused_entry, composed_entry in zip(fused_report.gradient("x"), composed_report.gradient("x")):
        assert sympy.simplify(fused_entry - composed_entry) == 0


def _logits_and_labels():
    logits = np.array([[2.0, 1.0, 0.1], [-0.5, 0.25, 1.5]])
    return gl.tensor(logits, requires_grad=True, name="s"), np.array([0, 2])


def _composed_cross_entropy(scores, labels):
    """The lecture's softmax loss as primitives: -mean(log_softmax(s)[i, y_i]) (a gather by getitem)."""
    return -gl.log_softmax(scores, axis=1)[np.arange(len(labels)), labels].mean()


def test_log_softmax_plus_gather_equals_log_of_softmax_exactly():
    scores, labels = _logits_and_labels()
    composed = _composed_cross_entropy(scores, labels).named("L")
    naive = (-gl.log(gl.softmax(scores, axis=1))[np.arange(2), labels].mean()).named("L")
    np.testing.assert_allclose(composed.data, naive.data, rtol=1e-15)
    composed_report, naive_report = gl.verify.graph(composed), gl.verify.graph(naive)
    assert composed_report.passed and naive_report.passed
    assert sympy.simplify(composed_report.expression[()] - naive_report.expression[()]) == 0
    exact = np.vectorize(float)(composed_report.gradient("s", exact=True))
    # d L / d s = (softmax(s) - one_hot(y)) / N
    softmax = np.exp(scores.data) / np.exp(scores.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(exact, (softmax - np.eye(3)[labels]) / 2, rtol=1e-14)
    for formula, other in zip(composed_report.gradient("s").reshape(-1), naive_report.gradient("s").reshape(-1)):
        assert sympy.simplify(formula - other) == 0


def test_fused_cross_entropy_equals_log_softmax_plus_gather():
    functional = getattr(gl, "functional", None)
    if not hasattr(functional, "cross_entropy"):
        pytest.skip("no fused cross_entropy (gl.functional.cross_entropy) in this build yet")
    scores, labels = _logits_and_labels()
    fused = functional.cross_entropy(scores, labels)
    composed = _composed_cross_entropy(scores, labels)
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-14)
    (fused_grad,) = gl.grad(fused, scores)
    (composed_grad,) = gl.grad(composed, scores)
    np.testing.assert_allclose(fused_grad.data, composed_grad.data, rtol=1e-13, atol=1e-15)
    # the composed loss is verified exactly; the fused one too once its op has a symbolic twin
    assert gl.verify.graph(composed).passed
    if symbolic.has_twin(fused.creator):
        assert gl.verify.graph(fused).passed


def test_fused_batch_norm_equals_its_composed_formula():
    functional = getattr(gl, "functional", None)
    if not hasattr(functional, "batch_norm"):
        pytest.skip("no fused batch_norm (gl.functional.batch_norm) in this build yet")
    eps = 1e-5
    x = gl.tensor(np.array([[1.0, -2.0], [2.0, 0.5], [3.0, 1.0], [4.0, -1.5]]), requires_grad=True, name="x")
    gamma = gl.tensor(np.array([1.5, -0.5]), requires_grad=True, name="gamma")
    beta = gl.tensor(np.array([0.25, 1.0]), requires_grad=True, name="beta")
    fused = functional.batch_norm(x, None, None, weight=gamma, bias=beta, training=True, eps=eps)
    centred = x - x.mean(axis=0, keepdims=True)                       # E43: (x - mean) / sqrt(var + eps)
    composed = centred / ((centred ** 2).mean(axis=0, keepdims=True) + eps).sqrt() * gamma + beta
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-12, atol=1e-12)
    upstream = np.arange(8.0).reshape(4, 2) / 7
    fused_grads = gl.grad(fused, [x, gamma, beta], grad_outputs=upstream)
    composed_grads = gl.grad(composed, [x, gamma, beta], grad_outputs=upstream)
    for fused_grad, composed_grad in zip(fused_grads, composed_grads):
        np.testing.assert_allclose(fused_grad.data, composed_grad.data, rtol=1e-10, atol=1e-12)
    # the composed formula is verified exactly; the fused op too once it has a symbolic twin
    assert gl.verify.graph((composed * upstream).sum()).passed
    if symbolic.has_twin(fused.creator):
        assert gl.verify.graph((fused * upstream).sum()).passed


def test_a_node_without_a_twin_is_named():
    class NoTwin(gl.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, upstream):
            return upstream * 2

    x = gl.scalar(1.0, name="x")
    with pytest.raises(gl.verify.VerifyError, match="no_twin: has no symbolic twin"):
        gl.verify.graph(NoTwin.apply(x))


def test_a_parameter_is_kept_on_ctx_without_the_op_copying_it():
    class Scale(gl.Function):
        elementwise = True

        @staticmethod
        def forward(ctx, x, factor=2.0):      # no ctx.factor = factor: apply keeps it (ctx.params)
            return x * factor

        @staticmethod
        def local(ctx):
            return np.full_like(ctx.inputs[0].data, ctx.factor)

        @staticmethod
        def symbolic(x, factor=2.0):
            return x * factor

    x = gl.scalar(1.0, name="x")
    y = Scale.apply(x, factor=3.0)
    assert y.creator.params == {"factor": 3.0} and y.creator.factor == 3.0
    assert gl.verify.graph(y).passed


def test_graph_errors_are_clear():
    with pytest.raises(gl.verify.VerifyError, match="does not require grad"):
        gl.verify.graph(gl.tensor([1.0, 2.0]))
    big = gl.tensor(np.ones((200, 200)), requires_grad=True, name="big")
    with pytest.raises(gl.verify.VerifyError, match="smaller shapes"):
        gl.verify.graph((big * 2).sum())


def test_graph_report_latex_and_leaf_name_clashes():
    first, second = gl.scalar(2.0, name="x"), gl.scalar(3.0, name="x")   # two leaves both named x
    report = gl.verify.graph(first * second)
    assert report.passed
    assert sorted(leaf.label for leaf in report.leaves) == sorted([f"x@{first.id}", f"x@{second.id}"])
    assert report._repr_latex_().startswith("$") and r"\frac{\partial" in report._repr_latex_()


def test_small_cnn_graph_conv_relu_pool_linear_cross_entropy():
    """Lecture 5's pipeline end to end on a 3x3 image: every fused CNN node rebuilt and checked.
    (The image is a constant, as data is; SymPy's work grows fast with the leaves it differentiates.)"""
    functional = getattr(gl, "functional", None)
    if not hasattr(functional, "conv2d"):
        pytest.skip("no CNN ops (gl.functional.conv2d) in this build yet")
    image = gl.tensor(np.array([[[[1.0, -0.5, 2.0], [0.25, 1.5, -1.0], [0.75, -2.0, 0.5]]]]), name="image")
    kernel = gl.tensor(np.array([[[[0.5, -1.0], [1.0, 0.25]]], [[[-0.75, 0.5], [0.25, 1.0]]]]), requires_grad=True,
                       name="k")
    weight = gl.tensor(np.array([[1.0, -0.5], [0.25, 0.75], [-1.0, 0.5]]), requires_grad=True, name="W")
    bias = gl.tensor(np.array([0.1, -0.2, 0.3]), requires_grad=True, name="b")
    features = functional.max_pool2d(functional.conv2d(image, kernel).relu(), 2)         # (1, 2, 1, 1)
    scores = functional.linear(features.reshape(1, 2), weight, bias)                      # (1, 3)
    loss = functional.cross_entropy(scores, [1]).named("loss")
    report = gl.verify.graph(loss)
    assert report.passed, str(report)
    assert {"conv2d", "relu", "max_pool2d", "reshape", "linear", "cross_entropy"} <= _ops_in(report)
