"""Draw docs/pictures/architecture.svg: graphlab's packages and which imports which, read from the source.

    .venv/bin/python docs/make_architecture.py            # writes docs/pictures/architecture.svg
    .venv/bin/python docs/make_architecture.py /tmp/out   # somewhere else

Every ``import graphlab.X`` / ``from graphlab.X import ...`` in graphlab/ becomes an edge from the
package (or top-level module) that contains the import to X. A solid edge is a module-level import;
a dashed one is only ever made inside a function (loaded when first used, so ``import graphlab``
stays light). Edges into the foundation modules that everything uses (config, errors, memory) are
left out to keep the picture readable. tests/docs/test_docs_architecture.py checks that the committed
picture has exactly the edges the source has today. Needs Graphviz's ``dot``.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "graphlab"
PICTURES = Path(__file__).resolve().parent / "pictures"

#: used by everything; their incoming edges are not drawn
FOUNDATION = ("config", "errors", "memory", "tables", "display")
#: the layers of the picture, top to bottom, with what each one is for
LAYERS = [
    ("front", ("cli", "lessons"), "graphlab COMMAND, lessons/"),
    ("views", ("viz", "verify", "repl", "practice", "examples", "demo", "interop"),
     "diagrams, SymPy checks, the REPL and its quiz, lecture graphs, PyTorch/ONNX"),
    ("training", ("train", "optim", "data", "checkpoint"), "the trainer, optimizers, data, checkpoints"),
    ("networks", ("nn", "functional"), "modules, blocks, models; fused CNN ops"),
    ("engine", ("autodiff", "ops"), "Tensor, Function, the backward walk; one class per op"),
    ("foundation", FOUNDATION, "configuration, errors, memory, text and HTML tables (used by all; their edges are not drawn)"),
]


def components() -> set:
    """The subpackages and top-level modules of graphlab (the nodes)."""
    names = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    names |= {path.stem for path in PACKAGE.glob("*.py") if path.stem not in ("__init__", "__main__")}
    return names


def _component_of(path: Path) -> str:
    """The node a source file belongs to; ``__main__`` (python -m graphlab) belongs to the command line."""
    relative = path.relative_to(PACKAGE)
    if len(relative.parts) > 1:
        return relative.parts[0]
    return "cli" if relative.stem == "__main__" else relative.stem


def _imported(node, known: set) -> list:
    """The graphlab components an import statement names."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("graphlab"):
        parts = node.module.split(".")
        candidates = parts[1:2] if len(parts) > 1 else [alias.name for alias in node.names]
    elif isinstance(node, ast.Import):
        candidates = [alias.name.split(".")[1] for alias in node.names
                      if alias.name.startswith("graphlab.") and len(alias.name.split(".")) > 1]
    else:
        return []
    return [name for name in candidates if name in known]


def dependencies() -> dict:
    """{(importer, imported): lazy} over the package's source, without self-edges, edges into the
    foundation, and the package's own __init__ (which re-exports everything)."""
    known = components()
    edges = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "__init__.py":
            continue
        source = _component_of(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_level = {id(statement) for statement in tree.body}
        for node in ast.walk(tree):
            for target in _imported(node, known):
                if target == source or target in FOUNDATION:
                    continue
                lazy = id(node) not in module_level
                edges[(source, target)] = edges.get((source, target), True) and lazy
    return edges


def diagram():
    """The graphviz Digraph: one row per layer, solid and dashed edges."""
    import graphviz
    graph = graphviz.Digraph("graphlab", graph_attr={"rankdir": "TB", "nodesep": "0.35", "ranksep": "0.6",
                                                     "fontname": "Helvetica", "fontsize": "11"},
                             node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#f6f8fa",
                                        "fontname": "Helvetica", "fontsize": "11"},
                             edge_attr={"color": "#57606a", "arrowsize": "0.7"})
    known = components()
    placed = set()
    for layer, names, about in LAYERS:
        with graph.subgraph(name=f"cluster_{layer}") as row:
            row.attr(label=f"{layer}: {about}", labeljust="l", style="dashed", color="#d0d7de", fontsize="10",
                     rank="same")
            for name in names:
                if name in known:
                    row.node(name)
                    placed.add(name)
    unplaced = sorted(known - placed)
    if unplaced:                                                 # a new module: drawn, but outside the layers
        with graph.subgraph(name="cluster_unplaced") as row:
            row.attr(label="not in a layer yet (add them to LAYERS in docs/make_architecture.py)", labeljust="l",
                     style="dashed", color="#cf222e", fontsize="10")
            for name in unplaced:
                row.node(name)
    for upper, lower in zip(LAYERS, LAYERS[1:]):                 # keep the layers in order, top to bottom
        graph.edge(upper[1][0], lower[1][0], style="invis")
    for (source, target), lazy in sorted(dependencies().items()):
        graph.edge(source, target, style="dashed" if lazy else "solid")
    return graph


def main(argv) -> int:
    out = Path(argv[0]) if argv else PICTURES
    out.mkdir(parents=True, exist_ok=True)
    target = out / "architecture.svg"
    target.write_bytes(diagram().pipe(format="svg"))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
