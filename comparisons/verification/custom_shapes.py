"""The ``SHAPES`` table of a custom layer, validated: each input a float shape, an int64 range
``("int", shape, high)`` or a constant ``("const", value)``, "N" being the batch dimension.

:func:`parse_shapes` turns the user's table into :class:`Entry` records or raises one line
naming ``SHAPES``; :mod:`comparisons.verification.custom` builds the op from them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

BATCH = "N"
INT, CONST, FLOAT = "int", "const", "float"
MAX_ELEMENTS = 10**7
MAX_INT_HIGH = 2**63 - 1
FORMS = '("N", 4), ("int", ("N",), 5) or ("const", value)'
FORMAT_HELP = (
    'SHAPES = {"x": ("N", 5),                  # float of shape (N, 5); "N" = the batch dim\n'
    '          "y": ("int", ("N",), 5),        # int64 labels of shape (N,) in [0, 5); no grad\n'
    '          "p": ("const", {"eps": 1e-5})}  # passed as given, a deep copy per call; no grad\n'
    'NONDIFF = ("alpha",)                      # optional: float inputs without a gradient\n'
    'MIN_BATCH = 2                             # optional: N tried as 2 and 5 (default 1 and 5)\n'
    "def reference(x, y, p): ...               # torch ops, forward's arguments in SHAPES order"
)


@dataclass(frozen=True)
class Entry:
    """One input of ``SHAPES``: ``kind`` float / int / const, its shape, int range, value."""

    kind: str
    shape: tuple[int | str, ...] = ()
    high: int = 0
    value: Any = None


def _check_dim(name: str, dim: Any) -> int | str:
    if dim == BATCH:
        return BATCH
    if isinstance(dim, int | np.integer) and not isinstance(dim, bool) and dim > 0:
        return int(dim)
    raise ValueError(f'SHAPES[{name!r}]: expected positive ints or "N", got {dim!r}')


def _shape(name: str, shape: Any) -> tuple[int | str, ...]:
    if isinstance(shape, int | np.integer | str):
        shape = (shape,)
    if not isinstance(shape, Sequence):
        raise ValueError(f"SHAPES[{name!r}]: expected a shape tuple or one of {FORMS}, got "
                         f"{type(shape).__name__}")
    return tuple(_check_dim(name, d) for d in shape)


def _int_entry(name: str, raw: Sequence[Any]) -> Entry:
    if len(raw) != 3:
        raise ValueError(f'SHAPES[{name!r}]: expected ("int", shape, high), got {raw!r}')
    high = raw[2]
    if (isinstance(high, bool) or not isinstance(high, int | np.integer)
            or not 0 < high <= MAX_INT_HIGH):
        raise ValueError(f'SHAPES[{name!r}]: expected an int range high >= 1 (values in '
                         f'[0, high)) in ("int", shape, high), got {high!r}')
    return Entry(INT, _shape(name, raw[1]), high=int(high))


def _const_entry(name: str, raw: Sequence[Any]) -> Entry:
    if len(raw) != 2:
        raise ValueError(f'SHAPES[{name!r}]: expected ("const", value), got {raw!r}')
    try:
        copy.deepcopy(raw[1])
    except Exception as exc:  # the value is the user's: its __deepcopy__ may raise anything
        raise ValueError(f"SHAPES[{name!r}]: expected a constant copy.deepcopy can copy, got "
                         f"{type(raw[1]).__name__} ({type(exc).__name__}: {exc})") from None
    return Entry(CONST, value=raw[1])


def parse_entry(name: str, raw: Any) -> Entry:
    """One ``SHAPES`` value: a shape, ``("int", shape, high)`` or ``("const", value)``."""
    if isinstance(raw, tuple | list) and raw and isinstance(raw[0], str) and raw[0] != BATCH:
        if raw[0] == INT:
            return _int_entry(name, raw)
        if raw[0] == CONST:
            return _const_entry(name, raw)
        raise ValueError(f"SHAPES[{name!r}]: unknown kind {raw[0]!r}; expected {FORMS}")
    if isinstance(raw, Mapping):
        raise ValueError(f'SHAPES[{name!r}]: expected {FORMS}, got a dict (a dict parameter '
                         f'is written ("const", {{...}}))')
    return Entry(FLOAT, _shape(name, raw))


def parse_shapes(shapes: Any) -> dict[str, Entry]:
    """Validate ``SHAPES``; ValueError (one line) on anything malformed."""
    if not isinstance(shapes, Mapping) or not shapes:
        raise ValueError(f"SHAPES: expected a non-empty dict name -> shape tuple, "
                         f"got {type(shapes).__name__}")
    parsed: dict[str, Entry] = {}
    for name, raw in shapes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"SHAPES: expected input names as identifiers, got {name!r}")
        parsed[name] = parse_entry(name, raw)
    return parsed
