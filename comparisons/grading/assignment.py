"""Each student's variant under a rubric, and its assignment text.

With a variant seed (the rubric's ``variant_seed`` or ``grade --variant-seed``) every student
is graded on a :class:`~comparisons.verification.variants.Variant` of their own, derived
from (variant seed, student id): their case sizes and inputs, the rubric's ops'
hyper-parameters (λ, p), and for an item ``op = "activation"`` the activation φ their file
must implement. ``backprop-lab grade --show-variant STUDENT`` prints
:func:`assignment_text` before the deadline, so a student knows what to implement; each
feedback file says the same.
"""

from __future__ import annotations

from comparisons.core.builtin_ops import DECLARATIONS
from comparisons.core.errors import UsageError
from comparisons.grading.labs import lab_exercises
from comparisons.grading.rubric import ACTIVATION, Item, Rubric
from comparisons.verification.variants import (
    NO_BIAS,
    Variant,
    derive_variant,
    keyword_text,
    varied_spec,
)


def student_variant(rubric: Rubric, student: str) -> Variant | None:
    """The student's variant under the rubric's variant seed (None: no variants)."""
    if rubric.variant_seed is None:
        return None
    return derive_variant(rubric.variant_seed, student)


def check_variants(rubric: Rubric) -> None:
    """UsageError when an item needs a variant (``op = "activation"``, ``bias = "variant"``)
    and there is no seed."""
    needs = next((i for i in rubric.items if i.op == ACTIVATION or i.bias_varies), None)
    if needs is not None and rubric.variant_seed is None:
        what = ("op = \"activation\" (each student's own activation)" if needs.op == ACTIVATION
                else "bias = \"variant\" (each student's own bias on or off)")
        raise UsageError(f"rubric: item {needs.name!r} has {what}, which needs a variant "
                         f"seed: set variant_seed in the rubric or pass --variant-seed S")


def item_op(item: Item, variant: Variant | None) -> str:
    """The op the student's file is verified against for ``item``."""
    if item.op == ACTIVATION and variant is not None:
        return variant.activation
    return item.op


def rubric_ops(rubric: Rubric) -> dict[str, list[str]]:
    """The built-in ops the rubric's items verify (a lab's exercises' too) -> those items."""
    ops: dict[str, list[str]] = {}
    for item in rubric.items:
        if item.lab is not None:
            names = [e.against for e in lab_exercises(item.lab)[0].values()]
        else:
            names = [item.op] if item.op and item.op != ACTIVATION else []
        for op in names:
            ops.setdefault(op, []).append(item.name)
    return {op: list(dict.fromkeys(items)) for op, items in ops.items()}


def variant_lines(rubric: Rubric, variant: Variant) -> list[str]:
    """What of the variant the rubric uses, one line each, as the student reads it."""
    lines = []
    for item in rubric.items:
        if item.op == ACTIVATION:
            spec = varied_spec(DECLARATIONS[variant.activation].spec, variant)
            lines.append(f"item {item.name!r}: implement the activation φ = "
                         f"{variant.activation}: {spec.signature}"
                         f"{keyword_text(variant.activation, variant)}")
        if item.bias_varies:
            how = (f"with its bias: {DECLARATIONS[item.op].signature}" if variant.bias else
                   f"without a bias: {NO_BIAS[item.op].signature}; {NO_BIAS[item.op].convention}")
            lines.append(f"item {item.name!r}: implement {item.op} {how}")
        if item.lab is not None:  # the notebook's text fixes φ, the bias and the signatures
            lines.append(f"item {item.name!r}: the functions lab {item.lab} asks for, as its "
                         f"text writes them; its comparisons.verify checks run on your own "
                         f"case sizes and inputs (with any λ or p listed here), its other checks "
                         f"as shipped")
    ops = rubric_ops(rubric)
    lines += [f"{op}: {name} = {value:g} (in {', '.join(map(repr, ops[op]))}; your forward "
              f"receives it as {name})" for op, name, value in variant.params if op in ops]
    lines.append(f"case sizes and inputs: your own (input seed {variant.seed}); a classmate's "
                 f"printed numbers are not yours")
    if any(item.convention for item in rubric.items):  # not resolved through the variant
        lines.append("convention items: the course's case sizes, signatures and "
                     "hyper-parameters, with your own inputs")
    return lines


def assignment_text(rubric: Rubric, student: str) -> str:
    """The variant of ``student`` as their assignment text (UsageError without a seed)."""
    variant = student_variant(rubric, student)
    if variant is None:
        raise UsageError("--show-variant: expected --variant-seed S (or variant_seed in the "
                         "rubric), got none")
    head = f"{rubric.title}: the variant of {student} (variant seed {variant.variant_seed})"
    return "\n".join([head, *(f"- {line}" for line in variant_lines(rubric, variant))]) + "\n"
