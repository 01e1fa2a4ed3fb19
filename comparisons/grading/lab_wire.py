"""What the grader sends to the student's functions in the child, beyond plain data.

The wire (:mod:`comparisons.verification.sandbox.wire`) carries arrays, numbers, strings,
lists, tuples, dicts and tensors. A lab's check also passes:

* a ``np.random.Generator``: its bit generator's state (PCG64, PCG64DXSM, SFC64) is sent and
  the generator rebuilt there; after the call the caller's generator gets the state the
  child's ended in (as if the student's code had drawn from it);
* a pandas DataFrame of numeric, bool or object (str, NaN) columns, rebuilt there;
* a lambda the shipped check cell assigns (``silu_t = lambda v: ...``): its source and the
  shipped imports it reads, evaluated there (the grader's code, not the student's);
* one of the student's functions: that function in the child.

Each is rebuilt by :data:`HELPERS`, a cell run in the child after the student's cells, and
comes back as a handle to a box; a call with such an argument goes through
``backprop_lab_call``, which unboxes it there (what that call edits in place is not copied
back into the caller's arrays, as a plain call's edits are). Anything else is
:class:`Unsendable`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from comparisons.verification.guard import ChildExit
from comparisons.verification.sandbox.wire import DTYPES

HELPER_CELL = "backprop-lab-helpers"
HELPERS = '''\
class BackpropLabBox:
    def __init__(self, value):
        self.value = value


def backprop_lab_generator(kind, state):
    import json
    import numpy
    bits = {"PCG64": numpy.random.PCG64, "PCG64DXSM": numpy.random.PCG64DXSM,
            "SFC64": numpy.random.SFC64}[kind]()
    bits.state = json.loads(state)
    return BackpropLabBox(numpy.random.Generator(bits))


def backprop_lab_state(box):
    import json
    return json.dumps(box.value.bit_generator.state)


def backprop_lab_frame(columns, dtypes, values, index):
    import pandas
    return BackpropLabBox(pandas.DataFrame(
        {c: pandas.Series(v, dtype=d, index=index) for c, d, v in zip(columns, dtypes, values)},
        columns=columns))


def backprop_lab_callable(source):
    space = {}
    exec(compile(source, "<the shipped check cell>", "exec"), space)
    return BackpropLabBox(space["VALUE"])


def backprop_lab_function(name):
    return BackpropLabBox(globals()[name])


def backprop_lab_unbox(v):
    if type(v) is BackpropLabBox:
        return v.value
    if type(v) in (list, tuple):
        return type(v)(backprop_lab_unbox(x) for x in v)
    if type(v) is dict:
        return {k: backprop_lab_unbox(x) for k, x in v.items()}
    return v


def backprop_lab_call(name, args, kwargs):
    return globals()[name](*backprop_lab_unbox(args), **backprop_lab_unbox(kwargs))
'''
"""The cell run in the child after the student's cells (names no lab uses)."""
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "SFC64")


class Unsendable(BaseException):
    """A value the check passes to the student's function that cannot reach the child (a
    BaseException: ``check_value`` must not report it as the student's exception)."""


class Sender:
    """Turns what the check passes to a proxy into what the child can receive."""

    def __init__(self, module: Any, lambdas: dict[int, str], proxies: dict[int, str]) -> None:
        self.module, self.lambdas, self.proxies = module, lambdas, proxies
        self.generators: list[tuple[np.random.Generator, Any]] = []
        self.converted = False

    def sent(self, args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> tuple[list[Any], dict[str, Any]]:
        """The call's arguments as sent; ``converted`` says whether they hold a value rebuilt
        in the child (then the call goes through ``backprop_lab_call``, which unboxes it)."""
        self.converted = False
        self.generators.clear()  # those of a call that failed are not synced
        return self.value(list(args)), self.value(kwargs)

    def value(self, v: Any) -> Any:
        """``v`` as sent (containers walked)."""
        if type(v) in (list, tuple):
            return type(v)(self.value(x) for x in v)
        if type(v) is dict:
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, np.random.Generator):
            kind = type(v.bit_generator).__name__
            if kind not in BIT_GENERATORS:
                raise Unsendable(f"a Generator over {kind} (expected one of "
                                 f"{', '.join(BIT_GENERATORS)})")
            there = self.module.backprop_lab_generator(kind, json.dumps(v.bit_generator.state))
            self.generators.append((v, there))
        elif isinstance(v, pd.DataFrame):
            there = self._frame(v)
        elif callable(v) and id(v) in self.lambdas:
            there = self.module.backprop_lab_callable(self.lambdas[id(v)])
        elif callable(v) and id(v) in self.proxies:
            there = self.module.backprop_lab_function(self.proxies[id(v)])
        else:
            return v
        self.converted = True
        return there

    def _frame(self, df: pd.DataFrame) -> Any:
        columns, dtypes, values = [], [], []
        for name in df.columns:
            col = df[name]
            if not isinstance(name, str) or not (col.dtype.name in DTYPES
                                                 or col.dtype == object):
                raise Unsendable(f"a DataFrame column {name!r} of dtype {col.dtype}")
            items = col.to_numpy() if col.dtype != object else [
                x if isinstance(x, str | float | int | bool) or x is None else self._odd(x)
                for x in col.tolist()]
            columns.append(name)
            dtypes.append(col.dtype.name)
            values.append(items)
        return self.module.backprop_lab_frame(columns, dtypes, values, df.index.to_numpy())

    @staticmethod
    def _odd(x: Any) -> Any:
        raise Unsendable(f"a DataFrame cell of type {type(x).__name__}")

    def sync(self) -> None:
        """Each generator sent gets the state the child's copy ended in."""
        for here, there in self.generators:
            here.bit_generator.state = json.loads(self.module.backprop_lab_state(there))
        self.generators.clear()


def proxy_of(proxy: Any, name: str, sender: Sender, exits: list[str]) -> Callable[..., Any]:
    """The student's function ``name`` as the check calls it (arguments sent, exits noted)."""

    @functools.wraps(proxy)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            sent, named = sender.sent(args, kwargs)
            if sender.converted:  # the arguments rebuilt in the child are unboxed there
                out = sender.module.backprop_lab_call(name, sent, named)
            else:  # a plain call: in-place edits come back into the caller's arguments
                out = proxy(*args, **kwargs)
            sender.sync()
        except ChildExit as exc:
            exits.append(f"your {name} {exc.reason}")
            raise
        except Unsendable as exc:
            exits.append(f"the check passes {exc} to your {name}: the sandbox cannot send it")
            raise
        except TypeError as exc:  # the wire's own refusal, before anything was sent
            if not str(exc).startswith("the sandbox cannot send"):
                raise
            exits.append(f"the check passes {str(exc).removeprefix('the sandbox cannot send ')}"
                         f" to your {name}: the sandbox cannot send it")
            raise Unsendable(str(exc)) from None
        return out

    return call
