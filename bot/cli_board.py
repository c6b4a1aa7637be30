"""`dutybot board-link 姓名`: a one-time 看板 login link printed on the office machine, for
offices that reach people only through robot groups (no private chat to send it to)."""

from __future__ import annotations

import asyncio
import html
import sys

from bot.config import Settings


async def _link(settings: Settings, name: str):
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services

    async with Services.opened(settings) as services:
        return await services.board.link_for_name(CONSOLE, name)


def cmd_board_link(settings: Settings, name: str) -> int:
    """The link on stdout (one line after a heading), exit 0; a refusal one line on
    stderr, exit 1, nothing changed."""
    from bot.domain.board import login_url
    from bot.services.errors import ServiceError
    from messages.board import console_link, console_no_database, console_no_url
    from messages.refusals import refusal

    if not settings.board_url:
        print(f"dutybot: {console_no_url()}", file=sys.stderr)
        return 1
    if settings.database_url is None and not settings.db_path.is_file():
        print(f"dutybot: board-link: {console_no_database(str(settings.db_path))}",
              file=sys.stderr)
        return 1
    settings.check_db_writable()  # the link is recorded in the 履责纪实
    try:
        issued = asyncio.run(_link(settings, name))
    except ServiceError as exc:
        text = html.unescape(refusal(exc)).replace("<b>", "").replace("</b>", "")
        print(f"dutybot: board-link: {text}", file=sys.stderr)
        return 1
    print(console_link(issued.person.name, login_url(settings.board_url, issued.token),
                       issued.expires_at))
    return 0
