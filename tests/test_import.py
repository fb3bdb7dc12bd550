"""``import graphlab`` is light and has no side effects: the subpackages most scripts do not need load
on first attribute access (PEP 562), and the allocator setting of graphlab/memory.py is made by the
first fused op or ``gl.train.fit``, not by the import. Each check runs in a fresh interpreter."""
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys

import pytest

LAZY_SUBPACKAGES = ("graphlab.train", "graphlab.data", "graphlab.checkpoint", "graphlab.viz", "graphlab.nn",
                    "graphlab.functional", "graphlab.optim", "graphlab.verify", "graphlab.examples",
                    "graphlab.memory", "graphlab.interop")
HEAVY_THIRD_PARTY = ("graphviz", "sympy", "prompt_toolkit", "torch", "matplotlib", "tqdm", "sklearn", "onnx",
                     "onnxruntime")


def run_fresh(code: str, **environment) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON value, which is returned."""
    env = {**os.environ, **environment}
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def glibc_has_mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return hasattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), "mallopt")
    except OSError:
        return False


def test_import_loads_no_optional_subpackage_and_no_heavy_library():
    loaded = run_fresh("import json, sys, graphlab; print(json.dumps(sorted(sys.modules)))")
    assert [name for name in LAZY_SUBPACKAGES if name in loaded] == []
    assert [name for name in HEAVY_THIRD_PARTY if name in loaded] == []
    assert "graphlab.ops" in loaded and "graphlab.autodiff.engine" in loaded       # the engine is there


def test_lazy_names_resolve_on_first_access():
    code = """
import json, sys, graphlab as gl
found = {
    "nn.Linear": gl.nn.Linear.__module__, "save": gl.save.__module__, "load": gl.load.__module__,
    "draw": gl.draw.__module__, "render": gl.render.__module__, "walk": gl.walk.__module__,
    "gradcheck": gl.gradcheck.__module__, "numeric_jacobian": gl.numeric_jacobian.__module__,
    "fit": gl.train.fit.__module__, "DataLoader": gl.data.DataLoader.__module__,
    "Adam": gl.optim.Adam.__module__, "conv2d": gl.functional.conv2d.__module__,
    "GRAPHS": type(gl.examples.GRAPHS).__name__, "verify.op": callable(gl.verify.op),
    "from_torch": gl.from_torch.__module__, "to_torch": gl.to_torch.__module__,
    "export_onnx": gl.export_onnx.__module__,
    "torch loaded by the names": "torch" in sys.modules or "onnx" in sys.modules,
}
print(json.dumps(found))
"""
    found = run_fresh(code)
    assert found == {
        "nn.Linear": "graphlab.nn.layers", "save": "graphlab.checkpoint", "load": "graphlab.checkpoint",
        "draw": "graphlab.viz.dot", "render": "graphlab.viz.dot", "walk": "graphlab.viz.walk",
        "gradcheck": "graphlab.verify.numeric", "numeric_jacobian": "graphlab.verify.numeric",
        "fit": "graphlab.train.loop", "DataLoader": "graphlab.data.loader", "Adam": "graphlab.optim.adam",
        "conv2d": "graphlab.functional", "GRAPHS": "dict", "verify.op": True,
        "from_torch": "graphlab.interop.from_torch", "to_torch": "graphlab.interop.to_torch",
        "export_onnx": "graphlab.interop.onnx_export", "torch loaded by the names": False,
    }


def test_accessing_one_subpackage_loads_only_what_it_needs():
    code = "import json, sys, graphlab as gl; gl.save; print(json.dumps(sorted(sys.modules)))"
    loaded = run_fresh(code)
    assert "graphlab.checkpoint" in loaded
    assert [name for name in ("graphlab.train", "graphlab.viz", "graphlab.nn") if name in loaded] == []


def test_explicit_imports_of_subpackages_work():
    code = """
import json
import graphlab.nn
from graphlab import nn, train
from graphlab.viz import draw
import graphlab as gl
print(json.dumps([gl.nn is nn, nn.Linear.__name__, gl.train is train, gl.draw is draw]))
"""
    assert run_fresh(code) == [True, "Linear", True, True]


def test_unknown_attributes_still_raise_attribute_error():
    import graphlab as gl
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        gl.not_a_name
    assert not hasattr(gl, "nonexistent_subpackage")


def test_dir_lists_the_lazy_names():
    names = run_fresh("import json, graphlab; print(json.dumps(dir(graphlab)))")
    for name in ("nn", "train", "data", "checkpoint", "viz", "functional", "optim", "verify", "examples",
                 "memory", "interop", "from_torch", "to_torch", "export_onnx", "save", "load", "draw", "render", "walk", "gradcheck", "numeric_jacobian",
                 "Tensor", "scalar", "backward_steps"):
        assert name in names
    assert names == sorted(names)


ALLOCATOR = """
import json, graphlab as gl
from graphlab import memory
before = [memory._applied, memory.applied()]
{action}
print(json.dumps({{"before": before, "after": [memory._applied, memory.applied()]}}))
"""
CONV = "import graphlab.functional as F; F.conv2d(gl.ones(1, 1, 4, 4), gl.ones(1, 1, 3, 3))"
FIT = """
class Scale(gl.nn.Module):                                   # primitive ops only: no fused op runs
    def __init__(self):
        super().__init__()
        self.weight = gl.nn.Parameter(gl.ones(2, 2))

    def forward(self, x):
        return x @ self.weight

data = gl.data.TensorDataset(gl.randn(8, 2).data, gl.randn(8, 2).data)
model = Scale()
gl.train.fit(model, lambda out, y: gl.mean((out - y) ** 2), gl.optim.SGD(model.parameters(), lr=0.1),
             gl.data.DataLoader(data, 4), epochs=1, progress=False)
"""


def test_import_does_not_tune_the_allocator_and_the_first_fused_op_does():
    state = run_fresh(ALLOCATOR.format(action=CONV), GRAPHLAB_KEEP_FREED_MEMORY="1")
    assert state["before"] == [None, False]                  # importing graphlab (and graphlab.memory): untouched
    expected = glibc_has_mallopt()
    assert state["after"] == [expected, expected]


def test_importing_the_networks_does_not_tune_the_allocator_but_fit_does():
    action = "import graphlab.functional, graphlab.nn, graphlab.train\nimported = memory._applied\n" + FIT
    state = run_fresh(ALLOCATOR.format(action=action).replace('"before": before', '"before": before + [imported]'),
                      GRAPHLAB_KEEP_FREED_MEMORY="1")
    assert state["before"] == [None, False, None]
    expected = glibc_has_mallopt()
    assert state["after"] == [expected, expected]


def test_the_switch_still_turns_the_setting_off():
    state = run_fresh(ALLOCATOR.format(action=CONV), GRAPHLAB_KEEP_FREED_MEMORY="0")
    assert state["after"] == [False, False]


def test_the_setting_is_made_once_per_process():
    code = """
import json, os
from graphlab import memory
first = memory.keep_freed_memory()
os.environ["GRAPHLAB_KEEP_FREED_MEMORY"] = "0"              # read by the first call only
print(json.dumps([first, memory.keep_freed_memory(), memory.keep_freed_memory()]))
"""
    first, second, third = run_fresh(code, GRAPHLAB_KEEP_FREED_MEMORY="1")
    assert first == second == third == glibc_has_mallopt()
