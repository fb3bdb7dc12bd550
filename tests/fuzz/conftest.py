"""Print the fuzz suite's totals: inputs tried, clear errors, right answers, crashes."""
import json
import os

from outcomes import COUNTS


def pytest_terminal_summary(terminalreporter):
    if not COUNTS:
        return
    tried = sum(COUNTS.values())
    terminalreporter.write_line(
        f"fuzz: {tried} inputs tried: {COUNTS['clear error']} clear errors, "
        f"{COUNTS['right answer']} right answers, {COUNTS['crash']} crashes")
    target = os.environ.get("GRAPHLAB_FUZZ_COUNTS")
    if target:
        with open(target, "w") as handle:
            json.dump(dict(COUNTS, tried=tried), handle)
