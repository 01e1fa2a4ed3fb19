"""``verify_isolated(path)``: verify a file whose code runs in a sandboxed child process.

The parent checks the file (it exists, ends in .py, compiles: a UsageError otherwise, as
``verify_file``), copies it alone into a fresh scratch folder, starts the child
(:class:`~comparisons.verification.sandbox.process.Sandbox`), has it import the file, builds
the op's spec from the :class:`~comparisons.verification.sandbox.remote.RemoteModule` (the
same rules as :func:`comparisons.verification.loader.load_user_file`) and runs the ordinary
verification (:func:`~comparisons.verification.aggregate.build_report`) with proxies in place
of the student's functions. The reference, the tolerances, the diagnosis and the verdict are
the parent's alone. Paths of the scratch copy in tracebacks read as the original file's.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.verification.aggregate import build_report
from comparisons.verification.arguments import check_against, check_dtype, check_seed
from comparisons.verification.guard import ChildError, ChildExit
from comparisons.verification.loader import checked_source, module_spec
from comparisons.verification.report import VerifyReport
from comparisons.verification.sandbox.limits import SHOWN, Limits
from comparisons.verification.sandbox.process import Sandbox
from comparisons.verification.sandbox.remote import RemoteModule, Session
from comparisons.verification.sandbox.spares import Spares
from comparisons.verification.sandbox.wire import visible

MARGIN = "  | "


@dataclass(frozen=True)
class Printed:
    """What a submission's code printed in its children and what the sandbox refused it:
    ``text`` (the first SHOWN characters, control characters escaped), ``size`` (bytes
    printed in all), ``refused`` (actions whose error the code caught). One helper for every
    isolated report: :class:`IsolatedReport`, a convention's, ``--intermediates``'."""

    text: str = ""
    size: int = 0
    refused: tuple[str, ...] = ()

    @classmethod
    def of(cls, opened: Sequence[Opened]) -> Printed:
        """What the children of ``opened`` printed, in turn (the first SHOWN characters of
        all of it together), and every action refused in any of them, once."""
        heads = [o.sandbox.printed() for o in opened]
        refused = dict.fromkeys(what for o in opened for what in o.session.refused)
        return cls(visible("".join(text for text, _ in heads)[:SHOWN]),
                   sum(size for _, size in heads), tuple(refused))

    def to_json(self) -> dict[str, Any]:
        """``{"printed": str, "printed_bytes": int, "refused": [str]}``."""
        return {"printed": self.text, "printed_bytes": self.size, "refused": list(self.refused)}

    def lines(self, where: str = "") -> list[str]:
        """The report's lines: ``your code printed{where}:`` and the text indented by
        ``MARGIN`` (with how much there was in all when it is cut), one line per refusal."""
        lines = []
        if self.size:
            more = (f" (the first {SHOWN} characters of {self.size:,} bytes)"
                    if self.size > len(self.text.encode()) else "")
            lines += [f"your code printed{where}{more}:",
                      *(MARGIN + line for line in self.text.splitlines())]
        return lines + [f"refused by the sandbox (the error was caught; nothing was done): "
                        f"your code {what}" for what in self.refused]

    def inserted(self, text: str, where: str = "") -> str:
        """A report's ``text`` with :meth:`lines` before its last line (the verdict)."""
        if not self.size and not self.refused:
            return text
        body, _, verdict = text.rpartition("\n")
        return "\n".join([body, *self.lines(where), "", verdict])


@dataclass(frozen=True)
class IsolatedReport(VerifyReport):
    """A :class:`VerifyReport` with what the student's code printed (``printed``, at most
    SHOWN characters, control characters escaped), how many bytes it printed in all, and the
    actions the sandbox refused whose error the code caught (``refused``: notes, not
    failures - matplotlib's import tries ``fc-list`` and goes on without it); ``where``
    (text only) says where it was printed when the file ran in more than one child."""

    printed: str = ""
    printed_bytes: int = 0
    refused: list[str] = field(default_factory=list)
    where: str = field(default="", compare=False)

    def output(self) -> Printed:
        """The printed fields as one :class:`Printed`."""
        return Printed(self.printed, self.printed_bytes, tuple(self.refused))

    def to_json(self) -> dict[str, Any]:
        """The report's JSON plus ``printed``, ``printed_bytes`` and ``refused``."""
        return {**super().to_json(), **self.output().to_json()}

    def __str__(self) -> str:
        return self.output().inserted(super().__str__(), self.where)


