"""Counting round trips to the SQLite connections' worker threads, for the benches and
tests that keep a command's database work to a few hops.

Every statement, fetch, cursor close, BEGIN and COMMIT an aiosqlite connection makes is
one hop to its worker thread and back: one `Connection._execute`. `counting()` wraps that
one method for as long as it is open (every connection: the database's, its readers', the
inbox's) and puts it back after; nothing is wrapped, and nothing costs, when it is not in
use. A read done on the event loop's own thread (storage/inline.py) counts as one trip too:
what is counted is how often a command goes to the database, wherever that runs."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite


class RoundTrips:
    """How many hops were made while counting (and, when asked, from where)."""

    def __init__(self) -> None:
        self.count = 0
        self.where: list[str] = []


@contextmanager
def counting(where: bool = False) -> Iterator[RoundTrips]:
    """Count the hops made from here on, by this task and the tasks it starts (a context
    variable says whose they are): not those of work running beside it, such as the WAL's
    checkpoint or the outbox's sender. `where`: also keep, for each hop, the bot's own
    frames that made it (innermost first: the repository, the service, the handler)."""
    counter = RoundTrips()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        _count()
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    token = _current.set((counter, where))
    try:
        yield counter
    finally:
        _current.reset(token)
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


def inline_read() -> None:
    """A read done on the event loop's thread (storage/inline.py) counts as one trip: its
    statements go to SQLite in one go, as a hop's do."""
    _count(" (inline)")


def _count(suffix: str = "") -> None:
    """One hop for the counter of the calling context, if any (and, when asked, from where:
    the frames above the caller, counted() or inline_read())."""
    mine = _current.get()
    if mine is None:
        return
    counter, where = mine
    counter.count += 1
    if where:
        stack = traceback.extract_stack()[:-2]
        counter.where.append(_ours(stack) + suffix)


_current: ContextVar[tuple[RoundTrips, bool] | None] = ContextVar("dutybot_round_trips",
                                                                   default=None)

_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def _ours(stack: traceback.StackSummary, depth: int = 4) -> str:
    frames = [f for f in stack if f.filename.startswith(_ROOT)
              and "/site-packages/" not in f.filename]
    return " <- ".join(f"{f.filename[len(_ROOT):]}:{f.lineno} {f.name}"
                       for f in reversed(frames[-depth:]))
