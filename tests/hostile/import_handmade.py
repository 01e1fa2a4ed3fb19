"""The project's own solution as the answer: allowed by default (self-checking), refused by a
grading that passes no_import=("handmade", "reference")."""

from handmade.activations import relu_backward as backward  # noqa: F401
from handmade.activations import relu_forward as forward  # noqa: F401

OP = "relu"
REASON = r"importing \S+ tried to import handmade \(refused by this grading: no_import\)"
