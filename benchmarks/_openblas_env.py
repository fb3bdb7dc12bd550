"""Unset the OpenBLAS overrides for a benchmark run; imported before numpy (no imports here).

OPENBLAS_CORETYPE pins OpenBLAS to an older kernel and OPENBLAS_L2_SIZE shrinks its blocking;
on this machine together they slow numpy's GEMM up to ~1.7x. OpenBLAS reads them once, when
numpy loads it, so they must go before ``import numpy``. ``--keep-openblas-env`` keeps them.
"""
import os

OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def unset_openblas_environment(argv: list) -> dict:
    """Remove the variables (unless ``--keep-openblas-env`` is in argv); returns what was removed."""
    if "--keep-openblas-env" in argv:
        return {}
    return {name: os.environ.pop(name) for name in OPENBLAS_VARIABLES if name in os.environ}
