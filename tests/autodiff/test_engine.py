"""The backward walk, the Trace, higher-order gradients, dtypes, errors and memory."""
import gc
import sys
import weakref

import numpy as np
import pytest

import graphlab as gl


# -- tensors ------------------------------------------------------------------------------------
def test_tensor_attributes_and_defaults():
    x = gl.tensor([[1, 2], [3, 4]], name="x")
    assert x.dtype == np.float32 and x.shape == (2, 2) and x.ndim == 2
    assert (x.op, x.parents, x.is_leaf, x.grad, x.requires_grad) == (None, (), True, None, False)
    y = (x.requires_grad_() * 2).named("y")
    assert y.op == "mul" and y.parents[0] is x and not y.is_leaf and y.label == "y"
    assert y.detach().requires_grad is False and y.detach().creator is None
    assert y.numpy() is y.data and gl.scalar(2.5).item() == 2.5
    with pytest.raises(ValueError, match="has 4 elements"):
        y.item()


def test_scalar_is_0d_and_requires_grad():
    s = gl.scalar(-2, name="x")
    assert s.shape == () and s.requires_grad and s.dtype == np.float32 and s.name == "x"


def test_creation_helpers_and_seed():
    assert gl.zeros(2, 3).shape == (2, 3) and gl.ones((4,)).data.sum() == 4
    assert gl.arange(5).tolist() == [0, 1, 2, 3, 4] and gl.arange(5).dtype == np.float32
    gl.manual_seed(7)
    first = gl.randn(3, 2).data
    gl.manual_seed(7)
    np.testing.assert_array_equal(first, gl.randn(3, 2).data)
    assert gl.randn(2, dtype=np.float64).dtype == np.float64


def test_default_dtype_can_change_and_float64_is_kept():
    with gl.default_dtype(np.float64):
        assert gl.tensor([1.0]).dtype == np.float64
    assert gl.tensor([1.0]).dtype == np.float32
    x = gl.tensor(np.array([1.0, 2.0]), requires_grad=True)        # a numpy float64 array stays float64
    (x * 3).sum().backward()
    assert x.dtype == np.float64 and x.grad.dtype == np.float64


def test_ops_never_upcast_float32():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    for result in (x * 2.5, x + np.float64(1.0), x / np.array([2.0, 4.0]), x ** 2, x.exp(), x.mean()):
        assert result.dtype == np.float32, result
    with pytest.raises(gl.DtypeError, match=r"add: inputs mix float32 and float64.*dtype=np\.float32"):
        x + gl.tensor(np.array([1.0, 2.0]))


# -- the walk and its Trace --------------------------------------------------------------------
def test_leaves_accumulate_and_intermediates_are_fresh():
    x = gl.scalar(3.0, name="x")
    hidden = (x * x).named("h")
    y = (hidden * 2).named("y")
    y.backward()
    y.backward()
    assert x.grad == 24 and type(x.grad) is np.ndarray   # 12 + 12: leaves accumulate, as in PyTorch
    assert hidden.grad == 2       # not 4: an intermediate gets a fresh gradient each walk
    x.zero_grad()
    y.backward()
    assert x.grad == 12


def test_non_scalar_backward_needs_grad():
    y = gl.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(gl.BackwardError, match=r"shape \(2,\).*\.sum\(\).*grad="):
        y.backward()
    with pytest.raises(gl.ShapeError, match="grad has shape"):
        y.backward(grad=np.ones(3))


def test_backward_through_a_comparison_is_a_clear_error():
    x = gl.tensor([1.0, -2.0], requires_grad=True)
    mask = (x > 0).named("mask")
    assert mask.requires_grad is False and mask.data.tolist() == [True, False]
    with pytest.raises(gl.BackwardError, match=r"mask = gt.*comparison.*gl.where"):
        mask.sum().backward()
    (x * mask).sum().backward()                     # as a mask it is fine
    assert x.grad.tolist() == [1, 0]


def test_backward_without_any_graph_says_why():
    with gl.no_grad():
        y = gl.scalar(2.0) * 3
    assert y.requires_grad is False and y.creator is None
    with pytest.raises(gl.BackwardError, match="requires_grad=True"):
        y.backward()
    with gl.no_grad():
        with gl.enable_grad():
            assert (gl.scalar(2.0) * 3).requires_grad


