"""The API a PyTorch user expects (issue 17), checked against PyTorch itself: the same call
spelled both ways gives the same values and the same gradients (float64)."""
import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.errors import ParameterError, ShapeError

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def pair_of(shape, seed=0, low=-2.0, high=2.0):
    """The same float64 values as a graphlab leaf and a torch leaf, both requiring grad."""
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    return gl.tensor(values, dtype="float64", requires_grad=True), torch.tensor(values, requires_grad=True)


def assert_same(ours, theirs, ours_leaves, their_leaves, tol=1e-10):
    """Equal values, and equal gradients of the sum of (output · fixed weights)."""
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=tol, atol=tol)
    weights = np.random.default_rng(7).uniform(-1, 1, size=ours.shape)
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for mine, their in zip(ours_leaves, their_leaves):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=tol, atol=tol)


# -- transpose, permute, .T ----------------------------------------------------------------------
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (-1, 1), (2, 2)])
def test_transpose_swaps_two_dims_as_pytorch(dims):
    x, t = pair_of((2, 3, 4))
    assert_same(x.transpose(*dims), t.transpose(*dims), [x], [t])


def test_transpose_of_a_matrix_is_not_the_identity_any_more():
    x, t = pair_of((2, 3))
    assert x.transpose(0, 1).shape == (3, 2)
    assert_same(gl.transpose(x, 0, 1), torch.transpose(t, 0, 1), [x], [t])


def test_transpose_with_a_full_order_points_at_permute():
    x = gl.zeros(2, 3, 4)
    with pytest.raises(ParameterError, match=r"permute\(2, 0, 1\)"):
        x.transpose(2, 0, 1)
    with pytest.raises(ParameterError, match="transpose"):
        x.transpose(1)


def test_permute_T_and_the_permutation_tuple():
    x, t = pair_of((2, 3, 4))
    assert_same(x.permute(2, 0, 1), t.permute(2, 0, 1), [x], [t])
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)            # numpy's one-tuple permutation
    m, tm = pair_of((2, 3), seed=1)
    assert_same(m.T, tm.T, [m], [tm])


# -- dim= / keepdim= -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "logsumexp"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (1, True), ((0, 2), False), (-1, True)])
def test_reductions_take_dim_and_keepdim(name, dim, keepdim):
    x, t = pair_of((2, 3, 4))
    assert_same(getattr(x, name)(dim=dim, keepdim=keepdim), getattr(torch, name)(t, dim=dim, keepdim=keepdim),
                [x], [t])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_and_min_with_dim_return_values_and_indices(name, keepdim):
    x, t = pair_of((3, 4), seed=2)
    values, indices = getattr(x, name)(dim=1, keepdim=keepdim)
    their_values, their_indices = getattr(torch, name)(t, dim=1, keepdim=keepdim)
    np.testing.assert_array_equal(indices.data, their_indices.numpy())
    assert indices.dtype == np.int64
    assert_same(values, their_values, [x], [t])
    assert getattr(x, name)(axis=1).shape == (3,)                 # numpy's spelling: the values only


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_and_argmin_with_dim(name):
    x, t = pair_of((3, 4), seed=3)
    for dim, keepdim in [(0, False), (1, True), (None, False)]:
        np.testing.assert_array_equal(getattr(x, name)(dim=dim, keepdim=keepdim).data,
                                      getattr(torch, name)(t, dim=dim, keepdim=keepdim).numpy())


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_takes_dim(name, dim):
    x, t = pair_of((2, 3, 4), seed=4)
    assert_same(getattr(gl, name)(x, dim=dim), getattr(torch, name)(t, dim=dim), [x], [t])
    y, u = pair_of((2, 3, 4), seed=4)
    assert_same(getattr(y, name)(dim=dim), getattr(u, name)(dim=dim), [y], [u])


def test_functional_softmax_nn_softmax_squeeze_and_unsqueeze_take_dim():
    x, t = pair_of((2, 3, 4), seed=26)
    assert_same(F.log_softmax(F.softmax(x, dim=1), dim=0), TF.log_softmax(TF.softmax(t, dim=1), dim=0), [x], [t])
    y, u = pair_of((2, 3, 4), seed=26)
    assert_same(gl.nn.Softmax(dim=1)(y), torch.nn.Softmax(dim=1)(u), [y], [u])
    z, v = pair_of((2, 1, 4), seed=27)
    assert_same(z.unsqueeze(dim=0).squeeze(dim=2), v.unsqueeze(dim=0).squeeze(dim=2), [z], [v])
    with pytest.raises(TypeError, match="squeeze: give axis= .numpy. or dim= .PyTorch., not both"):
        z.squeeze(1, dim=1)
    with pytest.raises(ParameterError, match="unsqueeze: give the position"):
        z.unsqueeze()


