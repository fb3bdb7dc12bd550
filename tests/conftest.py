"""The tests mirror the package (tests/ops/, tests/viz/, tests/repl/, ...); the helpers several
folders share (viz_graphs.py, browser.py) live here, importable from every folder."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "fuzz"))   # outcomes.py