def test_deep_chain_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = gl.scalar(0.5, name="x")
    node = x
    for _ in range(100_000):
        node = node * 1.0
    trace = node.backward()
    assert len(trace) == 100_001 and x.grad == 1.0
    assert sys.getrecursionlimit() == limit


def test_fan_out_step_shows_the_sum():
    x = gl.scalar(2.0, name="x")
    y = (x * x + x).named("y")
    trace = y.backward()
    step = trace.step_for(x)
    assert step.is_fan_out and len(step.contributions) == 3
    assert sorted(float(grad) for _, grad in step.contributions) == [1, 2, 2]
    assert x.grad == 5 and type(x.grad) is np.ndarray and type(step.upstream) is np.ndarray
    assert "fan-out adds" in str(step)
    assert "x" in trace.table() and trace.table().splitlines()[0].split()[:3] == ["#", "node", "op"]


def test_backward_steps_pause_between_nodes_and_end_in_the_same_gradients():
    def build():
        a, b = gl.scalar(1.5, name="a"), gl.scalar(-0.5, name="b")
        out = ((a * b).tanh() + a.exp() * b).named("out")
        return out, a, b

    out, a, b = build()
    out.backward()
    full = (a.grad, b.grad)
    out, a, b = build()
    walk = gl.backward_steps(out)
    first = next(walk)
    assert first.node is out and a.grad is None       # paused after one node
    assert walk.pending and not walk.done
    steps = [first] + list(walk)
    assert walk.done and len(steps) == len(walk)
    assert (a.grad, b.grad) == full


# -- gl.grad, higher order, jacobian, hessian ----------------------------------------------------
def test_grad_leaves_dot_grad_alone():
    x = gl.scalar(3.0)
    (dx,) = gl.grad(x ** 2, x)
    assert dx.item() == 6 and x.grad is None


def test_second_derivatives():
    x = gl.scalar(0.3, dtype=np.float64)
    (first,) = gl.grad(x.tanh(), x, create_graph=True)
    (second,) = gl.grad(first, x)
    t = np.tanh(0.3)
    assert first.item() == pytest.approx(1 - t * t)
    assert second.item() == pytest.approx(-2 * t * (1 - t * t))
    (cubic_first,) = gl.grad(x ** 3, x, create_graph=True)
    (cubic_second,) = gl.grad(cubic_first, x)
    assert cubic_second.item() == pytest.approx(6 * 0.3)


def test_hessian_and_hessian_vector_product():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])

    def f(v):
        return (v * (gl.tensor(A) @ v)).sum() / 2 + (v ** 3).sum()

    point = np.array([0.5, -1.0, 2.0])
    expected = A + np.diag(6 * point)
    np.testing.assert_allclose(gl.hessian(f, gl.tensor(point)), expected, rtol=1e-12)
    vector = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(gl.hvp(f, gl.tensor(point), vector), expected @ vector, rtol=1e-12)


def test_second_derivatives_through_reductions_shapes_and_matmul():
    def f(v):
        m = v.reshape(2, 2)
        return (m @ m.T).logsumexp() + m.softmax(axis=1)[0, 1] * m.var() + m.max()

    point = np.array([0.3, -0.2, 0.7, 0.1])

    def gradient_at(values):
        leaf = gl.tensor(values, requires_grad=True)
        return gl.grad(f(leaf), leaf)[0].data

    eps = 1e-6
    numeric = np.stack([(gradient_at(point + eps * unit) - gradient_at(point - eps * unit)) / (2 * eps)
                        for unit in np.eye(4)], axis=1)
    np.testing.assert_allclose(gl.hessian(f, gl.tensor(point)), numeric, atol=1e-7)


def test_create_graph_through_an_op_without_higher_order_is_an_error():
    class Cube(gl.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, upstream):
            (x,) = ctx.saved_tensors
            return upstream * 3 * np.square(x)

    x = gl.scalar(2.0)
    with pytest.raises(gl.BackwardError, match=r"cube: .*create_graph=True.*higher_order = True.*composed twin"):
        gl.grad(Cube.apply(x), x, create_graph=True)
    assert gl.grad(Cube.apply(x), x)[0].item() == 12


