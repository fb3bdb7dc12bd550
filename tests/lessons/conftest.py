"""One quick run of each lesson per test session, shared by the tests that read what it printed
and wrote (``test_lessons.py`` checks every lesson's output; each ``test_lessons_NN_*.py`` its
narrative): running every lesson twice cost about a minute of the suite."""
import contextlib
import io

import pytest

from graphlab import lessons

_RUNS: dict = {}


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """quick_run(number) -> (exit status, printed text, the --out folder) of ``lesson N --quick``."""
    def run(number: int) -> tuple:
        if number not in _RUNS:
            out = tmp_path_factory.mktemp(f"lesson{number:02d}")
            text = io.StringIO()
            with contextlib.redirect_stdout(text):
                status = lessons.find(number).run(["--quick", "--out", str(out)])
            _RUNS[number] = (status, text.getvalue(), out)
        return _RUNS[number]
    return run
