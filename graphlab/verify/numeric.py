"""Finite-difference checks: ``numeric_jacobian`` and ``gradcheck`` (PyTorch's, in float64)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from graphlab.autodiff.functional import _leaves, jacobian
from graphlab.autodiff.tensor import Tensor
from graphlab.config import default_dtype, no_grad
from graphlab.errors import GradcheckError


def numeric_jacobian(function: Callable, inputs, eps: float = 1e-6):
    """Central differences in float64: (f(x + eps) - f(x - eps)) / 2 eps, element by element."""
    single = not isinstance(inputs, (list, tuple))
    arrays = [np.array(leaf.data, dtype=np.float64) for leaf in _leaves(inputs)]

    def evaluate(values: Sequence[np.ndarray]) -> np.ndarray:
        with no_grad():
            result = function(*[Tensor._from_op(value, None, False) for value in values])
        return np.array(result.data if isinstance(result, Tensor) else result, dtype=np.float64)

    output_shape = evaluate(arrays).shape
    jacobians = []
    for index, array in enumerate(arrays):
        columns = np.zeros((array.size,) + output_shape)
        flat = array.reshape(-1)
        for position in range(array.size):
            original = flat[position]
            flat[position] = original + eps
            plus = evaluate(arrays)
            flat[position] = original - eps
            minus = evaluate(arrays)
            flat[position] = original
            columns[position] = (plus - minus) / (2 * eps)
        # (input elements, *output) -> (*output, *input)
        moved = np.moveaxis(columns, 0, -1) if output_shape else columns
        jacobians.append(moved.reshape(output_shape + array.shape))
    return jacobians[0] if single else tuple(jacobians)


def gradcheck(function: Callable, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              max_rows: int = 10) -> bool:
    """Compare the engine's Jacobian with central differences, both in float64.

    Returns True, or raises GradcheckError with a table of the worst mismatches
    (input, index, analytic, numeric). Constants created inside ``function`` are float64 too.

    >>> import graphlab as gl
    >>> gl.gradcheck(lambda x: (x * x.sigmoid()).sum(), [gl.randn(3, dtype="float64")])
    True
    """
    originals = _leaves(inputs)
    leaves = [Tensor(original.data, dtype=np.float64) for original in originals]
    with default_dtype(np.float64):
        analytic = jacobian(function, leaves)
        numeric = numeric_jacobian(function, leaves, eps=eps)
    rows = []
    for original, analytic_part, numeric_part in zip(originals, analytic, numeric):
        error = np.abs(analytic_part - numeric_part)
        bad = error > atol + rtol * np.abs(numeric_part)
        for position in map(tuple, np.argwhere(bad)):   # argwhere also handles 0-d Jacobians
            rows.append((float(error[position]), original.label, position, analytic_part[position], numeric_part[position]))
    if not rows:
        return True
    rows.sort(key=lambda row: -row[0])
    lines = [f"{'input':<10} {'index (output..., input...)':<28} {'analytic':>14} {'numeric':>14} {'error':>10}"]
    for error, label, position, analytic_value, numeric_value in rows[:max_rows]:
        lines.append(f"{label:<10} {str(tuple(int(p) for p in position)):<28} {analytic_value:>14.6g} "
                     f"{numeric_value:>14.6g} {error:>10.3g}")
    more = f"\n... and {len(rows) - max_rows} more" if len(rows) > max_rows else ""
    raise GradcheckError(
        f"gradcheck: {len(rows)} Jacobian entries differ from central differences "
        f"(eps={eps}, atol={atol}, rtol={rtol}); a backward formula is wrong:\n" + "\n".join(lines) + more)
