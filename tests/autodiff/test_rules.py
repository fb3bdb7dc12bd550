"""Tensor steps state lecture 4's vectorized rules with their real shapes, and the numbers each
rule implies are the engine's gradients (graphlab/autodiff/rules.py, the ops' ``rule``)."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
from graphlab.autodiff import rules

def leaf(values, name):
    return gl.tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


def random_leaf(name, *shape, seed=0):
    return leaf(np.random.default_rng(seed).normal(size=shape), name)


def backward_with_weights(output):
    """L = Σ c ⊙ output with fixed, uneven c: an upstream that is not all ones."""
    weights = np.linspace(-1.0, 2.0, output.size).reshape(output.shape)
    loss = (output * gl.tensor(weights, dtype=np.float64)).sum().named("L")
    return loss.backward()


def lines_of(node):
    """Each input's rule on one line (``rule_lines`` breaks long ones for 80 columns)."""
    return [rules.rule(node.creator, index, node.shape) for index, tensor in enumerate(node.creator.inputs)
            if tensor.requires_grad]


# -- matmul, linear, broadcast -------------------------------------------------------------------------
def test_matmul_matrix_times_vector_states_the_outer_product_and_w_transpose():
    W, v = random_leaf("W", 2, 4), random_leaf("v", 4, seed=1)
    h = (W @ v).named("h")
    assert lines_of(h) == ["dL/dW (2x4) = upstream (2x1) · vᵀ (1x4)", "dL/dv (4) = Wᵀ (4x2) · upstream (2)"]
    upstream = backward_with_weights(h).step_for(h).upstream
    np.testing.assert_allclose(W.grad, np.outer(upstream, v.data))          # upstream (2x1) · vᵀ (1x4)
    np.testing.assert_allclose(v.grad, W.data.T @ upstream)


def test_matmul_of_matrices_both_inputs():
    x, w = random_leaf("x", 2, 3), random_leaf("w", 3, 4, seed=1)
    y = (x @ w).named("y")
    assert lines_of(y) == ["dL/dx (2x3) = upstream (2x4) · wᵀ (4x3)", "dL/dw (3x4) = xᵀ (3x2) · upstream (2x4)"]
    upstream = backward_with_weights(y).step_for(y).upstream
    np.testing.assert_allclose(x.grad, upstream @ w.data.T)
    np.testing.assert_allclose(w.grad, x.data.T @ upstream)


def test_batched_matmul_sums_the_weight_gradient_over_the_batch():
    x, w = random_leaf("x", 5, 2, 3), random_leaf("w", 3, 4, seed=1)
    y = (x @ w).named("y")
    assert lines_of(y)[1] == "dL/dw (3x4) = xᵀ (5x3x2) · upstream (5x2x4) summed over axis 0 (batch)"
    upstream = backward_with_weights(y).step_for(y).upstream
    np.testing.assert_allclose(w.grad, (np.swapaxes(x.data, 1, 2) @ upstream).sum(axis=0))


def test_linear_states_the_rule_for_x_weight_and_bias():
    x, W, b = random_leaf("x", 3, 2), random_leaf("W", 4, 2, seed=1), random_leaf("b", 4, seed=2)
    y = gl.functional.linear(x, W, b).named("y")
    assert lines_of(y) == ["dL/dx (3x2) = upstream (3x4) · W (4x2)",
                           "dL/dW (4x2) = upstreamᵀ (4x3) · x (3x2)",
                           "dL/db (4) = upstream (3x4) summed over axis 0 (batch)"]
    upstream = backward_with_weights(y).step_for(y).upstream
    np.testing.assert_allclose(x.grad, upstream @ W.data)
    np.testing.assert_allclose(W.grad, upstream.T @ x.data)
    np.testing.assert_allclose(b.grad, upstream.sum(axis=0))


def test_broadcast_bias_add_says_it_sums_over_the_batch():
    x, b = random_leaf("x", 3, 4), random_leaf("b", 4, seed=1)
    y = (x + b).named("y")
    assert lines_of(y) == ["dL/dx (3x4) = upstream (3x4)",
                           "dL/db (4) = upstream (3x4) summed over axis 0 (batch)"]
    trace = backward_with_weights(y)
    upstream = trace.step_for(y).upstream
    np.testing.assert_allclose(b.grad, upstream.sum(axis=0))
    assert trace.step_for(y).downstream[1].shape == (4,)            # the gradient has b's shape


