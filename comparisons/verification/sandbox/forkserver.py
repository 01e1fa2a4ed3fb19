"""The fork server: ``python -m comparisons.verification.sandbox.forkserver SOCKET_FD``.

A warm start for many submissions: this process imports NumPy and the child's code once, then
forks one child per request, so a submission costs a fork, not a Python start. It never runs a
student's code itself (the audit hook and the limits are set in each forked child, after the
fork). Over the Unix socket the parent sends a one-line JSON request (the child's scratch
folder) with the child's two pipe ends attached (SCM_RIGHTS); this answers ``{"pid": N}``,
and ``{"exit": N, "code": C}`` (C as ``Popen.returncode``: negative for a signal) when a child
ends, so the parent can say how it ended. The forked child starts a session of its own (its
process group is killed as a whole) and serves its submission as
:mod:`~comparisons.verification.sandbox.child` does. Each child serves one submission only.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

import numpy.typing  # noqa: F401 - students' typed files import it: once here, not per child

from comparisons.verification.sandbox.child import Child


def _reap(sock: socket.socket) -> None:
    """Tell the parent about every child that ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        sock.sendall(json.dumps({"exit": pid, "code": code}).encode() + b"\n")


def _woken(signum: int, frame: object) -> None:
    """SIGCHLD's handler: nothing; the signal's byte on the wakeup pipe ends the poll."""


def serve(sock: socket.socket) -> tuple[int, int, str] | None:
    """Fork children until the parent closes the socket. Returns, in a forked child only,
    its (read fd, write fd, scratch folder); None in the server when it is done.

    A child's end wakes the server at once (SIGCHLD through :func:`signal.set_wakeup_fd`),
    so its exit line reaches the parent within a scheduler tick, not a polling period: the
    parent waits for it whenever it closes a sandbox."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, _woken)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    while True:
        _reap(sock)
        events = dict(poller.poll(1000))
        if wake_r in events:
            while True:
                try:
                    if not os.read(wake_r, 512):
                        break
                except BlockingIOError:
                    break
        if sock.fileno() not in events:
            continue
        msg, fds, _, _ = socket.recv_fds(sock, 65536, 2)
        if not msg:
            return None
        scratch = str(json.loads(msg)["scratch"])
        pid = os.fork()
        if pid == 0:  # the child: the server's signal set-up and pipe are not its own
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(wake_r)
            os.close(wake_w)
            sock.close()
            os.setsid()
            return fds[0], fds[1], scratch
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def main(argv: list[str]) -> None:
    """Serve; in a forked child, chdir to its scratch folder and serve its submission."""
    sys.dont_write_bytecode = True
    forked = serve(socket.socket(fileno=int(argv[1])))
    if forked is not None:
        rfd, wfd, scratch = forked
        os.chdir(scratch)
        Child(rfd, wfd).serve()


if __name__ == "__main__":
    main(sys.argv)
