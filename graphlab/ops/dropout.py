"""Inverted dropout (E67-E69): in training, zero each unit with probability p and scale the
survivors by 1/(1 - p), so the expected output equals the input and eval needs no change.

The mask comes from graphlab's generator (``gl.manual_seed``); the backward multiplies by the
same scaled mask (a router: dropped units get no gradient).

>>> import graphlab as gl
>>> gl.manual_seed(0)
>>> y = gl.functional.dropout(gl.ones(2, 4), p=0.5, training=True)
>>> sorted(set(y.data.ravel().tolist()))     # kept units are scaled by 1 / (1 - 0.5)
[0.0, 2.0]
"""
from __future__ import annotations

import numpy as np

from graphlab.autodiff.cases import Case, F
from graphlab.autodiff.function import Function
from graphlab.ops import params
from graphlab.config import config
from graphlab.ops import dual


def _numpy_dropout(x, p=0.5, channelwise=False):
    return x * (0.0 if p >= 1 else 1.0)      # the two masks that are not random: keep all, drop all


class Dropout(Function):
    """y = x ⊙ mask / (1 - p); ``channelwise`` drops whole (N, C) feature maps (Dropout2d)."""
    name = "dropout"
    pattern = "router"
    higher_order = True
    # the mask is random, so only p = 0 (keep all) and p = 1 (drop all) have a reference
    param_checks = dict(p=params.number(0, 1), channelwise=params.flag)
    cases = (
        Case([(2, 3)], params=dict(p=0.0), numpy=_numpy_dropout, torch=lambda x, p: F.dropout(x, p, training=True)),
        Case([(2, 3)], params=dict(p=1.0), variant="drop_all", numpy=_numpy_dropout,
             torch=lambda x, p: F.dropout(x, p, training=True)),
    )

    @staticmethod
    def forward(ctx, x, p=0.5, channelwise=False):
        mask_shape = x.shape[:2] + (1,) * (x.ndim - 2) if channelwise else x.shape
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        if p >= 1:
            mask = np.zeros(mask_shape, dtype=dtype)
        else:
            keep = config.rng.random(mask_shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
            mask = keep * dtype.type(1 / (1 - p))
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def local(ctx):
        (mask,) = ctx.saved_tensors
        return dual.broadcast_to(mask, ctx.inputs[0].shape)   # a (N, C, 1, 1) channel mask, per element

    @staticmethod
    def symbolic(x, p=0.5, channelwise=False):
        from graphlab.verify import sym
        if p == 0 or p >= 1:
            return x * (1 if p == 0 else 0)
        raise sym.VerifyError(f"dropout: with p={p} the mask is random, so dropout is no function of its input "
                              f"alone; verify it with p=0 or p=1 (or check a fixed mask with gl.gradcheck)")
