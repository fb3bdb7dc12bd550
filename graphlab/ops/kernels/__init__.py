"""The performance machinery of the CNN ops, kept apart from the lesson.

``ops/conv.py``, ``ops/pool.py`` and ``ops/norm.py`` state the math (the readable definition
built from primitive ops, a short fused Function, the SymPy twin); the numpy that makes the
fused nodes fast lives here, one file per idea:

* ``layout.py`` — the batch-innermost ``(C, H, W, N)`` memory layout and its BLAS row sums;
* ``gemm.py`` — GEMMs with a long shared axis, cut into single-threaded pieces;
* ``im2col.py`` — convolution as one GEMM over the im2col matrix, and col2im;
* ``implicit_gemm.py`` — convolution without the im2col copy (many in, few out channels);
* ``shifted_gemm.py`` — stride-1 "same" convolution as kh·kw GEMMs on windows of the input;
* ``blas.py`` — the one BLAS call numpy lacks: a GEMM that adds into a strided output;
* ``pooling.py`` — window maxima, sums and the scatter of their gradients;
* ``threads.py`` — how many BLAS threads to use when other graphlab runs share the cores;
* ``moments.py`` — batch-norm statistics in one pass, and sums over x̂ without building x̂.

Nothing here imports the op modules (a kernel gets a ``Window`` and arrays), so the ops
import the kernels and never the other way round.
"""
