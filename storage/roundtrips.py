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
    """`where`: also keep, for each hop, the bot's own frames that made it (innermost
    first: the repository, the service, the handler)."""
    counter = RoundTrips()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        if where:
            counter.where.append(_ours(traceback.extract_stack()[:-1]))
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    _counting.append((counter, where))
    try:
        yield counter
    finally:
        _counting.remove((counter, where))
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


def inline_read() -> None:
    """A read done on the event loop's thread (storage/inline.py) counts as one trip: its
    statements go to SQLite in one go, as a hop's do."""
    for counter, where in _counting:
        counter.count += 1
        if where:
            counter.where.append(_ours(traceback.extract_stack()[:-1]) + " (inline)")


_counting: list[tuple[RoundTrips, bool]] = []


_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def _ours(stack: traceback.StackSummary, depth: int = 4) -> str:
    frames = [f for f in stack if f.filename.startswith(_ROOT)
              and "/site-packages/" not in f.filename]
    return " <- ".join(f"{f.filename[len(_ROOT):]}:{f.lineno} {f.name}"
                       for f in reversed(frames[-depth:]))
