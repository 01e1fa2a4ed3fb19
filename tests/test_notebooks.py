"""The course notebooks: stored clean, paired with their scripts, executed end to end.

Each notebook runs headless (nbclient, this interpreter's ipykernel) with the solutions of
``notebooks/solutions/NAME.py`` substituted: no cell may raise and every check must print
``correct``. In the same kernel, every exercise is then re-run *as shipped* with its checks,
which must print ``not yet correct`` with a diagnosis. Wall times are printed (``pytest -s``)
and recorded as the test's ``seconds`` property; they are not asserted.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from notebook_runner import cells_of, load_solutions, with_solutions

from comparisons.core.compare import compare
from comparisons.labs.checks import (
    HINT_LEVELS,
    STATUS,
    ValueCheck,
    check,
    check_value,
    outcome,
    set_hint,
    steps,
)
from comparisons.labs.hints import gradient_shapes, with_hint
from comparisons.verification.diagnose import CODES

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = [
    "01_forward_backward",
    "02_computational_graph",
    "03_overfitting_and_weight_decay",
    "04_dropout",
    "05_house_prices",
    "06_numerical_stability",
    "07_batch_normalization",
]
DIAGNOSES = tuple(code for code in CODES if code != "ok") + ("exception",)


def read(name: str):
    return nbformat.read(ROOT / f"{name}.ipynb", as_version=4)


def test_the_listed_notebooks_are_the_ones_on_disk() -> None:
    assert sorted(p.stem for p in ROOT.glob("*.ipynb")) == NOTEBOOKS
    assert sorted(p.stem for p in (ROOT / "solutions").glob("*.py")) == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_without_outputs(name: str) -> None:
    nb = read(name)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{name}: cells {dirty} keep outputs or execution counts"


def _cells(nb) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ())),
             c.metadata.get("exercise")) for c in nb.cells]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_paired_script_in_sync(name: str) -> None:
    """The jupytext percent script and the notebook hold the same cells (run
    ``jupytext --sync notebooks/NAME.py`` after editing either)."""
    ipynb = jupytext.read(ROOT / f"{name}.ipynb")
    script = jupytext.read(ROOT / f"{name}.py")
    assert _cells(script) == _cells(ipynb)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_exercise_has_a_check_below_it_and_a_solution(name: str) -> None:
    nb = read(name)
    exercises = cells_of(nb, "exercise")
    assert exercises, f"{name}: no exercise cell"
    assert len({ex for _, ex in exercises}) == len(exercises), "exercise ids must be unique"
    checks = cells_of(nb, "check")
    for index, ex in exercises:
        assert ex, f"{name}: exercise cell {index} has no id"
        assert [i for i, c in checks if c == ex and i > index], f"{name}: {ex} has no check"
    with_solutions(nb, load_solutions(ROOT / "solutions" / f"{name}.py"))  # ids match


def _check_lines(cell) -> list[re.Match[str]]:
    from notebook_runner import output_text

    return list(STATUS.finditer(output_text(cell)))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_solved_and_unsolved_exercises_are_not_yet_correct(
        name: str, tmp_path: Path, record_property) -> None:
    pytest.importorskip("nbclient")
    from notebook_runner import run_notebook

    shipped = read(name)
    solved = with_solutions(shipped, load_solutions(ROOT / "solutions" / f"{name}.py"))
    run = run_notebook(solved, shipped, tmp_path)  # a cell error raises CellExecutionError
    record_property("seconds", round(run.seconds, 1))
    print(f"\n{name}: executed in {run.seconds:.1f} s (wall)")

    exercises = [ex for _, ex in cells_of(shipped, "exercise")]
    for index, ex in cells_of(shipped, "check"):
        lines = _check_lines(run.nb.cells[index])
        assert lines, f"{name}: check cell {index} ({ex}) printed no status line"
        assert {m["id"] for m in lines} == {ex}, f"{name}: check cell {index} is not {ex}'s"
        for m in lines:
            assert m["status"] == "correct", f"{name}: solved {m['id']}: {m['text']}"
    assert sorted(run.unsolved) == sorted(exercises)
    for ex, lines in run.unsolved.items():
        assert lines, f"{name}: shipped {ex} printed no status line"
        for ident, status, text in lines:
            assert status == "not yet correct", f"{name}: shipped {ident} passed: {text}"
            assert any(code in text for code in DIAGNOSES), f"{name}: no diagnosis in {text!r}"


DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
ANSWER = re.compile(r"^# answer: (?P<text>.+)$", re.MULTILINE)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def solution_expressions(solution: str, shipped: str) -> list[str]:
    """The code a solution adds: each new line's right-hand side (or returned value), comments
    dropped, when it computes something (an operator or a call)."""
    given = {_squash(line.split("#")[0]) for line in shipped.splitlines()}
    found = []
    for line in solution.splitlines():
        code = line.split("#")[0].strip()
        if not code or _squash(code) in given or code.startswith(("def ", "import ", "from ")):
            continue
        expr = code.removeprefix("return ").split("=", 1)[-1].strip()
        if re.search(r"[-+*/@(]", expr):
            found.append(expr)
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_exercise_answer_in_the_visible_markdown(name: str) -> None:
    """Each exercise's answer is derived, not transcribed: the solution's code and each
    ``# answer:`` form of it (as the hints write it) appear nowhere in the lab's markdown
    outside the collapsed ``<details>`` hints; every ``# answer:`` is in a hint."""
    nb = read(name)
    markdown = _markdown(nb)
    visible, hints = _squash(DETAILS.sub("", markdown)), _squash("".join(DETAILS.findall(markdown)))
    shipped = {ex: nb.cells[i].source for i, ex in cells_of(nb, "exercise")}
    for ex, source in load_solutions(ROOT / "solutions" / f"{name}.py").items():
        answers = [m["text"] for m in ANSWER.finditer(source)]
        assert answers, f"{name}: solution {ex} names no '# answer:' (how its hint writes it)"
        for text in answers:
            assert _squash(text) in hints, f"{name}: {ex}'s answer {text!r} is in no hint"
            assert _squash(text) not in visible, f"{name}: {ex}'s answer {text!r} is visible"
        for expr in solution_expressions(source, shipped[ex]):
            assert _squash(expr) not in visible, f"{name}: {ex}'s code {expr!r} is visible"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shipped_labs_check_at_hint_level_none(name: str) -> None:
    code = "\n".join(c.source for c in read(name).cells if c.cell_type == "code")
    assert re.findall(r"set_hint\((.*?)\)", code) == ['"none"']
    assert "hint=" not in code


