"""The convolution kernels of graphlab/ops/kernels/: which one computes which convolution, the
shifted-GEMM kernel against PyTorch and the one-pixel-at-a-time numpy sum (float32 and float64,
odd sizes), float64 finite differences, and the BLAS wrapper it accumulates with (direct and
numpy fallback)."""
from __future__ import annotations

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab.ops.conv import Conv2d, Window, _numpy_conv2d, choose_kernel
from graphlab.ops.kernels import blas, im2col, implicit_gemm, shifted_gemm

RNG = np.random.default_rng(16)


# -- the dispatch table --------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape,w_shape,params,kernel", [
    ((2, 16, 32, 32), (16, 16, 3, 3), dict(padding=1), shifted_gemm),        # ResNet-20, stage 1
    ((2, 32, 16, 16), (32, 32, 3, 3), dict(padding=1), shifted_gemm),         # ResNet-20, stage 2
    ((2, 64, 8, 8), (64, 64, 3, 3), dict(padding=1), im2col),                 # ResNet-20, stage 3: few pixels
    ((2, 17, 33, 32), (17, 17, 5, 5), dict(padding=2), shifted_gemm),         # 5x5 "same"
    ((2, 16, 32, 32), (16, 16, 3, 3), dict(padding=2, dilation=2), shifted_gemm),
    ((2, 48, 32, 32), (12, 48, 3, 3), dict(padding=1), implicit_gemm),        # DenseNet-BC layer: few outputs
    ((2, 48, 32, 32), (24, 48, 1, 1), {}, implicit_gemm),                     # 1x1 bottleneck
    ((2, 3, 32, 32), (16, 3, 3, 3), dict(padding=1), im2col),                 # few input channels
    ((2, 16, 32, 32), (32, 16, 3, 3), dict(padding=1, stride=2), im2col),     # strided
    ((2, 16, 8, 8), (16, 8, 3, 3), dict(padding=1, groups=2), im2col),        # groups
    ((2, 16, 8, 8), (16, 16, 3, 3), {}, im2col),                              # no padding ("valid")
])
def test_each_convolution_goes_to_the_kernel_of_the_table(x_shape, w_shape, params, kernel):
    window = Window.of("conv2d", x_shape[2:], w_shape[2:], params.get("stride", 1), params.get("padding", 0),
                       params.get("dilation", 1))
    assert choose_kernel(window, params.get("groups", 1), x_shape[1], w_shape[0]) is kernel
    y = Conv2d.apply(gl.zeros(*x_shape), gl.zeros(*w_shape, requires_grad=True), **params)
    assert y.creator.kernel is kernel


# -- the shifted-GEMM kernel: values and gradients -----------------------------------------------------
@pytest.fixture(autouse=True)
def shifted_gemm_on_small_images(request, monkeypatch):
    """The kernel takes images from 32x32 up; the value tests below use small odd ones."""
    if "shifted_gemm" in request.node.name or "without_direct_blas" in request.node.name:
        monkeypatch.setattr(shifted_gemm, "MIN_PIXELS", 1)


# (N, C, H, W, C_out, kernel, padding, dilation, bias): each goes to shifted_gemm (asserted; enough
# output channels that the implicit GEMM, first in the table, does not take it)
SHIFTED = [
    (2, 16, 6, 5, 16, 3, 1, 1, True),             # odd width
    (1, 16, 1, 1, 2, 3, 1, 1, True),              # batch 1, a 1x1 image: every tap but the centre reads padding
    (3, 17, 5, 7, 11, 3, 1, 1, False),            # channels that are a multiple of nothing
    (2, 16, 7, 6, 7, 5, 2, 1, True),              # 5x5
    (2, 16, 7, 7, 13, (1, 3), (0, 1), 1, True),   # 1x3: padding only along W
    (2, 19, 6, 6, 7, 3, 2, 2, False),             # dilation 2
    (1, 32, 4, 3, 33, 3, 1, 1, True),             # more outputs than inputs
]
SHIFTED_IDS = [f"N{c[0]}C{c[1]}H{c[2]}W{c[3]}o{c[4]}k{c[5]}p{c[6]}d{c[7]}{'b' if c[8] else ''}" for c in SHIFTED]


