"""torch, onnx and onnxruntime stay optional: graphlab.interop imports without them, and each interop
function says which extra to install. Each check runs in a fresh interpreter where the library is hidden."""
import json
import subprocess
import sys

import pytest

HIDE = "import sys\nfor name in {names!r}:\n    sys.modules[name] = None     # `import name` now raises ImportError\n"
CALLS = """
import json, graphlab as gl
from graphlab.interop import MissingExtraError
messages = []
for call in (lambda: gl.from_torch(object()), lambda: gl.to_torch(gl.nn.ReLU()),
             lambda: gl.export_onnx(gl.scalar(1.0, requires_grad=True) * 2)):
    try:
        call()
        messages.append(None)
    except MissingExtraError as error:
        messages.append(str(error))
    except gl.GraphlabError as error:            # got past the import: complains about the argument
        messages.append("other: " + str(error))
print(json.dumps(messages))
"""


def run_without(*names) -> list:
    completed = subprocess.run([sys.executable, "-c", HIDE.format(names=names) + CALLS], capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_without_torch_from_and_to_torch_name_the_torch_extra():
    pytest.importorskip("onnx")
    from_torch, to_torch, onnx_export = run_without("torch")
    assert from_torch.startswith("from_torch: needs torch") and "pip install 'graphlab[torch]'" in from_torch
    assert to_torch.startswith("to_torch: needs torch") and "graphlab[torch]" in to_torch
    assert onnx_export is None                                  # ONNX export does not need PyTorch


def test_without_onnx_export_names_the_onnx_extra():
    torch = pytest.importorskip("torch")
    del torch
    from_torch, to_torch, onnx_export = run_without("onnx")
    assert onnx_export.startswith("export_onnx: needs onnx") and "pip install 'graphlab[onnx]'" in onnx_export
    assert from_torch == "other: from_torch: module must be a torch.nn.Module, got object"   # torch is there
