"""gl.functional.conv2d and linear: lecture arithmetic (E15-E24), PyTorch oracle, finite differences,
fused == composed, both algorithms (im2col and implicit GEMM), and the errors a student meets."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.ops.conv import Conv2d
from graphlab.ops.kernels import im2col, implicit_gemm
from graphlab.ops.kernels.gemm import matmul_nt

RNG = np.random.default_rng(7)

# (N, C, H, W, C_out, kernel, stride, padding, dilation, groups, bias): odd sizes, every knob
CASES = [
    (2, 3, 7, 7, 4, 3, 1, 0, 1, 1, True),
    (2, 3, 7, 6, 4, 3, 2, 1, 1, 1, False),
    (3, 4, 9, 8, 6, (3, 2), (2, 1), (1, 0), (2, 1), 2, True),
    (2, 16, 8, 8, 4, 3, 1, 1, 1, 1, True),        # implicit GEMM (many in, few out channels)
    (2, 16, 8, 7, 4, 3, 1, 2, 2, 1, False),       # implicit GEMM with dilation
    (1, 2, 5, 5, 2, 5, 1, 0, 1, 2, True),         # kernel = input
    (2, 6, 7, 7, 6, 3, 1, 1, 1, 6, True),         # depthwise
    (2, 5, 6, 9, 3, 1, 2, 0, 1, 1, True),         # 1x1, strided
    (1, 3, 11, 10, 2, (5, 3), 3, 2, 1, 1, True),  # stride 3 does not tile: floored
]
IDS = [f"N{c[0]}C{c[1]}H{c[2]}W{c[3]}o{c[4]}k{c[5]}s{c[6]}p{c[7]}d{c[8]}g{c[9]}{'b' if c[10] else ''}" for c in CASES]


def _make(case, dtype=np.float64):
    N, C, H, W, out, kernel, stride, padding, dilation, groups, bias = case
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = RNG.standard_normal((N, C, H, W)).astype(dtype)
    w = RNG.standard_normal((out, C // groups, kh, kw)).astype(dtype)
    b = RNG.standard_normal(out).astype(dtype) if bias else None
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


# -- the lecture's arithmetic ------------------------------------------------------------------
def test_output_sizes_of_the_lecture():
    x = gl.ones(1, 3, 32, 32)
    assert F.conv2d(x, gl.ones(1, 3, 5, 5)).shape == (1, 1, 28, 28)                  # E15
    assert F.conv2d(x, gl.ones(6, 3, 5, 5)).shape == (1, 6, 28, 28)                  # E16: weight 6x3x5x5
    assert F.conv2d(x, gl.ones(5, 3, 5, 5)).shape == (1, 5, 28, 28)                  # E17
    seven = gl.ones(1, 1, 7, 7)
    assert [F.conv2d(seven, gl.ones(1, 1, 3, 3), stride=s).shape[2:] for s in (1, 2, 3)] == \
        [(5, 5), (3, 3), (2, 2)]                                                     # E18: stride 3 floors 2.33
    assert F.conv2d(seven, gl.ones(1, 1, 3, 3), padding=1).shape[2:] == (7, 7)       # E19
    for size, pad in ((3, 1), (5, 2), (7, 3)):                                       # E20: P = (F - 1) / 2
        assert F.conv2d(seven, gl.ones(1, 1, size, size), padding=pad).shape[2:] == (7, 7)
    assert F.conv2d(x, gl.ones(10, 3, 5, 5), stride=1, padding=2).shape == (1, 10, 32, 32)   # E21
    assert gl.nn.Conv2d(3, 10, 5, padding=2).num_parameters() == 760                          # E22
    one_by_one = gl.nn.Conv2d(64, 32, 1)                                                       # E24
    assert one_by_one.infer_shape((1, 64, 56, 56)) == (1, 32, 56, 56)
    assert one_by_one.num_parameters() == 2080


def test_one_filter_output_is_w_dot_patch_plus_b():
    """E15: each output value is wᵀx + b over one flattened 5x5x3 patch."""
    x = gl.randn(1, 3, 32, 32, dtype="float64")
    w, b = gl.randn(1, 3, 5, 5, dtype="float64"), gl.tensor([0.5], dtype="float64")
    y = F.conv2d(x, w, b)
    patch = x.data[0, :, 10:15, 4:9]
    assert y.data[0, 0, 10, 4] == pytest.approx(float(w.data.ravel() @ patch.ravel() + 0.5), abs=1e-12)


def test_receptive_field_grows_by_kernel_minus_one_per_layer():
    """E23/E29: RF = 1 + L(K - 1), read off the gradient of one output pixel."""
    x = gl.randn(1, 1, 15, 15, dtype="float64", requires_grad=True)
    kernel = gl.ones(1, 1, 3, 3, dtype="float64")
    out = x
    for layers in (1, 2, 3):
        out = F.conv2d(out, kernel)
        (gradient,) = gl.grad(out[0, 0, 0, 0], x)
        rows, cols = np.nonzero(gradient.data[0, 0])
        assert (rows.max() + 1, cols.max() + 1) == (1 + 2 * layers,) * 2


# -- oracle and finite differences ---------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    for dtype, tolerance in ((np.float64, 1e-10), (np.float32, 1e-4)):
        x, w, b, params = _make(case, dtype)
        tensors = [gl.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if b is not None else ())]
        y = F.conv2d(*tensors[:2], tensors[2] if b is not None else None, **params)
        upstream = RNG.standard_normal(y.shape).astype(dtype)
        y.backward(upstream)
        references = [torch.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if b is not None else ())]
        expected = torch.nn.functional.conv2d(references[0], references[1],
                                              references[2] if b is not None else None, **params)
        expected.backward(torch.tensor(upstream))
        assert y.dtype == dtype
        _close(y.data, expected.detach().numpy(), tolerance)
        for tensor, reference in zip(tensors, references):
            assert tensor.grad.dtype == dtype
            _close(tensor.grad, reference.grad.numpy(), tolerance)


def _close(actual, expected, relative):
    scale = max(np.abs(expected).max(), 1e-30)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= relative * scale


@pytest.mark.parametrize("case", CASES[:7], ids=IDS[:7])
def test_conv2d_gradcheck(case):
    N, C, H, W, out, kernel, stride, padding, dilation, groups, bias = case
    small = (1, C, min(H, 6), min(W, 6), out, kernel, stride, padding, dilation, groups, bias)
    x, w, b, params = _make(small)
    inputs = [gl.tensor(x), gl.tensor(w)] + ([gl.tensor(b)] if b is not None else [])
    assert gl.gradcheck(lambda *t: F.conv2d(t[0], t[1], t[2] if len(t) == 3 else None, **params), inputs)


def test_both_algorithms_are_exercised_and_agree():
    x = gl.randn(2, 16, 6, 6, dtype="float64")
    w = gl.randn(4, 16, 3, 3, dtype="float64", requires_grad=True)
    implicit = Conv2d.apply(x, w, padding=1)
    assert implicit.creator.kernel is implicit_gemm
    few_in = Conv2d.apply(gl.randn(2, 2, 6, 6, dtype="float64"), gl.randn(8, 2, 3, 3, dtype="float64", requires_grad=True),
                          padding=1)
    assert few_in.creator.kernel is im2col
    composed = F.composed.conv2d(x, w, padding=1)
    assert np.abs(implicit.data - composed.data).max() < 1e-12


@pytest.mark.parametrize("case", [CASES[2], CASES[4], CASES[6]], ids=[IDS[2], IDS[4], IDS[6]])
def test_fused_conv_equals_composed_twin(case):
    x, w, b, params = _make(case)
    results = []
    for conv in (F.conv2d, F.composed.conv2d):
        tensors = [gl.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if b is not None else ())]
        y = conv(tensors[0], tensors[1], tensors[2] if b is not None else None, **params)
        (y * y).sum().backward()
        results.append([y.data] + [t.grad for t in tensors])
    for fused, composed in zip(*results):
        assert np.abs(fused - composed).max() < 1e-10


def test_no_input_gradient_when_the_input_needs_none():
    x = gl.randn(2, 3, 5, 5)                      # the data: no gradient wanted
    w = gl.randn(4, 3, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3)


@pytest.mark.parametrize("shapes", [((2, 3, 5, 5), (4, 3, 3, 3)), ((2, 16, 6, 6), (4, 16, 3, 3))],
                         ids=["im2col", "implicit_gemm"])
@pytest.mark.parametrize("wanted", [(True, False, True), (True, True, False), (False, False, True)],
                         ids=["frozen_weight", "frozen_bias", "bias_only"])
def test_gradients_nobody_needs_are_skipped_and_the_others_unchanged(shapes, wanted):
    x, w, b = RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1]), RNG.standard_normal(shapes[1][0])
    every = [gl.tensor(a, requires_grad=True, dtype="float64") for a in (x, w, b)]
    F.conv2d(*every, padding=1).sum().backward()
    some = [gl.tensor(a, requires_grad=flag, dtype="float64") for a, flag in zip((x, w, b), wanted)]
    y = F.conv2d(*some, padding=1)
    y.sum().backward()
    downstream = type(y.creator).backward(y.creator, np.ones(y.shape))
    for tensor, reference, flag, gradient in zip(some, every, wanted, downstream):
        assert (tensor.grad is None and gradient is None) if not flag else \
            np.abs(tensor.grad - reference.grad).max() < 1e-12


def test_output_keeps_nchw_semantics_whatever_the_memory_layout():
    x = gl.randn(2, 3, 5, 5, dtype="float64")
    y = F.conv2d(x, gl.randn(4, 3, 3, 3, dtype="float64"), padding=1)
    assert y.shape == (2, 4, 5, 5)
    assert np.array_equal(np.ascontiguousarray(y.data)[1, 2], y.data[1, 2])
    assert np.array_equal(y.numpy().reshape(2, -1)[1], np.ascontiguousarray(y.data[1]).ravel())


def test_long_gemm_in_pieces_equals_one_gemm():
    a, b = RNG.standard_normal((5, 5000)), RNG.standard_normal((7, 5000))
    assert np.abs(matmul_nt(a, b) - a @ b.T).max() < 1e-10


# -- linear -----------------------------------------------------------------------------------------
def test_linear_matches_pytorch_and_is_differentiable_twice():
    torch = pytest.importorskip("torch")
    x, w, b = RNG.standard_normal((5, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    tensors = [gl.tensor(a, requires_grad=True, dtype="float64") for a in (x, w, b)]
    y = F.linear(*tensors)
    (y * y).sum().backward()
    references = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    expected = torch.nn.functional.linear(*references)
    (expected * expected).sum().backward()
    _close(y.data, expected.detach().numpy(), 1e-12)
    for tensor, reference in zip(tensors, references):
        _close(tensor.grad, reference.grad.numpy(), 1e-12)
    assert gl.gradcheck(lambda *t: F.linear(*t), [gl.tensor(a) for a in (x, w, b)])
    hessian = gl.hessian(lambda v: (F.linear(v, gl.tensor(w, dtype="float64")) ** 2).sum(), gl.tensor(x[0]))
    assert np.abs(hessian - 2 * w.T @ w).max() < 1e-10
    composed = F.composed.linear(*[gl.tensor(a, dtype="float64") for a in (x, w, b)])
    assert np.abs(composed.data - y.data).max() < 1e-12


# -- errors -----------------------------------------------------------------------------------------
def test_conv_errors_name_the_op_the_shapes_and_the_fix():
    with pytest.raises(gl.ShapeError, match=r"conv2d: input of shape \(3, 32, 32\) is 3-D.*add the batch axis"):
        F.conv2d(gl.ones(3, 32, 32), gl.ones(6, 3, 5, 5))
    with pytest.raises(gl.ShapeError, match=r"has 1 channels, but the weight \(8, 3, 3, 3\) expects.*in_channels 1"):
        F.conv2d(gl.ones(2, 1, 28, 28), gl.ones(8, 3, 3, 3))
    with pytest.raises(gl.ShapeError, match=r"kernel 5x5 is larger than the padded input 3x3 .*padding 0x0"):
        F.conv2d(gl.ones(1, 1, 3, 3), gl.ones(1, 1, 5, 5))
    with pytest.raises(gl.ShapeError, match=r"dilation 3x3 spreads it to 7x7"):
        F.conv2d(gl.ones(1, 1, 5, 5), gl.ones(1, 1, 3, 3), dilation=3)
    with pytest.raises(gl.ShapeError, match="bias of shape"):
        F.conv2d(gl.ones(1, 1, 5, 5), gl.ones(2, 1, 3, 3), gl.ones(3))
    with pytest.raises(gl.ShapeError, match="stride"):
        F.conv2d(gl.ones(1, 1, 5, 5), gl.ones(1, 1, 3, 3), stride=0)
    with pytest.raises(gl.ShapeError, match=r"linear: input of shape \(4, 783\) has 783 features .* in_features=784"):
        F.linear(gl.ones(4, 783), gl.ones(10, 784))


def test_layer_errors_name_the_layer():
    model = gl.nn.Sequential(gl.nn.Conv2d(3, 8, 3), gl.nn.ReLU())
    with pytest.raises(gl.ShapeError, match=r"in layer Sequential / 0:Conv2d: conv2d: input of shape \(2, 1, 8, 8\)"):
        model(gl.ones(2, 1, 8, 8))


def test_concat_keeps_the_batch_innermost_layout_of_cnn_outputs():
    """A dense block joins conv outputs along channels: the result stays (C, H, W, N)-stored, so
    the next batch norm reads it without a transpose copy; values are numpy's."""
    from graphlab.ops.kernels.layout import memory_order
    x = gl.randn(2, 3, 4, 4, dtype="float64")                     # user data: plain NCHW
    y = F.conv2d(x, gl.randn(5, 3, 3, 3, dtype="float64"), padding=1)
    assert memory_order(y.data) == (1, 2, 3, 0)
    joined = gl.concat([x, y], axis=1)
    assert memory_order(joined.data) == (1, 2, 3, 0)
    assert np.array_equal(joined.data, np.concatenate([x.data, y.data], axis=1))
    plain = gl.concat([x, x], axis=0)                             # C-ordered inputs stay C-ordered
    assert plain.data.flags.c_contiguous


def test_one_by_one_convolution_through_the_implicit_path():
    """DenseNet-B bottlenecks and transitions: 1x1 convs with fewer outputs than inputs."""
    torch = pytest.importorskip("torch")
    x, w, b = RNG.standard_normal((2, 12, 5, 4)), RNG.standard_normal((4, 12, 1, 1)), RNG.standard_normal(4)
    tensors = [gl.tensor(a, requires_grad=True, dtype="float64") for a in (x, w, b)]
    y = F.conv2d(*tensors)
    assert y.creator.kernel is implicit_gemm
    upstream = RNG.standard_normal(y.shape)
    y.backward(upstream)
    references = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    torch.nn.functional.conv2d(*references).backward(torch.tensor(upstream))
    for tensor, reference in zip(tensors, references):
        _close(tensor.grad, reference.grad.numpy(), 1e-10)
