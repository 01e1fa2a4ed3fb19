"""The parent's end of one child: start it, send a request, wait for the reply, never hang.

:class:`Sandbox` starts ``python -m comparisons.verification.sandbox.child`` in its own process
group (its own session), its working directory a fresh temporary folder (``work/``) holding
only a copy of the submission, stdin from ``/dev/null``, a minimal environment (no variable of
the parent's but the locale; one thread per math library), talking over two dedicated pipes.
Every wait polls with a deadline: a reply later than the call's time limit (or what is left
of the total) kills the whole process group. A child that dies or breaks the wire format fails
the call with why: :meth:`Sandbox.request` raises :class:`~comparisons.verification.guard.
ChildExit` with the reason ("exceeded the 10 s time limit", "ended the process with exit code
0 (os._exit)", "crashed: SIGSEGV (segmentation fault)", "printed more than the 1024 KB output
limit"). :meth:`Sandbox.close` kills the group and removes the folder.
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from comparisons.verification.guard import ChildExit
from comparisons.verification.sandbox.limits import MB, SHOWN, Limits
from comparisons.verification.sandbox.wire import (
    PREFIX,
    Encoder,
    WireError,
    parse_header,
    split_prefix,
)

PROJECT = Path(__file__).resolve().parents[3]
PACKAGES = ("comparisons", "handmade", "reference")
SIGNAL_NAMES: dict[int, str] = {
    int(getattr(signal, name)): f"{name}{label}" for name, label in (
        ("SIGSEGV", " (segmentation fault)"), ("SIGKILL", ""), ("SIGABRT", " (abort)"),
        ("SIGBUS", " (bus error)"), ("SIGFPE", " (arithmetic error)"), ("SIGILL", ""))
    if hasattr(signal, name)}


def ready(fd: int, timeout: float, write: bool = False) -> bool:
    """``fd`` readable (or writable) within ``timeout`` seconds: poll(), which, unlike
    select(), takes descriptors above 1023 (a long-running grader has many open)."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(max(timeout, 0.0) * 1000))