@pytest.mark.parametrize("spelling", ["concat", "cat", "stack"])
def test_concat_cat_and_stack_take_dim(spelling):
    (a, ta), (b, tb) = pair_of((2, 3), seed=5), pair_of((2, 3), seed=6)
    theirs = torch.stack([ta, tb], dim=1) if spelling == "stack" else torch.cat([ta, tb], dim=1)
    assert_same(getattr(gl, spelling)([a, b], dim=1), theirs, [a, b], [ta, tb])


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=0, dim=0), lambda x: x.mean(keepdims=True, keepdim=True), lambda x: x.max(axis=1, dim=1),
    lambda x: gl.softmax(x, axis=0, dim=0), lambda x: gl.concat([x, x], axis=0, dim=0),
    lambda x: x.var(ddof=1, correction=1), lambda x: x.std(axis=0, dim=0)])
def test_both_spellings_at_once_is_a_clear_error(call):
    with pytest.raises(TypeError, match=r"not both"):
        call(gl.ones(2, 3))


# -- std, var ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("kwargs", [dict(dim=1), dict(dim=(0, 2), keepdim=True), dict(dim=1, correction=0),
                                    dict(correction=2), dict()])
def test_std_and_var_match_pytorch_when_spelled_its_way(name, kwargs):
    x, t = pair_of((3, 4, 5), seed=8)
    assert_same(getattr(x, name)(**kwargs), getattr(torch, name)(t, **kwargs) if kwargs else
                getattr(torch, name)(t, correction=0), [x], [t])


def test_std_with_numpy_spelling_keeps_numpy_ddof():
    data = np.arange(12.0).reshape(3, 4)
    x = gl.tensor(data, dtype="float64")
    np.testing.assert_allclose(x.std(axis=1).data, np.std(data, axis=1))
    np.testing.assert_allclose(x.std(axis=1, ddof=1).data, np.std(data, axis=1, ddof=1))
    np.testing.assert_allclose(gl.std(x).data, np.std(data))
    spread = x.requires_grad_().std(dim=1)
    assert spread.op == "sqrt" and spread.parents[0].op == "var"            # two nodes: var, then sqrt


# -- new ops and methods ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos(name):
    x, t = pair_of((3, 4), seed=9, low=-4, high=4)
    assert_same(getattr(x, name)(), getattr(torch, name)(t), [x], [t])
    y, u = pair_of((3,), seed=10)
    assert_same(getattr(gl, name)(y), getattr(torch, name)(u), [y], [u])


def test_sin_has_exact_second_derivative():
    x = gl.tensor([0.5, 1.0], dtype="float64", requires_grad=True)
    (first,) = gl.grad(gl.sin(x).sum(), [x], create_graph=True)
    (second,) = gl.grad(first.sum(), [x])
    np.testing.assert_allclose(second.data, -np.sin([0.5, 1.0]))


def test_clamp_is_clip():
    x, t = pair_of((3, 4), seed=11)
    assert_same(x.clamp(-0.5, 0.75), t.clamp(-0.5, 0.75), [x], [t])
    y, u = pair_of((3, 4), seed=11)
    assert_same(gl.clamp(y, max=0.5), torch.clamp(u, max=0.5), [y], [u])
    assert gl.clamp(y, min=0).op == "clip"


def test_clone_copies_the_data_and_keeps_the_gradient():
    x, t = pair_of((2, 3), seed=12)
    copy = x.clone()
    assert copy.data is not x.data and not np.shares_memory(copy.data, x.data)
    assert_same(copy * 3, t.clone() * 3, [x], [t])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_matches_pytorch(dim):
    x, t = pair_of((3, 4), seed=13)
    index = np.random.default_rng(dim + 5).integers(0, x.shape[dim], size=(3, 4) if dim != 1 else (3, 6))
    assert_same(x.gather(dim, index), t.gather(dim, torch.tensor(index)), [x], [t])


