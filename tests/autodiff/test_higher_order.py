"""create_graph=True: the Hessian from the engine equals finite differences of its gradient,
for every op whose backward is differentiable (``higher_order = True``)."""
import numpy as np
import pytest

import graphlab as gl

POINT = np.array([0.3, -0.2, 0.7, 0.1])

SCALAR_FUNCTIONS = {
    "add_sub_mul": lambda v: ((v + 1) * (v - 2) * v).sum(),
    "div": lambda v: (v[0] / (v[1] + 2)).sum(),
    "pow_scalar": lambda v: ((v + 1) ** 3).sum(),
    "pow_tensor": lambda v: (v.abs() ** v).sum(),
    "exp_log_sqrt": lambda v: ((v + 2).log() * (v + 1).sqrt() + v.exp()).sum(),
    "tanh_sigmoid": lambda v: (v.tanh() * v.sigmoid()).sum(),
    "relu_leaky_elu": lambda v: ((v - 0.25).relu() * v + gl.leaky_relu(v) * v + gl.elu(v - 0.25)).sum(),
    "clip_maximum_minimum_where": lambda v: (gl.clip(v, -0.1, 0.5) * v + gl.maximum(v, 0.2) * v
                                            + gl.minimum(v, 0.2) * v * v + gl.where(v > 0, v * v, v)).sum(),
    "sum_mean_var": lambda v: v.sum() * v.mean() + v.reshape(2, 2).var(axis=0).sum() * v[0],
    "max_min": lambda v: v.max() * v.sum() + v.reshape(2, 2).min(axis=1).sum() * v[3],
    "logsumexp": lambda v: v.reshape(2, 2).logsumexp(axis=1).sum() + v.logsumexp(),
    "softmax": lambda v: v.reshape(2, 2).softmax(axis=1)[0, 1] * v[2],
    "log_softmax": lambda v: v.log_softmax()[1] * v[0],
    "matmul": lambda v: (v.reshape(2, 2) @ v.reshape(2, 2).T).logsumexp() + (v[:2] @ v[2:]) ** 2,
    "shape_ops": lambda v: (v.reshape(2, 2).T.permute(1, 0).flatten() ** 3).sum() + (v.unsqueeze(0).squeeze() * v).sum(),
    "getitem_fancy": lambda v: (v[np.array([0, 0, 3])] ** 2).sum() * v[1],
    "concat_stack_pad": lambda v: (gl.concat([v, v * v]) ** 2).sum() + (gl.stack([v, v]) ** 3).sum()
                                  + (gl.pad(v, 1) ** 3).sum(),
    "broadcast": lambda v: (v.reshape(4, 1) * v).sum() + (v.broadcast_to((3, 4)) ** 2).sum(),
}


def _gradient_at(function, values):
    leaf = gl.tensor(values, requires_grad=True)
    return gl.grad(function(leaf), leaf)[0].data


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
def test_hessian_matches_finite_differences_of_the_gradient(name):
    function = SCALAR_FUNCTIONS[name]
    eps = 1e-6
    numeric = np.stack([(_gradient_at(function, POINT + eps * unit) - _gradient_at(function, POINT - eps * unit))
                        / (2 * eps) for unit in np.eye(POINT.size)], axis=1)
    analytic = gl.hessian(function, gl.tensor(POINT))
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)
    np.testing.assert_allclose(analytic, analytic.T, atol=1e-6)


def test_hessian_through_a_cast():
    # finite differences cannot see through a float32 round trip at eps=1e-6; the exact answer can
    hessian = gl.hessian(lambda v: (v.astype("float32").astype("float64") ** 3).sum(), gl.tensor(POINT))
    np.testing.assert_allclose(hessian, np.diag(6 * POINT), rtol=1e-6)
