"""Unset the OpenBLAS overrides for a benchmark run, and say which BLAS then runs; imported before
numpy (nothing here imports numpy).

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


def blas_in_use() -> str:
    """numpy's BLAS as threadpoolctl reports it (call after ``import numpy``): library, version,
    kernel and threads, or why it is unknown."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed: kernel unknown (pip install threadpoolctl)"
    pools = [f"{pool.get('internal_api')} {pool.get('version')}, kernel {pool.get('architecture')}, "
             f"{pool.get('num_threads')} threads" for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return "; ".join(pools) or "none found"
