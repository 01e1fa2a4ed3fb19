"""Running a user's code safely: anything raised inside it becomes a report, never a crash.

Every call into the user's ``forward``/``backward``/``reference`` goes through :func:`guarded`,
which turns whatever the call raises into :class:`UserCodeError` carrying the reason and the
traceback trimmed to the user's frames (the harness's own frames above them are dropped). That
includes the ways code *ends* rather than fails: ``sys.exit(n)`` / ``exit()`` (SystemExit, any
code, 0 too), ``KeyboardInterrupt`` and any other ``BaseException``; each is a failed check,
``"your backward called sys.exit(0)"``, never the end of ``verify``. A KeyboardInterrupt that
arrives while the user's function runs is counted as that function ending, even when it is a
real Ctrl-C at the terminal (Python cannot tell the two apart): verify stops at once with the
failed check and exit 1. A Ctrl-C during the harness's own work still ends the program (exit
130). :func:`contained` extends the net to user code the harness runs indirectly (an
``__array__`` or ``__len__`` of an object the user returned): a SystemExit or other non-Exception
raised there is the user's too. ``os._exit``, endless loops and memory bombs need a separate
process: :mod:`comparisons.verification.sandbox`, whose failures arrive here as
:class:`ChildError` (an exception there) and :class:`ChildExit` (an exit, a crash, a limit) and
read as the user's own (:func:`exit_reason`, :func:`user_traceback`). A return value of the
wrong structure (not ``(out, cache)``, a tuple of the wrong length) is a
:class:`StructureError`.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parents[1]  # the comparisons package


class UserCodeError(Exception):
    """Something raised inside the user's code; ``reason`` says what, ``text`` is the trimmed
    traceback. ``where`` is ``"your backward"``, ``"importing FILE"``..."""

    def __init__(self, where: str, text: str, reason: str = "raised an exception") -> None:
        super().__init__(f"{where} {reason}")
        self.where = where
        self.text = text
        self.reason = reason


class ChildError(Exception):
    """An ordinary exception raised by the user's code in the sandbox's child process:
    ``str()`` is its message there, ``text`` its traceback, ``reason`` how it ended."""

    def __init__(self, message: str, text: str, reason: str = "raised an exception") -> None:
        super().__init__(message)
        self.text = text
        self.reason = reason
        self.missing: str | None = None  # the file a FileNotFoundError at import names


class ChildExit(BaseException):
    """The user's code in the sandbox's child ended instead of failing: an exit, a crash, a
    limit hit (``reason``: "exceeded the 10 s time limit"); ``text`` its traceback, if any."""

    def __init__(self, message: str, text: str, reason: str) -> None:
        super().__init__(message)
        self.text = text
        self.reason = reason


class StructureError(Exception):
    """The user's code returned something of the wrong structure (one clear sentence)."""


def exit_reason(exc: BaseException) -> str:
    """How ``exc`` ended the user's code: ``"called sys.exit(0)"``, ``"raised KeyboardInterrupt"``,
    ``"raised an exception"`` (an ordinary Exception; the traceback names it)."""
    if isinstance(exc, ChildError | ChildExit):
        return exc.reason
    if isinstance(exc, SystemExit):
        return "called sys.exit()" if exc.code is None else f"called sys.exit({exc.code!r})"
    if isinstance(exc, Exception):
        return "raised an exception"
    return f"raised {type(exc).__name__}"


def user_traceback(exc: BaseException, skip: int = 1) -> str:
    """The traceback of ``exc`` without its first ``skip`` frames (the harness's wrapper);
    for an exception of the sandbox's child, the child's traceback."""
    if isinstance(exc, ChildError | ChildExit):
        return exc.text
    frames = traceback.extract_tb(exc.__traceback__)[skip:]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def guarded(fn: Callable[..., Any], where: str) -> Callable[..., Any]:
    """``fn`` wrapped so that anything it raises (SystemExit and KeyboardInterrupt included)
    becomes a :class:`UserCodeError`."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserCodeError:
            raise
        except BaseException as exc:  # the user's code may raise, exit or be interrupted
            raise UserCodeError(where, user_traceback(exc), exit_reason(exc)) from exc

    return call


def _outside_harness(exc: BaseException) -> int:
    """How many leading frames of ``exc``'s traceback are the harness's own."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [Path(f.filename).resolve().is_relative_to(HARNESS) for f in frames]
    return next((i for i, ok in enumerate(inside) if not ok), len(frames))


def contained(run: Callable[..., Any]) -> Callable[..., Any]:
    """``run`` (a whole verification) wrapped so that a SystemExit or other non-Exception
    ``BaseException`` escaping it becomes a :class:`UserCodeError`: the harness raises neither,
    so one can only come from user code run outside :func:`guarded` (a method of a returned
    object). KeyboardInterrupt passes through: there, it is the user stopping the program."""

    @functools.wraps(run)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except (UserCodeError, KeyboardInterrupt, Exception):
            raise
        except BaseException as exc:
            text = user_traceback(exc, skip=_outside_harness(exc))
            raise UserCodeError("your code (a value it returned)", text,
                                exit_reason(exc)) from exc

    return call


def error_text(exc: UserCodeError | StructureError) -> str:
    """What goes into ``VerifyReport.error``: a headline, then the traceback if any."""
    if isinstance(exc, UserCodeError):
        return f"{exc.where} {exc.reason}:\n{exc.text}"
    return str(exc)
