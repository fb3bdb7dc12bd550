"""Every check of an op, run from its ``cases`` (``graphlab.autodiff.cases.Case``).

One case line drives five checks:

* ``numpy``: values against the case's numpy reference in float32 and float64; the output keeps
  the inputs' dtype (unless ``out_dtype``) and gradients come back in each input's dtype and
  shape, finite. A not-differentiable op (a comparison) is checked for values only, and its
  output must not require grad;
* ``gradcheck``: float64 central differences (``gl.gradcheck``), away from kinks and ties;
* ``torch``: values and gradients against PyTorch in float64, when torch is installed;
* ``sympy``: the exact Jacobian of the op's SymPy twin (``gl.verify.op``);
* ``local``: backward == upstream × local, summed over broadcast axes, for ops with a ``local``.

``check_op(op_class)`` runs them all on every case of an op and returns one ``CaseReport`` per
case (print it: one line per check, with why a check failed or was skipped);
``tests/ops/test_cases.py`` runs each check of each built-in op's cases as its own test.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from graphlab import display

#: the checks, in the order they run
CHECKS = ("numpy", "gradcheck", "torch", "sympy", "local")


class Skip(Exception):
    """A check that does not apply to a case (no reference, not differentiable, no twin, ...)."""


@dataclass
class CheckResult:
    """One check of one case: passed, failed (with why) or skipped (with why)."""
    check: str
    status: str               # "pass", "FAIL" or "skip"
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status != "FAIL"


@dataclass
class CaseReport:
    """Every check of one case; ``passed`` when none failed (skipped checks do not fail)."""
    label: str
    results: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> list:
        return [result for result in self.results if not result.passed]

    def __str__(self) -> str:
        lines = [f"{self.label}: {'pass' if self.passed else 'FAIL'}"]
        for result in self.results:
            note = f": {result.message}" if result.message else ""
            lines.append(f"  {result.check:<10} {result.status}{note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: the pass/fail header, then one row per check."""
        rows = [(result.check, result.status, result.message) for result in self.results]
        kinds = ["gl-fail" if result.status == "FAIL" else "" for result in self.results]
        return display.block(display.status(self.passed, self.label),
                             display.table(["check", "status", "why"], rows, row_classes=kinds), kind="verify")


# -- inputs -----------------------------------------------------------------------------------
def _is_float(array) -> bool:
    return np.asarray(array).dtype.kind == "f"


def _tensors(arrays, dtype, requires_grad: bool) -> list:
    """graphlab leaves: float arrays in ``dtype`` (needing a gradient when asked), masks as they are."""
    import graphlab as gl
    return [gl.tensor(array.astype(dtype), requires_grad=requires_grad) if _is_float(array)
            else gl.tensor(array) for array in arrays]


def _expected_dtype(case, dtype) -> np.dtype:
    if case.out_dtype is None:
        return np.dtype(dtype)
    return np.dtype(bool) if case.out_dtype == "bool" else np.dtype(case.out_dtype)


# -- (a) values against numpy -----------------------------------------------------------------
def check_numpy(case) -> None:
    """Values against ``case.numpy`` in float32 and float64; dtypes and gradients kept."""
    if case.numpy is None:
        raise Skip("no numpy reference")
    for dtype in (np.float32, np.float64):
        _check_numpy_in(case, dtype)


def _check_numpy_in(case, dtype) -> None:
    import graphlab as gl
    arrays = case.inputs()
    tensors = _tensors(arrays, dtype, requires_grad=True)
    output = case.run(*tensors)
    # the reference: numpy on the same (rounded) numbers, in float64
    rounded = [array.astype(dtype).astype(np.float64) if _is_float(array) else array for array in arrays]
    expected = np.asarray(case.numpy(*rounded, **case.params))
    assert isinstance(output, gl.Tensor), f"{case.label}: returned {type(output).__name__}, not a Tensor"
    expected_dtype = _expected_dtype(case, dtype)
    assert output.dtype == expected_dtype, f"{case.label}: {np.dtype(dtype)} in, {output.dtype} out"
    assert output.shape == expected.shape, f"{case.label}: shape {output.shape}, numpy {expected.shape}"
    if not case.op.differentiable:
        _check_no_gradient(case, output, expected)
        return
    low_precision = np.float32 in (np.dtype(dtype), output.dtype)
    rtol, atol = (1e-5, case.atol32) if low_precision else (1e-10, case.atol64)
    np.testing.assert_allclose(output.data.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                               atol=atol, err_msg=f"{case.label}: values in {np.dtype(dtype)}")
    _check_gradients_come_back(case, output, tensors, dtype)


