"""责任书 签字背书 and the year-end 对账 (SPEC §11), run by the clockwork and by taps.

On the rules file's `[letters] issue` day (or the first tick after it, until the 对账 opens)
each holder — every 班子成员 and 下级党组织书记 with items for the year — gets their 责任书 in
private, as a message and an .xlsx, with a 签字背书 button. On the `reconcile` day each
holder gets their 对账: one line per item, answered 已完成 or 未完成 with a reason; each
answered line waits for the 对账确认 of the 纪委 or the 党委 (书记, 党委办公室), who for a
未完成 line also chooses 结转 (into next year's list, under a new code, its history linked)
or 不结转. When a holder's last line is confirmed, they get their 对账 sheet.

Everything is private: a 责任书 names a person's duties, and is never pushed to a group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.domain.calendar import WorkCalendar
from bot.domain.letters import (
    REASON_MAX,
    Answer,
    Carry,
    Letter,
    LetterProblem,
    Line,
    LineState,
    can_confirm,
    carried_due,
    check_answer,
    check_confirm,
    check_sign,
    holders,
    issue_due,
    opening,
    reconcile_due,
)
from bot.domain.model import ACTIVE_STATUSES, Actor, Item, ItemStatus, ListKind, Person, Unit
from bot.domain.policy import ReminderPolicy
from bot.domain.target import Target
from bot.domain.text import TextRefused, clean_note
from bot.rules import LetterRules
from bot.services.base import ServiceBase
from bot.services.errors import LetterRefused, NotAllowed, NotBound, text_refused
from bot.services.reminders import SYSTEM
from storage.db import Database, Tx

LETTER_KIND = "letter"  # the outbox's kind for a 责任书 (message + .xlsx)
RECONCILE_KIND = "reconcile"  # a holder's 对账 list, with its buttons
SHEET_KIND = "reconcile_sheet"  # a holder's finished 对账 sheet (message + .xlsx)


@dataclass(frozen=True, slots=True)
class LetterView:
    """A holder's 责任书 as they see it: what is on it and, once open, their 对账."""

    letter: Letter
    person: Person
    unit: str
    items: list[Item]
    lines: list[Line]
    reconciling: bool  # the 对账 is open


@dataclass(frozen=True, slots=True)
class Waiting:
    """An 对账 line waiting for its 对账确认, with whose it is."""

    line: Line
    holder: str
    unit: str


@dataclass(frozen=True, slots=True)
class Confirmed:
    line: Line
    holder: str
    carried: Item | None  # next year's item, when 结转


