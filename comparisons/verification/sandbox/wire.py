"""The sandbox's wire format: plain data only, never pickle.

A message is a frame: 4 bytes header length, 8 bytes payload length (big-endian), a UTF-8 JSON
header, then the payload (the raw bytes of every array, one after another). Values are encoded
as a tree of JSON scalars (None, bool, int, float, str) and one-key tagged objects:

* ``{"l": [...]}`` a list, ``{"t": [...]}`` a tuple, ``{"d": [[key, value], ...]}`` a dict;
* ``{"a": [dtype, shape, offset, nbytes]}`` a NumPy array (C order, native byte order), its
  bytes at ``offset`` of the payload; ``{"s": [...]}`` the same for a NumPy scalar;
  ``{"T": [dtype, shape, offset, nbytes, requires_grad]}`` a torch tensor (sent as its NumPy
  values; the receiver decides what to build from them);
* ``{"A": [dtype, shape, offset, nbytes, kind]}`` a list of arrays (``kind`` "a") or NumPy
  scalars ("s") of one dtype and shape, sent as one stacked array (finite differences' outs:
  hundreds of them per request);
* ``{"c": [real, imag]}`` a complex number;
* ``{"h": [id, type_name, repr]}`` an opaque handle: an object that is not plain data stays
  where it was made and only this reference travels (:class:`Opaque` on the receiving side);
  a fourth item, an error record, says that reading the object as an array raised it.

Decoding checks everything it reads: dtype in :data:`DTYPES` (no object, void or string
arrays), shapes of non-negative ints whose size matches ``nbytes``, offsets inside the
payload, a nesting depth under :data:`MAX_DEPTH`, and the frame under the caller's size cap;
anything else is a :class:`WireError`. Nothing received is ever executed.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float16", "float32", "float64", "complex64", "complex128"})
MAX_DEPTH = 40
MAX_HEADER = 8 * 2**20
PREFIX = struct.Struct(">IQ")
REPR_CHARS = 200


class WireError(Exception):
    """A frame that breaks the format (or a cap): the other side is not trusted any more."""


@dataclass(frozen=True)
class Opaque:
    """A handle to an object kept by the other side: its id, type name and a short repr."""

    id: int
    type_name: str
    text: str
    raises: Any = None


LEAVES = (type(None), bool, int, float, complex, str)


def _plain(value: Any, depth: int = 0) -> bool:
    """``value`` a tree (no cycle, depth < 20) of exact tuples, lists and dicts whose leaves
    are numbers, strings, None, NumPy scalars and arrays of :data:`DTYPES`: its repr is the
    builtins' and NumPy's, which call no user code."""
    if type(value) in LEAVES:
        return True
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return value.dtype.name in DTYPES
    if depth >= 20:
        return False
    if type(value) is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return type(value) in (tuple, list) and all(_plain(v, depth + 1) for v in value)


def _pieces(value: Any) -> Any:
    """``repr(value)`` of a :func:`_plain` value, piece by piece (joined: the same text)."""
    if type(value) in (tuple, list, dict):
        opening, closing = ("(", ")") if type(value) is tuple else (
            ("[", "]") if type(value) is list else ("{", "}"))
        yield opening
        items = value.items() if type(value) is dict else ((None, v) for v in value)
        for i, (key, item) in enumerate(items):
            if i:
                yield ", "
            if type(value) is dict:
                yield f"{key!r}: "
            yield from _pieces(item)
        yield ",)" if type(value) is tuple and len(value) == 1 else closing
    else:
        yield repr(value)


def short_repr(value: Any) -> str:
    """At most REPR_CHARS characters of ``repr(value)`` (a failing ``__repr__`` says so).

    A cache of many arrays is :func:`_plain`: its repr is built piece by piece and stops past
    REPR_CHARS (the same text; an array's repr costs ~0.5 ms and a forward's cache holds many)."""
    try:
        if type(value) in (tuple, list, dict) and _plain(value):
            text, size = [], 0
            for piece in _pieces(value):
                text.append(piece)
                size += len(piece)
                if size > REPR_CHARS:
                    break
            return short_repr_of("".join(text))
        return short_repr_of(repr(value))
    except Exception:  # the object is user code: its __repr__ may raise anything
        return short_repr_of(f"<{type(value).__name__} whose repr raised>")


def short_repr_of(text: str) -> str:
    """``text`` cut at REPR_CHARS characters (``...`` marking the cut)."""
    return text if len(text) <= REPR_CHARS else text[:REPR_CHARS] + "..."


def visible(text: str) -> str:
    """``text`` with every control character but newline and tab escaped (no cursor tricks)."""
    return "".join(c if c in "\n\t" or c.isprintable() else repr(c)[1:-1] for c in text)


def quoted(text: str, limit: int) -> str:
    """The child's text as the parent shows it: at most ``limit`` characters, control
    characters escaped, a line that starts like a verdict marked ``> `` (it is not one)."""
    lines = visible(text[:limit]).splitlines()
    return "\n".join(f"> {line}" if line.lstrip().startswith("verdict") else line
                     for line in lines)


class Encoder:
    """Encodes one message; ``opaque(value)`` gives the node of a value that is not plain data
    (a handle, a tensor's values, an array-like's array)."""

    def __init__(self, opaque: Callable[[Any], Any]) -> None:
        self.opaque = opaque
        self.chunks: list[bytes] = []
        self.size = 0

    def _bytes(self, arr: np.ndarray) -> list[Any]:
        data = np.ascontiguousarray(arr).tobytes()
        where = [arr.dtype.name, list(arr.shape), self.size, len(data)]
        self.chunks.append(data)
        self.size += len(data)
        return where

    def value(self, v: Any, depth: int = 0) -> Any:
        """The JSON tree of ``v`` (arrays' bytes go to the payload)."""
        if v is None or isinstance(v, bool | str):
            return v
        if type(v) is int or type(v) is float:
            return v
        if depth < MAX_DEPTH:
            if type(v) is list:
                return {"l": [self.value(x, depth + 1) for x in v]}
            if type(v) is tuple:
                return {"t": [self.value(x, depth + 1) for x in v]}
            if type(v) is dict:
                return {"d": [[self.value(k, depth + 1), self.value(x, depth + 1)]
                              for k, x in v.items()]}
        if type(v) is complex:
            return {"c": [v.real, v.imag]}
        if isinstance(v, np.ndarray) and v.dtype.name in DTYPES:
            return {"a": self._bytes(np.asarray(v))}
        if isinstance(v, np.generic) and v.dtype.name in DTYPES:
            return {"s": self._bytes(np.asarray(v))}
        return self.opaque(v)

    def stack(self, values: list[Any]) -> dict[str, Any] | None:
        """The ``"A"`` node of ``values``, all arrays (or all NumPy scalars) of one dtype and
        shape; None for anything else (then :meth:`value` encodes them one by one)."""
        if not values:
            return None
        first = values[0]
        kind = "a" if type(first) is np.ndarray else "s" if isinstance(first, np.generic) else ""
        if not kind or first.dtype.name not in DTYPES or not all(
                (type(v) is np.ndarray if kind == "a" else isinstance(v, np.generic))
                and v.dtype == first.dtype and v.shape == first.shape for v in values):
            return None
        return {"A": [*self._bytes(np.stack(values)), kind]}

    def tensor(self, values: np.ndarray, requires_grad: bool) -> dict[str, Any]:
        """A torch tensor's node, from its NumPy values."""
        return {"T": [*self._bytes(values), bool(requires_grad)]}

    def frame(self, header: dict[str, Any]) -> bytes:
        """The whole message: prefix, JSON header, payload."""
        head = json.dumps(header, separators=(",", ":")).encode()
        return PREFIX.pack(len(head), self.size) + head + b"".join(self.chunks)


def split_prefix(prefix: bytes, cap: int) -> tuple[int, int]:
    """(header length, payload length) from the 12-byte prefix; WireError over the caps."""
    head, payload = PREFIX.unpack(prefix)
    if head > MAX_HEADER or head + payload > cap:
        raise WireError(f"a message of {head + payload:,} bytes (the cap is {cap:,})")
    return head, payload


class Decoder:
    """Decodes one message's tree; ``tensor`` and ``opaque`` build what those nodes become."""

    def __init__(self, payload: bytes, tensor: Callable[[np.ndarray, bool], Any],
                 opaque: Callable[[Opaque], Any]) -> None:
        self.payload = payload
        self.tensor = tensor
        self.opaque = opaque

    def _array(self, spec: Any) -> np.ndarray:
        if not isinstance(spec, list) or len(spec) < 4:
            raise WireError("a malformed array node")
        dtype, shape, offset, nbytes = spec[:4]
        if dtype not in DTYPES or not isinstance(shape, list) or not all(
                type(d) is int and d >= 0 for d in shape):
            raise WireError(f"an array of dtype {dtype!r} / shape {shape!r} is not accepted")
        if type(offset) is not int or type(nbytes) is not int or offset < 0 or (
                offset + nbytes > len(self.payload)):
            raise WireError("an array outside the payload")
        if math.prod(shape) * np.dtype(dtype).itemsize != nbytes:
            raise WireError("an array whose size does not match its shape")
        flat = np.frombuffer(self.payload, dtype=dtype, count=math.prod(shape), offset=offset)
        return flat.reshape(shape).copy()

    def value(self, node: Any, depth: int = 0) -> Any:
        """The value of one node."""
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if depth > MAX_DEPTH or not isinstance(node, dict) or len(node) != 1:
            raise WireError("a malformed node")
        (tag, body), = node.items()
        if tag in ("l", "t"):
            items = [self.value(x, depth + 1) for x in self._list(body)]
            return items if tag == "l" else tuple(items)
        if tag == "d":
            pairs = [self._list(p) for p in self._list(body)]
            if any(len(p) != 2 for p in pairs):
                raise WireError("a malformed dict node")
            return {self._key(p[0], depth): self.value(p[1], depth + 1) for p in pairs}
        if tag == "a":
            return self._array(body)
        if tag == "s":
            return self._array(body)[()]
        if tag == "A":
            stacked, kind = self._array(body), body[4] if len(body) > 4 else None
            if stacked.ndim == 0 or kind not in ("a", "s") or (kind == "s" and stacked.ndim != 1):
                raise WireError("a malformed stack node")
            return [stacked[i] if kind == "s" else np.array(stacked[i])
                    for i in range(len(stacked))]
        if tag == "T":
            return self.tensor(self._array(body), bool(body[4]) if len(body) > 4 else False)
        if tag == "c":
            re_im = self._list(body)
            return complex(float(re_im[0]), float(re_im[1]))
        if tag == "h":
            h = self._list(body)
            if len(h) not in (3, 4) or type(h[0]) is not int:
                raise WireError("a malformed handle")
            raises = h[3] if len(h) == 4 and isinstance(h[3], dict) else None
            return self.opaque(Opaque(h[0], str(h[1])[:100], str(h[2])[:REPR_CHARS + 3],
                                      raises))
        raise WireError(f"an unknown node {tag!r}")

    def _key(self, node: Any, depth: int) -> Any:
        key = self.value(node, depth + 1)
        try:
            hash(key)
        except TypeError:
            raise WireError("an unhashable dict key") from None
        return key

    @staticmethod
    def _list(body: Any) -> list[Any]:
        if not isinstance(body, list):
            raise WireError("a malformed node")
        return body


def parse_header(data: bytes) -> dict[str, Any]:
    """The JSON header (a dict), WireError otherwise."""
    try:
        header = json.loads(data.decode())
    except (ValueError, RecursionError) as exc:
        raise WireError(f"an unreadable header ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise WireError("a header that is not an object")
    return header
