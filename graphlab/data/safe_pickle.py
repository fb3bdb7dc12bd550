"""Reading data pickles (CIFAR-10's batches) without running code.

``pickle.load`` calls whatever a file names: a crafted ``data_batch_1`` can run ``os.system``.
``load_data_pickle`` uses an unpickler that builds only plain data: dicts, lists, tuples,
sets, strings, bytes, numbers, and numpy arrays of numbers (through numpy's own reconstruct
helpers, each checked). Any other global a file names (``os.system``, ``builtins.eval``, a
class) is refused with a ``DataError`` before it is called, and so is an object array, whose
items could be anything.

It is the pure-Python unpickler (``pickle._Unpickler``) so that ``BUILD`` on a numpy dtype can be
checked too: a dtype's pickled state may set flags that make numpy treat bytes as pointers.
"""
from __future__ import annotations

import io
import pickle

import numpy as np

from graphlab.data.dataset import DataError

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]          # numpy.(_)core.multiarray._reconstruct
_FROMBUFFER = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]     # numpy.(_)core.numeric._frombuffer
_SCALAR = np.float64(0).__reduce__()[0]                       # numpy.(_)core.multiarray.scalar


class _Refused(Exception):
    """Something in the pickle that is not plain data."""


def _plain_dtype(dtype) -> np.dtype:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.kind not in "biufcSU":
        raise _Refused(f"an array of dtype {dtype} (only numbers and strings are read)")
    return dtype


def _make_dtype(name, align=False, copy=False):
    if not isinstance(name, str):
        raise _Refused(f"a dtype made from {type(name).__name__}")
    return _plain_dtype(np.dtype(name, align, copy))


class _ArrayClass:
    """Stands for ``numpy.ndarray`` in a pickle: ``_reconstruct`` takes it; calling it is refused."""

    def __new__(cls, *args, **kwargs):
        raise _Refused("numpy.ndarray called directly")


def _reconstruct(subtype, shape, typecode):
    if subtype is not _ArrayClass:
        raise _Refused(f"an array subclass {getattr(subtype, '__name__', subtype)!r}")
    return _RECONSTRUCT(np.ndarray, shape, typecode)


def _frombuffer(buffer, dtype, shape, order):
    return _FROMBUFFER(buffer, _plain_dtype(dtype), shape, order)


def _scalar(dtype, *data):
    return _SCALAR(_plain_dtype(dtype), *data)


def _latin1(text, encoding="utf-8"):
    """``_codecs.encode``, which pickles of bytes (protocols 0-2) call, for the latin-1 codec only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise _Refused(f"_codecs.encode with {encoding!r}")
    return text.encode("latin-1")


_NUMPY = {"_reconstruct": _reconstruct, "scalar": _scalar, "_frombuffer": _frombuffer}
_ALLOWED = {("numpy", "ndarray"): _ArrayClass, ("numpy", "dtype"): _make_dtype, ("_codecs", "encode"): _latin1}
_ALLOWED.update({(module, name): function for module in ("numpy.core.multiarray", "numpy._core.multiarray",
                                                         "numpy.core.numeric", "numpy._core.numeric")
                 for name, function in _NUMPY.items()})
_ALLOWED.update({(module, kind.__name__): kind for module in ("builtins", "__builtin__")
                 for kind in (set, frozenset, bytearray, bytes, complex)})


class _DataUnpickler(pickle._Unpickler):
    """Builds plain data only (see the module docstring)."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except (KeyError, TypeError):
            raise _Refused(f"{module}.{name} (it would be called to build the data)") from None

    def persistent_load(self, pid):
        raise _Refused("a persistent id")

    def load_build(self):
        state, instance = self.stack[-1], self.stack[-2]
        if isinstance(instance, np.dtype):
            natural = np.dtype(instance.str)                       # what the dtype's own name describes
            if not isinstance(state, tuple) or len(state) < 8 or state[2:5] != (None, None, None) \
                    or state[1] not in ("<", ">", "|", "=") or state[-1] != natural.flags:
                raise _Refused(f"a dtype {instance} with a hand-made state")
        elif not isinstance(instance, np.ndarray):
            raise _Refused(f"state for a {type(instance).__name__}")
        super().load_build()

    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.BUILD[0]] = load_build


def load_data_pickle(path, where: str):
    """The plain data pickled in the file at ``path``; a DataError naming it for anything else."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise DataError(f"{where}: cannot read {path}: {error.strerror or error}") from None
    try:
        return _DataUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except _Refused as refused:
        raise DataError(f"{where}: {path} is not plain data: it asks for {refused}; refused, and nothing was run. "
                        f"Use the original CIFAR-10 python batches") from None
    except Exception as error:                           # truncated or damaged: pickle raises many kinds
        raise DataError(f"{where}: cannot read {path} ({type(error).__name__}: {str(error)[:200]}); the file is "
                        f"truncated or not a CIFAR-10 python batch") from None
