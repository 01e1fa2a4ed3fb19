"""Every exercise of every shipped lab is a rubric item: the checks that are not a plain
``comparisons.verify`` (``check_value``, a ``reference=`` of the lab's own, lab 7's
``bn.step_check`` and ``modes.*``) run in the grader on the student's functions, proxied from
the sandbox (comparisons/grading/lab_checks.py).

One grading run (module fixture) of a few students' copies of the labs: the solutions (the
whole notebook, as a student would hand it in), the exercises as shipped, planted bugs, copies
whose check cells forge a pass or crash, and hostile exercise cells. Copies other than the
solved ones are slim (the lab's experiment cells emptied and only the imports the exercises
use: the grader does not need the rest, which costs seconds per copy in the child). The
planted bugs' verdicts are also compared with the same checks run on the same code in this
process, without the sandbox.
"""

from __future__ import annotations

import csv
import functools
import json
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from notebook_runner import load_solutions

from comparisons.cli.main import main
from comparisons.core.errors import UsageError
from comparisons.grading import lab_checks
from comparisons.grading.lab_checks import run_plan, section_of
from comparisons.grading.lab_plan import exercise_plans, statements
from comparisons.grading.lab_wire import HELPERS, Sender, Unsendable
from comparisons.grading.labs import grade_lab, lab_exercises
from comparisons.grading.rubric import parse_item
from comparisons.grading.scoring import section_code
from comparisons.verification.isolation import Limits, Spares, verify_isolated

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(p.stem for p in (ROOT / "notebooks").glob("0*.ipynb"))
NEW = {lab: [i for i, e in lab_exercises(lab)[0].items() if e.plan is not None] for lab in LABS}
NEW = {lab: ids for lab, ids in NEW.items() if ids}

BUGS: dict[str, tuple[str, str, str, str]] = {  # exercise: lab, solution text, bug, diagnosis
    "hidden_bias": ("01_forward_backward", "dz = dh * (z > 0)", "dz = dh", "unknown"),
    "grad_shape": ("01_forward_backward", "return (n, m)", "return (m, n)", "unknown"),
    "silu": ("02_computational_graph", "dout * s + dout * x * s * (1 - s)", "dout * s",
             "unknown"),
    "second_derivative": ("02_computational_graph", "return g2", "return g.detach()",
                          "unknown"),
    "sgd_weight_decay": ("03_overfitting_and_weight_decay", "w - lr * (grad + lam * w)",
                         "w - lr * grad", "missing_l2_term"),
    "train_statistics": ("05_house_prices", "ddof=1", "ddof=0", "unknown"),
    "bool_dummies": ("05_house_prices", ".to_numpy(dtype=np.float64)", ".to_numpy()", "error"),
    "folds": ("05_house_prices", "np.arange(k * size), valid", "np.arange(n), valid",
              "wrong_shape"),
    "xavier": ("06_numerical_stability", "np.sqrt(6 /", "np.sqrt(3 /", "scaled"),
    "he_init": ("06_numerical_stability", "np.sqrt(2 / fan_in)", "np.sqrt(1 / fan_in)",
                "scaled"),
    "node_y": ("07_batch_normalization", '(dy * c["xhat"]).sum(axis=0)', 'dy * c["xhat"]',
               "not_summed_over_batch"),
    "node_sigma": ("07_batch_normalization", 'dstd / (2 * c["std"])', 'dstd / c["std"]',
                   "scaled"),
    "running": ("07_batch_normalization", "x.var(axis=0, ddof=1)", "x.var(axis=0)",
                "variance_convention"),
    "eval_backward": ("07_batch_normalization", 'dy * c["gamma"] / np', "dy / np",
                      "missing_gamma"),
    "unbiased": ("07_batch_normalization", "/ (n - 1)) / std", "/ n) / std", "unknown"),
}
STUBS = {"bool_dummies": "error", "folds": "wrong_shape"}  # the shipped stubs: else "zero"
ALTERNATES = {  # correct answers written other ways: they pass in the sandbox too
    "grad_shape": "def grad_shape(n, m):\n    return [n, m]\n",
    "sgd_weight_decay": "def sgd_step(w, grad, lr, lam):\n    w *= 1 - lr * lam\n"
                        "    w -= lr * grad\n    return w\n",
    "train_statistics": "def standardise(train, valid):\n    mu = np.nanmean(train, axis=0)\n"
                        "    sd = pd.DataFrame(train).std().to_numpy()\n"
                        "    out = [np.where(np.isnan(a), 0.0, (a - mu) / sd)"
                        " for a in (train, valid)]\n    return out[0], out[1]\n",
    "bool_dummies": "def design_matrix(numeric, categorical):\n    return np.hstack([numeric."
                    "to_numpy(float), pd.get_dummies(categorical, dummy_na=True)"
                    ".astype(float).to_numpy()])\n",
    "folds": "def fold_indices(n, k, i):\n    size = n // k\n    valid = list(range(i * size,"
             " (i + 1) * size))\n    return [j for j in range(k * size) if j not in valid], "
             "valid\n",
    "xavier": "def xavier_uniform(shape, rng):\n    a = (6.0 / sum(shape)) ** 0.5\n"
              "    return rng.uniform(low=-a, high=a, size=shape)\n",
    "he_init": "def he_normal(shape, rng):\n    return np.sqrt(2.0 / shape[1]) * "
               "rng.standard_normal(shape)\n",
    "running": "def update_running_stats(running_mean, running_var, x, momentum):\n"
               "    n = x.shape[0]\n    return (running_mean + momentum * (x.mean(0) - "
               "running_mean), (1 - momentum) * running_var + momentum * np.var(x, 0) * n / "
               "(n - 1))\n",
}
MU_BUG = ("dx = dxc + dmu / c[\"N\"]", "dx = dxc")  # alone: node_mu's check uses every node
PATCH = ('import comparisons.labs.checks as lab_checks\n'
         'lab_checks.check_value = lambda *a, **k: lab_checks.ValueCheck("x", True, "ok", "ok")\n'
         'print("[check {ident}] correct: all gradients are right")\n')