# ------------------------------------------------------------------ the plumbing itself


def test_solutions_file_blocks_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text("# header\n\n# %% solution a\nx = 1\n\n# %% solution b-2\ny = 2\n")
    assert load_solutions(path) == {"a": "x = 1\n", "b-2": "y = 2\n"}
    path.write_text("# %% solution a\nx = 1\n# %% solution a\nx = 2\n")
    with pytest.raises(ValueError, match="duplicates"):
        load_solutions(path)


def test_with_solutions_replaces_only_exercises_and_rejects_other_ids() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("stub", metadata={"tags": ["exercise"],
                                                             "exercise": "e"}),
                nbformat.v4.new_code_cell("check(x, 'e')")]
    solved = with_solutions(nb, {"e": "solution\n"})
    assert [c.source for c in solved.cells] == ["solution", "check(x, 'e')"]
    assert nb.cells[0].source == "stub"
    with pytest.raises(ValueError, match="exercise ids"):
        with_solutions(nb, {"e": "s", "f": "t"})


def test_check_prints_one_status_line_per_result(capsys) -> None:
    a = np.arange(6.0).reshape(2, 3)
    check(compare(a, a, name="t", tensor="a", against="autograd"), "same")
    check(compare(2 * a, a, name="t", tensor="a", against="autograd"), "double")
    lines = [m.groups() for m in STATUS.finditer(capsys.readouterr().out)]
    assert [(i, s) for i, s, _ in lines] == [("same", "correct"), ("double", "not yet correct")]


def test_check_value_diagnoses_and_survives_exceptions() -> None:
    expected = np.arange(1.0, 7.0).reshape(2, 3)
    assert check_value(lambda: expected.copy(), (), expected, name="w").passed
    zero = check_value(lambda: np.zeros((2, 3)), (), expected, name="w")
    assert (zero.passed, zero.diagnosis) == (False, "zero")
    scaled = check_value(lambda: 2 * expected, (), expected, name="w")
    assert scaled.diagnosis == "scaled"

    def stub() -> None:
        raise NotImplementedError("write me")

    raised = check_value(stub, (), expected, name="w")
    assert isinstance(raised, ValueCheck) and raised.diagnosis == "error"
    assert outcome(raised) == (False, "your code raised an exception: NotImplementedError: "
                                      "write me")
    assert check_value(lambda: None, (), expected, name="w").diagnosis == "wrong_shape"


def test_outcome_of_a_verify_report_names_the_diagnosis_or_the_exception() -> None:
    import comparisons
    import handmade as hm

    def zeros(dout, cache):
        return np.zeros_like(hm.relu_backward(dout, cache))

    def raises(dout, cache):
        raise NotImplementedError("write me")

    ok = outcome(comparisons.verify(hm.relu_forward, hm.relu_backward, against="relu"))
    zero = outcome(comparisons.verify(hm.relu_forward, zeros, against="relu"))
    error = outcome(comparisons.verify(hm.relu_forward, raises, against="relu"))
    assert ok[0] and not zero[0] and not error[0]
    assert "dx zero" in zero[1]
    assert "NotImplementedError: write me" in error[1]


# ------------------------------------------------------------------ hint levels and steps