# -- reductions ------------------------------------------------------------------------------------------
def test_sum_and_mean_copy_the_upstream_back():
    x = random_leaf("x", 2, 3)
    rows = x.sum(axis=1).named("rows")
    assert lines_of(rows) == ["dL/dx (2x3) = upstream (2) copied along axis 1 to (2x3)"]
    upstream = backward_with_weights(rows).step_for(rows).upstream
    np.testing.assert_allclose(x.grad, np.broadcast_to(upstream[:, None], (2, 3)))
    x.zero_grad()
    average = x.mean().named("average")
    assert lines_of(average) == ["dL/dx (2x3) = upstream (scalar) / 6 copied to every element"]
    average.backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 1 / 6))


def test_softmax_states_the_jacobian_free_rule():
    x = random_leaf("x", 2, 3)
    s = x.softmax(axis=1).named("s")
    assert lines_of(s) == ["dL/dx (2x3) = s ⊙ (upstream (2x3) − Σ upstream ⊙ s along axis 1), "
                           "s = softmax (2x3)"]
    assert rules.rule_lines(s.creator, s.shape) == [                # broken after a comma: 80 columns
        "dL/dx (2x3) = s ⊙ (upstream (2x3) − Σ upstream ⊙ s along axis 1),", "    s = softmax (2x3)"]
    upstream = backward_with_weights(s).step_for(s).upstream
    probabilities = s.data
    expected = probabilities * (upstream - (upstream * probabilities).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(x.grad, expected)


def test_cross_entropy_is_softmax_minus_one_hot_over_the_batch():
    logits = random_leaf("logits", 2, 3)
    targets = np.array([2, 0])
    loss = gl.functional.cross_entropy(logits, targets).named("loss")
    assert lines_of(loss) == ["dL/dlogits (2x3) = (softmax (2x3) − one-hot(targets)) / 2 · upstream (scalar)"]
    loss.backward()
    shifted = np.exp(logits.data - logits.data.max(axis=1, keepdims=True))
    softmax = shifted / shifted.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(3)[targets]) / 2)


# -- CNN layers ----------------------------------------------------------------------------------------------
def _patches(x, kernel):
    """im2col by hand: one column per output pixel (n, i, j), rows (c, ki, kj)."""
    batch, channels, height, width = x.shape
    out_h, out_w = height - kernel + 1, width - kernel + 1
    columns = [x[n, :, i:i + kernel, j:j + kernel].reshape(-1)
               for n in range(batch) for i in range(out_h) for j in range(out_w)]
    return np.stack(columns, axis=1)                     # (C·k·k, N·H'·W')


def test_conv2d_states_the_im2col_matmul_rules():
    x, w, b = random_leaf("x", 1, 2, 3, 3), random_leaf("w", 2, 2, 2, 2, seed=1), random_leaf("b", 2, seed=2)
    y = gl.functional.conv2d(x, w, b).named("y")
    assert lines_of(y) == [
        "dL/dx (1x2x3x3) = col2im(wᵀ (8x2) · upstream (2x4)): each patch added back into x",
        "dL/dw (2x2x2x2) = upstream (2x4) · colsᵀ (4x8), cols = x's 2x2 patches",
        "dL/db (2) = upstream (1x2x2x2) summed over axes 0, 2, 3 (batch, pixels)"]
    upstream = backward_with_weights(y).step_for(y).upstream             # (1, 2, 2, 2)
    upstream_rows = upstream.transpose(1, 0, 2, 3).reshape(2, -1)         # (C_out, N·H'·W')
    np.testing.assert_allclose(w.grad.reshape(2, -1), upstream_rows @ _patches(x.data, 2).T)
    np.testing.assert_allclose(b.grad, upstream.sum(axis=(0, 2, 3)))


