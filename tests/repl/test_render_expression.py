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


# -- issue 14: function names are functions; --set adds up; --focus answers in CLI words ----------------
def test_render_an_expression_with_exp_and_one_set_per_name(tmp_path, capsys):
    from graphlab.cli import main
    out = tmp_path / "g.dot"
    assert main(["render", "exp(x)*y", "--set", "x=1", "--set", "y=2", "--backward", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    source = out.read_text()
    assert "label=exp" in source and "label=x" in source and "label=y" in source
    assert "5.437" in source           # d(e^x y)/dx = e y = 5.4366 at x=1, y=2, drawn on x's edge


def test_a_name_given_twice_across_set_flags_is_a_parse_error(tmp_path, capsys):
    from graphlab.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "x*y", "--set", "x=1", "--set", "x=2,y=1", "-o", str(tmp_path / "g.svg")])
    assert exit_info.value.code == 2
    assert "--set: x given twice" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["exp * y", "sigmoid + 1", "x * relu"])
def test_a_function_name_used_as_a_value_says_to_call_it(text):
    with pytest.raises(ExpressionError) as error:
        parse(text)
    name = next(word for word in ("exp", "sigmoid", "relu") if word in text)
    assert f"{name} is a function, not a value: call it on one, e.g. {name}(x)" in str(error.value)
    assert "--set" not in str(error.value).split(";")[0]


def test_every_elementwise_op_of_one_input_the_repl_knows_is_a_function():
    from graphlab.ops.registry import builtin_ops
    from graphlab.repl.expression import available_functions
    from graphlab.verify.twins import forward_signature
    unary = {name for name, op in builtin_ops().items()
             if getattr(op, "elementwise", False) and forward_signature(op)[3] == 1 and name != "astype"}
    assert unary and unary <= set(available_functions())
    leaves = {"x": gl.tensor(0.5, requires_grad=True, name="x")}
    assert evaluate(parse("gelu(x) + selu(x) - neg(x)"), leaves).item() == pytest.approx(
        gl.functional.gelu(leaves["x"]).item() + gl.functional.selu(leaves["x"]).item() + 0.5, rel=1e-6)


def test_render_focus_on_an_unknown_node_answers_in_command_line_words(tmp_path, capsys):
    from graphlab.cli import main
    assert main(["render", "(x + y) * z", "--set", "x=-2,y=5,z=-4", "--focus", "q",
                 "-o", str(tmp_path / "g.svg")]) == 2
    error = capsys.readouterr().err
    assert "--focus: no node named 'q'; nodes are x, y, z, f; unnamed nodes by their number in the " \
           "diagram: n3" in error
    assert ":nodes" not in error and "no such node" not in error


def test_render_png_resolution_from_the_command_line(tmp_path, capsys):
    from graphlab.cli import main
    sizes = {}
    for dpi in (None, "96"):
        out = tmp_path / f"g{dpi}.png"
        assert main(["render", "(x + y) * z", "--set", "x=-2,y=5,z=-4", "-o", str(out)]
                    + (["--dpi", dpi] if dpi else [])) == 0
        sizes[dpi] = int.from_bytes(out.read_bytes()[16:20], "big")
    assert abs(sizes[None] - 2 * sizes["96"]) <= 2           # 192 dpi by default (pixels round)
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "x", "--set", "x=1", "--dpi", "9000", "-o", str(tmp_path / "g.png")])
    assert exit_info.value.code == 2 and "argument --dpi: '9000' is not a resolution" in capsys.readouterr().err