def test_gather_repeated_indices_add_their_gradients():
    x = gl.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    gl.gather(x, 0, [0, 0, 2, 0]).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_gather_bad_index_is_a_clear_error():
    x = gl.zeros(2, 3)
    with pytest.raises(ShapeError, match="gather: index values"):
        x.gather(1, [[0, 3], [0, 0]])
    with pytest.raises(ParameterError, match="gather: index must be an integer"):
        x.gather(1, [[0.5]])
    with pytest.raises(ShapeError, match="gather: index has 1 dims"):
        x.gather(1, [0])


def test_masked_fill_matches_pytorch():
    x, t = pair_of((3, 4), seed=14)
    mask = x.data > 0.5
    assert_same(x.masked_fill(mask, -1.5), t.masked_fill(torch.tensor(mask), -1.5), [x], [t])
    with pytest.raises(ParameterError, match="masked_fill: mask must be a bool"):
        x.masked_fill(x.data, 0.0)


def test_view_numel_dim_and_size():
    x, t = pair_of((2, 3, 4), seed=15)
    assert_same(x.view(6, 4), t.view(6, 4), [x], [t])
    assert (x.numel(), x.dim()) == (t.numel(), t.dim()) == (24, 3)
    assert x.size() == tuple(t.size()) == (2, 3, 4)
    assert x.size(1) == t.size(1) == 3 and x.size(dim=-1) == t.size(dim=-1) == 4
    assert x.size == 24 and x.size + 1 == 25                      # numpy's size: still the element count
    with pytest.raises(ShapeError, match="size: dim=3"):
        x.size(3)


def test_detach_in_place_cuts_the_tensor_from_the_graph():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert (y.creator, y.requires_grad, y.is_leaf) == (None, False, True)
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


