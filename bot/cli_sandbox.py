"""`dutybot sandbox [--port 0] [--no-open]`: the bot against a local fake Telegram, the demo
unit seeded, and a page on 127.0.0.1 to chat as any of its people. No token, no network.

Nothing of the sandbox is imported here at load time: `bot.cli` (and so `dutybot run`)
never loads bot/sandbox or bot/fake_telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import click

from bot.config import Settings


def port_number(text: str) -> int:
    """`--port`: 0 (any free port) to 65535, or one Chinese line (a usage error, exit 2)."""
    from messages.sandbox import console_bad_port

    text = str(text)
    if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise click.BadParameter(console_bad_port(text))
    return int(text)


def can_open_browser() -> bool:
    """A browser window can appear: a desktop (not a server's console, where
    `webbrowser` would start a text browser in this very terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def _serve(settings: Settings, port: int, open_browser: bool) -> int:
    from bot.sandbox.server import listening_socket, running_sandbox
    from messages.sandbox import console_port_busy, console_ready, console_starting

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        sock = listening_socket(port)
    except OSError as exc:
        print(f"dutybot: sandbox: {console_port_busy(port, exc.strerror or str(exc))}",
              file=sys.stderr)
        return 1
    print(console_starting(), flush=True)
    async with running_sandbox(port, settings.rules, sock) as (_sandbox, url):
        print(console_ready(url), flush=True)
        if open_browser and can_open_browser():
            import webbrowser

            await asyncio.to_thread(webbrowser.open, url)
        await stop.wait()
    return 0


def cmd_sandbox(settings: Settings, port: int = 0, open_browser: bool = True) -> int:
    from messages.sandbox import console_stopped

    code = asyncio.run(_serve(settings, port, open_browser))
    if code == 0:
        print(console_stopped())
    return code
