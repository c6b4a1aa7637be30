"""约谈: the talks a person must hold (required by the rules, or set ad hoc by the 纪委 or
the 书记), and the record of those held, which closes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain import permissions
from bot.domain.model import TALK_KINDS, Actor, Duty, Item, ListKind, Person
from bot.domain.transitions import Action
from bot.services.base import ServiceBase
from bot.services.errors import NotAllowed, NotBound, NotYours, StaleButton, UnknownTerm
from bot.services.people import resolve_person
from bot.services.replies import ReplyService, check_text, check_transition
from storage.db import Tx
from storage.talks import TalkRecord


@dataclass(frozen=True, slots=True)
class TalkLine:
    item: Item
    counterpart: Person


@dataclass(frozen=True, slots=True)
class HeldLine:
    record: TalkRecord
    counterpart: Person


@dataclass(frozen=True, slots=True)
class TalkOverview:
    to_hold: list[TalkLine]
    held: list[HeldLine]  # this year
    today: date
    can_schedule: bool


@dataclass(frozen=True, slots=True)
class TalkHeld:
    record: TalkRecord
    item: Item
    counterpart: Person


def talk_kind(text: str, kinds: tuple[str, ...] = TALK_KINDS) -> str:
    """One of the talk kinds (the rules file's `[talks] kinds`), as typed or picked."""
    word = text.strip()
    if word not in kinds:
        raise UnknownTerm(word, list(kinds))
    return word


class TalkService(ServiceBase):
    def __init__(self, replies: ReplyService, kinds: tuple[str, ...] = TALK_KINDS) -> None:
        super().__init__(replies.db, replies.clock)
        self.replies = replies
        self.kinds = kinds  # the talk kinds one may pick (SPEC §11: the rules file's list)

    async def overview(self, actor: Actor) -> TalkOverview:
        if actor.person is None:
            raise NotBound()
        today = self.today()
        person_id = actor.person.id

        async def read(tx: Tx) -> tuple[list[Item], list[TalkRecord], dict[int, Person]]:
            mine = [i for i in await tx.items.talks_of(person_id) if i.is_active]
            held = await tx.talks.held(date(today.year, 1, 1), today, person_id)
            return mine, held, await tx.persons.by_ids(
                {i.counterpart_id for i in mine} | {t.counterpart_id for t in held})

        mine, held, people = await self.db.read_at_once(read)  # one round trip
        return TalkOverview(
            to_hold=[TalkLine(i, people[i.counterpart_id]) for i in mine],
            held=[HeldLine(t, people[t.counterpart_id]) for t in held],
            today=today, can_schedule=permissions.can_schedule_talks(actor))

    async def talk_to_record(self, tx: Tx, actor: Actor, item_id: int) -> Item:
        """The holder's own open talk, or a clear refusal."""
        if actor.person is None:
            raise NotBound()
        item = await tx.items.get(item_id)
        if item is None or not item.is_talk:
            raise StaleButton()
        if not permissions.can_work_on(actor, item):
            raise NotYours()
        return item

    async def may_record(self, actor: Actor, item_id: int) -> Item:
        """Check, before asking for the date, that the holder may record this talk now."""
        item = await self.db.read_at_once(lambda tx: self.talk_to_record(tx, actor, item_id))
        check_transition(item, Action.COMPLETE)
        return item

    async def record_in(self, tx: Tx, actor: Actor, item_id: int, held_on: date, kind: str,
                        note: str | None) -> TalkHeld:
        item = await self.talk_to_record(tx, actor, item_id)
        text = check_text(note, "note") if note else ""
        changed = await self.replies.move_in(tx, actor, item, Action.COMPLETE,
                                             held_on=held_on.isoformat(), talk=kind)
        record = await tx.talks.add(item_id=item.id, holder_id=item.owner_id,
                                    counterpart_id=item.counterpart_id, kind=kind,
                                    held_on=held_on, note=text, now=self.now())
        counterpart = await tx.persons.get(item.counterpart_id)
        await tx.events.record(actor, self.now(), "talk.held", "talk", record.id,
                               item=item.code, kind=kind, held_on=held_on.isoformat(),
                               holder=actor.person.name, counterpart=counterpart.name,
                               note=text)
        return TalkHeld(record=record, item=changed.item, counterpart=counterpart)

    async def schedule_in(self, tx: Tx, actor: Actor, who: str, kind: str, due: date) -> TalkLine:
        """An ad-hoc talk the 纪委 or the 书记 will hold with `who` by `due`."""
        if not permissions.can_schedule_talks(actor):
            raise NotAllowed("schedule_talk")
        counterpart = await resolve_person(tx, who)
        holder = actor.person
        duty = Duty.SUPERVISION if holder.roles & permissions.DISCIPLINE_ROLES else Duty.FIRST
        now = self.now()
        item = await tx.items.add(
            kind=ListKind.OBLIGATION, title=f"{kind}：{counterpart.name}", duty=duty,
            owner_id=holder.id, unit_id=holder.unit_id, parent_id=None, source="临时安排",
            due_date=due, now=now, counterpart_id=counterpart.id)
        await tx.events.record(actor, now, "item.created", "item", item.id, code=item.code,
                               kind=item.kind.value, title=item.title, duty=duty.value,
                               owner=holder.name, counterpart=counterpart.name,
                               due_date=due.isoformat())
        return TalkLine(item=item, counterpart=counterpart)
