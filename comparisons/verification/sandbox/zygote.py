"""The parent's end of the fork server (:mod:`~comparisons.verification.sandbox.forkserver`).

:class:`Zygote` starts the server once (a fresh interpreter in its own session, the child's
environment) and :meth:`Zygote.start` is a :data:`~comparisons.verification.sandbox.process.
Start`: it hands the server a scratch folder and the child's pipe ends and returns a
:class:`Forked` process (its pid, and its exit code from the server's ``exit`` lines). Safe to
share between threads (one lock around the socket). POSIX only (``fork``, SCM_RIGHTS).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from comparisons.verification.sandbox.limits import PRELOADS
from comparisons.verification.sandbox.process import child_env, ready

WAIT = 10.0  # seconds the server may take to fork
SERVERS = {(): "comparisons.verification.sandbox.forkserver",
           ("torch",): "comparisons.verification.sandbox.torch_forkserver"}
"""The server's module for each preload of :data:`~.limits.PRELOADS`."""


class Zygote:
    """One fork server; ``start(scratch, c_read, c_write)`` forks a child from it.
    ``preload``: modules of :data:`~.limits.PRELOADS` it imports before forking."""

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        if tuple(preload) not in SERVERS:
            raise ValueError(f"preload: expected () or one of {PRELOADS} alone, got "
                             f"{preload!r}")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.root = Path(tempfile.mkdtemp(prefix="backprop-lab-forkserver-"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", SERVERS[preload[:1]], str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), cwd=self.root,
            env=child_env(self.root), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.sock = mine
        self.lock = threading.Lock()
        self.pending = b""
        self.codes: dict[int, int] = {}

    def _line(self, timeout: float) -> dict[str, int] | None:
        """The server's next line (None when none came in time); exit lines are recorded."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not ready(self.sock.fileno(), left):
                return None
            data = self.sock.recv(65536)
            if not data:
                raise OSError("the fork server ended")
            self.pending += data
        line, self.pending = self.pending.split(b"\n", 1)
        msg = json.loads(line)
        if "exit" in msg:
            self.codes[int(msg["exit"])] = int(msg["code"])
        return {str(k): int(v) for k, v in msg.items()}

    def start(self, scratch: Path, c_read: int, c_write: int) -> Forked:
        """Fork a child serving on the pipe ends in ``scratch``."""
        with self.lock:
            socket.send_fds(self.sock, [json.dumps({"scratch": str(scratch)}).encode()],
                            [c_read, c_write])
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                msg = self._line(deadline - time.monotonic())
                if msg is not None and "pid" in msg:
                    return Forked(self, msg["pid"])
        raise OSError("the fork server did not answer")

    def code(self, pid: int, timeout: float) -> int | None:
        """The exit code of child ``pid`` once it ended (None if not within ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while pid not in self.codes:
                left = deadline - time.monotonic()
                if left <= 0 or self._line(left) is None:
                    return None
            return self.codes.pop(pid)

    def close(self) -> None:
        """Stop the server (its children are killed by their sandboxes)."""
        self.sock.close()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class Forked:
    """A child forked by the server: the :class:`~comparisons.verification.sandbox.process.
    Process` interface, its exit code read from the server."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote, self.pid = zygote, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        if self.returncode is None:
            self.returncode = self.zygote.code(self.pid, 0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end; ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
        if self.returncode is None:
            self.returncode = self.zygote.code(self.pid, WAIT if timeout is None else timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", WAIT if timeout is None else timeout)
        return self.returncode
