"""The graphlab command: subcommands, the main job, and sessions piped into the REPL."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def graphlab(*arguments, stdin: str = "", cwd=None):
    return subprocess.run([sys.executable, "-m", "graphlab", *arguments], input=stdin, capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=120)


def test_version_and_help():
    assert graphlab("--version").stdout.startswith("graphlab 0.1.0")
    for subcommand in ["demo", "repl", "render", "verify", "bench", "lesson", "train", "evaluate"]:
        result = graphlab(subcommand, "--help")
        assert result.returncode == 0 and "usage: graphlab " + subcommand in result.stdout


def test_main_job_without_a_terminal_runs_the_demo():
    result = graphlab()
    assert result.returncode == 0
    assert "f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)" in result.stdout
    assert "df/dx = -4, df/dy = -4, df/dz = 3" in result.stdout


def test_lecture_session_file_replays_with_the_lecture_numbers():
    session = (ROOT / "examples" / "lecture.session").read_text()
    result = graphlab("repl", stdin=session)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Tensor(-12., name='f', op=mul)" in result.stdout
    assert "step 2 of 5: q = add(x, y): upstream -4 × local (1, 1) = downstream (-4, -4)" in result.stdout
    assert "(array(-4., dtype=float32), array(-4., dtype=float32), array(3., dtype=float32))" in result.stdout


def test_an_error_in_the_middle_runs_the_rest_and_exits_non_zero():
    result = graphlab("repl", stdin="x = gl.scalar(2.0)\nx.no_such_thing\ny = x * x\n:backward y\nx.grad\n")
    assert result.returncode == 1
    assert "AttributeError" in result.stdout and "array(4., dtype=float32)" in result.stdout


def test_repl_can_preload_a_lesson():
    result = graphlab("repl", "--lesson", "vector", stdin=":backward\nW.grad\n")
    assert result.returncode == 0 and "0.088" in result.stdout


def test_bench_lists_and_rejects_unknown_names():
    listing = graphlab("bench")
    assert listing.returncode == 0 and "scalar_graph" in listing.stdout
    unknown = graphlab("bench", "no_such_bench")
    assert unknown.returncode == 2 and "no benchmark no_such_bench; choose from" in unknown.stderr


def test_render_an_expression_with_its_gradients(tmp_path):
    result = graphlab("render", "(x + y) * z", "--set", "x=-2,y=5,z=-4", "--backward", "-o", "flow.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "flow.svg").read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "-12" in svg and "-4" in svg


def test_render_a_script_and_a_matrix_expression(tmp_path):
    script = tmp_path / "neuron.py"
    script.write_text("w = gl.scalar(2.0)\nx = gl.scalar(-1.0)\nf = (w * x).sigmoid()\n")
    result = graphlab("render", str(script), "--backward", "-o", "neuron.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0.1192" in (tmp_path / "neuron.svg").read_text()          # sigmoid(-2)
    matrix = graphlab("render", "(W @ v).sum()", "--set", "W=[[0.1,0.5],[-0.3,0.8]],v=[0.2,0.4]",
                      "-o", "mv.svg", cwd=tmp_path)
    assert matrix.returncode == 0 and (tmp_path / "mv.svg").stat().st_size > 0


@pytest.mark.parametrize("arguments, message", [
    (["(x + y"], "is not an expression"),
    (["(x + y) * z", "--set", "x=1"], "give y, z a value, e.g. --set y=1,z=1"),
    (["x * 2", "--set", "x=abc"], "is not a number"),
])
def test_render_explains_bad_input(arguments, message, tmp_path):
    result = graphlab("render", *arguments, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr


# -- issue 13: flags checked at parse time, one line naming the flag, exit 2, no traceback ---------
def run_main(argv, capsys):
    """graphlab.cli.main in-process: (exit status, stdout, stderr)."""
    from graphlab.cli import main
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, flag", [
    (["verify", "relu", "--shapes", "0"], "--shapes"),
    (["verify", "relu", "--shapes", "a,b"], "--shapes"),
    (["verify", "relu", "--shapes", "-1"], "--shapes"),
    (["verify", "relu", "--shapes", "100000,100000"], "--shapes"),
    (["verify", "matmul", "--shapes", "2,3", "4,5"], "--shapes"),
    (["verify", "relu", "--shapes", "2", "3"], "--shapes"),
    (["verify", "relu", "--seed", "-1"], "--seed"),
    (["verify", "relu", "--seed", "1.5"], "--seed"),
    (["verify", "relu", "--seed", str(2 ** 64)], "--seed"),
    (["repl", "--lesson", "nosuch"], "--lesson"),
    (["render", "3"], "constant"),
    (["render", "x", "--set", "x=1", "-o", "graph.xyz"], "--output"),
    (["render", "x", "--set", "x=1", "--focus", "nosuchnode"], "--focus"),
])
def test_bad_flags_are_one_line_naming_the_flag(argv, flag, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(argv, capsys)
    assert code == 2 and flag in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_render_of_a_missing_or_binary_script_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["render", "nosuchfile.py"], capsys)
    assert code == 2 and "no such script nosuchfile.py" in err and "give nosuchfile a value" not in err
    (tmp_path / "bin.py").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    code, _, err = run_main(["render", "bin.py"], capsys)
    assert code == 2 and "bin.py is not UTF-8 text" in err and "UnicodeDecodeError" not in err
    (tmp_path / "empty.py").write_text("x = 1\n")
    code, _, err = run_main(["render", "empty.py"], capsys)
    assert code == 2 and "built no graph" in err and ":lesson" not in err


def test_render_refuses_code_and_help_says_scripts_are_python(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["render", "__import__('os').system('touch PWNED')"], capsys)
    assert code == 2 and "not allowed" in err and not (tmp_path / "PWNED").exists()
    help_text = " ".join(graphlab("render", "--help").stdout.split())    # argparse wraps where it likes
    assert "full Python" in help_text and "never runs other code" in help_text


def test_render_knows_graphlab_math_functions(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["render", "exp(x) * tanh(y) + log(z)", "--set", "x=0,y=1,z=2", "--backward",
                               "--focus", "x", "-o", "g.dot"], capsys)
    assert code == 0, err
    assert "exp" in (tmp_path / "g.dot").read_text()
