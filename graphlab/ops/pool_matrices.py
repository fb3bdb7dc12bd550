"""Average pooling as two products with constant matrices: PyTorch's options the fused
``AvgPool2d`` does not take (``ceil_mode``, ``count_include_pad=False``) and adaptive pooling
to any output size.

Why this works: average pooling is linear and separable. A window is a rectangle, so its sum
is a sum over its rows and then over its columns, and PyTorch's divisor is (rows counted) x
(columns counted). Put 1 / rows_counted in row i of a matrix A_h (H_out, H) wherever input
row r lies in output row i's window, and A_w (W_out, W) likewise; then

    out = A_h · x · A_wᵀ        (N, C, H, W) -> (N, C, H_out, W_out)

Two matmul nodes, so the backward is the lecture's matmul rule with the same two matrices
transposed, and gradients of gradients come for free. Padding adds zeros, which add nothing:
it only changes the divisor, which the matrices hold.

>>> import numpy as np
>>> window_matrix(5, kernel=2, stride=2, padding=0, ceil_mode=True, count_include_pad=True)
array([[0.5, 0.5, 0. , 0. , 0. ],
       [0. , 0. , 0.5, 0.5, 0. ],
       [0. , 0. , 0. , 0. , 1. ]])
>>> (adaptive_matrix(5, 3) > 0).astype(int)    # PyTorch's windows: floor(i·5/3) .. ceil((i+1)·5/3)
array([[1, 1, 0, 0, 0],
       [0, 1, 1, 1, 0],
       [0, 0, 0, 1, 1]])
"""
from __future__ import annotations

import numpy as np

from graphlab import ops
from graphlab.autodiff.tensor import Tensor
from graphlab.errors import ShapeError
from graphlab.ops.conv import pair


def pooled_size(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    """The output size (E19's formula), rounded up with ``ceil_mode`` as PyTorch does: a last
    window that would start beyond the input and its left padding is dropped."""
    span = size + 2 * padding - kernel
    count = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def window_matrix(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool,
                  count_include_pad: bool, dtype=np.float64) -> np.ndarray:
    """A_h for one axis: row i averages the inputs of output i's window. The divisor counts the
    padding (``count_include_pad``, never the part a ceil_mode window hangs past it) or only the
    real inputs."""
    outputs = pooled_size(size, kernel, stride, padding, ceil_mode)
    matrix = np.zeros((outputs, size), dtype=dtype)
    for i in range(outputs):
        start = i * stride - padding
        first, last = max(start, 0), min(start + kernel, size)
        counted = min(start + kernel, size + padding) - start if count_include_pad else last - first
        matrix[i, first:last] = 1.0 / counted
    return matrix


def adaptive_matrix(size: int, outputs: int, dtype=np.float64) -> np.ndarray:
    """A_h for adaptive pooling: output i averages inputs floor(i·size/outputs) up to
    ceil((i+1)·size/outputs), PyTorch's windows (they overlap when size is not a multiple)."""
    matrix = np.zeros((outputs, size), dtype=dtype)
    for i in range(outputs):
        first, last = (i * size) // outputs, -(-((i + 1) * size) // outputs)
        matrix[i, first:last] = 1.0 / (last - first)
    return matrix


def pool_with(x: Tensor, rows: np.ndarray, cols: np.ndarray) -> Tensor:
    """A_h · x · A_wᵀ over the last two axes of an (N, C, H, W) tensor."""
    rows_constant = Tensor._constant(rows.astype(x.dtype), None, "avg_pool2d")
    cols_constant = Tensor._constant(np.ascontiguousarray(cols.T).astype(x.dtype), None, "avg_pool2d")
    return ops.matmul(ops.matmul(rows_constant, x), cols_constant)


def image(x, op_name: str) -> Tensor:
    """``x`` as a 4-D (N, C, H, W) float tensor, else a clear error naming the op."""
    x = x if isinstance(x, Tensor) else Tensor._constant(x, None, op_name)
    if x.ndim != 4:
        raise ShapeError(f"{op_name}: input of shape {x.shape} is {x.ndim}-D, but pooling needs 4-D "
                         f"(N, C, H, W); add the batch axis (x.reshape(1, ...))")
    return x


def pool_geometry(op_name: str, kernel_size, stride, padding) -> tuple:
    """(kernel, stride, padding) as pairs, with PyTorch's rule that padding is at most half the
    kernel (a window would otherwise see only padding)."""
    kernel = pair(kernel_size, "kernel_size", op_name, 1)
    strides = kernel if stride is None else pair(stride, "stride", op_name, 1)
    pads = pair(padding, "padding", op_name, 0)
    if pads[0] > kernel[0] // 2 or pads[1] > kernel[1] // 2:
        raise ShapeError(f"{op_name}: padding {padding!r} must be at most half the kernel {kernel}; "
                         f"use padding <= {kernel[0] // 2}")
    return kernel, strides, pads


def avg_pool2d_matrices(x: Tensor, kernel_size, stride, padding, ceil_mode: bool, count_include_pad: bool):
    """Average pooling with PyTorch's ceil_mode and count_include_pad, as A_h · x · A_wᵀ."""
    kernel, strides, pads = pool_geometry("avg_pool2d", kernel_size, stride, padding)
    height, width = x.shape[2:]
    if kernel[0] > height + 2 * pads[0] or kernel[1] > width + 2 * pads[1]:
        raise ShapeError(f"avg_pool2d: kernel {kernel} is larger than the padded input "
                         f"{(height + 2 * pads[0], width + 2 * pads[1])}")
    rows = window_matrix(height, kernel[0], strides[0], pads[0], ceil_mode, count_include_pad)
    cols = window_matrix(width, kernel[1], strides[1], pads[1], ceil_mode, count_include_pad)
    return pool_with(x, rows, cols)


def ceil_mode_padding(x: Tensor, kernel_size, stride, padding) -> Tensor:
    """``x`` padded with -inf for max pooling in ceil_mode: ``padding`` on every side plus the
    rows and columns the last, partial windows reach past it (bottom and right)."""
    kernel, strides, pads = pool_geometry("max_pool2d", kernel_size, stride, padding)
    widths = [(0, 0), (0, 0)]
    for size, k, s, p in zip(x.shape[2:], kernel, strides, pads):
        reach = (pooled_size(size, k, s, p, True) - 1) * s + k
        widths.append((p, p + max(reach - (size + 2 * p), 0)))
    return ops.pad(x, tuple(widths), value=-np.inf)
