"""Running a user's code safely: an exception inside it becomes a report, never a crash.

Every call into the user's ``forward``/``backward``/``reference`` goes through :func:`guarded`,
which turns any exception into :class:`UserCodeError` carrying the traceback trimmed to the
user's frames (the harness's own frames above them are dropped). A return value of the wrong
structure (not ``(out, cache)``, a tuple of the wrong length) is a :class:`StructureError`.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any


class UserCodeError(Exception):
    """An exception raised inside the user's code; ``text`` is the trimmed traceback."""

    def __init__(self, where: str, text: str) -> None:
        super().__init__(f"{where} raised an exception")
        self.where = where
        self.text = text


class StructureError(Exception):
    """The user's code returned something of the wrong structure (one clear sentence)."""


def user_traceback(exc: BaseException, skip: int = 1) -> str:
    """The traceback of ``exc`` without its first ``skip`` frames (the harness's wrapper)."""
    frames = traceback.extract_tb(exc.__traceback__)[skip:]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def guarded(fn: Callable[..., Any], where: str) -> Callable[..., Any]:
    """``fn`` wrapped so that any exception it raises becomes a :class:`UserCodeError`."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserCodeError:
            raise
        except Exception as exc:  # the user's code may raise anything
            raise UserCodeError(where, user_traceback(exc)) from exc

    return call


def error_text(exc: UserCodeError | StructureError) -> str:
    """What goes into ``VerifyReport.error``: a headline, then the traceback if any."""
    if isinstance(exc, UserCodeError):
        return f"{exc.where} raised an exception:\n{exc.text}"
    return str(exc)
