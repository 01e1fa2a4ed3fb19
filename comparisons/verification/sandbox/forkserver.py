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
import socket
import sys

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


def serve(sock: socket.socket) -> tuple[int, int, str] | None:
    """Fork children until the parent closes the socket. Returns, in a forked child only,
    its (read fd, write fd, scratch folder); None in the server when it is done."""
    while True:
        _reap(sock)
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        if not poller.poll(50):
            continue
        msg, fds, _, _ = socket.recv_fds(sock, 65536, 2)
        if not msg:
            return None
        scratch = str(json.loads(msg)["scratch"])
        pid = os.fork()
        if pid == 0:
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