class LetterService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, rules: LetterRules,
                 calendar: WorkCalendar | None = None,
                 policy: Callable[[], Awaitable[ReminderPolicy]] | None = None) -> None:
        super().__init__(db, clock)
        self.rules = rules
        self.calendar = calendar  # pushes go on workdays, at the reminders' hour
        self._policy = policy

    # The clockwork ------------------------------------------------------------------------

    async def plan(self) -> int:
        """Each tick: the year's 责任书 in the days after their day (domain `issue_due`), the
        对账 from its day to the year's end; a holder bound later gets theirs once bound. On
        workdays, from the reminders' hour and never in quiet hours (a day off moves the
        push to the next workday).
        Returns how many messages were queued."""
        now = self.now()
        today = now.date()
        if self.calendar is not None and not self.calendar.is_workday(today):
            return 0
        if self._policy is not None:
            policy = await self._policy()
            if now.time() < policy.send_time or policy.is_quiet(now.time()):
                return 0
        year = today.year
        queued = 0
        queued += await self.issue(year, make=issue_due(today, self.rules.issue_on(year),
                                                        self.rules.reconcile_on(year)))
        if reconcile_due(today, self.rules.reconcile_on(year)):
            queued += await self.reconcile(year)
        return queued

    async def issue(self, year: int, actor: Actor = SYSTEM, again: bool = False,
                    make: bool = True) -> int:
        """Make the year's 责任书 (one per holder with items for the year), once a year —
        `again` (the office's console) makes those still missing — and send each to its
        holder in private, once; a holder bound later gets theirs then (`make` False: only
        that). Returns how many were queued."""
        now = self.now()
        async with self.db.read() as tx:
            letters = await tx.letters.of_year(year)
            making = make and (again or not await tx.letters.ran(year, "issue"))
            sent = await tx.outbox.queued(f"{LETTER_KIND}:{x.id}" for x in letters)
            if not making and all(f"{LETTER_KIND}:{x.id}" in sent for x in letters):
                return 0  # most ticks: nothing to make, nothing left to send
            people = await tx.persons.all()
            made: list[Person] = []
            if making:
                have = {letter.person_id for letter in letters}
                made = [p for p in holders(people) if p.id not in have
                        and await tx.letters.items_of(p.id, year)]
        unsent = [x for x in letters if f"{LETTER_KIND}:{x.id}" not in sent
                  and people.get(x.person_id) is not None
                  and people[x.person_id].telegram_user_id is not None]
        if not made and not unsent and not (making and not again):
            return 0
        queued = 0
        async with self.db.transaction() as tx:
            if making:
                await tx.letters.mark_run(year, "issue", now)
            for person in made:
                letter = await tx.letters.add(person.id, year, self.today(), now)
                if letter is None:
                    continue
                items = await tx.letters.items_of(person.id, year)
                await tx.events.record(actor, now, "letter.issued", "letter", letter.id,
                                       owner=person.name, year=year,
                                       items=[i.code for i in items])
                if person.telegram_user_id is not None:
                    unsent.append(letter)
            units = await tx.units.all()
            for letter in unsent:
                person = people[letter.person_id]
                items = await tx.letters.items_of(person.id, year)
                added = await tx.outbox.add(
                    dedup_key=f"{LETTER_KIND}:{letter.id}",
                    target=Target.telegram(person.telegram_user_id), person_id=person.id,
                    kind=LETTER_KIND, day=now.date(), now=now,
                    payload=letter_payload(letter, person, units[person.unit_id].name, items))
                queued += added is not None
        return queued

    async def reconcile(self, year: int, actor: Actor = SYSTEM) -> int:
        """Open the year's 对账: lay out each 责任书's lines (once) and send each holder
        their list in private. Returns how many lists were queued."""
        now = self.now()
        async with self.db.read() as tx:
            letters = await tx.letters.of_year(year)
            opened = await tx.letters.reconcile_opened(x.id for x in letters)
            sent = await tx.outbox.queued(f"{RECONCILE_KIND}:{x.id}" for x in letters)
        todo = [x for x in letters if x.id not in opened or f"{RECONCILE_KIND}:{x.id}" not in sent]
        if not todo:
            return 0
        queued = 0
        async with self.db.transaction() as tx:
            people = await tx.persons.all()
            units = await tx.units.all()
            for letter in todo:
                if letter.id not in opened:
                    items = await tx.letters.items_of(letter.person_id, year)
                    lines = [(i.id, *opening(i)) for i in items]
                    if await tx.letters.open_reconcile(letter.id, lines, now):
                        await tx.events.record(actor, now, "letter.reconcile_opened", "letter",
                                               letter.id, year=year,
                                               items=[i.code for i in items])
                person = people.get(letter.person_id)
                if person is None or person.telegram_user_id is None:
                    continue
                lines = await tx.letters.lines(letter.id)
                added = await tx.outbox.add(
                    dedup_key=f"{RECONCILE_KIND}:{letter.id}",
                    target=Target.telegram(person.telegram_user_id), person_id=person.id,
                    kind=RECONCILE_KIND, day=now.date(), now=now,
                    payload=reconcile_payload(letter, person, units[person.unit_id].name,
                                              lines))
                queued += added is not None
        return queued

    # The holder ---------------------------------------------------------------------------

    async def mine(self, actor: Actor) -> LetterView | None:
        """/责任书: this year's 责任书 of the sender (else their latest)."""
        if actor.person is None:
            raise NotBound()
        person_id, year = actor.person.id, self.today().year

        async def read(tx: Tx) -> LetterView | None:  # one round trip (storage/at_once.py)
            letter = await tx.letters.of(person_id, year)
            if letter is None:
                letter = await tx.letters.of(person_id, year - 1)
            if letter is None:
                return None
            return await self._view(tx, letter)

        return await self.db.read_at_once(read)

    async def of_year(self, year: int) -> list[LetterView]:
        """Every 责任书 of the year, with its 对账 (the console's list)."""
        async with self.db.read() as tx:
            return [await self._view(tx, letter) for letter in await tx.letters.of_year(year)]

    async def view(self, letter_id: int) -> LetterView:
        async def read(tx: Tx) -> LetterView:  # one round trip (storage/at_once.py)
            letter = await tx.letters.get(letter_id)
            if letter is None:
                raise LetterRefused("letter")
            return await self._view(tx, letter)

        return await self.db.read_at_once(read)

    async def _view(self, tx: Tx, letter: Letter) -> LetterView:
        person = await tx.persons.get(letter.person_id)
        units = await tx.units.all()
        lines = await tx.letters.lines(letter.id)
        opened = bool(await tx.letters.reconcile_opened([letter.id]))
        return LetterView(letter=letter, person=person, unit=units[person.unit_id].name,
                          items=await tx.letters.items_of(letter.person_id, letter.year),
                          lines=lines, reconciling=opened)

    async def sign(self, actor: Actor, letter_id: int) -> LetterView:
        """签字背书: by the holder, once, with its time in the 履责纪实."""
        async def write(tx: Tx) -> LetterView:  # one round trip (storage/at_once.py)
            letter = await tx.letters.get(letter_id)
            if letter is None:
                raise LetterRefused("letter")
            try:
                check_sign(actor, letter)
            except LetterProblem as problem:
                raise LetterRefused(problem.field, str(letter.year)) from None
            now = self.now()
            await tx.letters.sign(letter.id, now)
            items = await tx.letters.items_of(letter.person_id, letter.year)
            await tx.events.record(actor, now, "letter.signed", "letter", letter.id,
                                   year=letter.year, items=[i.code for i in items])
            return await self._view(tx, await tx.letters.get(letter.id))

        return await self.change_at_once(actor, write)

    async def answer(self, actor: Actor, line_id: int, answer: Answer,
                     reason: str | None = None) -> LetterView:
        return await self.change_at_once(
            actor, lambda tx: self.answer_in(tx, actor, line_id, answer, reason))

    async def answer_in(self, tx: Tx, actor: Actor, line_id: int, answer: Answer,
                        reason: str | None = None) -> LetterView:
        """The holder's 已完成, or 未完成 with its reason, on one 对账 line."""
        line = await tx.letters.line(line_id)
        if line is None:
            raise LetterRefused("line")
        if reason is not None and reason.strip():
            try:
                reason = clean_note(reason, REASON_MAX)
            except TextRefused as refused:
                raise text_refused("reason", reason, refused) from None
        try:
            check_answer(actor, line, answer, reason)
        except LetterProblem as problem:
            raise LetterRefused(problem.field, line.code) from None
        now = self.now()
        kept = reason if answer is Answer.UNDONE else None
        await tx.letters.answer(line.id, answer, kept, now)
        await tx.events.record(actor, now, "letter.answered", "item", line.item_id,
                               code=line.code, year=line.year, answer=answer.value,
                               reason=kept)
        return await self._view(tx, await tx.letters.get(line.letter_id))

    async def line_for_answer(self, actor: Actor, line_id: int) -> Line:
        """The line a 未完成 tap is about, checked before its reason is asked for."""
        line = await self.db.read_at_once(lambda tx: tx.letters.line(line_id))
        if line is None:
            raise LetterRefused("line")
        try:
            check_answer(actor, line, Answer.DONE, None)
        except LetterProblem as problem:
            raise LetterRefused(problem.field, line.code) from None
        return line

    # The confirmers -----------------------------------------------------------------------

    async def waiting(self, actor: Actor) -> list[Waiting]:
        """/对账: the lines waiting for 对账确认 that this person may confirm (not their own)."""
        if not can_confirm(actor):
            raise NotAllowed("confirm_reconcile")

        async def read(tx: Tx) -> tuple[list[Line], dict[int, Person], dict[int, Unit]]:
            return await tx.letters.waiting(), await tx.persons.directory(), await tx.units.all()

        lines, people, units = await self.db.read_at_once(read)
        return [Waiting(line, people[line.holder_id].name,
                        units[people[line.holder_id].unit_id].name)
                for line in lines if can_confirm(actor, line.holder_id)]

    async def confirm(self, actor: Actor, line_id: int, carry: Carry | None) -> Confirmed:
        """对账确认 of one line; for a 未完成 line, with 结转 or 不结转; a 已完成 line closes its
        item if still open (not a 整改: that is 验收's). 结转 makes the item
        anew in next year's list (same owner, unit, kind and chain; the same day a year on),
        cancels the old one, and links the two in the 履责纪实."""
        async def write(tx: Tx) -> Confirmed:  # one round trip (storage/at_once.py)
            line = await tx.letters.line(line_id)
            if line is None:
                raise LetterRefused("line")
            try:
                check_confirm(actor, line, carry)
            except LetterProblem as problem:
                raise LetterRefused(problem.field, line.code) from None
            now = self.now()
            await tx.letters.confirm(line.id, actor.person.id, carry, now)
            await tx.events.record(actor, now, "letter.confirmed", "item", line.item_id,
                                   code=line.code, year=line.year, answer=line.answer.value,
                                   carry=carry.value if carry else None)
            carried = None
            if carry is Carry.CARRY:
                carried = await self._carry(tx, actor, line)
            elif line.answer is Answer.DONE:
                await self._close(tx, actor, line)
            people = await tx.persons.directory()
            letter = await tx.letters.get(line.letter_id)
            lines = await tx.letters.lines(letter.id)
            if all(x.state is LineState.CONFIRMED for x in lines):
                await self._send_sheet(tx, letter, lines)
            return Confirmed(await tx.letters.line(line.id), people[line.holder_id].name,
                             carried)

        return await self.change_at_once(actor, write)

    async def _close(self, tx: Tx, actor: Actor, line: Line) -> None:
        """A 已完成 confirmed at the 对账 closes an item still open (a 整改 is left to the
        纪委's 验收销号: 对账确认 is not 销号)."""
        item = await tx.items.get(line.item_id)
        if item.kind is ListKind.RECTIFICATION or item.status not in ACTIVE_STATUSES:
            return
        now = self.now()
        await tx.items.set_status(item.id, ItemStatus.DONE, now)
        await tx.events.record(actor, now, "item.status", "item", item.id, code=item.code,
                               action="complete", to=ItemStatus.DONE.value, reconciled=True,
                               **{"from": item.status.value})

    async def _carry(self, tx: Tx, actor: Actor, line: Line) -> Item:
        old = await tx.items.get(line.item_id)
        now = self.now()
        new = await tx.items.add(
            kind=old.kind, title=old.title, duty=old.duty, owner_id=old.owner_id,
            unit_id=old.unit_id, parent_id=old.parent_id, source=old.source,
            due_date=carried_due(old.due_date), now=now)
        await tx.letters.set_carried(line.id, new.id)
        await tx.events.record(actor, now, "item.carried_over", "item", new.id, code=new.code,
                               carried_from=old.code, year=new.due_date.year,
                               due_date=new.due_date.isoformat(), title=new.title)
        await tx.events.record(actor, now, "letter.carried", "item", old.id, code=old.code,
                               carried_to=new.code)
        if old.status in ACTIVE_STATUSES or old.status is ItemStatus.PENDING_VERIFICATION:
            await tx.items.set_status(old.id, ItemStatus.CANCELLED, now)
            await tx.events.record(actor, now, "item.status", "item", old.id, code=old.code,
                                   action="cancel", to=ItemStatus.CANCELLED.value,
                                   carried_to=new.code, **{"from": old.status.value})
        return new

    async def _send_sheet(self, tx: Tx, letter: Letter, lines: list[Line]) -> None:
        """The holder's finished 对账 sheet, once, in private."""
        person = await tx.persons.get(letter.person_id)
        if person is None or person.telegram_user_id is None:
            return
        people = await tx.persons.directory()
        units = await tx.units.all()
        carried = await tx.items.by_ids(x.carried_item_id for x in lines if x.carried_item_id)
        now = self.now()
        await tx.outbox.add(
            dedup_key=f"{SHEET_KIND}:{letter.id}",
            target=Target.telegram(person.telegram_user_id), person_id=person.id,
            kind=SHEET_KIND, day=now.date(), now=now,
            payload=sheet_payload(letter, person, units[person.unit_id].name, lines,
                                  {i: p.name for i, p in people.items()},
                                  {i: item.code for i, item in carried.items()}))


