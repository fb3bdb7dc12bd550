"""Moved to ``graphlab/ops/kernels/layout.py`` (the batch-innermost layout of the CNN kernels);
this module keeps the old import path working."""
from graphlab.ops.kernels.layout import (  # noqa: F401
    batch_inner, batch_outer, channel_rows, concatenate, from_channel_rows, memory_order, pad_inner, row_dots,
    row_sums,
)
