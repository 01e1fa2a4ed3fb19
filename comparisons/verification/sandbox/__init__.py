"""Isolation: a student's file runs in a child process that never sees the verdict.

The principle: the child only runs the student's code and returns its outputs; the parent
alone holds the reference (torch), the tolerances and the diagnosis. The parent sends inputs,
the child returns forward values and gradients; a cache, or anything that is not plain data,
stays in the child behind a handle the parent passes back. So nothing the student's code does
to itself (patching ``VerifyReport``, the tolerance table or NumPy, printing a fake verdict,
``sys.exit``, ``os._exit``, an ``atexit`` hook, a segfault) can change a verdict or an exit
code: at worst the child dies, and a dead child is a failed check with the reason.

API (``comparisons.verification.isolation`` re-exports the first three)::

    verify_isolated(path, against=None, *, dtype="float64", seed=0, limits=None,
                    spares=None, cell=None, data_dir=None,
                    names=("forward", "backward")) -> IsolatedReport
    Limits(call_timeout=10.0, total_timeout=60.0, import_timeout=30.0, memory_mb=3072,
           cpu_seconds=120, file_size_mb=64, output_kb=1024, message_mb=256, no_import=())
    Spares(count=1, *, fork=None, preload=())  # warm children: forked from a fork server
                                   # that imported NumPy once (POSIX default; preload=("torch",)
                                   # imports torch too, for notebooks), started ahead;
                                   # .take(limits), .close(), a context manager; thread-safe
    IsolatedReport(VerifyReport)   # + printed (first SHOWN characters), printed_bytes
    open_isolated(path, *, limits=None, spares=None, cell=None, data_dir=None,
                  forwards=("forward",))   # a context: .module (proxies), .error, .notes,
                                           # .printed(); for other conventions' checkers

``verify_isolated`` takes ``verify_file``'s arguments and gives the same report, field for
field (the tests hold the JSON of 115 correct and wrong files equal), plus what the code
printed. ``backprop-lab verify FILE`` runs it by default (``--in-process`` for today's path;
``comparisons.verify(fn, fn)`` from a notebook stays in-process).
``Limits(no_import=("handmade", "reference"))`` refuses the project's solutions (for grading;
``import handmade`` is allowed by default, for self-checking).

Limits and what enforces them:

* wall time per call (``call_timeout``; ``import_timeout`` for the import) and in all
  (``total_timeout``): the parent's polling, then SIGKILL to the child's process group (Linux,
  macOS; on Windows ``verify`` runs in-process: the parent's pipe polling needs POSIX
  ``poll``);
* memory (RLIMIT_AS), CPU time (RLIMIT_CPU), file size (RLIMIT_FSIZE): Linux and macOS (macOS
  does not enforce RLIMIT_AS); none on Windows;
* what it prints: to a file, not the parent's terminal; over ``output_kb`` it fails; the
  report shows the first SHOWN characters, indented, control characters escaped;
* no new processes, no signals to others, no network, writes only in the scratch folder,
  reads only of the Python installation, the project's packages and the scratch folder: the
  audit hook of :mod:`.policy`. An audit hook is not a security boundary:
  ``ctypes`` can call the C library directly (fork, socket, open). Then the process boundary
  and the rlimits still hold (the verdict is never the child's), but a determined student
  could read or write files the account can. Grade untrusted code as an unprivileged user,
  or per submission in a container (Gradescope's model).
* the child's environment: a fresh temporary folder (``work/``, its cwd, holding only the
  copy of the file), stdin ``/dev/null``, none of the parent's environment variables. A
  notebook's cells run in order (``cell=``: up to that cell); the entries of its folder, or of
  ``data_dir``, are linked into ``work/``: readable, not writable. Under ``grade``, pass
  ``data_dir`` (the course's data): a notebook's own folder may hold other students' files.

A custom layer (``reference`` + ``SHAPES`` in the student's file): the student's reference
is student code too, so it runs in the child, autograd included (the child imports torch
then: ~1-2 s more per file); :class:`.remote.Bridge` joins the child's graph to the parent's
autograd, and the parent judges. A reference that fails or returns NaN is reported as before.

Modules: ``wire`` (the plain-data format: JSON + raw array bytes, whitelisted dtypes, capped;
never pickle) < ``limits``, ``policy`` (the audit hook), ``tensors`` (the child's torch side)
< ``child`` (``python -m comparisons.verification.sandbox.child``) < ``forkserver`` (forks
children) < ``torch_forkserver`` (the same, torch imported first); ``process`` (the parent's
end of one child: start, request, deadlines, kill) < ``zygote`` (the parent's end of the fork
server) < ``remote`` (RemoteModule, proxies, handles) < ``spares`` < ``isolated``
(:func:`verify_isolated`). This ``__init__`` imports nothing: the child imports only NumPy and
the light modules.

Cost: one child per file (a fresh Python + NumPy, ~0.15 s of one core; a fork with
``Spares``) and one round trip per call (finite differences batch their forward calls: one
request per input and case, their outs sent back as one stacked array; a forward's cache
stays behind a handle). Measured on the 2-core machine, 20 linear/relu files, per file:
lightly loaded, in-process 7 ms, isolated 145 ms, isolated with ``Spares`` 69 ms; under load
(~10 other processes) 14 ms, 323 ms and 155 ms (the parent's own CPU ~57 ms of it). Two_layer
files after the speed-ups (benchmarks/grade_speed.py, load ~3): in-process 41 ms, isolated
with ``Spares`` 75 ms; CPU 27 ms in the parent and 24 ms in the child against 30 ms
in-process. A child from ``Spares`` is forked, and after it is killed reaped and its folder
removed, off the caller's path (threads of the spares).
"""
