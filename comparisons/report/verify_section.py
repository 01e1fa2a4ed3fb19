"""The ``verify`` section of the demo: catch the planted mistake of a shipped example.

It verifies ``comparisons/verification/examples/linear_transposed.py`` (dW written as xᵀ dout) and
its correct twin. The section *passes* when the wrong derivation is caught with the expected
diagnosis (``dW: transposed``) and the correct one passes; it writes ``verify.txt`` and
``verify.json`` (both reports) under the output folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.core.io import write_json
from comparisons.verification.loader import verify_file

EXAMPLES = Path(__file__).parents[1] / "verification" / "examples"
WRONG, RIGHT = EXAMPLES / "linear_transposed.py", EXAMPLES / "linear_correct.py"
EXPECTED = {"dW": "transposed"}


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
    text = f"$ {command}\n{wrong}\n\n$ backprop-lab verify {_display(RIGHT)}\n{right}\n"
    (out / "verify.txt").write_text(text)
    write_json(out / "verify.json", {"wrong": wrong.to_json(), "correct": right.to_json(),
                                     "expected": EXPECTED, "caught": caught})
    if not quiet:
        print(wrong.verdict())
    return {"passed": caught and right.passed, "caught": caught, "diagnoses": found,
            "correct_example_passed": right.passed, "files": ["verify.txt", "verify.json"],
            "command": command}
