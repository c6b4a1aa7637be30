"""`dutybot case …`: the 问责 register on the office machine — a case recorded by a named
纪委 member (whose 倒查 it opens, under their name), and the register listed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings


async def _case(settings: Settings, args: argparse.Namespace):
    from bot.domain.model import CONSOLE, Actor
    from bot.services.cases import CaseDraft
    from bot.services.people import resolve_person
    from bot.services.registry import Services

    async with Services.opened(settings) as services:
        if args.action == "list":
            return await services.cases.visible(CONSOLE)
        async with services.db.read() as tx:
            recorder = await resolve_person(tx, args.by)
        actor = Actor(telegram_user_id=recorder.telegram_user_id, person=recorder)
        return await services.cases.record(actor, CaseDraft(
            person=args.person, situation=args.situation, finding=args.finding,
            handling=args.handling, decided_on=args.decided, misconduct=args.misconduct,
            typical=args.typical, unit=args.unit))


def cmd_case(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.errors import ServiceError
    from messages.cases import case_lines, case_recorded, console
    from messages.refusals import refusal

    settings.check_db_writable()
    try:
        result = asyncio.run(_case(settings, args))
    except ServiceError as exc:
        print(f"dutybot: case {args.action}: {console(refusal(exc))}", file=sys.stderr)
        return 1
    if args.action == "add":
        print(console(case_recorded(result)))
        return 0
    if not result:
        print("还没有登记问责案件。")
    for view in result:
        print(console("\n".join(case_lines(view))))
    return 0
