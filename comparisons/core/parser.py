"""The argument parser every ``backprop-lab`` command uses: one-line usage errors, options
recorded in order.

:class:`Parser` is argparse's parser, except that a usage error raises
:class:`~comparisons.core.errors.UsageError` (``backprop-lab: error: ...``, exit 2) and every option
added is listed in :attr:`Parser.options`, which ``backprop-lab experiment`` reads to write the
command that reproduces a run.
"""

from __future__ import annotations

import argparse
from typing import Any

from comparisons.core.errors import UsageError


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``backprop-lab: error: ...``) and exit 2, and
    ``options`` lists the actions of every ``add_argument`` call, in order (``-h`` included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.options: list[argparse.Action] = []  # before argparse adds -h through add_argument
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """argparse's ``add_argument``; the new action is also appended to ``options``."""
        action = super().add_argument(*args, **kwargs)
        self.options.append(action)
        return action

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        """argparse's argument group, whose options are appended to ``options`` too."""
        return RecordingGroup(super().add_argument_group(*args, **kwargs), self.options)

    def add_mutually_exclusive_group(self, **kwargs: Any) -> Any:
        """argparse's mutually exclusive group, whose options go to ``options`` too."""
        return RecordingGroup(super().add_mutually_exclusive_group(**kwargs), self.options)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


class RecordingGroup:
    """An argparse group whose ``add_argument`` also appends the new action to ``options``;
    every other attribute is the group's."""

    def __init__(self, group: Any, options: list[argparse.Action]) -> None:
        self.group, self.options = group, options

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """The group's ``add_argument``; the action is recorded."""
        action: argparse.Action = self.group.add_argument(*args, **kwargs)
        self.options.append(action)
        return action

    def __getattr__(self, name: str) -> Any:
        return getattr(self.group, name)
