"""`dutybot letters …`: the 责任书 and the year-end 对账 from the office machine — sent now
(a bot installed after the issue day, or new holders since), or the 对账 opened now; and
where each holder stands."""

from __future__ import annotations

import argparse
import asyncio


def add_letters_parser(sub: argparse._SubParsersAction) -> None:
    letters = sub.add_parser("letters", help="责任书 (签字背书) and the year-end 对账")
    actions = letters.add_subparsers(dest="action", required=True)
    for name, text in (("issue", "make the year's 责任书 for holders who have none yet and "
                                 "send them (in private, when the bot runs)"),
                       ("reconcile", "open the year's 对账 now and send each holder their list"),
                       ("list", "each holder's 责任书 of the year: signed, and its 对账")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--year", type=int, required=True, metavar="YYYY")


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