def test_jacobian_shapes_and_numeric_jacobian_agree():
    w = gl.tensor(np.arange(6.0).reshape(2, 3) / 5)
    x = gl.tensor(np.array([0.1, -0.4, 0.3]))
    analytic_w, analytic_x = gl.jacobian(lambda w, x: (w @ x).tanh(), [w, x])
    numeric_w, numeric_x = gl.numeric_jacobian(lambda w, x: (w @ x).tanh(), [w, x])
    assert analytic_w.shape == (2, 2, 3) and analytic_x.shape == (2, 3)
    np.testing.assert_allclose(analytic_w, numeric_w, atol=1e-8)
    np.testing.assert_allclose(analytic_x, numeric_x, atol=1e-8)


# -- custom Functions and gradcheck --------------------------------------------------------------
class Softplus(gl.Function):
    """log(1 + e^x), with the context API of PyTorch."""

    @staticmethod
    def forward(ctx, x, beta=1.0):
        ctx.beta = beta
        ctx.save_for_backward(x)
        return np.logaddexp(0, beta * x) / beta

    @staticmethod
    def local(ctx):
        (x,) = ctx.saved_tensors
        return 1 / (1 + np.exp(-ctx.beta * x))

    @staticmethod
    def backward(ctx, upstream):
        return upstream * Softplus.local(ctx)


class WrongSoftplus(Softplus):
    name = "wrong_softplus"

    @staticmethod
    def backward(ctx, upstream):
        return upstream * Softplus.local(ctx) * 1.01     # 1% off: gradcheck must see it


def test_custom_function_records_its_node():
    x = gl.tensor([0.5, -1.0], requires_grad=True, name="x")
    y = Softplus.apply(x, beta=2.0)
    assert y.op == "softplus" and y.parents == (x,)
    trace = y.sum().backward()
    step = trace.step_for(y)
    np.testing.assert_allclose(step.local[0], 1 / (1 + np.exp(-2 * x.data)), rtol=1e-6)
    assert gl.Function.registry["softplus"] is Softplus


def test_gradcheck_passes_a_right_backward_and_catches_a_wrong_one():
    x = gl.tensor(np.array([0.5, -1.0, 2.0]))
    assert gl.gradcheck(lambda v: Softplus.apply(v, beta=1.5), [x])
    with pytest.raises(gl.GradcheckError) as caught:
        gl.gradcheck(lambda v: WrongSoftplus.apply(v), [x])
    message = str(caught.value)
    assert "3 Jacobian entries differ" in message and "analytic" in message and "numeric" in message


def test_backward_returning_the_wrong_count_is_named():
    class TwoIn(gl.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, upstream):
            return upstream

    with pytest.raises(gl.BackwardError, match="two_in: backward returned 1 gradients for 2 inputs"):
        TwoIn.apply(gl.scalar(1.0), gl.scalar(2.0)).backward()


# -- anomalies and bad input ---------------------------------------------------------------------
def test_detect_anomaly_names_the_op_and_the_ranges():
    x = gl.tensor([1.0, -1.0], requires_grad=True, name="x")
    with gl.detect_anomaly():
        with pytest.raises(gl.AnomalyError, match=r"log: forward produced NaN.*x \(2,\) in \[-1, 1\]"):
            with np.errstate(invalid="ignore"):
                x.log()
        root = gl.tensor([0.0, 4.0], requires_grad=True, name="r")
        with pytest.raises(gl.AnomalyError, match=r"sqrt: backward \(gradient for r\) produced inf"):
            with np.errstate(divide="ignore"):
                root.sqrt().sum().backward()


@pytest.mark.parametrize("data, message", [
    ("abc", "string 'abc'"),
    ([[1, 2], [3]], "rectangular"),
    ([object()], "not numeric"),
])
def test_non_numeric_data_is_rejected(data, message):
    with pytest.raises(gl.DtypeError, match=message):
        gl.tensor(data)


def test_shape_errors_name_the_op_and_the_shapes():
    with pytest.raises(gl.ShapeError, match=r"add: cannot apply to inputs of shapes \(2, 3\), \(4,\)"):
        gl.ones(2, 3) + gl.ones(4)
    with pytest.raises(gl.ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not align: "
                                              r"x.shape\[-1\]=3 != w.shape\[-2\]=4"):
        gl.ones(2, 3) @ gl.ones(4, 5)
    with pytest.raises(gl.ShapeError, match=r"reshape: cannot reshape \(2, 3\)"):
        gl.ones(2, 3).reshape(4, 2)
    with pytest.raises(gl.ShapeError, match="concat: shapes"):
        gl.concat([gl.ones(2, 3), gl.ones(2, 4)], axis=0)