# Payloads: what the outbox keeps, for messages/letters.py to render -----------------------

def item_entry(item: Item) -> dict[str, Any]:
    return {"code": item.code, "title": item.title, "kind": item.kind.value,
            "duty": item.duty.value, "due": item.due_date.isoformat(),
            "status": item.status.value}


def letter_payload(letter: Letter, person: Person, unit: str, items: list[Item]
                   ) -> dict[str, Any]:
    return {"letter": letter.id, "year": letter.year, "name": person.name, "unit": unit,
            "issued": letter.issued_on.isoformat(),
            "signed": letter.signed_at.isoformat() if letter.signed_at else None,
            "items": [item_entry(i) for i in items]}


def line_entry(line: Line) -> dict[str, Any]:
    return {"line": line.id, "code": line.code, "title": line.title,
            "due": line.due_date.isoformat(), "state": line.state.value,
            "answer": line.answer.value if line.answer else None, "reason": line.reason,
            "verified": line.state is LineState.CONFIRMED and line.confirmed_by is None,
            "carry": line.carry.value if line.carry else None}


def reconcile_payload(letter: Letter, person: Person, unit: str, lines: list[Line]
                      ) -> dict[str, Any]:
    return {"letter": letter.id, "year": letter.year, "name": person.name, "unit": unit,
            "lines": [line_entry(x) for x in lines]}


def sheet_payload(letter: Letter, person: Person, unit: str, lines: list[Line],
                  names: dict[int, str], codes: dict[int, str]) -> dict[str, Any]:
    entries = []
    for x in lines:
        entry = line_entry(x)
        entry["confirmed_by"] = names.get(x.confirmed_by, "") if x.confirmed_by else ""
        entry["confirmed_on"] = x.confirmed_at.date().isoformat() if x.confirmed_at else ""
        entry["carried_to"] = codes.get(x.carried_item_id, "") if x.carried_item_id else ""
        entries.append(entry)
    return {"letter": letter.id, "year": letter.year, "name": person.name, "unit": unit,
            "signed": letter.signed_at.isoformat() if letter.signed_at else None,
            "lines": entries}


def view_payload(view: LetterView) -> dict[str, Any]:
    """A /责任书 view as the 对账 list's payload (for redrawing it after a tap)."""
    return reconcile_payload(view.letter, view.person, view.unit, view.lines)

