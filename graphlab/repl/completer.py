"""Tab completion: colon commands, their arguments, workspace names and attributes."""
from __future__ import annotations

import builtins
import keyword
import re
import types

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

import graphlab as gl
from graphlab.autodiff.tensor import Tensor
from graphlab.ops.registry import op_names
from graphlab.repl.commands import COMMANDS

_DOTTED = re.compile(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\.(\w*)$")
_NAME = re.compile(r"([A-Za-z_]\w*)$")


class ReplCompleter(Completer):
    def __init__(self, workspace):
        self.workspace = workspace
        self._paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event):
        text = document.text_before_cursor
        if text.lstrip().startswith(":"):
            yield from self._command_completions(text.lstrip())
        else:
            yield from self._python_completions(text)

    # -- :commands ---------------------------------------------------------------------------------
    def _command_completions(self, text: str):
        name, space, argument = text[1:].partition(" ")
        if not space:
            for command_name in COMMANDS:
                if command_name.startswith(name):
                    yield Completion(command_name, start_position=-len(name), display_meta=COMMANDS[command_name].summary)
            return
        found = COMMANDS.get(name)
        if found is None or found.argument is None:
            return
        if found.argument == "file":
            yield from self._paths.get_completions(Document(argument.split(" ")[-1]), None)
            return
        word = argument.split(" ")[-1]
        for candidate in self._argument_candidates(found.argument):
            if candidate.startswith(word):
                yield Completion(candidate, start_position=-len(word))

    def _argument_candidates(self, kind: str) -> list:
        tensors = list(self.workspace.tensors())
        if kind == "tensor":
            return tensors
        if kind == "node":
            labels = set(tensors)
            if self.workspace.root_name is not None:
                labels.update(node.label for node in self.workspace.graph_nodes(self.workspace.current_root()))
            return sorted(labels)
        if kind == "op":
            return tensors + op_names()      # the built-in ops' public names (user Functions apart)
        if kind == "lesson":
            return list(gl.examples.GRAPHS) + _lesson_words()
        if kind == "level":
            from graphlab.practice.levels import LEVELS
            return [level.name for level in LEVELS] + [str(level.number) for level in LEVELS] + ["stop", "--seed"]
        return []

    # -- Python ----------------------------------------------------------------------------------
    def _python_completions(self, text: str):
        dotted = _DOTTED.search(text)
        if dotted:
            owner = self._resolve(dotted.group(1))
            if owner is None:
                return
            prefix = dotted.group(2)
            for attribute in sorted(dir(owner)):
                if attribute.startswith(prefix) and (prefix.startswith("_") or not attribute.startswith("_")):
                    yield Completion(attribute, start_position=-len(prefix))
            return
        plain = _NAME.search(text)
        if not plain:
            return
        prefix = plain.group(1)
        names = [name for name in self.workspace.namespace if not name.startswith("__")]
        names += keyword.kwlist + [name for name in dir(builtins) if not name.startswith("_")]
        for name in sorted(set(names)):
            if name.startswith(prefix):
                yield Completion(name, start_position=-len(prefix))

    def _resolve(self, dotted: str):
        """Follow ``a.b.c`` through the namespace with getattr only: nothing the user typed is run."""
        parts = dotted.split(".")
        value = self.workspace.namespace.get(parts[0])
        for part in parts[1:]:
            if value is None or not isinstance(value, (types.ModuleType, Tensor, type)):
                return None
            value = getattr(value, part, None)
        return value


def _lesson_words() -> list:
    """The lessons' numbers and topics (none when the source tree's lessons/ folder is missing)."""
    from graphlab import lessons
    try:
        return [word for lesson in lessons.available() for word in (str(lesson.number), lesson.topic)]
    except lessons.LessonError:
        return []
