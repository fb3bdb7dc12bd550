"""docs/api.md is generated from the docstrings by docs/make_api.py and must match what the code says today."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _maker():
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_current():
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert _maker().render() == committed, "docs/api.md is stale: run .venv/bin/python docs/make_api.py"


def test_every_public_name_has_an_entry():
    maker = _maker()
    document = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [f"{module_name}.{name}" for module_name, _ in maker.SECTIONS
               for name in maker.public_names(importlib.import_module(module_name))
               if f"### `{module_name}.{name}`" not in document]
    assert not missing
    for entry in ("graphlab.Tensor", "graphlab.grad", "graphlab.nn.models.DenseNet", "graphlab.optim.Adam",
                  "graphlab.optim.schedules.CosineAnnealing", "graphlab.train.fit", "graphlab.viz.draw",
                  "graphlab.verify.graph", "graphlab.lessons.find"):
        assert f"### `{entry}`" in document


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch):
    maker = _maker()
    monkeypatch.setattr(maker, "TARGET", tmp_path / "api.md")
    (tmp_path / "api.md").write_text("# old\n")
    assert maker.main(["--check"]) == 1
    assert maker.main([]) == 0 and maker.main(["--check"]) == 0
