"""The fork server with torch imported first:
``python -m comparisons.verification.sandbox.torch_forkserver SOCKET_FD``.

The same server as :mod:`~comparisons.verification.sandbox.forkserver` (see
:data:`~comparisons.verification.sandbox.limits.PRELOADS`): its children, forked after torch
was imported, find it in ``sys.modules`` (a lab notebook's ``import torch`` costs nothing) and
still run only the student's code, under the same limits and audit hook.
"""

from __future__ import annotations

import sys

import torch  # noqa: F401 - the preload itself

from comparisons.verification.sandbox.forkserver import main

if __name__ == "__main__":
    main(sys.argv)