def _check_no_gradient(case, output, expected) -> None:
    """A comparison: exact values, no grad, and backward says why it cannot run."""
    import graphlab as gl
    np.testing.assert_array_equal(output.data, expected, err_msg=case.label)
    assert not output.requires_grad, f"{case.label}: a not-differentiable op's output requires grad"
    try:
        output.backward(np.ones(output.shape))
    except gl.BackwardError:
        return
    raise AssertionError(f"{case.label}: backward through a not-differentiable op did not raise BackwardError")


def _check_gradients_come_back(case, output, tensors, dtype) -> None:
    """The gradient comes back in each input's own dtype and shape, and finite."""
    assert output.requires_grad, f"{case.label}: the output does not require grad"
    upstream = np.random.default_rng(1).standard_normal(output.shape).astype(output.dtype)
    output.backward(upstream)
    for index, tensor in enumerate(tensors):
        if not tensor.requires_grad:
            continue
        where = f"{case.label}: gradient of input {index}"
        assert tensor.grad is not None, f"{where} is None"
        assert tensor.grad.dtype == dtype, f"{where} is {tensor.grad.dtype}, input {np.dtype(dtype)}"
        assert tensor.grad.shape == tensor.shape, f"{where} has shape {tensor.grad.shape}, input {tensor.shape}"
        assert np.isfinite(tensor.grad).all(), f"{where} is not finite: {tensor.grad}"


# -- (b) finite differences -------------------------------------------------------------------
def check_gradcheck(case) -> None:
    """float64 ``gl.gradcheck`` over the float inputs (masks stay constants)."""
    import graphlab as gl
    if not case.op.differentiable:
        raise Skip("not differentiable")
    if not case.gradcheck:
        raise Skip("gradcheck=False: the case sits on a kink or a tie on purpose")
    arrays = case.inputs()
    positions = [index for index, array in enumerate(arrays) if _is_float(array)]

    def function(*float_tensors):
        tensors = list(arrays)
        for position, tensor in zip(positions, float_tensors):
            tensors[position] = tensor
        output = case.run(*tensors)
        # gl.gradcheck cannot yet check a 0-d -> 0-d Jacobian: compare it as a 1-vector
        return output.reshape(1) if output.ndim == 0 else output

    leaves = [gl.tensor(arrays[position], dtype=np.float64) for position in positions]
    assert gl.gradcheck(function, leaves, **case.gradcheck_kw)


