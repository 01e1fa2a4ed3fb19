"""The child: ``python -m comparisons.verification.sandbox.child READ_FD WRITE_FD``.

It imports NumPy, waits for the ``load`` request (the scratch directory, the file's name in
it, where its output goes, the limits and the policy), sends its own output to that file, sets
its resource limits, installs the audit hook of :mod:`~comparisons.verification.sandbox.policy`,
imports the submission, describes it (its plain constants and the names of its callables) and
then serves calls until the pipe closes. Each call's reply is the student's outputs: values as
plain data, what is not data as a handle (kept here in :data:`HANDLES`), the arguments the call
edited in place, or the error the call raised (its type, message, reason and traceback; an
action the policy refused is the reason); an action refused whose error the code caught is
listed in ``refused`` (a note: the call went on, nothing was done). A ``reseed`` request
seeds NumPy's global state (``np.random.seed``), which students' dropout masks draw from. This
process computes no verdict and holds no reference values: it only runs the student's code.
"""

from __future__ import annotations

import linecache
import os
import signal
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from comparisons.verification.guard import exit_reason, user_traceback
from comparisons.verification.sandbox import tensors
from comparisons.verification.sandbox.policy import Policy
from comparisons.verification.sandbox.wire import (
    DTYPES,
    PREFIX,
    Decoder,
    Encoder,
    Opaque,
    parse_header,
    short_repr,
    split_prefix,
)

if sys.platform != "win32":
    import resource

HANDLES: dict[int, Any] = {}
CONSTANTS = ("OP", "SHAPES", "NONDIFF", "MIN_BATCH")
REQUEST_CAP = 2**31


