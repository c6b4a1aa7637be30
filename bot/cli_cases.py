"""`dutybot case …`: the 问责 register on the office machine — a case recorded by a named
纪委 member (whose 倒查 it opens, under their name), and the register listed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings


def add_case_parser(sub: argparse._SubParsersAction) -> None:
    case = sub.add_parser("case", help="the 问责 register: record a case (一案双查), list them")
    actions = case.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="record a case, as the 纪委 member named by --by")
    add.add_argument("person", help="whom it concerns: 姓名, or 姓名@单位")
    add.add_argument("--by", required=True, metavar="姓名",
                     help="the 纪委 member who records it (and leads its 倒查)")
    add.add_argument("--situation", required=True, metavar="编号",
                     help="the 追责情形's code in the rules file (1 to 10 by default)")
    add.add_argument("--finding", required=True, metavar="文字", help="what was found")
    add.add_argument("--handling", metavar="处理", help="e.g. 诫勉 (the rules file's list)")
    add.add_argument("--decided", metavar="日期", help="when the 处理 was decided")
    add.add_argument("--unit", metavar="单位", help="the unit (default: the person's)")
    add.add_argument("--misconduct", action="store_true",
                     help="a 违纪违法 case: opens the 倒查 of 主体责任 and 监督责任 (一案双查)")
    add.add_argument("--typical", action="store_true", help="a 典型案例, for the 通报")
    actions.add_parser("list", help="every case, with its 倒查")


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
