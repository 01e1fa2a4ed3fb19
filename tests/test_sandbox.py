"""Isolation (comparisons.verification.sandbox): hostile files fail with the right reason and
exit 1, nothing escapes the scratch folder, and correct or wrong files get the in-process
verdict exactly.

Each file of tests/hostile/ states the reason its report must give (``REASON``, a regex of the
error's headline or of the verdict). The limits are short so the suite stays fast.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from comparisons.cli.main import main
from comparisons.core.errors import UsageError
from comparisons.verification.isolation import IsolatedReport, Limits, Spares, verify_isolated
from comparisons.verification.loader import import_file, verify_file
from comparisons.verification.sandbox.isolated import checked_source, open_isolated
from comparisons.verification.sandbox.process import Sandbox
from comparisons.verification.sandbox.remote import RemoteModule, Session
from comparisons.verification.sandbox.wire import Decoder, Encoder, WireError

HERE = Path(__file__).parent
HOSTILE = HERE / "hostile"
WROTE = HOSTILE / "WROTE_OUTSIDE"
FAST = ["--timeout", "2", "--total-timeout", "30"]


def _reason(path: Path) -> str:
    text = path.read_text()
    found = re.search(r'^REASON = r"(.*)"$', text, re.MULTILINE)
    assert found, f"{path.name} states no REASON"
    return found.group(1)


def _core(report: IsolatedReport) -> dict[str, object]:
    """The report's JSON without what only an isolated run has (what it printed, refused)."""
    extra = ("printed", "printed_bytes", "refused")
    return {k: v for k, v in report.to_json().items() if k not in extra}


def _main(args: list[str]) -> int:
    try:
        return main(args)
    except BaseException as exc:  # the point: nothing the student's code does escapes
        pytest.fail(f"escaped verify: {exc!r}")


HOSTILE_FILES = sorted(p for p in HOSTILE.glob("*.py") if p.stem != "import_handmade")


@pytest.mark.parametrize("path", HOSTILE_FILES, ids=lambda p: p.stem)
def test_a_hostile_file_is_a_failed_report_with_its_reason(path: Path, tmp_path: Path,
                                                          capsys) -> None:
    out = tmp_path / "report.json"
    timeout = ["--timeout", "1"] if path.stem == "busy_loop" else FAST
    started = time.monotonic()
    assert _main(["verify", str(path), *timeout, "--json", str(out)]) == 1
    assert time.monotonic() - started < 60
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["passed"] is False
    verdict = next(line for line in printed.splitlines() if line.startswith("verdict:"))
    assert verdict.startswith("verdict: FAILED: ")
    assert re.search(_reason(path), verdict), verdict  # the verdict line says why
    assert not any(line.startswith("verdict: PASSED") for line in printed.splitlines())
    assert not WROTE.exists()


@pytest.mark.parametrize("fork, preload", [(True, ()), (False, ()), (True, ("torch",))],
                         ids=["forked", "fresh", "forked-torch"])
def test_warm_children_give_the_same_reports(fork: bool, preload: tuple[str, ...]) -> None:
    """Children started ahead, forked from the fork server (one that imported torch too, as
    lab items' are) or fresh: each file's report as a cold child's, the crash reasons and the
    audit hook's refusals included (the server reports how each child ended)."""
    names = ["os_exit_backward", "ctypes_segfault", "forge_report", "busy_loop",
             "write_outside", "open_socket", "read_instructor"]
    limits = Limits(call_timeout=1, total_timeout=30)
    correct = HERE / "verify_gallery" / "correct_relu.py"
    with Spares(fork=fork, preload=preload) as spares:
        for name in names:
            report = verify_isolated(HOSTILE / f"{name}.py", limits=limits, spares=spares)
            assert re.search(_reason(HOSTILE / f"{name}.py"), report.verdict()), name
        assert verify_isolated(correct, spares=spares).to_json() == verify_isolated(
            correct).to_json()
    assert spares.zygote is None or spares.zygote.proc.poll() is not None


def test_the_project_solution_is_allowed_by_default_and_refused_when_grading() -> None:
    path = HOSTILE / "import_handmade.py"
    assert verify_isolated(path).passed
    refused = verify_isolated(path, limits=Limits(no_import=("handmade", "reference")))
    assert not refused.passed and refused.error is not None
    assert re.match(_reason(path), refused.error)


def test_what_the_code_printed_is_shown_indented_and_escaped() -> None:
    report = verify_isolated(HOSTILE / "fake_verdict_print.py")
    text = str(report)
    assert "your code printed:" in text and "  | verdict: PASSED" in text
    assert "\x1b" not in text and "\r" not in text  # no cursor tricks reach the terminal
    assert text.splitlines()[-1].startswith("verdict: FAILED")
    assert report.to_json()["printed_bytes"] == report.printed_bytes > 0


