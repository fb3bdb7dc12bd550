"""The README's comparison table stays true: every cell of graphlab's column is checked against the code,
and micrograd's and PyTorch's cells against the installed packages where the test environment has them."""
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("graphlab", "micrograd", "DeZero", "MiniTorch", "PyTorch")


def table() -> dict:
    """{row label: {library: cell}} from the README's section "How graphlab compares"."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## How graphlab compares", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([a-zA-Z][^|]*?) \| (.*) \|$", section, flags=re.MULTILINE)
    return {label: dict(zip(LIBRARIES, (cell.strip() for cell in cells.split(" | ")))) for label, cells in rows}


def graphlab_has(row: str) -> bool:
    """Whether graphlab has the feature of ``row``, shown by using it."""
    if row == "autograd on scalars":
        x = gl.scalar(3.0)
        (x * x).backward()
        return x.grad == 6
    if row == "autograd on n-d tensors, with broadcasting":
        W = gl.ones(2, 3, requires_grad=True)
        (W * gl.tensor([1.0, 2.0, 3.0])).sum().backward()
        return W.grad.tolist() == [[1, 2, 3], [1, 2, 3]]
    if row == "gradients of gradients":
        x = gl.scalar(2.0)
        (first,) = gl.grad(x ** 3, x, create_graph=True)
        return gl.grad(first, x)[0].item() == 12
    if row == "the backward walk as data: upstream, local, downstream at every node":
        x, y = gl.scalar(2.0), gl.scalar(3.0)
        step = (x * y).backward()[0]
        return (float(step.upstream), [float(v) for v in step.local], [float(v) for v in step.downstream]) == \
            (1.0, [3.0, 2.0], [3.0, 2.0])
    if row == "diagram of the graph with its values and gradients":
        x = gl.scalar(-2.0, name="x")
        f = (x * 3).named("f")
        f.backward()
        source = gl.draw(f).source
        return ">-2<" in source and ">3<" in source
    if row == "finite-difference gradient check":
        return gl.gradcheck(lambda t: (t * t).sum(), [gl.tensor([1.0, -2.0])])
    if row == "exact gradient check against SymPy":
        x = gl.scalar(0.5, dtype=np.float64)
        return gl.verify.graph((x * x).sigmoid()).passed
    if row == "convolution and pooling":
        return F.max_pool2d(F.conv2d(gl.ones(1, 1, 4, 4), gl.ones(1, 1, 3, 3), padding=1), 2).shape == (1, 1, 2, 2)
    if row == "batch normalization":
        out = F.batch_norm(gl.tensor([[1.0], [2.0], [3.0], [4.0]]), None, None, training=True)
        return abs(float(out.data.mean())) < 1e-6
    if row == "learning-rate schedules":
        return gl.optim.schedules.CosineAnnealing(T=100, base_lr=0.1).lr_at(50) == pytest.approx(0.05)
    if row == "REPL that steps through the backward pass":
        from graphlab.repl.commands import COMMANDS
        return {"backward", "step", "focus"} <= set(COMMANDS)
    if row == "GPU":
        return False                                  # numpy on the CPU only
    raise KeyError(row)


def graphlab_optimizers() -> str:
    """The optimizers cell, from gl.optim's registry and SGD's options."""
    names = {"sgd": "SGD", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW"}
    assert set(gl.optim.OPTIMIZERS) == set(names)
    assert {"momentum", "nesterov"} <= set(gl.optim.SGD.defaults)
    return "SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam, AdamW"


def test_graphlab_column_is_what_the_code_does():
    rows = table()
    assert len(rows) == 13
    for row, cells in rows.items():
        cell = cells["graphlab"]
        if row == "optimizers":
            assert cell == graphlab_optimizers()
        else:
            assert cell in ("✓", "—"), (row, cell)
            assert graphlab_has(row) == (cell == "✓"), row


def test_every_row_has_a_cell_for_every_library():
    for row, cells in table().items():
        assert set(cells) == set(LIBRARIES) and all(cells.values()), row


def test_pytorch_column_against_torch():
    torch = pytest.importorskip("torch")
    cells = {row: values["PyTorch"] for row, values in table().items()}
    x = torch.tensor(2.0, requires_grad=True)
    (first,) = torch.autograd.grad(x ** 3, x, create_graph=True)
    assert torch.autograd.grad(first, x)[0].item() == 12 and cells["gradients of gradients"] == "✓"
    assert callable(torch.autograd.gradcheck) and cells["finite-difference gradient check"] == "✓"
    assert hasattr(torch.nn.functional, "conv2d") and hasattr(torch.nn.functional, "max_pool2d")
    assert hasattr(torch.nn, "BatchNorm2d") and hasattr(torch.optim.lr_scheduler, "CosineAnnealingLR")
    assert {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW"} <= set(dir(torch.optim)) and cells["optimizers"] == "✓"


def test_micrograd_column_against_micrograd():
    if importlib.util.find_spec("micrograd") is None:
        pytest.skip("micrograd is installed with the bench extra")
    import micrograd
    from micrograd.engine import Value
    cells = {row: values["micrograd"] for row, values in table().items()}
    package = Path(micrograd.__file__).parent
    assert sorted(path.stem for path in package.glob("*.py")) == ["__init__", "engine", "nn"]   # no optim, no viz
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6 and cells["autograd on scalars"] == "✓"
    assert not hasattr(x, "shape") and cells["autograd on n-d tensors, with broadcasting"] == "—"
    assert cells["optimizers"] == "—" and cells["diagram of the graph with its values and gradients"] == "notebook²"
