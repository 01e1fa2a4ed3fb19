"""The parent's view of the submission: :class:`RemoteModule`, proxies of its functions.

A proxy call encodes its arguments (:mod:`~comparisons.verification.sandbox.wire`), the child
runs the student's function, and the proxy returns its outputs decoded: arrays, lists, tuples,
dicts, numbers; torch tensors as tensors. What is not data stays in the child: the parent gets
a stand-in (an instance of a class named like the child's type, so messages name it) that can
be passed back to a later call; ``forward``'s proxy always leaves its cache there. An argument
the call edited in place (a dict, a list, an array) is edited the same way in the caller's
object. An exception in the student's code is raised as
:class:`~comparisons.verification.guard.ChildError` (an instance of a subclass named like the
child's exception), an exit, a crash or a limit as :class:`~comparisons.verification.guard.
ChildExit`. A custom layer's ``reference`` runs in the child with autograd there:
:class:`RemoteReference` joins its graph to the parent's through :class:`Bridge`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import torch

from comparisons.verification.guard import ChildError, ChildExit, StructureError, UserCodeError
from comparisons.verification.sandbox.process import Sandbox
from comparisons.verification.sandbox.wire import Decoder, Encoder, Opaque, WireError, quoted

MAX_CLASSES = 256
_CLASSES: dict[tuple[str, bool], type] = {}


class Remote:
    """A stand-in for an object kept in the child (a cache, an odd return value)."""

    def __init__(self, session: Session, handle: Opaque, raises: Any = None) -> None:
        self.handle_id, self.text = handle.id, handle.text
        self.session, self.raises = session, raises

    def __repr__(self) -> str:
        return self.text

    def __copy__(self) -> Remote:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Remote:
        return self

    def __del__(self) -> None:
        self.session.release.append(self.handle_id)


def _array(self: Remote, *args: Any, **kwargs: Any) -> Any:
    """An array-like whose ``__array__`` failed in the child fails the same way here."""
    raise failure(self.raises)


def remote_class(type_name: str, raises: bool) -> type:
    """The stand-in class for the child's ``type_name`` (``__array__`` replayed if it raised)."""
    name = type_name if type_name.isidentifier() else "object"
    if len(_CLASSES) >= MAX_CLASSES and (name, raises) not in _CLASSES:
        name = "object"
    if (name, raises) not in _CLASSES:
        body = {"__array__": _array} if raises else {}
        _CLASSES[name, raises] = type(name, (Remote,), body)
    return _CLASSES[name, raises]


def failure(error: Any) -> BaseException:
    """The parent's exception for the child's error record."""
    if not isinstance(error, dict):
        return ChildExit("a malformed error", "", "sent a malformed error")
    reason = " ".join(quoted(str(error.get("reason", "raised an exception")), 300).split())
    text, message = quoted(str(error.get("text", "")), 20000), str(error.get("message", ""))
    if error.get("exit"):
        return ChildExit(f"{reason}", text, reason)
    name = str(error.get("type", "Exception"))
    cls = type(name if name.isidentifier() else "Exception", (ChildError,), {})
    exc = cls(message, text, reason)
    exc.missing = None if error.get("missing") is None else str(error["missing"])
    return exc


class Session:
    """The parent's end of one child: encode, request, decode, release handles."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.release: list[int] = []
        self.refused: list[str] = []  # actions refused whose error the code caught

    def _node(self, enc: Encoder, value: Any) -> Any:
        if isinstance(value, Remote):
            return {"h": [value.handle_id, "", ""]}
        if isinstance(value, torch.Tensor):
            return enc.tensor(value.detach().cpu().numpy(), value.requires_grad)
        raise TypeError(f"the sandbox cannot send a {type(value).__name__} to the child")

    def _decoder(self, payload: bytes) -> Decoder:
        def opaque(h: Opaque) -> Remote:
            return remote_class(h.type_name, h.raises is not None)(self, h, h.raises)

        return Decoder(payload, lambda arr, grad: torch.from_numpy(arr), opaque)

    def request(self, header: dict[str, Any], values: dict[str, Any], calls: int = 1
                ) -> dict[str, Any]:
        """One request; the reply's header with its values decoded (key ``decoded``)."""
        enc = Encoder(lambda v: self._node(enc, v))
        header = {**header, **{k: enc.value(v) for k, v in values.items()},
                  "release": self.release[:]}
        self.release.clear()
        reply, payload = self.sandbox.request(enc, header, calls)
        if "error" in reply:
            raise failure(reply["error"])
        for what in reply.get("refused", ())[:20]:
            note = " ".join(quoted(str(what), 300).split())
            if note not in self.refused and len(self.refused) < 20:
                self.refused.append(note)
        dec = self._decoder(payload)
        try:
            reply["decoded"] = {"value": dec.value(reply.get("value")), "edited": [
                (key, dec.value(node)) for key, node in reply.get("edited", ())]}
            if "constants" in reply:
                reply["decoded"]["constants"] = {str(k): dec.value(v)
                                                 for k, v in dict(reply["constants"]).items()}
        except (WireError, ValueError, TypeError, AttributeError) as exc:
            self.sandbox.kill()
            raise ChildExit(str(exc), "", f"sent a reply the sandbox refuses: {exc}") from None
        return reply


