"""Every check of every built-in op, from the ops' own ``cases`` (graphlab/autodiff/cases.py).

One test function per check, so that a failure names the check and the case
(``test_numpy[leaky_relu.kinks]``): values against numpy in float32 and float64, float64 finite
differences, values and gradients against PyTorch, the SymPy twin's exact Jacobian, and
backward == upstream × local. The checks themselves live in ``graphlab/verify/checks.py``.
"""
from __future__ import annotations

import pytest

from graphlab.ops.registry import builtin_ops
from graphlab.verify import checks

OPS = builtin_ops()
CASES = [case for op_class in OPS.values() for case in op_class.cases]
IDS = [case.label for case in CASES]


def _run(case, check: str) -> None:
    result = checks.run_check(case, check)
    if result.status == "skip":
        pytest.skip(result.message)
    assert result.passed, f"{case.label} {check}: {result.message}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_numpy(case):
    _run(case, "numpy")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case):
    _run(case, "gradcheck")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch(case):
    pytest.importorskip("torch")
    _run(case, "torch")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sympy(case):
    _run(case, "sympy")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_local(case):
    _run(case, "local")


def test_case_labels_are_unique():
    assert len(set(IDS)) == len(IDS), sorted(label for label in IDS if IDS.count(label) > 1)


def test_every_builtin_op_is_covered():
    """Every op has a case; an op with a twin has a symbolic case; a differentiable op a gradcheck case."""
    no_case = [name for name, op_class in OPS.items() if not op_class.cases]
    no_symbolic = [name for name, op_class in OPS.items() if op_class.symbolic is not None
                   and op_class.differentiable and not any(case.checks_symbolic for case in op_class.cases)]
    no_gradcheck = [name for name, op_class in OPS.items() if op_class.differentiable
                    and not any(case.gradcheck for case in op_class.cases)]
    assert no_case == [], f"built-in ops without a case: {no_case}"
    assert no_symbolic == [], f"ops with a SymPy twin but no symbolic case: {no_symbolic}"
    assert no_gradcheck == [], f"differentiable ops without a gradcheck case: {no_gradcheck}"
