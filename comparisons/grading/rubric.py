"""RUBRIC.toml: what is checked, for how many points, which items are hidden, the seed.

::

    title = "HW 3: backprop"   # optional, shown in feedback and summary.html
    seed = 0                   # seed of every item's inputs (an item's own seed wins)
    dtype = "float64"          # or "float32"
    timeout = 60               # wall-time limit per submission and item, seconds
    variant_seed = 2026        # optional: each student's own variant (--variant-seed wins);
                               # see comparisons.verification.variants

    [[item]]
    name = "two-layer network" # optional, default: the op
    op = "two_layer"           # a built-in op (backprop-lab verify --list), or
                               # "activation": the activation φ of the student's variant
                               # (needs variant_seed), or
                               # convention = "cs231n": a course's file as written, with
                               # points = { affine = 2, relu = 1, ... } per function, or
                               # lab = "01_forward_backward": a shipped lab, with points
                               # per exercise (every exercise with a check cell)
    file = "two_layer.py"      # optional: the file in a student's folder (a glob)
    points = { dW1 = 3, dW2 = 3, forward = 1 }  # per gradient ("forward": the value);
                                                # or points = 6: all or nothing
    bias = "variant"           # optional, op = "linear" or "conv2d": with or without its
                               # bias b as the student's variant says (points cannot name db)
    seed = 1234                # optional: this item's inputs' seed
    hidden = false             # true: checked with the item's own seed; feedback shows the
                               # verdicts and diagnosis codes only (no messages, cases,
                               # divergences), Gradescope's visibility "after_due_date"

Every key is checked on loading: an unknown key, a wrong type, an unknown op or gradient is a
one-line :class:`~comparisons.core.errors.UsageError` naming the file, the key, what was
expected and what was given.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from comparisons.core.builtin_ops import ACTIVATIONS, BUILTIN_OPS
from comparisons.core.errors import UsageError
from comparisons.core.ops import OpSpec
from comparisons.grading.labs import lab_exercises
from comparisons.verification.conventions.cs231n import PAIRS
from comparisons.verification.variants import NO_BIAS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TOP_KEYS = ("title", "seed", "dtype", "timeout", "variant_seed", "item")
ITEM_KEYS = ("name", "op", "convention", "lab", "file", "points", "hidden", "seed", "bias")
CONVENTION_FUNCTIONS = {"cs231n": tuple(p.function for p in PAIRS)}
"""Each convention's sections (its functions, by the names its report gives them)."""
DEFAULT_FUNCTIONS = {"cs231n": tuple(p.function for p in PAIRS if not p.optional)}
DEFAULT_TIMEOUT = 60.0
ACTIVATION = "activation"
"""The op of an item whose activation is each student's variant's φ (every one has ``dx``)."""
FORWARD = "forward"
"""The key of ``points`` that scores the forward value."""


@dataclass(frozen=True)
class Item:
    """One rubric item: ``op`` verified, ``points`` per gradient (or ``total`` all or nothing);
    or, with ``convention`` set (``op`` is then ""), ``points`` per function of the course's
    file."""

    name: str
    op: str
    points: dict[str, float] = field(default_factory=dict)
    total: float | None = None
    file: str | None = None
    hidden: bool = False
    seed: int | None = None
    convention: str | None = None
    lab: str | None = None
    bias_varies: bool = False

    @property
    def default_file(self) -> str:
        """The file a student's folder is expected to hold when the item names none."""
        if self.lab is not None:
            return f"{self.lab}.ipynb"
        return "layers.py" if self.convention is not None else f"{self.op}.py"

    @property
    def max_score(self) -> float:
        """The item's points when everything is right."""
        return self.total if self.total is not None else float(sum(self.points.values()))


@dataclass(frozen=True)
class Rubric:
    """A whole rubric: the items and the settings they share."""

    items: tuple[Item, ...]
    title: str = "backprop-lab grade"
    seed: int = 0
    dtype: str = "float64"
    timeout: float = DEFAULT_TIMEOUT
    variant_seed: int | None = None

    @property
    def max_score(self) -> float:
        """The sum of the items' maxima."""
        return float(sum(i.max_score for i in self.items))

    def seed_of(self, item: Item) -> int:
        """The item's seed, else the rubric's."""
        return self.seed if item.seed is None else item.seed

    def fingerprint(self) -> str:
        """A hash of everything that decides a score: a rerun under another rubric regrades."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The rubric as plain data."""
        return asdict(self)


