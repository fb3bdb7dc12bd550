"""The README's pictures (a gradient-flow diagram, the REPL, a training curve) are committed, small, and made by
the scripts that docs/make_all.py runs; the README names that one command."""
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_shows_the_three_pictures_and_names_the_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert {"docs/images/e01_backward.svg", "docs/pictures/repl_terminal.png", "docs/pictures/training_curve.png",
            "docs/pictures/notebook_lesson_01.png"} <= set(shown)
    for relative in shown:
        path = ROOT / relative
        assert path.is_file() and path.stat().st_size < 200_000, relative
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ".venv/bin/python docs/make_all.py" in readme


def test_make_all_runs_every_generator():
    make_all = _script("make_all")
    assert make_all.SCRIPTS == ("make_pictures.py", "make_repl_pictures.py", "make_training_curve.py",
                                "make_architecture.py", "make_notebooks.py", "make_notebook_picture.py", "make_api.py")
    for script in make_all.SCRIPTS:
        assert (DOCS / script).is_file(), script
    generated = {"images/e01_backward.svg": "make_pictures.py", "pictures/repl_terminal.png": "make_repl_pictures.py",
                 "pictures/training_curve.png": "make_training_curve.py", "pictures/architecture.svg": "make_architecture.py",
                 "pictures/notebook_lesson_01.png": "make_notebook_picture.py", "api.md": "make_api.py"}
    for relative, script in generated.items():                  # each generated file, and the script that writes it
        assert (DOCS / relative).is_file(), relative
        assert Path(relative).name in (DOCS / script).read_text(encoding="utf-8"), (relative, script)


def test_the_training_curve_script_draws_a_real_run(tmp_path):
    maker = _script("make_training_curve")
    result = maker.train(epochs=2)
    assert len(result.history) == 2 and result.history["loss"][1] < result.history["loss"][0]
    picture = maker.figure(result)
    picture.savefig(tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    assert "final test" in picture.axes[1].get_title()
