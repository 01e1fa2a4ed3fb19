"""``verify`` and ``graph --verify`` on a Jupyter notebook: code cells in order, IPython lines
skipped with a note, ``--cell TAG``, ``--data-dir``, ``--forward/--backward`` names, and the
one-line errors (not a notebook, no code cells, an unknown tag, a missing data file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comparisons.cli.main import main
from comparisons.core.errors import UsageError
from comparisons.verification.loader import verify_file
from comparisons.verification.notebook import read_notebook, strip_magics

IMPORTS = "import numpy as np\nOP = 'linear'\n"
RIGHT = ("def forward(x, W, b):\n    return x @ W.T + b, (x, W)\n\n"
         "def backward(dout, cache):\n    x, W = cache\n"
         "    return dout @ W, dout.T @ x, dout.sum(axis=0)\n")
WRONG = RIGHT.replace("dout.T @ x", "x.T @ dout")  # dW transposed


def _cell(source: str, kind: str = "code", tags: tuple[str, ...] = ()) -> dict:
    return {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": source.splitlines(True),
            **({"outputs": [], "execution_count": None} if kind == "code" else {})}


def _notebook(tmp_path: Path, *cells: dict, name: str = "lab.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def test_a_notebook_runs_in_order_and_magics_are_skipped_with_a_note(tmp_path: Path) -> None:
    nb = _notebook(tmp_path, _cell("# Lab\nDerive the backward.", "markdown"),
                   _cell("%matplotlib inline\n!pip install numpy\n" + IMPORTS),
                   _cell("%%time\nraise RuntimeError('a cell magic cell must not run')"),
                   _cell(RIGHT))
    report = verify_file(nb)
    assert report.passed, str(report)
    assert report.input_notes == [
        "cell 2: skipped '%matplotlib inline' (IPython, not Python)",
        "cell 2: skipped '!pip install numpy' (IPython, not Python)",
        "cell 3: skipped (cell magic %%time)"]
    assert "input: cell 2: skipped '%matplotlib inline'" in str(report)
    assert report.to_json()["input_notes"] == report.input_notes


def test_a_magic_inside_a_block_keeps_the_block_valid() -> None:
    source, notes = strip_magics("if True:\n    %timeit f()\n    files = !ls\ny = 1\n", 4)
    assert source == "if True:\n    pass\n    pass\ny = 1\n" and len(notes) == 2
    compile(source, "cell", "exec")


def test_cell_picks_the_exercise_and_later_cells_do_not_run(tmp_path: Path) -> None:
    nb = _notebook(tmp_path, _cell(IMPORTS), _cell(WRONG, tags=("exercise-1",)),
                   _cell(RIGHT, tags=("solution",)))
    assert verify_file(nb).passed  # all cells: the last definition (right) is checked
    first = verify_file(nb, cell="exercise-1")
    assert not first.passed and first.gradient("dW").diagnosis == "transposed"
    assert first.input_notes[-1] == ("--cell exercise-1: ran cells up to cell 2; 1 later code "
                                     "cell(s) not run")
    with pytest.raises(UsageError, match=r"^--cell: expected a tag or cell id of lab.ipynb, got "
                                         r"'nope' \(tags in the notebook: exercise-1, solution\)$"):
        verify_file(nb, cell="nope")


def test_a_traceback_points_into_the_cell(tmp_path: Path) -> None:
    nb = _notebook(tmp_path, _cell(IMPORTS), _cell(RIGHT.replace("return dout @ W,",
                                                                 "raise ValueError('oops')\n"
                                                                 "    return dout @ W,")))
    report = verify_file(nb)
    assert not report.passed and f'File "{nb.resolve()} [cell 2]", line 6, in backward' in \
        report.error and "raise ValueError('oops')" in report.error


def test_a_data_file_read_at_import_is_found_in_the_data_dir_or_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "names.txt").write_text("emma\nolivia\n")
    nb = _notebook(tmp_path, _cell("words = open('names.txt').read().split()\n" + IMPORTS),
                   _cell(RIGHT))
    with pytest.raises(UsageError, match=r"lab.ipynb: reads 'names.txt' while it is imported, "
                                         r"and there is no such file in .*: put it there or "
                                         r"pass --data-dir DIR$"):
        verify_file(nb)
    assert verify_file(nb, data_dir=tmp_path / "data").passed
    (tmp_path / "names.txt").write_text("ava\n")  # beside the notebook: found there, as Jupyter
    assert verify_file(nb).passed


def test_function_names_are_options(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(IMPORTS + RIGHT.replace("def forward", "def linear_fwd")
                    .replace("def backward", "def linear_bwd"))
    assert verify_file(path, names=("linear_fwd", "linear_bwd")).passed
    with pytest.raises(UsageError, match=r"mine.py: no linear_bwd2 function defined \(expected "
                                         r"linear_fwd\(...\) -> \(out, cache\) and "
                                         r"linear_bwd2\(dout, cache\)\)"):
        verify_file(path, names=("linear_fwd", "linear_bwd2"))


@pytest.mark.parametrize("text, needle", [
    ("not json", "lab.ipynb: not a Jupyter notebook (invalid JSON on line 1"),
    ('{"cells": 3}', "lab.ipynb: not a Jupyter notebook (expected a JSON object with a \"cells\""),
    (json.dumps({"cells": [_cell("# only text", "markdown"), _cell("%ls\n")]}),
     "lab.ipynb: expected a notebook with code cells, got none to run"),
])
def test_bad_notebooks_are_one_line_and_exit_2(tmp_path: Path, capsys, text: str,
                                                needle: str) -> None:
    (tmp_path / "lab.ipynb").write_text(text)
    assert main(["verify", str(tmp_path / "lab.ipynb")]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err


def test_the_cli_takes_a_notebook_its_cell_and_data_dir(tmp_path: Path, capsys) -> None:
    nb = _notebook(tmp_path, _cell(IMPORTS), _cell(WRONG, tags=("ex",)), _cell(RIGHT))
    assert main(["verify", str(nb)]) == 0
    assert main(["verify", str(nb), "--cell", "ex"]) == 1
    capsys.readouterr()
    assert main(["verify", str(nb), "--cell", "ex", "--data-dir", str(tmp_path / "no")]) == 2
    assert "--data-dir: expected an existing folder" in capsys.readouterr().err
    (tmp_path / "mine.py").write_text(IMPORTS + RIGHT)
    assert main(["verify", str(tmp_path / "mine.py"), "--cell", "ex"]) == 2
    assert "--cell: only for a notebook (.ipynb)" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "mine.py"), "--forward", "fwd"]) == 2
    assert "no fwd function defined" in capsys.readouterr().err


def test_read_notebook_counts_every_cell_as_jupyter_shows_them(tmp_path: Path) -> None:
    nb = _notebook(tmp_path, _cell("text", "markdown"), _cell(""), _cell(IMPORTS))
    (cell,) = read_notebook(nb).cells
    assert cell.number == 3


def test_graph_verify_takes_a_notebook(tmp_path: Path) -> None:
    source = (Path(__file__).parent / "verify_correct" / "two_layer_book_nodes.py").read_text()
    nb = _notebook(tmp_path, _cell("%matplotlib inline\n" + source))
    assert main(["graph", "--out", str(tmp_path / "g"), "--verify", str(nb)]) == 0
    graph = json.loads((tmp_path / "g" / "graph.json").read_text())
    assert graph["verify"]["report"]["passed"] is True
    assert graph["verify"]["report"]["input_notes"] == [
        "cell 1: skipped '%matplotlib inline' (IPython, not Python)"]


@pytest.mark.parametrize("isolated", [False, True])
def test_a_null_byte_is_one_line_in_both_paths(tmp_path: Path, capsys, isolated: bool) -> None:
    bad = tmp_path / "nul.py"
    bad.write_bytes(b"OP = 'linear'\nx = 1\x00\n")
    argv = ["verify", str(bad)] + ([] if isolated else ["--in-process"])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("nul.py: syntax error: source code string cannot contain null bytes")
