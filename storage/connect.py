"""Opening an aiosqlite connection safely."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite


@asynccontextmanager
async def closed_on_failure(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    """Set a new connection up inside: if a statement fails (a PRAGMA meeting "database is
    locked", say), the connection is closed before the error goes on. Left open, its worker
    thread (not a daemon) would keep the process from exiting: that thread still holds the
    failed statement's future, whose traceback holds the connection, so it is never
    collected."""
    try:
        yield
    except BaseException:
        await asyncio.shield(conn.close())
        raise
