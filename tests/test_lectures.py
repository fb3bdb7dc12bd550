"""The lecture's numbers, asserted exactly (ids from docs/catalogue.md)."""
import numpy as np
import pytest

import graphlab as gl


def test_E01_add_then_multiply():
    x, y, z = gl.scalar(-2, name="x"), gl.scalar(5, name="y"), gl.scalar(-4, name="z")
    q = (x + y).named("q")
    f = (q * z).named("f")
    assert q.item() == 3 and f.item() == -12
    trace = f.backward()
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4, -4, 3, -4, 1)
    mul_step, add_step = trace.step_for(f), trace.step_for(q)
    assert str(mul_step) == "f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)"
    assert str(add_step) == "q = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)"
    assert (mul_step.pattern, add_step.pattern) == ("swap", "distributor")


def _sigmoid_neuron(fused: bool):
    w0, x0, w1, x1, w2 = (gl.scalar(v, name=n, dtype=np.float64) for v, n in
                          [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")])
    linear = (w0 * x0 + w1 * x1 + w2).named("s")
    output = linear.sigmoid() if fused else 1 / (1 + (-linear).exp())
    return output.named("f"), dict(w0=w0, x0=x0, w1=w1, x1=x1, w2=w2)


# E03 exact values from the catalogue (the notes round them to 2 decimals)
E03_GRADIENTS = dict(w0=-0.1966119, x0=0.3932239, w1=-0.3932239, x1=-0.5898358, w2=0.1966119)
E03_ROUNDED = dict(w0=-0.20, x0=0.39, w1=-0.39, x1=-0.59, w2=0.20)


@pytest.mark.parametrize("fused", [False, True], ids=["E03_composed", "E04_fused"])
def test_E03_E04_sigmoid_neuron(fused):
    f, leaves = _sigmoid_neuron(fused)
    assert round(f.item(), 2) == 0.73
    assert f.item() == pytest.approx(0.7310586, abs=1e-7)
    f.backward()
    for name, leaf in leaves.items():
        assert leaf.grad == pytest.approx(E03_GRADIENTS[name], abs=1e-7)
        assert round(float(leaf.grad), 2) == E03_ROUNDED[name]


def test_E03_composed_chain_matches_the_notes_node_by_node():
    f, _ = _sigmoid_neuron(fused=False)
    trace = f.backward()
    by_op = {}
    for step in trace:
        by_op.setdefault(step.op, []).append(step)
    # 1/x gate: upstream 1, downstream -0.53; exp gate: downstream -0.20 (E03 table)
    (reciprocal,) = by_op["div"]
    assert reciprocal.upstream == 1
    assert reciprocal.downstream[1] == pytest.approx(-0.5344466, abs=1e-7)
    (exp_step,) = by_op["exp"]
    assert exp_step.upstream == pytest.approx(-0.5344466, abs=1e-7)
    assert exp_step.local[0] == pytest.approx(np.exp(-1))
    assert exp_step.downstream[0] == pytest.approx(-0.1966119, abs=1e-7)
    (negate,) = by_op["neg"]
    assert negate.downstream[0] == pytest.approx(0.1966119, abs=1e-7)


def test_E04_fused_sigmoid_local_gradient():
    f, _ = _sigmoid_neuron(fused=True)
    trace = f.backward()
    step = trace.step_for(f)
    assert step.op == "sigmoid"
    assert step.local[0] == pytest.approx(0.1966119, abs=1e-7)
    assert round(float(step.local[0]), 2) == 0.20


def test_E05_gate_patterns():
    # add distributor: 3 + 2, upstream 2 -> (2, 2)
    a, b = gl.scalar(3.0), gl.scalar(2.0)
    trace = (a + b).backward(grad=2.0)
    assert trace[0].pattern == "distributor" and trace[0].downstream == (2, 2)
    # mul swap: 2 * 3, upstream 5 -> (15, 10)
    a, b = gl.scalar(2.0), gl.scalar(3.0)
    trace = (a * b).backward(grad=5.0)
    assert trace[0].pattern == "swap" and trace[0].downstream == (15, 10)
    # max router: max(4, 5), upstream 9 -> (0, 9)
    a, b = gl.scalar(4.0), gl.scalar(5.0)
    trace = gl.maximum(a, b).backward(grad=9.0)
    assert trace[0].pattern == "router" and trace[0].downstream == (0, 9)
    # copy adder: 4 used twice, upstreams 3 and 2 -> 5
    x = gl.scalar(4.0, name="x")
    first, second = (x * 1).named("first"), (x * 1).named("second")
    total = (first * 3 + second * 2).named("total")
    trace = total.backward()
    step = trace.step_for(x)
    assert step.pattern == "adder" and step.is_fan_out
    assert sorted(float(grad) for _, grad in step.contributions) == [2, 3]
    assert x.grad == 5


def test_E08_jacobian_by_hand():
    def f(v):
        x, y = v[0], v[1]
        return gl.stack([x ** 4 + 3 * y ** 2 * x, 5 * y ** 2 - 2 * x * y + 1])

    point = gl.tensor([1.0, 2.0], dtype=np.float64)
    assert f(point).tolist() == [13, 17]
    np.testing.assert_array_equal(gl.jacobian(f, point), [[16, 12], [-4, 18]])


def test_E10_relu_diagonal_jacobian():
    x = gl.tensor([1.0, -2.0, 3.0, -1.0], requires_grad=True)
    np.testing.assert_array_equal(gl.jacobian(gl.relu, x), np.diag([1, 0, 1, 0]))
    y = x.relu()
    assert y.tolist() == [1, 0, 3, 0]
    y.backward(grad=[4.0, -1.0, 5.0, 9.0])
    assert x.grad.tolist() == [4, 0, 5, 0]


def test_E11_matmul_local_gradient_slice():
    # dL/dx_{1,1} = w_{1,:} . dL/dy_{1,:} = 3*2 + 2*3 + 1*(-3) + (-1)*9 = 0
    w = gl.tensor([[3, 2, 1, -1], [0, 1, 0, 1], [3, 2, 1, -2]], requires_grad=True)
    x = gl.tensor([[1, 2, 3], [4, 5, 6]], requires_grad=True)
    upstream = np.array([[2, 3, -3, 9], [-8, 1, 4, 6]], dtype=np.float32)
    (x @ w).backward(grad=upstream)
    assert x.grad[0, 0] == 0
    np.testing.assert_allclose(x.grad, upstream @ w.data.T)
    np.testing.assert_allclose(w.grad, x.data.T @ upstream)
    assert x.grad.shape == x.shape and w.grad.shape == w.shape   # E07: grad has the value's shape


def test_E12_vectorized_norm_of_product():
    W = gl.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True, name="W")
    x = gl.tensor([0.2, 0.4], requires_grad=True, name="x")
    q = (W @ x).named("q")
    f = (q ** 2).sum().named("f")
    np.testing.assert_allclose(q.data, [0.22, 0.26], rtol=1e-6)
    assert f.item() == pytest.approx(0.116, rel=1e-6)
    f.backward()
    np.testing.assert_allclose(q.grad, [0.44, 0.52], rtol=1e-6)
    np.testing.assert_allclose(W.grad, [[0.088, 0.176], [0.104, 0.208]], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [-0.112, 0.636], rtol=1e-5)
    assert W.grad.dtype == np.float32
