"""The cases verify reads: each op's own ``cases`` (``graphlab/autodiff/cases.py``) that are
checked with SymPy (``case.checks_symbolic``), default first."""
from __future__ import annotations

from graphlab.autodiff.cases import Case
from graphlab.ops.registry import builtin_ops


def cases_of(op_class) -> list:
    """The symbolic cases of an op, default first."""
    own = [case for case in op_class.cases if case.checks_symbolic]
    return own or _legacy_cases(op_class)


def default_case(op_class):
    """The op's first symbolic case, or None: it gives ``gl.verify.op`` its shapes and params."""
    found = cases_of(op_class)
    return found[0] if found else None


def all_cases() -> list:
    """Every symbolic case of every built-in op."""
    return [case for op_class in builtin_ops().values() for case in cases_of(op_class)]


# -- TEMPORARY (issue 12): until every op branch has moved its rows into its own ``cases``, ops
# -- without symbolic cases read the legacy table ``graphlab/verify/cases.py`` and their
# -- ``verify_cases`` attribute. Delete this block together with the legacy table.
def _legacy_cases(op_class) -> list:
    """The op's rows of the legacy table and of its ``verify_cases``, as Cases bound to it."""
    from graphlab.ops.registry import DEPRECATED_NAMES
    from graphlab.verify import cases as legacy
    builtin = builtin_ops()
    # a row names the op as it was called then; an old spelling counts once no op has that name
    rows = [(row.shapes, row.domain, row.params, row.variant) for row in legacy.CASES
            if (row.op if row.op in builtin else DEPRECATED_NAMES.get(row.op, row.op)) == op_class.name]
    rows += [(spec["shapes"], spec.get("domain", "real"), dict(spec.get("params", {})), spec.get("variant", ""))
             for spec in getattr(op_class, "verify_cases", ())]
    return [Case(shapes, domain, params=params, variant=variant).bind(op_class)
            for shapes, domain, params, variant in rows]
