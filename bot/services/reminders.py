"""Reminders: obligations onto the lists, the daily plan into the outbox, acknowledgements,
the policy an admin sets, and events (a 民主生活会) that trigger obligations."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.calendar import DaySource, WorkCalendar
from bot.domain.channels import Routes
from bot.domain.dates import DateParseError, FutureDateError, parse_past_date
from bot.domain.decisions import PendingDecision
from bot.domain.model import Actor, Item, ListKind, Person, Role, Unit
from bot.domain.obligations import Schedule, Trigger, occurrences
from bot.domain.planner import Lane, Org, Recipient, finished, horizon, plan, recipients
from bot.domain.policy import (
    SETTING_KEYS,
    PolicyError,
    ReminderPolicy,
    encode_setting,
    with_setting,
    with_settings,
)
from bot.domain.target import Target
from bot.rules import Rules
from bot.services.base import ServiceBase
from bot.services.decisions import decision_entry
from bot.services.errors import (
    BadSetting,
    FutureDate,
    InvalidDate,
    NotAllowed,
    NotBound,
    StaleButton,
)
from storage.db import Database, Tx
from storage.outbox import DIGEST_KINDS, ROBOT_DIGEST, NewMessage
from storage.reminders import UnsentReminder

log = logging.getLogger("dutybot.reminders")

SYSTEM = Actor(telegram_user_id=None)
UPDATE_MEMORY = timedelta(days=7)  # Telegram re-delivers within seconds; a week is ample
# Items one digest lists (the rest are counted): a first run over an old backlog may hold
# thousands for one person, which no one reads and Telegram would take as hundreds of parts.
DIGEST_ENTRIES = 30


@dataclass(frozen=True, slots=True)
class Acknowledged:
    item: Item
    first: bool  # False: it had been acknowledged before (a double tap)


@dataclass(frozen=True, slots=True)
class MeetingRecorded:
    event: str
    on: date
    new: bool  # False: that meeting was recorded before
    made: list[tuple[Item, Person]]  # the obligations it created, with their owners


class ReminderService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, rules: Rules, calendar: WorkCalendar,
                 admin_ids: frozenset[int],
                 decisions: Callable[[Tx], Awaitable[list[PendingDecision]]] | None = None
                 ) -> None:
        super().__init__(db, clock)
        self.rules = rules
        # the decisions waiting on someone (bot/services/decisions.py), for the digests
        self.decisions = decisions
        self.calendar = calendar
        self.admin_ids = admin_ids
        # only a shortcut: the database decides what exists and what ran
        self._looked_at: tuple[date, tuple[int, ...]] | None = None
        self._warned_years: set[int] = set()

    # The policy ------------------------------------------------------------------------

    async def policy(self) -> ReminderPolicy:
        return (await self.settings())[0]

    async def settings(self) -> tuple[ReminderPolicy, set[str]]:
        """The policy in force, and which of its settings an admin changed: one read."""
        stored = await self.db.read_at_once(lambda tx: tx.policy.all())
        return with_settings(self.rules.policy, stored), set(stored) & set(SETTING_KEYS)

    async def change_setting(self, actor: Actor, key: str, text: str) -> ReminderPolicy:
        if not permissions.can_change_reminder_settings(actor):
            raise NotAllowed("remind_settings")

        async def write(tx: Tx) -> ReminderPolicy:  # one round trip (storage/at_once.py)
            current = with_settings(self.rules.policy, await tx.policy.all())
            try:
                changed = with_setting(current, key, text)
            except PolicyError as exc:
                raise BadSetting(str(exc)) from None
            await tx.policy.put(key, encode_setting(key, changed), self.now())
            await tx.events.record(actor, self.now(), "policy_changed", "policy", key,
                                   value=encode_setting(key, changed))
            return changed

        return await self.change_at_once(actor, write)

    async def reset_settings(self, actor: Actor) -> ReminderPolicy:
        if not permissions.can_change_reminder_settings(actor):
            raise NotAllowed("remind_settings")

        async def write(tx: Tx) -> None:  # one round trip (storage/at_once.py)
            if await tx.policy.clear():
                await tx.events.record(actor, self.now(), "policy_reset", "policy", "all")

        await self.change_at_once(actor, write)
        return self.rules.policy

    # The tick ----------------------------------------------------------------------------

    async def tick(self) -> int | None:
        """What the scheduler calls: keep the obligations current, then run today's plan
        if it is time. Returns how many reminders were planned (None: no plan ran)."""
        await self.materialize()
        return await self.plan_day()

    async def materialize(self) -> int:
        """Put every obligation occurrence that should exist today on its owner's list."""
        today = self.today()
        async with self.db.read() as tx:
            fingerprint = await tx.obligations.fingerprint()
        if self._looked_at == (today, fingerprint):
            return 0
        new_day = self._looked_at is None or self._looked_at[0] != today
        async with self.db.transaction() as tx:
            made = await self._materialize_in(tx, today)
            if new_day:
                await tx.updates.prune(self.now() - UPDATE_MEMORY)
        self._looked_at = (today, fingerprint)
        return len(made)

    async def _materialize_in(self, tx: Tx, today: date,
                              event: str | None = None) -> list[Item]:
        """Make the missing occurrences (of the rules an event triggers, if one is given)."""
        rules = [r for r in self.rules.obligations if event is None or r.event == event]
        people = await tx.persons.all()
        units = await tx.units.all()
        wanted = occurrences(rules, people, units, await tx.obligations.triggers(), today)
        have = await tx.obligations.existing([r.key for r in rules])
        made = []
        triggered = {r.key for r in rules if r.schedule is Schedule.AFTER_EVENT}
        for occ in wanted:
            if occ.identity in have:
                continue
            if event is None and occ.rule_key in triggered and occ.due_date < today:
                continue  # someone who took office later does not inherit an old meeting
            have.add(occ.identity)
            item = await tx.items.add(
                kind=ListKind.OBLIGATION, title=occ.title, duty=occ.duty, owner_id=occ.owner_id,
                unit_id=occ.unit_id, parent_id=None, source=None, due_date=occ.due_date,
                now=self.now(), rule_key=occ.rule_key, period=occ.period,
                counterpart_id=occ.counterpart_id,
            )
            await tx.events.record(SYSTEM, self.now(), "obligation_created", "item", item.id,
                                   rule=occ.rule_key, period=occ.period,
                                   due_date=occ.due_date.isoformat())
            made.append(item)
        return made

    async def plan_day(self) -> int | None:
        """Today's reminders and escalations, once per workday at the send time; written
        with their digests into the outbox in one transaction."""
        now = self.now()
        today = now.date()
        policy = await self.policy()
        if not self._is_send_time(now, policy):
            return None
        async with self.db.transaction() as tx:
            if not await tx.reminders.claim_day(today, now):
                return None
            last = finished(policy)
            items, planned = await tx.reminders.candidates(
                today + timedelta(days=horizon(policy)), last)
            pushes = plan(items, planned, today, self.calendar, policy)
            people = await tx.persons.all()
            routes = Routes.of(await tx.channels.all())
            org = Org(people, await tx.units.all(), await tx.groups.discipline_chats(),
                      routes.supervision)
            by_id = {i.id: i for i in items}
            rows, steps = [], []
            for push in pushes:
                item = by_id[push.item_id]
                told = [r for r in recipients(item, push.stage, org)
                        if _reachable(r, people, routes)]
                rows += [UnsentReminder(None, r.key, item.id, push.stage.label, item.owner_id,
                                        item.due_date) for r in told]
                if told:
                    planned.setdefault(item.id, set()).add(push.stage.label)
                if push.stage.overdue and told:
                    kind = "overdue_notice" if push.stage.lane is Lane.OWNER else "escalated"
                    steps.append((kind, "item", item.id, {
                        "stage": push.stage.label, "recipients": [r.key for r in told]}))
            if last:  # the ladders that are over now: not read again (storage/reminders.py)
                await tx.reminders.mark_ended(
                    ((i.id, i.due_date) for i in items if planned.get(i.id, set()) >= set(last)),
                    last)
            await tx.events.record_many(SYSTEM, now, steps)
            await self._queue_digests(tx, today, now, people, routes, rows)
            await tx.reminders.record_run(today, len(rows))
            await self._calendar_notices(tx, today, now, people)
        return len(rows)

    def _is_send_time(self, now: datetime, policy: ReminderPolicy) -> bool:
        moment = now.time()
        return (self.calendar.is_workday(now.date()) and moment >= policy.send_time
                and not policy.is_quiet(moment))

    async def _queue_digests(self, tx: Tx, today: date, now: datetime,
                             people: dict[int, Person], routes: Routes,
                             fresh: list[UnsentReminder]) -> None:
        """Write today's planned reminders, each in its recipient's digest: one per
        recipient per day, holding every planned reminder not yet sent (a digest from an
        earlier day that never went out is folded in). A digest lists at most
        DIGEST_ENTRIES items, the most urgent, and counts the rest; every reminder it holds
        is sent (and acknowledgeable) with it all the same. The digests are written first,
        so that today's reminders go in with the message they belong to.

        The people of a unit with a primary robot group get theirs there: one message for
        the unit, a section per person with an @mention, instead of one each in private."""
        stale = await tx.outbox.supersede_stale(DIGEST_KINDS, today)
        await tx.reminders.detach_from(stale)
        earlier = await tx.reminders.unsent()
        by_recipient: dict[str, list[UnsentReminder]] = defaultdict(list)
        for reminder in earlier + fresh:
            by_recipient[reminder.recipient].append(reminder)
        digests: dict[str, NewMessage] = {}
        sections = []  # (digest's key, to whom, those listed, how many not listed)
        units = await tx.units.all()
        for key in sorted(by_recipient):
            reminders = by_recipient[key]
            # by due date and item, and for an item the earlier reminders first (stable)
            reminders.sort(key=lambda r: (r.item_due, r.item_id, r.id is None))
            recipient = Recipient.parse(key)
            message = await self._digest_for(tx, recipient, people, routes, units, today)
            if message is None:
                continue
            digests.setdefault(message.dedup_key, message)
            latest = {r.item_id: r for r in reminders}  # a folded digest may hold two stages
            listed = _most_urgent(list(latest.values()), recipient)
            sections.append((message.dedup_key, recipient, listed, len(latest) - len(listed)))
        items = await tx.items.by_ids(r.item_id for s in sections for r in s[2])
        handles = await tx.persons.handles(
            {s[1].id for s in sections if digests[s[0]].kind == ROBOT_DIGEST})
        for dedup_key, recipient, listed, more in sections:
            entries = [_entry(items[r.item_id], r.stage, people, units, recipient)
                       for r in listed]
            payload = digests[dedup_key].payload
            if digests[dedup_key].kind == ROBOT_DIGEST:
                person = people[recipient.id]
                payload["sections"].append({
                    "person": person.id, "name": person.name, "bound": person.is_bound,
                    "handles": handles.get(person.id, {}), "entries": entries, "more": more})
                continue
            payload["entries"] = entries
            if more:
                payload["more"] = more
        await self._add_decisions(tx, today, people, units, digests)
        queued = await tx.outbox.add_many(digests.values(), now)
        # a recipient without a digest (not reachable, or one was queued today already)
        # keeps its reminders unsent, for the next day's digest
        box = {s[1].key: queued[s[0]] for s in sections if s[0] in queued}
        await tx.reminders.add_many(((r.recipient, r.item_id, r.stage, r.item_due,
                                      box.get(r.recipient)) for r in fresh), today)
        await tx.reminders.attach((r.id, box[r.recipient]) for r in earlier
                                  if r.recipient in box)

    async def _add_decisions(self, tx: Tx, today: date, people: dict[int, Person],
                             units: dict[int, Unit], digests: dict[str, NewMessage]) -> None:
        """The section 待您决定 (issue 22 §6): each decision waiting on a person goes into
        their private digest, made for it when they have no reminder today. Always in
        private (never a unit's robot group): a decision may concern someone's 整改."""
        if self.decisions is None:
            return
        waiting: dict[int, list[PendingDecision]] = defaultdict(list)
        for decision in await self.decisions(tx):
            for pid in decision.decider_ids:
                waiting[pid].append(decision)
        day = today.isoformat()
        for pid in sorted(waiting):
            person = people.get(pid)
            if person is None or person.telegram_user_id is None:
                continue  # not bound yet: tomorrow's digest shows it again
            key = f"digest:{Recipient.person(pid).key}:{day}"
            message = digests.setdefault(key, NewMessage(
                dedup_key=key, target=Target.telegram(person.telegram_user_id),
                person_id=pid, kind="digest", day=today,
                payload={"name": person.name, "entries": []}))
            mine = waiting[pid]
            message.payload["decisions"] = [decision_entry(d, people, units)
                                            for d in mine[:DIGEST_ENTRIES]]
            if len(mine) > DIGEST_ENTRIES:
                message.payload["decisions_more"] = len(mine) - DIGEST_ENTRIES

    async def _digest_for(self, tx: Tx, recipient: Recipient, people: dict[int, Person],
                          routes: Routes, units: dict[int, Unit],
                          today: date) -> NewMessage | None:
        """The (empty) digest a recipient's reminders go into today; None: unreachable."""
        day = today.isoformat()
        if recipient.kind == "p":
            person = people.get(recipient.id)
            if person is None:
                return None
            robot = routes.robot_of(person.unit_id)
            if robot is not None:  # the unit's primary group wins over a private chat
                return NewMessage(
                    dedup_key=f"{ROBOT_DIGEST}:r:{robot}:{day}", target=Target.robot(robot),
                    person_id=None, kind=ROBOT_DIGEST, day=today,
                    payload={"unit": units[person.unit_id].name, "sections": []})
            if person.telegram_user_id is None:
                return None
            return NewMessage(dedup_key=f"digest:{recipient.key}:{day}",
                              target=Target.telegram(person.telegram_user_id),
                              person_id=person.id, kind="digest", day=today,
                              payload={"name": person.name})
        if recipient.kind == "r":
            if recipient.id not in routes.supervision:
                return None
            return NewMessage(dedup_key=f"group_digest:{recipient.key}:{day}",
                              target=Target.robot(recipient.id), person_id=None,
                              kind="group_digest", day=today, payload={"name": ""})
        group = await tx.groups.get(recipient.id)
        if group is None:
            return None
        return NewMessage(dedup_key=f"group_digest:{recipient.key}:{day}",
                          target=Target.telegram(group.chat_id), person_id=None,
                          kind="group_digest", day=today, payload={"name": group.title})

    async def _calendar_notices(self, tx: Tx, today: date, now: datetime,
                                people: dict[int, Person]) -> None:
        """Tell the admins once about a year whose days off are estimated or unknown."""
        for year, source in sorted(self.calendar.uncertain_years().items()):
            if year not in self._warned_years:
                self._warned_years.add(year)
                log.warning("workdays of %s are %s: put the State Council's notice into the "
                            "rules file's [calendar.%s]", year, source.value, year)
            for chat_id in admin_chats(people, self.admin_ids):
                await tx.outbox.add(
                    dedup_key=f"notice:calendar:{year}:{source.value}:{chat_id}",
                    target=Target.telegram(chat_id), person_id=None, kind="calendar_notice",
                    day=today,
                    payload={"year": year, "estimated": source is DaySource.ESTIMATED},
                    now=now)

    # Replies to reminders -------------------------------------------------------------

    async def acknowledge(self, actor: Actor, item_id: int) -> Acknowledged:
        """收到: the person confirms they saw the reminders they were sent for an item."""
        if actor.person is None:
            raise NotBound()
        person_id = actor.person.id

        async def write(tx: Tx) -> Acknowledged:  # one round trip (storage/at_once.py)
            item = await tx.items.get(item_id)
            opened = await tx.reminders.acknowledge(Recipient.person(person_id).key,
                                                    item_id, self.now())
            if item is None:
                raise StaleButton()
            if opened is None:  # never reminded of it: only its owner may say 收到
                if item.owner_id != person_id:
                    raise StaleButton()
                return Acknowledged(item=item, first=True)
            if opened:
                await tx.events.record(actor, self.now(), "acknowledged", "item", item_id)
            return Acknowledged(item=item, first=bool(opened))

        return await self.change_at_once(actor, write)

    # Events that trigger obligations --------------------------------------------------

    async def record_meeting(self, actor: Actor, text: str,
                             event: str = "democratic_life_meeting") -> MeetingRecorded:
        if not permissions.can_record_meetings(actor):
            raise NotAllowed("record_meeting")
        try:
            held = parse_past_date(text, self.today())
        except FutureDateError:
            raise FutureDate(text.strip()) from None
        except DateParseError:
            raise InvalidDate(text.strip()) from None

        async def write(tx: Tx) -> MeetingRecorded:  # one round trip (storage/at_once.py)
            new = await tx.obligations.add_trigger(Trigger(event, held), self.now())
            if new:
                await tx.events.record(actor, self.now(), "meeting_held", "meeting",
                                       f"{event}:{held.isoformat()}", event=event)
            made = await self._materialize_in(tx, self.today(), event)
            owners = await tx.persons.by_ids({i.owner_id for i in made})
            return MeetingRecorded(event=event, on=held, new=new,
                                   made=[(i, owners[i.owner_id]) for i in made])

        return await self.change_at_once(actor, write)