class Child:
    """One submission's server: the pipes, the policy, the student's module."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd
        self.policy: Policy | None = None
        self.module: ModuleType | None = None
        self.memory_mb = 0
        self.next_id = 1
        self.user_files: set[str] = set()  # the file's (or cells') names while it is imported

    # -- the pipe -------------------------------------------------------------------------
    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            data = os.read(self.rfd, min(left, 2**20))
            if not data:
                raise EOFError
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)

    def receive(self) -> tuple[dict[str, Any], Decoder]:
        """The next request and a decoder of its values."""
        head, size = split_prefix(self._read(PREFIX.size), REQUEST_CAP)
        header = parse_header(self._read(head))
        return header, Decoder(self._read(size), tensors.from_values, self._resolve)

    def send(self, enc: Encoder, header: dict[str, Any]) -> None:
        """Write one reply."""
        view = memoryview(enc.frame(header))
        while view:
            view = view[os.write(self.wfd, view):]

    # -- handles --------------------------------------------------------------------------
    def _resolve(self, h: Opaque) -> Any:
        return HANDLES.get(h.id)

    def keep(self, value: Any) -> dict[str, Any]:
        """A handle to ``value``, kept until the parent releases it."""
        HANDLES[self.next_id] = value
        self.next_id += 1
        return {"h": [self.next_id - 1, type(value).__name__, short_repr(value)]}

    def node(self, enc: Encoder, value: Any) -> Any:
        """What is not plain data: a tensor's values, an array-like's array, or a handle."""
        if type(value).__module__.startswith("torch") and callable(getattr(value, "detach", None)):
            return tensors.node(enc, value)
        if hasattr(value, "__array__"):  # an array-like: read it here, as the harness would
            try:
                arr = np.asarray(value)
            except BaseException as exc:  # the object is user code: replayed in the parent
                h = self.keep(value)
                h["h"].append(error_of(exc, skip=1, memory_mb=self.memory_mb))
                return h
            if arr.dtype.name in DTYPES:
                return enc.value(arr)
        return self.keep(value)

    def _enc(self) -> Encoder:
        """An encoder whose non-data values become this child's handles."""
        enc = Encoder(lambda v: self.node(enc, v))
        return enc

    # -- loading --------------------------------------------------------------------------
    def load(self, req: dict[str, Any]) -> None:
        """Redirect output, set limits, install the policy, import the submission."""
        scratch = Path(req["scratch"])
        out = os.open(req["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for fd in (1, 2):
            os.dup2(out, fd)
        os.close(out)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives as long
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115 - as the process
        self.memory_mb = int(req["memory_mb"])
        set_limits(self.memory_mb, int(req["cpu_seconds"]), int(req["file_size_mb"]))
        self.policy = Policy(scratch, [Path(p) for p in req["read_roots"]], req["no_import"],
                             [Path(p) for p in req["refused_roots"]], Path(req["project"]))
        self.policy.install()
        path = scratch / req["file"]
        module = ModuleType("_backprop_lab_user_" + "".join(
            c if c.isalnum() else "_" for c in path.stem))
        module.__file__ = str(path)
        sys.modules[module.__name__] = module
        units = [(str(name), str(source)) for name, source in req.get("units") or
                 [(str(path), path.read_text())]]
        for name, source in units:  # a notebook's cells: their lines in tracebacks
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        self.user_files = {name for name, _ in units}
        for name, source in units:
            exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102 - the point
        self.user_files = set()
        self.module = module

    def describe(self, enc: Encoder) -> dict[str, Any]:
        """The module's plain constants and the names of its callables."""
        assert self.module is not None
        names = [k for k, v in vars(self.module).items()
                 if callable(v) and not k.startswith("__")]
        consts = {k: enc.value(getattr(self.module, k)) for k in CONSTANTS
                  if hasattr(self.module, k)}
        return {"constants": consts, "callables": names}

    # -- calls ----------------------------------------------------------------------------
    def call(self, req: dict[str, Any], dec: Decoder, enc: Encoder) -> dict[str, Any]:
        """Run one function of the submission; its result, edits and handle."""
        assert self.module is not None
        fn = getattr(self.module, str(req["fn"]))
        args = list(dec.value(req["args"]))
        kwargs = dict(dec.value(req["kwargs"]))
        if req.get("kind") == "reference":
            return tensors.run_reference(self, enc, fn, args, kwargs)
        before = {k: snapshot(v) for k, v in [*enumerate(args), *kwargs.items()]
                  if isinstance(v, list | dict | np.ndarray)}
        result = fn(*args, **kwargs)
        keep = set(req.get("keep", ()))
        if isinstance(result, tuple) and keep:
            node: Any = {"t": [self.keep(v) if i in keep else enc.value(v)
                               for i, v in enumerate(result)]}
        else:
            node = enc.value(result)
        everything = {**dict(enumerate(args)), **kwargs}
        edited = [[k, enc.value(everything[k])] for k, snap in before.items()
                  if snapshot(everything[k]) != snap]
        return {"value": node, "edited": edited}

    def perturbed(self, req: dict[str, Any], dec: Decoder, enc: Encoder) -> dict[str, Any]:
        """Finite differences' forward calls in one request: out at each one-element change
        of the input ``where`` (a fresh copy each; the other inputs shared, as in-process)."""
        assert self.module is not None
        fn = getattr(self.module, str(req["fn"]))
        args, kwargs = list(dec.value(req["args"])), dict(dec.value(req["kwargs"]))
        x64, idx, offsets = (np.asarray(dec.value(req[k])) for k in ("x", "idx", "offsets"))
        where = req["where"]
        outs = []
        for i, off in zip(idx.tolist(), offsets.tolist(), strict=True):
            x = x64.copy()
            x.flat[i] += off
            if isinstance(where, int):
                args[where] = x
            else:
                kwargs[str(where)] = x
            result = fn(*args, **kwargs)
            if not isinstance(result, tuple) or len(result) != 2:
                return {"value": None, "bad": type(result).__name__}
            outs.append(result[0])
        stacked = enc.stack(outs)  # one array for all (the same values), when they are alike
        return {"value": enc.value(outs) if stacked is None else stacked}

    def serve(self) -> None:
        """Answer requests until the parent closes the pipe."""
        while True:
            try:
                req, dec = self.receive()
            except EOFError:
                return
            for hid in req.get("release", ()):
                HANDLES.pop(hid, None)
            enc = self._enc()
            seen = len(self.policy.violations) if self.policy else 0
            try:
                if req["op"] == "load":
                    self.load(req)
                    reply = self.describe(enc)
                elif req["op"] == "perturbed":
                    reply = self.perturbed(req, dec, enc)
                elif req["op"] == "reseed":  # NumPy's global state, which students draw from
                    np.random.seed(int(req["seed"]))
                    reply = {}
                elif req["op"] == "grad":
                    reply = tensors.run_grad(enc, HANDLES.pop(int(req["graph"]), None),
                                             dec.value(req["dout"]))
                else:
                    reply = self.call(req, dec, enc)
            except BaseException as exc:  # the student's code may raise, exit, be interrupted
                enc = self._enc()
                reply = {"error": error_of(exc, skip=2, memory_mb=self.memory_mb,
                                           user_files=self.user_files)}
                if req["op"] == "load" and isinstance(exc, FileNotFoundError):
                    reply["error"]["missing"] = str(exc.filename)  # a data file: a usage error
            refused = self.policy.violations[seen:] if self.policy is not None else []
            if refused and "error" in reply:  # what was refused is why the call failed
                reply["error"] = {**reply["error"], "reason": refused[0], "exit": True}
            elif refused:  # refused, caught, and the call went on: a note, not a failure
                reply["refused"] = refused[:20]
            self.send(enc, reply)


def snapshot(value: Any) -> bytes:
    """The encoded bytes of ``value`` (handles by identity): equal iff unchanged. A plain
    array of numbers is its dtype, shape and raw bytes (the same test, without encoding it)."""
    if type(value) is np.ndarray and not value.dtype.hasobject:
        return f"{value.dtype.str}|{value.shape}|".encode() + value.tobytes()
    enc = Encoder(lambda v: {"h": [id(v), "", ""]})
    return enc.frame({"v": enc.value(value)})


def error_of(exc: BaseException, *, skip: int, memory_mb: int,
             user_files: set[str] | None = None) -> dict[str, Any]:
    """What the parent needs of an exception raised by the student's code: the traceback
    without the server's ``skip`` frames (while importing: from the file's first frame on)."""
    reason = exit_reason(exc)
    if isinstance(exc, MemoryError):
        reason = f"exceeded the memory limit ({memory_mb} MB)"
    if user_files:
        frames = traceback.extract_tb(exc.__traceback__)
        skip = next((i for i, f in enumerate(frames) if f.filename in user_files), skip)
    text = user_traceback(exc, skip)
    return {"type": type(exc).__name__, "message": short_repr(str(exc))[1:-1][:2000],
            "text": text[-20000:], "reason": reason, "exit": not isinstance(exc, Exception)
            or isinstance(exc, MemoryError)}


def set_limits(memory_mb: int, cpu_seconds: int, file_size_mb: int) -> None:
    """Address space, CPU time, file size (a write past it fails with EFBIG, not a signal)."""
    if sys.platform == "win32":
        return
    for what, value in ((resource.RLIMIT_AS, memory_mb * 2**20),
                        (resource.RLIMIT_CPU, cpu_seconds),
                        (resource.RLIMIT_FSIZE, file_size_mb * 2**20)):
        hard = resource.getrlimit(what)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(what, (value, hard if what != resource.RLIMIT_CPU else value + 1))
        except (ValueError, OSError):  # macOS refuses some (RLIMIT_AS): the others still hold
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def main(argv: list[str]) -> None:
    """Serve on the two pipe file descriptors given on the command line."""
    sys.dont_write_bytecode = True
    Child(int(argv[1]), int(argv[2])).serve()
    # what the student's atexit hooks do next changes nothing: the parent reads no exit code
    # once the pipe closed, and kills the process group


if __name__ == "__main__":
    main(sys.argv)
