"""`dutybot handover 旧姓名 新姓名 [--dry-run] [--yes]`: 人员交接 on the office machine.

The plan (what moves, what cannot, and why) is printed first; `--dry-run` stops there.
Without `--yes` the operator confirms on stdin (y); anything else, or no answer, changes
nothing. A name that matches nobody or several people: one line, exit 1, nothing changed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from bot.config import Settings


async def _handover(settings: Settings, leaver: str, successor: str, dry_run: bool,
                    confirm: Callable[[str], bool]) -> tuple[str, bool]:
    """(the plan's text, applied)."""
    from bot.domain.model import CONSOLE
    from bot.services.handover import preview
    from bot.services.registry import Services
    from messages.handover import console, plan_text

    async with Services.opened(settings) as services:
        view = await services.handover.plan(CONSOLE, leaver, successor)
        shown = console(plan_text(preview(view)))
        if dry_run or not confirm(shown):
            return shown, False
        done = await services.handover.apply(CONSOLE, leaver, successor,
                                             expected=view.plan.fingerprint())
        return console(plan_text(preview(done))), True


def cmd_handover(settings: Settings, leaver: str, successor: str, dry_run: bool = False,
                 yes: bool = False) -> int:
    from bot.services.errors import ServiceError
    from messages.handover import console, console_declined, console_question
    from messages.refusals import refusal

    def confirm(shown: str) -> bool:
        if yes:
            return True
        print(shown)
        print(console_question(leaver, successor), end="", flush=True)
        answer = sys.stdin.readline()
        return answer.strip().lower() in ("y", "yes", "是")

    settings.check_db_writable()
    try:
        text, applied = asyncio.run(_handover(settings, leaver, successor, dry_run,
                                              confirm))
    except ServiceError as exc:
        print(f"dutybot: handover: {console(refusal(exc))}", file=sys.stderr)
        return 1
    if dry_run:
        print(text)
        return 0
    if not applied:
        print()
        print(f"dutybot: handover: {console_declined()}", file=sys.stderr)
        return 1
    print(text)
    return 0
