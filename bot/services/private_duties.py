"""Reminders for the confidential duties that come from a 问责 case (SPEC §11): a 倒查 and
the follow-ups of whoever is held accountable. They are not items (their titles must not
show in scopes, summaries or exports), yet they are reminded like items: on the reminder
policy's days, to their owner in private, and once overdue to those the duty names — within
the 纪委, never a group, a robot, the 分管领导 or the 书记. Each stage goes once: the outbox
keys (`<kind>:<duty id>:<stage>:<person>`) say which went, so no table of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.calendar import WorkCalendar
from bot.domain.model import Person
from bot.domain.planner import PlanItem, horizon, plan
from bot.domain.policy import ReminderPolicy
from bot.domain.target import Target
from storage.db import Database, Tx


@dataclass(frozen=True, slots=True)
class PrivateDuty:
    """One open confidential duty, as the planner needs it."""

    id: int
    owner_id: int
    unit_id: int
    due_date: date
    # who hears of it at a stage: the planner's lane (owner, leaders, discipline) → ids
    recipients: Callable[[str, Mapping[int, Person]], Sequence[int]]
    # the reminder's payload for one recipient: (stage label, person id, people) → dict
    payload: Callable[[str, int, Mapping[int, Person]], dict[str, Any]]


async def plan_private(db: Database, now: datetime, calendar: WorkCalendar,
                       policy: ReminderPolicy, kind: str,
                       read_open: Callable[[Tx, date], Awaitable[Sequence[PrivateDuty]]]
                       ) -> int:
    """Queue today's reminders of the open duties `read_open` gives (those due by the
    date it is handed), in private chats only. Returns how many messages were queued."""
    today = now.date()
    if not (calendar.is_workday(today) and now.time() >= policy.send_time
            and not policy.is_quiet(now.time())):
        return 0
    async with db.read() as tx:
        duties = {d.id: d for d in await read_open(tx, today + timedelta(days=horizon(policy)))}
        if not duties:
            return 0
        keys = await tx.outbox.keys_starting(f"{kind}:")
    planned: dict[int, set[str]] = {}
    for key in keys:
        _, duty_id, stage, _ = key.split(":")
        planned.setdefault(int(duty_id), set()).add(stage)
    pushes = plan([PlanItem(d.id, d.owner_id, d.unit_id, d.due_date) for d in duties.values()],
                  planned, today, calendar, policy)
    queued = 0
    async with db.transaction() as tx:
        people = await tx.persons.all()
        for push in pushes:
            duty = duties[push.item_id]
            for person_id in duty.recipients(push.stage.lane.value, people):
                person = people.get(person_id)
                if person is None or person.telegram_user_id is None:
                    continue  # private chats only: not bound yet, not told
                added = await tx.outbox.add(
                    dedup_key=f"{kind}:{duty.id}:{push.stage.label}:{person_id}",
                    target=Target.telegram(person.telegram_user_id), person_id=person_id,
                    kind=kind, day=today, now=now,
                    payload=duty.payload(push.stage.label, person_id, people))
                queued += added is not None
    return queued
