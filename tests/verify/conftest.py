"""The whole verify table is computed once per test session: it takes about half a minute (SymPy
Jacobians of every built-in op's cases), and both the table's own test and ``graphlab verify``'s
test read it."""
import pytest

from graphlab.verify import op_table


@pytest.fixture(scope="session")
def whole_table():
    return op_table.verify_all()
