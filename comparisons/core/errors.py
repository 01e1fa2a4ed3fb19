"""Errors the CLI turns into one clear line and exit code 2."""

from __future__ import annotations


class UsageError(Exception):
    """A usage problem (bad argument, missing file, unknown op): one line on stderr, exit 2."""
