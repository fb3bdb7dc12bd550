"""Issue 13: `graphlab render EXPR` evaluates only arithmetic (never arbitrary Python)."""
import pytest

import graphlab as gl
from graphlab.repl.expression import ExpressionError, evaluate, names, parse, settings


@pytest.mark.parametrize("hostile", [
    "__import__('os').system('touch PWNED')",
    "x.__class__", "x.data", "[c for c in ()]", "(lambda: 1)()", "x[0]", "open('f')", "exec('1')",
    "'text'", "b'bytes'", "x if x else x", "x < 1", "f'{x}'", "(y := 2)", "globals()", "x.sum.__self__",
    "1j * x", "*x", "x and x", "print(x)", "getattr(x, 'data')", "exp(**{'x': 1})",
])
def test_anything_but_arithmetic_is_refused_before_it_runs(hostile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError, match="render:"):
        tree = parse(hostile)
        evaluate(tree, {"x": gl.scalar(1.0)})
    assert not (tmp_path / "PWNED").exists()


def test_the_cli_never_runs_an_import(tmp_path):
    from graphlab.cli import main
    marker = tmp_path / "PWNED"
    with pytest.raises(SystemExit) as exit_info:
        main(["render", f"__import__('os').system('touch {marker}')", "-o", str(tmp_path / "g.svg")])
    assert exit_info.value.code == 2 and not marker.exists()


@pytest.mark.parametrize("text, values, expected", [
    ("(x + y) * z", {"x": -2.0, "y": 5.0, "z": -4.0}, -12.0),
    ("exp(x) + log(y) + tanh(z)", {"x": 0.0, "y": 1.0, "z": 0.0}, 1.0),
    ("sigmoid(x) * 2 + relu(-y)", {"x": 0.0, "y": 1.0}, 1.0),
    ("max(x, y) - min(x, y)", {"x": 2.0, "y": 5.0}, 3.0),
    ("x ** 2 / 4 - -x", {"x": 2.0}, 3.0),
    ("pi * x", {"x": 1.0}, 3.1415927),
    ("(x * y).sum()", {"x": [1.0, 2.0], "y": [3.0, 4.0]}, 11.0),
    ("sum(x, axis=0)", {"x": [1.0, 2.0]}, 3.0),
])
def test_arithmetic_and_graphlab_functions_work(text, values, expected):
    leaves = {name: gl.tensor(value, requires_grad=True, name=name) for name, value in values.items()}
    result = evaluate(parse(text), leaves)
    assert result.item() == pytest.approx(expected, rel=1e-6)
    assert names(parse(text)) == set(values)


@pytest.mark.parametrize("text", ["9**9**9**9", "10.0 ** 400", "1/0", "1" * 5000, "x + " * 3000 + "x",
                                  "(" * 300 + "x" + ")" * 300, "-" * 5000 + "x", ""])
def test_huge_deep_or_dividing_constants_are_clear_errors_not_hangs(text):
    with pytest.raises(ExpressionError, match="render:"):
        evaluate(parse(text), {"x": gl.scalar(1.0)})


@pytest.mark.parametrize("text, message", [
    ("x=abc", "is not a number"), ("x=1e999", "is not a number"), ("x=[1,[2]]", "is not a number"),
    ("x=True", "is not a number"), ("x=1j", "is not a number"), ("x=[]", "is not a number"),
    ("x", "NAME=VALUE"), ("1x=2", "NAME=VALUE"), ("x=1,x=2", "twice"), ("lambda=1", "NAME=VALUE"),
])
def test_bad_settings_name_the_flag(text, message):
    with pytest.raises(ExpressionError, match="--set") as error:
        settings(text)
    assert message in str(error.value)


def test_settings_read_numbers_and_matrices():
    assert settings("x=-2,W=[[1,2],[3,4]], y = 0.5") == {"x": -2, "W": [[1, 2], [3, 4]], "y": 0.5}