def op_spec(op: str) -> OpSpec:
    """The built-in op's spec (``"activation"``: the first activation's; all have ``dx``)."""
    return BUILTIN_OPS[ACTIVATIONS[0] if op == ACTIVATION else op]


def gradient_names(op: str) -> tuple[str, ...]:
    """The gradients a verify report of ``op`` has rows for: its inputs', then intermediates."""
    spec = op_spec(op)
    return (*spec.grads, *spec.intermediates)


def _number(where: str, key: str, value: Any, *, integer: bool = False) -> Any:
    """``value`` when it is a number >= 0 (an integer if asked), else UsageError."""
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or value < 0:
        want = "an integer >= 0" if integer else "a number >= 0"
        raise UsageError(f"{where}: {key}: expected {want}, got {value!r}")
    return value


def _unknown(where: str, table: dict[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise UsageError(f"{where}: unknown key {extra[0]!r}; expected one of "
                         f"{', '.join(allowed)}")


def _points(where: str, known: tuple[str, ...], what: str,
            value: Any) -> tuple[dict[str, float], float | None]:
    """``points``: a number (all or nothing) or a table of gradient (function) -> points."""
    if not isinstance(value, dict):
        return {}, float(_number(where, "points", value))
    for name, pts in value.items():
        if name not in known:
            raise UsageError(f"{where}: points: unknown {what} {name!r}; expected some of "
                             f"{', '.join(known)}")
        _number(where, f"points.{name}", pts)
    if not value:
        raise UsageError(f"{where}: points: expected a number or a table of gradients, got {{}}")
    return {k: float(v) for k, v in value.items()}, None


def parse_item(where: str, table: Any) -> Item:
    """One ``[[item]]`` table checked and read."""
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table [[item]], got {table!r}")
    _unknown(where, table, ITEM_KEYS)
    op, convention, lab = table.get("op"), table.get("convention"), table.get("lab")
    if sum(x is not None for x in (op, convention, lab)) > 1:
        raise UsageError(f"{where}: expected one of op, convention, lab; got more than one")
    if lab is not None:
        if not isinstance(lab, str):
            raise UsageError(f"{where}: lab: expected a lab's name, got {lab!r}")
        try:
            exercises, _ = lab_exercises(lab)
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
        if not exercises:
            raise UsageError(f"{where}: lab: {lab} has no exercise with a check cell; "
                             f"nothing to grade")
        known = default = tuple(exercises)
        what, op = f"gradable exercise of {lab}", ""
    elif convention is not None:
        if convention not in CONVENTION_FUNCTIONS:
            raise UsageError(f"{where}: convention: expected one of "
                             f"{', '.join(CONVENTION_FUNCTIONS)}, got {convention!r}")
        known, what, default = (CONVENTION_FUNCTIONS[convention], f"function of {convention}",
                                DEFAULT_FUNCTIONS[convention])
        op = ""
    elif op not in BUILTIN_OPS and op != ACTIVATION:
        raise UsageError(f"{where}: op: expected a built-in op ({', '.join(BUILTIN_OPS)}), "
                         f"\"activation\" or convention = \"cs231n\", got {op!r}")
    else:
        known, what = (*gradient_names(op), FORWARD), f"gradient of {op}"
        default = op_spec(op).grads
    bias_varies = _bias(where, table, str(op))
    if bias_varies:  # the bias's gradient exists for half the class only
        dropped = op_spec(op).grad_of(NO_BIAS[op].input)
        known, default = (tuple(k for k in known if k != dropped),
                          tuple(k for k in default if k != dropped))
    if "points" in table:
        points, total = _points(where, known, what, table["points"])
    else:  # one point per gradient (per function)
        points, total = {g: 1.0 for g in default}, None
    for key in ("name", "file"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            raise UsageError(f"{where}: {key}: expected a non-empty string, got {table[key]!r}")
    hidden = table.get("hidden", False)
    if not isinstance(hidden, bool):
        raise UsageError(f"{where}: hidden: expected true or false, got {hidden!r}")
    seed = table.get("seed")
    if seed is not None:
        _number(where, "seed", seed, integer=True)
    return Item(str(table.get("name", op or convention or lab)), str(op), points, total,
                table.get("file"), hidden, seed, convention, lab, bias_varies)


def _bias(where: str, table: dict[str, Any], op: str) -> bool:
    """``bias = "variant"`` checked: only for an op that can lose its bias."""
    if "bias" not in table:
        return False
    if table["bias"] != "variant":
        raise UsageError(f"{where}: bias: expected \"variant\", got {table['bias']!r}")
    if op not in NO_BIAS:
        raise UsageError(f"{where}: bias = \"variant\": expected op = one of "
                         f"{', '.join(NO_BIAS)}, got {op or 'no op'!r}")
    return True


def parse_rubric(data: dict[str, Any], where: str) -> Rubric:
    """A rubric from a parsed TOML table (``where`` names it in errors)."""
    _unknown(where, data, TOP_KEYS)
    raw = data.get("item")
    if not isinstance(raw, list) or not raw:
        raise UsageError(f"{where}: expected at least one [[item]] table, got "
                         f"{'none' if raw is None else repr(raw)}")
    items = tuple(parse_item(f"{where} [[item]] {i + 1}", t) for i, t in enumerate(raw))
    names = [i.name for i in items]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise UsageError(f"{where}: item names must differ; {dup!r} is given twice "
                         f"(set name = \"...\")")
    dtype = data.get("dtype", "float64")
    if dtype not in ("float64", "float32"):
        raise UsageError(f"{where}: dtype: expected 'float64' or 'float32', got {dtype!r}")
    title = data.get("title", "backprop-lab grade")
    if not isinstance(title, str):
        raise UsageError(f"{where}: title: expected a string, got {title!r}")
    seed = _number(where, "seed", data.get("seed", 0), integer=True)
    timeout = float(_number(where, "timeout", data.get("timeout", DEFAULT_TIMEOUT)))
    if timeout <= 0:
        raise UsageError(f"{where}: timeout: expected a number of seconds > 0, got {timeout}")
    variant_seed = data.get("variant_seed")
    if variant_seed is not None:
        _number(where, "variant_seed", variant_seed, integer=True)
    return Rubric(items, title, seed, dtype, timeout, variant_seed)


def load_rubric(path: str | Path) -> Rubric:
    """Read and check RUBRIC.toml; UsageError (one line) for anything wrong with it."""
    p = Path(path)
    if not p.is_file():
        why = "a directory" if p.is_dir() else "no such file"
        raise UsageError(f"--rubric: expected an existing .toml file, got {p} ({why})")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--rubric: cannot read {p} ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--rubric: {p} is not valid TOML ({exc})") from None
    return parse_rubric(data, str(p))


def rubric_for_op(op: str, seed: int = 0, timeout: float = DEFAULT_TIMEOUT) -> Rubric:
    """``--against OP`` without a rubric: one item, one point per gradient of the op's inputs."""
    if op not in BUILTIN_OPS:
        raise UsageError(f"--against: expected a built-in op ({', '.join(BUILTIN_OPS)}), "
                         f"got {op!r}")
    return Rubric((parse_item("--against", {"op": op}),), f"verify against {op}", seed,
                  timeout=timeout)


def rubric_for_convention(convention: str, seed: int = 0,
                          timeout: float = DEFAULT_TIMEOUT) -> Rubric:
    """``--convention NAME`` without a rubric: one item, one point per function."""
    if convention not in CONVENTION_FUNCTIONS:
        raise UsageError(f"--convention: expected one of {', '.join(CONVENTION_FUNCTIONS)}, "
                         f"got {convention!r}")
    item = parse_item("--convention", {"convention": convention})
    return Rubric((item,), f"verify --convention {convention}", seed, timeout=timeout)
