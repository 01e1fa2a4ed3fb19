"""The ``verify`` section of the demo: catch the planted mistake of a shipped example.

It verifies ``comparisons/verification/examples/linear_transposed.py`` (dW written as xᵀ dout) and
its correct twin. The section *passes* when the wrong derivation is caught with the expected
diagnosis (``dW: transposed``) and the correct one passes; it writes ``verify.txt`` and
``verify.json`` (both reports) under the output folder. The FAILED verdict shown is planted:
the section, ``verify.txt`` and the terminal line say so (:data:`PLANTED`), so nobody takes it
for a fault of the project or of their set-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.core.io import write_json
from comparisons.verification.loader import verify_file

EXAMPLES = Path(__file__).parents[1] / "verification" / "examples"
WRONG, RIGHT = EXAMPLES / "linear_transposed.py", EXAMPLES / "linear_correct.py"
EXPECTED = {"dW": "transposed"}
PLANTED = ("Planted on purpose: linear_transposed.py writes dW as xᵀ·dout (the transpose of "
           "doutᵀ·x), to show what verify's FAILED report looks like. This section passes when "
           "verify catches that mistake with the diagnosis 'transposed' and passes the correct "
           "twin, linear_correct.py, shown after it.")
LABELS = {"caught": "planted mistake caught", "diagnoses.dW": "diagnosis of the planted dW",
          "correct_example_passed": "correct twin passed"}


def _display(path: Path) -> str:
    """The path as a user would type it from the repository root."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return f"comparisons/verification/examples/{path.name}"


def run_section(out: Path, *, quiet: bool = False, seed: int = 0) -> dict[str, Any]:
    """Verify both examples; passed = the mistake was diagnosed as expected, the twin passed."""
    wrong = verify_file(WRONG, seed=seed)
    right = verify_file(RIGHT, seed=seed)
    found = {g.name: g.diagnosis for g in wrong.gradients if not g.passed}
    caught = found == EXPECTED and wrong.error is None
    command = f"backprop-lab verify {_display(WRONG)} --seed {seed}"
    text = (f"# {PLANTED}\n\n$ {command}\n{wrong}\n\n"
            f"$ backprop-lab verify {_display(RIGHT)}\n{right}\n")
    (out / "verify.txt").write_text(text)
    write_json(out / "verify.json", {"wrong": wrong.to_json(), "correct": right.to_json(),
                                     "expected": EXPECTED, "caught": caught})
    if not quiet:
        print(f"planted mistake, FAILED on purpose: {wrong.verdict()}")
    return {"passed": caught and right.passed, "caught": caught, "diagnoses": found,
            "correct_example_passed": right.passed, "files": ["verify.txt", "verify.json"],
            "command": command, "note": PLANTED, "labels": LABELS}