# -- functional: conv2d padding, pooling options, cross-entropy ------------------------------------------
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("kernel, dilation", [((3, 3), 1), ((2, 4), 1), ((3, 2), 2)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_named_padding(kernel, dilation, padding):
    x, tx = pair_of((2, 3, 6, 7), seed=16)
    w, tw = pair_of((4, 3) + kernel, seed=17)
    ours = F.conv2d(x, w, padding=padding, dilation=dilation)
    if padding == "same":
        assert ours.shape[2:] == (6, 7)
    assert_same(ours, TF.conv2d(tx, tw, padding=padding, dilation=dilation), [x, w], [tx, tw])


def test_conv2d_same_needs_stride_one():
    with pytest.raises(ParameterError, match="padding='same' needs stride=1"):
        F.conv2d(gl.zeros(1, 1, 4, 4), gl.zeros(1, 1, 3, 3), padding="same", stride=2)
    with pytest.raises(ValueError, match="conv2d: padding must be one of"):
        F.conv2d(gl.zeros(1, 1, 4, 4), gl.zeros(1, 1, 3, 3), padding="full")


POOL_SETTINGS = [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=2, padding=1),
                 dict(kernel_size=(2, 3), stride=(2, 2), padding=(1, 1)), dict(kernel_size=2, stride=3)]


@pytest.mark.parametrize("settings", POOL_SETTINGS)
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool2d_ceil_mode(settings, ceil_mode):
    x, t = pair_of((2, 2, 7, 6), seed=18)
    assert_same(F.max_pool2d(x, ceil_mode=ceil_mode, **settings), TF.max_pool2d(t, ceil_mode=ceil_mode, **settings),
                [x], [t])


@pytest.mark.parametrize("settings", POOL_SETTINGS)
@pytest.mark.parametrize("ceil_mode, count_include_pad", [(False, False), (True, True), (True, False), (False, True)])
def test_avg_pool2d_ceil_mode_and_count_include_pad(settings, ceil_mode, count_include_pad):
    x, t = pair_of((2, 2, 7, 6), seed=19)
    ours = F.avg_pool2d(x, ceil_mode=ceil_mode, count_include_pad=count_include_pad, **settings)
    theirs = TF.avg_pool2d(t, ceil_mode=ceil_mode, count_include_pad=count_include_pad, **settings)
    assert_same(ours, theirs, [x], [t])


def test_pooling_flags_must_be_booleans():
    with pytest.raises(TypeError, match="avg_pool2d: count_include_pad must be True or False"):
        F.avg_pool2d(gl.zeros(1, 1, 4, 4), 2, count_include_pad="no")
    with pytest.raises(TypeError, match="max_pool2d: ceil_mode"):
        F.max_pool2d(gl.zeros(1, 1, 4, 4), 2, ceil_mode=1)


@pytest.mark.parametrize("output_size", [1, 2, 3, (5, 2), (4, 6), (7, 1)])
def test_adaptive_avg_pool2d_to_any_size(output_size):
    x, t = pair_of((2, 3, 7, 6), seed=20)
    assert_same(F.adaptive_avg_pool2d(x, output_size), TF.adaptive_avg_pool2d(t, output_size), [x], [t])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_class_weights_and_ignore_index(reduction):
    x, t = pair_of((6, 4), seed=21)
    targets = np.array([0, 3, 1, -100, 3, 2])
    weight = np.array([0.5, 2.0, 1.0, 0.25])
    ours = F.cross_entropy(x, targets, weight=weight, reduction=reduction)
    theirs = TF.cross_entropy(t, torch.tensor(targets), weight=torch.tensor(weight), reduction=reduction)
    assert_same(ours, theirs, [x], [t])


def test_cross_entropy_ignore_index_alone():
    x, t = pair_of((5, 3), seed=22)
    targets = np.array([0, 2, 2, 1, 0])
    assert_same(F.cross_entropy(x, targets, ignore_index=2),
                TF.cross_entropy(t, torch.tensor(targets), ignore_index=2), [x], [t])


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_of_images(reduction):
    x, t = pair_of((2, 4, 3, 5), seed=23)
    targets = np.random.default_rng(1).integers(0, 4, size=(2, 3, 5))
    ours = F.cross_entropy(x, targets, reduction=reduction)
    assert ours.shape == ((2, 3, 5) if reduction == "none" else ())
    assert_same(ours, TF.cross_entropy(t, torch.tensor(targets), reduction=reduction), [x], [t])
    y, u = pair_of((2, 4, 3, 5), seed=23)
    targets[0, 0, 0] = -100
    class_weight = [1.0, 2.0, 3.0, 4.0]
    assert_same(F.cross_entropy(y, targets, weight=class_weight),
                TF.cross_entropy(u, torch.tensor(targets), weight=torch.tensor(class_weight, dtype=torch.float64)),
                [y], [u])


def test_cross_entropy_of_images_with_probabilities():
    x, t = pair_of((2, 3, 2, 2), seed=24)
    probabilities = np.random.default_rng(2).dirichlet(np.ones(3), size=(2, 2, 2)).transpose(0, 3, 1, 2)
    assert_same(F.cross_entropy(x, probabilities), TF.cross_entropy(t, torch.tensor(probabilities)), [x], [t])


def test_cross_entropy_bad_weight_is_a_clear_error():
    x = gl.zeros(2, 3)
    with pytest.raises(ShapeError, match="cross_entropy: weight of shape"):
        F.cross_entropy(x, [0, 1], weight=[1.0, 2.0])
    with pytest.raises(ShapeError, match="cross_entropy: targets must be class indices"):
        F.cross_entropy(x, [0, 5], weight=[1.0, 2.0, 3.0])


# -- optimizer.step(closure) -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_optimizer_step_with_a_closure_follows_pytorch(name):
    w, tw = pair_of((3,), seed=25)
    data = np.array([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0]])
    ours = getattr(gl.optim, name)([w], lr=0.1)
    theirs = getattr(torch.optim, name)([tw], lr=0.1)

    def our_closure():
        ours.zero_grad()
        loss = ((gl.tensor(data, dtype="float64") @ w) ** 2).sum()
        loss.backward()
        return loss

    def their_closure():
        theirs.zero_grad()
        loss = ((torch.tensor(data) @ tw) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(5):
        our_loss, their_loss = ours.step(our_closure), theirs.step(their_closure)
        assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-12)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12)


def test_optimizer_step_without_closure_returns_none_and_rejects_non_functions():
    w = gl.tensor([1.0], requires_grad=True)
    optimizer = gl.optim.SGD([w], lr=0.1)
    assert optimizer.step() is None
    with pytest.raises(ValueError, match="SGD.step: closure must be a function"):
        optimizer.step(3)