def test_integers_cannot_require_grad():
    with pytest.raises(gl.DtypeError, match="only float tensors"):
        gl.tensor(np.array([1, 2]), requires_grad=True)
    labels = gl.tensor(np.array([0, 2]))
    assert labels.dtype.kind == "i"
    assert (gl.ones(2, requires_grad=True) * labels).dtype == np.float32


# -- memory -------------------------------------------------------------------------------------
def test_graph_is_freed_without_the_garbage_collector():
    gc.collect()
    gc.disable()
    try:
        x = gl.tensor([1.0, 2.0], requires_grad=True)
        hidden = (x * x).sigmoid()
        out = (hidden * x).sum()
        trace = out.backward()
        watched = [weakref.ref(hidden), weakref.ref(out), weakref.ref(hidden.creator)]
        del hidden, out, trace
        assert all(ref() is None for ref in watched)   # reference counting alone freed them
    finally:
        gc.enable()


def test_inputs_that_need_no_gradient_get_none_downstream():
    frozen = gl.tensor([[1.0, 2.0], [3.0, 4.0]], name="frozen")          # requires_grad=False
    x = gl.tensor([0.5, -1.0], requires_grad=True, name="x")
    y = (frozen @ x).named("y")
    trace = y.sum().backward()
    step = trace.step_for(y)
    assert step.downstream[0] is None and frozen.grad is None
    np.testing.assert_allclose(x.grad, frozen.data.sum(axis=0))
    linear_input = gl.tensor([[1.0, 2.0]], requires_grad=True)
    weight = gl.tensor([[3.0, 4.0]])                                        # a frozen layer
    out = gl.functional.linear(linear_input, weight)
    out.sum().backward()
    assert weight.grad is None and linear_input.grad.tolist() == [[3.0, 4.0]]


# -- backward(record=False): training's walk ------------------------------------------------------
def test_unrecorded_backward_gives_the_leaves_the_same_gradients_and_keeps_nothing_else():
    """record=False (gl.train.fit's walk) fills the same leaf gradients as the recorded walk,
    through fan-outs and a CNN block, and leaves no Trace and no intermediate .grad behind."""
    import graphlab.functional as F
    from graphlab.autodiff.engine import graph_nodes
    rng = np.random.default_rng(3)
    x = gl.tensor(rng.standard_normal((2, 16, 8, 8)), requires_grad=True)
    w = gl.tensor(rng.standard_normal((16, 16, 3, 3)) * 0.1, requires_grad=True)
    v = gl.tensor(0.7, dtype=np.float64, requires_grad=True)

    def loss():
        h = F.conv2d(x, w, padding=1)
        h = F.relu(F.batch_norm(h, None, None, training=True)) + h * v    # fan-out of h and of v
        return (h * h).sum() * v

    recorded = loss()
    trace = recorded.backward()
    expected = [t.grad.copy() for t in (x, w, v)]
    for t in (x, w, v):
        t.grad = None
    unrecorded = loss()
    assert unrecorded.backward(record=False) is None
    for t, gradient in zip((x, w, v), expected):
        np.testing.assert_allclose(t.grad, gradient, rtol=1e-10, atol=1e-12)
    assert len(trace) > 0 and all(node.grad is None for node in graph_nodes(unrecorded) if node.creator)


def test_unrecorded_backward_clears_stale_intermediate_gradients_and_accumulates_leaves():
    a = gl.scalar(2.0, requires_grad=True)
    b = (a * a).named("b")
    c = b * 3
    c.backward()
    assert float(b.grad) == 3 and float(a.grad) == 12
    c.backward(record=False)                       # leaves accumulate, as in PyTorch
    assert b.grad is None and float(a.grad) == 24


def test_unrecorded_backward_refuses_create_graph_and_non_flags():
    a = gl.scalar(2.0, requires_grad=True)
    with pytest.raises(gl.BackwardError, match="record=False keeps only the leaves' gradients"):
        (a * a).backward(record=False, create_graph=True)
    with pytest.raises(TypeError, match="record must be True or False"):
        (a * a).backward(record="no")
