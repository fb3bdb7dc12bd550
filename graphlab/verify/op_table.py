"""``graphlab verify``: every built-in op's symbolic cases as one table, and which ops lack a
twin or a case. Built-in ops come from ``graphlab.ops.registry`` (user Functions never count)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Optional

from graphlab import display
from graphlab.ops.registry import builtin_ops, import_failures
from graphlab.tables import format_table as aligned_table
from graphlab.verify.op_cases import cases_of
from graphlab.verify.op_check import run_case
from graphlab.verify.twins import has_twin

#: built-in ops that need no symbolic twin, each with the reason
EXEMPT = {
    name: "a comparison: piecewise constant, so its derivative is 0 wherever it exists; "
          "graphlab records it (differentiable = False) and passes no gradient through it"
    for name in ("lt", "le", "gt", "ge", "eq", "ne")
}
EXEMPT.update({
    name: "an index (where the max or min is): an integer, piecewise constant, so it has no "
          "gradient; graphlab records it (differentiable = False) and passes none through it"
    for name in ("argmax", "argmin")
})


@dataclass
class Row:
    """One line of ``graphlab verify``."""
    op: str
    variant: str
    shapes: tuple
    status: str                  # pass, FAIL, exempt
    max_error: float = 0.0
    seconds: float = 0.0
    note: str = ""




class CoverageReport(dict):
    """``coverage()``'s answer: a dict of op names by what they lack, that also shows itself in
    Jupyter (a pass/fail header and one row per kind)."""

    @property
    def passed(self) -> bool:
        """True when every built-in op imports and has a symbolic twin and a case (or is exempt)."""
        return not (self["missing_twin"] or self["missing_case"] or self["import_failures"])

    def _repr_html_(self) -> str:
        verified = len(self["verified"])
        rows = [(kind.replace("_", " "), f"{len(self[kind]):,}", ", ".join(sorted(self[kind])))
                for kind in ("missing_twin", "missing_case", "import_failures", "exempt", "verified")]
        header = display.status(self.passed, f"verify.coverage: {verified:,} ops verified, "
                                             f"{len(self['exempt'])} exempt")
        return display.block(header, display.table(["ops", "count", "names"], rows, numeric={1}), kind="verify")


def coverage() -> CoverageReport:
    """Which built-in ops have a twin and a case: {"missing_twin": [...], "missing_case": [...],
    "exempt": [...], "verified": [...], "import_failures": {...}}."""
    result = CoverageReport(missing_twin=[], missing_case=[], exempt=[], verified=[],
                            import_failures=import_failures())
    for name, cls in builtin_ops().items():
        if name in EXEMPT:
            result["exempt"].append(name)
        elif not has_twin(cls):
            result["missing_twin"].append(name)
        elif not cases_of(cls):
            result["missing_case"].append(name)
        else:
            result["verified"].append(name)
    return result


def _rows_of(name: str, op_class) -> list:
    """The table's rows for one op: one per case, or one saying why it has none."""
    if name in EXEMPT:
        return [Row(name, "", (), "exempt", 0.0, 0.0, EXEMPT[name])]
    if not has_twin(op_class):
        return [Row(name, "", (), "FAIL", math.inf, 0.0, "no symbolic twin (define symbolic on the op)")]
    op_cases = cases_of(op_class)
    if not op_cases:
        return [Row(name, "", (), "FAIL", math.inf, 0.0, "no symbolic case (add one to the op's cases)")]
    rows = []
    for case in op_cases:
        started = time.perf_counter()
        try:
            report = run_case(case)
            rows.append(Row(name, case.variant, case.shapes, report.status, report.max_error, report.seconds,
                            "" if report.passed else (report.message or str(report.worst))))
        except Exception as error:   # one broken op must not stop the table
            rows.append(Row(name, case.variant, case.shapes, "FAIL", math.inf, time.perf_counter() - started,
                            f"{type(error).__name__}: {error}"))
    return rows


class VerifyTable(list):
    """``verify_all()``'s Rows; in Jupyter, ``graphlab verify``'s table under a pass/fail header."""

    @property
    def passed(self) -> bool:
        return all(row.status != "FAIL" for row in self)

    def _repr_html_(self) -> str:
        failed = sum(row.status == "FAIL" for row in self)
        header = display.status(self.passed, f"verify: {len(self):,} cases, {failed:,} failed")
        rows = [_cells(row) for row in self]
        kinds = ["gl-fail" if row.status == "FAIL" else "" for row in self]
        return display.block(header, display.table(HEADER, rows, numeric={2, 4}, row_classes=kinds), kind="verify")


def verify_all(only: Optional[Callable] = None) -> VerifyTable:
    """Run every case of every built-in op; one Row each (exempt and broken ops get a row too)."""
    rows = VerifyTable(Row(module, "", (), "FAIL", math.inf, 0.0, f"cannot import: {error}")
                       for module, error in import_failures().items())
    for name, op_class in builtin_ops().items():
        if only is None or only(name):
            rows.extend(_rows_of(name, op_class))
    return rows


HEADER = ("op", "input shapes", "max error", "status", "time", "note")


def _cells(row: Row) -> tuple:
    """One Row as the table's cells (text)."""
    label = f"{row.op}.{row.variant}" if row.variant else row.op
    shapes = ", ".join(str(shape) for shape in row.shapes) if row.shapes else "-"
    error = "-" if row.status == "exempt" else ("inf" if math.isinf(row.max_error) else f"{row.max_error:.1e}")
    return (label, shapes, error, row.status, f"{row.seconds * 1000:.0f} ms", row.note)


def format_table(rows: list) -> str:
    """The rows as an aligned text table: op, input shapes, max error, status, time, note."""
    return aligned_table([HEADER, *(_cells(row) for row in rows)], right={4})
