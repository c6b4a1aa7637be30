"""The sandbox as one running thing: the world (bot/sandbox/world.py) and its page on
127.0.0.1, started together and stopped together."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.sandbox.web import make_app
from bot.sandbox.world import Sandbox

HOST = "127.0.0.1"


def listening_socket(port: int) -> socket.socket:
    """The page's port, taken before anything else starts (OSError when it is in use)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def running_sandbox(port: int = 0, rules: Path | None = None,
                          sock: socket.socket | None = None
                          ) -> AsyncIterator[tuple[Sandbox, str]]:
    """(the sandbox, its page's URL) until the block ends; then everything stops and the
    temporary files are gone."""
    sock = sock or listening_socket(port)
    runner: web.AppRunner | None = None
    try:
        sandbox = await Sandbox.start(rules)
    except BaseException:
        sock.close()
        raise
    try:
        runner = web.AppRunner(make_app(sandbox), access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        yield sandbox, f"http://{HOST}:{sock.getsockname()[1]}/"
    finally:
        try:
            if runner is not None:
                await runner.cleanup()
            sock.close()
        finally:
            await sandbox.stop()
