"""Counting round trips to the SQLite connections' worker threads, for the benches and
tests that keep a command's database work to a few hops.

Every statement, fetch, cursor close, BEGIN and COMMIT an aiosqlite connection makes is
one hop to its worker thread and back: one `Connection._execute`. `counting()` wraps that
one method for as long as it is open (every connection: the database's, its readers', the
inbox's) and puts it back after; nothing is wrapped, and nothing costs, when it is not in
use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite


class RoundTrips:
    """How many hops were made while counting."""

    def __init__(self) -> None:
        self.count = 0


@contextmanager
def counting() -> Iterator[RoundTrips]:
    counter = RoundTrips()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter.count += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]