def _zero_linear():
    def forward(x, W, b):
        return x @ W.T + b, (x, W)

    def backward(dout, cache):
        x, W = cache
        return np.zeros_like(x), np.zeros_like(W), np.zeros(W.shape[0])

    return forward, backward


@pytest.mark.parametrize("op", ["linear", "two_layer", "l2_penalty", "log_rmse"])
def test_hint_none_hides_every_equation_and_formula_keeps_them(op: str) -> None:
    import comparisons
    from comparisons.core.builtin_ops import DECLARATIONS

    decl = DECLARATIONS[op]

    def zeros(dout, cache):
        got = decl.backward(dout, cache)
        if isinstance(got, dict):
            return {k: np.zeros_like(v) for k, v in got.items()}
        if isinstance(got, tuple):
            return tuple(None if g is None else np.zeros_like(g) for g in got)
        return np.zeros_like(got)

    report = comparisons.verify(decl.forward, zeros, against=op)
    def text(r) -> str:  # every message and note, unwrapped
        return "\n".join([g.message for g in r.gradients] + [n for g in r.gradients
                                                             for n in g.notes])

    shown = {level: text(with_hint(report, level)) for level in HINT_LEVELS}
    rhs = [eq.rsplit(" (", 1)[0] for eq in decl.equations.values()]  # "dW = doutᵀ x"
    assert all(r in text(report) for r in rhs)                 # verify quotes them
    assert all(r in shown["formula"] for r in rhs)
    for level in ("none", "shape"):
        assert not [r for r in rhs if r in shown[level]], f"{op}: {level} shows an equation"
        hidden = with_hint(report, level)
        assert [(g.name, g.passed, g.diagnosis) for g in hidden.gradients] == \
            [(g.name, g.passed, g.diagnosis) for g in report.gradients]
        assert hidden.verdict() == report.verdict()
    for name, shape in gradient_shapes(op).items():
        assert f"{name} has {shape}" in shown["shape"]


def test_check_defaults_to_hint_none_and_passes_correct_code_at_every_level(capsys) -> None:
    import comparisons
    import handmade as hm

    forward, backward = _zero_linear()
    check(comparisons.verify(forward, backward, against="linear"), "lin")
    assert "doutᵀ x" not in capsys.readouterr().out
    for level in HINT_LEVELS:
        check(comparisons.verify(hm.linear_forward, hm.linear_backward, against="linear"),
              "ok", hint=level)
        out = capsys.readouterr().out
        assert [m["status"] for m in STATUS.finditer(out)] == ["correct"], level
    with pytest.raises(ValueError, match="hint: expected one of"):
        check(comparisons.verify(forward, backward, against="linear"), "lin", hint="all")
    with pytest.raises(ValueError, match="hint: expected one of"):
        set_hint("some")


def test_steps_judge_the_shape_first_and_upto_judges_the_steps_written(capsys) -> None:
    import comparisons
    import handmade as hm

    def dh_summed(dJ, cache):  # step 3 summed over the batch: its shape is wrong
        g = dict(hm.two_layer_backward(dJ, cache))
        return {**g, "dh": g["dh"].sum(axis=0), "dz": 2 * g["dz"]}

    report = comparisons.verify(hm.two_layer_forward, dh_summed, against="two_layer")
    judged = {st.name: (st.shape_ok, st.values_ok) for st in steps(report)}
    assert judged == {"do": (True, True), "dW2": (True, True), "dh": (False, False),
                      "dz": (True, False), "dW1": (True, True)}
    check(report, "two_layer", steps=True)
    out = capsys.readouterr().out
    assert "not yet correct: step 3 (dh) has the wrong shape" in out
    assert "step 4 dz: shape ok, values wrong (scaled)" in out
    check(report, "two_layer", upto="dW2")
    line = next(STATUS.finditer(capsys.readouterr().out))
    assert (line["status"], line["text"]) == ("correct", "steps do, dW2 are right (dh, dz, "
                                                         "dW1 not checked yet)")
    with pytest.raises(ValueError, match="upto: expected one of the steps"):
        check(report, "two_layer", upto="dW3")


def test_hide_takes_out_every_written_form_of_an_answer() -> None:
    from comparisons.labs.hints import hide

    note = ("dW1 is judged against the reference recomputed from your valid choice at the kink "
            "(dW1 = dzᵀ X + lam W1); write dW1 = dz.T @ X + dJ * lam * W1")
    for level in ("none", "shape"):
        text = hide(note, "dW1", "two_layer", level)
        assert "dzᵀ X" not in text and "dz.T @ X" not in text
    assert hide(note, "dW1", "two_layer", "formula") == note
    assert "dW1 has the shape of W1: (h, d)" in hide(
        "dW1 is all zeros. Expected dJ/dW1 = dzᵀ X + lam W1 (with dJ = 1).", "dW1", "two_layer",
        "shape")