def apply_edits(edited: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Copy what the child's call edited in place into the caller's arguments."""
    for key, new in edited or ():
        old = args[key] if isinstance(key, int) and key < len(args) else kwargs.get(key)
        if isinstance(old, np.ndarray) and isinstance(new, np.ndarray) and (
                old.shape == new.shape and old.dtype == new.dtype and old.flags.writeable):
            np.copyto(old, new)
        elif isinstance(old, dict) and isinstance(new, dict):
            old.clear()
            old.update(new)
        elif isinstance(old, list) and isinstance(new, list):
            old[:] = new


class RemoteFunction:
    """A proxy of one of the submission's functions; ``keep``: result items left in the child."""

    def __init__(self, session: Session, name: str, keep: tuple[int, ...] = ()) -> None:
        self.session, self.__name__, self.keep = session, name, keep
        self.__qualname__ = name
        if keep:  # a forward: finite differences' calls go in one request (and a wrapper
            self.perturbed = self.run_perturbed  # made by functools.wraps keeps this)

    def run_perturbed(self, args: list[Any], kwargs: dict[str, Any], where: int | str,
                      x64: np.ndarray, idx: np.ndarray, offsets: np.ndarray) -> list[Any]:
        """The outs at x64 with ``x64.flat[idx[k]] += offsets[k]`` given as input ``where``
        (see :func:`comparisons.core.ops.indexed_objective`); a failure is the forward's."""
        try:
            reply = self.session.request(
                {"op": "perturbed", "fn": self.__name__, "where": where},
                {"args": args, "kwargs": kwargs, "x": np.asarray(x64), "idx": idx,
                 "offsets": offsets}, len(idx))
        except (ChildError, ChildExit) as exc:
            raise UserCodeError(f"your {self.__name__}", exc.text, exc.reason) from None
        if "bad" in reply:
            raise StructureError(f"your forward: expected a tuple (out, cache), got "
                                 f"{reply['bad']}")
        return list(reply["decoded"]["value"])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self.session.request({"op": "call", "fn": self.__name__, "keep": self.keep},
                                     {"args": list(args), "kwargs": kwargs})
        apply_edits(reply["decoded"].get("edited"), args, kwargs)
        return reply["decoded"]["value"]


class Bridge(torch.autograd.Function):
    """The child's reference graph as one autograd function of the parent's leaves."""

    @staticmethod
    def forward(ctx: Any, session: Session, graph: int, value: torch.Tensor,
                *leaves: torch.Tensor) -> torch.Tensor:
        ctx.session, ctx.graph = session, graph
        ctx.dtypes = [leaf.dtype for leaf in leaves]
        return value.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        reply = ctx.session.request({"op": "grad", "graph": ctx.graph},
                                    {"dout": grad.detach().numpy()})
        grads = reply["decoded"]["value"]
        out = [None if g is None else torch.as_tensor(g, dtype=d)
               for g, d in zip(grads, ctx.dtypes, strict=True)]
        return (None, None, None, *out)


class RemoteReference(RemoteFunction):
    """The proxy of a custom layer's ``reference``: its value, differentiable in the parent."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self.session.request({"op": "call", "fn": self.__name__, "kind": "reference"},
                                     {"args": list(args), "kwargs": kwargs})
        value, graph = reply["decoded"]["value"], reply.get("graph")
        leaves = [a for a in (*args, *kwargs.values())
                  if isinstance(a, torch.Tensor) and a.requires_grad]
        if isinstance(value, torch.Tensor) and isinstance(graph, int) and leaves:
            return Bridge.apply(self.session, graph, value, *leaves)
        return value


class RemoteModule:
    """The submission as the loader reads a module: constants and proxies of its callables."""

    def __init__(self, session: Session, constants: dict[str, Any], callables: list[str],
                 forwards: Collection[str] = ("forward",)) -> None:
        for name, value in constants.items():
            setattr(self, name, value)
        for name in callables:  # a forward's cache stays in the child
            make: Callable[..., Any] = RemoteReference if name == "reference" else RemoteFunction
            setattr(self, name, make(session, name, (1,) if name in forwards else ()))
