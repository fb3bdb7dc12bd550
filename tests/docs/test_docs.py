"""The examples in README.md and docs/*.md run as written."""
import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: documents whose examples need optional libraries: skipped, naming the library, where one is missing
NEEDS = {"interop.md": ("torch", "onnx", "onnxruntime")}


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_examples_in_document(path):
    for library in NEEDS.get(path.name, ()):
        pytest.importorskip(library)
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} example(s) failed in {path.name}"
    if path.name == "README.md":
        assert result.attempted >= 20