def test_max_pool_routes_the_upstream_to_each_window_max():
    x = leaf(np.random.default_rng(3).permutation(16).reshape(1, 1, 4, 4), "x")
    pooled = gl.functional.max_pool2d(x, 2).named("pooled")
    assert lines_of(pooled) == ["dL/dx (1x1x4x4) = upstream (1x1x2x2) routed to the max of each 2x2 window of x "
                                "(0 elsewhere)"]
    upstream = backward_with_weights(pooled).step_for(pooled).upstream
    expected = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            window = x.data[0, 0, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            row, col = np.unravel_index(window.argmax(), (2, 2))
            expected[2 * i + row, 2 * j + col] = upstream[0, 0, i, j]
    np.testing.assert_allclose(x.grad[0, 0], expected)


def test_batch_norm_states_the_per_channel_sums():
    x, gamma, beta = random_leaf("x", 4, 2), random_leaf("gamma", 2, seed=1), random_leaf("beta", 2, seed=2)
    y = gl.functional.batch_norm(x, None, None, gamma, beta, training=True).named("y")
    assert lines_of(y) == ["dL/dx (4x2) = γ/σ ⊙ (upstream − mean(upstream) − x̂ ⊙ mean(upstream ⊙ x̂)), "
                           "means over axis 0 (batch), x̂ = (x − μ)/σ",
                           "dL/dgamma (2) = upstream (4x2) ⊙ x̂ summed over axis 0 (batch), x̂ = (x − μ)/σ",
                           "dL/dbeta (2) = upstream (4x2) summed over axis 0 (batch)"]
    assert max(len(line) for line in rules.rule_lines(y.creator, y.shape)) <= rules.LINE_WIDTH
    upstream = backward_with_weights(y).step_for(y).upstream
    normalized = (x.data - x.data.mean(axis=0)) / np.sqrt(x.data.var(axis=0) + 1e-5)
    np.testing.assert_allclose(gamma.grad, (upstream * normalized).sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(beta.grad, upstream.sum(axis=0))
    inv_std = 1 / np.sqrt(x.data.var(axis=0) + 1e-5)
    expected_x = gamma.data * inv_std * (upstream - upstream.mean(axis=0)
                                         - normalized * (upstream * normalized).mean(axis=0))
    np.testing.assert_allclose(x.grad, expected_x, rtol=1e-6, atol=1e-12)


# -- elementwise, scalars ------------------------------------------------------------------------------------
def test_elementwise_tensor_ops_say_upstream_times_local():
    x = random_leaf("x", 2, 3)
    y = x.relu().named("y")
    assert lines_of(y) == ["dL/dx (2x3) = upstream ⊙ local (elementwise)"]
    z = (x * 3.0).named("z")
    assert lines_of(z)[0].startswith("dL/dx (2x3) = upstream ⊙ ") and lines_of(z)[0].endswith("(elementwise)")


def test_scalar_steps_keep_the_scalar_story():
    x, y, z = gl.scalar(-2.0, name="x"), gl.scalar(5.0, name="y"), gl.scalar(-4.0, name="z")
    q = (x + y).named("q")
    f = (q * z).named("f")
    trace = f.backward()
    assert str(trace[0]) == "f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)"
    assert not trace[0].is_tensor and "local" in trace.table().splitlines()[0]


def test_an_op_without_a_rule_still_names_its_backward_with_shapes():
    class Doubled(gl.Function):          # a user's op with its own backward and no rule
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, upstream):
            return 2 * upstream

    y = Doubled.apply(random_leaf("x", 2, 3)).named("y")
    assert lines_of(y) == ["dL/dx (2x3) = doubled's backward of upstream (2x3)"]


def test_a_comparison_says_it_has_no_gradient():
    x = random_leaf("x", 2, 3)
    above = (x > 0).named("above")
    assert lines_of(above) == ["dL/dx (2x3) = none: gt has no gradient"]


def test_every_builtin_op_case_states_a_rule_that_fits_80_columns():
    from graphlab.ops.registry import builtin_ops
    checked = set()
    for name, op in builtin_ops().items():
        for case in op.cases:
            inputs = [gl.tensor(array, requires_grad=True, dtype=np.float64) if np.asarray(array).dtype.kind == "f"
                      else array for array in case.inputs()]
            output = case.run(*inputs)
            if not isinstance(output, gl.Tensor) or output.creator is None:
                continue
            if not rules.is_tensor_step(output.creator, output.shape):
                continue
            lines = rules.rule_lines(output.creator, output.shape)
            assert all(len(line) <= rules.LINE_WIDTH for line in lines), (name, lines)
            assert not any("backward of" in line for line in lines), (name, lines)   # never the fallback
            assert all(line.startswith(("dL/d", "    ")) for line in lines)
            checked.add(output.creator.name)
    assert {"matmul", "linear", "conv2d", "max_pool2d", "batch_norm", "cross_entropy", "softmax"} <= checked


# -- the Trace at 80 columns ----------------------------------------------------------------------------------
def _lesson_4():
    from graphlab import lessons
    return lessons.find(4).load()


def test_the_mlp_trace_table_of_lesson_4_fits_80_columns_and_states_the_rules():
    net = _lesson_4().three_layer_net()                  # it ran backward once already
    for parameter in net["params"].values():
        parameter.zero_grad()
    trace = net["out"].backward()
    table = trace.table()
    assert max(len(line) for line in table.splitlines()) <= 80
    W2 = net["params"]["W2"]
    step = next(step for step in trace if step.op == "matmul" and step.inputs[0] is W2)
    assert "dL/dW2 (4x4) = upstream (4x1) · h1ᵀ (1x4)" in table
    assert f"(4x4) mean {W2.grad.mean():.4g}" in table                 # the leaf row: summarized by shape
    np.testing.assert_allclose(W2.grad, step.upstream @ net["h1"].data.T)
    assert "print(trace[k])" in table                                   # how to see the full values


def test_a_long_trace_is_truncated_with_a_note():
    x = gl.scalar(1.0, name="x")
    y = x
    for _ in range(80):
        y = y * 1.01
    trace = y.backward()
    table = trace.table()
    assert len(table.splitlines()) == 2 + 50 + 1
    assert table.splitlines()[-1] == "... 31 more steps not shown; trace.table(max_rows=None) shows all"
    assert len(trace.table(max_rows=None).splitlines()) == 2 + 81


# -- the same words in every view ---------------------------------------------------------------------------------
def test_repl_trace_walk_and_focus_caption_say_the_same_rule():
    from graphlab.repl.workspace import Workspace
    from graphlab.viz.graph import GraphView
    from graphlab.viz.walk import frame_texts

    workspace = Workspace()
    for line in ("W = gl.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, dtype=np.float64)",
                 "v = gl.tensor([0.2, 0.4], requires_grad=True, dtype=np.float64)",
                 "h = W @ v", "f = (h * h).sum()"):
        assert workspace.execute(line).ok
    rule_w = "dL/dW (2x2) = upstream (2x1) · vᵀ (1x2)"
    rule_v = "dL/dv (2) = Wᵀ (2x2) · upstream (2)"
    before = workspace.execute(":show h").text
    assert rule_w in before and rule_v in before and "local dh/dv" not in before
    table = workspace.execute(":backward f").text
    show = workspace.execute(":show h").text
    focus = workspace.execute(":focus h").text
    f, h = workspace.namespace["f"], workspace.namespace["h"]
    trace = workspace.last_trace
    with_values = f"{rule_w} = [[0.088, 0.176], [0.104, 0.208]]"
    walk_caption = frame_texts(GraphView(f), trace, trace.index(trace.step_for(h)), 4)[0]
    focus_caption = gl.draw(f, focus=h).source
    for text in (show, focus, str(trace.step_for(h)), "\n".join(walk_caption), focus_caption):
        assert with_values in text and f"{rule_v} = [-0.112, 0.636]" in text
    assert rule_w in table and rule_v in table
    np.testing.assert_allclose(workspace.namespace["W"].grad, np.outer(h.grad, [0.2, 0.4]))


@pytest.mark.parametrize("shape", [(2,), (2, 3)])
def test_shape_text_is_the_lecture_notation(shape):
    assert rules.shape_text(shape) == "(" + "x".join(map(str, shape)) + ")"
    assert rules.shape_text(()) == "(scalar)"


def test_the_repl_steps_through_a_tensor_walk_at_80_columns():
    from graphlab.repl.workspace import Workspace

    workspace = Workspace()
    for line in ("gl.manual_seed(0)",
                 "X = gl.randn(5, 3, dtype=np.float64)",
                 "W1 = gl.randn(3, 4, requires_grad=True, dtype=np.float64)",
                 "b1 = gl.zeros(4, requires_grad=True, dtype=np.float64)",
                 "W2 = gl.randn(4, 2, requires_grad=True, dtype=np.float64)",
                 "h = (X @ W1 + b1).relu()",
                 "loss = gl.functional.cross_entropy(h @ W2, np.array([0, 1, 1, 0, 1]))"):
        assert workspace.execute(line).ok, line
    outputs = [workspace.execute(":backward loss").text]
    walk_length = len(workspace.last_trace)
    outputs += [workspace.execute(":step").text for _ in range(walk_length)]
    outputs += [workspace.execute(f":{command} h").text for command in ("show", "focus")]
    text = "\n".join(outputs)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "dL/db1 (4) = upstream (5x4) summed over axis 0 (batch)" in text
    assert "dL/dW1 (3x4) = Xᵀ (3x5) · upstream (5x4)" in text
    W1, X = workspace.namespace["W1"], workspace.namespace["X"]
    matmul = next(step for step in workspace.last_trace if step.op == "matmul" and step.inputs[1] is W1)
    np.testing.assert_allclose(W1.grad, X.data.T @ matmul.upstream)


def test_a_walk_mixing_scalars_and_arrays_tells_each_step_its_own_story():
    x = leaf([1.0, 2.0], "x")
    s = (x * x).sum().named("s")
    y = (s * 3).named("y")
    table = y.backward().table()
    assert "      dL/ds = upstream × local = 1 × 3 = 3" in table.splitlines()       # scalar: the numbers
    assert "copied to every element" in table and "[6, 12]" in table            # x.grad = 2·3·x
    np.testing.assert_allclose(x.grad, [6.0, 12.0])
