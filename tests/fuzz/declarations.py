"""Finding the @emits declaration of a consumer handler or periodic job, however the handler table wraps it."""
from __future__ import annotations

import functools
import inspect


def _marked(fn) -> bool:
    return hasattr(fn, "__emits__") and hasattr(fn, "__no_state_change__")


def _delegates(fn) -> list:
    """The functions a thin lambda in a handler table calls (e.g. `lambda s, e: handlers.on_x(s, e, services)`)."""
    code = getattr(fn, "__code__", None)
    if code is None or fn.__name__ != "<lambda>":
        return []
    scope = dict(fn.__globals__)
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:
            pass
    found = []
    names = list(code.co_names) + list(code.co_freevars)
    for i, name in enumerate(names):
        target = scope.get(name)
        if target is None:
            continue
        if inspect.isfunction(target):
            found.append(target)
        elif inspect.ismodule(target) and i + 1 < len(names) and inspect.isfunction(getattr(target, names[i + 1], None)):
            found.append(getattr(target, names[i + 1]))
    return found


def resolve(fn):
    """The callable that carries the declaration: the function itself, a partial's function, a wrapper's original,
    or the one declared function a lambda delegates to."""
    seen = fn
    while True:
        if _marked(seen):
            return seen
        if isinstance(seen, functools.partial):
            seen = seen.func
        elif hasattr(seen, "__wrapped__"):
            seen = seen.__wrapped__
        else:
            break
    marked = [f for f in _delegates(fn) if _marked(f)]
    return marked[0] if len(marked) == 1 else None
