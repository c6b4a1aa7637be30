"""`dutybot letters …`: the 责任书 and the year-end 对账 from the office machine — sent now
(a bot installed after the issue day, or new holders since), or the 对账 opened now; and
where each holder stands."""

from __future__ import annotations

import argparse
import asyncio


async def _letters(settings, args: argparse.Namespace) -> tuple[int, list]:
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services

    async with Services.opened(settings) as services:
        letters = services.letters
        queued = 0
        if args.action == "issue":
            queued = await letters.issue(args.year, CONSOLE, again=True)
        elif args.action == "reconcile":
            queued = await letters.reconcile(args.year, CONSOLE)
        return queued, await letters.of_year(args.year)


def cmd_letters(settings, args: argparse.Namespace) -> int:
    from messages.letters import console_lines

    settings.check_db_writable()
    queued, views = asyncio.run(_letters(settings, args))
    for line in console_lines(args.action, args.year, queued, views):
        print(line)
    return 0