def child_env(home: Path) -> dict[str, str]:
    """The child's environment: the project importable, one thread per math library."""
    env = {"PYTHONPATH": str(PROJECT), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
           "PYTHONNOUSERSITE": "1", "HOME": str(home), "TMPDIR": str(home),
           "MPLCONFIGDIR": str(home), "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    for var in ("SYSTEMROOT", "PATH"):  # Windows cannot start Python without SYSTEMROOT
        if var in os.environ:
            env[var] = os.environ[var]
    return env


@functools.cache
def read_roots() -> frozenset[str]:
    """What every child may read (the installation, packages, system data): computed once."""
    roots = {p for k, p in sysconfig.get_paths().items() if k != "scripts"}
    roots |= {str(PROJECT / p) for p in PACKAGES}
    roots |= {str(p) for p in PROJECT.glob("*.egg-info")}  # metadata torch's import scans
    roots |= {p for p in ("/usr/share", "/usr/local/share", "/etc/fonts")
              if os.path.isdir(p)}  # system data (fonts: matplotlib's import lists them)
    return frozenset(roots)


class Process(Protocol):
    """What the parent needs of a child process (``subprocess.Popen`` has it)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


Start = Callable[[Path, int, int], Process]
"""Starts a child serving on the pipe ends (read fd, write fd) in a scratch folder."""


def start_python(scratch: Path, c_read: int, c_write: int) -> Process:
    """A fresh interpreter in its own session (the cold start); a start refused for want of
    resources (EAGAIN, ENOMEM on a loaded machine) is tried again twice."""
    for attempt in range(3):
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "comparisons.verification.sandbox.child", str(c_read),
                 str(c_write)], pass_fds=(c_read, c_write), cwd=scratch,
                env=child_env(scratch), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=sys.platform != "win32")
        except (BlockingIOError, MemoryError):
            if attempt == 2:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


class Sandbox:
    """One child process and its folder; ``request`` is one call, under the limits."""

    def __init__(self, limits: Limits, start: Start | None = None) -> None:
        self.limits = limits
        self.root = Path(tempfile.mkdtemp(prefix="backprop-lab-sandbox-"))
        self.scratch = self.root / "work"
        self.scratch.mkdir()
        self.output = self.root / "printed.txt"
        self.used = 0.0
        c_read, p_write = os.pipe()
        p_read, c_write = os.pipe()
        self.proc = (start or start_python)(self.scratch, c_read, c_write)
        os.close(c_read)
        os.close(c_write)
        self.rfd, self.wfd = p_read, p_write
        os.set_blocking(self.wfd, False)
        self.dead: str | None = None
        self.reaper: Callable[[Callable[[], None]], None] | None = None

    def load_request(self, name: str, units: list[tuple[str, str]] | None = None,
                     folder: Path | None = None) -> dict[str, Any]:
        """The ``load`` request: paths, limits, read roots; ``units``: the (filename, source)
        pairs to run (default: the file ``name``), ``folder``: one the code may read (its data,
        linked into the scratch folder by :meth:`link_folder`)."""
        lim = self.limits
        refused = [PROJECT / p for p in lim.no_import if (PROJECT / p).is_dir()]
        roots = set(read_roots())
        if folder is not None:
            roots.add(str(folder))
        return {"op": "load", "scratch": str(self.scratch), "file": name, "project": str(PROJECT),
                "output": str(self.output), "memory_mb": lim.memory_mb,
                "cpu_seconds": lim.cpu_seconds, "file_size_mb": lim.file_size_mb,
                "read_roots": sorted(roots), "refused_roots": [str(p) for p in refused],
                "no_import": list(lim.no_import), "units": units}

    def link_folder(self, folder: Path) -> None:
        """Link each entry of ``folder`` into the scratch folder (a notebook's data files, read
        as if it ran in its folder; a write to a linked name is refused, new files are not)."""
        for entry in folder.iterdir():
            link = self.scratch / entry.name
            if not link.exists():
                link.symlink_to(entry)

    # -- one request ----------------------------------------------------------------------
    def request(self, enc: Encoder, header: dict[str, Any], calls: int = 1
                ) -> tuple[dict[str, Any], bytes]:
        """Send one request (of ``calls`` calls into the student's code, each allowed the
        call time limit), return the reply's (header, payload); ChildExit on any limit."""
        if self.dead is not None:
            raise ChildExit(self.dead, "", self.dead)
        per_call = (self.limits.import_timeout if header.get("op") == "load"
                    else self.limits.call_timeout * calls)
        budget = min(per_call, self.limits.total_timeout - self.used)
        start = time.monotonic()
        deadline = start + max(budget, 0.0)
        try:
            self._write(enc.frame(header), deadline)
            head, size = split_prefix(self._read(PREFIX.size, deadline),
                                      self.limits.message_mb * MB)
            data = self._read(head + size, deadline)
        except TimeoutError:
            total = budget < per_call
            limit = self.limits.total_timeout if total else per_call / calls
            self._fail(f"exceeded the {limit:g} s {'total ' if total else ''}time limit")
        except EOFError:
            self._fail(self._ended())
        except WireError as exc:
            self._fail(f"sent a reply the sandbox refuses: {exc}")
        finally:
            self.used += time.monotonic() - start
        if self.output_flooded():
            self._fail(f"printed more than the {self.limits.output_kb} KB output limit")
        return parse_header(data[:head]), data[head:]

    def _fail(self, reason: str) -> None:
        self.kill()
        self.dead = reason
        raise ChildExit(reason, "", reason)

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self.wfd, deadline, write=True)
            try:
                view = view[os.write(self.wfd, view[: 2**16]):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise EOFError from None

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, left = [], n
        while left:
            self._wait(self.rfd, deadline)
            data = os.read(self.rfd, min(left, 2**20))
            if not data:
                raise EOFError
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)

    def _wait(self, fd: int, deadline: float, write: bool = False) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if ready(fd, min(left, 0.2), write):
                return
            if self.output_flooded():  # each 0.2 s a call runs (and after every reply)
                self._fail(f"printed more than the {self.limits.output_kb} KB output limit")

    def output_flooded(self) -> bool:
        """More printed than the limit (checked while a call runs, every 0.2 s)."""
        try:
            return self.output.stat().st_size > self.limits.output_kb * 1024
        except OSError:
            return False

    # -- endings --------------------------------------------------------------------------
    def _ended(self) -> str:
        """Why the child's end of the pipe closed: its exit code or signal."""
        try:
            code = self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self.kill()
            return "closed the sandbox's pipe"
        if code < 0:
            sig = -code
            if sig == getattr(signal, "SIGXCPU", None):
                return f"exceeded the {self.limits.cpu_seconds} s CPU time limit"
            name = SIGNAL_NAMES.get(sig, f"signal {sig}")
            return f"crashed: {name}"
        hint = " (os._exit)" if code == 0 else ""
        return f"ended the process with exit code {code}{hint}"

    def printed(self) -> tuple[str, int]:
        """The first SHOWN characters the child printed, and how many bytes it printed."""
        try:
            with open(self.output, "rb") as f:
                head = f.read(SHOWN * 4)
            size = self.output.stat().st_size
        except OSError:
            return "", 0
        return head.decode("utf-8", "replace")[:SHOWN], size

    def kill(self) -> None:
        """Kill the child's whole process group (its children too) and reap it."""
        self.signal_kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5.0)

    def signal_kill(self) -> None:
        """SIGKILL to the child's process group; to the child alone when it has no group yet
        (just forked, before its setsid) unless it is known to have ended."""
        if self.proc.poll() is None or sys.platform != "win32":
            try:
                if sys.platform == "win32":
                    self.proc.kill()
                else:
                    os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                if self.proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(self.proc.pid, signal.SIGKILL)
            except PermissionError:
                pass

    def close(self) -> None:
        """Kill the child, close the pipes, remove the folder; with a ``reaper`` (set by
        :class:`~comparisons.verification.sandbox.spares.Spares`) the killed child is waited
        for and its folder removed by the reaper, off the caller's path."""
        self.signal_kill()
        for fd in (self.rfd, self.wfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.reaper is not None:
            self.reaper(self.finish)
        else:
            self.finish()

    def finish(self) -> None:
        """Wait for the killed child to end (at most 5 s), then remove its folder."""
        with contextlib.suppress(subprocess.TimeoutExpired, OSError, ValueError):
            self.proc.wait(timeout=5.0)
        shutil.rmtree(self.root, ignore_errors=True)