CORRECT = sorted((HERE / "verify_correct").glob("*.py"))
SAMPLE = [CORRECT[i] for i in range(0, len(CORRECT), 9)]


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_correct_files_pass_isolated_with_the_in_process_report(path: Path) -> None:
    dtype = getattr(import_file(path)[1], "DTYPE", "float64")
    isolated = verify_isolated(path, dtype=dtype)
    assert isolated.passed, str(isolated)
    reference = verify_file(path, dtype=dtype).to_json()
    assert _core(isolated) == (
        reference)


WRONG = [HERE / "verify_gallery" / n for n in (
    "linear_db_not_summed.py", "two_layer_no_l2.py", "relu_kink_nan.py")]
CUSTOM = sorted((HERE / "verify_custom").glob("*.py"))


@pytest.mark.parametrize("path", [p for p in WRONG if p.exists()] + CUSTOM,
                         ids=lambda p: p.stem)
def test_wrong_and_custom_files_get_the_in_process_report(path: Path) -> None:
    isolated = verify_isolated(path)
    assert _core(isolated) == (
        verify_file(path).to_json())


def _cell(source: str) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
            "execution_count": None}


def test_a_notebook_runs_isolated_with_the_in_process_report(tmp_path: Path) -> None:
    relu = (HERE / "verify_gallery" / "correct_relu.py").read_text()
    nb = tmp_path / "lab.ipynb"
    nb.write_text(json.dumps({"cells": [_cell("%matplotlib inline\n" + relu),
                                        _cell("open('notes.txt', 'w').write('ok')\n")],
                              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    isolated = verify_isolated(nb)
    assert isolated.passed and isolated.input_notes  # the magic was skipped, and said so
    assert not (tmp_path / "notes.txt").exists()  # it wrote in its scratch folder
    assert _core(isolated) == (
        verify_file(nb).to_json())


def test_a_data_dir_is_readable_not_writable(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "names.txt").write_text("emma\n")
    relu = (HERE / "verify_gallery" / "correct_relu.py").read_text()
    path = tmp_path / "mine.py"
    path.write_text("WORDS = open('names.txt').read()\n" + relu)
    with pytest.raises(UsageError, match=r"mine.py: reads 'names.txt' while it is imported"):
        verify_isolated(path)
    assert verify_isolated(path, data_dir=tmp_path / "data").passed
    path.write_text("open('names.txt', 'a').write('x')\n" + relu)
    report = verify_isolated(path, data_dir=tmp_path / "data")
    assert report.error is not None and "names.txt outside its scratch directory" in report.error
    assert (tmp_path / "data" / "names.txt").read_text() == "emma\n"


def test_an_exit_at_import_is_reported_under_the_original_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("import sys\nOP = 'relu'\nsys.exit(3)\n")
    report = verify_isolated(path)
    assert report.error is not None
    assert report.error.startswith(f"importing {path} called sys.exit(3):")
    assert str(path) in report.error and "backprop-lab-sandbox" not in report.error


def test_a_refused_action_the_code_catches_is_a_note_not_a_failure(tmp_path: Path) -> None:
    """matplotlib's import runs fc-list and lists font folders, and goes on when refused: a
    correct file that imports it must pass; the refusal is noted."""
    relu = (HERE / "verify_gallery" / "correct_relu.py").read_text()
    path = tmp_path / "catches.py"
    path.write_text(relu + f"\ntry:\n    open({str(WROTE)!r}, 'w')\nexcept OSError:\n    pass\n")
    report = verify_isolated(path)
    assert report.passed and not WROTE.exists()
    assert report.refused == [f"tried to write {WROTE} outside its scratch directory"]
    assert "refused by the sandbox (the error was caught" in str(report)


def test_writing_in_the_scratch_folder_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "notes.py"
    path.write_text(import_file(HERE / "verify_gallery" / "correct_relu.py")[0].read_text()
                    + "\nopen('notes.txt', 'w').write('fine')\n")
    assert verify_isolated(path).passed


def test_an_argument_edited_in_place_is_seen_by_the_caller(tmp_path: Path) -> None:
    """CS231n's batchnorm writes its running mean into bn_param: the caller sees it."""
    path = tmp_path / "bn.py"
    path.write_text("def forward(x, p):\n    p['running_mean'] = x.mean(0)\n    x[0] = 7\n"
                    "    return x, {'k': 1}\n\ndef backward(d, c):\n    return d\n")
    sandbox = Sandbox(Limits())
    try:
        (sandbox.scratch / "bn.py").write_text(checked_source(path).path.read_text())
        session = Session(sandbox)
        reply = session.request(sandbox.load_request("bn.py"), {})
        module = RemoteModule(session, reply["decoded"]["constants"], reply["callables"])
        x, param = np.arange(6.0).reshape(3, 2), {"eps": 1e-5}
        out, cache = module.forward(x, param)
        assert param["running_mean"].tolist() == [2.0, 3.0] and param["eps"] == 1e-5
        assert x[0].tolist() == [7.0, 7.0] and out[0].tolist() == [7.0, 7.0]
        assert type(cache).__name__ == "dict" and not isinstance(cache, dict)  # kept there
        assert module.backward(out, cache).tolist() == out.tolist()
    finally:
        sandbox.close()


SLOW_RELU = ("import time\nimport numpy as np\nOP = 'relu'\n"
             "def forward(x):\n    BODY\n    return np.maximum(x, 0), x\n"
             "def backward(dout, x):\n    return dout * (x > 0)\n")


@pytest.mark.parametrize("body, limits, reason", [
    ("time.sleep(0.05)", Limits(call_timeout=5, total_timeout=0.5),
     r"your forward \(case [^)]*\) exceeded the 0.5 s total time limit"),
    ("while True: pass", Limits(call_timeout=60, total_timeout=60, cpu_seconds=1),
     r"your forward \(case [^)]*\) exceeded the 1 s CPU time limit"),
])
def test_the_total_time_and_cpu_limits_hold(tmp_path: Path, body: str, limits: Limits,
                                            reason: str) -> None:
    path = tmp_path / "slow.py"
    path.write_text(SLOW_RELU.replace("BODY", body))
    report = verify_isolated(path, limits=limits)
    assert report.error is not None and re.match(reason, report.error), report.error
    assert re.search(reason, report.verdict())


def test_open_isolated_gives_proxies_for_other_conventions(tmp_path: Path) -> None:
    path = tmp_path / "layers.py"
    path.write_text("import numpy as np\n"
                    "def affine_forward(x, w, b):\n    return x @ w + b, (x, w)\n"
                    "def affine_backward(dout, cache):\n    x, w = cache\n"
                    "    return dout @ w.T, x.T @ dout, dout.sum(0)\n")
    x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
    with open_isolated(path, forwards=("affine_forward",)) as opened:
        assert opened.module is not None and opened.error is None
        out, cache = opened.module.affine_forward(x, w, b)
        assert out.tolist() == (x @ w + b).tolist() and type(cache).__name__ == "tuple"
        assert not isinstance(cache, tuple)  # the cache stayed in the child
        dx, dw, db = opened.module.affine_backward(np.ones((2, 4)), cache)
        assert dx.tolist() == (np.ones((2, 4)) @ w.T).tolist() and db.tolist() == [2.0] * 4
    path.write_text("raise SystemExit(4)\n")
    with open_isolated(path) as opened:
        assert opened.module is None and opened.error is not None
        assert opened.error.startswith(f"importing {path} called sys.exit(4):")


def test_a_hang_at_import_has_its_own_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "hangs.py"
    path.write_text("while True:\n    pass\n")
    report = verify_isolated(path, limits=Limits(import_timeout=1))
    assert report.error is not None
    assert report.error.startswith(f"importing {path} exceeded the 1 s time limit")


def test_the_wire_refuses_what_is_not_plain_data() -> None:
    enc = Encoder(lambda v: {"h": [1, type(v).__name__, ""]})
    node = enc.value({"a": [1, (2.5, None)], 3: "x"})
    dec = Decoder(bytes(16), lambda a, g: a, lambda h: h)
    assert dec.value(node) == {"a": [1, (2.5, None)], 3: "x"}
    assert dec.value({"a": ["float64", [2], 0, 16]}).tolist() == [0.0, 0.0]
    for bad in ({"a": ["object", [2], 0, 16]}, {"a": ["float64", [4], 0, 32]},
                {"a": ["float64", [2], 0, 8]}, {"a": ["float64", [-2], 0, 16]},
                {"zz": 1}, {"d": [[{"l": []}, 1]]}):
        with pytest.raises(WireError):
            dec.value(bad)


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="call_timeout: expected a positive number, got 0"):
        Limits(call_timeout=0)
    with pytest.raises(ValueError, match="no_import: expected a tuple of package names"):
        Limits(no_import="handmade")  # type: ignore[arg-type]
    assert _main(["verify", str(HOSTILE / "busy_loop.py"), "--timeout", "-1"]) == 2
