"""What the child refuses the student's code: an audit hook (:pep:`578`), installed before it runs.

Refused, with a PermissionError (ImportError for an import) raised where the code asked, and
recorded as a *violation*: the reason of the call's failure when the error ends it, a note in
the report when the code catches it and goes on (nothing was done; matplotlib's import tries
``fc-list`` and lists font folders, then goes on: a correct file must still pass):

* new processes: ``os.fork``/``forkpty``, ``os.system``, ``os.exec*``, ``os.posix_spawn``,
  ``os.spawn*``, ``subprocess.Popen``, ``pty.spawn``; signals to other processes (``os.kill``,
  ``os.killpg``);
* the network: creating any socket (``socket.__new__``), ``connect``, ``bind``, name look-ups;
* writing (open for writing, creating, removing, renaming, linking, chmod) outside the scratch
  directory; reading a file or listing a folder outside the read roots (the Python
  installation, its site-packages, the project's own packages, the scratch directory, the
  process's own ``/proc/PID``: torch reads its memory map; system data: ``/usr/share``,
  ``/usr/local/share``, ``/etc/fonts``), but for listing the folders of
  ``sys.path`` (the import system does: names, not contents);
* importing a package named in ``no_import`` (and reading its files).

Paths are resolved (symlinks, ``..``) against the current directory before they are judged. An
audit hook is not a security boundary: code that loads C through ``ctypes`` can call the
system directly. The resource limits and the process boundary still hold then, and the verdict
is never computed here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROCESS = frozenset({"os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn",
                     "os.spawn", "subprocess.Popen", "pty.spawn", "os.startfile"})
SIGNALS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
NETWORK = frozenset({"socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo",
                     "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto"})
WRITES = frozenset({"os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.symlink", "os.link",
                    "os.chmod", "os.chown", "os.truncate", "os.utime", "shutil.rmtree"})
LISTINGS = frozenset({"os.listdir", "os.scandir"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
DEVICES = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/zero")


class Policy:
    """The rules of one child: where it may read and write, which packages it may import."""

    def __init__(self, scratch: Path, read_roots: Sequence[Path],
                 no_import: Sequence[str] = (), refused_roots: Sequence[Path] = (),
                 project: Path | None = None) -> None:
        self.scratch = scratch.resolve()
        # the import system lists every folder of sys.path (names only, never contents) and
        # reads in them: each is a read root but the project's own root (its tests live there)
        self.import_dirs = frozenset(Path(os.path.realpath(p or ".")) for p in sys.path)
        root = None if project is None else project.resolve()
        on_path = [p for p in self.import_dirs if p != root]
        own = [Path(f"/proc/{os.getpid()}")] if sys.platform == "linux" else []  # torch reads
        self.read_roots = tuple(p.resolve() for p in (self.scratch, *read_roots, *on_path, *own))
        self.refused_roots = tuple(p.resolve() for p in refused_roots)
        self.no_import = frozenset(no_import)
        self.violations: list[str] = []

    def _path(self, raw: Any) -> Path | None:
        if isinstance(raw, int) or raw is None:
            return None  # an open file descriptor or the current directory: nothing new
        try:
            return Path(os.path.realpath(os.fsdecode(raw)))
        except (TypeError, ValueError):
            return None

    def may_read(self, path: Path) -> bool:
        """Inside a read root and not under a refused package."""
        if str(path) in DEVICES or any(path.is_relative_to(r) for r in self.refused_roots):
            return str(path) in DEVICES
        return any(path.is_relative_to(r) for r in self.read_roots)

    def refuse(self, what: str, exc: type[Exception] = PermissionError) -> None:
        """Record the violation and raise it where the code asked."""
        self.violations.append(what)
        raise exc(f"backprop-lab's sandbox refused this: your code {what}")

    def _open(self, args: tuple[Any, ...]) -> None:
        path = self._path(args[0])
        if path is None:
            return
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(
            flags & WRITE_FLAGS)
        if writing and not (path.is_relative_to(self.scratch) or str(path) in DEVICES):
            self.refuse(f"tried to write {path} outside its scratch directory")
        if not writing and not self.may_read(path):
            self.refuse(f"tried to read {path} (only the Python installation, the project's "
                        f"packages and its scratch directory may be read)")

    def _import(self, name: Any) -> None:
        top = str(name).split(".")[0]
        if top in self.no_import:
            self.refuse(f"tried to import {top} (refused by this grading: no_import)",
                        ImportError)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook: each refused event raises."""
        if event == "open":
            self._open(args)
        elif event == "import" and args:
            self._import(args[0])
        elif event in PROCESS:
            self.refuse(f"tried to start a process ({event})")
        elif event in SIGNALS:
            self.refuse(f"tried to send a signal ({event})")
        elif event in NETWORK:
            self.refuse(f"tried to use the network ({event})")
        elif event in WRITES:
            for raw in args[:2]:
                path = self._path(raw)
                if isinstance(raw, str | bytes | os.PathLike) and path is not None and not (
                        path.is_relative_to(self.scratch)):
                    self.refuse(f"tried to change {path} outside its scratch directory "
                                f"({event})")
        elif event in LISTINGS:
            path = self._path(args[0] if args else None)
            if path is not None and not self.may_read(path) and path not in self.import_dirs:
                self.refuse(f"tried to list {path} ({event})")

    def install(self) -> None:
        """Add the hook: it cannot be removed, so install it just before the student's code."""
        sys.addaudithook(self.hook)