@dataclass
class Opened:
    """A submission imported in its child: ``module`` (None when importing it failed, then
    ``error`` says how: ``"importing FILE called sys.exit(0):\n<traceback>"``), the notes on
    what of a notebook was skipped, and :meth:`printed` (what the code printed so far)."""

    module: RemoteModule | None
    error: str | None
    notes: tuple[str, ...]
    sandbox: Sandbox
    session: Session

    def printed(self) -> tuple[str, int]:
        """The first SHOWN characters printed (control characters escaped) and the bytes."""
        text, size = self.sandbox.printed()
        return visible(text), size


@contextmanager
def open_isolated(path: str | Path, *, limits: Limits | None = None,
                  spares: Spares | None = None, cell: str | None = None,
                  data_dir: str | Path | None = None,
                  forwards: Collection[str] = ("forward",)) -> Iterator[Opened]:
    """Import ``path`` in a sandboxed child; yields an :class:`Opened` whose ``module`` has
    proxies of the file's callables (``forwards``: the functions returning ``(out, cache)``,
    whose cache stays in the child). For checkers of other conventions (CS231n's layers):
    pass the proxies where the functions went. The child is killed on leaving the block.
    UsageError as :func:`verify_isolated`."""
    source = checked_source(path, cell, data_dir)
    limits = limits or Limits()
    sandbox = Sandbox(limits) if spares is None else spares.take(limits)
    copy = sandbox.scratch / source.path.name
    try:
        shutil.copyfile(source.path, copy)
        if source.folder is not None:
            sandbox.link_folder(source.folder)
        session = Session(sandbox)
        try:
            reply = session.request(sandbox.load_request(source.path.name, source.units,
                                                         source.folder), {})
        except (ChildError, ChildExit) as exc:
            if isinstance(exc, ChildError) and exc.missing is not None:
                where = source.folder or "the sandbox (a copy of the file alone)"
                raise UsageError(f"{path}: reads {exc.missing!r} while it is imported, and "
                                 f"there is no such file in {where}: put it there or pass "
                                 f"--data-dir DIR") from None
            error = f"importing {path} {exc.reason}:\n{exc.text}".rstrip()
            yield Opened(None, error.replace(str(copy), str(source.path)), source.notes,
                         sandbox, session)
            return
        module = RemoteModule(session, reply["decoded"].get("constants", {}),
                              [str(n) for n in reply.get("callables", ())], forwards)
        yield Opened(module, None, source.notes, sandbox, session)
    finally:
        sandbox.close()


def verify_isolated(path: str | Path, against: str | None = None, *, dtype: str = "float64",
                    seed: int = 0, limits: Limits | None = None, spares: Spares | None = None,
                    cell: str | None = None, data_dir: str | Path | None = None,
                    names: tuple[str, str] = ("forward", "backward")) -> IsolatedReport:
    """Verify ``path`` with its code in a sandboxed child (see the package's docstring).

    Arguments as :func:`comparisons.verification.loader.verify_file`'s (``cell``,
    ``data_dir``: a notebook's; ``data_dir`` becomes readable, not writable), plus ``limits``
    (default :class:`Limits()`) and ``spares`` (children started ahead: a warm start).
    Anything the code does, a limit hit included, is in ``report.error``; a usage problem
    (no such file, bad syntax, no forward) is a UsageError.
    """
    name, seed = check_dtype(dtype), check_seed(seed)
    against = check_against(against, custom=True)
    with open_isolated(path, limits=limits, spares=spares, cell=cell, data_dir=data_dir,
                       forwards=names[:1]) as opened:
        if opened.module is None:
            base = VerifyReport(against or Path(path).stem, name, seed, error=opened.error)
        else:
            base = build_report(module_spec(opened.module, path, against, names), name, seed)
        printed = Printed.of([opened])
        copy, original = str(opened.sandbox.scratch / Path(path).name), str(Path(path).resolve())
    error = None if base.error is None else base.error.replace(copy, original)
    kept = {f.name: getattr(base, f.name) for f in fields(base)}
    return IsolatedReport(**{**kept, "error": error, "input_notes": list(opened.notes)},
                          printed=printed.text, printed_bytes=printed.size,
                          refused=list(printed.refused))