def _most_urgent(latest: list[UnsentReminder], target: Recipient) -> list[UnsentReminder]:
    """What a digest lists: at most DIGEST_ENTRIES items, the recipient's own first, then by
    due date (the longest overdue first), in the order the digest had them (by due date)."""
    if len(latest) <= DIGEST_ENTRIES:
        return latest

    def rank(r: UnsentReminder) -> tuple[bool, date, int]:
        own = target.kind == "p" and target.id == r.owner_id
        return (not own, r.item_due, r.item_id)

    chosen = {r.item_id for r in sorted(latest, key=rank)[:DIGEST_ENTRIES]}
    return [r for r in latest if r.item_id in chosen]


def _reachable(recipient: Recipient, people: dict[int, Person], routes: Routes) -> bool:
    """A person can be told once they have bound their Telegram account or their unit has
    a working primary robot group; until then the stage stays unplanned and is tried again
    on the next workday."""
    if recipient.kind != "p":
        return True
    person = people.get(recipient.id)
    return person is not None and (person.telegram_user_id is not None
                                   or routes.robot_of(person.unit_id) is not None)


def admin_chats(people: dict[int, Person], admin_ids: frozenset[int]) -> list[int]:
    """Private chats of the admins: bound people with the admin role, and configured ids."""
    chats = {p.telegram_user_id for p in people.values()
             if Role.ADMIN in p.roles and p.telegram_user_id is not None}
    return sorted(chats | set(admin_ids))


def _entry(item: Item, stage: str, people: dict[int, Person], units: dict[int, Unit],
           target: Recipient) -> dict[str, Any]:
    """What a digest shows of one item: enough to render it without the database."""
    owner = people.get(item.owner_id)
    unit = units.get(item.unit_id)
    return {
        "item": item.id, "code": item.code, "kind": item.kind.value, "title": item.title,
        "due": item.due_date.isoformat(), "stage": stage,
        "owner": owner.name if owner else "", "unit": unit.name if unit else "",
        "own": target.kind == "p" and target.id == item.owner_id,
        "status": item.status.value, "talk": item.is_talk,
    }