FORGED = PATCH + 'check(True, "{ident}")\n'  # check cells: a forged pass
IMPORTS = {"02_computational_graph": "import numpy as np\nimport torch\n",
           "05_house_prices": "import numpy as np\nimport pandas as pd\n"}
HOSTILE = {  # exercise: what is added to its solved cell, and the reason's words
    "grad_shape": ("\nimport sys\nsys.exit(0)\n", "sys.exit"),
    "sgd_weight_decay": ("\nimport os\ndef sgd_step(*args):\n    os._exit(3)\n", "exit code 3"),
    "he_init": ("\ndef he_normal(shape, rng):\n    while True:\n        pass\n", "time limit"),
}
LIMITS = Limits(call_timeout=4.0, total_timeout=120.0, import_timeout=60.0)


def copy_of(lab: str, *, solved: bool, bugs: dict[str, tuple[str, str]] | None = None,
            add: dict[str, str] | None = None, checks: str | None = None,
            slim: bool = True) -> dict[str, Any]:
    """The shipped lab with its exercises solved (or as shipped), ``bugs`` planted (exercise:
    (old, new)), ``add`` appended to exercise cells, every check cell replaced by ``checks``
    and, when ``slim``, every other cell emptied but the first, which imports what the
    exercises use (IMPORTS, else NumPy)."""
    nb = json.loads((ROOT / "notebooks" / f"{lab}.ipynb").read_text())
    solutions = load_solutions(ROOT / "notebooks" / "solutions" / f"{lab}.py")
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {})
        ident, tags = meta.get("exercise"), meta.get("tags", [])
        if "exercise" in tags:
            text = solutions[ident] if solved else "".join(cell["source"])
            old, new = (bugs or {}).get(ident, ("", ""))
            assert old in text, (ident, old)
            cell["source"] = text.replace(old, new, 1) + "\n" + (add or {}).get(ident, "")
        elif "check" in tags and checks is not None:
            cell["source"] = checks.format(ident=ident)
        elif cell["cell_type"] == "code" and slim and "check" not in tags:
            cell["source"] = IMPORTS.get(lab, "import numpy as np\n") if i == first else ""
    return nb


