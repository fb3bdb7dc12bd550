"""One BLAS call that numpy does not offer: C += A @ B into a strided view, without a copy.

Why it is needed: a convolution by shifted GEMMs (``shifted_gemm.py``) sums kh·kw matrix
products into one output. BLAS's gemm computes ``C = A·B + β·C``, so with β = 1 each product
is added in place while the GEMM streams the output anyway; numpy's ``matmul`` only has β = 0,
so adding would need a temporary of the output's size and another pass over it per kernel
position. The operands are shifted windows of one flat buffer (row stride longer than the row),
which BLAS reads through its leading dimension, as numpy's own matmul does.

``gemm`` calls ``cblas_sgemm`` / ``cblas_dgemm`` of the OpenBLAS that numpy itself loaded (found
next to numpy, opened with ctypes, which releases the GIL for the call) when every operand is a
2-D float32/float64 view BLAS can read in place; otherwise, or when no such library is found
(another BLAS, another platform), it falls back to numpy (``np.matmul`` and an addition): the same
numbers, slower. ``available()`` says which path runs.
"""
from __future__ import annotations

import ctypes
import glob
import os
from typing import Optional

import numpy as np

_ROW_MAJOR, _NO_TRANSPOSE, _TRANSPOSE = 101, 111, 112

#: the cblas symbols of numpy's bundled OpenBLAS builds (ILP64 first), with their integer type
_SYMBOLS = (("scipy_cblas_{}gemm64_", ctypes.c_int64), ("cblas_{}gemm64_", ctypes.c_int64),
            ("scipy_cblas_{}gemm", ctypes.c_int), ("cblas_{}gemm", ctypes.c_int))

_gemms: Optional[dict] = None          # {dtype: ctypes function}, {} when numpy's BLAS is not reachable
_library = None                        # numpy's OpenBLAS (ctypes.CDLL), once found

#: OpenBLAS's thread-count functions under the names numpy's builds give them (scipy-openblas first)
_THREAD_SYMBOLS = (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                   ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
                   ("openblas_get_num_threads", "openblas_set_num_threads"))


def _bind(library, pattern: str, integer) -> Optional[dict]:
    functions = {}
    for dtype, letter, real in ((np.dtype(np.float32), "s", ctypes.c_float), (np.dtype(np.float64), "d", ctypes.c_double)):
        function = getattr(library, pattern.format(letter), None)
        if function is None:
            return None
        # order, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc
        function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer, real,
                             ctypes.c_void_p, integer, ctypes.c_void_p, integer, real, ctypes.c_void_p, integer]
        function.restype = None
        functions[dtype] = function
    return functions


def _load() -> dict:
    """numpy's own OpenBLAS (the wheels ship it in ``numpy.libs``), or {} when not found."""
    global _library
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "lib*openblas*"))):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for pattern, integer in _SYMBOLS:
            functions = _bind(library, pattern, integer)
            if functions:
                _library = library
                return functions
    return {}


def thread_functions() -> Optional[tuple]:
    """(get, set) of the number of threads numpy's OpenBLAS uses, or None when not reachable.

    ``set`` is process-wide and must not run while a GEMM is in flight (``threads.py`` calls it
    only from the main thread, between two ops).
    """
    if not available():
        return None
    for get_name, set_name in _THREAD_SYMBOLS:
        getter, setter = getattr(_library, get_name, None), getattr(_library, set_name, None)
        if getter is not None and setter is not None:
            getter.argtypes, getter.restype = [], ctypes.c_int
            setter.argtypes, setter.restype = [ctypes.c_int], None
            return getter, setter
    return None


def available() -> bool:
    """True when ``gemm`` calls BLAS directly (False: the numpy fallback)."""
    global _gemms
    if _gemms is None:
        _gemms = _load()
    return bool(_gemms)


def _layout(matrix: np.ndarray) -> Optional[tuple]:
    """(transpose flag, leading dimension) of a 2-D view BLAS reads in place, else None."""
    rows, cols = matrix.shape
    row_step, col_step = (stride // matrix.itemsize if stride % matrix.itemsize == 0 else -1
                          for stride in matrix.strides)
    if (col_step == 1 or cols == 1) and (rows == 1 or row_step >= max(cols, 1)):
        return _NO_TRANSPOSE, row_step if rows > 1 else max(cols, 1)
    if (row_step == 1 or rows == 1) and (cols == 1 or col_step >= max(rows, 1)):
        return _TRANSPOSE, col_step if cols > 1 else max(rows, 1)
    return None


def _direct(a: np.ndarray, b: np.ndarray, out: np.ndarray, accumulate: bool) -> bool:
    """out (+)= a @ b through cblas; False (nothing done) when an operand does not fit."""
    function = _gemms.get(out.dtype) if available() else None
    if function is None or not a.dtype == b.dtype == out.dtype or not out.flags.writeable:
        return False
    layouts = [_layout(a), _layout(b), _layout(out)]
    if None in layouts or layouts[2][0] != _NO_TRANSPOSE:
        return False
    (trans_a, lda), (trans_b, ldb), (_, ldc) = layouts
    (m, k), n = a.shape, b.shape[1]
    function(_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb,
             1.0 if accumulate else 0.0, out.ctypes.data, ldc)
    return True


def gemm(a: np.ndarray, b: np.ndarray, out: np.ndarray, accumulate: bool = False) -> np.ndarray:
    """out = a @ b, or out += a @ b with ``accumulate``; a (M, K), b (K, N), out (M, N) may be
    strided views (a transposed view is read as BLAS's transpose). ``out`` must not overlap a or b.

    >>> a, b = np.arange(6.).reshape(2, 3), np.ones((3, 2))
    >>> out = np.ones((2, 2))
    >>> gemm(a, b, out, accumulate=True)
    array([[ 4.,  4.],
           [13., 13.]])
    """
    if a.ndim != 2 or b.ndim != 2 or out.ndim != 2 or a.shape[1] != b.shape[0] or out.shape != (a.shape[0], b.shape[1]):
        raise ValueError(f"gemm: shapes {a.shape} @ {b.shape} -> {out.shape} do not match")
    if min(a.shape + b.shape) == 0:
        if not accumulate:
            out[...] = 0
        return out
    if not _direct(a, b, out, accumulate):
        if accumulate:
            out += a @ b
        else:
            np.matmul(a, b, out=out)
    return out
