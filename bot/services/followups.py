"""The follow-up obligations of a person held accountable (001 §四(三)): a 书面检讨 to the
deciding body, a 深刻检查 at the next 民主生活会 or 组织生活会.

They open with a 问责 case that has a 处理 (bot/services/cases.py calls `open_in`), owned by
the person the case concerns. Confidential like the case: they are not items (no 分管 scope,
weekly summary or 清单 export shows them); their reminders go in private to the owner, and
once overdue to the 纪委 only, as a 倒查's do; the owner or the 纪委 marks one done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any

from bot.clock import Clock
from bot.domain.calendar import WorkCalendar
from bot.domain.cases import Case
from bot.domain.inspections import (
    FollowUp,
    FollowUpKind,
    FollowUpTerms,
    can_mark_follow_up,
    follow_up_dues,
    follow_up_recipients,
)
from bot.domain.model import Actor, Person
from bot.domain.policy import ReminderPolicy
from bot.services.base import ServiceBase
from bot.services.errors import CaseRefused, InspectionRefused, NotBound, StaleButton
from bot.services.private_duties import PrivateDuty, plan_private
from storage.db import Database, Tx

FOLLOW_UP_KIND = "followup_reminder"  # the outbox's kind: in private only
#: What may be typed after /问责 to mark one done.
FOLLOW_UP_WORDS = {"检讨": FollowUpKind.WRITTEN, "书面检讨": FollowUpKind.WRITTEN,
                   "written": FollowUpKind.WRITTEN, "检查": FollowUpKind.MEETING,
                   "深刻检查": FollowUpKind.MEETING, "meeting": FollowUpKind.MEETING}


async def open_in(tx: Tx, actor: Actor, case: Case, terms: FollowUpTerms,
                  now: datetime) -> list[FollowUp]:
    """The two follow-ups of a case with a 处理, counted from its date (else today); none
    for a case without one, nor twice."""
    if case.handling is None:
        return []
    opened = []
    for kind, due in follow_up_dues(case.decided_on or now.date(), terms).items():
        follow_up = await tx.inspections.add_follow_up(case.id, kind, case.person_id, due)
        if follow_up is not None:
            opened.append(follow_up)
    if opened:
        await tx.events.record(actor, now, "case.followups_opened", "case", case.id,
                               code=case.code, due={f.kind.value: f.due_date.isoformat()
                                                    for f in opened})
    return opened


class FollowUpService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, calendar: WorkCalendar | None = None,
                 policy: Callable[[], Awaitable[ReminderPolicy]] | None = None) -> None:
        super().__init__(db, clock)
        self.calendar = calendar
        self._policy = policy

    async def mark_done(self, actor: Actor, code: str, word: str) -> tuple[str, FollowUp]:
        """`/问责 检讨 A0001`: the 书面检讨 handed in (or the 深刻检查 made), by the person
        who owes it or by the 纪委. Returns the case's code and the follow-up."""
        if actor.person is None:
            raise NotBound()
        kind = FOLLOW_UP_WORDS.get(word.strip())
        if kind is None:
            raise InspectionRefused("follow_up", word.strip()[:12])

        async def write(tx: Tx) -> tuple[str, FollowUp]:  # one round trip (storage/at_once.py)
            case = await tx.cases.by_code(code.strip())
            follow_up = None
            if case is not None:
                follow_up = next((f for f in (await tx.inspections.follow_ups([case.id])
                                              ).get(case.id, []) if f.kind is kind), None)
            if case is None or follow_up is None or not can_mark_follow_up(actor, follow_up):
                # the same words whether the case exists or not: nothing to learn from it
                raise CaseRefused("code", code.strip()[:12])
            return case.code, await self._finish(tx, actor, case.id, case.code, follow_up)

        return await self.change_at_once(actor, write)

    async def mark_done_by_id(self, actor: Actor, follow_up_id: int) -> tuple[str, FollowUp]:
        """The button under a follow-up's reminder: re-checked as the command is."""
        if actor.person is None:
            raise NotBound()

        async def write(tx: Tx) -> tuple[str, FollowUp]:  # one round trip (storage/at_once.py)
            found = [(f, code) for f, code in await tx.inspections.follow_ups_by_ids(
                [follow_up_id])]
            if not found or not can_mark_follow_up(actor, found[0][0]):
                raise StaleButton()
            follow_up, code = found[0]
            return code, await self._finish(tx, actor, follow_up.case_id, code, follow_up)

        return await self.change_at_once(actor, write)

    async def _finish(self, tx: Tx, actor: Actor, case_id: int, code: str,
                      follow_up: FollowUp) -> FollowUp:
        if follow_up.done_on is not None or not await tx.inspections.finish_follow_up(
                follow_up.id, actor.person_id, self.now()):
            raise InspectionRefused("follow_up_done", code)
        await tx.events.record(actor, self.now(), "case.followup_done", "case", case_id,
                               code=code, kind=follow_up.kind.value)
        return FollowUp(follow_up.id, case_id, follow_up.kind, follow_up.owner_id,
                        follow_up.due_date, self.today())

    async def plan_reminders(self) -> int:
        """On the reminder policy's days the owner is reminded in private; once overdue,
        the 纪委书记 and then the 纪委 — never the 分管领导, the 书记, a group or a robot
        (bot/services/private_duties.py). Returns how many messages were queued."""
        if self.calendar is None or self._policy is None:
            return 0
        return await plan_private(self.db, self.now(), self.calendar, await self._policy(),
                                  FOLLOW_UP_KIND, _open_follow_ups)


async def _open_follow_ups(tx: Tx, due_by: date) -> list[PrivateDuty]:
    open_ = await tx.inspections.open_follow_ups(due_by)
    if not open_:
        return []
    people = await tx.persons.all()
    return [_follow_up_duty(f, code, people) for f, code in open_]


def _follow_up_duty(follow_up: FollowUp, code: str,
                    people: Mapping[int, Person]) -> PrivateDuty:
    def payload(stage: str, person_id: int, people: Mapping[int, Person]) -> dict[str, Any]:
        owner = people.get(follow_up.owner_id)
        return {"id": follow_up.id, "code": code, "kind": follow_up.kind.value,
                "due": follow_up.due_date.isoformat(), "stage": stage,
                "own": person_id == follow_up.owner_id, "owner": owner.name if owner else ""}

    owner = people.get(follow_up.owner_id)
    return PrivateDuty(follow_up.id, follow_up.owner_id, owner.unit_id if owner else 0,
                       follow_up.due_date,
                       lambda lane, people: follow_up_recipients(follow_up, lane, people),
                       payload)


def due_of(follow_ups: list[FollowUp], kind: FollowUpKind) -> date | None:
    return next((f.due_date for f in follow_ups if f.kind is kind), None)