def _make(case, dtype):
    N, C, H, W, out, kernel, padding, dilation, bias = case
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    arrays = [RNG.standard_normal((N, C, H, W)), RNG.standard_normal((out, C, kh, kw))]
    if bias:
        arrays.append(RNG.standard_normal(out))
    return [a.astype(dtype) for a in arrays], dict(padding=padding, dilation=dilation)


def _close(actual, expected, relative):
    scale = max(np.abs(expected).max(), 1e-30)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= relative * scale


@pytest.mark.parametrize("dtype,tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)], ids=["float64", "float32"])
@pytest.mark.parametrize("case", SHIFTED, ids=SHIFTED_IDS)
def test_shifted_gemm_matches_pytorch_values_and_gradients(case, dtype, tolerance):
    torch = pytest.importorskip("torch")
    arrays, params = _make(case, dtype)
    tensors = [gl.tensor(a, requires_grad=True) for a in arrays]
    y = Conv2d.apply(*tensors, **params)
    assert y.creator.kernel is shifted_gemm and y.dtype == dtype
    upstream = RNG.standard_normal(y.shape).astype(dtype)
    y.backward(upstream)
    references = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = torch.nn.functional.conv2d(*references, **params)
    expected.backward(torch.tensor(upstream))
    _close(y.data, expected.detach().numpy(), tolerance)
    for tensor, reference in zip(tensors, references):
        assert tensor.grad.dtype == dtype
        _close(tensor.grad, reference.grad.numpy(), tolerance)


@pytest.mark.parametrize("case", SHIFTED, ids=SHIFTED_IDS)
def test_shifted_gemm_matches_the_sum_of_the_definition(case):
    """The module docstring's sum, one output pixel at a time (no library involved)."""
    arrays, params = _make(case, np.float64)
    y = Conv2d.apply(*[gl.tensor(a) for a in arrays], **params)
    _close(y.data, _numpy_conv2d(*arrays, **params), 1e-12)


@pytest.mark.parametrize("case", [SHIFTED[1], (1, 16, 2, 3, 13, (1, 3), (0, 1), 1, True), (1, 16, 2, 2, 9, 3, 2, 2, False)],
                         ids=["1x1_image", "1x3", "dilation2"])
def test_shifted_gemm_gradcheck(case):
    arrays, params = _make(case, np.float64)
    inputs = [gl.tensor(a, requires_grad=True) for a in arrays]
    assert Conv2d.apply(*inputs, **params).creator.kernel is shifted_gemm
    assert gl.gradcheck(lambda *t: Conv2d.apply(*t, **params), inputs)


@pytest.mark.parametrize("wanted", [(True, False, True), (False, True, False), (False, False, True)],
                         ids=["frozen_weight", "frozen_input", "bias_only"])
def test_shifted_gemm_computes_only_the_gradients_asked_for(wanted):
    arrays, params = _make(SHIFTED[0], np.float64)
    every = [gl.tensor(a, requires_grad=True) for a in arrays]
    Conv2d.apply(*every, **params).backward(np.ones((2, 16, 6, 5)))
    some = [gl.tensor(a, requires_grad=flag) for a, flag in zip(arrays, wanted)]
    y = Conv2d.apply(*some, **params)
    gradients = type(y.creator).backward(y.creator, np.ones(y.shape))
    for reference, flag, gradient in zip(every, wanted, gradients):
        assert gradient is None if not flag else np.abs(gradient - reference.grad).max() < 1e-12


def test_shifted_gemm_in_a_resnet_block_equals_the_composed_twin():
    """Two 3x3 convs with BN-ReLU between, as in ResNet: fused (shifted GEMMs) == composed graph."""
    x = gl.randn(2, 16, 5, 5, dtype="float64")
    weights = [gl.randn(16, 16, 3, 3, dtype="float64", requires_grad=True) for _ in range(2)]
    results = []
    for conv in (F.conv2d, F.composed.conv2d):
        out = conv(F.relu(conv(x, weights[0], padding=1)), weights[1], padding=1)
        (out * out).sum().backward()
        results.append([out.data] + [w.grad.copy() for w in weights])
        for w in weights:
            w.grad = None
    for fused, composed in zip(*results):
        assert np.abs(fused - composed).max() < 1e-10 * max(1.0, np.abs(composed).max())


def test_shifted_gemm_keeps_the_input_itself_not_an_im2col_matrix_nor_a_padded_copy():
    x, w = gl.randn(4, 16, 8, 8), gl.randn(16, 16, 3, 3, requires_grad=True)
    y = Conv2d.apply(x, w, padding=1)
    kept, taps = y.creator.saved_tensors
    assert kept is x.data                                         # the graph holds it anyway
    assert taps.nbytes == 9 * 16 * 16 * 4                         # the only extra: the taps, float32
    y.backward(np.ones(y.shape, np.float32))                      # padded again, the same gradient
    composed = gl.functional.composed.conv2d(x, w, padding=1)
    w_grad = w.grad.copy()
    w.grad = None
    composed.backward(np.ones(y.shape, np.float32))
    assert np.allclose(w_grad, w.grad, rtol=1e-4, atol=1e-4)


# -- the BLAS wrapper ----------------------------------------------------------------------------------
def _views(dtype):
    """Operands as the kernels pass them: windows of one flat buffer, a transposed view."""
    flat = RNG.standard_normal((5, 40)).astype(dtype)
    a = RNG.standard_normal((3, 5)).astype(dtype)
    return a, flat[:, 7:7 + 21], flat[:, 3:3 + 21].T


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("direct", [True, False], ids=["cblas", "numpy_fallback"])
def test_gemm_writes_and_accumulates_into_strided_views(dtype, direct, monkeypatch):
    if direct and not blas.available():
        pytest.skip("numpy's OpenBLAS is not reachable here: only the fallback runs")
    if not direct:
        monkeypatch.setattr(blas, "_gemms", {})
    a, window, transposed = _views(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    target = np.full((8, 30), 7.0, dtype=dtype)
    out = target[2:5, 4:25]                                       # a strided view of a bigger array
    blas.gemm(a, window, out)
    _close(out, a @ window, tolerance)
    blas.gemm(a, window, out, accumulate=True)
    _close(out, 2 * (a @ window), tolerance)
    assert (target[:2] == 7).all() and (target[5:] == 7).all() and (target[2:5, :4] == 7).all()
    product = np.empty((21, 21), dtype=dtype)
    blas.gemm(transposed, window, product)                         # a transposed operand
    _close(product, transposed @ window, tolerance)
    row = np.zeros((1, 21), dtype=dtype)                           # one row: M = 1
    blas.gemm(a[:1], window, row, accumulate=True)
    _close(row, a[:1] @ window, tolerance)


def test_gemm_falls_back_to_numpy_for_mixed_or_integer_dtypes():
    a, b = np.arange(6).reshape(2, 3), np.ones((3, 2))
    out = np.ones((2, 2))
    assert np.array_equal(blas.gemm(a, b, out, accumulate=True), [[4, 4], [13, 13]])
    with pytest.raises(ValueError, match=r"gemm: shapes \(2, 3\) @ \(2, 2\) -> \(2, 2\) do not match"):
        blas.gemm(a, np.ones((2, 2)), out)


def test_conv_gives_the_same_numbers_without_direct_blas(monkeypatch):
    """The fallback (no reachable cblas) computes the shifted GEMMs with numpy, same numbers."""
    arrays, params = _make(SHIFTED[2], np.float64)
    direct = Conv2d.apply(*[gl.tensor(a) for a in arrays], **params).data
    monkeypatch.setattr(blas, "_gemms", {})
    fallback = Conv2d.apply(*[gl.tensor(a, requires_grad=True) for a in arrays], **params)
    assert fallback.creator.kernel is shifted_gemm
    _close(fallback.data, direct, 1e-12)
