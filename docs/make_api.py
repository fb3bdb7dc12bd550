"""Write docs/api.md, the API reference, from the docstrings and signatures of graphlab's public names.

    .venv/bin/python docs/make_api.py            # rewrites docs/api.md
    .venv/bin/python docs/make_api.py --check    # exit 1 if docs/api.md is not what the code says

Every public name of every public module gets its signature and the first paragraph of its
docstring; a class also lists its public methods and properties. tests/docs/test_docs_api.py fails when
docs/api.md differs from what this script would write, so the reference never goes stale.
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
TARGET = DOCS / "api.md"

#: (module, what the section covers); a module's ``__all__`` lists its names, or else the functions and
#: classes it defines itself
SECTIONS = [
    ("graphlab", "tensors, the backward walk, derivatives, configuration, the ops as functions (`gl.*`)"),
    ("graphlab.functional", "the network ops as fused nodes, PyTorch's `F` style"),
    ("graphlab.nn", "modules, layers, blocks"),
    ("graphlab.nn.init", "weight initialization"),
    ("graphlab.nn.models", "the networks of the notes"),
    ("graphlab.optim", "optimizers"),
    ("graphlab.optim.schedules", "learning-rate schedules"),
    ("graphlab.data", "datasets and the loader"),
    ("graphlab.data.transforms", "batch transforms"),
    ("graphlab.train", "the trainer, its history, callbacks and recipes"),
    ("graphlab.checkpoint", "checkpoints"),
    ("graphlab.viz", "diagrams of the backward pass"),
    ("graphlab.verify", "exact and numeric gradient checks"),
    ("graphlab.examples", "the lecture graphs shared by the REPL and the lessons"),
    ("graphlab.lessons", "running the lessons"),
    ("graphlab.practice", "practice mode: the quiz that asks for each gradient (the REPL's :quiz, graphlab quiz)"),
    ("graphlab.notebooks", "the lessons as Jupyter notebooks, generated from their scripts"),
    ("graphlab.interop", "PyTorch import/export and ONNX export (needs the torch / onnx extras)"),
]


def public_names(module) -> list:
    """The names a module offers: its ``__all__``, or the public functions and classes defined in it
    (for the top-level package: every public function and class it re-exports), in alphabetical order."""
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        # dir(), not vars(): the package's lazy names (gl.draw, gl.save) count before first use
        members = {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
        names = sorted(name for name, value in members.items()
                       if (inspect.isfunction(value) or inspect.isclass(value))
                       and (module.__name__ == "graphlab" or getattr(value, "__module__", None) == module.__name__))
    return [name for name in names if not inspect.ismodule(getattr(module, name))]


def summary(obj) -> str:
    """The first paragraph of the docstring, on one line, without doctest examples."""
    doc = inspect.getdoc(obj) or ""
    if obj is not None and inspect.isclass(obj) and doc == inspect.getdoc(object):
        return ""
    paragraph = doc.split("\n\n")[0]
    lines = [line.strip() for line in paragraph.splitlines() if not line.strip().startswith((">>>", "..."))]
    return " ".join(line for line in lines if line)


def signature(name: str, obj) -> str:
    """``name(arguments)`` for a function or a class (its constructor), or just the name."""
    target = obj
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return name
        target = obj.__init__ if "__init__" in vars(obj) or any("__init__" in vars(base) for base in obj.__mro__[1:-1]) \
            else obj
    try:
        text = str(inspect.signature(target))
    except (TypeError, ValueError):
        return name
    text = re.sub(r"\(self,? ?", "(", text)
    text = re.sub(r"<class '([\w.]+)'>", r"\1", text)           # dtype=<class 'numpy.float32'> -> numpy.float32
    text = re.sub(r"(: |-> )'([^']*)'", r"\1\2", text)           # postponed annotations: 'bool' -> bool
    return f"{name}{text}"


def members(cls) -> list:
    """The public methods and properties a class defines itself (not inherited ones)."""
    found = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value) or isinstance(value, property):
            found.append(name)
    return sorted(found)


def describe(module_name: str, name: str, obj) -> list:
    kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "object"
    lines = [f"### `{module_name}.{name}`", "", f"`{signature(name, obj)}`" if kind != "object" else
             f"`{name}`: {type(obj).__name__}", ""]
    text = summary(obj) if kind != "object" else ""
    if text:
        lines += [text, ""]
    if kind == "class":
        listed = members(obj)
        if listed:
            lines += ["Methods and properties: " + ", ".join(f"`{member}`" for member in listed) + ".", ""]
    return lines


def render() -> str:
    """The whole of docs/api.md."""
    lines = ["# API reference", "",
             "Generated from the docstrings by `docs/make_api.py` (`.venv/bin/python docs/make_api.py`); "
             "`tests/docs/test_docs_api.py` keeps it current. Each entry gives the signature and the first paragraph "
             "of the docstring; the guides ([index.md](index.md)) show how the pieces fit together.", ""]
    toc = []
    body = []
    for module_name, about in SECTIONS:
        module = importlib.import_module(module_name)
        anchor = module_name.replace(".", "")
        toc.append(f"* [`{module_name}`](#{anchor}): {about}")
        body += [f"## {module_name}", "", summary(module), ""]
        for name in public_names(module):
            body += describe(module_name, name, getattr(module, name))
    text = "\n".join(lines + toc + [""] + body).rstrip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def main(argv) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run .venv/bin/python docs/make_api.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({text.count(chr(10) + '### ')} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