def solutions(lab: str) -> dict[str, str]:
    return load_solutions(ROOT / "notebooks" / "solutions" / f"{lab}.py")


def students() -> dict[str, dict[str, dict[str, Any]]]:
    """student -> lab -> notebook."""
    bugs = {lab: {e: (old, new) for e, (lb, old, new, _) in BUGS.items() if lb == lab}
            for lab in NEW}
    hostile = {lab: {e: text for e, (text, _) in HOSTILE.items() if e in NEW[lab]}
               for lab in NEW}
    return {
        "solved": {lab: copy_of(lab, solved=True, slim=False) for lab in NEW},
        "buggy": {lab: copy_of(lab, solved=True, bugs=bugs[lab]) for lab in NEW},
        "buggy_mu": {"07_batch_normalization": copy_of("07_batch_normalization", solved=True,
                                                       bugs={"node_mu": MU_BUG})},
        "alternates": {lab: copy_of(lab, solved=True, bugs={
            e: (solutions(lab)[e], src) for e, src in ALTERNATES.items() if e in NEW[lab]})
            for lab in NEW if set(ALTERNATES) & set(NEW[lab])},
        "forger": {lab: copy_of(lab, solved=False, checks=FORGED,
                                add={e: PATCH.format(ident=e) for e in NEW[lab]})
                   for lab in NEW},
        "hostile": {lab: copy_of(lab, solved=True, add=hostile[lab],
                                 checks="raise SystemExit('{ident}')\n")
                    for lab in NEW if hostile[lab] or lab == "07_batch_normalization"},
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """(student, lab) -> exercise -> its section, every copy graded once."""
    root = tmp_path_factory.mktemp("labs")
    jobs = []
    for student, labs in students().items():
        (root / student).mkdir()
        for lab, nb in labs.items():
            path = root / student / f"{lab}.ipynb"
            path.write_text(json.dumps(nb))
            jobs.append((student, lab, path))
    with Spares(2) as spares, ThreadPoolExecutor(2) as pool:
        verify = functools.partial(verify_isolated, limits=LIMITS, spares=spares)
        runs = {(s, lab): pool.submit(grade_lab, p, lab, tuple(NEW[lab]), verify,
                                      limits=LIMITS, spares=spares)
                for s, lab, p in jobs}
        return {key: {f["function"]: f for f in run.result()["report"]["functions"]}
                for key, run in runs.items()}


def test_every_exercise_of_every_lab_is_gradable() -> None:
    for lab in LABS:
        nb = json.loads((ROOT / "notebooks" / f"{lab}.ipynb").read_text())
        tagged = {c["metadata"]["exercise"] for c in nb["cells"]
                  if "exercise" in c.get("metadata", {}).get("tags", [])}
        found, not_gradable = lab_exercises(lab)
        assert not_gradable == [] and set(found) == tagged, lab
    assert sum(map(len, NEW.values())) >= 15  # the 15 of the issue, node_mu's two checks too
    item = parse_item("item 1", {"lab": "06_numerical_stability",
                                 "points": {"xavier": 1, "he_init": 2, "sigmoid": 1}})
    assert item.points == {"xavier": 1.0, "he_init": 2.0, "sigmoid": 1.0}


def test_no_shipped_cell_reads_what_only_a_check_cell_defines() -> None:
    """What lets the grader empty every check cell of a copy (labs.without_checks)."""
    for lab in LABS:
        defined_by: dict[str, str] = {}
        for st in statements(ROOT / "notebooks" / f"{lab}.ipynb"):
            if st.kind != "check":
                assert not {n for n in st.reads if defined_by.get(n) == "check"}, st.source
            defined_by.update(dict.fromkeys(st.defines, st.kind))


def test_the_solutions_pass(graded) -> None:
    for lab, ids in NEW.items():
        for ident in ids:
            section = graded["solved", lab][ident]
            assert section["passed"] and section["error"] is None, (lab, ident, section)
    for ident in ALTERNATES:  # lists for arrays, in-place updates, keywords, np.where
        lab = next(lb for lb, ids in NEW.items() if ident in ids)
        section = graded["alternates", lab][ident]
        assert section["passed"] and section["error"] is None, (lab, ident, section)


def test_planted_bugs_fail_with_their_diagnosis(graded) -> None:
    for ident, (lab, _, _, code) in BUGS.items():
        section = graded["buggy", lab][ident]
        assert not section["passed"] and section_code(section) == code, (ident, section)
    mu = graded["buggy_mu", "07_batch_normalization"]
    assert not mu["node_mu"]["passed"] and [c["passed"] for c in mu["node_mu"]["checks"]] == [
        False], mu["node_mu"]
    assert all(mu[i]["passed"] for i in NEW["07_batch_normalization"] if i != "node_mu")


def test_edited_check_cells_change_nothing(graded) -> None:
    for lab, ids in NEW.items():
        for ident in ids:  # the stubs as shipped, whatever the copy's check cells say
            forged = graded["forger", lab][ident]
            assert not forged["passed"] and section_code(forged) == STUBS.get(ident, "zero"), (
                lab, ident, forged)
    for lab, sections in graded.items():  # check cells that raise: the other items pass
        if lab[0] == "hostile":
            assert [i for i, s in sections.items() if not s["passed"]] == [
                e for e in HOSTILE if e in sections], lab


def in_process(lab: str, sources: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The lab's new exercises checked by the same plan on ``sources`` run in this process:
    the student's functions plain functions, the helpers' boxes never leaving it."""
    ns: dict[str, Any] = {}
    exec(IMPORTS.get(lab, "import numpy as np\n") + HELPERS, ns)  # noqa: S102
    for source in sources.values():
        exec(source, ns)  # noqa: S102
    module = types.SimpleNamespace(**ns)
    path = ROOT / "notebooks" / f"{lab}.ipynb"
    plans = exercise_plans(path.resolve(), path.stat().st_mtime)
    out = {}
    for ident in NEW[lab]:
        results = [r for e, r in run_plan(lab, plans[ident], module, []) if e == ident]
        out[ident] = section_of(ident, results, None)
    return out


def test_the_sandbox_changes_no_verdict(graded) -> None:
    for lab in NEW:
        solutions = load_solutions(ROOT / "notebooks" / "solutions" / f"{lab}.py")
        for ident, (lb, old, new, _) in BUGS.items():
            if lb == lab:
                solutions[ident] = solutions[ident].replace(old, new, 1)
        here = in_process(lab, solutions)
        for ident in NEW[lab]:
            there = graded["buggy", lab][ident]
            assert (here[ident]["passed"], section_code(here[ident])) == (
                there["passed"], section_code(there)), (lab, ident)
            assert [c["message"] for c in here[ident]["checks"]] == [
                c["message"] for c in there["checks"]], (lab, ident)


def test_a_hostile_cell_fails_its_item_and_the_grader_goes_on(graded) -> None:
    for ident, (_, words) in HOSTILE.items():
        lab = next(lb for lb, ids in NEW.items() if ident in ids)
        sections = graded["hostile", lab]
        assert not sections[ident]["passed"] and words in sections[ident]["error"], sections
        others = [i for i in NEW[lab] if i != ident]
        assert all(sections[i]["passed"] for i in others), (lab, sections)


def test_what_the_wire_cannot_carry_is_said() -> None:
    sender = Sender(None, {}, {})
    with pytest.raises(Unsendable, match="MT19937"):
        sender.sent((np.random.Generator(np.random.MT19937(0)),), {})
    args, kwargs = sender.sent(([1, 2.0],), {"a": np.ones(2)})
    assert args == [[1, 2.0]] and not sender.converted


def test_a_copy_that_is_not_a_notebook_fails_each_item(tmp_path: Path) -> None:
    (tmp_path / "lab.ipynb").write_text("{not json")
    verify = functools.partial(verify_isolated, limits=LIMITS)
    out = grade_lab(tmp_path / "lab.ipynb", "06_numerical_stability", ("xavier", "he_init"),
                    verify, limits=LIMITS)
    assert [f["passed"] for f in out["report"]["functions"]] == [False, False]
    assert "not a Jupyter notebook" in out["report"]["functions"][0]["error"]
    with pytest.raises(UsageError):
        lab_exercises("99_nope")


def test_an_endless_cell_fails_its_exercise_and_the_later_ones_once(tmp_path: Path,
                                                                   monkeypatch) -> None:
    """A ``while True`` at the top of node_sigma's cell: node_y (before it) passes, node_sigma
    and every later exercise fail with the time limit; the later ones are not imported again
    (their import would run the same cell)."""
    lab = "07_batch_normalization"
    path = tmp_path / f"{lab}.ipynb"
    path.write_text(json.dumps(copy_of(lab, solved=True, add={"node_sigma": "while True:\n"
                                                                           "    pass\n"})))
    opened: list[str] = []
    real = lab_checks.student_child

    def counting(path: Path, plan: Any, *args: Any) -> Any:
        opened.append(plan.ident)
        return real(path, plan, *args)

    monkeypatch.setattr(lab_checks, "student_child", counting)
    limits = Limits(call_timeout=4.0, total_timeout=60.0, import_timeout=5.0)
    out = grade_lab(path, lab, tuple(NEW[lab]), functools.partial(verify_isolated,
                                                                  limits=limits),
                    limits=limits)
    sections = {f["function"]: f for f in out["report"]["functions"]}
    assert sections["node_y"]["passed"], sections["node_y"]
    later = NEW[lab][NEW[lab].index("node_sigma"):]
    for ident in later:
        assert not sections[ident]["passed"] and "time limit" in sections[ident]["error"], ident
    assert opened == ["unbiased", "node_y", "node_sigma"]


def test_a_sandbox_that_cannot_start_fails_each_item(tmp_path: Path, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no poll here")

    monkeypatch.setattr(lab_checks, "open_isolated", broken)
    lab = "06_numerical_stability"
    path = tmp_path / f"{lab}.ipynb"
    path.write_text(json.dumps(copy_of(lab, solved=True)))
    out = grade_lab(path, lab, ("xavier", "he_init"), functools.partial(verify_isolated))
    for section in out["report"]["functions"]:
        assert not section["passed"] and "no poll here" in section["error"], section


def test_grade_scores_every_exercise_of_a_lab(tmp_path: Path) -> None:
    """``backprop-lab grade --rubric``: points per exercise, the plain verify (sigmoid) and the
    checks run in the grader (xavier, he_init) alike, in the gradebook and the rows."""
    lab = "06_numerical_stability"
    folder = tmp_path / "class"
    folder.mkdir()
    copies = {"solved": copy_of(lab, solved=True),
              "scaled": copy_of(lab, solved=True, bugs={"xavier": BUGS["xavier"][1:3]}),
              "forger": copy_of(lab, solved=False, checks=FORGED)}
    for student, nb in copies.items():
        (folder / f"{student}.ipynb").write_text(json.dumps(nb))
    (tmp_path / "rubric.toml").write_text(f'[[item]]\nname = "lab 6"\nlab = "{lab}"\n'
                                          "points = { sigmoid = 1, xavier = 2, he_init = 3 }\n")
    assert main(["grade", str(folder), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 0
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        book = {r["student"]: float(r["score"]) for r in csv.DictReader(f)}
    assert book == {"solved": 6.0, "scaled": 4.0, "forger": 0.0}
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text()
            .splitlines()]
    wrong = {r["student"]: {t["name"]: t["diagnosis"] for t in r["tests"] if not t["passed"]}
             for r in rows}
    assert wrong["scaled"] == {"xavier": "scaled"}
    assert wrong["forger"] == {"sigmoid": "zero", "xavier": "zero", "he_init": "zero"}
