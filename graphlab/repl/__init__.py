"""The interactive REPL: a pure-Python Workspace (workspace.py, commands.py) under a thin
prompt-toolkit shell (app.py, completer.py)."""
from graphlab.repl.workspace import Output, Workspace

__all__ = ["Output", "Workspace"]