# -- (c) PyTorch ------------------------------------------------------------------------------
def _import_torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def check_torch(case, torch=None) -> None:
    """Values and gradients against ``case.torch`` in float64 (rtol 1e-10, atol 1e-12)."""
    if case.torch is None:
        raise Skip("no PyTorch reference")
    if torch is False:
        raise Skip("not asked for (torch=False)")
    torch = _import_torch() if torch is None else torch
    if torch is None:
        raise Skip("torch is not installed")
    arrays = case.inputs()
    grad = case.op.differentiable
    tensors = _tensors(arrays, np.float64, requires_grad=grad)
    references = [torch.tensor(array, dtype=torch.float64, requires_grad=grad) if _is_float(array)
                  else torch.tensor(array) for array in arrays]
    output = case.run(*tensors)
    reference = case.torch(*references, **case.params)
    assert output.shape == tuple(reference.shape), f"{case.label}: shape {output.shape}, torch {tuple(reference.shape)}"
    expected = reference.detach().numpy()
    if not grad:
        np.testing.assert_array_equal(output.data, expected, err_msg=case.label)
        assert not output.requires_grad, f"{case.label}: a not-differentiable op's output requires grad"
        return
    rtol, atol = (1e-6, 1e-6) if output.dtype == np.float32 else (1e-10, 1e-12)
    np.testing.assert_allclose(output.data, expected, rtol=rtol, atol=atol, err_msg=f"{case.label}: values")
    upstream = np.random.default_rng(2).standard_normal(output.shape).astype(output.dtype)
    output.backward(upstream)
    reference.backward(torch.from_numpy(upstream))
    for index, (tensor, leaf) in enumerate(zip(tensors, references)):
        if not tensor.requires_grad:
            continue
        assert leaf.grad is not None, f"{case.label}: torch gives no gradient for input {index}"
        np.testing.assert_allclose(tensor.grad, leaf.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{case.label}: gradient of input {index}")


# -- (d) SymPy --------------------------------------------------------------------------------
def check_sympy(case) -> None:
    """The engine's Jacobian against the exact Jacobian of the op's SymPy twin."""
    from graphlab.verify.op_check import run_case
    if not case.checks_symbolic:
        raise Skip("not a symbolic case (it is about a spelling: call=...)")
    if getattr(case.op, "symbolic", None) is None:
        raise Skip("the op has no SymPy twin")
    if not case.op.differentiable:
        raise Skip("not differentiable")
    report = run_case(case)     # gl.verify.op at case.inputs(), with exactly the case's params
    assert report.passed, str(report)


# -- (e) backward == upstream × local ---------------------------------------------------------
def check_local(case) -> None:
    """For an op with ``local``: its backward equals sum_to(chain(upstream, local_i, i)) per input."""
    from graphlab.autodiff.engine import sum_to
    op_class = case.op
    if op_class.local is None:
        raise Skip("the op defines no local")
    if not op_class.differentiable:
        raise Skip("not differentiable")
    tensors = _tensors(case.inputs(), np.float64, requires_grad=True)
    output = case.run(*tensors)
    ctx = output.creator
    if not isinstance(ctx, op_class):
        raise Skip(f"the case's output is made by {type(ctx).__name__}, not {op_class.__name__}")
    upstream = np.random.default_rng(3).standard_normal(output.shape)
    downstream = op_class.backward(ctx, upstream)
    downstream = downstream if isinstance(downstream, tuple) else (downstream,)
    local = ctx.local_gradients()
    for index, tensor in enumerate(ctx.inputs):
        if not tensor.requires_grad:
            continue
        expected = sum_to(np.asarray(op_class.chain(upstream, local[index], index)), tensor.shape)
        actual = sum_to(np.asarray(downstream[index]), tensor.shape)
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{case.label}: backward != upstream × local for input {index}")


_RUNNERS = {"numpy": check_numpy, "gradcheck": check_gradcheck, "torch": check_torch,
            "sympy": check_sympy, "local": check_local}


# -- running them -----------------------------------------------------------------------------
def run_check(case, check: str, *, torch=None) -> CheckResult:
    """One check of one case as a result (never raises for a failing op)."""
    runner = _RUNNERS[check]
    try:
        if check == "torch":
            runner(case, torch=torch)
        else:
            runner(case)
    except Skip as reason:
        return CheckResult(check, "skip", str(reason))
    except Exception as error:    # a failing check is a result, not a crash of the runner
        return CheckResult(check, "FAIL", f"{type(error).__name__}: {error}")
    return CheckResult(check, "pass")


def check_case(case, *, torch=None, checks=CHECKS) -> "CaseReport":
    """Run ``checks`` on one case. ``torch``: the torch module, False to skip it, None to import it."""
    return CaseReport(case.label, [run_check(case, check, torch=torch) for check in checks])


def check_op(op_class, *, torch=None, checks=CHECKS) -> list:
    """A CaseReport for each of the op's cases."""
    return [check_case(case, torch=torch, checks=checks) for case in op_class.cases]
