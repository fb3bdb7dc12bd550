"""The lesson notebooks: notebooks/ is what the lesson scripts generate (sync), and every one runs in a real
Jupyter kernel in quick mode (GRAPHLAB_QUICK=1) with nbclient, with its diagrams and plots as inline outputs.
The generator's own rules are tested in test_notebook_generator.py."""
import html
import importlib.util
import re
from pathlib import Path

import pytest

from graphlab import lessons, notebooks

ROOT = Path(__file__).resolve().parents[2]
EVERY = lessons.available()
FOLDER = ROOT / "notebooks"

needs_nbformat = pytest.mark.skipif(importlib.util.find_spec("nbformat") is None,
                                    reason="the notebook extra (nbformat) is not installed")
MISSING_FOR_KERNEL = [name for name in ("nbformat", "nbclient", "ipykernel") if importlib.util.find_spec(name) is None]
needs_kernel = pytest.mark.skipif(bool(MISSING_FOR_KERNEL),
                                  reason=f"running notebooks needs {', '.join(MISSING_FOR_KERNEL)} "
                                         f"(pip install 'graphlab[notebook]')")


@needs_nbformat
@pytest.mark.parametrize("lesson", EVERY, ids=lambda lesson: lesson.name)
def test_the_committed_notebook_is_what_the_script_generates(lesson):
    path = FOLDER / notebooks.file_name(lesson)
    assert path.is_file(), f"notebooks/{path.name} is missing: run .venv/bin/python docs/make_notebooks.py"
    assert path.read_text(encoding="utf-8") == notebooks.notebook_text(lesson), (
        f"notebooks/{path.name} is out of date with lessons/{lesson.path.name}: run "
        f".venv/bin/python docs/make_notebooks.py")


def test_notebooks_holds_one_notebook_per_lesson_and_nothing_else():
    assert sorted(path.name for path in FOLDER.iterdir() if path.name != ".gitignore") == \
        sorted(notebooks.file_name(lesson) for lesson in EVERY)


@needs_nbformat
def test_committed_notebooks_have_no_outputs():
    import nbformat
    for path in sorted(FOLDER.glob("*.ipynb")):
        book = nbformat.read(path, as_version=4)
        code = [cell for cell in book.cells if cell.cell_type == "code"]
        assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code), path.name


#: notebooks run two at a time (one per core), each kernel with one BLAS thread: two kernels with two
#: OpenBLAS threads each would spin against each other on a 2-core machine
CONCURRENT_KERNELS = 2
KERNEL_ENVIRONMENT = {lessons.QUICK_VARIABLE: "1", "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
                      "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


async def _run_all(every, folders: dict) -> dict:
    """Every lesson's notebook executed in a fresh kernel whose working folder is ``folders[name]`` (the
    pictures go to folder/out/lessons/NN_topic): name -> the executed notebook, or the error it raised."""
    import asyncio
    import nbformat
    from nbclient import NotebookClient
    slots = asyncio.Semaphore(CONCURRENT_KERNELS)

    async def run(lesson):
        async with slots:
            book = nbformat.reads(notebooks.notebook_text(lesson), as_version=4)
            client = NotebookClient(book, timeout=1800, startup_timeout=300, kernel_name="python3",
                                    resources={"metadata": {"path": str(folders[lesson.name])}})
            try:
                await client.async_execute()
            except Exception as error:          # reported by that lesson's own test
                return error
            return book

    results = await asyncio.gather(*(run(lesson) for lesson in every))
    return {lesson.name: result for lesson, result in zip(every, results)}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """(name -> executed notebook or error, name -> its working folder), for every lesson at once."""
    import asyncio
    folders = {lesson.name: tmp_path_factory.mktemp(lesson.name) for lesson in EVERY}
    with pytest.MonkeyPatch.context() as patch:           # the kernels inherit this environment
        for variable, value in KERNEL_ENVIRONMENT.items():
            patch.setenv(variable, value)
        results = asyncio.run(_run_all(EVERY, folders))
    return results, folders


def _run(executed, lesson) -> tuple:
    """The lesson's executed notebook and its working folder; nbclient's error if a cell failed."""
    results, folders = executed
    result = results[lesson.name]
    if isinstance(result, Exception):
        raise result
    return result, folders[lesson.name]


def _outputs(book) -> list:
    return [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]


def _text(book) -> str:
    return "".join(output.get("text", "") for output in _outputs(book) if output.output_type == "stream")


@needs_kernel
@pytest.mark.parametrize("lesson", EVERY, ids=lambda lesson: lesson.name)
def test_every_notebook_runs_quick_in_a_kernel_and_shows_its_pictures_inline(lesson, executed):
    book, tmp_path = _run(executed, lesson)                       # nbclient raises on any cell's error
    options = next(output for output in _outputs(book) if output.output_type == "execute_result")
    assert "quick=True" in options.data["text/plain"]
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)   # every cell ran, in order
    text = _text(book)
    headings = [cell.source for cell in book.cells if cell.cell_type == "markdown" and cell.source.startswith("## ")]
    assert re.search(r"\bE\d\d\b", " ".join(headings) + text)  # it says which catalogue entries it shows
    written = [Path(line.split("wrote ", 1)[1]) for line in text.splitlines() if line.startswith("  wrote ")]
    assert written and all((tmp_path / path).is_file() for path in written)
    assert all(path.parent == Path("out", "lessons", lesson.name) for path in written)
    shown = [kind for output in _outputs(book) if output.output_type == "display_data"
             for kind in output.data if kind.startswith("image/")]
    pictures = [path.suffix for path in written if path.suffix in (".svg", ".png")]
    # every picture the lesson writes shows inline, each once, as what it is
    assert sorted(shown) == sorted("image/svg+xml" if suffix == ".svg" else "image/png" for suffix in pictures)


@needs_kernel
def test_lesson_1_notebook_prints_the_lecture_numbers_and_draws_the_graph(executed):
    book, _ = _run(executed, lessons.resolve_lesson(1))
    text = _text(book)
    assert "forward:  q = x + y = -2 + 5 = 3,  f = q z = 3 × -4 = -12" in text
    assert "f = mul(q, z): upstream 1 × local (-4, 3) = downstream (-4, 3)" in text
    cell = next(cell for cell in book.cells if cell.get("id") == "pictures-code")
    svgs = [output.data["image/svg+xml"] for output in cell.outputs if "image/svg+xml" in output.get("data", {})]
    assert len(svgs) == 2 and all(svg.lstrip().startswith("<svg") for svg in svgs)
    assert "-12" in html.unescape(svgs[0]) and "-4" in html.unescape(svgs[0])                   # f's value and x's gradient on the backward diagram
