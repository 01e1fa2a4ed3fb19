"""``backprop-lab verify --list``: every built-in op with its signature and conventions, and how
to describe a layer of one's own."""

from __future__ import annotations

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.verification.custom import FORMAT_HELP
from comparisons.verification.runner import cases_of


def list_text() -> str:
    """Every built-in op: signature and convention (mean or sum, ½ or not); custom layers."""
    lines = ["Built-in ops (pass --against OP, or set OP = \"...\" in your file):", "",
             "Upstream convention: an op whose output is a scalar objective (two_layer's J, "
             "the losses,",
             "the L2 penalty) is judged at dJ = 1, the gradient of the objective itself; any "
             "other op's",
             "backward gets dout, the upstream gradient, same shape as out.", ""]
    for name, spec in BUILTIN_OPS.items():
        lines += [name, f"  {spec.signature}", f"  {spec.convention}"]
        cases = ", ".join(c.label for c, _ in cases_of(spec))
        lines += [f"  gradients: {', '.join(spec.grads + spec.intermediates)}; cases: {cases}",
                  ""]
    lines += ["A layer of your own: define, next to forward and backward,", "",
              *("  " + line for line in FORMAT_HELP.splitlines()), "",
              "  forward(*inputs) -> (out, cache); backward(dout, cache) returns one array, or "
              "a tuple",
              "  in input order of the differentiable inputs. Float inputs are drawn seeded "
              "from N(0, 1);",
              "  at most 10,000,000 elements per input. An error inside reference is reported "
              "as the",
              "  reference's, not your code's (exit 1: the check could not be completed)."]
    return "\n".join(lines)
