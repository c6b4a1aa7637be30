"""Identity, units, registration and binding by invite."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.model import NAME_MAX, Actor, Invite, Person, Role, Unit, UnitKind
from bot.domain.text import TextRefused, clean_name
from bot.domain.vocabulary import ROLE_NAMES, UNIT_KIND_NAMES, parse_term, split_words
from bot.services.base import ServiceBase
from bot.services.errors import (
    AlreadyBound,
    AmbiguousPerson,
    DuplicatePerson,
    DuplicateUnit,
    InviteInvalid,
    NotAllowed,
    UnknownPerson,
    UnknownRole,
    UnknownUnit,
    UsageError,
    text_refused,
)
from storage.db import Database, Tx


@dataclass(frozen=True, slots=True)
class RegistrationDraft:
    name: str
    roles: frozenset[Role]
    unit_name: str
    oversees_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Registration:
    person: Person
    unit: Unit
    oversees: tuple[Unit, ...]
    invite: Invite


def check_name(name: str, what: str) -> str:
    """A person's (`what` "person") or a unit's ("unit") name, cleaned as everywhere
    (bot/domain/text.py): NFC, trimmed, one line, nothing invisible, at most NAME_MAX."""
    try:
        return clean_name(name, NAME_MAX)
    except TextRefused as refused:
        raise text_refused(what, name, refused) from None


def parse_roles(text: str) -> frozenset[Role]:
    roles = set()
    for word in split_words(text):
        role = parse_term(word, ROLE_NAMES)
        if role is None:
            raise UnknownRole(word)
        roles.add(role)
    if not roles:
        raise UnknownRole(text)
    return frozenset(roles)


def parse_registration_line(args: list[str]) -> RegistrationDraft:
    """`姓名 角色[、角色] 所在单位 [分管:单位、单位]`, as typed after /登记."""
    if len(args) < 3:
        raise UsageError("register")
    name, role_text, unit_name, *rest = args
    oversees_text = " ".join(rest)
    for prefix in ("分管", "分管单位"):
        if oversees_text.startswith(prefix):
            oversees_text = oversees_text.removeprefix(prefix).lstrip(":：= ")
    return RegistrationDraft(
        name=check_name(name, "person"),
        roles=parse_roles(role_text),
        unit_name=unit_name.strip(),
        oversees_names=tuple(split_words(oversees_text)),
    )


def parse_unit_line(args: list[str]) -> tuple[str, UnitKind | None, str | None]:
    """`名称 [上级单位] [类型]` in any order after the name."""
    if not args:
        raise UsageError("new_unit")
    name, *rest = args
    kind: UnitKind | None = None
    parent: str | None = None
    for word in rest:
        as_kind = parse_term(word, UNIT_KIND_NAMES)
        if as_kind is not None and kind is None:
            kind = as_kind
        elif parent is None:
            parent = word
        else:
            raise UsageError("new_unit")
    return name, kind, parent


class PeopleService(ServiceBase):
    def __init__(
        self, db: Database, clock: Clock, admin_ids: frozenset[int], invite_days: int
    ) -> None:
        super().__init__(db, clock)
        self.admin_ids = admin_ids
        self.invite_ttl = timedelta(days=invite_days)

    # -- identity --------------------------------------------------------------------------

    async def actor_for(self, telegram_user_id: int, update_id: int | None = None) -> Actor:
        person = await self.db.read_at_once(
            lambda tx: tx.persons.by_telegram_id(telegram_user_id))
        return Actor(
            telegram_user_id=telegram_user_id,
            person=person,
            bootstrap_admin=telegram_user_id in self.admin_ids,
            update_id=update_id,
        )

    async def arrival(self, update_id: int,
                      telegram_user_id: int | None) -> tuple[bool, Actor | None]:
        """What the guard reads of an update as it arrives, in one round trip: whether it
        was handled before, and who sent it (as `actor_for` reads them)."""

        async def read(tx: Tx) -> tuple[bool, Person | None]:
            if telegram_user_id is None:
                return await tx.updates.seen(update_id), None
            return await tx.persons.arrival(update_id, telegram_user_id)

        seen, person = await self.db.read_at_once(read)
        if seen or telegram_user_id is None:
            return seen, None
        return False, Actor(telegram_user_id=telegram_user_id, person=person,
                            bootstrap_admin=telegram_user_id in self.admin_ids,
                            update_id=update_id)

    async def is_processed(self, update_id: int) -> bool:
        return await self.db.read_at_once(lambda tx: tx.updates.seen(update_id))

    # -- units -----------------------------------------------------------------------------

    async def unbound(self) -> list[Person]:
        """Everyone registered who has not opened their invite yet."""
        async with self.db.read() as tx:
            return [p for p in (await tx.persons.all()).values() if not p.is_bound]

    async def units(self) -> dict[int, Unit]:
        return await self.db.read_at_once(lambda tx: tx.units.all())

    async def create_unit(
        self, actor: Actor, name: str, kind: UnitKind | None, parent_name: str | None
    ) -> Unit:
        if not permissions.can_manage_units(actor):
            raise NotAllowed("manage_units")
        name = check_name(name, "unit")

        async def write(tx: Tx) -> Unit:  # one round trip (storage/at_once.py)
            if await tx.units.by_name(name):
                raise DuplicateUnit(name)
            parent = await resolve_unit(tx, parent_name) if parent_name else None
            made = kind or (UnitKind.DEPARTMENT if parent else UnitKind.COMMITTEE)
            unit = await tx.units.add(name, made, parent.id if parent else None, self.now())
            await tx.events.record(actor, self.now(), "unit.created", "unit", unit.id,
                                   name=name, kind=made.value,
                                   parent=parent.name if parent else None)
            return unit

        return await self.change_at_once(actor, write)

    # -- registration and invites ----------------------------------------------------------

    async def register(self, actor: Actor, draft: RegistrationDraft) -> Registration:
        if not permissions.can_register_people(actor):
            raise NotAllowed("register")
        return await self.change_at_once(actor, lambda tx: self.register_in(tx, actor, draft))

    async def register_in(self, tx: Tx, actor: Actor, draft: RegistrationDraft) -> Registration:
        """Register within a transaction the caller holds (a guided flow finishing)."""
        name = check_name(draft.name, "person")
        unit = await resolve_unit(tx, draft.unit_name)
        oversees = [await resolve_unit(tx, n) for n in draft.oversees_names]
        if await tx.persons.by_name_in_unit(name, unit.id):
            raise DuplicatePerson(name, unit.name)
        now = self.now()
        person = await tx.persons.add(
            name, unit.id, draft.roles, frozenset(u.id for u in oversees), now
        )
        invite = await self._new_invite(tx, person, now)
        await tx.events.record(
            actor, now, "person.registered", "person", person.id, name=name, unit=unit.name,
            roles=sorted(r.value for r in draft.roles), oversees=[u.name for u in oversees],
        )
        return Registration(person=person, unit=unit, oversees=tuple(oversees), invite=invite)

    async def reinvite(self, actor: Actor, name: str) -> tuple[Person, Invite]:
        """A fresh invite for someone already registered; their open invites are revoked."""
        if not permissions.can_register_people(actor):
            raise NotAllowed("register")

        async def write(tx: Tx) -> tuple[Person, Invite]:  # one round trip (storage/at_once.py)
            person = await resolve_person(tx, name)
            now = self.now()
            revoked = await tx.invites.revoke_open(person.id, now)
            invite = await self._new_invite(tx, person, now)
            await tx.events.record(actor, now, "invite.reissued", "person", person.id,
                                   revoked=revoked)
            return person, invite

        return await self.change_at_once(actor, write)

    async def invites_in(self, tx: Tx, people: Sequence[Person],
                         now: datetime) -> list[Invite]:
        """A first invite for each person registered within the caller's transaction
        (an import), in one statement."""
        codes = [(_invite_code(), p.id) for p in people]
        return await tx.invites.add_many(codes, now, now + self.invite_ttl)

    async def _new_invite(self, tx: Tx, person: Person, now) -> Invite:
        return await tx.invites.add(_invite_code(), person.id, now, now + self.invite_ttl)

    async def bind(self, telegram_user_id: int, code: str, update_id: int | None) -> Person:
        """`/start <code>`: tie this Telegram account to the invited person."""
        now = self.now()
        actor = Actor(telegram_user_id=telegram_user_id, update_id=update_id)

        async def write(tx: Tx) -> Person:  # one round trip (storage/at_once.py)
            invite = await tx.invites.get(code.strip())
            if invite is None:
                raise InviteInvalid("unknown")
            person = await tx.persons.get(invite.person_id)
            current = await tx.persons.by_telegram_id(telegram_user_id)
            if invite.used_at is not None:
                if current is not None and current.id == invite.person_id:
                    raise AlreadyBound(current.name)
                raise InviteInvalid("used")
            if invite.revoked_at is not None:
                raise InviteInvalid("revoked")
            if invite.expires_at <= now:
                raise InviteInvalid("expired")
            if current is not None and current.id != person.id:
                raise AlreadyBound(current.name)
            await tx.invites.mark_used(invite.code, telegram_user_id, now)
            await tx.persons.bind(person.id, telegram_user_id)
            await tx.persons.clear_undeliverable(person.id)
            await tx.outbox.follow_person(person.id, telegram_user_id)
            await tx.events.record(
                Actor(telegram_user_id=telegram_user_id, person=person, update_id=update_id),
                now, "person.bound", "person", person.id, code=invite.code,
            )
            return await tx.persons.get(person.id)

        return await self.change_at_once(actor, write)


async def resolve_unit(tx: Tx, name: str) -> Unit:
    """A unit by its name, typed as names are stored (cleaned the same way)."""
    name = check_name(name, "unit")
    unit = await tx.units.by_name(name)
    if unit is None:
        known = [u.name for u in (await tx.units.all()).values()]
        raise UnknownUnit(name, known)
    return unit


async def resolve_person(tx: Tx, text: str) -> Person:
    """A person by name, or 姓名@单位 where the name is not unique."""
    name, _, unit_name = text.strip().partition("@")
    name = check_name(name, "person")
    if unit_name:
        unit = await resolve_unit(tx, unit_name)
        person = await tx.persons.by_name_in_unit(name, unit.id)
        if person is None:
            raise UnknownPerson(f"{name}@{unit.name}")
        return person
    found = await tx.persons.by_name(name)
    if not found:
        raise UnknownPerson(name)
    if len(found) > 1:
        units = await tx.units.all()
        raise AmbiguousPerson(name, [units[p.unit_id].name for p in found])
    return found[0]


def _invite_code() -> str:
    return secrets.token_urlsafe(12)  # 16 characters of [A-Za-z0-9_-]: a valid deep link
