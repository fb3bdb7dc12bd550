"""The optional libraries behind interop, imported only when an interop function runs.

>>> from graphlab.interop.extras import EXTRAS
>>> EXTRAS["onnxruntime"]
'onnx'
"""
from __future__ import annotations

import importlib

from graphlab.errors import GraphlabError

#: the library each interop function needs -> the pip extra of graphlab that installs it
EXTRAS = {"torch": "torch", "onnx": "onnx", "onnxruntime": "onnx"}


class MissingExtraError(GraphlabError, ImportError):
    """An interop function ran without its optional library; the message names the extra."""


class UnsupportedError(GraphlabError, ValueError):
    """A model or graph holds layers or ops that have no mapping; the message lists them all."""


def require(library: str, function: str):
    """The imported ``library``, or a MissingExtraError naming ``function`` and the extra to install."""
    try:
        return importlib.import_module(library)
    except ImportError as error:
        extra = EXTRAS[library]
        raise MissingExtraError(
            f"{function}: needs {library}, which is not installed ({error}); install graphlab's "
            f"optional extra: pip install 'graphlab[{extra}]'") from None
